//! Fixture readers shared by the rules crate's tests: AWS-shaped JSON to snapshot parts.

use serde_json::Value;
use warden_rules::snapshot::{AttachedPolicy, ExecutionRole, InlinePolicy, Readable};

/// `{"unreadable": CODE}` as the read `operation` failing with `CODE`.
pub fn unreadable<T>(v: &Value, operation: &str) -> Option<Readable<T>> {
    v.get("unreadable")
        .and_then(Value::as_str)
        .map(|code| Readable::Unreadable {
            operation: operation.to_owned(),
            error_code: code.to_owned(),
        })
}

/// The string at `key`, when there is one.
pub fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

/// A policy document given as an object or as its JSON text; unreadable as `operation`.
pub fn document(v: &Value, operation: &str) -> Readable<String> {
    unreadable(v, operation).unwrap_or_else(|| {
        Readable::read(match v {
            Value::String(s) => s.clone(),
            doc => doc.to_string(),
        })
    })
}

/// The execution role in `GetRole` / `ListAttachedRolePolicies` / `GetPolicyVersion` /
/// `GetRolePolicy` shapes: `{"RoleName", "Arn", "AssumeRolePolicyDocument", "AttachedPolicies":
/// [{"PolicyName", "PolicyArn", "Document"}], "RolePolicies": [{"PolicyName",
/// "PolicyDocument"}]}`; `null` for none; `{"unreadable": CODE}` at any level.
pub fn execution_role(r: &Value) -> Readable<Option<ExecutionRole>> {
    if r.is_null() {
        return Readable::read(None);
    }
    if let Some(u) = unreadable(r, "GetRole") {
        return u;
    }
    let attached =
        unreadable(&r["AttachedPolicies"], "ListAttachedRolePolicies").unwrap_or_else(|| {
            Readable::read(
                r["AttachedPolicies"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .map(|p| AttachedPolicy {
                                arn: text(p, "PolicyArn").unwrap(),
                                name: text(p, "PolicyName").unwrap(),
                                document: document(&p["Document"], "GetPolicyVersion"),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            )
        });
    let inline = unreadable(&r["RolePolicies"], "ListRolePolicies").unwrap_or_else(|| {
        Readable::read(
            r["RolePolicies"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|p| InlinePolicy {
                            name: text(p, "PolicyName").unwrap(),
                            document: document(&p["PolicyDocument"], "GetRolePolicy"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        )
    });
    Readable::read(Some(ExecutionRole {
        arn: text(r, "Arn").unwrap(),
        name: text(r, "RoleName").unwrap(),
        trust_policy: match &r["AssumeRolePolicyDocument"] {
            Value::String(s) => s.clone(),
            doc => doc.to_string(),
        },
        attached,
        inline,
    }))
}
