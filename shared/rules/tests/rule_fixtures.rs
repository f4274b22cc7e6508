//! Per-rule fixture tests: every `fixtures/rules/<slug>/flagged/*.json` yields exactly the
//! findings its `expect` lists for that rule, and every `clean/*.json` yields none of that
//! rule's findings. Every rule has both kinds of fixture.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use warden_rules::findings::Severity;
use warden_rules::ids::{AccountId, FunctionArn};
use warden_rules::rules::{evaluate, RuleConfig, RuleId, RULES};
use warden_rules::snapshot::{
    Cors, FunctionSnapshot, FunctionUrlAuthType, FunctionUrlConfig, PolicyDocument, Readable,
};

#[derive(Deserialize)]
struct Expect {
    rule: String,
    sid: Option<String>,
    severity: Severity,
}

#[derive(Deserialize)]
struct Fixture {
    #[allow(dead_code)]
    description: String,
    function: String,
    tags: BTreeMap<String, String>,
    policy: Value,
    url: Value,
    trusted_accounts: Vec<String>,
    organization_id: Option<String>,
    expect: Vec<Expect>,
}

fn unreadable<T>(v: &Value, operation: &str) -> Option<Readable<T>> {
    v.get("unreadable")
        .and_then(Value::as_str)
        .map(|code| Readable::Unreadable {
            operation: operation.to_owned(),
            error_code: code.to_owned(),
        })
}

/// Builds the snapshot and configuration a fixture describes. `policy` is the document as an
/// object (or a string for a document that is not JSON), `null` for none, or
/// `{"unreadable": CODE}`; `url` is `GetFunctionUrlConfig`'s shape, `null` or unreadable.
fn load(path: &Path) -> (Fixture, FunctionSnapshot, RuleConfig) {
    let text = std::fs::read_to_string(path).unwrap();
    let fx: Fixture = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let policy = unreadable(&fx.policy, "GetPolicy").unwrap_or_else(|| {
        Readable::read(match &fx.policy {
            Value::Null => None,
            Value::String(s) => Some(PolicyDocument {
                json: s.clone(),
                revision_id: Some("fixture-rev".into()),
            }),
            doc => Some(PolicyDocument {
                json: doc.to_string(),
                revision_id: Some("fixture-rev".into()),
            }),
        })
    });
    let url = unreadable(&fx.url, "GetFunctionUrlConfig").unwrap_or_else(|| {
        Readable::read(match &fx.url {
            Value::Null => None,
            u => Some(FunctionUrlConfig {
                function_url: u["FunctionUrl"].as_str().unwrap().to_owned(),
                auth_type: FunctionUrlAuthType::parse(u["AuthType"].as_str().unwrap()),
                cors: u.get("Cors").map(|c| Cors {
                    allow_origins: c["AllowOrigins"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|o| o.as_str().map(str::to_owned))
                                .collect()
                        })
                        .unwrap_or_default(),
                    ..Cors::default()
                }),
            }),
        })
    });
    let snapshot = FunctionSnapshot {
        arn: FunctionArn::parse(&fx.function).unwrap(),
        tags: fx.tags.clone(),
        policy,
        url,
    };
    let config = RuleConfig {
        trusted_accounts: fx
            .trusted_accounts
            .iter()
            .map(|a| AccountId::parse(a).unwrap())
            .collect(),
        organization_id: fx.organization_id.clone(),
        disabled: Default::default(),
    };
    (fx, snapshot, config)
}

fn fixtures(slug: &str, kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/rules")
        .join(slug)
        .join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{dir:?}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "rule {slug} has no {kind} fixture in {dir:?}"
    );
    files
}

#[test]
fn flagged_fixtures_yield_exactly_the_expected_findings() {
    for rule in RULES {
        for path in fixtures(rule.meta.slug, "flagged") {
            let (fx, snapshot, config) = load(&path);
            let got: Vec<(RuleId, Option<String>, Severity)> = evaluate(&snapshot, &config)
                .into_iter()
                .filter(|f| f.rule_id == rule.meta.id)
                .map(|f| (f.rule_id, f.sid, f.severity))
                .collect();
            let want: Vec<(RuleId, Option<String>, Severity)> = fx
                .expect
                .iter()
                .map(|e| (RuleId::parse(&e.rule).unwrap(), e.sid.clone(), e.severity))
                .collect();
            assert!(
                !want.is_empty(),
                "{path:?}: a flagged fixture must expect a finding"
            );
            assert_eq!(got, want, "{path:?}");
        }
    }
}

#[test]
fn clean_fixtures_yield_no_finding_of_their_rule() {
    for rule in RULES {
        for path in fixtures(rule.meta.slug, "clean") {
            let (fx, snapshot, config) = load(&path);
            assert!(
                fx.expect.is_empty(),
                "{path:?}: clean fixtures expect nothing"
            );
            let got: Vec<_> = evaluate(&snapshot, &config)
                .into_iter()
                .filter(|f| f.rule_id == rule.meta.id)
                .collect();
            assert!(got.is_empty(), "{path:?}: unexpected {got:#?}");
        }
    }
}

#[test]
fn every_fixture_folder_belongs_to_a_rule() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    for entry in std::fs::read_dir(root).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            RULES.iter().any(|r| r.meta.slug == name),
            "fixtures/rules/{name} matches no rule slug"
        );
    }
}

#[test]
fn disabled_rules_do_not_run() {
    let path = fixtures("public-invoke", "flagged").remove(0);
    let (_, snapshot, mut config) = load(&path);
    config.disabled.insert(RuleId::LW001);
    assert!(evaluate(&snapshot, &config)
        .iter()
        .all(|f| f.rule_id != RuleId::LW001));
}
