//! The direct parse of a policy document's text into the model, without building a
//! `serde_json::Value` of the whole document first: each element is read straight into the
//! model's types, and each statement keeps its own text ([`Statement::raw_json`]).
//!
//! It gives exactly what the value path of [`ResourcePolicy::parse`] gives, or nothing: any
//! shape it does not take as it is (a field of another type, a repeated key, an escaped
//! element name, a member the model does not read, a statement that is not an object, more
//! than [`MAX_KEYS`] keys in one map) makes it answer `None`, and the caller
//! then parses through a `Value`, which reports the structured error or resolves the
//! repeated key as `serde_json` does (the last one wins). The tests of this module and
//! `tests/policy_parse_paths.rs` hold both paths to the same result.

use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::condition::{Condition, ConditionKey, ConditionOperator};
use super::model::{bare_principal, Effect, Principal, PrincipalMap, ResourcePolicy, Statement};

/// The model of policy text `json`, or `None` when the value path must decide (see the
/// module documentation). The caller has already checked the size.
pub(super) fn parse(json: &str) -> Option<ResourcePolicy> {
    let doc: Document<Statements> = serde_json::from_str(json).ok()?;
    let statements = match doc.statement? {
        Statements::List(list) => list,
        // One statement object: read again, keeping its text.
        Statements::One => {
            let doc: Document<&RawValue> = serde_json::from_str(json).ok()?;
            vec![statement(doc.statement?)?]
        }
    };
    Some(ResourcePolicy {
        version: doc.version,
        id: doc.id,
        statements,
    })
}

fn statement(raw: &RawValue) -> Option<Statement> {
    let mut de = serde_json::Deserializer::from_str(raw.get());
    let mut s = StatementSeed.deserialize(&mut de).ok()?;
    s.raw_json = raw.get().into();
    Some(s)
}

/// `Statement` in one pass when it is a list (each element's text taken, then read); a
/// single statement object is only recognised, and read again by the caller.
enum Statements {
    List(Vec<Statement>),
    One,
}

impl<'de> de::Deserialize<'de> for Statements {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Statements;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a statement or a list of statements")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Statements, A::Error> {
                let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(4));
                while let Some(raw) = seq.next_element::<&RawValue>()? {
                    out.push(statement(raw).ok_or_else(undecided)?);
                }
                Ok(Statements::List(out))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Statements, A::Error> {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Statements::One)
            }
        }
        d.deserialize_any(V)
    }
}

/// The most principal types, operators or condition keys of one operator this parse checks
/// for repeats (by comparing each with the earlier ones); more are left to the value path,
/// whose map does it in constant time each. Policies AWS stores hold a handful.
const MAX_KEYS: usize = 32;

/// An error that only means "let the value path decide".
fn undecided<E: de::Error>() -> E {
    E::custom("left to the value path")
}

/// Sets `slot` once; a repeated key is undecided.
fn once<T, E: de::Error>(slot: &mut Option<T>, value: T) -> Result<(), E> {
    if slot.replace(value).is_some() {
        return Err(undecided());
    }
    Ok(())
}

/// The document: `Version` and `Id` (a string or null), and `Statement` as `S`.
struct Document<S> {
    version: Option<String>,
    id: Option<String>,
    statement: Option<S>,
}

impl<'de, S: de::Deserialize<'de>> de::Deserialize<'de> for Document<S> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<S>(std::marker::PhantomData<S>);
        impl<'de, S: de::Deserialize<'de>> Visitor<'de> for V<S> {
            type Value = Document<S>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a policy document object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let (mut version, mut id, mut statement) = (None, None, None);
                while let Some(key) = map.next_key::<&str>()? {
                    match key {
                        "Version" => once(&mut version, map.next_value::<Option<String>>()?)?,
                        "Id" => once(&mut id, map.next_value::<Option<String>>()?)?,
                        "Statement" => once(&mut statement, map.next_value::<S>()?)?,
                        // Skipping a member checks less than reading it (number range,
                        // surrogates, nesting depth): the value path decides.
                        _ => return Err(undecided()),
                    }
                }
                Ok(Document {
                    version: version.flatten(),
                    id: id.flatten(),
                    statement,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// One statement object, read into a [`Statement`] (without its text, which the caller adds).
struct StatementSeed;

impl<'de> DeserializeSeed<'de> for StatementSeed {
    type Value = Statement;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Statement, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for StatementSeed {
    type Value = Statement;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a statement object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Statement, A::Error> {
        let mut sid: Option<Option<String>> = None;
        let mut effect: Option<String> = None;
        let (mut principal, mut not_principal) = (None, None);
        let (mut action, mut not_action, mut resource, mut not_resource) = (None, None, None, None);
        let mut conditions = None;
        while let Some(key) = map.next_key::<&str>()? {
            match key {
                "Sid" => once(&mut sid, map.next_value::<Option<String>>()?)?,
                "Effect" => once(&mut effect, map.next_value::<String>()?)?,
                "Principal" => once(&mut principal, map.next_value_seed(PrincipalSeed)?)?,
                "NotPrincipal" => once(&mut not_principal, map.next_value_seed(PrincipalSeed)?)?,
                "Action" => once(&mut action, map.next_value_seed(StringsSeed)?)?,
                "NotAction" => once(&mut not_action, map.next_value_seed(StringsSeed)?)?,
                "Resource" => once(&mut resource, map.next_value_seed(StringsSeed)?)?,
                "NotResource" => once(&mut not_resource, map.next_value_seed(StringsSeed)?)?,
                "Condition" => once(&mut conditions, map.next_value_seed(ConditionsSeed)?)?,
                // As in the document: a member the model does not read is left to the value
                // path, so that everything this parse accepts it has read in full.
                _ => return Err(undecided()),
            }
        }
        Ok(Statement {
            sid: sid.flatten(),
            effect: match effect.as_deref() {
                None => Effect::Unknown(String::new()),
                Some("Allow") => Effect::Allow,
                Some("Deny") => Effect::Deny,
                Some(_) => Effect::Unknown(effect.unwrap_or_default()),
            },
            principal,
            not_principal,
            action: action.unwrap_or_default(),
            not_action: not_action.unwrap_or_default(),
            resource: resource.unwrap_or_default(),
            not_resource: not_resource.unwrap_or_default(),
            conditions: conditions.unwrap_or_default(),
            raw_json: Box::from(""),
        })
    }
}

/// A string or a list of strings, as a list.
struct StringsSeed;

impl<'de> DeserializeSeed<'de> for StringsSeed {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StringsSeed {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<String>, E> {
        Ok(vec![s.to_owned()])
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<Vec<String>, E> {
        Ok(vec![s])
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        while let Some(s) = seq.next_element::<String>()? {
            out.push(s);
        }
        Ok(out)
    }
}

/// `Principal` / `NotPrincipal`: `"*"`, a bare string, or a map of principal types.
struct PrincipalSeed;

impl<'de> DeserializeSeed<'de> for PrincipalSeed {
    type Value = Principal;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Principal, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for PrincipalSeed {
    type Value = Principal;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a principal")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Principal, E> {
        Ok(bare_principal(s))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Principal, A::Error> {
        let mut m = PrincipalMap::default();
        let mut seen: Vec<String> = Vec::new();
        while let Some(kind) = map.next_key::<String>()? {
            if seen.len() >= MAX_KEYS || seen.contains(&kind) {
                return Err(undecided());
            }
            m.add(&kind, map.next_value_seed(StringsSeed)?);
            seen.push(kind);
        }
        Ok(Principal::Map(m))
    }
}

/// `Condition`: operators to condition keys to values, flattened in document order.
struct ConditionsSeed;

impl<'de> DeserializeSeed<'de> for ConditionsSeed {
    type Value = Vec<Condition>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Condition>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ConditionsSeed {
    type Value = Vec<Condition>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a condition block")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Vec<Condition>, A::Error> {
        let mut out: Vec<Condition> = Vec::new();
        let mut operators: Vec<String> = Vec::new();
        while let Some(op) = map.next_key::<String>()? {
            if operators.len() >= MAX_KEYS || operators.contains(&op) {
                return Err(undecided());
            }
            let operator = ConditionOperator::parse(&op);
            let first = out.len();
            map.next_value_seed(KeysSeed {
                operator: &operator,
                out: &mut out,
            })?;
            // A condition key repeated under one operator: `serde_json` keeps the last.
            let added = &out[first..];
            if added.len() > MAX_KEYS
                || added
                    .iter()
                    .enumerate()
                    .any(|(i, c)| added[..i].iter().any(|d| d.key.as_str() == c.key.as_str()))
            {
                return Err(undecided());
            }
            operators.push(op);
        }
        Ok(out)
    }
}

/// The condition keys of one operator, appended to `out`.
struct KeysSeed<'o> {
    operator: &'o ConditionOperator,
    out: &'o mut Vec<Condition>,
}

impl<'de> DeserializeSeed<'de> for KeysSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for KeysSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("condition keys and values")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            let values = map.next_value_seed(ValuesSeed)?;
            self.out.push(Condition {
                operator: self.operator.clone(),
                key: ConditionKey::new(&key),
                values,
            });
        }
        Ok(())
    }
}

/// A condition value or a list of them, as text: strings as they are, booleans and numbers
/// as `serde_json` writes them.
struct ValuesSeed;

impl<'de> DeserializeSeed<'de> for ValuesSeed {
    type Value = Vec<String>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ValuesSeed {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("condition values")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(1));
        while let Some(v) = seq.next_element_seed(ScalarSeed)? {
            out.push(v);
        }
        Ok(out)
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<String>, E> {
        ScalarSeed.visit_str(s).map(|v| vec![v])
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<Vec<String>, E> {
        ScalarSeed.visit_bool(b).map(|v| vec![v])
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<Vec<String>, E> {
        ScalarSeed.visit_u64(n).map(|v| vec![v])
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<Vec<String>, E> {
        ScalarSeed.visit_i64(n).map(|v| vec![v])
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<Vec<String>, E> {
        ScalarSeed.visit_f64(n).map(|v| vec![v])
    }
}

/// One condition value as text.
struct ScalarSeed;

impl<'de> DeserializeSeed<'de> for ScalarSeed {
    type Value = String;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<String, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ScalarSeed {
    type Value = String;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string, boolean or number")
    }
    fn visit_str<E: de::Error>(self, s: &str) -> Result<String, E> {
        Ok(s.to_owned())
    }
    fn visit_string<E: de::Error>(self, s: String) -> Result<String, E> {
        Ok(s)
    }
    fn visit_bool<E: de::Error>(self, b: bool) -> Result<String, E> {
        Ok(b.to_string())
    }
    fn visit_u64<E: de::Error>(self, n: u64) -> Result<String, E> {
        Ok(serde_json::Number::from(n).to_string())
    }
    fn visit_i64<E: de::Error>(self, n: i64) -> Result<String, E> {
        Ok(serde_json::Number::from(n).to_string())
    }
    fn visit_f64<E: de::Error>(self, n: f64) -> Result<String, E> {
        serde_json::Number::from_f64(n)
            .map(|n| n.to_string())
            .ok_or_else(undecided)
    }
}
