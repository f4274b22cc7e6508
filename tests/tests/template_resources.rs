//! The resources `template.yaml` deploys (after the SAM transform): every function of
//! `functions/` and no other, each with its architecture from the `Architecture` parameter,
//! active tracing, reserved concurrency, JSON logs in a log group with a retention, and an
//! on-failure destination; every EventBridge rule target with a retry policy and an SQS
//! dead-letter queue; every execution role allowed each action its function calls, and every
//! role that may edit functions denied those edits on lambda-warden's own functions; the
//! member role of `template-member.yaml` allowed what the central functions call through it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use serde_json::{json, Value};
use warden_aws::calls::OPERATIONS;
use warden_tests::sam::{template_as_json, transformed_template};

/// The actions lambda-warden uses to change a function; none may apply to its own functions.
const WRITE_ACTIONS: [&str; 4] = [
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:UpdateFunctionUrlConfig",
    "lambda:TagResource",
];

/// The resources every role denies [`WRITE_ACTIONS`] on: the stack's own functions by ARN,
/// with their aliases and versions, and no name prefix a developer's function could share.
const OWN_FUNCTIONS: &[&str] = &[
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-events",
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-events:*",
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-iam-events",
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-iam-events:*",
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-sweep",
    "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:${AWS::StackName}-sweep:*",
];

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
                    && OWN_FUNCTIONS
                        .iter()
                        .all(|f| as_list(&s["Resource"]).contains(&json!({ "Fn::Sub": f })))
                    && as_list(&s["Resource"]).len() == OWN_FUNCTIONS.len()
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

/// What evaluating and remediating one function calls (`warden_aws::Aws::fetch_snapshot`, the
/// fixes, the tags and the alert), as IAM actions.
const EVALUATE: &[&str] = &[
    "lambda:GetFunction",
    "lambda:GetPolicy",
    "lambda:GetFunctionUrlConfig",
    "lambda:GetFunctionEventInvokeConfig",
    "lambda:GetFunctionCodeSigningConfig",
    "iam:GetRole",
    "iam:ListAttachedRolePolicies",
    "iam:ListRolePolicies",
    "iam:GetRolePolicy",
    "iam:GetPolicy",
    "iam:GetPolicyVersion",
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:UpdateFunctionUrlConfig",
    "lambda:TagResource",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
];

/// The state table operations only `lambda-warden` (the CLI: `unexempt`, `exemptions`) calls,
/// with the operator's own credentials: no function role may.
const CLI_ONLY: &[&str] = &["dynamodb:DeleteItem", "dynamodb:Scan"];

/// What each function calls besides [`EVALUATE`] and `sns:Publish`, by binary.
const EXTRA: &[(&str, &[&str])] = &[
    (
        "lambda-events",
        &["lambda:GetLayerVersionPolicy", "lambda:GetLayerVersion"],
    ),
    (
        "iam-events",
        &["lambda:ListFunctions", "iam:ListEntitiesForPolicy"],
    ),
    (
        "sweep",
        &[
            "lambda:ListFunctions",
            "lambda:ListAliases",
            "lambda:ListVersionsByFunction",
            "lambda:InvokeFunction",
        ],
    ),
];

/// The IAM action of an adapter operation name (`warden_aws::calls::OPERATIONS`).
fn iam_action(operation: &str) -> String {
    match operation {
        "Publish" => "sns:Publish".to_owned(),
        "Invoke" => "lambda:InvokeFunction".to_owned(),
        op if op.starts_with("iam:") || op.starts_with("dynamodb:") => op.to_owned(),
        op => format!("lambda:{op}"),
    }
}

/// The actions a role's Allow statements name (both branches of an `Fn::If`).
fn allowed_actions(role: &Value) -> BTreeSet<String> {
    statements(role)
        .iter()
        .filter(|s| s["Effect"] == "Allow")
        .flat_map(|s| as_list(&s["Action"]))
        .filter_map(|a| a.as_str().map(str::to_owned))
        .collect()
}

#[test]
fn every_role_allows_each_action_its_function_calls() {
    // Every operation the adapter calls is needed by some function here, so a new operation
    // must be given to the roles that call it.
    let needed: BTreeSet<String> = EVALUATE
        .iter()
        .chain(EXTRA.iter().flat_map(|(_, a)| a.iter()))
        .map(|a| (*a).to_owned())
        .chain(["sns:Publish".to_owned()])
        .collect();
    for op in OPERATIONS.iter().filter(|op| !CLI_ONLY.contains(op)) {
        assert!(
            needed.contains(&iam_action(op)),
            "the adapter calls {op}: add it to the actions of the functions that call it"
        );
    }
    let template = transformed_template();
    let mut checked = 0;
    for (id, f) in of_type(&template, "AWS::Lambda::Function") {
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: no Binary"));
        let extra = EXTRA
            .iter()
            .find(|(b, _)| *b == binary)
            .map(|(_, a)| *a)
            .unwrap_or_else(|| panic!("{binary}: what does it call? add it to EXTRA"));
        let role_id = target(&f["Properties"]["Role"])
            .unwrap_or_else(|| panic!("{id}: the role is not the template's"));
        let allowed = allowed_actions(&template["Resources"][role_id]);
        let missing: Vec<&&str> = EVALUATE
            .iter()
            .chain(extra.iter())
            .chain(["sns:Publish"].iter())
            .filter(|a| !allowed.contains(**a))
            .collect();
        assert!(
            missing.is_empty(),
            "{role_id} ({binary}) may not {missing:?}: those reads would end as LW006 unverified"
        );
        checked += 1;
    }
    assert_eq!(checked, EXTRA.len());
}

#[test]
fn the_member_role_allows_what_the_central_functions_call_through_it() {
    // Events of member accounts are evaluated and fixed through the member role, and
    // `lambda-warden scan --organization` lists through it.
    let template = template_as_json("template-member.yaml");
    let role = &template["Resources"]["MemberRole"];
    assert_eq!(role["Type"], "AWS::IAM::Role");
    let allowed = allowed_actions(role);
    // The state table is the central stack's, reached with its own credentials.
    let missing: Vec<&&str> = EVALUATE
        .iter()
        .filter(|a| !a.starts_with("dynamodb:"))
        .chain(
            [
                "lambda:GetLayerVersionPolicy",
                "lambda:GetLayerVersion",
                "lambda:ListFunctions",
                "lambda:ListAliases",
                "lambda:ListVersionsByFunction",
            ]
            .iter(),
        )
        .filter(|a| !allowed.contains(**a))
        .collect();
    assert!(missing.is_empty(), "MemberRole may not {missing:?}");
}

/// The settings that decide what an evaluation finds and does. Every function evaluates
/// functions through the same loop, so they must agree, or their status tags and alerts would
/// flip between the functions' answers.
const EVALUATION_SETTINGS: &[&str] = &[
    "WARDEN_MODE",
    "WARDEN_AUTO_FIX_SCOPE",
    "WARDEN_TRUSTED_ACCOUNTS",
    "WARDEN_ORGANIZATION_ID",
    "WARDEN_ALERT_TOPIC_ARN",
    "WARDEN_ALERT_MIN_SEVERITY",
    "WARDEN_MAX_REPLANS",
    "WARDEN_DISABLED_RULES",
    "WARDEN_ENABLED_RULES",
    "WARDEN_REQUIRED_TAGS",
    "WARDEN_RUNTIME_WARNING_DAYS",
    "WARDEN_TRUSTED_LAYER_ACCOUNTS",
    "WARDEN_SELF_FUNCTION_ARNS",
];

#[test]
fn every_function_evaluates_with_the_same_settings_and_knows_every_own_function() {
    let template = transformed_template();
    let functions = of_type(&template, "AWS::Lambda::Function");
    let (first_id, first) = functions[0];
    let reference = &first["Properties"]["Environment"]["Variables"];
    for (id, f) in &functions {
        let vars = &f["Properties"]["Environment"]["Variables"];
        for name in EVALUATION_SETTINGS {
            assert!(vars.get(*name).is_some(), "{id} does not set {name}");
            assert_eq!(
                vars[*name], reference[*name],
                "{id} and {first_id} set {name} differently"
            );
        }
        // Every function's full ARN (this stack's partition, Region and account) is among the
        // functions lambda-warden never evaluates, its own included.
        let own = f["Properties"]["FunctionName"]["Fn::Sub"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: FunctionName is not a !Sub"));
        let arns = vars["WARDEN_SELF_FUNCTION_ARNS"]["Fn::Sub"]
            .as_str()
            .unwrap_or_else(|| panic!("{id}: WARDEN_SELF_FUNCTION_ARNS is not a !Sub"));
        for (other, g) in &functions {
            let name = g["Properties"]["FunctionName"]["Fn::Sub"]
                .as_str()
                .unwrap_or("");
            let arn = format!(
                "arn:${{AWS::Partition}}:lambda:${{AWS::Region}}:${{AWS::AccountId}}:function:{name}"
            );
            assert!(
                arns.split(',').any(|a| a == arn),
                "{id}'s WARDEN_SELF_FUNCTION_ARNS lacks {other} ({arn}); its own is {own}"
            );
        }
    }
}

/// The execution role of each function, by its logical id: `Role: !GetAtt ROLE.Arn`.
fn role_of(function: &Value) -> Option<String> {
    match &function["Properties"]["Role"]["Fn::GetAtt"] {
        Value::Array(a) => a.first().and_then(Value::as_str).map(str::to_owned),
        Value::String(s) => s.strip_suffix(".Arn").map(str::to_owned),
        _ => None,
    }
}

#[test]
fn every_function_knows_the_roles_of_the_functions_deployed_with_it() {
    let template = transformed_template();
    let functions = of_type(&template, "AWS::Lambda::Function");
    let roles: Vec<String> = functions.iter().filter_map(|(_, f)| role_of(f)).collect();
    assert_eq!(
        roles.len(),
        functions.len(),
        "every function has its own role"
    );
    for (id, f) in &functions {
        let value = &f["Properties"]["Environment"]["Variables"]["WARDEN_SELF_ROLE_ARNS"];
        // `!Sub` of role ARNs, or an `!If` (the IAM function's role exists in us-east-1 only)
        // between two such `!Sub`s: each lists `${ROLE.Arn}` of roles of this stack.
        let subs: Vec<&str> = match value.get("Fn::If").and_then(|v| v.as_array()) {
            Some(branches) => branches[1..]
                .iter()
                .filter_map(|b| b["Fn::Sub"].as_str())
                .collect(),
            None => value["Fn::Sub"].as_str().into_iter().collect(),
        };
        assert!(!subs.is_empty(), "{id}: WARDEN_SELF_ROLE_ARNS is {value}");
        for sub in &subs {
            let listed: Vec<&str> = sub.split(',').collect();
            for item in &listed {
                let role = item
                    .strip_prefix("${")
                    .and_then(|r| r.strip_suffix(".Arn}"))
                    .unwrap_or_else(|| panic!("{id}: {item} is not ${{ROLE.Arn}}"));
                assert!(
                    roles.iter().any(|r| r == role),
                    "{id}: {role} is no function's role"
                );
            }
            // Its own role is always listed.
            let own = role_of(f).expect("role");
            assert!(
                listed.contains(&format!("${{{own}.Arn}}").as_str()),
                "{id}: {sub} lacks its own role {own}"
            );
        }
    }
}
