//! The CloudTrail events AWS delivers for lambda-warden's own writes, so tests can feed each
//! write back to the handler as EventBridge would.
//!
//! Shapes follow `events/remove-permission-by-lambda-warden.json` (itself modelled on real
//! records): the EventBridge envelope, `detail.eventName` with the API-version suffix Lambda
//! logs (`RemovePermission20150331v2`, `AddPermission20150331v2`, `TagResource20170331v2`,
//! `UpdateFunctionUrlConfig` without one), `requestParameters` with the call's parameters in
//! camelCase, and for `AddPermission` the new statement as a JSON string in
//! `responseElements.statement`
//! (<https://docs.aws.amazon.com/lambda/latest/dg/logging-using-cloudtrail.html>).

use serde_json::{json, Value};
use warden_rules::grant::statement_from_grant;
use warden_rules::plan::Action;

use crate::events::load_event;
use crate::HarnessError;

/// Who made the call, as CloudTrail's `userIdentity` of an assumed role records it.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The IAM role name.
    pub role: String,
    /// The role session name (a Lambda function's own calls use the function name).
    pub session: String,
}

impl Caller {
    /// lambda-warden's function calling with its execution role.
    pub fn warden(role: &str, function: &str) -> Caller {
        Caller {
            role: role.to_owned(),
            session: function.to_owned(),
        }
    }

    /// A person signed in through a role, e.g. `ops-admin` / `jane`.
    pub fn human(role: &str, session: &str) -> Caller {
        Caller {
            role: role.to_owned(),
            session: session.to_owned(),
        }
    }
}

/// The event CloudTrail delivers for `action` made by `caller` in account `account`; `seq`
/// makes the event ids unique. `None` for an action that is not a Lambda API call recorded as
/// an `aws.lambda` event (none today: every [`Action`] is).
///
/// # Errors
/// [`HarnessError`] when the template event cannot be read.
pub fn event_for(action: &Action, caller: &Caller, seq: usize) -> Result<Value, HarnessError> {
    let mut event = load_event("remove-permission-by-lambda-warden.json")?;
    let (name, request, response) = match action {
        Action::RemovePermission { function, sid, .. } => (
            "RemovePermission20150331v2",
            json!({ "functionName": function.to_string(), "statementId": sid }),
            Value::Null,
        ),
        Action::AddPermission {
            function, grant, ..
        } => {
            let statement = statement_from_grant(grant, function);
            let mut request = json!({
                "functionName": function.to_string(),
                "statementId": grant.statement_id,
                "action": grant.action,
                "principal": grant.principal,
            });
            if let Some(a) = &grant.source_arn {
                request["sourceArn"] = json!(a);
            }
            if let Some(a) = &grant.source_account {
                request["sourceAccount"] = json!(a.as_str());
            }
            if let Some(t) = &grant.function_url_auth_type {
                request["functionUrlAuthType"] = json!(t);
            }
            (
                "AddPermission20150331v2",
                request,
                json!({ "statement": statement.to_string() }),
            )
        }
        Action::RequireIamAuth { function, .. } => (
            "UpdateFunctionUrlConfig",
            json!({ "functionName": function.to_string(), "authType": "AWS_IAM" }),
            json!({ "functionArn": function.to_string(), "authType": "AWS_IAM" }),
        ),
        Action::SetUrlAuthType {
            function,
            auth_type,
        } => (
            "UpdateFunctionUrlConfig",
            json!({ "functionName": function.to_string(), "authType": auth_type }),
            json!({ "functionArn": function.to_string(), "authType": auth_type }),
        ),
        Action::TagResource { resource, tags } => (
            "TagResource20170331v2",
            json!({ "resource": resource.to_string(), "tags": tags }),
            Value::Null,
        ),
    };
    let account = event["account"]
        .as_str()
        .unwrap_or("123456789012")
        .to_owned();
    let detail = &mut event["detail"];
    detail["eventName"] = json!(name);
    detail["requestParameters"] = request;
    detail["responseElements"] = response;
    detail["eventID"] = json!(format!("replay-{seq:04}-{name}"));
    detail["requestID"] = json!(format!("replay-request-{seq:04}"));
    let identity = &mut detail["userIdentity"];
    identity["arn"] = json!(format!(
        "arn:aws:sts::{account}:assumed-role/{}/{}",
        caller.role, caller.session
    ));
    identity["principalId"] = json!(format!("AROAEXAMPLEREPLAY0001:{}", caller.session));
    identity["sessionContext"]["sessionIssuer"]["arn"] =
        json!(format!("arn:aws:iam::{account}:role/{}", caller.role));
    identity["sessionContext"]["sessionIssuer"]["userName"] = json!(caller.role);
    event["id"] = json!(format!("replay-envelope-{seq:04}"));
    Ok(event)
}
