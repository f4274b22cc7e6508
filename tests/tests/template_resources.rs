//! The resources `template.yaml` deploys (after the SAM transform): every function of
//! `functions/` and no other, each with its architecture from the `Architecture` parameter,
//! active tracing, reserved concurrency, JSON logs in a log group with a retention, and an
//! on-failure destination; every EventBridge rule target with a retry policy and an SQS
//! dead-letter queue; and every execution role that may edit functions denied those edits on
//! lambda-warden's own functions.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};
use warden_tests::sam::transformed_template;

/// The actions lambda-warden uses to change a function; none may apply to its own functions.
const WRITE_ACTIONS: [&str; 4] = [
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:UpdateFunctionUrlConfig",
    "lambda:TagResource",
];

/// The resource every role denies [`WRITE_ACTIONS`] on: the stack's own functions.
const OWN_FUNCTIONS: &str =
    "arn:${AWS::Partition}:lambda:*:${AWS::AccountId}:function:${AWS::StackName}-*";

fn of_type<'a>(template: &'a Value, ty: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == ty)
        .map(|(id, r)| (id.as_str(), r))
        .collect()
}

/// The logical id a `{"Ref": id}` or `{"Fn::GetAtt": [id, ...]}` names.
fn target(v: &Value) -> Option<&str> {
    v.get("Ref")
        .and_then(Value::as_str)
        .or_else(|| v.get("Fn::GetAtt").and_then(|a| a[0].as_str()))
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

/// The binaries of the crates under `functions/` (their `[[bin]]` names).
fn function_binaries() -> BTreeSet<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../functions");
    let mut found = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).expect("functions/") {
        let manifest = entry.expect("entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let lines: Vec<&str> = text.lines().collect();
        for (i, l) in lines.iter().enumerate() {
            if l.trim() == "[[bin]]" {
                let name = lines[i + 1..]
                    .iter()
                    .find_map(|l| l.trim().strip_prefix("name = "))
                    .expect("a [[bin]] name");
                found.insert(name.trim_matches('"').to_owned());
            }
        }
    }
    found
}

#[test]
fn every_function_crate_is_deployed_and_nothing_else() {
    let template = transformed_template();
    let deployed: BTreeSet<String> = of_type(&template, "AWS::Lambda::Function")
        .iter()
        .map(|(id, f)| {
            f["Metadata"]["BuildProperties"]["Binary"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: no BuildProperties.Binary"))
                .to_owned()
        })
        .collect();
    let crates = function_binaries();
    assert!(crates.len() >= 3, "functions/ binaries: {crates:?}");
    assert_eq!(deployed, crates, "template functions vs. functions/ crates");
}

#[test]
fn every_function_is_traced_bounded_logged_and_keeps_its_failures() {
    let template = transformed_template();
    let functions = of_type(&template, "AWS::Lambda::Function");
    assert!(functions.len() >= 3);
    let invoke_configs = of_type(&template, "AWS::Lambda::EventInvokeConfig");
    for (id, f) in functions {
        let p = &f["Properties"];
        assert_eq!(p["Runtime"], "provided.al2023", "{id}");
        assert_eq!(f["Metadata"]["BuildMethod"], "rust-cargolambda", "{id}");
        assert_eq!(
            p["Architectures"],
            json!([{ "Ref": "Architecture" }]),
            "{id}: the architecture comes from the Architecture parameter"
        );
        assert_eq!(p["TracingConfig"]["Mode"], "Active", "{id}");
        assert!(
            p.get("ReservedConcurrentExecutions").is_some(),
            "{id}: no reserved concurrency"
        );
        assert_eq!(p["LoggingConfig"]["LogFormat"], "JSON", "{id}");
        let log_group = target(&p["LoggingConfig"]["LogGroup"])
            .unwrap_or_else(|| panic!("{id}: the log group is not the template's"));
        let group = &template["Resources"][log_group];
        assert_eq!(group["Type"], "AWS::Logs::LogGroup", "{id}");
        assert!(
            group["Properties"].get("RetentionInDays").is_some(),
            "{id}: log group {log_group} keeps logs forever"
        );
        // Encrypted with the stack's key, whose policy lets CloudWatch Logs use it for this
        // stack's log groups only (the encryption context names the log group).
        let key = target(&group["Properties"]["KmsKeyId"])
            .unwrap_or_else(|| panic!("{id}: log group {log_group} without a KMS key"));
        let key_policy = template["Resources"][key]["Properties"]["KeyPolicy"].to_string();
        assert!(
            key_policy.contains("kms:EncryptionContext:aws:logs:arn")
                && key_policy.contains("log-group:/aws/lambda/${AWS::StackName}-*"),
            "{id}: {key}'s policy does not limit CloudWatch Logs to this stack's log groups"
        );
        let config = invoke_configs
            .iter()
            .find(|(_, c)| target(&c["Properties"]["FunctionName"]) == Some(id))
            .unwrap_or_else(|| panic!("{id}: no EventInvokeConfig"));
        let destination = &config.1["Properties"]["DestinationConfig"]["OnFailure"]["Destination"];
        let queue = target(destination)
            .unwrap_or_else(|| panic!("{id}: no on-failure destination: {destination}"));
        assert_eq!(
            template["Resources"][queue]["Type"], "AWS::SQS::Queue",
            "{id}"
        );
    }
}

#[test]
fn every_rule_target_retries_and_keeps_undelivered_events() {
    let template = transformed_template();
    let rules = of_type(&template, "AWS::Events::Rule");
    assert!(rules.len() >= 3, "{} rules", rules.len());
    for (id, rule) in rules {
        let targets = as_list(&rule["Properties"]["Targets"]);
        assert!(!targets.is_empty(), "{id}: no target");
        for t in targets {
            assert!(
                t["RetryPolicy"]["MaximumRetryAttempts"].is_number()
                    && t["RetryPolicy"]["MaximumEventAgeInSeconds"].is_number(),
                "{id}: target without a retry policy: {t}"
            );
            let dlq = target(&t["DeadLetterConfig"]["Arn"])
                .unwrap_or_else(|| panic!("{id}: target without a dead-letter queue: {t}"));
            assert_eq!(
                template["Resources"][dlq]["Type"], "AWS::SQS::Queue",
                "{id}: dead-letter target {dlq}"
            );
        }
    }
}

/// The statements of a role's inline policies, with `Fn::If` branches both kept.
fn statements(role: &Value) -> Vec<Value> {
    as_list(&role["Properties"]["Policies"])
        .iter()
        .flat_map(|p| as_list(&p["PolicyDocument"]["Statement"]))
        .flat_map(|s| match s.get("Fn::If") {
            Some(branches) => vec![branches[1].clone(), branches[2].clone()],
            None => vec![s],
        })
        .filter(|s| s.get("Effect").is_some())
        .collect()
}

#[test]
fn no_role_may_edit_lambda_wardens_own_functions() {
    let template = transformed_template();
    let roles = of_type(&template, "AWS::IAM::Role");
    let mut checked = 0;
    for (id, role) in roles {
        let statements = statements(role);
        let allowed: BTreeSet<String> = statements
            .iter()
            .filter(|s| s["Effect"] == "Allow")
            .flat_map(|s| as_list(&s["Action"]))
            .filter_map(|a| a.as_str().map(str::to_owned))
            .filter(|a| WRITE_ACTIONS.contains(&a.as_str()))
            .collect();
        if allowed.is_empty() {
            continue;
        }
        let denied: BTreeSet<String> = statements
            .iter()
            .filter(|s| {
                s["Effect"] == "Deny"
                    && s.get("Condition").is_none()
                    && as_list(&s["Resource"]).contains(&json!({ "Fn::Sub": OWN_FUNCTIONS }))
            })
            .flat_map(|s| as_list(&s["Action"]))
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect();
        let missing: Vec<&String> = allowed.difference(&denied).collect();
        assert!(
            missing.is_empty(),
            "{id} may {missing:?} on lambda-warden's own functions"
        );
        checked += 1;
    }
    assert!(checked >= 3, "only {checked} roles edit functions");
    // The denied resource covers every function the stack deploys.
    for (id, f) in of_type(&template, "AWS::Lambda::Function") {
        let name = f["Properties"]["FunctionName"]["Fn::Sub"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: FunctionName is not a !Sub"));
        assert!(
            name.starts_with("${AWS::StackName}-"),
            "{id}: {name} is outside the denied name prefix"
        );
    }
}

#[test]
fn statement_ids_are_unique_in_each_role() {
    let template = transformed_template();
    for (id, role) in of_type(&template, "AWS::IAM::Role") {
        let mut seen = BTreeSet::new();
        for s in statements(role) {
            if let Some(sid) = s["Sid"].as_str() {
                assert!(seen.insert(sid.to_owned()), "{id}: Sid {sid} twice");
            }
        }
    }
}
