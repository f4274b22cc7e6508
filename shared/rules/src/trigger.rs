//! EventBridge envelope JSON → [`Trigger`]: which CloudTrail event arrived, who made the call,
//! and which function it is about.
//!
//! Parsing is lenient: the JSON is walked by hand, unknown fields are ignored, and only what the
//! later steps need is validated. Real CloudTrail records omit many fields, set
//! `requestParameters`/`responseElements` to `null` on failed calls, and arrive in three shapes
//! (see [`EnvelopeShape`]). The event says *which* function changed, never its full state: the
//! adapter fetches the live configuration afterwards.
//!
//! Sources:
//! - EventBridge envelope of CloudTrail events (`detail-type` "AWS API Call via CloudTrail"):
//!   <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-service-event.html>
//! - CloudTrail record contents (`eventID`, `recipientAccountId`, `errorCode`, ...):
//!   <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html>
//! - `userIdentity` element: <https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html>
//! - Lambda `FunctionName` forms: <https://docs.aws.amazon.com/lambda/latest/api/API_AddPermission.html#lambda-AddPermission-request-FunctionName>

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;
use serde_json::{Map, Value};
use thiserror::Error;

use crate::event_name::{EventName, LambdaApi};
use crate::ids::{
    AccountId, ArnDefaults, FunctionArn, FunctionRef, IdError, LayerVersionArn, Qualifier, RoleArn,
};

/// The `detail-type` EventBridge gives CloudTrail management events of API calls.
pub const CLOUDTRAIL_DETAIL_TYPE: &str = "AWS API Call via CloudTrail";

/// The largest `detail` delivered as a JSON string that is decoded, in bytes (1 MiB). A
/// CloudTrail record is far smaller (EventBridge events are at most 256 KiB:
/// <https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html>).
pub const DETAIL_STRING_LIMIT: usize = 1024 * 1024;

/// Longest excerpt of an input value kept in an error, in characters.
const VALUE_EXCERPT_CHARS: usize = 200;

/// The JSON type of a value, as named in error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JsonType {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// An object.
    Object,
}

impl JsonType {
    /// The type of `value`.
    pub fn of(value: &Value) -> JsonType {
        match value {
            Value::Null => JsonType::Null,
            Value::Bool(_) => JsonType::Bool,
            Value::Number(_) => JsonType::Number,
            Value::String(_) => JsonType::String,
            Value::Array(_) => JsonType::Array,
            Value::Object(_) => JsonType::Object,
        }
    }

    /// `null`, `bool`, `number`, `string`, `array` or `object`.
    pub fn as_str(&self) -> &'static str {
        match self {
            JsonType::Null => "null",
            JsonType::Bool => "bool",
            JsonType::Number => "number",
            JsonType::String => "string",
            JsonType::Array => "array",
            JsonType::Object => "object",
        }
    }
}

impl fmt::Display for JsonType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An event that cannot be understood. Every variant names the JSON path (dotted, relative to
/// the delivered document; `$` is the document itself) and what was expected and found.
///
/// All are permanent: the same bytes fail the same way on every retry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EventError {
    /// A value that must be a JSON object is something else.
    #[error("{path}: expected a JSON object, found {found}")]
    NotAnObject {
        /// Where, e.g. `detail` or `$`.
        path: String,
        /// The type found.
        found: JsonType,
    },
    /// A required field is absent or `null`.
    #[error("{path}: required field is missing")]
    MissingField {
        /// Where, e.g. `detail.eventName`.
        path: String,
    },
    /// A field has the wrong JSON type.
    #[error("{path}: expected {expected}, found {found}")]
    WrongType {
        /// Where, e.g. `detail.requestParameters.functionName`.
        path: String,
        /// What was expected, e.g. `a string`.
        expected: &'static str,
        /// The type found.
        found: JsonType,
    },
    /// A field has the right type but a value of the wrong shape.
    #[error("{path}: {value:?} is not {expected}")]
    InvalidValue {
        /// Where, e.g. `detail.awsRegion`.
        path: String,
        /// The value (an excerpt when long).
        value: String,
        /// What was expected, e.g. `an AWS Region code such as us-east-1`.
        expected: &'static str,
    },
    /// `detail` was a string, but not a JSON document.
    #[error("{path}: the string is not a JSON document: {reason}")]
    DetailNotJson {
        /// Where: `detail`.
        path: String,
        /// The decoder's message, with line and column.
        reason: String,
    },
    /// An EventBridge envelope of another kind of event (e.g. `Scheduled Event`).
    #[error("detail-type: expected {CLOUDTRAIL_DETAIL_TYPE:?}, found {detail_type:?}")]
    NotCloudTrail {
        /// The envelope's `detail-type`.
        detail_type: String,
    },
    /// An identifier (account id, function name or ARN, qualifier) of the wrong shape.
    #[error("{path}: {value:?} is not valid: {source}")]
    BadIdentifier {
        /// Where, e.g. `detail.requestParameters.functionName`.
        path: String,
        /// The value (an excerpt when long).
        value: String,
        /// Why it was rejected.
        source: IdError,
    },
    /// A successful call of a supported event names no function in any of the fields a
    /// function is read from.
    #[error(
        "{event_name} succeeded but names no function in requestParameters.functionName, \
         requestParameters.resource, responseElements.functionArn or \
         responseElements.functionName"
    )]
    NoFunction {
        /// The event.
        event_name: EventName,
    },
    /// A successful call of a supported layer event (`AddLayerVersionPermission`) names no
    /// layer version in `requestParameters.layerName` and `requestParameters.versionNumber`.
    #[error(
        "{event_name} succeeded but names no layer version in requestParameters.layerName and \
         requestParameters.versionNumber"
    )]
    NoLayer {
        /// The event.
        event_name: EventName,
    },
    /// A value too large to decode.
    #[error("{path}: {bytes} bytes is more than the limit of {limit} bytes")]
    TooLarge {
        /// Where: `detail`.
        path: String,
        /// Its size.
        bytes: usize,
        /// The limit ([`DETAIL_STRING_LIMIT`]).
        limit: usize,
    },
}

impl EventError {
    /// `true`: no event error goes away when the event is delivered again. The function logs it
    /// and returns success, so the event is not retried.
    pub fn is_permanent(&self) -> bool {
        match self {
            EventError::NotAnObject { .. }
            | EventError::MissingField { .. }
            | EventError::WrongType { .. }
            | EventError::InvalidValue { .. }
            | EventError::DetailNotJson { .. }
            | EventError::NotCloudTrail { .. }
            | EventError::BadIdentifier { .. }
            | EventError::NoFunction { .. }
            | EventError::NoLayer { .. }
            | EventError::TooLarge { .. } => true,
        }
    }

    /// The JSON path the error is about; `None` for [`EventError::NoFunction`] and
    /// [`EventError::NoLayer`], which are about several fields.
    pub fn path(&self) -> Option<&str> {
        match self {
            EventError::NotAnObject { path, .. }
            | EventError::MissingField { path }
            | EventError::WrongType { path, .. }
            | EventError::InvalidValue { path, .. }
            | EventError::DetailNotJson { path, .. }
            | EventError::BadIdentifier { path, .. }
            | EventError::TooLarge { path, .. } => Some(path),
            EventError::NotCloudTrail { .. } => Some("detail-type"),
            EventError::NoFunction { .. } | EventError::NoLayer { .. } => None,
        }
    }

    /// A snake_case name of the variant, for logs.
    pub fn code(&self) -> &'static str {
        match self {
            EventError::NotAnObject { .. } => "not_an_object",
            EventError::MissingField { .. } => "missing_field",
            EventError::WrongType { .. } => "wrong_type",
            EventError::InvalidValue { .. } => "invalid_value",
            EventError::DetailNotJson { .. } => "detail_not_json",
            EventError::NotCloudTrail { .. } => "not_cloudtrail",
            EventError::BadIdentifier { .. } => "bad_identifier",
            EventError::NoFunction { .. } => "no_function",
            EventError::NoLayer { .. } => "no_layer",
            EventError::TooLarge { .. } => "too_large",
        }
    }
}

/// How the CloudTrail record was delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EnvelopeShape {
    /// The EventBridge envelope with the record as the `detail` object (the normal case).
    EventBridge,
    /// The EventBridge envelope with `detail` as a JSON string holding the record (some
    /// forwarders re-encode it).
    EventBridgeDetailString,
    /// The bare CloudTrail record, no envelope (an EventBridge target with an input
    /// transformer of `<detail>` delivers this).
    CloudTrailRecord,
}

/// Who made the call, from the record's `userIdentity`. Every field is optional: the element
/// differs by caller type (`IAMUser`, `AssumedRole`, `AWSService`, `Root`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Actor {
    /// `userIdentity.type`, e.g. `AssumedRole`.
    pub identity_type: Option<String>,
    /// `userIdentity.arn`, e.g. `arn:aws:sts::111122223333:assumed-role/ROLE/SESSION`.
    pub arn: Option<String>,
    /// `userIdentity.accountId`: the caller's account (not necessarily the function's).
    pub account: Option<String>,
    /// The IAM role name: `userIdentity.sessionContext.sessionIssuer.userName` when the issuer
    /// is a `Role`, else the `ROLE` of an `assumed-role/ROLE/SESSION` ARN (for a role with a
    /// path, the last path segment).
    pub role_name: Option<String>,
    /// The role session name: the `SESSION` of an `assumed-role/ROLE/SESSION` ARN. For a Lambda
    /// function's own calls it is the function name
    /// (<https://docs.aws.amazon.com/lambda/latest/dg/lambda-intro-execution-role.html>).
    pub session_name: Option<String>,
    /// The ARN of the IAM role the caller's session was issued by,
    /// `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`: `userIdentity.sessionContext.sessionIssuer.arn`
    /// when the issuer is a `Role`, else derived from an `assumed-role/NAME/SESSION` ARN in
    /// `userIdentity.arn` (that ARN has no path, so the derived role ARN has the root path).
    /// `None` for callers that are not role sessions (IAM users, root, AWS services).
    pub role_arn: Option<String>,
}

/// One CloudTrail event, reduced to what lambda-warden decides on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trigger {
    /// `detail.eventID`, else the envelope `id`.
    pub event_id: String,
    /// `detail.eventName`.
    pub event_name: EventName,
    /// `detail.eventSource`, e.g. `lambda.amazonaws.com`.
    pub event_source: String,
    /// `detail.eventTime` (else the envelope `time`), as given: formats vary, it is not parsed.
    pub event_time: Option<String>,
    /// The account the event was recorded in: `detail.recipientAccountId`, else the envelope
    /// `account`, else `detail.userIdentity.accountId`.
    pub account: AccountId,
    /// `detail.awsRegion`, else the envelope `region`.
    pub region: String,
    /// The partition the event was recorded in (`aws`, `aws-cn`, `aws-us-gov`, ...): the
    /// partition of the caller's ARN (`userIdentity.arn`) when there is one, else of the Region
    /// ([`partition_of_region`]). Never taken from the target: a target whose ARN names another
    /// partition is not in the watched account, and the gate skips it (`foreign_target`)
    /// (<https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html>).
    pub partition: String,
    /// Who made the call.
    pub actor: Actor,
    /// `detail.errorCode`: set when the call failed (nothing changed).
    pub error_code: Option<String>,
    /// The function the event is about, qualifier kept. `None` when a failed call or an
    /// unsupported event names no function, or when the event is about another kind of Lambda
    /// resource (e.g. `TagResource` on an event source mapping), and for layer events.
    pub target: Option<FunctionRef>,
    /// The layer version a layer event (`AddLayerVersionPermission`) is about, completed to a
    /// full ARN with the event's partition, region and account when `layerName` was a bare
    /// name. `None` for every other event.
    pub layer: Option<LayerVersionArn>,
    /// The tags a `TagResource` sets or an `UntagResource` removes, when the record shows them
    /// (see [`TagChange`]); `None` for every other event, and when the record's tag fields are
    /// absent or not of the expected shape (the event is then evaluated as any other).
    pub tag_change: Option<TagChange>,
    /// How the record was delivered.
    pub shape: EnvelopeShape,
}

/// The tags one `TagResource` or `UntagResource` call changed.
///
/// Read from the CloudTrail record's request parameters, which carry the API's parameters in
/// camelCase: `TagResource`'s `requestParameters.tags` (an object of key → value, seen in real
/// `TagResource20170331v2` records) and `UntagResource`'s `requestParameters.tagKeys` (a list
/// of keys; the name of the API's `tagKeys` query parameter, not seen in a published record)
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_UntagResource.html>).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TagChange {
    /// The tags set, key → value (`TagResource`).
    pub set: BTreeMap<String, String>,
    /// The keys removed (`UntagResource`), in the order of the record.
    pub removed: Vec<String>,
}

impl TagChange {
    /// Every key the change touches: the set ones, then the removed ones.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.set
            .keys()
            .map(String::as_str)
            .chain(self.removed.iter().map(String::as_str))
    }

    /// `true` when the change touches no key.
    pub fn is_empty(&self) -> bool {
        self.set.is_empty() && self.removed.is_empty()
    }
}

impl Trigger {
    /// The tags this event's `TagResource` / `UntagResource` changed (see
    /// [`Trigger::tag_change`]); `None` for other events or when the record does not show them.
    pub fn tag_change(&self) -> Option<&TagChange> {
        self.tag_change.as_ref()
    }

    /// What a partial function reference in this event is completed with.
    pub fn arn_defaults(&self) -> ArnDefaults {
        ArnDefaults {
            partition: self.partition.clone(),
            region: self.region.clone(),
            account: self.account.clone(),
        }
    }

    /// The target as a full ARN (qualifier kept), completed with the event's partition, region
    /// and account; `None` when there is no target.
    pub fn function_arn(&self) -> Option<FunctionArn> {
        self.target
            .as_ref()
            .map(|t| t.resolve(&self.arn_defaults()))
    }
}

/// Parses an event as delivered to the function.
///
/// Accepted shapes ([`EnvelopeShape`]): the EventBridge envelope with `detail-type`
/// [`CLOUDTRAIL_DETAIL_TYPE`] and the record in `detail` (an object, or a JSON string of at
/// most [`DETAIL_STRING_LIMIT`] bytes), or a bare CloudTrail record (`eventName` and
/// `eventSource` at the top level).
///
/// An unsupported event name is not an error: the trigger is returned with
/// [`EventName::Other`] and a best-effort target, and the gate skips it. Neither is a failed
/// call (`errorCode` set) with `null` parameters: its target is `None`.
///
/// # Errors
/// [`EventError`] naming the path of the first field that is missing, of the wrong type, or
/// malformed; [`EventError::NotCloudTrail`] for another kind of EventBridge event;
/// [`EventError::NoFunction`] when a successful call of a supported event names no function.
pub fn parse(event: &Value) -> Result<Trigger, EventError> {
    let delivered = Delivered::open(event)?;
    let rec = delivered.record();
    let env = delivered.envelope();
    let Header {
        event_name,
        event_source,
        event_id,
        event_time,
        error_code,
        region,
        account,
        actor,
    } = header(&rec, env.as_ref())?;
    let event_name = EventName::parse(&event_name);
    let shape = delivered.shape;

    let best_effort = error_code.is_some() || !event_name.is_supported();
    let is_layer_event = event_name.api().is_some_and(|api| api.is_layer_operation());
    let target = match locate_function(&rec, &event_name) {
        _ if is_layer_event => None,
        Ok(Located::Function(f)) => Some(f),
        Ok(Located::OtherResource) => None,
        Ok(Located::Nothing) if best_effort => None,
        Ok(Located::Nothing) => return Err(EventError::NoFunction { event_name }),
        Err(_) if best_effort => None,
        Err(e) => return Err(e),
    };

    let partition = actor
        .arn
        .as_deref()
        .and_then(arn_partition)
        .unwrap_or_else(|| partition_of_region(&region).to_owned());

    let layer = if is_layer_event {
        let defaults = ArnDefaults {
            partition: partition.clone(),
            region: region.clone(),
            account: account.clone(),
        };
        match locate_layer(&rec, &defaults) {
            Ok(Some(layer)) => Some(layer),
            Ok(None) if best_effort => None,
            Ok(None) => return Err(EventError::NoLayer { event_name }),
            Err(_) if best_effort => None,
            Err(e) => return Err(e),
        }
    } else {
        None
    };
    let tag_change = match event_name.api() {
        Some(api @ (LambdaApi::TagResource | LambdaApi::UntagResource)) => {
            locate_tag_change(&rec, api)
        }
        _ => None,
    };

    Ok(Trigger {
        event_id,
        event_name,
        event_source,
        event_time,
        account,
        region,
        partition,
        actor,
        error_code,
        target,
        layer,
        tag_change,
        shape,
    })
}

/// The tags of a `TagResource` (`requestParameters.tags`, an object of strings) or an
/// `UntagResource` (`requestParameters.tagKeys`, a list of strings, or one string). `None`
/// when the field is absent or of another shape: such an event is evaluated, never skipped
/// for its tags.
fn locate_tag_change(rec: &Node<'_>, api: LambdaApi) -> Option<TagChange> {
    let request = rec.opt_object(&["requestParameters"]).ok().flatten()?;
    let mut change = TagChange::default();
    if api == LambdaApi::TagResource {
        let Value::Object(tags) = request.get(&["tags"]).ok().flatten()? else {
            return None;
        };
        for (key, value) in tags {
            change.set.insert(key.clone(), value.as_str()?.to_owned());
        }
    } else {
        change.removed = match request.get(&["tagKeys"]).ok().flatten()? {
            Value::Array(keys) => keys
                .iter()
                .map(|k| k.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()?,
            Value::String(key) => vec![key.clone()],
            _ => return None,
        };
    }
    Some(change)
}

/// The CloudTrail record of a delivered event, taken out of whichever envelope it came in
/// ([`EnvelopeShape`]). Shared by every parser of CloudTrail events (this module's [`parse`]
/// and [`crate::iam_trigger::parse`]).
pub(crate) struct Delivered<'a> {
    /// The record: borrowed from the event, or decoded from a `detail` string.
    record: Cow<'a, Map<String, Value>>,
    /// The EventBridge envelope, when there is one.
    envelope: Option<&'a Map<String, Value>>,
    /// How the record was delivered.
    pub(crate) shape: EnvelopeShape,
}

impl<'a> Delivered<'a> {
    /// Finds the CloudTrail record in `event`: the `detail` (object or JSON string of at most
    /// [`DETAIL_STRING_LIMIT`] bytes) of an envelope whose `detail-type` is
    /// [`CLOUDTRAIL_DETAIL_TYPE`], or the document itself when it has `eventName` or
    /// `eventSource` at the top level.
    ///
    /// # Errors
    /// [`EventError::NotAnObject`] (`$` or `detail`), [`EventError::WrongType`] and
    /// [`EventError::NotCloudTrail`] (`detail-type`), [`EventError::MissingField`] (`detail`),
    /// [`EventError::TooLarge`] and [`EventError::DetailNotJson`] (a `detail` string).
    pub(crate) fn open(event: &'a Value) -> Result<Self, EventError> {
        let top = event.as_object().ok_or_else(|| EventError::NotAnObject {
            path: "$".to_owned(),
            found: JsonType::of(event),
        })?;
        if !(top.contains_key("detail-type") || top.contains_key("detail")) {
            if top.contains_key("eventName") || top.contains_key("eventSource") {
                return Ok(Delivered {
                    record: Cow::Borrowed(top),
                    envelope: None,
                    shape: EnvelopeShape::CloudTrailRecord,
                });
            }
            return Err(EventError::MissingField {
                path: "detail".to_owned(),
            });
        }
        if let Some(dt) = top.get("detail-type") {
            let dt = dt.as_str().ok_or_else(|| EventError::WrongType {
                path: "detail-type".to_owned(),
                expected: "a string",
                found: JsonType::of(dt),
            })?;
            if dt != CLOUDTRAIL_DETAIL_TYPE {
                return Err(EventError::NotCloudTrail {
                    detail_type: excerpt(dt),
                });
            }
        }
        let (record, shape) = match top.get("detail") {
            None | Some(Value::Null) => {
                return Err(EventError::MissingField {
                    path: "detail".to_owned(),
                })
            }
            Some(Value::Object(record)) => (Cow::Borrowed(record), EnvelopeShape::EventBridge),
            Some(Value::String(text)) => {
                if text.len() > DETAIL_STRING_LIMIT {
                    return Err(EventError::TooLarge {
                        path: "detail".to_owned(),
                        bytes: text.len(),
                        limit: DETAIL_STRING_LIMIT,
                    });
                }
                let decoded: Value =
                    serde_json::from_str(text).map_err(|e| EventError::DetailNotJson {
                        path: "detail".to_owned(),
                        reason: e.to_string(),
                    })?;
                match decoded {
                    Value::Object(record) => {
                        (Cow::Owned(record), EnvelopeShape::EventBridgeDetailString)
                    }
                    other => {
                        return Err(EventError::NotAnObject {
                            path: "detail".to_owned(),
                            found: JsonType::of(&other),
                        })
                    }
                }
            }
            Some(other) => {
                return Err(EventError::NotAnObject {
                    path: "detail".to_owned(),
                    found: JsonType::of(other),
                })
            }
        };
        Ok(Delivered {
            record,
            envelope: Some(top),
            shape,
        })
    }

    /// The record, at path `detail` (or the document itself, path empty, without envelope).
    pub(crate) fn record(&self) -> Node<'_> {
        Node {
            map: &self.record,
            prefix: if self.envelope.is_some() {
                "detail"
            } else {
                ""
            }
            .to_owned(),
        }
    }

    /// The envelope, when there is one.
    pub(crate) fn envelope(&self) -> Option<Node<'a>> {
        self.envelope.map(|map| Node {
            map,
            prefix: String::new(),
        })
    }
}

/// The event's id, read leniently from an event [`parse`] rejected, so that the answer and the
/// log of a malformed event still name it: `detail.eventID` (also inside a `detail` given as a
/// JSON string, or at the top of a raw CloudTrail record), else the envelope's `id`. Only an
/// id of 1 to 128 printable ASCII characters is returned, so a hostile value never reaches a
/// log line whole.
pub fn event_id_hint(event: &Value) -> Option<String> {
    let plausible =
        |id: &str| (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic());
    let from_record = Delivered::open(event).ok().and_then(|d| {
        let rec = d.record();
        let env = d.envelope();
        let id = rec.opt_str(&["eventID"]).ok().flatten().map(str::to_owned);
        id.or_else(|| env.and_then(|e| e.opt_str(&["id"]).ok().flatten().map(str::to_owned)))
    });
    from_record
        .or_else(|| event.get("id").and_then(Value::as_str).map(str::to_owned))
        .filter(|id| plausible(id))
}

/// The fields of a CloudTrail record that do not depend on the service that logged it.
pub(crate) struct Header {
    /// `detail.eventName`, verbatim.
    pub(crate) event_name: String,
    /// `detail.eventSource`.
    pub(crate) event_source: String,
    /// `detail.eventID`, else the envelope `id`.
    pub(crate) event_id: String,
    /// `detail.eventTime`, else the envelope `time`.
    pub(crate) event_time: Option<String>,
    /// `detail.errorCode`.
    pub(crate) error_code: Option<String>,
    /// `detail.awsRegion`, else the envelope `region`.
    pub(crate) region: String,
    /// `detail.recipientAccountId`, else the envelope `account`, else
    /// `detail.userIdentity.accountId`.
    pub(crate) account: AccountId,
    /// `detail.userIdentity`.
    pub(crate) actor: Actor,
}

/// Reads the [`Header`] of `rec`, completed from the envelope `env`.
///
/// # Errors
/// [`EventError`] naming the first of `eventName`, `eventSource`, `eventID`, `eventTime`,
/// `errorCode`, `awsRegion`, the account fields and `userIdentity` that is missing, of the
/// wrong type or malformed.
pub(crate) fn header(rec: &Node<'_>, env: Option<&Node<'_>>) -> Result<Header, EventError> {
    let event_name = rec.required_str(&["eventName"])?.to_owned();
    let event_source = rec.required_str(&["eventSource"])?.to_owned();
    let event_id = match rec.opt_str(&["eventID"])? {
        Some(id) => id.to_owned(),
        None => env
            .map(|e| e.opt_str(&["id"]))
            .transpose()?
            .flatten()
            .ok_or_else(|| EventError::MissingField {
                path: rec.path(&["eventID"]),
            })?
            .to_owned(),
    };
    let event_time = match rec.opt_text(&["eventTime"])? {
        Some(t) => Some(t),
        None => env.map(|e| e.opt_text(&["time"])).transpose()?.flatten(),
    };
    let error_code = rec.opt_str(&["errorCode"])?.map(str::to_owned);
    let region = region(rec, env)?;
    let account = account(rec, env)?;
    let actor = actor(rec)?;
    Ok(Header {
        event_name,
        event_source,
        event_id,
        event_time,
        error_code,
        region,
        account,
        actor,
    })
}

/// The layer version of an `AddLayerVersionPermission` event: `requestParameters.layerName`
/// (a name or a layer ARN) and `requestParameters.versionNumber` (a number, or a string of
/// digits) (<https://docs.aws.amazon.com/lambda/latest/api/API_AddLayerVersionPermission.html>).
/// `None` when either is absent.
fn locate_layer(
    rec: &Node<'_>,
    defaults: &ArnDefaults,
) -> Result<Option<LayerVersionArn>, EventError> {
    let Some(request) = rec.opt_object(&["requestParameters"])? else {
        return Ok(None);
    };
    let (Some(name), Some(version)) = (
        request.opt_str(&["layerName"])?,
        request.opt_text(&["versionNumber"])?,
    ) else {
        return Ok(None);
    };
    let number = version
        .parse::<u64>()
        .map_err(|_| EventError::InvalidValue {
            path: request.path(&["versionNumber"]),
            value: excerpt(&version),
            expected: "a positive layer version number",
        })?;
    LayerVersionArn::from_parts(name, number, defaults)
        .map(Some)
        .map_err(|source| EventError::BadIdentifier {
            path: request.path(&["layerName"]),
            value: excerpt(name),
            source,
        })
}

/// The partition of a Region code: `cn-*` → `aws-cn`, `us-gov-*` → `aws-us-gov`, `us-iso-*` →
/// `aws-iso`, `us-isob-*` → `aws-iso-b`, `eu-isoe-*` → `aws-iso-e`, `us-isof-*` → `aws-iso-f`,
/// `eusc-*` → `aws-eusc`, else `aws`
/// (<https://docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html>;
/// the Region patterns of each partition are those of the AWS SDKs' partition table,
/// <https://github.com/aws/aws-sdk-js-v3/blob/main/packages/util-endpoints/src/lib/aws/partitions.json>).
pub fn partition_of_region(region: &str) -> &'static str {
    const PREFIXES: &[(&str, &str)] = &[
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
        ("eusc-", "aws-eusc"),
    ];
    PREFIXES
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// The partition field of an `arn:PARTITION:...` string, when it has a plausible one.
pub(crate) fn arn_partition(arn: &str) -> Option<String> {
    let mut parts = arn.split(':');
    match (parts.next(), parts.next()) {
        (Some("arn"), Some(p)) if is_partition(p) => Some(p.to_owned()),
        _ => None,
    }
}

/// `true` for a plausible partition name: `aws` or `aws-` followed by lowercase letters and
/// hyphens (`aws-cn`, `aws-us-gov`, `aws-iso-b`).
pub(crate) fn is_partition(p: &str) -> bool {
    p == "aws"
        || p.strip_prefix("aws-").is_some_and(|rest| {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_lowercase() || b == b'-')
        })
}

/// `ROLE` and `SESSION` of `arn:PARTITION:sts::ACCOUNT:assumed-role/[PATH/]ROLE/SESSION`.
fn assumed_role(arn: &str) -> Option<(String, String)> {
    let mut parts = arn.splitn(6, ':');
    let (Some("arn"), Some(_), Some("sts"), Some(_), Some(_), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) else {
        return None;
    };
    let rest = resource.strip_prefix("assumed-role/")?;
    let mut segments = rest.rsplit('/');
    let session = segments.next().filter(|s| !s.is_empty())?;
    let role = segments.next().filter(|s| !s.is_empty())?;
    Some((role.to_owned(), session.to_owned()))
}

/// The last path segment of an IAM role ARN `arn:PARTITION:iam::ACCOUNT:role/[PATH/]NAME`.
fn role_arn_name(arn: &str) -> Option<String> {
    let resource = arn.splitn(6, ':').nth(5)?;
    let rest = resource.strip_prefix("role/")?;
    rest.rsplit('/')
        .next()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

pub use crate::ids::is_region_code;

/// At most [`VALUE_EXCERPT_CHARS`] characters of `s`, for error messages.
pub(crate) fn excerpt(s: &str) -> String {
    match s.char_indices().nth(VALUE_EXCERPT_CHARS) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_owned(),
    }
}

/// A JSON object and the dotted path it sits at (`detail`, `detail.requestParameters`, or
/// empty for the document itself), so errors can name full paths.
pub(crate) struct Node<'a> {
    map: &'a Map<String, Value>,
    prefix: String,
}

impl<'a> Node<'a> {
    /// The dotted path of `segments` below this node.
    pub(crate) fn path(&self, segments: &[&str]) -> String {
        let mut path = self.prefix.clone();
        for s in segments {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(s);
        }
        path
    }

    /// The value at `segments`; `None` when any step is absent or `null`.
    ///
    /// # Errors
    /// [`EventError::NotAnObject`] when a step before the last is neither an object nor `null`.
    pub(crate) fn get(&self, segments: &[&str]) -> Result<Option<&'a Value>, EventError> {
        let mut map = self.map;
        for (i, seg) in segments.iter().enumerate() {
            let value = match map.get(*seg) {
                None | Some(Value::Null) => return Ok(None),
                Some(v) => v,
            };
            if i + 1 == segments.len() {
                return Ok(Some(value));
            }
            map = value.as_object().ok_or_else(|| EventError::NotAnObject {
                path: self.path(&segments[..=i]),
                found: JsonType::of(value),
            })?;
        }
        Ok(None)
    }

    /// The object at `segments`, or `None` when absent or `null`.
    pub(crate) fn opt_object(&self, segments: &[&str]) -> Result<Option<Node<'a>>, EventError> {
        match self.get(segments)? {
            None => Ok(None),
            Some(Value::Object(map)) => Ok(Some(Node {
                map,
                prefix: self.path(segments),
            })),
            Some(other) => Err(EventError::NotAnObject {
                path: self.path(segments),
                found: JsonType::of(other),
            }),
        }
    }

    /// The string at `segments`, or `None` when absent or `null`.
    pub(crate) fn opt_str(&self, segments: &[&str]) -> Result<Option<&'a str>, EventError> {
        match self.get(segments)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(EventError::WrongType {
                path: self.path(segments),
                expected: "a string",
                found: JsonType::of(other),
            }),
        }
    }

    /// A string or a number at `segments`, as text (`eventTime`, `version`).
    pub(crate) fn opt_text(&self, segments: &[&str]) -> Result<Option<String>, EventError> {
        match self.get(segments)? {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s.clone())),
            Some(Value::Number(n)) => Ok(Some(n.to_string())),
            Some(other) => Err(EventError::WrongType {
                path: self.path(segments),
                expected: "a string or a number",
                found: JsonType::of(other),
            }),
        }
    }

    /// The string at `segments`.
    pub(crate) fn required_str(&self, segments: &[&str]) -> Result<&'a str, EventError> {
        self.opt_str(segments)?
            .ok_or_else(|| EventError::MissingField {
                path: self.path(segments),
            })
    }
}

fn region(rec: &Node<'_>, env: Option<&Node<'_>>) -> Result<String, EventError> {
    let (value, path) = match rec.opt_str(&["awsRegion"])? {
        Some(r) => (r, rec.path(&["awsRegion"])),
        None => match env.map(|e| e.opt_str(&["region"])).transpose()?.flatten() {
            Some(r) => (r, "region".to_owned()),
            None => {
                return Err(EventError::MissingField {
                    path: rec.path(&["awsRegion"]),
                })
            }
        },
    };
    if is_region_code(value) {
        Ok(value.to_owned())
    } else {
        Err(EventError::InvalidValue {
            path,
            value: excerpt(value),
            expected: "an AWS Region code such as us-east-1",
        })
    }
}

fn account(rec: &Node<'_>, env: Option<&Node<'_>>) -> Result<AccountId, EventError> {
    let mut candidates = vec![(
        rec.opt_str(&["recipientAccountId"])?,
        rec.path(&["recipientAccountId"]),
    )];
    if let Some(env) = env {
        candidates.push((env.opt_str(&["account"])?, "account".to_owned()));
    }
    candidates.push((
        rec.opt_str(&["userIdentity", "accountId"])?,
        rec.path(&["userIdentity", "accountId"]),
    ));
    let (value, path) = candidates
        .into_iter()
        .find_map(|(v, p)| v.map(|v| (v, p)))
        .ok_or_else(|| EventError::MissingField {
            path: rec.path(&["recipientAccountId"]),
        })?;
    AccountId::parse(value).map_err(|source| EventError::BadIdentifier {
        path,
        value: excerpt(value),
        source,
    })
}

fn actor(rec: &Node<'_>) -> Result<Actor, EventError> {
    let Some(ui) = rec.opt_object(&["userIdentity"])? else {
        return Ok(Actor::default());
    };
    let identity_type = ui.opt_str(&["type"])?.map(str::to_owned);
    let arn = ui.opt_str(&["arn"])?.map(str::to_owned);
    let account = ui.opt_str(&["accountId"])?.map(str::to_owned);
    let issuer_type = ui.opt_str(&["sessionContext", "sessionIssuer", "type"])?;
    let issuer_user = ui.opt_str(&["sessionContext", "sessionIssuer", "userName"])?;
    let issuer_arn = ui.opt_str(&["sessionContext", "sessionIssuer", "arn"])?;
    let principal_id = ui.opt_str(&["principalId"])?;

    let from_arn = arn.as_deref().and_then(assumed_role);
    let issuer_role = if issuer_type == Some("Role") {
        issuer_user
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .or_else(|| issuer_arn.and_then(role_arn_name))
    } else {
        None
    };
    let role_name = issuer_role.or_else(|| from_arn.as_ref().map(|(role, _)| role.clone()));
    let session_name = from_arn.map(|(_, session)| session).or_else(|| {
        // `principalId` of an assumed role is `ROLEID:SESSION`.
        (identity_type.as_deref() == Some("AssumedRole"))
            .then(|| principal_id.and_then(|p| p.split_once(':')).map(|(_, s)| s))
            .flatten()
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    });
    let issued_by_role = (issuer_type == Some("Role"))
        .then(|| issuer_arn.and_then(|a| RoleArn::parse(a).ok()))
        .flatten();
    let role_arn = issued_by_role
        .or_else(|| arn.as_deref().and_then(RoleArn::of_assumed_role))
        .map(|r| r.to_string());
    Ok(Actor {
        identity_type,
        arn,
        account,
        role_name,
        session_name,
        role_arn,
    })
}

/// What the event's function fields name.
enum Located {
    /// A function (qualifier kept).
    Function(FunctionRef),
    /// A Lambda resource that is not a function (event source mapping, code signing config,
    /// layer), e.g. in `TagResource`'s `resource`.
    OtherResource,
    /// No function field is present.
    Nothing,
}

/// `true` for `arn:PARTITION:lambda:REGION:ACCOUNT:TYPE...` with `TYPE` other than `function`.
fn is_other_lambda_resource(s: &str) -> bool {
    let mut parts = s.split(':');
    matches!(
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next()),
        (Some("arn"), Some(_), Some("lambda"), Some(_), Some(_), Some(kind)) if kind != "function"
    )
}

/// Finds the function the event is about, in order: `requestParameters.functionName`,
/// `requestParameters.resource` (`TagResource`/`UntagResource`),
/// `responseElements.functionArn`, `responseElements.functionName`; then applies the
/// qualifier: `requestParameters.qualifier`, the alias `requestParameters.name` of
/// `CreateAlias`/`UpdateAlias`, or the `responseElements.version` of `PublishVersion`
/// (<https://docs.aws.amazon.com/lambda/latest/api/API_CreateAlias.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_PublishVersion.html>,
/// <https://docs.aws.amazon.com/lambda/latest/api/API_TagResource.html>).
fn locate_function(rec: &Node<'_>, event_name: &EventName) -> Result<Located, EventError> {
    let request = rec.opt_object(&["requestParameters"])?;
    let response = rec.opt_object(&["responseElements"])?;
    let candidates = [
        (request.as_ref(), "functionName"),
        (request.as_ref(), "resource"),
        (response.as_ref(), "functionArn"),
        (response.as_ref(), "functionName"),
    ];
    let mut found = None;
    for (node, field) in candidates {
        let Some(node) = node else { continue };
        if let Some(value) = node.opt_str(&[field])? {
            if field == "resource" && is_other_lambda_resource(value) {
                return Ok(Located::OtherResource);
            }
            let function =
                FunctionRef::parse(value).map_err(|source| EventError::BadIdentifier {
                    path: node.path(&[field]),
                    value: excerpt(value),
                    source,
                })?;
            found = Some(function);
            break;
        }
    }
    let Some(mut function) = found else {
        return Ok(Located::Nothing);
    };
    let located = |mut function: FunctionRef| {
        // `NAME:$LATEST` is the unqualified function (see `FunctionRef::parse`).
        if function
            .qualifier
            .as_ref()
            .is_some_and(Qualifier::is_latest)
        {
            function.qualifier = None;
        }
        Ok(Located::Function(function))
    };

    let qualifier = |node: &Node<'_>, field: &str, text: String| {
        Qualifier::parse(&text).map_err(|source| EventError::BadIdentifier {
            path: node.path(&[field]),
            value: excerpt(&text),
            source,
        })
    };
    if let Some(request) = request.as_ref() {
        if let Some(q) = request.opt_str(&["qualifier"])? {
            function.qualifier = Some(qualifier(request, "qualifier", q.to_owned())?);
        }
    }
    match event_name.api() {
        Some(LambdaApi::CreateAlias | LambdaApi::UpdateAlias) => {
            if let Some(request) = request.as_ref() {
                if let Some(alias) = request.opt_str(&["name"])? {
                    function.qualifier = Some(qualifier(request, "name", alias.to_owned())?);
                }
            }
        }
        Some(LambdaApi::PublishVersion) => {
            if let Some(response) = response.as_ref() {
                if let Some(version) = response.opt_text(&["version"])? {
                    function.qualifier = Some(qualifier(response, "version", version)?);
                }
            }
        }
        Some(
            LambdaApi::CreateFunction
            | LambdaApi::UpdateFunctionConfiguration
            | LambdaApi::UpdateFunctionCode
            | LambdaApi::AddPermission
            | LambdaApi::RemovePermission
            | LambdaApi::CreateFunctionUrlConfig
            | LambdaApi::UpdateFunctionUrlConfig
            | LambdaApi::TagResource
            | LambdaApi::UntagResource
            | LambdaApi::PutFunctionConcurrency
            | LambdaApi::DeleteFunctionConcurrency
            | LambdaApi::PutFunctionEventInvokeConfig
            | LambdaApi::PutFunctionCodeSigningConfig
            | LambdaApi::UpdateFunctionEventInvokeConfig
            | LambdaApi::DeleteFunctionEventInvokeConfig
            | LambdaApi::DeleteFunctionCodeSigningConfig
            | LambdaApi::DeleteFunctionUrlConfig
            | LambdaApi::AddLayerVersionPermission,
        )
        | None => {}
    }
    located(function)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal(detail: Value) -> Value {
        json!({
            "version": "0",
            "id": "7f1c3e55-2a4b-4c6d-8e9f-0a1b2c3d4e5f",
            "detail-type": CLOUDTRAIL_DETAIL_TYPE,
            "source": "aws.lambda",
            "account": "111122223333",
            "time": "2024-08-01T13:47:16Z",
            "region": "us-east-1",
            "resources": [],
            "detail": detail,
        })
    }

    #[test]
    fn a_rejected_event_still_names_its_id_when_it_has_a_plausible_one() {
        // detail.eventID wins over the envelope id, also when detail is a JSON string.
        let bad =
            minimal(json!({"eventID": "c0ffee00-0000-4000-8000-000000000001", "eventName": 5}));
        assert!(parse(&bad).is_err());
        assert_eq!(
            event_id_hint(&bad).as_deref(),
            Some("c0ffee00-0000-4000-8000-000000000001")
        );
        let as_string = minimal(Value::String(
            r#"{"eventID": "c0ffee00-0000-4000-8000-000000000002"}"#.to_owned(),
        ));
        assert_eq!(
            event_id_hint(&as_string).as_deref(),
            Some("c0ffee00-0000-4000-8000-000000000002")
        );
        // No eventID in the record: the envelope id.
        assert_eq!(
            event_id_hint(&minimal(json!({"eventName": []}))).as_deref(),
            Some("7f1c3e55-2a4b-4c6d-8e9f-0a1b2c3d4e5f")
        );
        // Not an event at all, or an id no event has: nothing.
        assert_eq!(event_id_hint(&json!({"hello": "world"})), None);
        assert_eq!(event_id_hint(&json!([1, 2])), None);
        assert_eq!(event_id_hint(&json!({"id": "x".repeat(129)})), None);
        assert_eq!(event_id_hint(&json!({"id": "line\nbreak"})), None);
        assert_eq!(event_id_hint(&json!({"id": ""})), None);
    }

    #[test]
    fn a_minimal_record_parses() {
        let t = parse(&minimal(json!({
            "eventName": "PutFunctionConcurrency20171031",
            "eventSource": "lambda.amazonaws.com",
            "requestParameters": {"functionName": "111122223333:function:orders-api"},
        })))
        .unwrap();
        assert_eq!(t.event_id, "7f1c3e55-2a4b-4c6d-8e9f-0a1b2c3d4e5f");
        assert_eq!(t.account.as_str(), "111122223333");
        assert_eq!(t.actor, Actor::default());
        assert_eq!(
            t.function_arn().unwrap().to_string(),
            "arn:aws:lambda:us-east-1:111122223333:function:orders-api"
        );
    }

    #[test]
    fn assumed_role_arns_split_into_role_and_session() {
        let cases = [
            (
                "arn:aws:sts::111122223333:assumed-role/lambda-warden-events-role/lambda-warden-events",
                Some(("lambda-warden-events-role", "lambda-warden-events")),
            ),
            (
                "arn:aws-cn:sts::111122223333:assumed-role/team/ops/deployer/jane@example.com",
                Some(("deployer", "jane@example.com")),
            ),
            ("arn:aws:iam::111122223333:user/example-dev", None),
            ("arn:aws:sts::111122223333:assumed-role/only-role", None),
            ("arn:aws:sts::111122223333:assumed-role//session", None),
            ("arn:aws:sts::111122223333:federated-user/bob", None),
            ("assumed-role/r/s", None),
            ("", None),
        ];
        for (arn, expected) in cases {
            let got = assumed_role(arn);
            assert_eq!(
                got.as_ref().map(|(r, s)| (r.as_str(), s.as_str())),
                expected,
                "{arn}"
            );
        }
    }

    #[test]
    fn role_name_prefers_the_session_issuer_and_falls_back_to_the_arn() {
        let with_identity = |ui: Value| {
            parse(&minimal(json!({
                "eventName": "AddPermission20150331v2",
                "eventSource": "lambda.amazonaws.com",
                "userIdentity": ui,
                "requestParameters": {"functionName": "orders-api"},
            })))
            .unwrap()
            .actor
        };
        let a = with_identity(json!({
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/ignored/s1",
            "sessionContext": {"sessionIssuer": {"type": "Role", "userName": "issuer-role"}},
        }));
        assert_eq!(a.role_name.as_deref(), Some("issuer-role"));
        assert_eq!(a.session_name.as_deref(), Some("s1"));

        let a = with_identity(json!({
            "type": "AssumedRole",
            "principalId": "AROAEXAMPLE:from-principal",
            "sessionContext": {"sessionIssuer": {
                "type": "Role",
                "arn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/SsoRole"
            }},
        }));
        assert_eq!(a.role_name.as_deref(), Some("SsoRole"));
        assert_eq!(a.session_name.as_deref(), Some("from-principal"));

        let a = with_identity(json!({
            "type": "AssumedRole",
            "arn": "arn:aws:sts::111122223333:assumed-role/arn-role/arn-session",
        }));
        assert_eq!(a.role_name.as_deref(), Some("arn-role"));
        assert_eq!(a.session_name.as_deref(), Some("arn-session"));

        let a = with_identity(json!({"type": "AWSService", "invokedBy": "s3.amazonaws.com"}));
        assert_eq!((a.role_name, a.session_name), (None, None));
    }

    #[test]
    fn the_role_arn_comes_from_the_session_issuer_or_the_session_arn() {
        let role_arn = |ui: Value| {
            parse(&minimal(json!({
                "eventName": "AddPermission20150331v2",
                "eventSource": "lambda.amazonaws.com",
                "userIdentity": ui,
                "requestParameters": {"functionName": "orders-api"},
            })))
            .unwrap()
            .actor
            .role_arn
        };
        // The issuer's ARN carries the path.
        assert_eq!(
            role_arn(json!({
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/warden/lambda-warden-events",
                "sessionContext": {"sessionIssuer": {
                    "type": "Role",
                    "arn": "arn:aws:iam::111122223333:role/security/warden",
                    "userName": "warden"
                }},
            }))
            .as_deref(),
            Some("arn:aws:iam::111122223333:role/security/warden")
        );
        // Without an issuer, the session ARN names the role (without its path).
        assert_eq!(
            role_arn(json!({
                "type": "AssumedRole",
                "arn": "arn:aws:sts::111122223333:assumed-role/lambda-warden-events-role/attacker-fn",
            }))
            .as_deref(),
            Some("arn:aws:iam::111122223333:role/lambda-warden-events-role")
        );
        // Not a role session: no role ARN.
        assert_eq!(
            role_arn(json!({"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/dev"})),
            None
        );
        assert_eq!(
            role_arn(json!({
                "type": "AssumedRole",
                "sessionContext": {"sessionIssuer": {"type": "Root",
                    "arn": "arn:aws:iam::111122223333:root"}},
            })),
            None
        );
    }

    #[test]
    fn tag_changes_are_read_from_tag_and_untag_events() {
        let event = |name: &str, request: Value| {
            parse(&minimal(json!({
                "eventName": name,
                "eventSource": "lambda.amazonaws.com",
                "requestParameters": request,
            })))
            .unwrap()
        };
        let resource = "arn:aws:lambda:us-east-1:111122223333:function:orders-api";
        let t = event(
            "TagResource20170331v2",
            json!({"resource": resource, "tags": {"lambda-warden:status": "compliant", "owner": "x"}}),
        );
        let change = t.tag_change().unwrap();
        assert_eq!(change.set.len(), 2);
        assert_eq!(change.set["owner"], "x");
        assert!(change.removed.is_empty());
        let t = event(
            "UntagResource20170331v2",
            json!({"resource": resource, "tagKeys": ["lambda-warden:fingerprint", "owner"]}),
        );
        assert_eq!(
            t.tag_change().unwrap().keys().collect::<Vec<_>>(),
            ["lambda-warden:fingerprint", "owner"]
        );
        let t = event(
            "UntagResource20170331",
            json!({"resource": resource, "tagKeys": "owner"}),
        );
        assert_eq!(t.tag_change().unwrap().removed, ["owner"]);
        // Shapes that do not show the tags: no tag change (the event is evaluated).
        for (name, request) in [
            ("TagResource20170331v2", json!({"resource": resource})),
            (
                "TagResource20170331v2",
                json!({"resource": resource, "tags": ["owner"]}),
            ),
            (
                "TagResource20170331v2",
                json!({"resource": resource, "tags": {"owner": 1}}),
            ),
            (
                "UntagResource20170331v2",
                json!({"resource": resource, "tagKeys": [1]}),
            ),
            (
                "UntagResource20170331v2",
                json!({"resource": resource, "tagKeys": {}}),
            ),
        ] {
            assert_eq!(event(name, request.clone()).tag_change(), None, "{request}");
        }
        // Other events carry none.
        let t = event(
            "AddPermission20150331v2",
            json!({"functionName": "orders-api", "tags": {"a": "b"}}),
        );
        assert_eq!(t.tag_change(), None);
    }

    #[test]
    fn the_partition_is_the_event_s_not_the_target_s() {
        let t = parse(&minimal(json!({
            "eventName": "AddPermission20150331v2",
            "eventSource": "lambda.amazonaws.com",
            "userIdentity": {"type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/dev"},
            "requestParameters": {
                "functionName": "arn:aws-cn:lambda:cn-north-1:111122223333:function:orders-api"
            },
        })))
        .unwrap();
        assert_eq!(t.partition, "aws");
        assert_eq!(
            t.function_arn().unwrap().partition,
            "aws-cn",
            "the target keeps its own partition"
        );
    }

    #[test]
    fn latest_targets_are_the_unqualified_function() {
        for request in [
            json!({"functionName": "orders-api:$LATEST"}),
            json!({"functionName": "orders-api", "qualifier": "$LATEST"}),
            json!({"functionName": "arn:aws:lambda:us-east-1:111122223333:function:orders-api:$LATEST"}),
        ] {
            let t = parse(&minimal(json!({
                "eventName": "AddPermission20150331v2",
                "eventSource": "lambda.amazonaws.com",
                "requestParameters": request.clone(),
            })))
            .unwrap();
            assert_eq!(
                t.function_arn().unwrap().to_string(),
                "arn:aws:lambda:us-east-1:111122223333:function:orders-api",
                "{request}"
            );
        }
        let t = parse(&minimal(json!({
            "eventName": "AddPermission20150331v2",
            "eventSource": "lambda.amazonaws.com",
            "requestParameters": {"functionName": "orders-api", "qualifier": "3"},
        })))
        .unwrap();
        assert_eq!(
            t.function_arn().unwrap().to_string(),
            "arn:aws:lambda:us-east-1:111122223333:function:orders-api:3"
        );
    }

    #[test]
    fn wrong_types_in_the_identity_name_their_path() {
        let e = parse(&minimal(json!({
            "eventName": "AddPermission20150331v2",
            "eventSource": "lambda.amazonaws.com",
            "userIdentity": {"sessionContext": {"sessionIssuer": "Role"}},
            "requestParameters": {"functionName": "orders-api"},
        })))
        .unwrap_err();
        assert_eq!(
            e.path(),
            Some("detail.userIdentity.sessionContext.sessionIssuer")
        );
        assert_eq!(e.code(), "not_an_object");
    }

    #[test]
    fn region_codes() {
        for ok in [
            "us-east-1",
            "cn-north-1",
            "us-gov-west-1",
            "eu-isoe-west-1",
            "ap-southeast-5",
        ] {
            assert!(is_region_code(ok), "{ok}");
        }
        for bad in [
            "",
            "us-east",
            "US-EAST-1",
            "us east 1",
            "1-us-east",
            "useast1",
            "us-east-1/x",
        ] {
            assert!(!is_region_code(bad), "{bad}");
        }
        assert_eq!(partition_of_region("cn-northwest-1"), "aws-cn");
        assert_eq!(partition_of_region("us-gov-east-1"), "aws-us-gov");
        assert_eq!(partition_of_region("us-east-1"), "aws");
        for (region, partition) in [
            ("us-iso-east-1", "aws-iso"),
            ("us-isob-east-1", "aws-iso-b"),
            ("eu-isoe-west-1", "aws-iso-e"),
            ("us-isof-south-1", "aws-iso-f"),
            ("eusc-de-east-1", "aws-eusc"),
            ("eu-west-1", "aws"),
        ] {
            assert_eq!(partition_of_region(region), partition, "{region}");
        }
        for ok in ["aws", "aws-cn", "aws-us-gov", "aws-iso-b"] {
            assert!(is_partition(ok), "{ok}");
        }
        for bad in ["", "aws-", "awsx", "AWS", "gcp", "aws-cn:"] {
            assert!(!is_partition(bad), "{bad}");
        }
        assert_eq!(
            arn_partition("arn:aws-us-gov:sts::111122223333:assumed-role/r/s").as_deref(),
            Some("aws-us-gov")
        );
        assert_eq!(
            arn_partition("arn:x:sts::111122223333:assumed-role/r/s"),
            None
        );
    }

    #[test]
    fn excerpts_cut_on_character_boundaries() {
        let long = "é".repeat(VALUE_EXCERPT_CHARS + 5);
        let cut = excerpt(&long);
        assert!(cut.ends_with("..."));
        assert_eq!(cut.chars().count(), VALUE_EXCERPT_CHARS + 3);
        assert_eq!(excerpt("short"), "short");
    }

    #[test]
    fn other_lambda_resources_are_recognised() {
        assert!(is_other_lambda_resource(
            "arn:aws:lambda:us-east-1:111122223333:event-source-mapping:a1b2c3d4"
        ));
        assert!(is_other_lambda_resource(
            "arn:aws:lambda:us-east-1:111122223333:code-signing-config:csc-0123456789abcdef0"
        ));
        assert!(!is_other_lambda_resource(
            "arn:aws:lambda:us-east-1:111122223333:function:orders-api"
        ));
        assert!(!is_other_lambda_resource("orders-api"));
    }

    #[test]
    fn layer_events_name_the_layer_version_not_a_function() {
        let t = parse(&minimal(json!({
            "eventName": "AddLayerVersionPermission20181031",
            "eventSource": "lambda.amazonaws.com",
            "requestParameters": {"layerName": "shared-deps", "versionNumber": 3,
                "principal": "*", "statementId": "s", "action": "lambda:GetLayerVersion"},
        })))
        .unwrap();
        assert_eq!(t.target, None);
        assert_eq!(
            t.layer.map(|l| l.to_string()).as_deref(),
            Some("arn:aws:lambda:us-east-1:111122223333:layer:shared-deps:3")
        );
        let e = parse(&minimal(json!({
            "eventName": "AddLayerVersionPermission",
            "eventSource": "lambda.amazonaws.com",
            "requestParameters": {"principal": "*"},
        })))
        .unwrap_err();
        assert_eq!(e.code(), "no_layer");
        let e = parse(&minimal(json!({
            "eventName": "AddLayerVersionPermission",
            "eventSource": "lambda.amazonaws.com",
            "requestParameters": {"layerName": "x", "versionNumber": "one"},
        })))
        .unwrap_err();
        assert_eq!(e.path(), Some("detail.requestParameters.versionNumber"));
    }

    #[test]
    fn json_types_are_named() {
        let names: Vec<_> = [
            json!(null),
            json!(true),
            json!(1),
            json!("s"),
            json!([]),
            json!({}),
        ]
        .iter()
        .map(|v| JsonType::of(v).to_string())
        .collect();
        assert_eq!(
            names,
            ["null", "bool", "number", "string", "array", "object"]
        );
    }
}
