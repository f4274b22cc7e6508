//! Turning a policy statement back into the `AddPermission` call that would write it.
//!
//! Lambda has no `PutPolicy`: the only way to tighten a statement is `RemovePermission` then
//! `AddPermission` with the same `Sid`. That is safe only when `AddPermission` can express every
//! part of the statement; otherwise the tighter form would silently drop a condition, so the
//! fix is withheld. The mapping of `AddPermission` parameters to statement elements is the one
//! AWS documents for the resulting policy
//! (<https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html>,
//! <https://docs.aws.amazon.com/lambda/latest/dg/access-control-resource-based.html>):
//! `SourceArn` → `ArnLike` on `AWS:SourceArn`; `SourceAccount` → `StringEquals` on
//! `AWS:SourceAccount`; `PrincipalOrgID` → `StringEquals` on `aws:PrincipalOrgID`;
//! `EventSourceToken` → `StringEquals` on `lambda:EventSourceToken`; `FunctionUrlAuthType` →
//! `StringEquals` on `lambda:FunctionUrlAuthType`; `InvokedViaFunctionUrl` → `Bool` on
//! `lambda:InvokedViaFunctionUrl`.

use serde::Serialize;
use serde_json::{json, Map, Value};
use thiserror::Error;

use crate::findings::PermissionGrant;
use crate::ids::{AccountId, FunctionArn, Qualifier};
use crate::policy::{keys, Condition, Effect, OperatorBase, Principal, Statement};

/// Why a statement cannot be rewritten through `AddPermission` without losing meaning.
#[derive(Debug, Clone, PartialEq, Eq, Error, Serialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum NotExpressible {
    /// Lambda requires a `Sid` on every statement it writes.
    #[error("the statement has no Sid")]
    NoSid,
    /// `AddPermission` writes only `Allow` statements.
    #[error("the statement is not an Allow statement")]
    NotAllow,
    /// `AddPermission` takes exactly one action and no `NotAction`.
    #[error("the statement has {count} actions or a NotAction; AddPermission takes exactly one")]
    Actions {
        /// How many actions the statement lists.
        count: usize,
    },
    /// `AddPermission` takes one principal and no `NotPrincipal`.
    #[error("the statement's principal is not a single value AddPermission can take")]
    Principal,
    /// A condition AddPermission cannot write.
    #[error("condition {operator} on {key} cannot be written by AddPermission")]
    Condition {
        /// The condition operator as written.
        operator: String,
        /// The condition key as written.
        key: String,
    },
}

fn single(values: &[String]) -> Option<&str> {
    match values {
        [v] => Some(v.as_str()),
        _ => None,
    }
}

fn principal_argument(stmt: &Statement) -> Result<String, NotExpressible> {
    if stmt.not_principal.is_some() {
        return Err(NotExpressible::Principal);
    }
    match &stmt.principal {
        Some(Principal::Wildcard) => Ok("*".to_owned()),
        Some(Principal::Map(m)) => {
            let others = m.federated.len() + m.canonical_user.len() + m.other.len();
            match (m.aws.as_slice(), m.service.as_slice(), others) {
                ([aws], [], 0) => {
                    // AWS writes an account principal as `arn:aws:iam::ACCOUNT:root`;
                    // AddPermission takes the bare account id for it.
                    let account = aws
                        .strip_prefix("arn:")
                        .and_then(|rest| rest.split_once(":iam::"))
                        .and_then(|(_, tail)| tail.strip_suffix(":root"))
                        .filter(|a| AccountId::parse(a).is_ok());
                    Ok(account.map_or_else(|| aws.clone(), str::to_owned))
                }
                ([], [service], 0) => Ok(service.clone()),
                _ => Err(NotExpressible::Principal),
            }
        }
        None => Err(NotExpressible::Principal),
    }
}

fn plain(c: &Condition, base: OperatorBase) -> bool {
    c.operator.base == base && !c.operator.if_exists && c.operator.set.is_none()
}

/// The `AddPermission` arguments that would write `stmt` again, in `qualifier`'s policy.
///
/// # Errors
/// [`NotExpressible`] naming the part of the statement `AddPermission` cannot write.
pub fn grant_from_statement(
    stmt: &Statement,
    qualifier: Option<&Qualifier>,
) -> Result<PermissionGrant, NotExpressible> {
    let sid = stmt.sid.clone().ok_or(NotExpressible::NoSid)?;
    if stmt.effect != Effect::Allow {
        return Err(NotExpressible::NotAllow);
    }
    let action = match (stmt.action.as_slice(), stmt.not_action.is_empty()) {
        ([a], true) => a.clone(),
        (list, _) => {
            return Err(NotExpressible::Actions {
                count: list.len() + stmt.not_action.len(),
            })
        }
    };
    let mut grant = PermissionGrant {
        statement_id: sid,
        action,
        principal: principal_argument(stmt)?,
        source_arn: None,
        source_account: None,
        principal_org_id: None,
        event_source_token: None,
        function_url_auth_type: None,
        invoked_via_function_url: None,
        qualifier: qualifier.cloned(),
    };
    for c in &stmt.conditions {
        let unsupported = || NotExpressible::Condition {
            operator: c.operator.to_string(),
            key: c.key.as_str().to_owned(),
        };
        let value = single(&c.values).ok_or_else(unsupported)?.to_owned();
        let arn_op = plain(c, OperatorBase::ArnLike) || plain(c, OperatorBase::ArnEquals);
        let string_eq = plain(c, OperatorBase::StringEquals);
        if c.key.is(keys::SOURCE_ARN) && arn_op && grant.source_arn.is_none() {
            grant.source_arn = Some(value);
        } else if c.key.is(keys::SOURCE_ACCOUNT) && string_eq && grant.source_account.is_none() {
            grant.source_account = Some(AccountId::parse(&value).map_err(|_| unsupported())?);
        } else if c.key.is(keys::PRINCIPAL_ORG_ID) && string_eq && grant.principal_org_id.is_none()
        {
            grant.principal_org_id = Some(value);
        } else if c.key.is(keys::EVENT_SOURCE_TOKEN)
            && string_eq
            && grant.event_source_token.is_none()
        {
            grant.event_source_token = Some(value);
        } else if c.key.is(keys::FUNCTION_URL_AUTH_TYPE)
            && string_eq
            && grant.function_url_auth_type.is_none()
        {
            grant.function_url_auth_type = Some(value);
        } else if c.key.is(keys::INVOKED_VIA_FUNCTION_URL)
            && plain(c, OperatorBase::Bool)
            && grant.invoked_via_function_url.is_none()
        {
            grant.invoked_via_function_url = Some(value.eq_ignore_ascii_case("true"));
        } else {
            return Err(unsupported());
        }
    }
    Ok(grant)
}

/// The statement AWS writes into the policy for an `AddPermission` call, in the shape
/// `GetPolicy` returns it: an account principal as `{"AWS": "arn:PARTITION:iam::ACCOUNT:root"}`,
/// a service as `{"Service": ...}`, `*` as `"*"`, and each parameter as the condition listed
/// in this module's documentation. `Resource` is the function ARN (qualified for an alias or
/// version policy). Used to show what a replacement looks like and to check plans offline.
pub fn statement_from_grant(grant: &PermissionGrant, function: &FunctionArn) -> Value {
    let p = grant.principal.as_str();
    let principal = if p == "*" {
        json!("*")
    } else if AccountId::parse(p).is_ok() {
        json!({ "AWS": format!("arn:{}:iam::{p}:root", function.partition) })
    } else if p.starts_with("arn:") {
        json!({ "AWS": p })
    } else {
        json!({ "Service": p })
    };
    let mut conditions: Map<String, Value> = Map::new();
    let mut put = |op: &str, key: &str, value: Value| {
        let entry = conditions
            .entry(op.to_owned())
            .or_insert_with(|| Value::Object(Map::new()));
        if let Value::Object(inner) = entry {
            inner.insert(key.to_owned(), value);
        }
    };
    if let Some(a) = &grant.source_account {
        put("StringEquals", "AWS:SourceAccount", json!(a.as_str()));
    }
    if let Some(o) = &grant.principal_org_id {
        put("StringEquals", "aws:PrincipalOrgID", json!(o));
    }
    if let Some(t) = &grant.event_source_token {
        put("StringEquals", "lambda:EventSourceToken", json!(t));
    }
    if let Some(t) = &grant.function_url_auth_type {
        put("StringEquals", "lambda:FunctionUrlAuthType", json!(t));
    }
    if let Some(a) = &grant.source_arn {
        put("ArnLike", "AWS:SourceArn", json!(a));
    }
    if let Some(v) = grant.invoked_via_function_url {
        put("Bool", "lambda:InvokedViaFunctionUrl", json!(v.to_string()));
    }
    let resource = FunctionArn {
        qualifier: grant.qualifier.clone(),
        ..function.unqualified()
    };
    let mut stmt = json!({
        "Sid": grant.statement_id,
        "Effect": "Allow",
        "Principal": principal,
        "Action": grant.action,
        "Resource": resource.to_string(),
    });
    if !conditions.is_empty() {
        stmt["Condition"] = Value::Object(conditions);
    }
    stmt
}
