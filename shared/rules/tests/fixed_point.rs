//! Remediation is a fixed point: for every flagged rule fixture, the plan (in `enforce` mode,
//! opted in) applied to the policy offline, then re-evaluated, has none of the findings the
//! plan claims to fix; and every removed statement is recorded verbatim.

use std::path::Path;

use serde_json::{json, Value};
use warden_rules::config::{Config, Mode};
use warden_rules::grant::statement_from_grant;
use warden_rules::outcome::{ActionResult, ActionStatus, Outcome};
use warden_rules::plan::{plan, Action, FixDecision};
use warden_rules::rules::{evaluate, RuleConfig, RULES};
use warden_rules::snapshot::{FunctionSnapshot, FunctionUrlAuthType, PolicyDocument, Readable};
use warden_rules::tags::AUTO_FIX;

/// 2026-05-28T00:00:00Z, in seconds since the Unix epoch.
const NOW: i64 = 1_779_926_400;

/// Applies actions to a snapshot the way Lambda would: RemovePermission drops the statement
/// with the Sid, AddPermission appends the statement AWS writes, UpdateFunctionUrlConfig sets
/// AuthType.
fn apply(snapshot: &FunctionSnapshot, actions: &[Action]) -> FunctionSnapshot {
    let mut out = snapshot.clone();
    let mut doc: Value = match snapshot.policy.value().and_then(Option::as_ref) {
        Some(d) => serde_json::from_str(&d.json).unwrap(),
        None => json!({"Version": "2012-10-17", "Statement": []}),
    };
    for a in actions {
        match a {
            Action::RemovePermission { sid, removed, .. } => {
                let list = doc["Statement"].as_array_mut().unwrap();
                let before = list.len();
                let at = list.iter().position(|s| s["Sid"] == json!(sid)).unwrap();
                assert_eq!(
                    list[at], removed.statement,
                    "removed statement recorded verbatim"
                );
                list.remove(at);
                assert_eq!(list.len(), before - 1);
            }
            Action::AddPermission {
                function, grant, ..
            } => {
                doc["Statement"]
                    .as_array_mut()
                    .unwrap()
                    .push(statement_from_grant(grant, function));
            }
            Action::RequireIamAuth { .. } => {
                if let Readable::Read { value: Some(url) } = &mut out.url {
                    url.auth_type = FunctionUrlAuthType::AwsIam;
                }
            }
            Action::SetUrlAuthType { auth_type, .. } => {
                if let Readable::Read { value: Some(url) } = &mut out.url {
                    url.auth_type = FunctionUrlAuthType::parse(auth_type);
                }
            }
            Action::TagResource { .. } => {}
        }
    }
    out.policy = Readable::read(Some(PolicyDocument {
        json: doc.to_string(),
        revision_id: Some("after".into()),
    }));
    out
}

#[test]
fn every_applied_fix_removes_its_finding() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let config = Config {
        mode: Mode::Enforce,
        ..Config::default()
    };
    let mut applied = 0;
    for rule in RULES {
        let dir = root.join(rule.meta.slug).join("flagged");
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let fx: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            if fx.get("layer").is_some()
                || fx["policy"].get("unreadable").is_some()
                || fx["policy"].is_string()
            {
                continue; // nothing to fix offline
            }
            let snapshot = snapshot_of(&fx);
            let mut rc = RuleConfig::from(&config);
            rc.organization_id = fx["organization_id"].as_str().map(str::to_owned);
            let findings = evaluate(&snapshot, &rc, NOW);
            let p = plan(findings, &snapshot, &config);
            let after = apply(&snapshot, &p.actions);
            let outcome = Outcome {
                results: p
                    .actions
                    .iter()
                    .map(|a| ActionResult {
                        action: a.clone(),
                        status: ActionStatus::Done,
                    })
                    .collect(),
            };
            let still: Vec<_> = evaluate(&after, &rc, NOW)
                .into_iter()
                .map(|f| (f.rule_id, f.sid))
                .collect();
            for (f, d) in p.findings.iter().zip(&p.decisions) {
                if let FixDecision::Apply { .. } = d {
                    applied += 1;
                    assert!(
                        !still.contains(&(f.rule_id, f.sid.clone())),
                        "{path:?}: {} {:?} survives its own fix",
                        f.rule_id,
                        f.sid
                    );
                    assert!(!p.open_findings(&outcome).contains(&f));
                }
            }
        }
    }
    assert!(applied >= 8, "only {applied} fixes were exercised");
}

fn snapshot_of(fx: &Value) -> FunctionSnapshot {
    use warden_rules::ids::FunctionArn;
    use warden_rules::snapshot::{Cors, FunctionUrlConfig};
    let mut tags = std::collections::BTreeMap::new();
    tags.insert(AUTO_FIX.to_owned(), "true".to_owned());
    let arn = FunctionArn::parse(fx["function"].as_str().unwrap()).unwrap();
    FunctionSnapshot {
        arn: arn.clone(),
        tags,
        policy: Readable::read(match &fx["policy"] {
            Value::Null => None,
            doc => Some(PolicyDocument {
                json: doc.to_string(),
                revision_id: Some("before".into()),
            }),
        }),
        url: match &fx["url"] {
            Value::Null => Readable::read(None),
            u if u.get("unreadable").is_some() => Readable::Unreadable {
                operation: "GetFunctionUrlConfig".into(),
                error_code: "AccessDeniedException".into(),
            },
            u => Readable::read(Some(FunctionUrlConfig {
                function_url: u["FunctionUrl"].as_str().unwrap().to_owned(),
                auth_type: FunctionUrlAuthType::parse(u["AuthType"].as_str().unwrap()),
                cors: u.get("Cors").map(|_| Cors::default()),
            })),
        },
        ..FunctionSnapshot::empty(arn)
    }
}

// ---- the same property over generated policies ----------------------------------------------

mod generated {
    use super::*;
    use proptest::prelude::*;
    use warden_rules::ids::FunctionArn;
    use warden_rules::snapshot::{Cors, FunctionUrlConfig};

    const ARN: &str = "arn:aws:lambda:us-east-1:123456789012:function:f";

    fn principal() -> impl Strategy<Value = Value> {
        prop::sample::select(vec![
            json!("*"),
            json!({"AWS": "*"}),
            json!({"AWS": ["*"]}),
            json!({"AWS": "arn:aws:iam::*:root"}),
            json!({"AWS": "arn:aws:iam::123456789012:root"}),
            json!({"AWS": "arn:aws:iam::444455556666:root"}),
            json!({"Service": "s3.amazonaws.com"}),
            json!({"Service": "sns.amazonaws.com"}),
            json!({"Service": "apigateway.amazonaws.com"}),
        ])
    }

    fn condition() -> impl Strategy<Value = Option<(String, String, Value)>> {
        let c = prop::sample::select(vec![
            ("ArnLike", "AWS:SourceArn", json!("arn:aws:s3:::bucket")),
            (
                "ArnLike",
                "AWS:SourceArn",
                json!("arn:aws:sns:us-east-1:123456789012:t"),
            ),
            (
                "ArnLike",
                "AWS:SourceArn",
                json!("arn:aws:sns:us-east-1:444455556666:t"),
            ),
            ("StringEquals", "AWS:SourceAccount", json!("123456789012")),
            ("StringEquals", "AWS:SourceAccount", json!("444455556666")),
            ("StringEquals", "aws:PrincipalOrgID", json!("o-a1b2c3d4e5")),
            ("StringEquals", "lambda:FunctionUrlAuthType", json!("NONE")),
            (
                "StringEqualsIfExists",
                "AWS:SourceAccount",
                json!("123456789012"),
            ),
            ("StringLike", "AWS:SourceAccount", json!("*")),
        ]);
        prop::option::of(c.prop_map(|(o, k, v)| (o.to_owned(), k.to_owned(), v)))
    }

    fn statement(i: usize) -> impl Strategy<Value = Value> {
        let action = prop::sample::select(vec![
            json!("lambda:InvokeFunction"),
            json!("lambda:InvokeFunctionUrl"),
            json!(["lambda:InvokeFunction", "lambda:GetFunction"]),
        ]);
        let effect = prop::sample::select(vec!["Allow", "Allow", "Allow", "Deny"]);
        (effect, principal(), action, condition(), condition()).prop_map(
            move |(effect, principal, action, c1, c2)| {
                let mut s = json!({"Sid": format!("s{i}"), "Effect": effect,
                    "Principal": principal, "Action": action, "Resource": ARN});
                for (op, key, value) in [c1, c2].into_iter().flatten() {
                    s["Condition"][op][key] = value;
                }
                s
            },
        )
    }

    fn policy() -> impl Strategy<Value = Value> {
        (1usize..4).prop_flat_map(|n| {
            (0..n)
                .map(statement)
                .collect::<Vec<_>>()
                .prop_map(|s| json!({"Version": "2012-10-17", "Id": "default", "Statement": s}))
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// The plan's output policy, re-evaluated, has no finding the plan claims to fix.
        #[test]
        fn remediation_is_a_fixed_point(
            doc in policy(),
            url in prop::option::of(any::<bool>()),
            org in any::<bool>(),
        ) {
            let mut tags = std::collections::BTreeMap::new();
            tags.insert(AUTO_FIX.to_owned(), "true".to_owned());
            let snapshot = FunctionSnapshot {
                tags,
                policy: Readable::read(Some(PolicyDocument {
                    json: doc.to_string(),
                    revision_id: Some("before".into()),
                })),
                url: Readable::read(url.map(|cors| FunctionUrlConfig {
                    function_url: "https://abc.lambda-url.us-east-1.on.aws/".into(),
                    auth_type: FunctionUrlAuthType::None,
                    cors: cors.then(|| Cors { allow_origins: vec!["*".into()], ..Cors::default() }),
                })),
                ..FunctionSnapshot::empty(FunctionArn::parse(ARN).expect("arn"))
            };
            let config = Config {
                mode: Mode::Enforce,
                organization_id: org.then(|| "o-a1b2c3d4e5".to_owned()),
                ..Config::default()
            };
            let rc = RuleConfig::from(&config);
            let p = plan(evaluate(&snapshot, &rc, NOW), &snapshot, &config);
            // `apply` asserts that every removed statement is recorded verbatim.
            let after = apply(&snapshot, &p.actions);
            let still: Vec<_> = evaluate(&after, &rc, NOW)
                .into_iter()
                .map(|f| (f.rule_id, f.sid))
                .collect();
            for (f, d) in p.findings.iter().zip(&p.decisions) {
                if let FixDecision::Apply { .. } = d {
                    prop_assert!(
                        !still.contains(&(f.rule_id, f.sid.clone())),
                        "{} {:?} survives its own fix in {}",
                        f.rule_id, f.sid, doc
                    );
                }
            }
        }
    }
}
