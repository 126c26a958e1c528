//! Exact numbers: Terraform numbers are arbitrary precision decimals (cty uses big.Float).

use std::str::FromStr;

use bigdecimal::{BigDecimal, ToPrimitive};

use super::ValueError;

/// Longest plain notation, in digits, accepted by [`Number::parse_wire`]: far beyond any real
/// value (f64 tops out near 1e308) yet cheap to print and compare.
const MAX_PLAIN_DIGITS: u64 = 20_000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Number(BigDecimal);

impl Number {
    pub fn from_i64(i: i64) -> Number {
        Number(BigDecimal::from(i))
    }
    pub fn from_u64(i: u64) -> Number {
        Number(BigDecimal::from(i))
    }
    /// Exact conversion of a finite float; infinities and NaN are not numbers in cty.
    pub fn from_f64(f: f64) -> Result<Number, ValueError> {
        if !f.is_finite() {
            return Err(ValueError::new("number is not finite"));
        }
        BigDecimal::try_from(f)
            .map(|d| Number(d.normalized()))
            .map_err(|e| ValueError::new(format!("invalid number {f}: {e}")))
    }
    /// The decimal text form (as msgpack carries large numbers, and as JSON carries them).
    pub fn parse(s: &str) -> Result<Number, ValueError> {
        BigDecimal::from_str(s.trim())
            .map(|d| Number(d.normalized()))
            .map_err(|_| ValueError::new(format!("invalid number {s:?}")))
    }
    /// [`Number::parse`] for text from the wire (msgpack strings, JSON numbers): also rejects
    /// numbers whose plain notation would be absurdly long. "1e1000000000" is a few bytes but
    /// would print (and compare) as a billion digits; cty cannot represent it either.
    pub fn parse_wire(s: &str) -> Result<Number, ValueError> {
        let shown: String = s.chars().take(40).collect();
        let out_of_range = || ValueError::new(format!("number {shown:?} is out of range"));
        // Checked first too: parsing a huge digit string is itself slow.
        if s.len() as u64 > MAX_PLAIN_DIGITS {
            return Err(out_of_range());
        }
        let n =
            Number::parse(s).map_err(|_| ValueError::new(format!("invalid number {shown:?}")))?;
        if n.plain_digits() > MAX_PLAIN_DIGITS {
            return Err(out_of_range());
        }
        Ok(n)
    }
    /// How many digits the plain (no exponent) notation of this number has.
    fn plain_digits(&self) -> u64 {
        let digits = self.0.digits();
        match u64::try_from(self.0.fractional_digit_count()) {
            // Fractional digits, plus a leading "0" when they are all of it.
            Ok(scale) => digits.max(scale).saturating_add(1),
            // A negative scale stands for trailing zeros.
            Err(_) => digits.saturating_add(self.0.fractional_digit_count().unsigned_abs()),
        }
    }
    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }
    pub fn to_i64(&self) -> Option<i64> {
        if self.0.is_integer() {
            self.0.to_i64()
        } else {
            None
        }
    }
    pub fn to_f64(&self) -> Option<f64> {
        self.0.to_f64()
    }
    /// Some(f) when the float is exactly this number.
    pub fn to_f64_exact(&self) -> Option<f64> {
        let f = self.0.to_f64()?;
        let back = BigDecimal::try_from(f).ok()?;
        (back == self.0).then_some(f)
    }
    pub fn as_big(&self) -> &BigDecimal {
        &self.0
    }
}

impl std::fmt::Display for Number {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Plain notation, no exponent: what Terraform users read and what JSON carries.
        let n = self.0.normalized();
        if n.is_integer() {
            write!(f, "{}", n.with_scale(0))
        } else {
            write!(f, "{}", n.to_plain_string())
        }
    }
}
