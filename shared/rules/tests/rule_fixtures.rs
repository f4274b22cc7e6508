//! Per-rule fixture tests: every `fixtures/rules/<slug>/flagged/*.json` yields exactly the
//! findings its `expect` lists for that rule, and every `clean/*.json` yields none of that
//! rule's findings. Every rule has both kinds of fixture. The rule under test runs even when
//! it is off by default.
//!
//! Fixture format (every key but `description`, `function` and `expect` is optional):
//! - `function`: the function ARN; or `layer`: a layer version ARN (the layer rules run, with
//!   `policy` as the layer version's policy);
//! - `tags`; `policy` (the document as an object, a string for a document that is not JSON,
//!   `null` for none, or `{"unreadable": CODE}`); `url` (`GetFunctionUrlConfig`'s shape);
//! - `configuration`: `GetFunction`'s `Configuration` shape (`Runtime`, `PackageType`,
//!   `KMSKeyArn`, `Environment.Variables` or `Environment.Error.ErrorCode`,
//!   `TracingConfig.Mode`, `DeadLetterConfig.TargetArn`, `VpcConfig`, `Layers[].Arn`), plus
//!   `ReservedConcurrentExecutions`; or `{"unreadable": CODE}`;
//! - `event_invoke_config`: `GetFunctionEventInvokeConfig`'s shape, `null`, or unreadable;
//! - `code_signing_config_arn`: a string, `null`, or unreadable;
//! - `execution_role`: `{"RoleName", "Arn", "AssumeRolePolicyDocument" (object),
//!   "AttachedPolicies": [{"PolicyName", "PolicyArn", "Document"}], "RolePolicies":
//!   [{"PolicyName", "PolicyDocument"}]}` (either list, or any document, may be
//!   `{"unreadable": CODE}`), `null`, or unreadable;
//! - `now`: the evaluation date `YYYY-MM-DD` (00:00 UTC; default 2026-05-28);
//! - settings: `trusted_accounts`, `organization_id`, `required_tags`,
//!   `runtime_warning_days`, `trusted_layer_accounts`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;
use warden_rules::findings::{Finding, Severity};
use warden_rules::ids::{AccountId, FunctionArn, LayerVersionArn};
mod common;

use common::{execution_role, text, unreadable};
use warden_rules::reads::{Part, Reads};
use warden_rules::rules::runtimes::{days_from_civil, DAY_SECONDS};
use warden_rules::rules::{evaluate, evaluate_layer, RuleConfig, RuleId, RULES};
use warden_rules::snapshot::{
    Cors, EventInvokeConfig, FunctionConfiguration, FunctionSnapshot, FunctionUrlAuthType,
    FunctionUrlConfig, LayerSnapshot, PackageType, PolicyDocument, Readable, Redacted, TracingMode,
    VpcConfig,
};

/// 2026-05-28T00:00:00Z.
const DEFAULT_NOW: &str = "2026-05-28";

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
    #[serde(default)]
    function: Option<String>,
    #[serde(default)]
    layer: Option<String>,
    #[serde(default)]
    tags: BTreeMap<String, String>,
    #[serde(default)]
    policy: Value,
    #[serde(default)]
    url: Value,
    #[serde(default)]
    configuration: Value,
    #[serde(default)]
    event_invoke_config: Value,
    #[serde(default)]
    code_signing_config_arn: Value,
    #[serde(default)]
    execution_role: Value,
    #[serde(default)]
    now: Option<String>,
    #[serde(default)]
    trusted_accounts: Vec<String>,
    #[serde(default)]
    organization_id: Option<String>,
    #[serde(default)]
    required_tags: Vec<String>,
    #[serde(default)]
    runtime_warning_days: Option<u32>,
    #[serde(default)]
    trusted_layer_accounts: Vec<String>,
    expect: Vec<Expect>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn policy_doc(v: &Value) -> Option<PolicyDocument> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(PolicyDocument {
            json: s.clone(),
            revision_id: Some("fixture-rev".into()),
        }),
        doc => Some(PolicyDocument {
            json: doc.to_string(),
            revision_id: Some("fixture-rev".into()),
        }),
    }
}

fn configuration(c: &Value) -> Readable<FunctionConfiguration> {
    if c.is_null() {
        return Readable::read(FunctionConfiguration::default());
    }
    if let Some(u) = unreadable(c, "GetFunction") {
        return u;
    }
    let env = &c["Environment"];
    let environment = match env["Error"]["ErrorCode"].as_str() {
        Some(code) => Readable::Unreadable {
            operation: "GetFunction".into(),
            error_code: code.into(),
        },
        None => Readable::read(
            env["Variables"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), Redacted::new(v.as_str().unwrap_or_default())))
                        .collect()
                })
                .unwrap_or_default(),
        ),
    };
    let vpc = &c["VpcConfig"];
    Readable::read(FunctionConfiguration {
        runtime: text(c, "Runtime"),
        package_type: PackageType::parse(c["PackageType"].as_str()),
        role: text(c, "Role"),
        kms_key_arn: text(c, "KMSKeyArn"),
        environment,
        tracing_mode: TracingMode::parse(c["TracingConfig"]["Mode"].as_str()),
        dead_letter_target_arn: text(&c["DeadLetterConfig"], "TargetArn"),
        vpc: (!strings(&vpc["SubnetIds"]).is_empty()).then(|| VpcConfig {
            subnet_ids: strings(&vpc["SubnetIds"]),
            security_group_ids: strings(&vpc["SecurityGroupIds"]),
            vpc_id: text(vpc, "VpcId"),
        }),
        layers: c["Layers"]
            .as_array()
            .map(|a| a.iter().filter_map(|l| text(l, "Arn")).collect())
            .unwrap_or_default(),
        architectures: strings(&c["Architectures"]),
        last_modified: c["LastModified"]
            .as_str()
            .and_then(warden_rules::state::parse_last_modified),
        reserved_concurrent_executions: c["ReservedConcurrentExecutions"]
            .as_i64()
            .map(|n| i32::try_from(n).unwrap()),
    })
}

enum Subject {
    Function(Box<FunctionSnapshot>),
    Layer(LayerSnapshot),
}

fn now_of(fx: &Fixture) -> i64 {
    let date = fx.now.as_deref().unwrap_or(DEFAULT_NOW);
    let parts: Vec<u32> = date.split('-').map(|p| p.parse().unwrap()).collect();
    let year = i32::try_from(parts[0]).unwrap();
    days_from_civil(year, parts[1], parts[2]) * DAY_SECONDS
}

/// Builds the snapshot and configuration a fixture describes.
fn load(path: &Path) -> (Fixture, Subject, RuleConfig) {
    let raw = std::fs::read_to_string(path).unwrap();
    let fx: Fixture = serde_json::from_str(&raw).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let config = RuleConfig {
        trusted_accounts: fx
            .trusted_accounts
            .iter()
            .map(|a| AccountId::parse(a).unwrap())
            .collect(),
        organization_id: fx.organization_id.clone(),
        required_tags: fx.required_tags.iter().cloned().collect(),
        runtime_warning_days: fx.runtime_warning_days.unwrap_or(90),
        trusted_layer_accounts: fx
            .trusted_layer_accounts
            .iter()
            .map(|a| AccountId::parse(a).unwrap())
            .collect(),
        ..RuleConfig::default()
    };
    if let Some(layer) = &fx.layer {
        let policy = unreadable(&fx.policy, "GetLayerVersionPolicy")
            .unwrap_or_else(|| Readable::read(policy_doc(&fx.policy)));
        let snapshot = LayerSnapshot {
            arn: LayerVersionArn::parse(layer).unwrap(),
            policy,
        };
        return (fx, Subject::Layer(snapshot), config);
    }
    let policy = unreadable(&fx.policy, "GetPolicy")
        .unwrap_or_else(|| Readable::read(policy_doc(&fx.policy)));
    let url = unreadable(&fx.url, "GetFunctionUrlConfig").unwrap_or_else(|| {
        Readable::read(match &fx.url {
            Value::Null => None,
            u => Some(FunctionUrlConfig {
                function_url: u["FunctionUrl"].as_str().unwrap().to_owned(),
                auth_type: FunctionUrlAuthType::parse(u["AuthType"].as_str().unwrap()),
                cors: u.get("Cors").map(|c| Cors {
                    allow_origins: strings(&c["AllowOrigins"]),
                    ..Cors::default()
                }),
            }),
        })
    });
    let event_invoke_config = unreadable(&fx.event_invoke_config, "GetFunctionEventInvokeConfig")
        .unwrap_or_else(|| {
            Readable::read(match &fx.event_invoke_config {
                Value::Null => None,
                e => Some(EventInvokeConfig {
                    on_failure_destination: text(
                        &e["DestinationConfig"]["OnFailure"],
                        "Destination",
                    ),
                    on_success_destination: text(
                        &e["DestinationConfig"]["OnSuccess"],
                        "Destination",
                    ),
                    maximum_retry_attempts: None,
                    maximum_event_age_in_seconds: None,
                }),
            })
        });
    let code_signing_config_arn =
        unreadable(&fx.code_signing_config_arn, "GetFunctionCodeSigningConfig").unwrap_or_else(
            || Readable::read(fx.code_signing_config_arn.as_str().map(str::to_owned)),
        );
    let arn = FunctionArn::parse(fx.function.as_deref().unwrap()).unwrap();
    let snapshot = FunctionSnapshot {
        tags: fx.tags.clone(),
        policy,
        url,
        configuration: configuration(&fx.configuration),
        event_invoke_config,
        code_signing_config_arn,
        execution_role: execution_role(&fx.execution_role),
        ..FunctionSnapshot::empty(arn)
    };
    (fx, Subject::Function(Box::new(snapshot)), config)
}

fn run(subject: &Subject, config: &RuleConfig, now: i64) -> Vec<Finding> {
    match subject {
        Subject::Function(s) => evaluate(s, config, now),
        Subject::Layer(s) => evaluate_layer(s, config),
    }
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
            let (fx, subject, mut config) = load(&path);
            config.enabled.insert(rule.meta.id);
            let got: Vec<(RuleId, Option<String>, Severity)> = run(&subject, &config, now_of(&fx))
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
            let (fx, subject, mut config) = load(&path);
            config.enabled.insert(rule.meta.id);
            assert!(
                fx.expect.is_empty(),
                "{path:?}: clean fixtures expect nothing"
            );
            let got: Vec<_> = run(&subject, &config, now_of(&fx))
                .into_iter()
                .filter(|f| f.rule_id == rule.meta.id)
                .collect();
            assert!(got.is_empty(), "{path:?}: unexpected {got:#?}");
        }
    }
}

/// `snapshot` as the adapter reads it for `reads`: every part not read is `NotRead`.
fn trimmed(snapshot: &FunctionSnapshot, reads: Reads) -> FunctionSnapshot {
    let reads = match snapshot.configuration.value() {
        Some(c) => reads.given(c),
        None => reads,
    };
    let mut s = snapshot.clone();
    let mut configuration_concurrency = true;
    if !reads.reads(Part::Policy) {
        s.policy = Readable::NotRead;
    }
    if !reads.reads(Part::Url) {
        s.url = Readable::NotRead;
    }
    if !reads.reads(Part::EventInvokeConfig) {
        s.event_invoke_config = Readable::NotRead;
    }
    if !reads.reads(Part::CodeSigning) {
        s.code_signing_config_arn = Readable::NotRead;
    }
    if !reads.reads(Part::ExecutionRole) {
        s.execution_role = Readable::NotRead;
    }
    if !reads.reads(Part::Concurrency) {
        configuration_concurrency = false;
    }
    if let (false, Readable::Read { value }) = (configuration_concurrency, &mut s.configuration) {
        value.reserved_concurrent_executions = None;
    }
    s
}

/// The parts table is complete: every rule, run alone on what the adapter reads for it
/// (`Reads::for_rules`, then `Reads::given` the configuration), finds exactly what it finds
/// on the whole snapshot, in every flagged and clean fixture. A rule that read a part the
/// table does not list would find nothing here and fail. LW006 is the exception by design: it
/// reports the parts that were read and refused, so a part not read is not its business.
#[test]
fn every_rule_finds_the_same_on_the_parts_it_declares() {
    for rule in RULES.iter().filter(|r| r.meta.id != RuleId::LW006) {
        for kind in ["flagged", "clean"] {
            for path in fixtures(rule.meta.slug, kind) {
                let (fx, subject, mut config) = load(&path);
                let Subject::Function(snapshot) = &subject else {
                    continue;
                };
                config.only = Some(BTreeSet::from([rule.meta.id]));
                let reads = Reads::for_rules(&config);
                let now = now_of(&fx);
                let of_rule = |s: &FunctionSnapshot| -> Vec<Finding> {
                    evaluate(s, &config, now)
                        .into_iter()
                        .filter(|f| f.rule_id == rule.meta.id)
                        .collect()
                };
                let whole = of_rule(snapshot);
                let part = of_rule(&trimmed(snapshot, reads));
                assert_eq!(part, whole, "{path:?} ({:?})", reads);
            }
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
    let (fx, subject, mut config) = load(&path);
    config.disabled.insert(RuleId::LW001);
    assert!(run(&subject, &config, now_of(&fx))
        .iter()
        .all(|f| f.rule_id != RuleId::LW001));
}

#[test]
fn default_off_rules_run_only_when_enabled() {
    for rule in RULES.iter().filter(|r| !r.meta.default_on) {
        let path = fixtures(rule.meta.slug, "flagged").remove(0);
        let (fx, subject, config) = load(&path);
        assert!(
            run(&subject, &config, now_of(&fx))
                .iter()
                .all(|f| f.rule_id != rule.meta.id),
            "{} ran without WARDEN_ENABLED_RULES",
            rule.meta.id
        );
    }
}

#[test]
fn no_finding_carries_an_environment_value() {
    for rule in RULES {
        for kind in ["flagged", "clean"] {
            for path in fixtures(rule.meta.slug, kind) {
                let (fx, subject, mut config) = load(&path);
                config.enabled.extend(RuleId::ALL.iter().copied());
                let values: Vec<String> = fx.configuration["Environment"]["Variables"]
                    .as_object()
                    .map(|m| {
                        m.values()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .filter(|v| v.len() >= 8)
                            .collect()
                    })
                    .unwrap_or_default();
                let rendered = serde_json::to_string(&run(&subject, &config, now_of(&fx))).unwrap();
                for v in values {
                    assert!(
                        !rendered.contains(&v),
                        "{path:?}: a finding shows a variable's value"
                    );
                }
            }
        }
    }
}
