//! The live commands through the built binary, against moto: `scan` over 300 functions (with
//! aliases and versions) with and without `--fix`, `scan` across two accounts (assumed roles,
//! an accounts file and AWS Organizations), `evaluate --event --dry-run`, and `restore`.
//!
//! Each test starts its own moto server (`warden_tests::Moto`) and seeds it; the binary reaches
//! it through `AWS_ENDPOINT_URL`.

mod common;

use std::collections::BTreeSet;

use aws_config::SdkConfig;
use aws_sdk_lambda::primitives::Blob;
use aws_sdk_lambda::types::{
    Cors, DestinationConfig, FunctionCode, FunctionUrlAuthType, OnFailure, Runtime, TracingConfig,
    TracingMode,
};
use common::{cli_for, code, json, run, stderr, stdout, temp_file};
use futures::stream::{self, StreamExt};
use serde_json::Value;
use warden_tests::seed::EMPTY_ZIP;
use warden_tests::{load_event, policy_statements, seed_demo_account, tags, Moto};

const HOME: &str = "123456789012";
const MEMBER: &str = "111111111111";
const ROLE_NAME: &str = "lambda-warden-member";
/// The state table the 300-function scan uses.
const SCAN_TABLE: &str = "lambda-warden-state";

/// A trust policy letting Lambda assume a role for functions of `account` only (no LW024).
fn pinned_trust(account: &str) -> String {
    serde_json::json!({"Version": "2012-10-17", "Statement": [{"Effect": "Allow",
        "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]})
    .to_string()
}

/// Direct SDK clients of one account, to seed it.
struct Seeder {
    lambda: aws_sdk_lambda::Client,
    role_arn: String,
    account: String,
}

impl Seeder {
    /// Clients of `account` (the account `sdk` acts in), and the execution role its functions
    /// get: trust pinned to the account, no policies.
    async fn new(sdk: &SdkConfig, account: &str) -> Seeder {
        let iam = aws_sdk_iam::Client::new(sdk);
        let role_arn = iam
            .create_role()
            .role_name("scan-test-function-role")
            .assume_role_policy_document(pinned_trust(account))
            .send()
            .await
            .expect("CreateRole")
            .role
            .expect("role")
            .arn;
        Seeder {
            lambda: aws_sdk_lambda::Client::new(sdk),
            role_arn,
            account: account.to_owned(),
        }
    }

    /// A function with nothing to find: a supported runtime, active tracing and an on-failure
    /// destination for its asynchronous invocations, so only what a test plants is found.
    async fn function(&self, name: &str, tags: &[(&str, &str)]) {
        self.lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Python313)
            .role(&self.role_arn)
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(EMPTY_ZIP.to_vec()))
                    .build(),
            )
            .tracing_config(TracingConfig::builder().mode(TracingMode::Active).build())
            .set_tags(Some(
                tags.iter()
                    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                    .collect(),
            ))
            .send()
            .await
            .unwrap_or_else(|e| panic!("CreateFunction {name}: {e:?}"));
        let failed = format!("arn:aws:sqs:us-east-1:{}:failed-events", self.account);
        self.lambda
            .put_function_event_invoke_config()
            .function_name(name)
            .destination_config(
                DestinationConfig::builder()
                    .on_failure(OnFailure::builder().destination(failed).build())
                    .build(),
            )
            .send()
            .await
            .unwrap_or_else(|e| panic!("PutFunctionEventInvokeConfig {name}: {e:?}"));
    }

    async fn permission(&self, name: &str, sid: &str, principal: &str, qualifier: Option<&str>) {
        self.lambda
            .add_permission()
            .function_name(name)
            .statement_id(sid)
            .action("lambda:InvokeFunction")
            .principal(principal)
            .set_qualifier(qualifier.map(str::to_owned))
            .send()
            .await
            .unwrap_or_else(|e| panic!("AddPermission {name} {sid}: {e:?}"));
    }

    async fn version_and_alias(&self, name: &str, alias: bool) {
        let version = self
            .lambda
            .publish_version()
            .function_name(name)
            .send()
            .await
            .expect("PublishVersion")
            .version
            .expect("Version");
        if alias {
            self.lambda
                .create_alias()
                .function_name(name)
                .name("live")
                .function_version(version)
                .send()
                .await
                .expect("CreateAlias");
        }
    }

    async fn public_url(&self, name: &str) {
        self.lambda
            .create_function_url_config()
            .function_name(name)
            .auth_type(FunctionUrlAuthType::None)
            .cors(Cors::builder().allow_origins("*").build())
            .send()
            .await
            .expect("CreateFunctionUrlConfig");
    }
}

/// What function `i` of the 300 carries. Every finding the scan must report follows from it.
#[derive(Debug, Clone, Copy, Default)]
struct Plant {
    /// Statement `open`: `*` may invoke (LW001).
    public: bool,
    /// Statement `sns`: `sns.amazonaws.com` with no condition (LW002).
    sns: bool,
    /// Statement `partner`: account 444455556666 (LW003).
    partner: bool,
    /// URL with AuthType NONE and CORS `*`, no statement (LW004, LW005).
    url: bool,
    /// Version 1 and alias `live` with statement `alias-open`: `*` in the alias's policy.
    alias_public: bool,
    /// Version 1 with statement `v1-open`: `*` in the version's policy.
    version_public: bool,
    /// `lambda-warden:auto-fix=true`.
    opted_in: bool,
    /// `lambda-warden:exempt=vendor-managed`, and the exemption recorded in the state table
    /// (`lambda-warden exempt`): the tag alone exempts nothing.
    exempt: bool,
}

fn plant(i: usize) -> Plant {
    Plant {
        public: i.is_multiple_of(30),
        sns: i % 30 == 10,
        partner: i % 30 == 20,
        url: i % 50 == 5,
        alias_public: i % 60 == 15,
        version_public: i % 100 == 45,
        opted_in: i.is_multiple_of(60) || i == 75 || i == 195 || i == 145,
        exempt: i == 90 || i == 270,
    }
}

fn name(i: usize) -> String {
    format!("fn-{i:03}")
}

fn arn(account: &str, name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:{account}:function:{name}")
}

/// `ARN RULE SID` of every finding a scan must report for functions `0..n`, and of those an
/// `enforce`-mode `--fix` removes (public statements of opted-in functions).
fn expected(n: usize) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut all = BTreeSet::new();
    let mut fixable = BTreeSet::new();
    for i in 0..n {
        let p = plant(i);
        if p.exempt {
            continue;
        }
        let base = arn(HOME, &name(i));
        let mut add = |arn: &str, rule: &str, sid: &str, fixed: bool| {
            let key = format!("{arn} {rule} {sid}");
            if fixed {
                fixable.insert(key.clone());
            }
            all.insert(key);
        };
        if p.public {
            add(&base, "LW001", "open", p.opted_in);
        }
        if p.sns {
            add(&base, "LW002", "sns", false);
        }
        if p.partner {
            add(&base, "LW003", "partner", false);
        }
        if p.url {
            add(&base, "LW004", "-", false);
            add(&base, "LW005", "-", false);
        }
        if p.alias_public {
            add(&format!("{base}:live"), "LW001", "alias-open", p.opted_in);
        }
        if p.version_public {
            add(&format!("{base}:1"), "LW001", "v1-open", p.opted_in);
        }
    }
    (all, fixable)
}

async fn seed_300(seeder: &Seeder, n: usize) {
    stream::iter(0..n)
        .for_each_concurrent(8, |i| async move {
            let p = plant(i);
            let name = name(i);
            let mut tags = Vec::new();
            if p.opted_in {
                tags.push(("lambda-warden:auto-fix", "true"));
            }
            if p.exempt {
                tags.push(("lambda-warden:exempt", "vendor-managed"));
            }
            seeder.function(&name, &tags).await;
            if p.public {
                seeder.permission(&name, "open", "*", None).await;
            }
            if p.sns {
                seeder
                    .permission(&name, "sns", "sns.amazonaws.com", None)
                    .await;
            }
            if p.partner {
                seeder
                    .permission(&name, "partner", "444455556666", None)
                    .await;
            }
            if p.url {
                seeder.public_url(&name).await;
            }
            if p.alias_public || p.version_public {
                seeder.version_and_alias(&name, p.alias_public).await;
            }
            if p.alias_public {
                seeder
                    .permission(&name, "alias-open", "*", Some("live"))
                    .await;
            }
            if p.version_public {
                seeder.permission(&name, "v1-open", "*", Some("1")).await;
            }
        })
        .await;
}

/// `ARN RULE SID` of every finding in a scan report, and of the open ones.
fn findings(report: &Value) -> (BTreeSet<String>, BTreeSet<String>) {
    let mut all = BTreeSet::new();
    let mut open = BTreeSet::new();
    for t in report["targets"].as_array().expect("targets") {
        for f in t["findings"].as_array().expect("findings") {
            let key = format!(
                "{} {} {}",
                f["resource_arn"].as_str().unwrap_or(""),
                f["rule_id"].as_str().unwrap_or(""),
                f["sid"].as_str().unwrap_or("-")
            );
            if f["open"] == true {
                open.insert(key.clone());
            }
            all.insert(key);
        }
    }
    (all, open)
}

/// The requests of `evaluations` evaluations with the default rules, `listed` of them of
/// functions whose configuration came from `ListFunctions` (a sweep's functions: no
/// `GetFunctionConfiguration`): `GetFunctionConfiguration`, `ListTags`, `GetPolicy`,
/// `GetFunctionUrlConfig`, `GetFunctionEventInvokeConfig` (no `GetFunctionConcurrency` nor
/// `GetFunctionCodeSigningConfig`: their rules are off by default), never `GetFunction`, and
/// `roles` reads of an execution role without policies (`iam:GetRole`,
/// `iam:ListAttachedRolePolicies`, `iam:ListRolePolicies`). Operations with no request are
/// left out, as the report leaves them out.
fn read_profile(evaluations: usize, listed: usize, roles: usize) -> Value {
    profile([
        ("GetFunctionConfiguration", evaluations - listed),
        ("ListTags", evaluations),
        ("GetPolicy", evaluations),
        ("GetFunctionUrlConfig", evaluations),
        ("GetFunctionEventInvokeConfig", evaluations),
        ("iam:GetRole", roles),
        ("iam:ListAttachedRolePolicies", roles),
        ("iam:ListRolePolicies", roles),
    ])
}

/// The per-operation counts as the report shows them: operations with no request left out.
fn profile<const N: usize>(counts: [(&str, usize); N]) -> Value {
    let ops: serde_json::Map<String, Value> = counts
        .into_iter()
        .filter(|(_, count)| *count > 0)
        .map(|(op, count)| (op.to_owned(), Value::from(count)))
        .collect();
    Value::Object(ops)
}

/// The requests of a read-only sweep with the default rules of `functions` functions whose
/// tags come from one `GetResources` (some are tagged) and whose configurations, with those of
/// their `versions` published versions, come from `ListFunctions`: per function `GetPolicy`,
/// `GetFunctionUrlConfig`, `GetFunctionEventInvokeConfig`; per alias and version a `GetPolicy`
/// (and an alias's `GetFunctionUrlConfig`) telling whether it has anything of its own; for the
/// `evaluated` ones (`(aliases, versions)`, those that have) the rest of their evaluation's
/// reads (the event invoke configuration); `roles`
/// execution roles without policies read once each.
fn sweep_profile(
    functions: usize,
    aliases: usize,
    versions: usize,
    evaluated: (usize, usize),
    roles: usize,
) -> Value {
    let evaluated = evaluated.0 + evaluated.1;
    profile([
        ("GetResources", 1),
        ("GetPolicy", functions + aliases + versions),
        ("GetFunctionUrlConfig", functions + aliases),
        ("GetFunctionEventInvokeConfig", functions + evaluated),
        ("iam:GetRole", roles),
        ("iam:ListAttachedRolePolicies", roles),
        ("iam:ListRolePolicies", roles),
    ])
}

/// The report's per-operation counts, without the listings that find what to evaluate
/// (`ListFunctions`, `ListAliases`) and the state table's.
fn evaluation_reads(report: &Value) -> Value {
    let mut ops = report["api_calls"]["by_operation"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    // The state table's reads are checked apart.
    for listing in [
        "ListFunctions",
        "ListAliases",
        "dynamodb:Query",
        "dynamodb:BatchGetItem",
    ] {
        ops.remove(listing);
    }
    Value::Object(ops)
}

fn scan(endpoint: &str, extra: &[&str]) -> Value {
    let mut args = vec!["scan", "--region", "us-east-1", "--format", "json"];
    args.extend_from_slice(extra);
    let out = run(&mut cli_for(endpoint), &args);
    assert_eq!(code(&out), 0, "scan {extra:?}: {}", stderr(&out));
    json(&out)
}

fn diff(got: &BTreeSet<String>, want: &BTreeSet<String>) -> String {
    let missing: Vec<_> = want.difference(got).collect();
    let extra: Vec<_> = got.difference(want).collect();
    format!("missing {missing:#?}\nunexpected {extra:#?}")
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_finds_exactly_the_planted_problems_in_300_functions_with_and_without_fix() {
    const N: usize = 300;
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let seeder = Seeder::new(&sdk, HOME).await;
    seed_300(&seeder, N).await;
    let endpoint = moto.endpoint();
    // The exempt functions' exemptions are recorded in the state table by an admin.
    warden_tests::seed::create_state_table(&sdk, SCAN_TABLE)
        .await
        .expect("CreateTable");
    for i in (0..N).filter(|i| plant(*i).exempt) {
        let out = run(
            cli_for(&endpoint).env("WARDEN_STATE_TABLE", SCAN_TABLE),
            &["exempt", &arn(HOME, &name(i)), "--reason", "vendor-managed"],
        );
        assert_eq!(code(&out), 0, "exempt {}: {}", name(i), stderr(&out));
    }
    let table = ["--state-table", SCAN_TABLE];
    let (want, fixable) = expected(N);
    // 8 public (10 less 2 exempt), 10 SNS, 10 partner, 6 URLs with 2 findings each, 5 aliases,
    // 3 versions; 8 of them public on an opted-in function, alias or version.
    assert_eq!((want.len(), fixable.len()), (48, 8));

    // WHEN the account is scanned without --fix
    let report = scan(&endpoint, &table);
    // THEN every planted problem is found, on the function, alias or version that has it,
    // and nothing else
    let (all, open) = findings(&report);
    assert!(all == want, "{}", diff(&all, &want));
    assert_eq!(open, want, "without --fix every finding stays open");
    assert_eq!(report["summary"]["functions"], N);
    assert_eq!(report["applied"], false);
    // AND nothing was written: only Get and List requests were sent
    assert_eq!(report["api_calls"]["writes"], 0, "{}", report["api_calls"]);
    assert!(report["api_calls"]["by_operation"]["ListFunctions"].as_u64() >= Some(1));
    // AND each of the N functions was read once with the reads the default rules need (no
    // reserved concurrency, no code signing, no GetFunctionConfiguration: the listing carried
    // it; no ListTags: one GetResources); each of the 5 aliases and 8 versions was asked
    // whether it has a policy (or URL) of its own, and the 5 aliases and 3 versions that have
    // were evaluated; the execution role they all share (which has no policies) was read once
    assert_eq!(
        evaluation_reads(&report),
        sweep_profile(N, 5, 8, (5, 3), 1),
        "{}",
        report["api_calls"]
    );
    // AND aliases were listed for the 8 functions with a published version only
    assert_eq!(
        report["api_calls"]["by_operation"]["ListAliases"], 8,
        "{}",
        report["api_calls"]
    );
    // AND the state table was read for the exemptions of 100 functions per request
    assert_eq!(
        report["api_calls"]["by_operation"]["dynamodb:BatchGetItem"],
        N.div_ceil(100),
        "{}",
        report["api_calls"]
    );
    assert_eq!(
        report["api_calls"]["by_operation"].get("dynamodb:Query"),
        None,
        "{}",
        report["api_calls"]
    );
    let exempt: Vec<&str> = report["targets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["resolution"] == "exempt")
        .filter_map(|t| t["function"].as_str())
        .collect();
    assert_eq!(exempt, ["fn-090", "fn-270"]);
    let untouched = tags(&seeder.lambda, &arn(HOME, "fn-000"))
        .await
        .expect("tags");
    assert!(
        !untouched.contains_key("lambda-warden:status"),
        "{untouched:?}"
    );
    // AND --fail-on makes it fail
    let out = run(
        &mut cli_for(&endpoint),
        &[
            "scan",
            "--region",
            "us-east-1",
            "--format",
            "json",
            "--fail-on",
            "critical",
            "--state-table",
            SCAN_TABLE,
        ],
    );
    assert_eq!(code(&out), 1);
    // AND with standard error piped there is no progress bar
    assert!(!stderr(&out).contains("functions ["), "{}", stderr(&out));

    // WHEN only the resource-policy rules run
    let policy_only = scan(
        &endpoint,
        &["--rules", "LW001,LW002,LW003", "--state-table", SCAN_TABLE],
    );
    // THEN the same policy findings are found
    let (all, _) = findings(&policy_only);
    let policy_findings: BTreeSet<String> = want
        .iter()
        .filter(|k| {
            ["LW001", "LW002", "LW003"]
                .iter()
                .any(|r| k.contains(&format!(" {r} ")))
        })
        .cloned()
        .collect();
    let got: BTreeSet<String> = all
        .iter()
        .filter(|k| !k.contains(" LW006 "))
        .cloned()
        .collect();
    assert!(got == policy_findings, "{}", diff(&got, &policy_findings));
    // AND with one read of the account's functions (one ListFunctions page here: moto ignores
    // MaxItems), one GetResources, 8 ListAliases and 313 GetPolicy (300 functions, 13 aliases
    // and versions)
    let calls = &policy_only["api_calls"];
    assert_eq!(calls["reads"], 1 + 1 + 8 + N + 13, "{calls}");
    assert_eq!(calls["by_operation"]["GetPolicy"], N + 13, "{calls}");

    // WHEN it is scanned with --fix (enforce mode: unsafe fixes only where opted in)
    let fixed = scan(
        &endpoint,
        &["--fix", "--concurrency", "4", "--state-table", SCAN_TABLE],
    );
    let (all, open) = findings(&fixed);
    assert_eq!(fixed["applied"], true);
    assert_eq!(fixed["mode"], "enforce");
    assert!(all == want, "{}", diff(&all, &want));
    let closed: BTreeSet<String> = all.difference(&open).cloned().collect();
    assert!(closed == fixable, "{}", diff(&closed, &fixable));
    assert_eq!(fixed["summary"]["actions_failed"], 0);
    // THEN the opted-in public statements are gone, on functions, aliases and versions alike,
    // and everything else is as it was
    let sids = |name: &str, q: Option<&'static str>| {
        let lambda = seeder.lambda.clone();
        let name = name.to_owned();
        async move {
            policy_statements(&lambda, &name, q)
                .await
                .expect("policy")
                .iter()
                .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
                .collect::<Vec<_>>()
        }
    };
    assert!(sids("fn-060", None).await.is_empty());
    assert!(sids("fn-075", Some("live")).await.is_empty());
    assert!(sids("fn-145", Some("1")).await.is_empty());
    assert_eq!(sids("fn-030", None).await, ["open"], "not opted in");
    assert_eq!(sids("fn-090", None).await, ["open"], "exempt");
    assert_eq!(
        sids("fn-015", Some("live")).await,
        ["alias-open"],
        "not opted in"
    );
    // AND status tags describe each function and each evaluated alias or version
    let t = tags(&seeder.lambda, &arn(HOME, "fn-075"))
        .await
        .expect("tags");
    assert_eq!(
        t.get("lambda-warden:status").map(String::as_str),
        Some("compliant")
    );
    assert_eq!(
        t.get("lambda-warden:status@live").map(String::as_str),
        Some("compliant")
    );
    let t = tags(&seeder.lambda, &arn(HOME, "fn-030"))
        .await
        .expect("tags");
    assert_eq!(
        t.get("lambda-warden:findings").map(String::as_str),
        Some("LW001")
    );
    let t = tags(&seeder.lambda, &arn(HOME, "fn-090"))
        .await
        .expect("tags");
    assert_eq!(
        t.get("lambda-warden:status").map(String::as_str),
        Some("exempt"),
        "exempt functions are tagged exempt, nothing else"
    );

    // WHEN it is scanned again without --fix, what was fixed is no longer found
    let again = scan(&endpoint, &table);
    let (all, _) = findings(&again);
    let rest: BTreeSet<String> = want.difference(&fixable).cloned().collect();
    assert!(all == rest, "{}", diff(&all, &rest));
    assert_eq!(again["api_calls"]["writes"], 0);
}

/// An `SdkConfig` acting as the member role in `account`, through moto's STS.
async fn assumed(moto: &Moto, account: &str) -> SdkConfig {
    moto.sdk_config_as(&format!("arn:aws:iam::{account}:role/{ROLE_NAME}"))
        .await
}

fn by_account(report: &Value) -> BTreeSet<String> {
    report["targets"]
        .as_array()
        .expect("targets")
        .iter()
        .flat_map(|t| {
            let account = t["account"].as_str().unwrap_or("").to_owned();
            t["findings"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .map(move |f| {
                    format!(
                        "{account} {} {}",
                        t["function"].as_str().unwrap_or(""),
                        f["rule_id"].as_str().unwrap_or("")
                    )
                })
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn scan_assumes_the_member_role_in_each_account_of_a_file_or_the_organization() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    // GIVEN a public function in a member account and an unpinned SNS grant at home
    let member = Seeder::new(&assumed(&moto, MEMBER).await, MEMBER).await;
    member.function("member-api", &[]).await;
    member.permission("member-api", "open", "*", None).await;
    let home = Seeder::new(&sdk, HOME).await;
    home.function("home-notifier", &[]).await;
    home.permission("home-notifier", "sns", "sns.amazonaws.com", None)
        .await;

    // WHEN both accounts are scanned through the member role
    let accounts = temp_file(
        "accounts.txt",
        &format!("# home\n{HOME}\n{MEMBER}  # member\n"),
    );
    let report = scan(
        &moto.endpoint(),
        &["--role-name", ROLE_NAME, "--accounts", accounts.arg()],
    );
    // THEN each account's findings carry its account id
    let want: BTreeSet<String> = [
        format!("{HOME} home-notifier LW002"),
        format!("{MEMBER} member-api LW001"),
    ]
    .into_iter()
    .collect();
    assert_eq!(by_account(&report), want);
    assert_eq!(report["summary"]["accounts"], 2);
    assert_eq!(report["summary"]["failures"], 0);

    // AND with --organization the accounts come from AWS Organizations ListAccounts
    let org = aws_sdk_organizations::Client::new(&sdk);
    org.create_organization()
        .send()
        .await
        .expect("CreateOrganization");
    let created = org
        .create_account()
        .account_name("workloads")
        .email("workloads@example.com")
        .send()
        .await
        .expect("CreateAccount")
        .create_account_status
        .and_then(|s| s.account_id)
        .expect("account id");
    let workloads = Seeder::new(&assumed(&moto, &created).await, &created).await;
    workloads.function("workload-api", &[]).await;
    workloads
        .permission("workload-api", "partner", "444455556666", None)
        .await;
    let report = scan(
        &moto.endpoint(),
        &["--role-name", ROLE_NAME, "--organization"],
    );
    let want: BTreeSet<String> = [
        format!("{HOME} home-notifier LW002"),
        format!("{created} workload-api LW003"),
    ]
    .into_iter()
    .collect();
    assert_eq!(
        by_account(&report),
        want,
        "the member account is not in the organization"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn dry_run_prints_trigger_gate_findings_and_plan_and_writes_nothing() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let event = load_event("add-permission-public-payments-api.json").expect("event");
    let file = temp_file("event.json", &event.to_string());
    let before = demo.state("payments-api").await.expect("state");

    // WHEN the event is dry-run in enforce mode
    let out = run(
        cli_for(&moto.endpoint()).env("WARDEN_MODE", "enforce"),
        &[
            "evaluate",
            "--event",
            file.arg(),
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let report = json(&out);
    // THEN it shows the trigger, the gate, the findings and the plan the function would run
    assert_eq!(report["schema"], "lambda-warden.dry-run/1");
    assert_eq!(report["trigger"]["event_name"], "AddPermission20150331v2");
    assert_eq!(report["gate"]["decision"], "go");
    let target = &report["findings"]["targets"][0];
    assert_eq!(target["function"], "payments-api");
    assert_eq!(target["findings"][0]["rule_id"], "LW001");
    assert_eq!(target["planned"][0]["action"], "remove_permission");
    assert_eq!(target["planned"][0]["sid"], "public-invoke");
    assert_eq!(report["tag_update"]["action"], "tag_resource");
    // AND nothing was written
    assert_eq!(report["api_calls"]["writes"], 0, "{}", report["api_calls"]);
    // One evaluation: the five Lambda reads the default rules need and the demo role (no
    // policies), nothing else.
    assert_eq!(
        report["api_calls"]["by_operation"],
        read_profile(1, 0, 1),
        "{}",
        report["api_calls"]
    );
    assert_eq!(report["api_calls"]["reads"], 8);
    assert_eq!(demo.state("payments-api").await.expect("state"), before);

    // AND the table says the same for a human
    let out = run(
        cli_for(&moto.endpoint()).env("WARDEN_MODE", "enforce"),
        &[
            "evaluate",
            "--event",
            file.arg(),
            "--dry-run",
            "--format",
            "table",
            "--color",
            "never",
        ],
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Gate:     go"), "{text}");
    assert!(
        text.contains("1. RemovePermission \"public-invoke\""),
        "{text}"
    );
    assert!(text.contains("0 write(s); nothing was changed"), "{text}");

    // AND lambda-warden's own call is skipped at the gate, before any read
    let own = load_event("remove-permission-by-lambda-warden.json").expect("event");
    let file = temp_file("event.json", &own.to_string());
    let out = run(
        cli_for(&moto.endpoint())
            .env(
                "WARDEN_SELF_ROLE_ARNS",
                "arn:aws:iam::123456789012:role/lambda-warden-events-role",
            )
            .env(
                "WARDEN_SELF_FUNCTION_ARNS",
                "arn:aws:lambda:us-east-1:123456789012:function:lambda-warden-events",
            ),
        &[
            "evaluate",
            "--event",
            file.arg(),
            "--dry-run",
            "--format",
            "json",
        ],
    );
    let report = json(&out);
    assert_eq!(report["gate"]["decision"], "skip");
    assert_eq!(report["gate"]["reason"], "self_initiated");
    assert_eq!(report["api_calls"]["reads"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_puts_back_what_a_fix_removed() {
    use warden_aws::remediate::{remediate, Cause};
    use warden_aws::Aws;
    use warden_rules::config::{Config, Mode};
    use warden_rules::ids::FunctionArn;

    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let before = policy_statements(demo.lambda(), "image-resizer", None)
        .await
        .expect("policy");
    // GIVEN the S3 statement of the opted-in image-resizer was tightened in enforce mode
    let config = Config {
        mode: Mode::Enforce,
        ..Config::default()
    };
    let arn = FunctionArn::parse(&demo.function_arn("image-resizer")).expect("arn");
    let done = remediate(
        &Aws::new(&sdk),
        &config,
        &arn,
        Cause::new("e-1", "AddPermission20150331v2"),
        // 2026-06-01T00:00:00Z: the evaluation time of the pure rules.
        1_780_272_000,
    )
    .await
    .expect("remediate");
    let record = done.record.expect("audit record");
    assert_eq!(record.removed_statements.len(), 1);
    let tightened = policy_statements(demo.lambda(), "image-resizer", None)
        .await
        .expect("policy");
    assert_ne!(tightened, before);
    // The alert carries the record inside an SNS notification.
    let notification = serde_json::json!({"Type": "Notification", "Message": serde_json::to_string(&record).unwrap()});
    let file = temp_file("record.json", &notification.to_string());

    // WHEN the record is restored as a dry run, nothing changes
    let out = run(
        &mut cli_for(&moto.endpoint()),
        &["restore", file.arg(), "--dry-run", "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let planned = json(&out);
    assert_eq!(planned["planned"][0]["action"], "remove_permission");
    assert_eq!(planned["planned"][1]["action"], "add_permission");
    assert_eq!(
        policy_statements(demo.lambda(), "image-resizer", None)
            .await
            .expect("policy"),
        tightened
    );

    // The same record as the function logs it, split over several decision lines, after its
    // write-ahead copy: the file form joins the finished copy's parts.
    let record_json = serde_json::to_string(&record).unwrap();
    let line = |outcome: &str, p: &warden_aws::runtime::RecordPart| {
        serde_json::json!({"level": "INFO", "fields": {
            "message": "decision", "record_id": p.record_id, "part": p.part,
            "parts": p.parts, "outcome": outcome, "audit": p.audit,
        }})
        .to_string()
    };
    let mut lines: Vec<String> = Vec::new();
    for (outcome, json) in [
        ("write-ahead", "{\"schema\":\"lambda-warden.audit/1\"}"),
        ("remediated", record_json.as_str()),
    ] {
        let parts = warden_aws::runtime::log_record_parts("rec-1", json, 700);
        lines.extend(parts.iter().map(|p| line(outcome, p)));
    }
    assert!(lines.len() > 3, "the record is split: {}", lines.len());
    let log = temp_file("decisions.log", &lines.join("\n"));
    let out = run(
        &mut cli_for(&moto.endpoint()),
        &["restore", log.arg(), "--dry-run", "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(json(&out)["planned"], planned["planned"]);
    // One part missing: refused before any AWS call (exit code 2), naming what is missing.
    let cut = temp_file("cut.log", &lines[..lines.len() - 1].join("\n"));
    let out = run(
        &mut cli_for(&moto.endpoint()),
        &["restore", cut.arg(), "--dry-run"],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("missing"), "{}", stderr(&out));

    // WHEN it is restored
    let out = run(
        &mut cli_for(&moto.endpoint()),
        &["restore", file.arg(), "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let results = json(&out);
    assert!(
        results["results"]
            .as_array()
            .is_some_and(|r| r.len() == 2 && r.iter().all(|x| x["status"]["status"] == "done")),
        "{results}"
    );
    // THEN the statement is back as it was
    let after = policy_statements(demo.lambda(), "image-resizer", None)
        .await
        .expect("policy");
    assert_eq!(after, before);
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_refuses_a_tampered_record_with_exit_code_4_and_writes_nothing() {
    use warden_aws::remediate::{remediate, Cause};
    use warden_aws::Aws;
    use warden_rules::config::{Config, Mode};
    use warden_rules::ids::FunctionArn;

    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    // GIVEN payments-api's public statement was removed in enforce mode
    let config = Config {
        mode: Mode::Enforce,
        ..Config::default()
    };
    let arn = FunctionArn::parse(&demo.function_arn("payments-api")).expect("arn");
    let done = remediate(
        &Aws::new(&sdk),
        &config,
        &arn,
        Cause::new("e-1", "AddPermission20150331v2"),
        // 2026-06-01T00:00:00Z: the evaluation time of the pure rules.
        1_780_272_000,
    )
    .await
    .expect("remediate");
    let mut record = done.record.expect("audit record");
    assert_eq!(record.removed_statements[0].original.sid, "public-invoke");
    // WHEN the record is altered to put the public statement on another function
    let other = demo.function_arn("notifier");
    record.function_arn = other.clone();
    record.removed_statements[0].function_arn = other.clone();
    let file = temp_file("record.json", &serde_json::to_string(&record).unwrap());
    let before = (
        policy_statements(demo.lambda(), "payments-api", None)
            .await
            .expect("policy"),
        policy_statements(demo.lambda(), "notifier", None)
            .await
            .expect("policy"),
    );

    // THEN restore, dry run or not, refuses with exit code 4, naming the statement and ARNs
    for args in [
        &["restore", file.arg(), "--dry-run"][..],
        &["restore", file.arg()][..],
    ] {
        let out = run(&mut cli_for(&moto.endpoint()), args);
        assert_eq!(code(&out), 4, "{args:?}: {}", stderr(&out));
        let text = stderr(&out);
        assert!(
            text.contains("restore refused")
                && text.contains("public-invoke")
                && text.contains(&other),
            "{text}"
        );
    }
    // ... and neither function's policy changed
    let after = (
        policy_statements(demo.lambda(), "payments-api", None)
            .await
            .expect("policy"),
        policy_statements(demo.lambda(), "notifier", None)
            .await
            .expect("policy"),
    );
    assert_eq!(after, before);
}

/// The unqualified target of function `name` in a findings report.
fn target<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["targets"]
        .as_array()
        .and_then(|t| {
            t.iter()
                .find(|t| t["function"] == name && t["qualifier"].is_null())
        })
        .unwrap_or_else(|| panic!("no target {name}: {report}"))
}

/// The rule ids of a target's findings.
fn rule_ids(target: &Value) -> BTreeSet<String> {
    target["findings"]
        .as_array()
        .map(|f| {
            f.iter()
                .filter_map(|f| f["rule_id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread")]
async fn exempt_records_an_exemption_that_scans_honour_until_unexempt_deletes_it() {
    use warden_aws::Aws;

    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let endpoint = moto.endpoint();
    let payments = demo.function_arn("payments-api");
    let legacy = demo.function_arn("legacy-batch");
    let caller = Aws::new(&sdk)
        .caller_arn()
        .await
        .expect("GetCallerIdentity");
    let with_table = || {
        let mut cmd = cli_for(&endpoint);
        cmd.env("WARDEN_STATE_TABLE", &demo.state_table);
        cmd
    };
    let table = ["--state-table", demo.state_table.as_str()];

    // GIVEN no state table: no exemption is honoured, and legacy-batch's exempt tag is a
    // finding of its own (LW025) beside its public statement
    let report = scan(&endpoint, &[]);
    let t = target(&report, "legacy-batch");
    assert_eq!(t["resolution"], "non_compliant");
    assert!(
        rule_ids(t).is_superset(&["LW001".to_owned(), "LW025".to_owned()].into()),
        "{t}"
    );
    // AND the commands of the table refuse to run without one
    for args in [
        vec!["exemptions"],
        vec!["unexempt", payments.as_str()],
        vec!["exempt", payments.as_str(), "--reason", "r"],
    ] {
        let out = run(&mut cli_for(&endpoint), &args);
        assert_eq!(code(&out), 2, "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("needs the state table"),
            "{args:?}: {}",
            stderr(&out)
        );
    }

    // WHEN an admin exempts payments-api until a last day
    let out = run(
        &mut with_table(),
        &[
            "exempt",
            &payments,
            "--reason",
            "load test",
            "--until",
            "2999-12-31",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let recorded = json(&out);
    assert_eq!(recorded["schema"], "lambda-warden.exempt/1");
    assert_eq!(recorded["table"], demo.state_table);
    let e = &recorded["exemption"];
    assert_eq!(e["resource_arn"], payments);
    assert_eq!(e["approved_by"], caller, "the caller is the approver");
    assert_eq!(e["reason"], "load test");
    assert_eq!(e["source"], "cli");
    assert_eq!(e["alerted"], false, "the next evaluation alerts it once");
    assert_eq!(
        e["until"],
        warden_rules::state::end_of_day("2999-12-31").expect("date")
    );
    assert!(recorded["replaced"].is_null());

    // THEN exemptions lists it, approved by the caller, beside legacy-batch's
    let out = run(&mut with_table(), &["exemptions", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let listed = json(&out);
    assert_eq!(listed["schema"], "lambda-warden.exemptions/1");
    let rows = listed["exemptions"].as_array().expect("exemptions");
    let arns: Vec<&str> = rows
        .iter()
        .filter_map(|r| r["resource_arn"].as_str())
        .collect();
    assert_eq!(arns, [legacy.as_str(), payments.as_str()]);
    assert_eq!(rows[1]["approved_by"], caller);
    assert_eq!(rows[1]["in_force"], true);
    let out = run(
        &mut with_table(),
        &["exemptions", "--format", "table", "--color", "never"],
    );
    let text = stdout(&out);
    assert!(
        text.contains(&payments) && text.contains(&caller) && text.contains("2999-12-31"),
        "{text}"
    );
    assert!(
        text.contains("2 exemption(s) recorded in lambda-warden-state, 2 in force."),
        "{text}"
    );

    // AND a scan honours both recorded exemptions
    let report = scan(&endpoint, &table);
    for name in ["payments-api", "legacy-batch"] {
        let t = target(&report, name);
        assert_eq!(t["resolution"], "exempt", "{name}: {t}");
        assert!(rule_ids(t).is_empty(), "{name}: {t}");
    }
    assert_eq!(
        target(&report, "payments-api")["exempt_reason"],
        "load test"
    );
    // AND so does the dry run of an event about it: nothing planned but the exempt status tag
    let event = load_event("add-permission-public-payments-api.json").expect("event");
    let file = temp_file("event.json", &event.to_string());
    let out = run(
        with_table().env("WARDEN_MODE", "enforce"),
        &[
            "evaluate",
            "--event",
            file.arg(),
            "--dry-run",
            "--format",
            "json",
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let dry = json(&out);
    let t = &dry["findings"]["targets"][0];
    assert_eq!(t["resolution"], "exempt", "{dry}");
    assert_eq!(t["planned"], serde_json::json!([]), "{dry}");
    assert_eq!(
        dry["tag_update"]["tags"]["lambda-warden:status"], "exempt",
        "{dry}"
    );
    assert_eq!(dry["api_calls"]["writes"], 0);
    // AND scan --fix leaves it alone: the public statement stays, the status tag says exempt
    let fixed = scan(&endpoint, &["--fix", "--state-table", &demo.state_table]);
    assert_eq!(target(&fixed, "payments-api")["resolution"], "exempt");
    let sids: Vec<String> = policy_statements(demo.lambda(), "payments-api", None)
        .await
        .expect("policy")
        .iter()
        .filter_map(|s| s["Sid"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(sids, ["public-invoke"]);
    let t = tags(demo.lambda(), &payments).await.expect("tags");
    assert_eq!(
        t.get("lambda-warden:status").map(String::as_str),
        Some("exempt")
    );

    // WHEN a developer tags it exempt as well, and the admin deletes the exemption
    demo.lambda()
        .tag_resource()
        .resource(&payments)
        .tags("lambda-warden:exempt", "self-granted")
        .send()
        .await
        .expect("TagResource");
    let out = run(
        &mut with_table(),
        &["unexempt", &payments, "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let deleted = json(&out);
    assert_eq!(deleted["schema"], "lambda-warden.unexempt/1");
    assert_eq!(deleted["deleted"], true);
    // THEN a second unexempt finds none and exits 1
    let out = run(
        &mut with_table(),
        &["unexempt", &payments, "--format", "table"],
    );
    assert_eq!(code(&out), 1, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("No exemption was recorded for"),
        "{}",
        stdout(&out)
    );
    // AND the next scan evaluates it: the public statement, and the exempt tag without a
    // recorded exemption (LW025)
    let report = scan(&endpoint, &table);
    let t = target(&report, "payments-api");
    assert_eq!(t["resolution"], "non_compliant", "{t}");
    assert_eq!(
        rule_ids(t),
        ["LW001".to_owned(), "LW025".to_owned()].into(),
        "{t}"
    );
    assert_eq!(target(&report, "legacy-batch")["resolution"], "exempt");
    // AND only legacy-batch's exemption is listed
    let listed = json(&run(&mut with_table(), &["exemptions", "--format", "json"]));
    assert_eq!(listed["exemptions"].as_array().map(Vec::len), Some(1));
    assert_eq!(listed["exemptions"][0]["resource_arn"], legacy);
}

/// The record ids of the decision lines about `function_arn` in `scan -v`'s standard error
/// (the functions' log fields, as the command line's logger writes them).
fn decision_record_ids(stderr: &str, function_arn: &str) -> Vec<String> {
    stderr
        .lines()
        .filter(|l| {
            // A text field is written quoted, or bare at the end of a line's fields.
            l.contains("decision")
                && (l.contains(&format!("function_arn=\"{function_arn}\""))
                    || l.contains(&format!("function_arn={function_arn} ")))
        })
        .filter_map(|l| {
            let rest = &l[l.find("record_id=")? + "record_id=".len()..];
            let id: String = rest
                .trim_start_matches('"')
                .chars()
                .take_while(|c| c.is_ascii_hexdigit() || *c == '-')
                .collect();
            warden_rules::state::is_audit_id(&id).then_some(id)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn restore_by_id_reads_the_record_scan_fix_stored_and_puts_the_statement_back() {
    let moto = Moto::start();
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await.expect("seed");
    let endpoint = moto.endpoint();
    let resizer = demo.function_arn("image-resizer");
    let before = policy_statements(demo.lambda(), "image-resizer", None)
        .await
        .expect("policy");

    // GIVEN scan --fix tightened image-resizer's S3 statement, recording it in the state table
    let out = run(
        &mut cli_for(&endpoint),
        &[
            "scan",
            "--region",
            "us-east-1",
            "--fix",
            "--format",
            "json",
            "-v",
            "--state-table",
            &demo.state_table,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let tightened = policy_statements(demo.lambda(), "image-resizer", None)
        .await
        .expect("policy");
    assert_ne!(tightened, before);
    let ids = decision_record_ids(&stderr(&out), &resizer);
    let id = ids
        .last()
        .cloned()
        .unwrap_or_else(|| panic!("no decision line about {resizer}: {}", stderr(&out)));
    assert!(ids.iter().all(|i| *i == id), "one record: {ids:?}");

    // WHEN it is restored by id as a dry run, the actions are planned and nothing changes
    let out = run(
        &mut cli_for(&endpoint),
        &[
            "restore",
            "--id",
            &id,
            "--dry-run",
            "--format",
            "json",
            "--state-table",
            &demo.state_table,
        ],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let planned = json(&out);
    assert_eq!(planned["function_arn"], resizer);
    assert_eq!(planned["planned"][0]["action"], "remove_permission");
    assert_eq!(planned["planned"][1]["action"], "add_permission");
    assert_eq!(
        policy_statements(demo.lambda(), "image-resizer", None)
            .await
            .expect("policy"),
        tightened
    );

    // WHEN it is restored by id (the table named by WARDEN_STATE_TABLE)
    let out = run(
        cli_for(&endpoint).env("WARDEN_STATE_TABLE", &demo.state_table),
        &["restore", "--id", &id, "--format", "json"],
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let results = json(&out);
    assert!(
        results["results"]
            .as_array()
            .is_some_and(|r| r.len() == 2 && r.iter().all(|x| x["status"]["status"] == "done")),
        "{results}"
    );
    // THEN the statement is back as it was
    assert_eq!(
        policy_statements(demo.lambda(), "image-resizer", None)
            .await
            .expect("policy"),
        before
    );

    // AND an id the table does not hold, or no table, is an error naming it (exit 2), and
    // nothing changes
    let missing = "0000000000001-0123456789abcdef";
    let out = run(
        &mut cli_for(&endpoint),
        &[
            "restore",
            "--id",
            missing,
            "--state-table",
            &demo.state_table,
        ],
    );
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!(
            "no audit record {missing} in state table lambda-warden-state"
        )),
        "{}",
        stderr(&out)
    );
    let out = run(&mut cli_for(&endpoint), &["restore", "--id", &id]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(
        stderr(&out).contains("restore --id needs the state table"),
        "{}",
        stderr(&out)
    );
    assert_eq!(
        policy_statements(demo.lambda(), "image-resizer", None)
            .await
            .expect("policy"),
        before
    );
}
