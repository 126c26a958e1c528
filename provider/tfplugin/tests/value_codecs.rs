//! The msgpack and JSON value codecs: round trips over arbitrary typed values, robustness
//! against garbage, and known byte vectors that pin the wire format.

use std::collections::BTreeMap;

use mosia_tfplugin::value::json::{self, JsonOptions};
use mosia_tfplugin::value::{msgpack, Number, Refinements, Type, Value};
use proptest::prelude::*;
use proptest::strategy::Union;

// ---------------------------------------------------------------------------------------------
// Strategies

/// How many dynamic values may nest inside one another in a generated value.
const DYNAMIC_BUDGET: u32 = 2;

fn leaf_type(dynamic: bool) -> BoxedStrategy<Type> {
    let mut leaves = vec![Just(Type::String), Just(Type::Number), Just(Type::Bool)];
    if dynamic {
        leaves.push(Just(Type::Dynamic));
    }
    Union::new(leaves).boxed()
}

fn attr_name() -> impl Strategy<Value = String> {
    "[a-z_][a-z0-9_]{0,7}"
}

fn arb_type(dynamic: bool) -> BoxedStrategy<Type> {
    leaf_type(dynamic)
        .prop_recursive(3, 16, 4, |inner| {
            prop_oneof![
                inner.clone().prop_map(Type::list),
                inner.clone().prop_map(Type::set),
                inner.clone().prop_map(Type::map),
                prop::collection::vec(inner.clone(), 0..4).prop_map(Type::Tuple),
                prop::collection::btree_map(attr_name(), inner, 0..4).prop_map(Type::Object),
            ]
        })
        .boxed()
}

fn number_from(text: String) -> Number {
    Number::parse(&text).expect("generated number text is valid")
}

fn arb_number() -> BoxedStrategy<Number> {
    prop_oneof![
        any::<i64>().prop_map(Number::from_i64),
        any::<u64>().prop_map(Number::from_u64),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| Number::from_f64(f).unwrap()),
        // Big integers, decimals that floats cannot hold, huge precision, exponents.
        "-?[1-9][0-9]{18,60}".prop_map(number_from),
        "-?[0-9]{1,20}\\.[0-9]{1,30}".prop_map(number_from),
        "-?[1-9][0-9]{0,3}e-?[0-9]{1,3}".prop_map(number_from),
        Just(number_from("0.1".into())),
        Just(number_from("9007199254740993".into())),
    ]
    .boxed()
}

fn arb_refinements() -> impl Strategy<Value = Refinements> {
    let bound = || prop::option::of((arb_number(), any::<bool>()));
    (
        prop::option::of(any::<bool>()),
        prop::option::of(".{0,8}"),
        bound(),
        bound(),
        prop::option::of(any::<u64>()),
        prop::option::of(any::<u64>()),
    )
        .prop_map(
            |(not_null, string_prefix, number_lower, number_upper, length_lower, length_upper)| {
                Refinements {
                    not_null,
                    string_prefix,
                    number_lower,
                    number_upper,
                    length_lower,
                    length_upper,
                }
            },
        )
}

/// A value of type `ty`: null, possibly unknown (plain or refined), or known all the way down.
fn arb_value(ty: &Type, unknowns: bool, dyn_budget: u32) -> BoxedStrategy<Value> {
    let mut options = vec![
        (1, Just(Value::Null).boxed()),
        (6, arb_known(ty, unknowns, dyn_budget)),
    ];
    if unknowns {
        options.push((1, Just(Value::unknown()).boxed()));
        options.push((1, arb_refinements().prop_map(Value::Unknown).boxed()));
    }
    Union::new_weighted(options).boxed()
}

fn arb_known(ty: &Type, unknowns: bool, dyn_budget: u32) -> BoxedStrategy<Value> {
    let elems = |t: &Type| prop::collection::vec(arb_value(t, unknowns, dyn_budget), 0..4);
    match ty {
        Type::String => any::<String>().prop_map(Value::String).boxed(),
        Type::Number => arb_number().prop_map(Value::Number).boxed(),
        Type::Bool => any::<bool>().prop_map(Value::Bool).boxed(),
        Type::List(t) => elems(t).prop_map(Value::List).boxed(),
        Type::Set(t) => elems(t).prop_map(Value::set_of).boxed(),
        Type::Map(t) => {
            prop::collection::btree_map(".{0,6}", arb_value(t, unknowns, dyn_budget), 0..4)
                .prop_map(Value::Map)
                .boxed()
        }
        Type::Tuple(ts) => {
            let parts: Vec<_> = ts
                .iter()
                .map(|t| arb_value(t, unknowns, dyn_budget))
                .collect();
            parts.prop_map(Value::Tuple).boxed()
        }
        Type::Object(attrs) => {
            let parts: Vec<_> = attrs
                .iter()
                .map(|(k, t)| (Just(k.clone()), arb_value(t, unknowns, dyn_budget)))
                .collect();
            parts
                .prop_map(|kvs| Value::Object(kvs.into_iter().collect()))
                .boxed()
        }
        Type::Dynamic => {
            // A concrete type (never dynamic itself: that wrapper would add nothing), then a
            // value of it, with less room for further dynamic values inside.
            let inner_budget = dyn_budget.saturating_sub(1);
            arb_type(inner_budget > 0)
                .prop_filter("concrete", |t| *t != Type::Dynamic)
                .prop_flat_map(move |t| {
                    arb_value(&t, unknowns, inner_budget)
                        .prop_map(move |v| Value::Dynamic(t.clone(), Box::new(v)))
                })
                .boxed()
        }
    }
}

fn typed_value(unknowns: bool) -> impl Strategy<Value = (Type, Value)> {
    arb_type(true).prop_flat_map(move |t| {
        arb_value(&t, unknowns, DYNAMIC_BUDGET).prop_map(move |v| (t.clone(), v))
    })
}

/// Arbitrary JSON, deep enough to hit every decoder branch.
fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::Value as J;
    let leaf = prop_oneof![
        Just(J::Null),
        any::<bool>().prop_map(J::Bool),
        any::<i64>().prop_map(|i| J::Number(i.into())),
        "-?(0|[1-9][0-9]{0,24})(\\.[0-9]{1,10})?(e[+-]?[0-9]{1,4})?"
            .prop_map(|s| J::Number(s.parse().expect("valid JSON number"))),
        prop_oneof![
            Just("string".to_string()),
            Just("dynamic".to_string()),
            Just("true".to_string()),
            Just("12".to_string()),
            ".{0,6}"
        ]
        .prop_map(J::String),
    ];
    leaf.prop_recursive(5, 48, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(J::Array),
            prop::collection::vec(
                (
                    prop_oneof![
                        Just("value".to_string()),
                        Just("type".to_string()),
                        "[a-z]{1,3}"
                    ],
                    inner
                ),
                0..5
            )
            .prop_map(|kvs| J::Object(kvs.into_iter().collect())),
        ]
    })
}

/// Types that exercise every decoder for the robustness properties.
fn probe_types() -> Vec<Type> {
    vec![
        Type::String,
        Type::Number,
        Type::Bool,
        Type::Dynamic,
        Type::list(Type::String),
        Type::set(Type::Number),
        Type::map(Type::Dynamic),
        Type::Tuple(vec![Type::Bool, Type::Dynamic]),
        Type::object([
            ("value", Type::Dynamic),
            ("type", Type::list(Type::String)),
            ("a", Type::map(Type::Number)),
        ]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Properties

proptest! {
    // No regression files: proptest cannot place them for an integration test anyway.
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn msgpack_round_trips((ty, v) in typed_value(true)) {
        let bytes = msgpack::encode(&v, &ty).unwrap();
        prop_assert_eq!(msgpack::decode(&bytes, &ty).unwrap(), v);
    }

    #[test]
    fn json_round_trips_known_values((ty, v) in typed_value(false)) {
        let bytes = json::encode(&v, &ty).unwrap();
        prop_assert_eq!(json::decode(&bytes, &ty).unwrap(), v);
    }

    #[test]
    fn sets_are_order_independent(elems in prop::collection::vec(arb_value(&Type::Number, true, 0), 0..8)) {
        let reversed: Vec<Value> = elems.iter().rev().cloned().collect();
        prop_assert_eq!(Value::set_of(elems), Value::set_of(reversed));
    }

    #[test]
    fn canonical_cmp_is_a_total_order_agreeing_with_eq(
        (a, b) in arb_type(true).prop_flat_map(|t| {
            (arb_value(&t, true, DYNAMIC_BUDGET), arb_value(&t, true, DYNAMIC_BUDGET))
        })
    ) {
        use std::cmp::Ordering::Equal;
        prop_assert_eq!(a.canonical_cmp(&a.clone()), Equal);
        prop_assert_eq!(a.canonical_cmp(&b), b.canonical_cmp(&a).reverse());
        prop_assert_eq!(a.canonical_cmp(&b) == Equal, a == b);
    }

    #[test]
    fn msgpack_garbage_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        for ty in probe_types() {
            let _ = msgpack::decode(&bytes, &ty);
        }
    }

    /// Refinement payloads: a map header, then anything (including keys this code skips).
    #[test]
    fn refinement_garbage_never_panics(
        entries in 0u8..8,
        body in prop::collection::vec(any::<u8>(), 0..48),
    ) {
        let mut bytes = vec![0xc7, body.len() as u8 + 1, 12, 0x80 | entries];
        bytes.extend_from_slice(&body);
        for ty in probe_types() {
            let _ = msgpack::decode(&bytes, &ty);
        }
    }

    /// Valid encodings with bytes changed or cut short reach much deeper than pure noise.
    #[test]
    fn msgpack_corrupted_never_panics(
        (ty, v) in typed_value(true),
        flips in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..4),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut bytes = msgpack::encode(&v, &ty).unwrap();
        for (at, byte) in flips {
            let i = at.index(bytes.len());
            bytes[i] = byte;
        }
        let _ = msgpack::decode(&bytes, &ty);
        let _ = msgpack::decode(&bytes[..cut.index(bytes.len() + 1)], &ty);
    }

    #[test]
    fn json_garbage_never_panics(j in arb_json(), text in ".{0,32}") {
        let bytes = serde_json::to_vec(&j).unwrap();
        for ty in probe_types() {
            let _ = json::decode(&bytes, &ty);
            let _ = json::decode_with(&bytes, &ty, JsonOptions { ignore_unknown_attributes: true });
            let _ = json::decode(text.as_bytes(), &ty);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Known vectors

fn obj_a_string() -> Type {
    Type::object([("a", Type::String)])
}

fn hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn num(s: &str) -> Value {
    Value::Number(Number::parse(s).unwrap())
}

#[test]
fn object_vector() {
    let v = Value::object([("a", Value::string("b"))]);
    let bytes = [0x81, 0xa1, b'a', 0xa1, b'b'];
    assert_eq!(msgpack::encode(&v, &obj_a_string()).unwrap(), bytes);
    assert_eq!(msgpack::decode(&bytes, &obj_a_string()).unwrap(), v);
}

#[test]
fn null_and_unknown_vectors() {
    assert_eq!(
        msgpack::encode(&Value::Null, &Type::String).unwrap(),
        [0xc0]
    );
    assert_eq!(
        msgpack::encode(&Value::unknown(), &Type::String).unwrap(),
        [0xd4, 0, 0]
    );
    assert_eq!(
        msgpack::decode(&[0xd4, 0, 0], &Type::String).unwrap(),
        Value::unknown()
    );
    // Any extension code is an unknown, whatever its payload.
    assert_eq!(
        msgpack::decode(&[0xd5, 7, 1, 2], &Type::Number).unwrap(),
        Value::unknown()
    );
    assert_eq!(
        msgpack::decode(&[0xc0], &obj_a_string()).unwrap(),
        Value::Null
    );
}

#[test]
fn refined_unknown_vector() {
    // ext8, 7 bytes, code 12: {1: true, 2: "ar"}
    let bytes = [0xc7, 0x07, 0x0c, 0x82, 0x01, 0xc3, 0x02, 0xa2, b'a', b'r'];
    let want = Value::Unknown(Refinements {
        not_null: Some(true),
        string_prefix: Some("ar".into()),
        ..Default::default()
    });
    assert_eq!(msgpack::decode(&bytes, &Type::String).unwrap(), want);
    assert_eq!(msgpack::encode(&want, &Type::String).unwrap(), bytes);
}

#[test]
fn refined_unknown_bounds_vector() {
    // ext8, code 12: {3: [1.5, true], 5: 2, 6: 10}
    let payload = [
        0x83, 0x03, 0x92, 0xcb, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0, 0xc3, 0x05, 0x02, 0x06, 0x0a,
    ];
    let mut bytes = vec![0xc7, payload.len() as u8, 0x0c];
    bytes.extend_from_slice(&payload);
    let want = Value::Unknown(Refinements {
        number_lower: Some((Number::parse("1.5").unwrap(), true)),
        length_lower: Some(2),
        length_upper: Some(10),
        ..Default::default()
    });
    assert_eq!(msgpack::decode(&bytes, &Type::Number).unwrap(), want);
    assert_eq!(msgpack::encode(&want, &Type::Number).unwrap(), bytes);
}

#[test]
fn number_vectors() {
    let enc = |v: &Value| msgpack::encode(v, &Type::Number).unwrap();
    assert_eq!(enc(&Value::int(1)), [0x01]);
    assert_eq!(enc(&Value::int(-1)), [0xff]);
    assert_eq!(enc(&Value::int(300)), [0xcd, 0x01, 0x2c]);
    assert_eq!(hex(&enc(&num("1.5"))), "cb 3f f8 00 00 00 00 00 00");
    // 2^70 does not fit an i64 but is exactly a float64, which cty prefers to text.
    assert_eq!(enc(&num("1180591620717411303424"))[0], 0xcb);
    // 2^70 + 1 is neither: decimal text.
    let text = "1180591620717411303425";
    let mut want = vec![0xb6];
    want.extend_from_slice(text.as_bytes());
    assert_eq!(enc(&num(text)), want);
    // 0.1 is not a float64: decimal text too.
    assert_eq!(enc(&num("0.1")), [0xa3, b'0', b'.', b'1']);
}

#[test]
fn numbers_decode_from_every_width() {
    let dec = |b: &[u8]| msgpack::decode(b, &Type::Number).unwrap();
    assert_eq!(dec(&[0x7f]), Value::int(127));
    assert_eq!(dec(&[0xe0]), Value::int(-32));
    assert_eq!(dec(&[0xd0, 0x80]), Value::int(-128));
    assert_eq!(
        dec(&[0xcf, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        num("18446744073709551615")
    );
    assert_eq!(
        dec(&[0xd3, 0x80, 0, 0, 0, 0, 0, 0, 0]),
        Value::int(i64::MIN)
    );
    assert_eq!(dec(&[0xca, 0x3f, 0xc0, 0, 0]), num("1.5"));
    assert_eq!(dec(&[0xa3, b'1', b'e', b'3']), Value::int(1000));
}

#[test]
fn numbers_stay_exact() {
    let tenth = num("0.1");
    assert_eq!(
        msgpack::decode(&[0xa3, b'0', b'.', b'1'], &Type::Number).unwrap(),
        tenth
    );
    assert_eq!(json::decode(b"0.1", &Type::Number).unwrap(), tenth);
    assert_eq!(json::decode(br#""0.1""#, &Type::Number).unwrap(), tenth);
    assert_eq!(json::encode(&tenth, &Type::Number).unwrap(), b"0.1");

    let big = num("9007199254740993"); // 2^53 + 1: no float64 holds it
    assert_eq!(big.as_i64(), Some(9007199254740993));
    let bytes = msgpack::encode(&big, &Type::Number).unwrap();
    assert_eq!(msgpack::decode(&bytes, &Type::Number).unwrap(), big);
    assert_eq!(
        json::decode(b"9007199254740993", &Type::Number).unwrap(),
        big
    );
    assert_eq!(
        json::encode(&big, &Type::Number).unwrap(),
        b"9007199254740993"
    );

    let precise = "3.14159265358979323846264338327950288419716939937511";
    assert_eq!(
        json::decode(precise.as_bytes(), &Type::Number).unwrap(),
        num(precise)
    );
    assert_eq!(
        json::encode(&num(precise), &Type::Number).unwrap(),
        precise.as_bytes()
    );
}

#[test]
fn absurd_numbers_are_rejected() {
    assert!(json::decode(b"1e1000000000", &Type::Number).is_err());
    assert!(msgpack::decode(&[0xa4, b'1', b'e', b'9', b'9'], &Type::Number).is_ok());
    assert!(msgpack::decode(&[0xcb, 0x7f, 0xf8, 0, 0, 0, 0, 0, 0], &Type::Number).is_err()); // NaN
    assert!(msgpack::decode(&[0xa3, b'a', b'b', b'c'], &Type::Number).is_err());
}

#[test]
fn dynamic_vector() {
    let mut bytes = vec![0x92, 0xc4, 8];
    bytes.extend_from_slice(br#""string""#);
    bytes.extend_from_slice(&[0xa1, b'x']);
    let want = Value::Dynamic(Type::String, Box::new(Value::string("x")));
    assert_eq!(msgpack::encode(&want, &Type::Dynamic).unwrap(), bytes);
    assert_eq!(msgpack::decode(&bytes, &Type::Dynamic).unwrap(), want);

    // The type may also come as a str.
    let mut as_str = vec![0x92, 0xa8];
    as_str.extend_from_slice(br#""string""#);
    as_str.extend_from_slice(&[0xa1, b'x']);
    assert_eq!(msgpack::decode(&as_str, &Type::Dynamic).unwrap(), want);

    // Null and unknown dynamic values carry no type.
    assert_eq!(
        msgpack::decode(&[0xc0], &Type::Dynamic).unwrap(),
        Value::Null
    );
    assert_eq!(
        msgpack::decode(&[0xd4, 0, 0], &Type::Dynamic).unwrap(),
        Value::unknown()
    );
    assert_eq!(
        msgpack::encode(&Value::Null, &Type::Dynamic).unwrap(),
        [0xc0]
    );

    assert_eq!(
        json::encode(&want, &Type::Dynamic).unwrap(),
        br#"{"value":"x","type":"string"}"#
    );
    let reordered = br#"{"type":["list","number"],"value":[1,"2"]}"#;
    let list = Value::Dynamic(
        Type::list(Type::Number),
        Box::new(Value::List(vec![Value::int(1), Value::int(2)])),
    );
    assert_eq!(json::decode(reordered, &Type::Dynamic).unwrap(), list);
    assert!(json::decode(br#"{"type":"string"}"#, &Type::Dynamic).is_err());
    assert!(json::decode(
        br#"{"type":"string","value":"x","extra":1}"#,
        &Type::Dynamic
    )
    .is_err());
}

#[test]
fn objects_fill_missing_attributes_and_reject_unknown_ones() {
    let ty = Type::object([("a", Type::String), ("b", Type::Number)]);
    let want = Value::object([("a", Value::string("x")), ("b", Value::Null)]);
    assert_eq!(
        msgpack::decode(&[0x81, 0xa1, b'a', 0xa1, b'x'], &ty).unwrap(),
        want
    );
    assert_eq!(json::decode(br#"{"a":"x"}"#, &ty).unwrap(), want);

    // Encoding writes every attribute, in order, absent ones as nil.
    let partial = Value::object([("a", Value::string("x"))]);
    assert_eq!(
        msgpack::encode(&partial, &ty).unwrap(),
        [0x82, 0xa1, b'a', 0xa1, b'x', 0xa1, b'b', 0xc0]
    );
    assert_eq!(
        json::encode(&partial, &ty).unwrap(),
        br#"{"a":"x","b":null}"#
    );

    let err = msgpack::decode(&[0x81, 0xa1, b'z', 0xc0], &ty).unwrap_err();
    assert_eq!(err.message, r#"unsupported attribute "z""#);
    assert!(json::decode(br#"{"a":"x","z":1}"#, &ty).is_err());
    let lenient = JsonOptions {
        ignore_unknown_attributes: true,
    };
    assert_eq!(
        json::decode_with(br#"{"a":"x","z":1}"#, &ty, lenient).unwrap(),
        want
    );
    assert!(msgpack::encode(&Value::object([("z", Value::Null)]), &ty).is_err());
}

#[test]
fn errors_name_the_path() {
    let ty = Type::object([(
        "network",
        Type::object([
            ("subnet_ids", Type::list(Type::String)),
            ("tags", Type::map(Type::Bool)),
        ]),
    )]);
    let json = br#"{"network":{"subnet_ids":["a","b",true]}}"#;
    // A JSON bool is fine for a string; an array is not.
    assert!(json::decode(json, &ty).is_ok());
    let err = json::decode(br#"{"network":{"subnet_ids":["a","b",[]]}}"#, &ty).unwrap_err();
    assert_eq!(
        err.message,
        "at .network.subnet_ids[2]: expected string, got array"
    );

    let v = Value::object([(
        "network",
        Value::object([
            (
                "subnet_ids",
                Value::List(vec![
                    Value::string("a"),
                    Value::string("b"),
                    Value::Bool(true),
                ]),
            ),
            ("tags", Value::Null),
        ]),
    )]);
    let err = msgpack::encode(&v, &ty).unwrap_err();
    assert_eq!(
        err.message,
        "at .network.subnet_ids[2]: expected string, got bool"
    );

    let mut bytes = msgpack::encode(&Value::object([("network", Value::Null)]), &ty).unwrap();
    bytes.pop(); // nil
    bytes.extend_from_slice(&[0x81, 0xaa]);
    bytes.extend_from_slice(b"subnet_ids");
    bytes.extend_from_slice(&[0x93, 0xa1, b'a', 0xa1, b'b', 0xc3]);
    let err = msgpack::decode(&bytes, &ty).unwrap_err();
    assert_eq!(
        err.message,
        "at .network.subnet_ids[2]: expected string, got bool"
    );

    let err = json::decode(br#"{"network":{"tags":{"k":"maybe"}}}"#, &ty).unwrap_err();
    assert_eq!(
        err.message,
        r#"at .network.tags["k"]: expected bool, got string "maybe""#
    );
}

#[test]
fn malformed_msgpack_is_an_error() {
    let list = Type::list(Type::String);
    assert!(msgpack::decode(&[], &Type::String).is_err());
    assert!(msgpack::decode(&[0xc0, 0xc0], &Type::String)
        .unwrap_err()
        .message
        .contains("after the value"));
    assert!(msgpack::decode(&[0x92, 0xa1, b'a'], &list)
        .unwrap_err()
        .message
        .contains("end of msgpack"));
    assert!(msgpack::decode(&[0xa2, 0xff, 0xfe], &Type::String)
        .unwrap_err()
        .message
        .contains("UTF-8"));
    assert!(msgpack::decode(&[0xc1], &Type::String).is_err());
    assert!(msgpack::decode(&[0x92, 0xc3, 0xc2], &Type::Tuple(vec![Type::Bool])).is_err());
    // A dynamic value's type JSON must parse.
    assert!(msgpack::decode(&[0x92, 0xc4, 1, b'x', 0xc0], &Type::Dynamic).is_err());
    // ext 12 whose payload is not a map.
    assert!(msgpack::decode(&[0xd4, 0x0c, 0x01], &Type::String).is_err());
}

#[test]
fn encoding_checks_conformance() {
    assert!(msgpack::encode(&Value::string("1"), &Type::Number).is_err());
    assert!(msgpack::encode(&Value::Tuple(vec![]), &Type::Tuple(vec![Type::Bool])).is_err());
    assert!(msgpack::encode(&Value::string("x"), &Type::Dynamic).is_err());
    assert!(json::encode(&Value::unknown(), &Type::String).is_err());
    let with_unknown = Value::List(vec![Value::unknown()]);
    let err = json::encode(&with_unknown, &Type::list(Type::String)).unwrap_err();
    assert!(err.message.starts_with("at [0]:"), "{err}");
}

#[test]
fn json_is_lenient_like_cty() {
    assert_eq!(
        json::decode(br#""12""#, &Type::Number).unwrap(),
        Value::int(12)
    );
    assert_eq!(
        json::decode(br#""true""#, &Type::Bool).unwrap(),
        Value::Bool(true)
    );
    assert_eq!(
        json::decode(b"1.50", &Type::String).unwrap(),
        Value::string("1.50")
    );
    assert_eq!(
        json::decode(b"false", &Type::String).unwrap(),
        Value::string("false")
    );
    assert!(json::decode(br#""yes""#, &Type::Bool).is_err());
    assert!(json::decode(b"[1]", &Type::Tuple(vec![])).is_err());
    assert!(json::decode(b"{} x", &Type::map(Type::String)).is_err());
}

#[test]
fn sets_decode_canonically() {
    let ty = Type::set(Type::String);
    let a = msgpack::decode(&[0x93, 0xa1, b'b', 0xa1, b'a', 0xa1, b'b'], &ty).unwrap();
    let b = json::decode(br#"["a","b"]"#, &ty).unwrap();
    assert_eq!(a, b);
    assert_eq!(a, Value::set_of([Value::string("b"), Value::string("a")]));
    assert_eq!(a.elements().len(), 2);
}

#[test]
fn collections_vectors() {
    let map = Value::Map(BTreeMap::from([
        ("b".into(), Value::int(2)),
        ("a".into(), Value::int(1)),
    ]));
    let bytes = msgpack::encode(&map, &Type::map(Type::Number)).unwrap();
    assert_eq!(bytes, [0x82, 0xa1, b'a', 0x01, 0xa1, b'b', 0x02]);
    let tuple = Value::Tuple(vec![Value::Bool(true), Value::string("x")]);
    let bytes = msgpack::encode(&tuple, &Type::Tuple(vec![Type::Bool, Type::String])).unwrap();
    assert_eq!(bytes, [0x92, 0xc3, 0xa1, b'x']);
}
