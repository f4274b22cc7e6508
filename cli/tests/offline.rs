//! The offline commands through the built binary: `check-policy` on every row of the policy
//! verdict table, `evaluate` on function snapshots, output formats and exit codes.

mod common;

use common::{cli, code, json, run, stderr, stdout, temp_file};
use serde_json::{json, Value};

const ARN: &str = "arn:aws:lambda:us-east-1:111122223333:function:orders-api";

/// The table `shared/rules/tests/policy_verdicts.rs` also reads.
fn verdict_table() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/rules/tests/fixtures/policy_verdicts.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("the verdict table is JSON")
}

#[test]
fn check_policy_gives_every_table_row_its_documented_verdict_and_exit_code() {
    let table = verdict_table();
    let own = table["own_account"].as_str().expect("own_account");
    let trusted = table["trusting"]["trusted_accounts"][0]
        .as_str()
        .expect("a trusted account");
    let org = table["trusting"]["organization_id"]
        .as_str()
        .expect("organization_id");
    let rows = table["rows"].as_array().expect("rows");
    assert!(rows.len() >= 40, "only {} rows", rows.len());
    let mut failures = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        let name = row["name"].as_str().unwrap_or("?");
        let document =
            json!({"Version": "2012-10-17", "Id": "default", "Statement": [row["statement"]]});
        // Half the rows as `aws lambda get-policy` prints them, half as the bare document.
        let input = if i % 2 == 0 {
            json!({"Policy": document.to_string(), "RevisionId": "8f2a"})
        } else {
            document
        };
        let file = temp_file("policy.json", &input.to_string());
        let mut args = vec![
            "check-policy",
            file.arg(),
            "--format",
            "json",
            "--account",
            own,
        ];
        if row["context"] == "trusting" {
            args.extend(["--trusted-account", trusted, "--organization-id", org]);
        }
        let out = run(&mut cli(), &args);
        let expected_code = match row["verdict"]["type"].as_str() {
            Some("public" | "cross_account" | "confused_deputy" | "network_restricted") => 1,
            _ => 0,
        };
        if code(&out) != expected_code {
            failures.push(format!(
                "[{name}] exit {} but expected {expected_code}: {}",
                code(&out),
                stderr(&out)
            ));
            continue;
        }
        let report = json(&out);
        let statement = &report["statements"][0];
        if statement["verdict"] != row["verdict"] {
            failures.push(format!(
                "[{name}] verdict {} but expected {}",
                statement["verdict"], row["verdict"]
            ));
        }
        let reason = statement["reason"].as_str().unwrap_or("");
        let part = row["reason_contains"].as_str().unwrap_or("");
        if !reason.contains(part) {
            failures.push(format!("[{name}] reason lacks {part:?}: {reason}"));
        }
        if report["schema"] != "lambda-warden.check-policy/1" || report["account"] != own {
            failures.push(format!("[{name}] report header {report}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} rows failed:\n{}",
        failures.len(),
        rows.len(),
        failures.join("\n")
    );
}

fn demo_policy() -> Value {
    json!({"Version": "2012-10-17", "Id": "default", "Statement": [
        {"Sid": "backdoor", "Effect": "Allow", "Principal": "*", "Action": "lambda:InvokeFunction", "Resource": ARN},
        {"Sid": "partner", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"}, "Action": "lambda:InvokeFunction", "Resource": ARN},
        {"Sid": "own", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "lambda:InvokeFunction", "Resource": ARN}
    ]})
}

#[test]
fn check_policy_reads_standard_input_takes_the_account_from_the_resources_and_prints_a_table() {
    use std::io::Write;
    let mut child = cli()
        .args(["check-policy", "-", "--format", "table", "--color", "never"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(
            json!({"Policy": demo_policy().to_string()})
                .to_string()
                .as_bytes(),
        )
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("#  SID"), "{text}");
    assert!(lines[1].starts_with("0  backdoor  public"), "{text}");
    assert!(
        lines[2].starts_with("1  partner   cross_account(444455556666)"),
        "{text}"
    );
    assert!(lines[3].starts_with("2  own       restricted"), "{text}");
    assert!(text.contains("judged for account 111122223333"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "no colour with --color never: {text:?}"
    );

    // Trusting the partner leaves only the public statement; failing only on critical still
    // fails, and a policy without public or foreign statements passes.
    let file = temp_file("p.json", &demo_policy().to_string());
    let out = run(
        &mut cli(),
        &[
            "check-policy",
            file.arg(),
            "--trusted-account",
            "444455556666",
            "--fail-on",
            "critical",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 1);
    assert_eq!(json(&out)["statements"][1]["verdict"]["type"], "restricted");
    let partner_only = json!({"Statement": [demo_policy()["Statement"][1]]});
    let file = temp_file("p.json", &partner_only.to_string());
    let out = run(
        &mut cli(),
        &[
            "check-policy",
            file.arg(),
            "--fail-on",
            "critical",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        code(&out),
        0,
        "cross-account is HIGH, below --fail-on critical"
    );
    let out = run(
        &mut cli(),
        &["check-policy", file.arg(), "--format", "json"],
    );
    assert_eq!(
        code(&out),
        1,
        "any cross-account statement fails by default"
    );
}

const ROLE_ARN: &str = "arn:aws:iam::111122223333:role/orders-api-role";

/// A trust policy letting Lambda assume the role for functions of 111122223333 only.
fn pinned_trust() -> Value {
    json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"}}}]})
}

/// What `aws lambda get-function` prints for `orders-api` (a supported runtime, active
/// tracing), with `Policy`, `FunctionUrlConfig` and `Tags` as given, and every other part
/// beside it clean: an on-failure destination, no code signing configuration, and an
/// execution role whose trust is pinned and which has no policies. Only the findings the
/// policy, the URL and the tags cause can appear.
fn snapshot(policy: Option<Value>, url: Option<Value>, tags: Value) -> Value {
    let mut v = json!({
        "Configuration": {"FunctionName": "orders-api", "FunctionArn": ARN, "Runtime": "python3.13",
                          "Role": ROLE_ARN, "Version": "$LATEST", "PackageType": "Zip",
                          "TracingConfig": {"Mode": "Active"}, "Architectures": ["arm64"]},
        "Code": {"RepositoryType": "S3", "Location": "https://example.invalid/code"},
        "Tags": tags,
        "Concurrency": {"ReservedConcurrentExecutions": 5},
        "EventInvokeConfig": {"FunctionArn": ARN, "MaximumRetryAttempts": 2,
                              "DestinationConfig": {"OnSuccess": {}, "OnFailure": {"Destination": "arn:aws:sqs:us-east-1:111122223333:failed"}}},
        "CodeSigningConfigArn": null,
        "ExecutionRole": {
            "Role": {"RoleName": "orders-api-role", "Arn": ROLE_ARN, "AssumeRolePolicyDocument": pinned_trust()},
            "AttachedPolicies": [],
            "RolePolicies": []
        }
    });
    if let Some(p) = policy {
        v["Policy"] = p;
    }
    if let Some(u) = url {
        v["FunctionUrlConfig"] = u;
    }
    v
}

fn rule_ids(report: &Value) -> Vec<String> {
    let mut ids: Vec<String> = report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .flat_map(|t| t["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| {
            format!(
                "{}:{}",
                f["rule_id"].as_str().unwrap_or(""),
                f["sid"].as_str().unwrap_or("-")
            )
        })
        .collect();
    ids.sort();
    ids
}

#[test]
fn evaluate_reports_the_findings_of_a_get_function_snapshot() {
    let url = json!({"FunctionUrl": "https://abc.lambda-url.us-east-1.on.aws/", "FunctionArn": ARN, "AuthType": "NONE",
                     "Cors": {"AllowOrigins": ["*"]}, "CreationTime": "2026-01-01T00:00:00.000+0000"});
    let input = snapshot(
        Some(json!({"Policy": demo_policy().to_string(), "RevisionId": "r-1"})),
        Some(url),
        json!({"team": "orders"}),
    );
    let file = temp_file("fn.json", &input.to_string());
    let out = run(&mut cli(), &["evaluate", file.arg(), "--format", "json"]);
    assert_eq!(
        code(&out),
        0,
        "no --fail-on: findings do not fail: {}",
        stderr(&out)
    );
    let report = json(&out);
    assert_eq!(report["schema"], "lambda-warden.findings/1");
    assert_eq!(report["command"], "evaluate");
    assert_eq!(
        rule_ids(&report),
        ["LW001:backdoor", "LW003:partner", "LW004:-", "LW005:-"]
    );
    let target = &report["targets"][0];
    assert_eq!(target["arn"], ARN);
    assert_eq!(target["resolution"], "non_compliant");
    let lw001 = &target["findings"][0];
    assert_eq!(lw001["severity"], "CRITICAL");
    assert_eq!(lw001["open"], true);
    // Default mode is tag: the plan withholds the fix and says why.
    assert_eq!(
        lw001["fix"],
        json!({"decision": "withhold", "reason": "mode_does_not_fix"})
    );
    assert_eq!(report["summary"]["open_findings"], 4);
    assert_eq!(report["summary"]["by_rule"]["LW001"], 1);

    // In enforce mode for an opted-in function, the plan would remove the public statement.
    let opted = snapshot(
        Some(json!({"Policy": demo_policy().to_string(), "RevisionId": "r-1"})),
        Some(Value::Null),
        json!({"lambda-warden:auto-fix": "true"}),
    );
    let file = temp_file("fn.json", &opted.to_string());
    let out = run(
        &mut cli(),
        &[
            "evaluate",
            file.arg(),
            "--mode",
            "enforce",
            "--format",
            "json",
            "--fail-on",
            "high",
        ],
    );
    assert_eq!(code(&out), 1, "open critical finding with --fail-on high");
    let report = json(&out);
    let planned = report["targets"][0]["planned"].as_array().expect("planned");
    assert_eq!(planned[0]["action"], "remove_permission");
    assert_eq!(planned[0]["sid"], "backdoor");
    assert_eq!(planned[0]["revision_id"], "r-1");
    assert_eq!(report["summary"]["actions_planned"], planned.len());
}

#[test]
fn parts_left_out_are_unverified_and_null_means_none() {
    let file = temp_file(
        "fn.json",
        &snapshot(None, Some(Value::Null), json!({})).to_string(),
    );
    let out = run(&mut cli(), &["evaluate", file.arg(), "--format", "json"]);
    let report = json(&out);
    assert_eq!(rule_ids(&report), ["LW006:-"]);
    assert_eq!(report["targets"][0]["resolution"], "unverified");

    // Each part get-function cannot carry is unverified when left out, named by its finding.
    let mut bare = snapshot(Some(Value::Null), Some(Value::Null), json!({}));
    for key in ["EventInvokeConfig", "CodeSigningConfigArn", "ExecutionRole"] {
        bare.as_object_mut().expect("object").remove(key);
    }
    let file = temp_file("fn.json", &bare.to_string());
    let out = run(&mut cli(), &["evaluate", file.arg(), "--format", "json"]);
    let report = json(&out);
    assert_eq!(
        rule_ids(&report),
        [
            "LW006:code-signing-config",
            "LW006:event-invoke-config",
            "LW006:execution-role"
        ]
    );
    assert_eq!(report["targets"][0]["resolution"], "unverified");
    let evidence: Vec<&Value> = report["targets"][0]["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| &f["evidence"]["error_code"])
        .collect();
    assert!(evidence.iter().all(|c| *c == "NotProvided"), "{report}");

    // Inside the role too: policies left out are unverified, null means none.
    let mut role_lists_left_out = snapshot(Some(Value::Null), Some(Value::Null), json!({}));
    let role = role_lists_left_out["ExecutionRole"]
        .as_object_mut()
        .expect("role");
    role.remove("AttachedPolicies");
    role.insert("RolePolicies".into(), Value::Null);
    let file = temp_file("fn.json", &role_lists_left_out.to_string());
    let out = run(&mut cli(), &["evaluate", file.arg(), "--format", "json"]);
    assert_eq!(
        rule_ids(&json(&out)),
        ["LW006:execution-role-managed-policies"]
    );

    let file = temp_file(
        "fn.json",
        &snapshot(Some(Value::Null), Some(Value::Null), json!({})).to_string(),
    );
    let out = run(
        &mut cli(),
        &[
            "evaluate",
            file.arg(),
            "--format",
            "json",
            "--fail-on",
            "informational",
        ],
    );
    assert_eq!(code(&out), 0, "a function with nothing to find passes");
    assert_eq!(json(&out)["targets"][0]["resolution"], "compliant");
}

#[test]
fn the_configuration_and_the_execution_role_are_evaluated() {
    // GIVEN get-function's output of a function with a planted problem in every part the
    // configuration and the execution role carry
    let mut input = snapshot(Some(Value::Null), Some(Value::Null), json!({}));
    input["Configuration"] = json!({
        "FunctionName": "orders-api", "FunctionArn": ARN, "Runtime": "python3.8", "Role": ROLE_ARN,
        "PackageType": "Zip", "TracingConfig": {"Mode": "PassThrough"}, "KMSKeyArn": "",
        "Environment": {"Variables": {"AWS_ACCESS_KEY_ID": "AKIAQWERTYUIOPASDFGH", "STAGE": "prod"}},
        "VpcConfig": {"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"], "VpcId": "vpc-1"},
        "Layers": [{"Arn": "arn:aws:lambda:us-east-1:999988887777:layer:tools:3", "CodeSize": 100}]
    });
    input["EventInvokeConfig"] = Value::Null;
    input["ExecutionRole"]["Role"]["AssumeRolePolicyDocument"] = json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
    input["ExecutionRole"]["AttachedPolicies"] = json!([{
        "PolicyName": "AdministratorAccess", "PolicyArn": "arn:aws:iam::aws:policy/AdministratorAccess",
        "Document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    }]);
    let file = temp_file("fn.json", &input.to_string());

    // WHEN it is evaluated
    let out = run(&mut cli(), &["evaluate", file.arg(), "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);

    // THEN each planted problem is found, and nothing else
    let ids: Vec<String> = rule_ids(&report)
        .into_iter()
        .map(|id| id.split(':').next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        ids,
        [
            "LW007", "LW008", "LW009", "LW010", "LW011", "LW015", "LW016", "LW019", "LW022",
            "LW024"
        ],
        "{report}"
    );
    assert_eq!(report["targets"][0]["resolution"], "non_compliant");
    // AND the variable's value appears nowhere in the report
    assert!(
        !stdout(&out).contains("AKIAQWERTYUIOPASDFGH"),
        "{}",
        stdout(&out)
    );
    // AND a customer managed key, a DLQ, two subnets, a trusted layer account and a supported
    // runtime with active tracing leave only the secret and the role's findings
    input["Configuration"]["KMSKeyArn"] = json!("arn:aws:kms:us-east-1:111122223333:key/k-1");
    input["Configuration"]["DeadLetterConfig"] =
        json!({"TargetArn": "arn:aws:sqs:us-east-1:111122223333:dlq"});
    input["Configuration"]["VpcConfig"]["SubnetIds"] = json!(["subnet-1", "subnet-2"]);
    input["Configuration"]["Runtime"] = json!("python3.13");
    input["Configuration"]["TracingConfig"]["Mode"] = json!("Active");
    let file = temp_file("fn.json", &input.to_string());
    let out = run(
        cli().env("WARDEN_TRUSTED_LAYER_ACCOUNTS", "999988887777"),
        &["evaluate", file.arg(), "--format", "json"],
    );
    let ids: Vec<String> = rule_ids(&json(&out))
        .into_iter()
        .map(|id| id.split(':').next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        ids,
        ["LW007", "LW019", "LW022", "LW024"],
        "{}",
        stdout(&out)
    );
}

#[test]
fn asff_output_has_every_required_attribute() {
    let input = snapshot(
        Some(json!({"Policy": demo_policy().to_string()})),
        Some(Value::Null),
        json!({}),
    );
    let file = temp_file("fn.json", &input.to_string());
    let out = run(&mut cli(), &["evaluate", file.arg(), "--format", "asff"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let findings = json(&out);
    let findings = findings.as_array().expect("an array of ASFF findings");
    assert_eq!(findings.len(), 2);
    for f in findings {
        for key in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            assert!(f.get(key).is_some(), "{key} missing in {f}");
        }
        assert_eq!(f["SchemaVersion"], "2018-10-08");
        assert_eq!(f["AwsAccountId"], "111122223333");
        assert_eq!(
            f["ProductArn"],
            "arn:aws:securityhub:us-east-1:111122223333:product/111122223333/default"
        );
        assert_eq!(f["Resources"][0]["Type"], "AwsLambdaFunction");
        assert_eq!(f["Resources"][0]["Id"], ARN);
        let created = f["CreatedAt"].as_str().expect("CreatedAt");
        assert!(
            created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
            "{created}"
        );
        assert!(f["Remediation"]["Recommendation"]["Text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
    }
    assert_eq!(findings[0]["GeneratorId"], "lambda-warden/LW001");
    assert_eq!(findings[0]["Severity"]["Label"], "CRITICAL");
    assert_eq!(findings[0]["Id"], format!("{ARN}/LW001/backdoor"));
}

#[test]
fn the_table_has_one_row_per_finding_and_colours_severities_on_request() {
    let input = snapshot(
        Some(json!({"Policy": demo_policy().to_string()})),
        Some(Value::Null),
        json!({}),
    );
    let file = temp_file("fn.json", &input.to_string());
    let out = run(
        &mut cli(),
        &[
            "evaluate",
            file.arg(),
            "--format",
            "table",
            "--color",
            "never",
        ],
    );
    let text = stdout(&out);
    let rows: Vec<&str> = text.lines().skip(1).take_while(|l| !l.is_empty()).collect();
    assert_eq!(rows.len(), 2, "{text}");
    assert!(
        rows[0].starts_with("CRITICAL  LW001  us-east-1  orders-api  backdoor"),
        "{text}"
    );
    assert!(rows[1].starts_with("HIGH      LW003"), "{text}");
    assert!(
        text.contains("2 open finding(s) (1 critical, 1 high)"),
        "{text}"
    );
    let out = run(
        &mut cli(),
        &[
            "evaluate",
            file.arg(),
            "--format",
            "table",
            "--color",
            "always",
        ],
    );
    assert!(
        stdout(&out).contains("\u{1b}[1m\u{1b}[31mCRITICAL"),
        "{:?}",
        stdout(&out)
    );
    // Piped without --format: JSON.
    let out = run(&mut cli(), &["evaluate", file.arg()]);
    assert_eq!(json(&out)["schema"], "lambda-warden.findings/1");
}

#[test]
fn usage_and_input_errors_exit_2_with_a_message_naming_the_problem() {
    let bad_json = temp_file("bad.json", "{ not json");
    let no_arn = temp_file("no-arn.json", r#"{"Configuration": {}}"#);
    let policy = temp_file("p.json", &demo_policy().to_string());
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["evaluate", bad_json.arg()], "not JSON"),
        (vec!["evaluate", no_arn.arg()], "Configuration.FunctionArn"),
        (vec!["evaluate", "/nonexistent/fn.json"], "cannot read"),
        (vec!["evaluate", "--event", policy.arg()], "--dry-run"),
        (
            vec!["check-policy", policy.arg(), "--format", "asff"],
            "no asff output",
        ),
        (
            vec!["check-policy", policy.arg(), "--trusted-account", "123"],
            "--trusted-account",
        ),
        (
            vec!["check-policy", policy.arg(), "--organization-id", "org-1"],
            "WARDEN_ORGANIZATION_ID",
        ),
        (
            vec!["evaluate", no_arn.arg(), "--disable-rule", "LW999"],
            "WARDEN_DISABLED_RULES",
        ),
        (vec!["scan", "--role-name", "r"], "--accounts"),
        (vec!["scan", "--concurrency", "0"], "concurrency"),
        (vec!["frobnicate"], "frobnicate"),
    ];
    for (args, message) in cases {
        let out = run(&mut cli(), &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn settings_come_from_the_environment_and_flags_override_them() {
    let file = temp_file(
        "p.json",
        &json!({"Statement": [demo_policy()["Statement"][1]]}).to_string(),
    );
    let input = snapshot(
        Some(json!({"Policy": demo_policy().to_string()})),
        Some(Value::Null),
        json!({}),
    );
    let fn_file = temp_file("fn.json", &input.to_string());
    // WARDEN_TRUSTED_ACCOUNTS trusts the partner, as the deployed function would.
    let out = run(
        cli().env("WARDEN_TRUSTED_ACCOUNTS", "444455556666"),
        &["evaluate", fn_file.arg(), "--format", "json"],
    );
    assert_eq!(rule_ids(&json(&out)), ["LW001:backdoor"]);
    // A flag replaces the variable.
    let out = run(
        cli().env("WARDEN_TRUSTED_ACCOUNTS", "444455556666"),
        &[
            "evaluate",
            fn_file.arg(),
            "--format",
            "json",
            "--trusted-account",
            "555566667777",
        ],
    );
    assert_eq!(rule_ids(&json(&out)), ["LW001:backdoor", "LW003:partner"]);
    // WARDEN_DISABLED_RULES and WARDEN_MODE are read too.
    let out = run(
        cli()
            .env("WARDEN_DISABLED_RULES", "public-invoke")
            .env("WARDEN_MODE", "report"),
        &["evaluate", fn_file.arg(), "--format", "json"],
    );
    let report = json(&out);
    assert_eq!(rule_ids(&report), ["LW003:partner"]);
    assert_eq!(report["mode"], "report");
    drop(file);
}

#[test]
fn state_table_commands_refuse_bad_arguments_and_a_missing_table_before_any_aws_call() {
    let record = temp_file("record.json", "{}");
    let id = "1764000000000-0123456789abcdef";
    let table = ["--state-table", "lambda-warden-state"];
    let with_table = |args: &[&'static str]| -> Vec<&'static str> {
        let mut v = args.to_vec();
        v.extend_from_slice(&table);
        v
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        // No table: neither --state-table nor WARDEN_STATE_TABLE.
        (
            vec!["exempt", ARN, "--reason", "r"],
            "exempt needs the state table",
        ),
        (vec!["unexempt", ARN], "unexempt needs the state table"),
        (vec!["exemptions"], "exemptions needs the state table"),
        (
            vec!["restore", "--id", id],
            "restore --id needs the state table",
        ),
        // Arguments, checked before the table is reached.
        (
            with_table(&["exempt", "orders-api", "--reason", "r"]),
            "is not a Lambda function ARN",
        ),
        (
            with_table(&["unexempt", "arn:aws:s3:::bucket"]),
            "is not a Lambda function ARN",
        ),
        (
            with_table(&[
                "exempt",
                "arn:aws:lambda:us-east-1:111122223333:function:orders-api:live",
                "--reason",
                "r",
            ]),
            "an exemption covers a whole function",
        ),
        (with_table(&["exempt", ARN, "--reason", "  "]), "--reason"),
        (
            with_table(&["exempt", ARN, "--reason", "two\nlines"]),
            "control characters",
        ),
        (
            with_table(&["exempt", ARN, "--reason", "r", "--until", "2020-01-31"]),
            "in the past",
        ),
        (
            with_table(&["exempt", ARN, "--reason", "r", "--until", "2030-02-30"]),
            "not a date",
        ),
        (
            with_table(&["exempt", ARN, "--reason", "r", "--until", "next week"]),
            "not a date",
        ),
        (vec!["exempt", ARN], "--reason"),
        (
            with_table(&["restore", "--id", "42"]),
            "not an audit record id",
        ),
        (
            with_table(&["restore", "--id", "1764000000000-0123456789abcdeg"]),
            "not an audit record id",
        ),
        (with_table(&["restore"]), "<RECORD>"),
        (
            vec!["restore", record.arg(), "--id", id],
            "cannot be used with",
        ),
        (
            with_table(&["exemptions", "--format", "asff"]),
            "no asff output",
        ),
        (
            vec!["exemptions", "--state-table", "a b"],
            "WARDEN_STATE_TABLE",
        ),
        // A table but no Region for it (this environment configures none): stopped before
        // any request.
        (with_table(&["exemptions"]), "no Region for the state table"),
    ];
    for (args, message) in cases {
        let out = run(&mut cli(), &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(message), "{args:?}: {}", stderr(&out));
    }
    // WARDEN_STATE_TABLE names the table when the flag does not, validated the same way.
    let out = run(
        cli().env("WARDEN_STATE_TABLE", "lambda-warden-state"),
        &["restore", "--id", id],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("no Region for the state table"),
        "{}",
        stderr(&out)
    );
    let out = run(
        cli().env("WARDEN_STATE_TABLE", "no spaces allowed"),
        &["unexempt", ARN],
    );
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("WARDEN_STATE_TABLE"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn evaluate_offline_needs_no_state_table_and_a_tag_alone_exempts_nothing() {
    let input = snapshot(
        Some(json!({"Policy": demo_policy().to_string()})),
        Some(Value::Null),
        json!({"lambda-warden:exempt": "vendor-managed"}),
    );
    let file = temp_file("fn.json", &input.to_string());
    for extra in [&[][..], &["--state-table", "lambda-warden-state"][..]] {
        let mut args = vec!["evaluate", file.arg(), "--format", "json"];
        args.extend_from_slice(extra);
        let out = run(&mut cli(), &args);
        assert_eq!(code(&out), 0, "{extra:?}: {}", stderr(&out));
        let report = json(&out);
        assert_eq!(report["targets"][0]["resolution"], "non_compliant");
        let ids = rule_ids(&report);
        assert!(ids.iter().any(|i| i.starts_with("LW025")), "{ids:?}");
        assert!(ids.iter().any(|i| i == "LW001:backdoor"), "{ids:?}");
    }
}
