//! cty's msgpack encoding of values (`DynamicValue.msgpack`), as go-cty's `msgpack` package
//! writes and reads it.
//!
//! Null is nil; unknown is an extension (code 0, or code 12 carrying refinements); numbers are
//! ints, float64s or decimal strings; objects and maps are maps; lists, sets and tuples are
//! arrays; a value of DynamicPseudoType is `[type JSON as bin, value]`.

use std::collections::BTreeMap;
use std::fmt::Display;

use rmp::decode as rd;
use rmp::encode as wr;
use rmp::Marker;

use super::{Number, Path, Refinements, Type, Value, ValueError};

/// Extension code of a plain unknown value. Any other code but [`REFINED_UNKNOWN`] is also
/// read as a plain unknown, as cty does.
const UNKNOWN: i8 = 0;
/// Extension code of an unknown value whose payload is a map of refinements.
const REFINED_UNKNOWN: i8 = 12;

// Keys of the refinements map.
const NULLNESS: u8 = 1;
const STRING_PREFIX: u8 = 2;
const NUMBER_LOWER: u8 = 3;
const NUMBER_UPPER: u8 = 4;
const LENGTH_LOWER: u8 = 5;
const LENGTH_UPPER: u8 = 6;

/// Decodes one value of type `ty`; bytes left over after it are an error.
pub fn decode(bytes: &[u8], ty: &Type) -> Result<Value, ValueError> {
    let mut dec = Decoder { rest: bytes };
    let value = dec.value(ty, &Path::root())?;
    if !dec.rest.is_empty() {
        return Err(ValueError::new(format!(
            "{} unexpected bytes after the value",
            dec.rest.len()
        )));
    }
    Ok(value)
}

/// Encodes `v`, which must conform to `ty`.
pub fn encode(v: &Value, ty: &Type) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    encode_value(&mut out, v, ty, &Path::root())?;
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// Reads from the remaining input. Each read peeks at the marker first, so rmp's readers only
/// ever fail for lack of input.
struct Decoder<'a> {
    rest: &'a [u8],
}

impl<'a> Decoder<'a> {
    fn value(&mut self, ty: &Type, path: &Path) -> Result<Value, ValueError> {
        path.check_depth()?;
        match self.peek(path)? {
            m if is_ext(m) => self.unknown(path).map(Value::Unknown),
            Marker::Null => {
                self.rest = &self.rest[1..];
                Ok(Value::Null)
            }
            _ => self.known(ty, path),
        }
    }

    fn known(&mut self, ty: &Type, path: &Path) -> Result<Value, ValueError> {
        match ty {
            Type::String => self.string(path).map(Value::String),
            Type::Number => self.number(path).map(Value::Number),
            Type::Bool => self.bool(path).map(Value::Bool),
            Type::List(t) => self.elements(t, ty, path).map(Value::List),
            Type::Set(t) => self.elements(t, ty, path).map(Value::set_of),
            Type::Tuple(ts) => self.tuple(ts, ty, path),
            Type::Map(t) => self.map(t, ty, path),
            Type::Object(attrs) => self.object(attrs, ty, path),
            Type::Dynamic => self.dynamic(path),
        }
    }

    fn peek(&self, path: &Path) -> Result<Marker, ValueError> {
        match self.rest.first() {
            Some(&b) => Ok(Marker::from_u8(b)),
            None => Err(truncated(path)),
        }
    }

    fn take(&mut self, len: u32, path: &Path) -> Result<&'a [u8], ValueError> {
        let len = len as usize;
        if len > self.rest.len() {
            return Err(truncated(path));
        }
        let (data, rest) = self.rest.split_at(len);
        self.rest = rest;
        Ok(data)
    }

    /// The bytes of a str (or, leniently, a bin).
    fn raw_str(&mut self, expected: &str, path: &Path) -> Result<&'a [u8], ValueError> {
        let len = match self.peek(path)? {
            m if is_str(m) => rd::read_str_len(&mut self.rest),
            Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => rd::read_bin_len(&mut self.rest),
            m => return Err(mismatch(expected, m, path)),
        };
        let len = len.map_err(|_| truncated(path))?;
        self.take(len, path)
    }

    fn string(&mut self, path: &Path) -> Result<String, ValueError> {
        let bytes = self.raw_str("string", path)?;
        let s = std::str::from_utf8(bytes).map_err(|_| path.error("invalid UTF-8 in string"))?;
        Ok(s.to_string())
    }

    fn bool(&mut self, path: &Path) -> Result<bool, ValueError> {
        match self.peek(path)? {
            Marker::True | Marker::False => {
                rd::read_bool(&mut self.rest).map_err(|_| truncated(path))
            }
            m => Err(mismatch("bool", m, path)),
        }
    }

    /// An int of any width, a float, or the decimal string cty uses for everything else.
    fn number(&mut self, path: &Path) -> Result<Number, ValueError> {
        match self.peek(path)? {
            m if is_int(m) => {
                let i = rd::read_int(&mut self.rest).map_err(|_| truncated(path))?;
                Ok(int_number(i))
            }
            Marker::F32 => {
                let f = rd::read_f32(&mut self.rest).map_err(|_| truncated(path))?;
                Number::from_f64(f64::from(f)).map_err(|e| path.error(e))
            }
            Marker::F64 => {
                let f = rd::read_f64(&mut self.rest).map_err(|_| truncated(path))?;
                Number::from_f64(f).map_err(|e| path.error(e))
            }
            m if is_str(m) => {
                let bytes = self.raw_str("number", path)?;
                let s = std::str::from_utf8(bytes).map_err(|_| path.error("invalid number"))?;
                Number::parse_wire(s).map_err(|e| path.error(e))
            }
            m => Err(mismatch("number", m, path)),
        }
    }

    fn array_len(&mut self, ty: &Type, path: &Path) -> Result<u32, ValueError> {
        match self.peek(path)? {
            Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                rd::read_array_len(&mut self.rest).map_err(|_| truncated(path))
            }
            m => Err(mismatch(&ty.friendly_name(), m, path)),
        }
    }

    fn map_len(&mut self, ty: &Type, path: &Path) -> Result<u32, ValueError> {
        match self.peek(path)? {
            Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                rd::read_map_len(&mut self.rest).map_err(|_| truncated(path))
            }
            m => Err(mismatch(&ty.friendly_name(), m, path)),
        }
    }

    /// Room for `len` items, but never more than the input could hold (each takes a byte).
    fn capacity(&self, len: u32) -> usize {
        (len as usize).min(self.rest.len())
    }

    fn elements(&mut self, elem: &Type, ty: &Type, path: &Path) -> Result<Vec<Value>, ValueError> {
        let len = self.array_len(ty, path)?;
        let mut out = Vec::with_capacity(self.capacity(len));
        for i in 0..len as usize {
            out.push(self.value(elem, &path.index(i))?);
        }
        Ok(out)
    }

    fn tuple(&mut self, elems: &[Type], ty: &Type, path: &Path) -> Result<Value, ValueError> {
        let len = self.array_len(ty, path)? as usize;
        if len != elems.len() {
            return Err(path.error(format!(
                "expected a tuple of {} elements, got {len}",
                elems.len()
            )));
        }
        let mut out = Vec::with_capacity(len);
        for (i, t) in elems.iter().enumerate() {
            out.push(self.value(t, &path.index(i))?);
        }
        Ok(Value::Tuple(out))
    }

    fn map(&mut self, elem: &Type, ty: &Type, path: &Path) -> Result<Value, ValueError> {
        let len = self.map_len(ty, path)?;
        let mut out = BTreeMap::new();
        for _ in 0..len {
            let key = self.string(path)?;
            let value = self.value(elem, &path.key(&key))?;
            out.insert(key, value);
        }
        Ok(Value::Map(out))
    }

    /// Attributes missing from the map are null, as in cty; unknown ones are an error.
    fn object(
        &mut self,
        attrs: &BTreeMap<String, Type>,
        ty: &Type,
        path: &Path,
    ) -> Result<Value, ValueError> {
        let len = self.map_len(ty, path)?;
        let mut out = BTreeMap::new();
        for _ in 0..len {
            let name = self.string(path)?;
            let Some(attr_ty) = attrs.get(&name) else {
                return Err(path.error(format!("unsupported attribute {name:?}")));
            };
            let value = self.value(attr_ty, &path.attr(&name))?;
            out.insert(name, value);
        }
        for name in attrs.keys() {
            out.entry(name.clone()).or_insert(Value::Null);
        }
        Ok(Value::Object(out))
    }

    /// `[type JSON, value]`. A wrapped type that is itself dynamic adds nothing: its value is
    /// returned as is, as cty does.
    fn dynamic(&mut self, path: &Path) -> Result<Value, ValueError> {
        let len = self.array_len(&Type::Dynamic, path)?;
        if len != 2 {
            return Err(path.error(format!(
                "a dynamic value must be a [type, value] array, got {len} elements"
            )));
        }
        let type_json = self.raw_str("type JSON", path)?;
        let ty = Type::from_json_bytes(type_json).map_err(|e| path.error(e))?;
        let value = self.value(&ty, &path.dynamic())?;
        Ok(match ty {
            Type::Dynamic => value,
            ty => Value::Dynamic(ty, Box::new(value)),
        })
    }

    fn unknown(&mut self, path: &Path) -> Result<Refinements, ValueError> {
        let meta = rd::read_ext_meta(&mut self.rest).map_err(|_| truncated(path))?;
        let payload = self.take(meta.size, path)?;
        if meta.typeid != REFINED_UNKNOWN {
            return Ok(Refinements::default());
        }
        Decoder { rest: payload }
            .refinements()
            .map_err(|e| path.error(format!("invalid unknown value refinements: {e}")))
    }

    /// The refinements map. Keys this code does not know are skipped (newer cty may add some).
    fn refinements(&mut self) -> Result<Refinements, ValueError> {
        let path = &Path::root();
        let len = self.map_len(&Type::map(Type::Dynamic), path)?;
        let mut r = Refinements::default();
        for _ in 0..len {
            match u8::try_from(self.int("integer key")?) {
                Ok(NULLNESS) => r.not_null = Some(self.bool(path)?),
                Ok(STRING_PREFIX) => r.string_prefix = Some(self.string(path)?),
                Ok(NUMBER_LOWER) => r.number_lower = Some(self.bound()?),
                Ok(NUMBER_UPPER) => r.number_upper = Some(self.bound()?),
                Ok(LENGTH_LOWER) => r.length_lower = Some(self.length()?),
                Ok(LENGTH_UPPER) => r.length_upper = Some(self.length()?),
                _ => self.skip()?,
            }
        }
        Ok(r)
    }

    /// A number bound: `[number, inclusive]`.
    fn bound(&mut self) -> Result<(Number, bool), ValueError> {
        let path = &Path::root();
        let len = self.array_len(&Type::Tuple(vec![Type::Number, Type::Bool]), path)?;
        if len != 2 {
            return Err(ValueError::new(
                "a number bound must be [number, inclusive]",
            ));
        }
        Ok((self.number(path)?, self.bool(path)?))
    }

    /// Any msgpack int: an i64 or a u64, both of which fit an i128.
    fn int(&mut self, what: &str) -> Result<i128, ValueError> {
        let path = &Path::root();
        match self.peek(path)? {
            m if is_int(m) => rd::read_int(&mut self.rest).map_err(|_| truncated(path)),
            m => Err(mismatch(what, m, path)),
        }
    }

    fn length(&mut self) -> Result<u64, ValueError> {
        let i = self.int("length")?;
        u64::try_from(i).map_err(|_| ValueError::new(format!("invalid length {i}")))
    }

    /// Skips one value of any shape. Iterative, counting the items still to skip, so nesting
    /// costs no stack; every item takes at least a byte, so it ends with the input.
    fn skip(&mut self) -> Result<(), ValueError> {
        let path = &Path::root();
        let mut pending: u64 = 1;
        while pending > 0 {
            pending -= 1;
            let m = self.peek(path)?;
            match m {
                Marker::FixArray(_) | Marker::Array16 | Marker::Array32 => {
                    let len = rd::read_array_len(&mut self.rest).map_err(|_| truncated(path))?;
                    pending = pending.saturating_add(len.into());
                }
                Marker::FixMap(_) | Marker::Map16 | Marker::Map32 => {
                    let len = rd::read_map_len(&mut self.rest).map_err(|_| truncated(path))?;
                    pending = pending.saturating_add(2 * u64::from(len));
                }
                m if is_ext(m) => {
                    let meta = rd::read_ext_meta(&mut self.rest).map_err(|_| truncated(path))?;
                    self.take(meta.size, path)?;
                }
                m if is_str(m) => {
                    self.raw_str("string", path)?;
                }
                Marker::Bin8 | Marker::Bin16 | Marker::Bin32 => {
                    self.raw_str("binary", path)?;
                }
                Marker::Reserved => return Err(ValueError::new("reserved byte 0xc1")),
                m => {
                    self.take(1 + scalar_len(m), path)?;
                }
            }
        }
        Ok(())
    }
}

/// Bytes after the marker of a fixed-size value.
fn scalar_len(m: Marker) -> u32 {
    use Marker::*;
    match m {
        U8 | I8 => 1,
        U16 | I16 => 2,
        U32 | I32 | F32 => 4,
        U64 | I64 | F64 => 8,
        _ => 0,
    }
}

/// A msgpack int is an i64 or a u64: both fit in i128.
fn int_number(i: i128) -> Number {
    match i64::try_from(i) {
        Ok(i) => Number::from_i64(i),
        Err(_) => Number::from_u64(i as u64),
    }
}

fn is_ext(m: Marker) -> bool {
    use Marker::*;
    matches!(
        m,
        FixExt1 | FixExt2 | FixExt4 | FixExt8 | FixExt16 | Ext8 | Ext16 | Ext32
    )
}

fn is_str(m: Marker) -> bool {
    matches!(
        m,
        Marker::FixStr(_) | Marker::Str8 | Marker::Str16 | Marker::Str32
    )
}

fn is_int(m: Marker) -> bool {
    use Marker::*;
    matches!(
        m,
        FixPos(_) | FixNeg(_) | U8 | U16 | U32 | U64 | I8 | I16 | I32 | I64
    )
}

/// The kind of msgpack value a marker starts, for error messages.
fn marker_name(m: Marker) -> &'static str {
    use Marker::*;
    match m {
        Null => "null",
        True | False => "bool",
        F32 | F64 => "float",
        Bin8 | Bin16 | Bin32 => "binary",
        FixArray(_) | Array16 | Array32 => "array",
        FixMap(_) | Map16 | Map32 => "map",
        Reserved => "reserved byte 0xc1",
        m if is_int(m) => "integer",
        m if is_str(m) => "string",
        _ => "extension",
    }
}

fn mismatch(expected: &str, got: Marker, path: &Path) -> ValueError {
    path.error(format!("expected {expected}, got {}", marker_name(got)))
}

fn truncated(path: &Path) -> ValueError {
    path.error("unexpected end of msgpack input")
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn encode_value(out: &mut Vec<u8>, v: &Value, ty: &Type, path: &Path) -> Result<(), ValueError> {
    match (v, ty) {
        (Value::Null, _) => written(wr::write_nil(out)),
        (Value::Unknown(r), _) => encode_unknown(out, r),
        (Value::Dynamic(t, inner), Type::Dynamic) => encode_dynamic(out, t, inner, path),
        // A dynamic wrapper around a value of exactly the expected type adds nothing.
        (Value::Dynamic(t, inner), _) if t == ty => encode_value(out, inner, ty, path),
        (Value::String(s), Type::String) => written(wr::write_str(out, s)),
        (Value::Number(n), Type::Number) => encode_number(out, n),
        (Value::Bool(b), Type::Bool) => written(wr::write_bool(out, *b)),
        (Value::List(elems), Type::List(t)) | (Value::Set(elems), Type::Set(t)) => {
            array_len(out, elems.len())?;
            for (i, e) in elems.iter().enumerate() {
                encode_value(out, e, t, &path.index(i))?;
            }
            Ok(())
        }
        (Value::Tuple(elems), Type::Tuple(types)) => encode_tuple(out, elems, types, path),
        (Value::Map(entries), Type::Map(t)) => {
            map_len(out, entries.len())?;
            for (k, e) in entries {
                written(wr::write_str(out, k))?;
                encode_value(out, e, t, &path.key(k))?;
            }
            Ok(())
        }
        (Value::Object(attrs), Type::Object(types)) => encode_object(out, attrs, types, path),
        (_, Type::Dynamic) => Err(path.error(format!(
            "a {} of dynamic type must carry its type (Value::Dynamic)",
            v.kind_name()
        ))),
        _ => Err(path.error(format!(
            "expected {}, got {}",
            ty.friendly_name(),
            v.kind_name()
        ))),
    }
}

/// Every attribute of the type, in order; one absent from the value is null.
fn encode_object(
    out: &mut Vec<u8>,
    attrs: &BTreeMap<String, Value>,
    types: &BTreeMap<String, Type>,
    path: &Path,
) -> Result<(), ValueError> {
    if let Some(name) = attrs.keys().find(|k| !types.contains_key(*k)) {
        return Err(path.error(format!("unsupported attribute {name:?}")));
    }
    map_len(out, types.len())?;
    for (name, t) in types {
        written(wr::write_str(out, name))?;
        let v = attrs.get(name).unwrap_or(&Value::Null);
        encode_value(out, v, t, &path.attr(name))?;
    }
    Ok(())
}

fn encode_tuple(
    out: &mut Vec<u8>,
    elems: &[Value],
    types: &[Type],
    path: &Path,
) -> Result<(), ValueError> {
    if elems.len() != types.len() {
        return Err(path.error(format!(
            "expected a tuple of {} elements, got {}",
            types.len(),
            elems.len()
        )));
    }
    array_len(out, elems.len())?;
    for (i, (e, t)) in elems.iter().zip(types).enumerate() {
        encode_value(out, e, t, &path.index(i))?;
    }
    Ok(())
}

fn encode_dynamic(out: &mut Vec<u8>, ty: &Type, v: &Value, path: &Path) -> Result<(), ValueError> {
    if *ty == Type::Dynamic {
        return encode_value(out, v, ty, path);
    }
    array_len(out, 2)?;
    written(wr::write_bin(out, &ty.to_json_bytes()))?;
    encode_value(out, v, ty, &path.dynamic())
}

/// As cty: an i64 when the number is one, else a float64 when exact, else decimal text.
fn encode_number(out: &mut Vec<u8>, n: &Number) -> Result<(), ValueError> {
    if let Some(i) = n.to_i64() {
        written(wr::write_sint(out, i))
    } else if let Some(f) = n.to_f64_exact() {
        written(wr::write_f64(out, f))
    } else {
        written(wr::write_str(out, &n.to_string()))
    }
}

/// A plain unknown is `d4 00 00`; one with refinements is extension 12 around a map holding
/// only the refinements that are set.
fn encode_unknown(out: &mut Vec<u8>, r: &Refinements) -> Result<(), ValueError> {
    if *r == Refinements::default() {
        written(wr::write_ext_meta(out, 1, UNKNOWN))?;
        out.push(0);
        return Ok(());
    }
    let payload = refinements_payload(r)?;
    let len = u32::try_from(payload.len()).map_err(|_| ValueError::new("refinements too large"))?;
    written(wr::write_ext_meta(out, len, REFINED_UNKNOWN))?;
    out.extend_from_slice(&payload);
    Ok(())
}

fn refinements_payload(r: &Refinements) -> Result<Vec<u8>, ValueError> {
    let mut out = Vec::new();
    let count = [
        r.not_null.is_some(),
        r.string_prefix.is_some(),
        r.number_lower.is_some(),
        r.number_upper.is_some(),
        r.length_lower.is_some(),
        r.length_upper.is_some(),
    ];
    map_len(&mut out, count.iter().filter(|set| **set).count())?;
    if let Some(b) = r.not_null {
        written(wr::write_pfix(&mut out, NULLNESS))?;
        written(wr::write_bool(&mut out, b))?;
    }
    if let Some(prefix) = &r.string_prefix {
        written(wr::write_pfix(&mut out, STRING_PREFIX))?;
        written(wr::write_str(&mut out, prefix))?;
    }
    for (key, bound) in [
        (NUMBER_LOWER, &r.number_lower),
        (NUMBER_UPPER, &r.number_upper),
    ] {
        if let Some((n, inclusive)) = bound {
            written(wr::write_pfix(&mut out, key))?;
            array_len(&mut out, 2)?;
            encode_number(&mut out, n)?;
            written(wr::write_bool(&mut out, *inclusive))?;
        }
    }
    for (key, len) in [
        (LENGTH_LOWER, r.length_lower),
        (LENGTH_UPPER, r.length_upper),
    ] {
        if let Some(len) = len {
            written(wr::write_pfix(&mut out, key))?;
            written(wr::write_uint(&mut out, len))?;
        }
    }
    Ok(out)
}

fn array_len(out: &mut Vec<u8>, len: usize) -> Result<(), ValueError> {
    let len = u32::try_from(len).map_err(|_| ValueError::new("collection too large"))?;
    written(wr::write_array_len(out, len))
}

fn map_len(out: &mut Vec<u8>, len: usize) -> Result<(), ValueError> {
    let len = u32::try_from(len).map_err(|_| ValueError::new("collection too large"))?;
    written(wr::write_map_len(out, len))
}

/// rmp's writers return Results, though writing to a Vec cannot fail.
fn written<T, E: Display>(r: Result<T, E>) -> Result<(), ValueError> {
    r.map(|_| ())
        .map_err(|e| ValueError::new(format!("msgpack write failed: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn value_nesting_is_bounded() {
        // A dynamic value whose wrapped type is dynamic again, 100 times over.
        let mut bytes = Vec::new();
        for _ in 0..100 {
            bytes.extend_from_slice(&[0x92, 0xc4, 9]);
            bytes.extend_from_slice(b"\"dynamic\"");
        }
        bytes.push(0xc0);
        let err = decode(&bytes, &Type::Dynamic).unwrap_err();
        assert!(err.message.contains("nested more than"), "{err}");
    }

    #[test]
    fn huge_lengths_do_not_allocate() {
        // array32 claiming 4 billion elements, then nothing.
        let err = decode(&[0xdd, 0xff, 0xff, 0xff, 0xff], &Type::list(Type::Bool)).unwrap_err();
        assert!(err.message.contains("unexpected end"), "{err}");
    }

    #[test]
    fn unknown_refinement_keys_are_skipped() {
        // ext 12 with {9: [1.5f32, {"a": ext(1, [7])}, nil], 1: true}
        let payload = [
            0x82, 0x09, 0x93, 0xca, 0x3f, 0xc0, 0, 0, 0x81, 0xa1, b'a', 0xd4, 1, 7, 0xc0, 0x01,
            0xc3,
        ];
        let mut bytes = vec![0xc7, payload.len() as u8, 12];
        bytes.extend_from_slice(&payload);
        let v = decode(&bytes, &Type::String).unwrap();
        let want = Refinements {
            not_null: Some(true),
            ..Default::default()
        };
        assert_eq!(v, Value::Unknown(want));
    }
}
