//! The local demo: lambda-warden's real `lambda-events` binary, run by `cargo lambda watch`,
//! against a moto account seeded with the demo functions. Each step delivers one sample event
//! from `events/` and shows the function before and after, the function's answer, and the
//! alerts that reached the SNS topic. Everything runs on 127.0.0.1 and stops at the end, also
//! on error.
//!
//! Run it with `./scripts/demo.sh` (which installs moto and cargo-lambda and builds first).
//!
//! `demo --seed-only ENDPOINT` only seeds an emulator already running on this machine (for
//! example `python3 tests/moto/launch.py 5000`, then `demo --seed-only http://127.0.0.1:5000`)
//! with the demo account, for invoking the functions by hand (README, "Running the function
//! locally").

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use serde_json::Value;
use warden_tests::events::events_dir;
use warden_tests::inspect::FunctionState;
use warden_tests::local_lambda::{demo_function_env, EVENTS_FUNCTION};
use warden_tests::moto::sdk_config_at;
use warden_tests::seed::*;
use warden_tests::{load_event, retarget, seed_demo_account, HarnessError};
use warden_tests::{LocalLambda, Moto};

/// What a step does before delivering its event: the change the event records, when the
/// seeded account does not already contain it.
#[derive(Debug, Clone, Copy)]
enum Change {
    /// The seeded account already holds the change.
    AlreadySeeded,
    /// Tag the function with the tags the `TagResource20170331v2` event records.
    TagsOfEvent,
    /// A developer copies the display tags lambda-warden wrote on the function at an earlier
    /// step (status, findings, fingerprint: nothing secret, the dry run prints them too) back
    /// onto it; the event is rewritten to record those values.
    ForgeDisplayTagsOfStep(usize),
    /// AddPermission of the statement the `AddPermission20150331v2` event records.
    AddPermissionOfEvent,
}

/// Where a step's event comes from.
#[derive(Debug, Clone, Copy)]
enum EventSource {
    /// `events/NAME`.
    File(&'static str),
    /// `events/NAME` with every `from` replaced by `to`: the same change on another function.
    Retargeted {
        file: &'static str,
        from: &'static str,
        to: &'static str,
    },
}

/// One step of the demo.
struct Step {
    title: &'static str,
    expect: &'static str,
    event: EventSource,
    change: Change,
    function: &'static str,
}

const STEPS: &[Step] = &[
    Step {
        title: "orders-api is made public (AddPermission, Principal \"*\")",
        expect: "not opted in: tagged non-compliant and alerted; its policy is left alone",
        event: EventSource::File("add-permission-public-orders-api.json"),
        change: Change::AlreadySeeded,
        function: ORDERS_API,
    },
    Step {
        title: "payments-api is made public",
        expect: "opted in (lambda-warden:auto-fix=true): the public statement is removed",
        event: EventSource::File("add-permission-public-payments-api.json"),
        change: Change::AlreadySeeded,
        function: PAYMENTS_API,
    },
    Step {
        title: "image-resizer lets s3.amazonaws.com invoke it, pinned to a bucket ARN only",
        expect: "confused deputy, opted in: the statement is re-added with SourceAccount",
        event: EventSource::File("add-permission-s3-unpinned-image-resizer.json"),
        change: Change::AlreadySeeded,
        function: IMAGE_RESIZER,
    },
    Step {
        title: "notifier lets sns.amazonaws.com invoke it, with no condition",
        expect: "confused deputy, not opted in: tagged and alerted, left alone",
        event: EventSource::File("add-permission-sns-unpinned-notifier.json"),
        change: Change::AlreadySeeded,
        function: NOTIFIER,
    },
    Step {
        title: "public-webhook gets a function URL with AuthType NONE",
        expect: "opted in: URL switched to AWS_IAM, public URL statement removed; CORS * stays open (manual fix)",
        event: EventSource::File("create-function-url-none-public-webhook.json"),
        change: Change::AlreadySeeded,
        function: PUBLIC_WEBHOOK,
    },
    Step {
        title: "legacy-batch is made public (same change, on an exempt function)",
        expect: "an approver's exemption is recorded in the state table: untouched",
        event: EventSource::Retargeted {
            file: "add-permission-public-orders-api.json",
            from: ORDERS_API,
            to: LEGACY_BATCH,
        },
        change: Change::AlreadySeeded,
        function: LEGACY_BATCH,
    },
    Step {
        title: "an AddPermission call that failed with AccessDenied",
        expect: "nothing changed in AWS: skipped",
        event: EventSource::File("add-permission-failed-access-denied.json"),
        change: Change::AlreadySeeded,
        function: ORDERS_API,
    },
    Step {
        title: "lambda-warden's own RemovePermission comes back as an event",
        expect: "its own change: skipped (no remediation loop)",
        event: EventSource::File("remove-permission-by-lambda-warden.json"),
        change: Change::AlreadySeeded,
        function: ORDERS_API,
    },
    Step {
        title: "the first event again (EventBridge delivers at least once)",
        expect: "already tagged and alerted: no write, no second alert",
        event: EventSource::File("add-permission-public-orders-api.json"),
        change: Change::AlreadySeeded,
        function: ORDERS_API,
    },
    Step {
        title: "orders-api is tagged lambda-warden:auto-fix=true",
        expect: "now opted in: its public statement is removed",
        event: EventSource::File("tag-resource-opt-in-orders-api.json"),
        change: Change::TagsOfEvent,
        function: ORDERS_API,
    },
    Step {
        title: "a developer tags notifier lambda-warden:exempt (no approver involved)",
        expect: "an unapproved exemption: LW025 (HIGH) alerted; notifier is still evaluated as if untagged",
        event: EventSource::File("tag-resource-self-exempt-notifier.json"),
        change: Change::TagsOfEvent,
        function: NOTIFIER,
    },
    Step {
        title: "a developer forges orders-api's display tags: those lambda-warden wrote at step 1 for its public statement",
        expect: "only lambda-warden's display tags changed: skipped without an AWS call",
        event: EventSource::File("tag-resource-forged-display-tags-orders-api.json"),
        change: Change::ForgeDisplayTagsOfStep(1),
        function: ORDERS_API,
    },
    Step {
        title: "... then makes orders-api public again, hoping the forged fingerprint says \"already alerted\"",
        expect: "the state table, not the tag, says what was alerted: alerted, the statement removed, the tags rewritten",
        event: EventSource::File("add-permission-public-orders-api.json"),
        change: Change::AddPermissionOfEvent,
        function: ORDERS_API,
    },
];

/// Why the demo stopped.
#[derive(Debug, thiserror::Error)]
enum DemoError {
    /// The harness failed (moto, seeding, the local runtime, reading state).
    #[error(transparent)]
    Harness(#[from] HarnessError),
    /// Sample events the steps need are not in `events/`.
    #[error("{dir} lacks the sample events {files}")]
    MissingEvents { dir: String, files: String },
    /// `--seed-only` was given without a loopback endpoint.
    #[error("usage: demo [--seed-only http://127.0.0.1:PORT] (got {got:?}): the endpoint must be an emulator on this machine")]
    Usage { got: Vec<String> },
    /// A step could not apply the change its event records.
    #[error("step {step}: {operation} on {function} failed: {source}")]
    Change {
        step: usize,
        operation: &'static str,
        function: &'static str,
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

/// Seeds the emulator at `endpoint` with the demo account and prints what it holds.
async fn seed_only(endpoint: &str) -> Result<(), DemoError> {
    let demo = seed_demo_account(&sdk_config_at(endpoint)).await?;
    println!(
        "seeded account      {} {} at {endpoint}",
        demo.account_id, demo.region
    );
    println!("functions           {}", DEMO_FUNCTIONS.join(", "));
    println!("alert topic         {}", demo.topic_arn);
    println!("lambda-warden's own role {WARDEN_ROLE}, function {WARDEN_FUNCTION}");
    Ok(())
}

/// The endpoint of `--seed-only ENDPOINT`, when those are the arguments; only loopback
/// addresses are accepted, so the demo never sends anything off this machine.
fn seed_only_endpoint(args: &[String]) -> Result<Option<&str>, DemoError> {
    match args {
        [] => Ok(None),
        [flag, endpoint]
            if flag == "--seed-only"
                && ["http://127.0.0.1:", "http://localhost:", "http://[::1]:"]
                    .iter()
                    .any(|p| endpoint.starts_with(p)) =>
        {
            Ok(Some(endpoint.as_str()))
        }
        other => Err(DemoError::Usage {
            got: other.to_vec(),
        }),
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match seed_only_endpoint(&args) {
        Ok(Some(endpoint)) => seed_only(endpoint).await,
        Ok(None) => run().await,
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("\ndemo failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), DemoError> {
    let started = Instant::now();
    let missing: Vec<&str> = STEPS
        .iter()
        .map(|s| match s.event {
            EventSource::File(f) | EventSource::Retargeted { file: f, .. } => f,
        })
        .filter(|f| !events_dir().join(f).is_file())
        .collect();
    if !missing.is_empty() {
        return Err(DemoError::MissingEvents {
            dir: events_dir().display().to_string(),
            files: missing.join(", "),
        });
    }
    println!("lambda-warden demo: the real lambda-events binary against a local moto account\n");

    let moto = Moto::try_start()?;
    println!("moto                {}", moto.endpoint());
    let sdk = moto.sdk_config();
    let demo = seed_demo_account(&sdk).await?;
    println!("seeded account      {} {}", demo.account_id, demo.region);
    println!("alert topic         {}", demo.topic_arn);

    let env = demo_function_env(&moto, &demo);
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let local = LocalLambda::start(&workspace, EVENTS_FUNCTION, &env)?;
    println!(
        "cargo lambda watch  {} (function lambda-events)",
        local.endpoint()
    );
    println!("function settings   WARDEN_MODE=enforce, alerts to lambda-warden-alerts\n");

    println!("The account before any event:");
    for name in DEMO_FUNCTIONS {
        let state = demo.state(name).await?;
        print_state(name, &state, None);
    }

    let client = local.client();
    let mut alerts_total = 0;
    // The state each step left its function in, for a later step that forges its tags.
    let mut after_step: Vec<FunctionState> = Vec::new();
    for (i, step) in STEPS.iter().enumerate() {
        let n = i + 1;
        let mut event = match step.event {
            EventSource::File(file) => load_event(file)?,
            EventSource::Retargeted { file, from, to } => retarget(&load_event(file)?, from, to),
        };
        if let Change::ForgeDisplayTagsOfStep(earlier) = step.change {
            let display = after_step
                .get(earlier - 1)
                .map(|s| display_tags(&s.tags))
                .unwrap_or_default();
            event["detail"]["requestParameters"]["tags"] = serde_json::json!(display);
        }
        println!("\n━━ {n}. {}", step.title);
        println!("   expected: {}", step.expect);
        println!("   event:    {}", describe_event(&step.event, &event));
        apply(&demo, step, n, &event).await?;

        let before = demo.state(step.function).await?;
        let answer = local.invoke(&client, &event).await?;
        let after = demo.state(step.function).await?;
        after_step.push(after.clone());
        let alerts = demo.read_alerts().await?;
        alerts_total += alerts.len();

        println!(
            "   answer:   {}",
            describe_answer(&answer.payload, &answer.function_error)
        );
        print_state(step.function, &after, Some(&before));
        if alerts.is_empty() {
            println!("   alerts:   none");
        }
        for (subject, message) in &alerts {
            print_alert(subject, message);
        }
    }

    println!("\n━━ The account after the demo:");
    for name in DEMO_FUNCTIONS {
        let state = demo.state(name).await?;
        print_state(name, &state, None);
    }
    println!(
        "\n{} events delivered, {alerts_total} alerts received, {:.0} s.",
        STEPS.len(),
        started.elapsed().as_secs_f64()
    );
    println!("Stopping cargo lambda watch and moto.");
    Ok(())
}

/// lambda-warden's display tags among `tags` (status, findings, fingerprint and their
/// alias/version forms): what a developer can read off a function and write back.
fn display_tags(
    tags: &std::collections::BTreeMap<String, String>,
) -> std::collections::BTreeMap<String, String> {
    tags.iter()
        .filter(|(k, _)| warden_rules::tags::is_display_key(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Makes in the account the change `event` records, for a step whose change the seeded
/// account does not hold yet; prints what was done.
async fn apply(
    demo: &warden_tests::DemoAccount,
    step: &Step,
    n: usize,
    event: &Value,
) -> Result<(), DemoError> {
    let failed = |operation: &'static str| {
        move |e: Box<dyn std::error::Error + Send + Sync>| DemoError::Change {
            step: n,
            operation,
            function: step.function,
            source: e,
        }
    };
    let request = &event["detail"]["requestParameters"];
    match step.change {
        Change::AlreadySeeded => {}
        Change::TagsOfEvent | Change::ForgeDisplayTagsOfStep(_) => {
            let tags: Vec<(String, String)> = request["tags"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect();
            let mut req = demo
                .lambda()
                .tag_resource()
                .resource(demo.function_arn(step.function));
            for (k, v) in &tags {
                req = req.tags(k, v);
            }
            req.send()
                .await
                .map_err(|e| failed("TagResource")(Box::new(e)))?;
            let shown: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            println!(
                "   (applied the change the event records: {})",
                shown.join(", ")
            );
        }
        Change::AddPermissionOfEvent => {
            let text = |key: &str| request[key].as_str().unwrap_or_default().to_owned();
            demo.lambda()
                .add_permission()
                .function_name(demo.function_arn(step.function))
                .statement_id(text("statementId"))
                .action(text("action"))
                .principal(text("principal"))
                .send()
                .await
                .map_err(|e| failed("AddPermission")(Box::new(e)))?;
            println!(
                "   (applied the change the event records: statement {} for {} on {})",
                text("statementId"),
                text("principal"),
                text("action")
            );
        }
    }
    Ok(())
}

/// `AddPermission20150331v2 on orders-api by IAMUser (file.json)`.
fn describe_event(source: &EventSource, event: &Value) -> String {
    let file = match source {
        EventSource::File(f) => (*f).to_owned(),
        EventSource::Retargeted { file, from, to } => format!("{file}, {from} → {to}"),
    };
    let detail = &event["detail"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_owned();
    let target = detail["requestParameters"]["functionName"]
        .as_str()
        .or_else(|| detail["requestParameters"]["resource"].as_str())
        .map(|s| format!(" on {}", s.rsplit(':').next().unwrap_or(s)))
        .unwrap_or_default();
    let mut s = format!(
        "{}{target} by {}",
        text(&detail["eventName"]),
        text(&detail["userIdentity"]["type"])
    );
    if let Some(code) = detail["errorCode"].as_str() {
        s.push_str(&format!(", errorCode {code}"));
    }
    format!("{s} ({file})")
}

/// `outcome non_compliant, findings LW001, actions tag_resource`.
fn describe_answer(payload: &Value, function_error: &Option<String>) -> String {
    if let Some(kind) = function_error {
        return format!(
            "function error ({kind}): {}",
            shorten(&payload.to_string(), 200)
        );
    }
    let Some(obj) = payload.as_object() else {
        return shorten(&payload.to_string(), 200);
    };
    let mut parts = vec![format!(
        "outcome {}",
        obj.get("outcome").and_then(Value::as_str).unwrap_or("?")
    )];
    if let Some(reason) = obj.get("skip_reason").filter(|v| !v.is_null()) {
        parts.push(format!("reason {}", compact(reason)));
    }
    let findings: Vec<String> = obj
        .get("findings")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(compact).collect())
        .unwrap_or_default();
    if !findings.is_empty() {
        parts.push(format!("findings {}", findings.join(" ")));
    }
    let actions: Vec<String> = obj
        .get("actions")
        .and_then(Value::as_array)
        .map(|items| items.iter().map(describe_action).collect())
        .unwrap_or_default();
    if !actions.is_empty() {
        parts.push(format!("actions: {}", actions.join("; ")));
    }
    parts.join(", ")
}

/// `remove_permission backdoor: done`, from an action and its result as the function
/// serialises them (`{"action": {"action": KIND, "sid"|"grant": ..}, "status": {"status": ..}}`).
fn describe_action(result: &Value) -> String {
    let action = &result["action"];
    let kind = action["action"].as_str().unwrap_or("?");
    let target = action["sid"]
        .as_str()
        .or_else(|| action["grant"]["statement_id"].as_str())
        .map(|sid| format!(" {sid}"))
        .unwrap_or_default();
    let status = &result["status"];
    let mut s = format!(
        "{kind}{target}: {}",
        status["status"].as_str().unwrap_or("?")
    );
    if let Some(code) = status["code"].as_str() {
        s.push_str(&format!(" ({code})"));
    }
    s
}

/// The lines of an alert: its subject, then one line per finding and the count of removed
/// statements (kept verbatim in the alert's JSON message).
fn print_alert(subject: &str, message: &str) {
    println!("   alert:    {subject}");
    let Ok(doc) = serde_json::from_str::<Value>(message) else {
        println!("             {}", shorten(message, 160));
        return;
    };
    for f in doc["findings"].as_array().into_iter().flatten() {
        let sid = f["sid"]
            .as_str()
            .map(|s| format!(" (Sid {s})"))
            .unwrap_or_default();
        println!(
            "             {} {}{sid}: {}",
            f["rule_id"].as_str().unwrap_or("?"),
            f["severity"].as_str().unwrap_or("?"),
            shorten(f["message"].as_str().unwrap_or(""), 110)
        );
    }
    let removed = doc["removed_statements"].as_array().map_or(0, Vec::len);
    if removed > 0 {
        println!("             {removed} statement(s) removed or replaced, recorded verbatim in the alert");
    }
}

/// Prints a function's state; with `before`, marks lines that appeared (+) or went (-).
fn print_state(name: &str, now: &FunctionState, before: Option<&FunctionState>) {
    let lines = |s: &FunctionState| -> Vec<String> {
        let mut out: Vec<String> = s
            .tags
            .iter()
            .map(|(k, v)| format!("tag     {k}={v}"))
            .collect();
        out.extend(s.statements.iter().map(describe_statement));
        out.push(format!(
            "url     {}",
            s.url_auth_type
                .as_deref()
                .map_or("none".to_owned(), |a| format!("AuthType {a}"))
        ));
        out
    };
    let now_lines = lines(now);
    match before {
        None => {
            println!("   {name}");
            for l in &now_lines {
                println!("       {l}");
            }
        }
        Some(before) => {
            let before_lines = lines(before);
            let was: BTreeSet<&String> = before_lines.iter().collect();
            let is: BTreeSet<&String> = now_lines.iter().collect();
            let changed = was != is;
            println!(
                "   {name} {}:",
                if changed {
                    "after (+ new, - gone)"
                } else {
                    "unchanged"
                }
            );
            for l in &before_lines {
                if !is.contains(l) {
                    println!("     - {l}");
                }
            }
            for l in &now_lines {
                println!("     {} {l}", if was.contains(l) { ' ' } else { '+' });
            }
        }
    }
}

/// `policy  backdoor: Allow * lambda:InvokeFunction {condition}`.
fn describe_statement(s: &Value) -> String {
    let text = |k: &str| {
        s.get(k).map_or("?".to_owned(), |v| {
            v.as_str().map_or_else(|| compact(v), str::to_owned)
        })
    };
    let mut line = format!(
        "policy  {}: {} {} {}",
        text("Sid"),
        text("Effect"),
        text("Principal"),
        text("Action")
    );
    match s.get("Condition") {
        Some(c) => line.push_str(&format!(" if {}", compact(c))),
        None => line.push_str(" (no condition)"),
    }
    line
}

fn compact(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn shorten(s: &str, max: usize) -> String {
    let one_line = s.replace('\n', " ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn seed_only_takes_a_loopback_endpoint_and_nothing_else() {
        assert!(matches!(seed_only_endpoint(&args(&[])), Ok(None)));
        assert!(matches!(
            seed_only_endpoint(&args(&["--seed-only", "http://127.0.0.1:5000"])),
            Ok(Some("http://127.0.0.1:5000"))
        ));
        for bad in [
            &["--seed-only"][..],
            &["--seed-only", "https://lambda.us-east-1.amazonaws.com"],
            &["--seed-only", "http://10.0.0.5:5000"],
            &["--seed", "http://127.0.0.1:5000"],
            &["--seed-only", "http://127.0.0.1:5000", "extra"],
        ] {
            assert!(
                matches!(seed_only_endpoint(&args(bad)), Err(DemoError::Usage { .. })),
                "{bad:?}"
            );
        }
    }
}
