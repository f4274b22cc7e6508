//! Checks of `template.yaml` and `template-member.yaml`: they pass `cfn-lint`, the template sets
//! every setting the functions read, every Lambda rule (the default bus's, the organization
//! bus's, the member accounts' forwarding rule) matches the same real (suffixed) Lambda event
//! names, each sample event is matched by exactly its own rule (Lambda or IAM; failed calls by
//! none), and the IAM part exists only in us-east-1.

use std::path::PathBuf;
use std::process::Command;

use warden_tests::sam::transformed_template;

fn workspace_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every `"WARDEN_..."` string literal in `text`.
fn warden_variables(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.starts_with("WARDEN_") && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        })
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The items of the first block list under `eventName:` in the rule pattern.
fn event_names(template: &str) -> Vec<String> {
    every_event_name_list(template)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The items of every block list under `eventName:`, in order.
fn every_event_name_list(template: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = template.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "eventName:")
        .map(|(i, _)| {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .take_while(|l| l.starts_with("- "))
                .map(|l| l.trim_start_matches("- ").to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn templates_pass_cfn_lint() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for template in ["template.yaml", "template-member.yaml"] {
        let out = Command::new("cfn-lint")
            .arg(template)
            .current_dir(&root)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run cfn-lint ({e}); install it: python3 -m pip install cfn-lint")
            });
        assert!(
            out.status.success(),
            "cfn-lint {template}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_rule_matches_the_same_event_names() {
    // The Lambda rules (the IAM rule lists IAM's event names).
    let lambda = |lists: Vec<Vec<String>>| -> Vec<Vec<String>> {
        lists
            .into_iter()
            .filter(|l| l.iter().any(|n| n.starts_with("AddPermission")))
            .collect()
    };
    let central = lambda(every_event_name_list(&workspace_file("template.yaml")));
    let member = lambda(every_event_name_list(&workspace_file(
        "template-member.yaml",
    )));
    assert_eq!(central.len(), 2, "default bus and organization bus rules");
    assert_eq!(member.len(), 1, "the forwarding rule");
    for list in central.iter().chain(&member) {
        assert_eq!(list, &central[0]);
    }
}

#[test]
fn template_sets_every_setting_the_function_reads() {
    let mut read = warden_variables(&workspace_file("shared/rules/src/config.rs"));
    assert!(read.len() >= 9, "settings found in config.rs: {read:?}");
    let sweep = warden_variables(&workspace_file("functions/sweep/src/lib.rs"));
    assert_eq!(sweep.len(), 10, "settings found in the sweep: {sweep:?}");
    read.extend(sweep);
    let template = workspace_file("template.yaml");
    let readme = workspace_file("README.md");
    for var in &read {
        assert!(
            template.contains(&format!("{var}:")),
            "template.yaml does not set {var}"
        );
        assert!(
            readme.contains(&format!("`{var}`")),
            "README.md does not document {var}"
        );
    }
}

#[test]
fn rule_matches_suffixed_event_names_and_drops_failed_calls() {
    let template = workspace_file("template.yaml");
    let names = event_names(&template);
    assert!(names.len() >= 16, "eventName list: {names:?}");
    // Function URL, event invoke and code signing events are logged without an API-version
    // suffix; AddLayerVersionPermission is seen both with and without one.
    let unsuffixed = [
        "CreateFunctionUrlConfig",
        "UpdateFunctionUrlConfig",
        "PutFunctionEventInvokeConfig",
        "PutFunctionCodeSigningConfig",
        "UpdateFunctionEventInvokeConfig",
        "DeleteFunctionEventInvokeConfig",
        "DeleteFunctionCodeSigningConfig",
        "DeleteFunctionUrlConfig",
        "AddLayerVersionPermission",
    ];
    for name in &names {
        let digits = name.trim_end_matches("v2");
        let suffixed = digits.len() > 8
            && digits[digits.len() - 8..]
                .bytes()
                .all(|b| b.is_ascii_digit());
        assert!(
            suffixed || unsuffixed.contains(&name.as_str()),
            "{name} is a bare API name: CloudTrail never logs it, so the rule would never fire"
        );
    }
    for needed in [
        "AddPermission20150331v2",
        "AddPermission20150331",
        "CreateFunctionUrlConfig",
        "UpdateFunctionUrlConfig",
        "TagResource20170331v2",
        "CreateFunction20150331",
        "AddLayerVersionPermission20181031",
        "AddLayerVersionPermission",
        "PutFunctionEventInvokeConfig",
        "PutFunctionCodeSigningConfig",
        "UpdateFunctionEventInvokeConfig",
        "DeleteFunctionEventInvokeConfig",
        "DeleteFunctionCodeSigningConfig",
        "DeleteFunctionUrlConfig",
    ] {
        assert!(names.iter().any(|n| n == needed), "{needed} missing");
    }
    assert!(template.contains("errorCode: [{exists: false}]"));
    assert!(template.contains("source: [aws.lambda]"));
    assert!(template.contains("detail-type: [AWS API Call via CloudTrail]"));
}

/// What each role may read is checked per role in `template_resources.rs`; no role may
/// change IAM.
#[test]
fn no_role_may_edit_iam() {
    for file in ["template.yaml", "template-member.yaml"] {
        let template = workspace_file(file);
        for write in [
            "iam:Attach",
            "iam:Detach",
            "iam:Put",
            "iam:Delete",
            "iam:Update",
            "iam:Create",
        ] {
            assert!(
                !template.contains(write),
                "{file}: no role may edit IAM: {write}"
            );
        }
    }
}

#[test]
fn rule_matches_every_successful_sample_event() {
    let names = event_names(&workspace_file("template.yaml"));
    let dir = warden_tests::events::events_dir();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable event");
        let event: serde_json::Value = serde_json::from_str(&text).expect("JSON event");
        let detail = &event["detail"];
        if event["source"] != "aws.lambda" || !detail["errorCode"].is_null() {
            continue;
        }
        let name = detail["eventName"].as_str().unwrap_or("");
        assert!(
            names.iter().any(|n| n == name),
            "{}: {name} is not in the rule's eventName list, so EventBridge would never deliver it",
            path.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} sample events checked in {}",
        dir.display()
    );
}

/// `(logical id, EventPattern)` of every EventBridge rule on the default event bus of the
/// deployed template (schedules have no pattern; the organization bus's rule, on its own bus,
/// repeats the Lambda rule's pattern and is checked by `every_rule_matches_the_same_event_names`).
fn rule_patterns(template: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Events::Rule")
        .filter(|(_, r)| {
            r["Properties"].get("EventPattern").is_some()
                && r["Properties"].get("EventBusName").is_none()
        })
        .map(|(id, r)| (id.clone(), r["Properties"]["EventPattern"].clone()))
        .collect()
}

/// EventBridge's matching (the subset the template uses; anything else fails the test, so
/// the template cannot outgrow this check unnoticed).
fn pattern_matches(pattern: &serde_json::Value, event: &serde_json::Value) -> bool {
    warden_tests::event_pattern::matches(pattern, event)
        .unwrap_or_else(|e| panic!("template pattern outside the checked subset: {e}"))
}

#[test]
fn each_sample_event_matches_exactly_its_own_rule() {
    let template = transformed_template();
    let rules = rule_patterns(&template);
    let lambda_rule = "EventsFunctionLambdaApiCalls";
    let iam_rule = "IamEventsFunctionIamApiCalls";
    let ids: Vec<&str> = rules.iter().map(|(id, _)| id.as_str()).collect();
    assert!(
        ids.contains(&lambda_rule) && ids.contains(&iam_rule),
        "{ids:?}"
    );

    let dir = warden_tests::events::events_dir();
    let (mut lambda, mut iam, mut failed) = (0, 0, 0);
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable"))
                .expect("JSON event");
        let matched: Vec<&str> = rules
            .iter()
            .filter(|(_, p)| pattern_matches(p, &event))
            .map(|(id, _)| id.as_str())
            .collect();
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let expected: &[&str] = if !event["detail"]["errorCode"].is_null() {
            failed += 1;
            &[]
        } else if event["source"] == "aws.iam" {
            iam += 1;
            &[iam_rule]
        } else {
            lambda += 1;
            &[lambda_rule]
        };
        assert_eq!(matched, expected, "{name}: matched by {matched:?}");
    }
    assert!(
        lambda >= 10 && iam >= 7 && failed >= 2,
        "{lambda} {iam} {failed}"
    );
}

#[test]
fn the_iam_rule_lists_every_iam_event_name_and_exists_only_in_us_east_1() {
    let template = transformed_template();
    let pattern =
        &template["Resources"]["IamEventsFunctionIamApiCalls"]["Properties"]["EventPattern"];
    let mut listed: Vec<&str> = pattern["detail"]["eventName"]
        .as_array()
        .expect("eventName list")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    listed.sort();
    let mut handled: Vec<&str> = warden_rules::event_name::IamEventName::ALL
        .iter()
        .map(|n| n.as_str())
        .collect();
    handled.sort();
    assert_eq!(listed, handled);
    assert_eq!(pattern["source"], serde_json::json!(["aws.iam"]));
    assert_eq!(
        pattern["detail"]["eventSource"],
        serde_json::json!(["iam.amazonaws.com"])
    );
    assert_eq!(
        pattern["detail"]["errorCode"],
        serde_json::json!([{"exists": false}])
    );

    assert_eq!(
        template["Conditions"]["IsIamHomeRegion"],
        serde_json::json!({"Fn::Equals": [{"Ref": "AWS::Region"}, "us-east-1"]})
    );
    let resources = template["Resources"].as_object().expect("Resources");
    let iam_part: Vec<&String> = resources
        .keys()
        .filter(|id| id.starts_with("IamEvents") || id.starts_with("UndeliveredIam"))
        .collect();
    assert!(iam_part.len() >= 6, "{iam_part:?}");
    for id in iam_part {
        assert_eq!(
            resources[id]["Condition"], "IsIamHomeRegion",
            "{id} must exist only in us-east-1"
        );
    }
    assert_eq!(
        template["Outputs"]["IamEventsFunctionArn"]["Condition"],
        "IsIamHomeRegion"
    );
}

/// The state table's properties: the parts that make it durable (kept when the stack is
/// deleted or the table replaced, point-in-time recovery), encrypted with the stack's key,
/// expiring records by `expires_at`, and written only by lambda-warden's roles and the
/// approvers.
#[test]
fn the_state_table_is_durable_encrypted_and_written_only_by_lambda_warden() {
    use serde_json::json;
    let template = transformed_template();
    let table = &template["Resources"]["StateTable"];
    assert_eq!(table["Type"], "AWS::DynamoDB::Table");
    assert_eq!(table["DeletionPolicy"], "Retain");
    assert_eq!(table["UpdateReplacePolicy"], "Retain");
    let p = &table["Properties"];
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
    assert_eq!(
        p["KeySchema"],
        json!([
            { "AttributeName": "pk", "KeyType": "HASH" },
            { "AttributeName": "sk", "KeyType": "RANGE" },
        ])
    );
    assert_eq!(
        p["AttributeDefinitions"],
        json!([
            { "AttributeName": "pk", "AttributeType": "S" },
            { "AttributeName": "sk", "AttributeType": "S" },
        ])
    );
    assert_eq!(
        p["PointInTimeRecoverySpecification"],
        json!({ "PointInTimeRecoveryEnabled": true })
    );
    assert_eq!(
        p["SSESpecification"],
        json!({
            "SSEEnabled": true,
            "SSEType": "KMS",
            "KMSMasterKeyId": { "Fn::GetAtt": ["DataKey", "Arn"] },
        })
    );
    assert_eq!(
        p["TimeToLiveSpecification"],
        json!({ "AttributeName": "expires_at", "Enabled": true })
    );
    assert_eq!(
        template["Outputs"]["StateTableName"]["Value"],
        json!({ "Ref": "StateTable" })
    );

    // The key lets DynamoDB use it for this table only: its requests name the table in their
    // encryption context (https://docs.aws.amazon.com/kms/latest/developerguide/services-dynamodb.html).
    let key_policy = &template["Resources"]["DataKey"]["Properties"]["KeyPolicy"]["Statement"];
    let dynamodb = key_policy
        .as_array()
        .expect("key policy statements")
        .iter()
        .find(|s| s["Sid"] == "DynamoDBUsesTheKeyForTheStateTable")
        .expect("a key policy statement for DynamoDB");
    assert_eq!(
        dynamodb["Condition"]["StringEquals"]["kms:EncryptionContext:aws:dynamodb:tableName"],
        json!({ "Fn::Sub": "${AWS::StackName}-state" })
    );
    assert_eq!(
        dynamodb["Condition"]["StringEquals"]["kms:ViaService"],
        json!({ "Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com" })
    );

    // Every data-plane write is denied to every principal but the listed ones.
    let statements = p["ResourcePolicy"]["PolicyDocument"]["Statement"]
        .as_array()
        .expect("resource policy statements");
    assert_eq!(statements.len(), 3, "{statements:?}");
    // PartiQL writes: lambda-warden's roles only, not the approvers.
    let partiql = &statements[1];
    assert_eq!(partiql["Effect"], "Deny");
    assert_eq!(partiql["Resource"], statements[0]["Resource"]);
    for write in [
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    ] {
        assert!(
            partiql["Action"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(write))),
            "{write}"
        );
    }
    let allowed = partiql["Condition"]["ArnNotLike"]["aws:PrincipalArn"].to_string();
    assert!(!allowed.contains("ExemptionApprovers"), "{allowed}");
    assert!(
        allowed.contains("SweepFunctionRole") && allowed.contains("EventsFunctionRole"),
        "{allowed}"
    );
    // The organization sweep's run records: the sweep's role alone writes `RUN#` partitions.
    let runs = &statements[2];
    assert_eq!(
        (&runs["Effect"], &runs["Principal"], &runs["Resource"]),
        (&json!("Deny"), &json!("*"), &statements[0]["Resource"])
    );
    assert_eq!(
        runs["Condition"],
        json!({
            "ForAnyValue:StringLike": { "dynamodb:LeadingKeys": ["RUN#*"] },
            "ArnNotEquals": { "aws:PrincipalArn": { "Fn::GetAtt": ["SweepFunctionRole", "Arn"] } }
        })
    );
    for write in [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ] {
        assert!(
            runs["Action"]
                .as_array()
                .is_some_and(|a| a.contains(&json!(write))),
            "{write}"
        );
    }
    let deny = &statements[0];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(deny["Principal"], "*");
    assert_eq!(
        deny["Resource"],
        json!({ "Fn::Sub": "arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/${AWS::StackName}-state" })
    );
    let actions: Vec<&str> = deny["Action"]
        .as_array()
        .expect("actions")
        .iter()
        .filter_map(serde_json::Value::as_str)
        .collect();
    // The write actions of DynamoDB's items (TransactWriteItems is authorized per item as
    // PutItem, UpdateItem and DeleteItem:
    // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/transaction-apis-iam.html).
    for write in [
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
        "dynamodb:PartiQLInsert",
        "dynamodb:PartiQLUpdate",
        "dynamodb:PartiQLDelete",
    ] {
        assert!(
            actions.contains(&write),
            "{write} is not denied: {actions:?}"
        );
    }
    let condition = deny["Condition"].as_object().expect("a condition");
    assert_eq!(
        condition.keys().collect::<Vec<_>>(),
        ["ArnNotLike"],
        "{condition:?}"
    );
    let exempt = &condition["ArnNotLike"]["aws:PrincipalArn"];

    // Rendered for a us-east-1 stack and another Region, without approvers (the parameter's
    // default, a list of one empty string) and with two.
    for (region, home) in [("us-east-1", true), ("eu-west-1", false)] {
        for approvers in [
            vec![""],
            vec![
                "arn:aws:iam::111122223333:role/Admin*",
                "arn:aws:iam::111122223333:role/SecOps",
            ],
        ] {
            let rendered = render(&template, exempt, home, &approvers);
            let mut want = vec![
                "arn:aws:iam::123456789012:role/EventsFunctionRole".to_owned(),
                "arn:aws:iam::123456789012:role/SweepFunctionRole".to_owned(),
            ];
            if home {
                want.push("arn:aws:iam::123456789012:role/IamEventsFunctionRole".to_owned());
            }
            want.extend(
                approvers
                    .iter()
                    .filter(|a| !a.is_empty())
                    .map(|a| (*a).to_owned()),
            );
            let mut got = rendered.clone();
            got.sort();
            got.dedup();
            want.sort();
            assert_eq!(got, want, "{region}, approvers {approvers:?}: {rendered:?}");
            // No empty pattern (which would match no principal and is not an ARN).
            assert!(rendered.iter().all(|a| !a.is_empty()), "{rendered:?}");
        }
    }
}

/// The list of strings `v` (an intrinsic of the template) evaluates to, with conditions
/// `IsIamHomeRegion` = `home` and `HasApprovers` from `approvers` (the `ExemptionApprovers`
/// value), and each role's `Arn` as `arn:aws:iam::123456789012:role/ID`. Only the intrinsics
/// the resource policy uses are known: anything else fails the test.
fn render(
    template: &serde_json::Value,
    v: &serde_json::Value,
    home: bool,
    approvers: &[&str],
) -> Vec<String> {
    fn one(
        template: &serde_json::Value,
        v: &serde_json::Value,
        home: bool,
        approvers: &[&str],
    ) -> Vec<String> {
        if let Some(s) = v.as_str() {
            return vec![s.to_owned()];
        }
        if let Some(items) = v.as_array() {
            return items
                .iter()
                .flat_map(|i| one(template, i, home, approvers))
                .collect();
        }
        let (f, args) = v
            .as_object()
            .and_then(|o| o.iter().next())
            .unwrap_or_else(|| panic!("not an intrinsic: {v}"));
        match f.as_str() {
            "Ref" if args == "ExemptionApprovers" => {
                approvers.iter().map(|a| (*a).to_owned()).collect()
            }
            "Fn::GetAtt" => {
                let id = args[0].as_str().expect("logical id");
                assert_eq!(args[1], "Arn", "{v}");
                assert_eq!(
                    template["Resources"][id]["Type"], "AWS::IAM::Role",
                    "{id} is no role"
                );
                vec![format!("arn:aws:iam::123456789012:role/{id}")]
            }
            "Fn::Join" => {
                let sep = args[0].as_str().expect("separator");
                vec![one(template, &args[1], home, approvers).join(sep)]
            }
            "Fn::Split" => {
                let sep = args[0].as_str().expect("separator");
                one(template, &args[1], home, approvers)
                    .iter()
                    .flat_map(|s| s.split(sep).map(str::to_owned).collect::<Vec<_>>())
                    .collect()
            }
            "Fn::If" => {
                let truth = match args[0].as_str() {
                    Some("IsIamHomeRegion") => home,
                    Some("HasApprovers") => {
                        // The condition as the template defines it: the joined list is not "".
                        assert_eq!(
                            template["Conditions"]["HasApprovers"],
                            serde_json::json!({ "Fn::Not": [{ "Fn::Equals": [
                                { "Fn::Join": ["", { "Ref": "ExemptionApprovers" }] }, ""
                            ] }] })
                        );
                        approvers.concat() != ""
                    }
                    other => panic!("unknown condition {other:?}"),
                };
                one(template, &args[if truth { 1 } else { 2 }], home, approvers)
            }
            other => panic!("intrinsic {other} is not rendered by this test: {v}"),
        }
    }
    one(template, v, home, approvers)
}

#[test]
fn every_function_reaches_the_state_table_and_knows_the_approvers() {
    use serde_json::json;
    let template = transformed_template();
    let functions: Vec<(&String, &serde_json::Value)> = template["Resources"]
        .as_object()
        .expect("Resources")
        .iter()
        .filter(|(_, r)| r["Type"] == "AWS::Lambda::Function")
        .collect();
    assert!(functions.len() >= 3);
    for (id, f) in functions {
        let vars = &f["Properties"]["Environment"]["Variables"];
        assert_eq!(
            vars["WARDEN_STATE_TABLE"],
            json!({ "Ref": "StateTable" }),
            "{id}"
        );
        assert_eq!(
            vars["WARDEN_EXEMPTION_APPROVERS"],
            json!({ "Fn::Join": [",", { "Ref": "ExemptionApprovers" }] }),
            "{id}"
        );
        // Empty when 0 (keep every record): the setting parser ignores an empty value.
        assert_eq!(
            vars["WARDEN_AUDIT_RETENTION_DAYS"],
            json!({ "Fn::If": ["HasAuditRetention", { "Ref": "AuditRetentionDays" }, ""] }),
            "{id}"
        );
    }
    let parameters = &template["Parameters"];
    assert_eq!(
        parameters["ExemptionApprovers"]["Type"],
        "CommaDelimitedList"
    );
    assert_eq!(parameters["ExemptionApprovers"]["Default"], "");
    assert_eq!(parameters["AuditRetentionDays"]["Type"], "Number");
    assert_eq!(parameters["AuditRetentionDays"]["Default"], 0);
}
