//! The state table adapter (`warden_aws::store`) against moto's DynamoDB: conditional state
//! writes, the write-ahead pointer, audit records split across items and read back whole (or
//! refused when a part is missing), exemptions, and items that do not parse.

mod common;

use std::sync::Arc;

use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, KeySchemaElement, KeyType,
    ScalarAttributeType,
};
use common::Moto;
use serde_json::json;
use warden_aws::store::{StateStore, StateWrite, AUDIT_PART_BYTES};
use warden_rules::report::AuditRecord;
use warden_rules::state::{self, AuditStatus, Exemption, ResourceState, StoredAudit};
use warden_rules::tags::ComplianceStatus;

const TABLE: &str = "lambda-warden-state";
const FUNCTION: &str = "arn:aws:lambda:us-east-1:123456789012:function:orders-api";

/// Creates the table as template.yaml declares it (key `pk` + `sk`, both strings) and returns
/// a store on it and a plain DynamoDB client.
async fn table(moto: &Moto) -> (StateStore, aws_sdk_dynamodb::Client) {
    let sdk = moto.sdk_config();
    let ddb = aws_sdk_dynamodb::Client::new(&sdk);
    let attribute = |n: &str| {
        AttributeDefinition::builder()
            .attribute_name(n)
            .attribute_type(ScalarAttributeType::S)
            .build()
            .expect("attribute")
    };
    let key = |n: &str, t: KeyType| {
        KeySchemaElement::builder()
            .attribute_name(n)
            .key_type(t)
            .build()
            .expect("key")
    };
    ddb.create_table()
        .table_name(TABLE)
        .attribute_definitions(attribute("pk"))
        .attribute_definitions(attribute("sk"))
        .key_schema(key("pk", KeyType::Hash))
        .key_schema(key("sk", KeyType::Range))
        .billing_mode(BillingMode::PayPerRequest)
        .send()
        .await
        .expect("CreateTable");
    (StateStore::new(&sdk, Arc::default(), TABLE, None), ddb)
}

fn state(resource_arn: &str, read_at_ms: i64, event_id: &str) -> ResourceState {
    ResourceState::of(resource_arn, read_at_ms, &[], event_id)
}

/// An audit record whose one removed statement carries `padding` bytes of text.
fn audit(id: &str, padding: usize) -> StoredAudit {
    let statement = json!({
        "Sid": "big", "Effect": "Allow", "Principal": "*",
        "Action": "lambda:InvokeFunction", "Resource": FUNCTION,
        // Multi-byte characters, so a part boundary can fall inside one.
        "Condition": {"StringEquals": {"aws:SourceArn": "é😀".repeat(padding / 6)}},
    });
    let record: AuditRecord = serde_json::from_value(json!({
        "schema": "lambda-warden.audit/1",
        "event_id": "e-1",
        "event_name": "AddPermission20150331v2",
        "function_arn": FUNCTION,
        "mode": "enforce",
        "status": "non-compliant",
        "findings": [],
        "fixes": [],
        "actions": [],
        "removed_statements": [{
            "function_arn": FUNCTION,
            "original": {"sid": "big", "statement": statement},
            "replaced_by": null,
            "removed": false,
            "restored": false,
        }],
        "url_auth_changes": [],
        "missing_permissions": [],
        "replans": 0,
        "replans_exhausted": false,
    }))
    .expect("an audit record");
    StoredAudit {
        id: id.to_owned(),
        status: AuditStatus::InProgress,
        created_at: 1_779_926_400,
        updated_at: 1_779_926_400,
        stopped: None,
        writer_deadline_ms: None,
        record,
    }
}

#[tokio::test]
async fn a_state_read_earlier_than_the_stored_one_is_refused() {
    let moto = Moto::start();
    let (store, _) = table(&moto).await;
    assert_eq!(
        store
            .put_state(&state(FUNCTION, 2_000, "later"))
            .await
            .expect("PutItem"),
        StateWrite::Written
    );
    // An evaluation that read the function before the stored one loses.
    assert_eq!(
        store
            .put_state(&state(FUNCTION, 1_000, "earlier"))
            .await
            .expect("PutItem"),
        StateWrite::Stale
    );
    let stored = store
        .load(FUNCTION)
        .await
        .expect("Query")
        .state
        .expect("state");
    assert_eq!(
        (stored.read_at_ms, stored.event_id.as_str()),
        (2_000, "later")
    );
    // The same evaluation may write its state again; a later one wins.
    for (read_at, event) in [(2_000, "later"), (3_000, "latest")] {
        assert_eq!(
            store
                .put_state(&state(FUNCTION, read_at, event))
                .await
                .expect("PutItem"),
            StateWrite::Written
        );
    }
    let stored = store
        .load(FUNCTION)
        .await
        .expect("Query")
        .state
        .expect("state");
    assert_eq!(stored.event_id, "latest");
    assert_eq!(stored.status, ComplianceStatus::Compliant);
    // An alias and a version have states of their own beside the function's.
    let alias = format!("{FUNCTION}:live");
    let version = format!("{FUNCTION}:7");
    store
        .put_state(&state(&alias, 10, "a"))
        .await
        .expect("PutItem");
    store
        .put_state(&state(&version, 20, "v"))
        .await
        .expect("PutItem");
    for (arn, event) in [
        (FUNCTION, "latest"),
        (alias.as_str(), "a"),
        (version.as_str(), "v"),
    ] {
        let got = store.load(arn).await.expect("Query").state.expect("state");
        assert_eq!(
            (got.resource_arn.as_str(), got.event_id.as_str()),
            (arn, event)
        );
    }
}

#[tokio::test]
async fn the_write_ahead_pointer_is_set_unless_a_later_read_is_stored() {
    let moto = Moto::start();
    let (store, _) = table(&moto).await;
    let first = audit(&state::audit_id(1_000, "e-1", FUNCTION), 100);
    store
        .begin_audit(FUNCTION, 1_000, &first)
        .await
        .expect("begin");
    let stored = store.load(FUNCTION).await.expect("Query");
    assert_eq!(stored.pending_audit.as_deref(), Some(first.id.as_str()));
    assert_eq!(
        stored.state, None,
        "an item with only the pointer is no state"
    );
    // The evaluation's state write clears the pointer.
    store
        .put_state(&state(FUNCTION, 2_000, "e-2"))
        .await
        .expect("PutItem");
    assert_eq!(
        store.load(FUNCTION).await.expect("Query").pending_audit,
        None
    );
    // A plan read before that state stores its record, but does not point at it.
    let late = audit(&state::audit_id(1_500, "e-3", FUNCTION), 100);
    store
        .begin_audit(FUNCTION, 1_500, &late)
        .await
        .expect("begin");
    assert_eq!(
        store.load(FUNCTION).await.expect("Query").pending_audit,
        None
    );
    assert_eq!(store.audit(&late.id).await.expect("Query"), Some(late));
}

#[tokio::test]
async fn an_audit_record_too_large_for_one_item_is_split_and_read_back_whole() {
    let moto = Moto::start();
    let (store, ddb) = table(&moto).await;
    let big = audit(
        &state::audit_id(1_000, "e-1", FUNCTION),
        2 * AUDIT_PART_BYTES + 1_000,
    );
    let json_len = serde_json::to_string(&big).expect("JSON").len();
    assert!(json_len > 2 * AUDIT_PART_BYTES, "{json_len}");
    store.save_audit(FUNCTION, &big).await.expect("PutItem");

    let parts = ddb
        .query()
        .table_name(TABLE)
        .key_condition_expression("pk = :pk")
        .expression_attribute_values(":pk", AttributeValue::S(format!("AUDIT#{}", big.id)))
        .send()
        .await
        .expect("Query");
    assert_eq!(parts.items().len(), 3, "three parts");
    assert_eq!(
        store.audit(&big.id).await.expect("Query"),
        Some(big.clone())
    );

    // A record with a part missing is refused, never read as a shorter record.
    ddb.delete_item()
        .table_name(TABLE)
        .key("pk", AttributeValue::S(format!("AUDIT#{}", big.id)))
        .key("sk", AttributeValue::S("PART#0001".into()))
        .send()
        .await
        .expect("DeleteItem");
    let err = store.audit(&big.id).await.expect_err("a part is missing");
    assert_eq!(err.code, "CorruptItem", "{err}");
    assert_eq!(
        store
            .audit("0000000000001-0123456789abcdef")
            .await
            .expect("Query"),
        None
    );
}

#[tokio::test]
async fn exemptions_are_recorded_listed_shared_by_aliases_and_deleted() {
    let moto = Moto::start();
    let (store, _) = table(&moto).await;
    let other = "arn:aws:lambda:us-east-1:123456789012:function:billing";
    for arn in [FUNCTION, other] {
        store
            .put_exemption(&Exemption {
                resource_arn: arn.to_owned(),
                reason: "vendor-managed".into(),
                approved_by: "arn:aws:iam::123456789012:role/security-approver".into(),
                approved_at: 1_779_926_400,
                until: None,
                source: "cli".into(),
                alerted: false,
            })
            .await
            .expect("PutItem");
    }
    let listed: Vec<String> = store
        .exemptions()
        .await
        .expect("Scan")
        .into_iter()
        .map(|e| e.resource_arn)
        .collect();
    assert_eq!(listed, [other, FUNCTION], "sorted by ARN");
    let alias = format!("{FUNCTION}:live");
    assert_eq!(
        store
            .load(&alias)
            .await
            .expect("Query")
            .exemption
            .map(|e| e.resource_arn),
        Some(FUNCTION.to_owned()),
        "an alias shares its function's exemption"
    );
    assert!(store.delete_exemption(&alias).await.expect("DeleteItem"));
    assert!(!store.delete_exemption(FUNCTION).await.expect("DeleteItem"));
    assert_eq!(store.load(FUNCTION).await.expect("Query").exemption, None);
}

#[tokio::test]
async fn an_item_that_does_not_parse_is_an_error_never_no_state() {
    let moto = Moto::start();
    let (store, ddb) = table(&moto).await;
    ddb.put_item()
        .table_name(TABLE)
        .item("pk", AttributeValue::S(format!("RES#{FUNCTION}")))
        .item("sk", AttributeValue::S("STATE".into()))
        .item("doc", AttributeValue::S("{\"fingerprint\": 1".into()))
        .item("read_at_ms", AttributeValue::N("1".into()))
        .send()
        .await
        .expect("PutItem");
    let err = store.load(FUNCTION).await.expect_err("corrupt item");
    assert_eq!(err.code, "CorruptItem", "{err}");
}
