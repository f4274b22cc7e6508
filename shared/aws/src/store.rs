//! The state table: lambda-warden's own state in DynamoDB (`WARDEN_STATE_TABLE`), the only
//! state it trusts. Shapes and decisions are [`warden_rules::state`]'s; this module only reads
//! and writes items.
//!
//! One table, key `pk` (string) + `sk` (string):
//!
//! | item | `pk` | `sk` | attributes |
//! |---|---|---|---|
//! | state of a function, alias or version | `RES#` + unqualified function ARN | `STATE` (function) or `STATE#` + qualifier | `doc` ([`ResourceState`] JSON), `read_at_ms`, `pending_audit` |
//! | state of a layer version | `RES#` + layer version ARN | `STATE` | as above |
//! | exemption | `RES#` + unqualified function ARN | `EXEMPTION` | `doc` ([`Exemption`] JSON), `kind` = `exemption` |
//! | organization sweep run and work items | `RUN#` + run id | `SUMMARY`, `ITEM#ACCOUNT/REGION` | see [`crate::work`] |
//! | audit record, part *i* | `AUDIT#` + record id | `PART#` + *i* (4 digits) | `body` (a piece of the [`StoredAudit`] JSON); on part 0 also `parts`, `status`, `resource`, `created_at` |
//!
//! So one consistent `Query` on `RES#...` reads a function's state, its aliases' and versions'
//! states and its exemption at once. Every item of an audit record carries `expires_at` when
//! `WARDEN_AUDIT_RETENTION_DAYS` is set (the table's TTL attribute). DynamoDB items are at most
//! 400 KB (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html>):
//! a record is cut into parts of [`AUDIT_PART_BYTES`] and read back whole, part 0 written
//! last so a reader never sees a count of parts that are not there yet.
//!
//! Writes of state are conditional on `read_at_ms`
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.ConditionExpressions.html>):
//! an evaluation that read the function before the one whose state is stored loses
//! ([`StateWrite::Stale`]) and must evaluate again.

use std::collections::HashMap;
use std::sync::Arc;

use aws_config::SdkConfig;
use aws_sdk_dynamodb::types::AttributeValue;
use warden_rules::ids::FunctionArn;
use warden_rules::state::{self, Exemption, ResourceState, StoredAudit};

use crate::calls::{CallCounter, CallLog};
use crate::AwsError;

/// The most bytes of record JSON one audit item holds (DynamoDB's item limit is 400 KB,
/// attribute names and the other attributes included).
pub const AUDIT_PART_BYTES: usize = 350_000;

/// The most keys of one `BatchGetItem` request (DynamoDB's limit).
pub const BATCH_GET_KEYS: usize = 100;

/// How many `BatchGetItem` requests [`StateStore::exemptions_of`] sends for one batch while
/// DynamoDB leaves keys unprocessed.
pub const BATCH_GET_ROUNDS: usize = 8;

/// The state table's client and name.
#[derive(Debug, Clone)]
pub struct StateStore {
    client: aws_sdk_dynamodb::Client,
    table: String,
    retention_days: Option<u32>,
}

/// What the table holds about one resource.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stored {
    /// The state last recorded for the resource itself.
    pub state: Option<ResourceState>,
    /// The id of an audit record stored `in_progress` for the resource and not finished.
    pub pending_audit: Option<String>,
    /// The exemption recorded for the function (an alias or version shares its function's).
    pub exemption: Option<Exemption>,
}

/// How a conditional state write ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateWrite {
    /// Written.
    Written,
    /// Refused: the table holds state read later than this evaluation's read.
    Stale,
}

/// The key of `resource_arn`'s items: (`pk`, `sk` of its state item).
fn keys(resource_arn: &str) -> (String, String) {
    match FunctionArn::parse(resource_arn) {
        Ok(f) => {
            let sk = match &f.qualifier {
                Some(q) => format!("STATE#{q}"),
                None => "STATE".to_owned(),
            };
            (format!("RES#{}", f.unqualified()), sk)
        }
        // A layer version ARN (or any other resource) is its own partition.
        Err(_) => (format!("RES#{resource_arn}"), "STATE".to_owned()),
    }
}

pub(crate) fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}

pub(crate) fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}

pub(crate) fn get_s<'a>(item: &'a HashMap<String, AttributeValue>, k: &str) -> Option<&'a str> {
    item.get(k).and_then(|v| v.as_s().ok()).map(String::as_str)
}

pub(crate) fn get_n(item: &HashMap<String, AttributeValue>, k: &str) -> Option<i64> {
    item.get(k)
        .and_then(|v| v.as_n().ok())
        .and_then(|v| v.parse().ok())
}

/// An item whose stored JSON does not parse: the table was written by something else than
/// lambda-warden, or by an incompatible version. Never taken as "no state".
fn corrupt(operation: &'static str, what: &str, e: &dyn std::fmt::Display) -> AwsError {
    tracing::warn!(operation, item = %what, error = %e, "state table item cannot be read");
    AwsError {
        operation,
        resource_arn: what.to_owned(),
        kind: warden_rules::outcome::FailureKind::Invalid,
        code: "CorruptItem".to_owned(),
    }
}

fn doc<T: serde::de::DeserializeOwned>(
    operation: &'static str,
    item: &HashMap<String, AttributeValue>,
    what: &str,
) -> Result<T, AwsError> {
    let text = get_s(item, "doc").ok_or_else(|| corrupt(operation, what, &"no doc attribute"))?;
    serde_json::from_str(text).map_err(|e| corrupt(operation, what, &e))
}

fn to_json<T: serde::Serialize>(
    operation: &'static str,
    value: &T,
    what: &str,
) -> Result<String, AwsError> {
    serde_json::to_string(value).map_err(|e| corrupt(operation, what, &e))
}

impl StateStore {
    /// A client for `table` (a table name or ARN; DynamoDB's data-plane operations accept
    /// either:
    /// <https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html#DDB-GetItem-request-TableName>),
    /// counting its requests in `calls` as `dynamodb:*`. `retention_days` is
    /// `WARDEN_AUDIT_RETENTION_DAYS`: audit items expire that long after they are written.
    pub fn new(
        sdk: &SdkConfig,
        calls: Arc<CallLog>,
        table: &str,
        retention_days: Option<u32>,
    ) -> Self {
        let config = aws_sdk_dynamodb::config::Builder::from(sdk)
            .interceptor(CallCounter::new(calls))
            .build();
        StateStore {
            client: aws_sdk_dynamodb::Client::from_conf(config),
            table: table.to_owned(),
            retention_days,
        }
    }

    /// The table name or ARN.
    pub fn table(&self) -> &str {
        &self.table
    }

    /// The DynamoDB client.
    pub(crate) fn client(&self) -> &aws_sdk_dynamodb::Client {
        &self.client
    }

    /// `WARDEN_AUDIT_RETENTION_DAYS`.
    pub(crate) fn retention_days(&self) -> Option<u32> {
        self.retention_days
    }

    /// Reads what the table holds about `resource_arn` (a function ARN, qualified or not, or a
    /// layer version ARN) with one strongly consistent `Query`
    /// (<https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html>).
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be read, or an item does not parse (code
    /// `CorruptItem`): a state that cannot be read is never taken as "nothing recorded".
    pub async fn load(&self, resource_arn: &str) -> Result<Stored, AwsError> {
        let (pk, state_sk) = keys(resource_arn);
        let items = self.query_all(&pk).await?;
        let mut stored = Stored::default();
        for item in &items {
            match get_s(item, "sk") {
                Some(sk) if sk == state_sk => {
                    // An item made by `begin_audit` before any state was stored holds only
                    // the pointer.
                    if item.contains_key("doc") {
                        stored.state = Some(doc("Query", item, &pk)?);
                    }
                    stored.pending_audit = get_s(item, "pending_audit").map(str::to_owned);
                }
                Some("EXEMPTION") => stored.exemption = Some(doc("Query", item, &pk)?),
                _ => {}
            }
        }
        Ok(stored)
    }

    /// Every item of partition `pk`, strongly consistent, every page (`Query`).
    pub(crate) async fn query_all(
        &self,
        pk: &str,
    ) -> Result<Vec<HashMap<String, AttributeValue>>, AwsError> {
        let mut items = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression("pk = :pk")
                .expression_attribute_values(":pk", s(pk))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("Query", pk, &e))?;
            items.extend(out.items.unwrap_or_default());
            match out.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => return Ok(items),
            }
        }
    }

    /// Writes `state` for its resource unless the table holds state read later
    /// ([`state::accepts`]); clears the resource's pending audit pointer.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be written.
    pub async fn put_state(&self, state: &ResourceState) -> Result<StateWrite, AwsError> {
        let (pk, sk) = keys(&state.resource_arn);
        let body = to_json("PutItem", state, &pk)?;
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&pk))
            .item("sk", s(sk))
            .item("doc", s(body))
            .item("read_at_ms", n(state.read_at_ms))
            .condition_expression("attribute_not_exists(read_at_ms) OR read_at_ms <= :mine")
            .expression_attribute_values(":mine", n(state.read_at_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(StateWrite::Written),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(StateWrite::Stale)
            }
            Err(e) => Err(AwsError::from_sdk("PutItem", pk, &e)),
        }
    }

    /// Stores `audit` (status `in_progress`) for `resource_arn`, then points the resource's
    /// state item at it: both before the first write of its plan, so an interrupted plan is
    /// found and reconciled by the next evaluation. The pointer is set only when no state read
    /// later than `read_at_ms` is stored.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be written: the caller then writes nothing.
    pub async fn begin_audit(
        &self,
        resource_arn: &str,
        read_at_ms: i64,
        audit: &StoredAudit,
    ) -> Result<(), AwsError> {
        self.save_audit(resource_arn, audit).await?;
        let (pk, sk) = keys(resource_arn);
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s(sk))
            .update_expression("SET pending_audit = :id")
            .condition_expression("attribute_not_exists(read_at_ms) OR read_at_ms <= :mine")
            .expression_attribute_values(":id", s(&audit.id))
            .expression_attribute_values(":mine", n(read_at_ms))
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            // A later evaluation has stored its state: the record itself is stored, and the
            // later evaluation read the function after this one; nothing is lost.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|e| e.is_conditional_check_failed_exception()) =>
            {
                Ok(())
            }
            Err(e) => Err(AwsError::from_sdk("UpdateItem", pk, &e)),
        }
    }

    /// Writes `audit` whole (every part, part 0 last), replacing what was stored under its id.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be written.
    pub async fn save_audit(
        &self,
        resource_arn: &str,
        audit: &StoredAudit,
    ) -> Result<(), AwsError> {
        let pk = format!("AUDIT#{}", audit.id);
        let body = to_json("PutItem", audit, &pk)?;
        let parts = state::chunks(&body, AUDIT_PART_BYTES);
        let expires_at = self
            .retention_days
            .map(|d| audit.updated_at + i64::from(d) * 86_400);
        for (i, part) in parts.iter().enumerate().rev() {
            let mut put = self
                .client
                .put_item()
                .table_name(&self.table)
                .item("pk", s(&pk))
                .item("sk", s(format!("PART#{i:04}")))
                .item("body", s(*part));
            if let Some(t) = expires_at {
                put = put.item("expires_at", n(t));
            }
            if i == 0 {
                put = put
                    .item("parts", n(parts.len()))
                    .item("status", s(audit.status.as_str()))
                    .item("resource", s(resource_arn))
                    .item("created_at", n(audit.created_at))
                    .item("kind", s("audit"));
            }
            put.send()
                .await
                .map_err(|e| AwsError::from_sdk("PutItem", pk.clone(), &e))?;
        }
        Ok(())
    }

    /// Reads audit record `id` back whole; `None` when there is none.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be read, or the parts are missing or do not parse
    /// (code `CorruptItem`).
    pub async fn audit(&self, id: &str) -> Result<Option<StoredAudit>, AwsError> {
        let pk = format!("AUDIT#{id}");
        let mut items = self.query_all(&pk).await?;
        if items.is_empty() {
            return Ok(None);
        }
        items.sort_by(|a, b| get_s(a, "sk").cmp(&get_s(b, "sk")));
        let count = get_n(&items[0], "parts")
            .filter(|c| *c >= 1)
            .ok_or_else(|| corrupt("Query", &pk, &"part 0 has no part count"))?;
        let count = usize::try_from(count).unwrap_or(usize::MAX);
        if items.len() < count {
            return Err(corrupt(
                "Query",
                &pk,
                &format!("{} of {count} parts", items.len()),
            ));
        }
        let mut body = String::new();
        for (i, item) in items.iter().take(count).enumerate() {
            if get_s(item, "sk") != Some(format!("PART#{i:04}").as_str()) {
                return Err(corrupt("Query", &pk, &format!("part {i} missing")));
            }
            body.push_str(get_s(item, "body").unwrap_or_default());
        }
        serde_json::from_str(&body)
            .map(Some)
            .map_err(|e| corrupt("Query", &pk, &e))
    }

    /// Records `exemption` (replacing the function's earlier one).
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be written.
    pub async fn put_exemption(&self, exemption: &Exemption) -> Result<(), AwsError> {
        let (pk, _) = keys(&exemption.resource_arn);
        let body = to_json("PutItem", exemption, &pk)?;
        self.client
            .put_item()
            .table_name(&self.table)
            .item("pk", s(&pk))
            .item("sk", s("EXEMPTION"))
            .item("doc", s(body))
            .item("kind", s("exemption"))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("PutItem", pk, &e))?;
        Ok(())
    }

    /// Deletes the exemption of the function of `resource_arn`; `true` when there was one.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be written.
    pub async fn delete_exemption(&self, resource_arn: &str) -> Result<bool, AwsError> {
        let (pk, _) = keys(resource_arn);
        let out = self
            .client
            .delete_item()
            .table_name(&self.table)
            .key("pk", s(&pk))
            .key("sk", s("EXEMPTION"))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllOld)
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("DeleteItem", pk, &e))?;
        Ok(out.attributes.is_some_and(|a| !a.is_empty()))
    }

    /// The exemptions recorded for `functions`, by unqualified function ARN as text:
    /// strongly consistent `BatchGetItem` requests of at most [`BATCH_GET_KEYS`] exemption
    /// keys each, the keys DynamoDB leaves unprocessed asked again
    /// (<https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html>).
    /// A function absent from the answer has no exemption recorded.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be read, an item does not parse, or keys are still
    /// unprocessed after [`BATCH_GET_ROUNDS`] requests of a batch.
    pub async fn exemptions_of(
        &self,
        functions: &[FunctionArn],
    ) -> Result<HashMap<String, Exemption>, AwsError> {
        let mut found = HashMap::new();
        for batch in functions.chunks(BATCH_GET_KEYS) {
            let mut keys: Vec<HashMap<String, AttributeValue>> = batch
                .iter()
                .map(|f| {
                    HashMap::from([
                        ("pk".to_owned(), s(format!("RES#{}", f.unqualified()))),
                        ("sk".to_owned(), s("EXEMPTION")),
                    ])
                })
                .collect();
            for _ in 0..BATCH_GET_ROUNDS {
                if keys.is_empty() {
                    break;
                }
                let request = aws_sdk_dynamodb::types::KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut keys)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| corrupt("BatchGetItem", &self.table, &e))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("BatchGetItem", self.table.clone(), &e))?;
                for item in out
                    .responses
                    .unwrap_or_default()
                    .remove(&self.table)
                    .unwrap_or_default()
                {
                    let exemption: Exemption = doc("BatchGetItem", &item, &self.table)?;
                    let function = get_s(&item, "pk").and_then(|pk| pk.strip_prefix("RES#"));
                    if let Some(function) = function {
                        found.insert(function.to_owned(), exemption);
                    }
                }
                keys = out
                    .unprocessed_keys
                    .unwrap_or_default()
                    .remove(&self.table)
                    .map(|k| k.keys)
                    .unwrap_or_default();
            }
            if !keys.is_empty() {
                return Err(AwsError {
                    operation: "BatchGetItem",
                    resource_arn: self.table.clone(),
                    kind: warden_rules::outcome::FailureKind::Throttled,
                    code: "UnprocessedKeys".to_owned(),
                });
            }
        }
        Ok(found)
    }

    /// Every recorded exemption (a `Scan` of the exemption items, for `lambda-warden
    /// exemptions`), sorted by resource ARN.
    ///
    /// # Errors
    /// [`AwsError`] when the table cannot be read or an item does not parse.
    pub async fn exemptions(&self) -> Result<Vec<Exemption>, AwsError> {
        let mut out = Vec::new();
        let mut start: Option<HashMap<String, AttributeValue>> = None;
        loop {
            let page = self
                .client
                .scan()
                .table_name(&self.table)
                .filter_expression("sk = :sk")
                .expression_attribute_values(":sk", s("EXEMPTION"))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| AwsError::from_sdk("Scan", self.table.clone(), &e))?;
            for item in page.items.unwrap_or_default() {
                out.push(doc::<Exemption>("Scan", &item, &self.table)?);
            }
            match page.last_evaluated_key {
                Some(k) if !k.is_empty() => start = Some(k),
                _ => break,
            }
        }
        out.sort_by(|a, b| a.resource_arn.cmp(&b.resource_arn));
        Ok(out)
    }
}
