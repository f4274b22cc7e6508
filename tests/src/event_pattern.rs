//! A matcher for the subset of EventBridge event-pattern syntax lambda-warden's templates use,
//! so a test can check every rule pattern against every sample event (moto's
//! `TestEventPattern` returns an empty body, and AWS is out of reach).
//!
//! Semantics, from the EventBridge user guide
//! (<https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html>,
//! <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html>):
//! fields of a pattern object are ANDed; the values in a field's array are ORed; a nested object
//! matches the event's object at that field; an event array matches when any element matches;
//! a field the event lacks matches only `{"exists": false}`. Supported operators: exact values
//! (string, number, boolean, null), `prefix`, `suffix` (each also with `equals-ignore-case`),
//! `equals-ignore-case`, `anything-but` (a value, a list, or `prefix`/`suffix`/
//! `equals-ignore-case`/`wildcard`), `exists`, `numeric`, `wildcard`, and `$or`. Anything else
//! (e.g. `cidr`) is an error, never a silent match.

use serde_json::{Map, Value};
use thiserror::Error;

/// A pattern this matcher does not understand.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unsupported event pattern at {path}: {what}")]
pub struct PatternError {
    /// Where in the pattern, e.g. `detail.eventName[2]`.
    pub path: String,
    /// What was found.
    pub what: String,
}

fn err(path: &str, what: impl Into<String>) -> PatternError {
    PatternError {
        path: path.to_owned(),
        what: what.into(),
    }
}

/// Whether `event` matches `pattern`.
///
/// # Errors
/// [`PatternError`] when the pattern uses syntax outside the supported subset.
pub fn matches(pattern: &Value, event: &Value) -> Result<bool, PatternError> {
    match pattern {
        Value::Object(p) => {
            // Check the whole pattern first, so unsupported syntax is reported even where an
            // earlier field already decided the match.
            validate(p, "")?;
            object(p, event, "")
        }
        other => Err(err("$", format!("a pattern is an object, found {other}"))),
    }
}

fn validate(pattern: &Map<String, Value>, path: &str) -> Result<(), PatternError> {
    for (key, p) in pattern {
        let here = join(path, key);
        match (key.as_str(), p) {
            ("$or", Value::Array(alternatives)) => {
                for (i, alt) in alternatives.iter().enumerate() {
                    match alt {
                        Value::Object(alt) => validate(alt, path)?,
                        _ => return Err(err(&format!("{here}[{i}]"), "not an object")),
                    }
                }
            }
            ("$or", _) => return Err(err(&here, "$or takes an array of patterns")),
            (_, Value::Object(nested)) => validate(nested, &here)?,
            (_, Value::Array(matchers)) => {
                for (i, m) in matchers.iter().enumerate() {
                    one(m, &Value::Null, &format!("{here}[{i}]"))?;
                }
            }
            (_, other) => {
                return Err(err(
                    &here,
                    format!("expected an array or object, found {other}"),
                ))
            }
        }
    }
    Ok(())
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn object(pattern: &Map<String, Value>, event: &Value, path: &str) -> Result<bool, PatternError> {
    for (key, p) in pattern {
        let here = join(path, key);
        let ok = match p {
            Value::Array(alternatives) if key == "$or" => {
                let mut any = false;
                for alt in alternatives.iter().filter_map(Value::as_object) {
                    any |= object(alt, event, path)?;
                }
                any
            }
            Value::Object(nested) => match event.get(key) {
                Some(v @ Value::Object(_)) => object(nested, v, &here)?,
                _ => false,
            },
            Value::Array(matchers) => leaf(matchers, event.get(key), &here)?,
            _ => false, // rejected by validate
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn leaf(matchers: &[Value], value: Option<&Value>, path: &str) -> Result<bool, PatternError> {
    let mut any = false;
    for (i, m) in matchers.iter().enumerate() {
        let at = format!("{path}[{i}]");
        let ok = match value {
            None => matches_absent(m),
            Some(Value::Array(items)) => {
                let mut hit = false;
                for item in items {
                    hit |= one(m, item, &at)?;
                }
                hit || exists_true(m)
            }
            Some(v) => one(m, v, &at)?,
        };
        any |= ok;
    }
    Ok(any)
}

fn exists_true(m: &Value) -> bool {
    m.get("exists") == Some(&Value::Bool(true))
}

fn matches_absent(m: &Value) -> bool {
    m.get("exists") == Some(&Value::Bool(false))
}

fn text<'a>(v: &'a Value, path: &str, op: &str) -> Result<&'a str, PatternError> {
    v.as_str()
        .ok_or_else(|| err(path, format!("{op} takes a string, found {v}")))
}

/// `prefix`/`suffix` take a string or `{"equals-ignore-case": "..."}`.
fn affix(
    arg: &Value,
    value: &str,
    path: &str,
    op: &str,
    test: fn(&str, &str) -> bool,
) -> Result<bool, PatternError> {
    match arg {
        Value::String(s) => Ok(test(value, s)),
        Value::Object(o) if o.len() == 1 && o.contains_key("equals-ignore-case") => {
            let s = text(&o["equals-ignore-case"], path, op)?;
            Ok(test(&value.to_lowercase(), &s.to_lowercase()))
        }
        other => Err(err(path, format!("{op} takes a string, found {other}"))),
    }
}

/// EventBridge `wildcard`: `*` matches any run of characters (including none).
fn wildcard(pattern: &str, value: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if parts.len() == 1 {
        return pattern == value;
    }
    if !value.starts_with(first) || !value[first.len()..].ends_with(last) {
        return false;
    }
    let mut rest = &value[first.len()..value.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(at) => rest = &rest[at + middle.len()..],
            None => return false,
        }
    }
    true
}

fn numeric(args: &[Value], value: f64, path: &str) -> Result<bool, PatternError> {
    if args.is_empty() || !args.len().is_multiple_of(2) {
        return Err(err(path, "numeric takes operator/number pairs"));
    }
    let mut ok = true;
    for pair in args.chunks(2) {
        let op = text(&pair[0], path, "numeric")?;
        let n = pair[1]
            .as_f64()
            .ok_or_else(|| err(path, format!("numeric bound {} is not a number", pair[1])))?;
        ok &= match op {
            "=" => value == n,
            "<" => value < n,
            "<=" => value <= n,
            ">" => value > n,
            ">=" => value >= n,
            other => return Err(err(path, format!("numeric operator {other:?}"))),
        };
    }
    Ok(ok)
}

fn one(m: &Value, v: &Value, path: &str) -> Result<bool, PatternError> {
    let Value::Object(op) = m else {
        // Exact value: strings, numbers (compared numerically), booleans, null.
        return Ok(match (m, v) {
            (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
            _ => m == v,
        });
    };
    if op.len() != 1 {
        return Err(err(
            path,
            format!("an operator object has one key, found {m}"),
        ));
    }
    let (name, arg) = op
        .iter()
        .next()
        .ok_or_else(|| err(path, "empty operator"))?;
    let s = v.as_str();
    Ok(match name.as_str() {
        "exists" => match arg {
            Value::Bool(true) => true,
            Value::Bool(false) => false,
            other => return Err(err(path, format!("exists takes a boolean, found {other}"))),
        },
        "prefix" => {
            let ok = affix(arg, s.unwrap_or(""), path, "prefix", |v, p| {
                v.starts_with(p)
            })?;
            s.is_some() && ok
        }
        "suffix" => {
            let ok = affix(arg, s.unwrap_or(""), path, "suffix", |v, p| v.ends_with(p))?;
            s.is_some() && ok
        }
        "equals-ignore-case" => {
            let want = text(arg, path, "equals-ignore-case")?;
            s.is_some_and(|s| s.to_lowercase() == want.to_lowercase())
        }
        "wildcard" => {
            let want = text(arg, path, "wildcard")?;
            s.is_some_and(|s| wildcard(want, s))
        }
        "numeric" => {
            let Value::Array(args) = arg else {
                return Err(err(path, "numeric takes an array"));
            };
            match v.as_f64() {
                Some(n) => numeric(args, n, path)?,
                None => {
                    numeric(args, 0.0, path)?;
                    false
                }
            }
        }
        "anything-but" => match arg {
            Value::Array(values) => !values.iter().any(|x| one(x, v, path).unwrap_or(false)),
            Value::Object(inner) => {
                if inner.len() != 1 {
                    return Err(err(path, "anything-but takes one operator"));
                }
                let (inner_name, _) = inner.iter().next().ok_or_else(|| err(path, "empty"))?;
                if !["prefix", "suffix", "equals-ignore-case", "wildcard"]
                    .contains(&inner_name.as_str())
                {
                    return Err(err(path, format!("anything-but with {inner_name}")));
                }
                s.is_some() && !one(arg, v, path)?
            }
            scalar => !one(scalar, v, path)?,
        },
        other => return Err(err(path, format!("operator {other:?} is not supported"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Examples from the EventBridge user guide's pattern and operator pages, with the
    /// outcome the guide gives.
    #[test]
    fn documented_examples() {
        let ec2 = json!({
            "version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
            "detail-type": "EC2 Instance State-change Notification", "source": "aws.ec2",
            "account": "111122223333", "time": "2017-12-22T18:43:48Z", "region": "us-west-1",
            "resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
            "detail": {"instance-id": "i-1234567890abcdef0", "state": "terminated",
                       "c-count": 5, "d-count": 3, "x-limit": 301.8,
                       "source-ip": "10.0.0.33", "FileName": "image.PNG"}
        });
        let rows: Vec<(&str, Value, bool)> = vec![
            ("exact source", json!({"source": ["aws.ec2"]}), true),
            ("exact, other source", json!({"source": ["aws.s3"]}), false),
            (
                "OR within a field",
                json!({"source": ["aws.s3", "aws.ec2"]}),
                true,
            ),
            (
                "AND across fields",
                json!({"source": ["aws.ec2"], "detail-type": ["EC2 Instance State-change Notification"]}),
                true,
            ),
            (
                "AND with one false",
                json!({"source": ["aws.ec2"], "region": ["eu-west-1"]}),
                false,
            ),
            (
                "nested detail",
                json!({"detail": {"state": ["terminated"]}}),
                true,
            ),
            ("prefix", json!({"time": [{"prefix": "2017-12-22"}]}), true),
            ("prefix miss", json!({"time": [{"prefix": "2018"}]}), false),
            (
                "suffix ignoring case",
                json!({"detail": {"FileName": [{"suffix": {"equals-ignore-case": ".png"}}]}}),
                true,
            ),
            (
                "suffix is case-sensitive",
                json!({"detail": {"FileName": [{"suffix": ".png"}]}}),
                false,
            ),
            (
                "anything-but string",
                json!({"detail": {"state": [{"anything-but": "initializing"}]}}),
                true,
            ),
            (
                "anything-but list",
                json!({"detail": {"state": [{"anything-but": ["stopped", "terminated"]}]}}),
                false,
            ),
            (
                "anything-but prefix",
                json!({"region": [{"anything-but": {"prefix": "us-"}}]}),
                false,
            ),
            (
                "numeric range",
                json!({"detail": {"c-count": [{"numeric": [">", 0, "<=", 5]}]}}),
                true,
            ),
            (
                "numeric out of range",
                json!({"detail": {"d-count": [{"numeric": ["<", 3]}]}}),
                false,
            ),
            (
                "numeric equals",
                json!({"detail": {"x-limit": [{"numeric": ["=", 301.8]}]}}),
                true,
            ),
            (
                "exists true",
                json!({"detail": {"state": [{"exists": true}]}}),
                true,
            ),
            (
                "exists false on a present field",
                json!({"detail": {"state": [{"exists": false}]}}),
                false,
            ),
            (
                "exists false on an absent field",
                json!({"detail": {"errorCode": [{"exists": false}]}}),
                true,
            ),
            (
                "absent field, exact value",
                json!({"detail": {"errorCode": ["AccessDenied"]}}),
                false,
            ),
            (
                "array in the event: any element",
                json!({"resources": ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"]}),
                true,
            ),
            (
                "wildcard",
                json!({"resources": [{"wildcard": "arn:aws:ec2:*:instance/*"}]}),
                true,
            ),
            (
                "equals-ignore-case",
                json!({"source": [{"equals-ignore-case": "AWS.EC2"}]}),
                true,
            ),
            (
                "$or",
                json!({"$or": [{"detail": {"c-count": [{"numeric": [">", 10]}]}}, {"detail": {"d-count": [3]}}]}),
                true,
            ),
            (
                "$or none",
                json!({"$or": [{"source": ["aws.s3"]}, {"region": ["eu-west-1"]}]}),
                false,
            ),
        ];
        for (name, pattern, want) in rows {
            assert_eq!(matches(&pattern, &ec2), Ok(want), "{name}");
        }
    }

    #[test]
    fn unsupported_syntax_is_an_error_not_a_match() {
        let event = json!({"detail": {"source-ip": "10.0.0.33"}});
        let e = matches(
            &json!({"detail": {"source-ip": [{"cidr": "10.0.0.0/24"}]}}),
            &event,
        )
        .unwrap_err();
        assert_eq!(e.path, "detail.source-ip[0]");
        assert!(matches(&json!({"source": "aws.ec2"}), &event).is_err());
        assert!(matches(&json!(["aws.ec2"]), &event).is_err());
        // Reported even when an earlier field already failed to match.
        let e = matches(
            &json!({"source": ["aws.s3"], "detail": {"x": [{"cidr": "1"}]}}),
            &json!({}),
        );
        assert!(e.is_err(), "{e:?}");
    }

    #[test]
    fn wildcards() {
        for (p, v, want) in [
            ("a*", "abc", true),
            ("*c", "abc", true),
            ("a*c", "abbbc", true),
            ("a*b*c", "axbyc", true),
            ("a*b*c", "axyc", false),
            ("abc", "abc", true),
            ("*", "", true),
            ("a*a", "a", false),
        ] {
            assert_eq!(wildcard(p, v), want, "{p} ~ {v}");
        }
    }
}
