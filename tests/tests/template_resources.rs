//! The resources `template.yaml` deploys (after the SAM transform): every function of
//! `functions/` and no other, each with its architecture from the `Architecture` parameter,
//! active tracing, reserved concurrency, JSON logs in a log group with a retention, and an
//! on-failure destination; every EventBridge rule target with a retry policy and an SQS
//! dead-letter queue; every execution role allowed each action its function calls, and every
//! role that may edit functions denied those edits on lambda-warden's own functions (by their
//! ARNs, no name pattern); the member role of `template-member.yaml` allowed what the central
//! functions call through it. And least privilege: no role may download code
//! (`lambda:GetFunction`), change a URL's auth type to anything but `AWS_IAM`, assume the
//! member role outside the organization (when one is set), or do on the state table more than
//! its function does.

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
/// fixes, the tags, the state table and the alert), as IAM actions. No `lambda:GetFunction`:
/// its answer links to the function's code.
const EVALUATE: &[&str] = &[
    "lambda:GetFunctionConfiguration",
    "lambda:ListTags",
    "lambda:GetFunctionConcurrency",
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

/// The state table operations only `lambda-warden` (the CLI: `exemptions`) calls, with the
/// operator's own credentials: no function role may. (`unexempt` deletes an exemption with
/// `DeleteItem`, as the events function does when an approver removes the exempt tag.)
const CLI_ONLY: &[&str] = &["dynamodb:Scan"];

/// What each function calls besides [`EVALUATE`] and `sns:Publish`, by binary.
const EXTRA: &[(&str, &[&str])] = &[
    (
        "lambda-events",
        &[
            "lambda:GetLayerVersionPolicy",
            "lambda:GetLayerVersion",
            // An approver's UntagResource of the exempt tag revokes the recorded exemption
            // (`warden_aws::store::StateStore::delete_exemption`).
            "dynamodb:DeleteItem",
        ],
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
            "lambda:InvokeFunction",
            // Tags and exemptions of many functions per request.
            "tag:GetResources",
            "dynamodb:BatchGetItem",
            // The organization sweep: its run summary, and its work queues.
            "dynamodb:GetItem",
            "sqs:SendMessage",
            "sqs:ChangeMessageVisibility",
        ],
    ),
];

/// The IAM action of an adapter operation name (`warden_aws::calls::OPERATIONS`).
fn iam_action(operation: &str) -> String {
    match operation {
        "Publish" => "sns:Publish".to_owned(),
        "Invoke" => "lambda:InvokeFunction".to_owned(),
        "GetResources" => "tag:GetResources".to_owned(),
        // Authorised as SendMessage (https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_SendMessageBatch.html).
        "sqs:SendMessageBatch" => "sqs:SendMessage".to_owned(),
        op if op.starts_with("sqs:") => op.to_owned(),
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
                "tag:GetResources",
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

/// The roles of both templates: the central stack's (after the SAM transform) and the member
/// role, with the template each is in.
fn every_role() -> Vec<(String, Value)> {
    let central = transformed_template();
    let member = template_as_json("template-member.yaml");
    let mut roles: Vec<(String, Value)> = of_type(&central, "AWS::IAM::Role")
        .into_iter()
        .map(|(id, r)| (id.to_owned(), r.clone()))
        .collect();
    roles.extend(
        of_type(&member, "AWS::IAM::Role")
            .into_iter()
            .map(|(id, r)| (format!("template-member.yaml {id}"), r.clone())),
    );
    roles
}

/// Whether IAM action pattern `pattern` (`*` and `?` wildcards, case-insensitive, as IAM
/// matches actions) covers `action`.
fn action_matches(pattern: &str, action: &str) -> bool {
    fn go(p: &[u8], a: &[u8]) -> bool {
        match (p.first(), a.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], a) || (!a.is_empty() && go(p, &a[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &a[1..]),
            (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => go(&p[1..], &a[1..]),
            _ => false,
        }
    }
    go(pattern.as_bytes(), action.as_bytes())
}

#[test]
fn no_role_may_download_function_code() {
    // GetFunction answers with a presigned link to the deployment package
    // (https://docs.aws.amazon.com/lambda/latest/api/API_GetFunction.html): the roles read
    // the configuration, tags and concurrency with the operations that do not.
    for (id, role) in every_role() {
        for s in statements(&role).iter().filter(|s| s["Effect"] == "Allow") {
            for a in as_list(&s["Action"]) {
                let a = a.as_str().unwrap_or_default();
                assert!(
                    !action_matches(a, "lambda:GetFunction"),
                    "{id}: {a} allows lambda:GetFunction"
                );
            }
            assert!(
                s.get("NotAction").is_none(),
                "{id}: an Allow with NotAction: {s}"
            );
        }
    }
}

#[test]
fn url_auth_changes_are_allowed_only_to_aws_iam() {
    // UpdateFunctionUrlConfig could otherwise set AuthType NONE; the condition key
    // lambda:FunctionUrlAuthType applies to it
    // (https://docs.aws.amazon.com/service-authorization/latest/reference/list_awslambda.html).
    let mut checked = 0;
    for (id, role) in every_role() {
        for s in statements(&role).iter().filter(|s| s["Effect"] == "Allow") {
            let actions: Vec<String> = as_list(&s["Action"])
                .iter()
                .filter_map(|a| a.as_str().map(str::to_owned))
                .collect();
            if !actions
                .iter()
                .any(|a| action_matches(a, "lambda:UpdateFunctionUrlConfig"))
            {
                continue;
            }
            assert_eq!(
                actions,
                ["lambda:UpdateFunctionUrlConfig"],
                "{id}: the URL statement grants other actions under its condition"
            );
            assert_eq!(
                s["Condition"],
                json!({ "StringEquals": { "lambda:FunctionUrlAuthType": "AWS_IAM" } }),
                "{id}: UpdateFunctionUrlConfig without the AWS_IAM condition"
            );
            checked += 1;
        }
    }
    // The three central roles and the member role.
    assert_eq!(checked, 4, "URL statements checked");
}

#[test]
fn the_member_role_is_assumed_only_in_the_organization_when_it_is_set() {
    let template = transformed_template();
    assert_eq!(
        template["Conditions"]["HasOrganizationId"],
        json!({ "Fn::Not": [{ "Fn::Equals": [{ "Ref": "OrganizationId" }, ""] }] })
    );
    let mut checked = 0;
    for (id, role) in of_type(&template, "AWS::IAM::Role") {
        for s in statements(role) {
            if !as_list(&s["Action"])
                .iter()
                .any(|a| action_matches(a.as_str().unwrap_or_default(), "sts:AssumeRole"))
            {
                continue;
            }
            assert_eq!(
                s["Resource"],
                json!({ "Fn::Sub": "arn:${AWS::Partition}:iam::*:role/${MemberRoleName}" }),
                "{id}"
            );
            // aws:ResourceOrgID is the organization of the account that owns the role
            // (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid).
            assert_eq!(
                s["Condition"],
                json!({ "Fn::If": [
                    "HasOrganizationId",
                    { "StringEquals": { "aws:ResourceOrgID": { "Ref": "OrganizationId" } } },
                    { "Ref": "AWS::NoValue" },
                ] }),
                "{id}: AssumeRole not limited to the organization"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 2,
        "the events role (member events) and the sweep role (work items of other accounts) assume the member role"
    );
}

#[test]
fn the_self_edit_deny_names_each_own_function_and_no_name_pattern() {
    let template = transformed_template();
    // Each function's own ARN, from its explicit FunctionName.
    let names: BTreeSet<String> = of_type(&template, "AWS::Lambda::Function")
        .iter()
        .map(|(id, f)| {
            f["Properties"]["FunctionName"]["Fn::Sub"]
                .as_str()
                .unwrap_or_else(|| panic!("{id}: FunctionName is not a !Sub"))
                .to_owned()
        })
        .collect();
    let prefix = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:";
    let mut expected = BTreeSet::new();
    for name in &names {
        expected.insert(format!("{prefix}{name}"));
        expected.insert(format!("{prefix}{name}:*"));
    }
    let mut checked = 0;
    for (id, role) in of_type(&template, "AWS::IAM::Role") {
        for s in statements(role).iter().filter(|s| s["Effect"] == "Deny") {
            let resources: BTreeSet<String> = as_list(&s["Resource"])
                .iter()
                .map(|r| {
                    r["Fn::Sub"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{id}: Deny resource {r} is not a !Sub"))
                        .to_owned()
                })
                .collect();
            for r in &resources {
                let name = r
                    .strip_prefix(prefix)
                    .unwrap_or_else(|| panic!("{id}: {r} is not a function of this stack"));
                let name = name.strip_suffix(":*").unwrap_or(name);
                assert!(
                    !name.contains('*') && !name.contains('?'),
                    "{id}: {r} is a name pattern other functions may match"
                );
            }
            assert_eq!(
                resources, expected,
                "{id}: the Deny names other than lambda-warden's functions"
            );
            checked += 1;
        }
    }
    assert_eq!(
        checked, 3,
        "the three function roles deny editing their own functions"
    );
}

/// The state table's ARN as the roles name it (built from its `TableName`: a `!GetAtt` of the
/// table would be a circular reference, the table's resource-based policy naming the roles).
const STATE_TABLE_ARN: &str =
    "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-state";

/// The state table operations a function's role must allow, and no other: those of
/// [`EVALUATE`] and of its [`EXTRA`] that are DynamoDB's.
fn state_actions(binary: &str) -> BTreeSet<String> {
    let extra = EXTRA
        .iter()
        .find(|(b, _)| *b == binary)
        .map(|(_, a)| *a)
        .unwrap_or_default();
    EVALUATE
        .iter()
        .chain(extra)
        .filter(|a| a.starts_with("dynamodb:"))
        .map(|a| (*a).to_owned())
        .collect()
}

#[test]
fn each_role_may_do_exactly_what_its_function_does_on_the_state_table() {
    let template = transformed_template();
    assert_eq!(
        template["Resources"]["StateTable"]["Properties"]["TableName"],
        json!({ "Fn::Sub": "${AWS::StackName}-state" })
    );
    // Every DynamoDB operation the adapter calls is either a function's or the CLI's.
    for op in OPERATIONS.iter().filter(|op| op.starts_with("dynamodb:")) {
        let action = iam_action(op);
        assert!(
            CLI_ONLY.contains(op)
                || EXTRA
                    .iter()
                    .any(|(b, _)| state_actions(b).contains(&action)),
            "the adapter calls {op}: which function does?"
        );
    }
    for (id, f) in of_type(&template, "AWS::Lambda::Function") {
        let binary = f["Metadata"]["BuildProperties"]["Binary"]
            .as_str()
            .unwrap_or_default();
        let role_id = target(&f["Properties"]["Role"]).expect("the template's role");
        let statements = statements(&template["Resources"][role_id]);
        let dynamodb: Vec<&Value> = statements
            .iter()
            .filter(|s| {
                as_list(&s["Action"])
                    .iter()
                    .any(|a| a.as_str().unwrap_or_default().starts_with("dynamodb:"))
            })
            .collect();
        assert_eq!(dynamodb.len(), 1, "{role_id}: one state table statement");
        let s = dynamodb[0];
        assert_eq!(s["Effect"], "Allow", "{role_id}");
        assert_eq!(
            s["Resource"],
            json!({ "Fn::Sub": STATE_TABLE_ARN }),
            "{role_id}: the state table only"
        );
        let allowed: BTreeSet<String> = as_list(&s["Action"])
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect();
        assert_eq!(allowed, state_actions(binary), "{role_id} ({id})");
        // The key, only through DynamoDB and only for the state table.
        let kms: Vec<&Value> = statements
            .iter()
            .filter(|s| s["Sid"] == "StateEncryption")
            .collect();
        assert_eq!(kms.len(), 1, "{role_id}: no StateEncryption statement");
        assert_eq!(
            kms[0]["Resource"],
            json!({ "Fn::GetAtt": ["DataKey", "Arn"] })
        );
        assert_eq!(
            kms[0]["Condition"]["StringEquals"],
            json!({
                "kms:ViaService": { "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com" },
                "kms:EncryptionContext:aws:dynamodb:tableName": { "Fn::Sub": "${AWS::StackName}-state" },
            }),
            "{role_id}"
        );
    }
    // The table is central: the member role has nothing on it.
    let member = template_as_json("template-member.yaml");
    for s in statements(&member["Resources"]["MemberRole"]) {
        for a in as_list(&s["Action"]) {
            let a = a.as_str().unwrap_or_default();
            assert!(
                !a.starts_with("dynamodb:") && !a.starts_with("kms:"),
                "MemberRole: {a}"
            );
        }
    }
}

#[test]
fn only_the_sweep_handles_the_organization_sweeps_work_items() {
    let template = transformed_template();
    let policy = &template["Resources"]["SweepWorkQueuePolicy"];
    assert_eq!(policy["Condition"], "HasFanOut");
    assert_eq!(
        policy["Properties"]["Queues"],
        json!([{ "Ref": "SweepWorkQueue" }, { "Ref": "SweepDeadLetterQueue" }])
    );
    let statements = as_list(&policy["Properties"]["PolicyDocument"]["Statement"]);
    let denied = |queue: &str| -> BTreeSet<String> {
        statements
            .iter()
            .filter(|s| {
                s["Effect"] == "Deny"
                    && s["Principal"] == "*"
                    && s["Resource"] == json!({ "Fn::GetAtt": [queue, "Arn"] })
                    && s["Condition"]
                        == json!({ "ArnNotEquals": { "aws:PrincipalArn": { "Fn::GetAtt": ["SweepFunctionRole", "Arn"] } } })
            })
            .flat_map(|s| as_list(&s["Action"]))
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect()
    };
    // Receiving a message five times moves it to the dead-letter queue without a reason;
    // deleting, hiding or purging loses it: none of it is anyone's but the sweep's.
    for action in [
        "sqs:SendMessage",
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:ChangeMessageVisibility",
        "sqs:PurgeQueue",
    ] {
        assert!(
            denied("SweepWorkQueue").contains(action),
            "{action} on the work queue"
        );
    }
    for action in ["sqs:SendMessage", "sqs:DeleteMessage", "sqs:PurgeQueue"] {
        assert!(
            denied("SweepDeadLetterQueue").contains(action),
            "{action} on the dead-letter queue"
        );
    }
    let queue = &template["Resources"]["SweepWorkQueue"]["Properties"];
    // Six times the function's timeout, and items kept as long as SQS keeps anything.
    let timeout = template["Resources"]["SweepFunction"]["Properties"]["Timeout"]
        .as_u64()
        .expect("Timeout");
    assert_eq!(queue["VisibilityTimeout"].as_u64(), Some(6 * timeout));
    assert_eq!(queue["MessageRetentionPeriod"].as_u64(), Some(1_209_600));
}
