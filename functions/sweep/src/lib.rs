//! The handler of lambda-warden's `sweep` function: on an EventBridge schedule, every function of
//! the configured Regions (`WARDEN_REGIONS`), with every alias and version that has its own
//! resource-based policy or function URL, goes through the same loop as an event
//! ([`warden_aws::remediate::remediate_from`]: evaluate, plan in the configured mode, execute,
//! audit record, alert when the open findings changed, status tags). It catches functions created
//! before lambda-warden was deployed and events that were never delivered.
//!
//! # Time and resumption
//! The function watches its remaining time (`LambdaEvent::context.deadline`): once less than
//! `WARDEN_SWEEP_MARGIN_SECONDS` remain, it starts no further function, lets the ones in flight
//! finish, and hands the [`Cursor`] of where it stopped to its next run by invoking itself
//! asynchronously with a [`Continuation`] event (Lambda `Invoke`, `InvocationType=Event`). That
//! run resumes exactly there. The state lives in the event, not in a tag, a parameter store or a
//! table: nothing to provision, nothing to go stale between scheduled runs, and a sweep of a
//! large account finishes within minutes rather than one timeout's worth per scheduled run.
//! A chain is bounded by `WARDEN_SWEEP_MAX_CONTINUATIONS`; when a continuation cannot be sent,
//! the next scheduled run starts a fresh sweep from the first function (every function is still
//! evaluated by the next full sweep, and by the event path whenever it changes).
//!
//! # An organization
//! With `WARDEN_SWEEP_ACCOUNTS` = `organization` or a list of account ids, the scheduled run
//! does not sweep: it fans out one work item per (account, Region) to the work queue, and
//! worker invocations of this function sweep them (see [`organization`]).
//!
//! # Output
//! One structured log record per run (`sweep summary`, field `summary`: [`Summary`] as JSON),
//! and the same summary as the function's response. Alerts are the per-function alerts of the
//! event path (one per new set of open findings, deduplicated by the state table's record); the sweep
//! sends no alert of its own, so a sweep over an unchanged account alerts nobody.

pub mod organization;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use thiserror::Error;
use tracing::{info, warn};
use warden_aws::remediate::{Cause, Resolution};
use warden_aws::sweep::{self, Apply, Budget, Cursor, Failure, Silent, SweepOptions};
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::ids::AccountId;
use warden_rules::outcome::ActionStatus;

/// The key of a continuation event: `{"lambda-warden-sweep": {...}}`.
pub const CONTINUATION_KEY: &str = "lambda-warden-sweep";

/// The sweep's own settings (the shared ones are [`Config`]'s).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SweepSettings {
    /// `WARDEN_SWEEP_CONCURRENCY`: functions evaluated at once, 1-64 (default 8).
    pub concurrency: usize,
    /// `WARDEN_SWEEP_MARGIN_SECONDS`: no function is started once fewer seconds than this
    /// remain before the function's timeout (default 30, at least 1).
    pub margin_seconds: u64,
    /// `WARDEN_SWEEP_MAX_CONTINUATIONS`: how many times one sweep (or one work item of an
    /// organization sweep) may hand over to a next run (default 20, at most 1000).
    pub max_continuations: u32,
    /// `WARDEN_SWEEP_ACCOUNTS`: which accounts the scheduled run covers.
    pub accounts: SweepAccounts,
    /// `WARDEN_SWEEP_QUEUE_URL`: the work queue of an organization sweep.
    pub queue_url: Option<String>,
    /// `WARDEN_SWEEP_DEAD_LETTER_URL`: where work items that cannot be swept go, with a reason.
    pub dead_letter_url: Option<String>,
    /// `WARDEN_SWEEP_MAX_ATTEMPTS`: deliveries of a work item before a worker gives it up to
    /// the dead-letter queue (default 3, 1-10). The queue's own redrive policy
    /// (`maxReceiveCount`) must be higher: it only catches workers that died.
    pub max_attempts: u32,
    /// `WARDEN_SWEEP_CHECKPOINT_SECONDS`: the least time between two checkpoints of a work
    /// item (default 10, 0-300; 0: after every function).
    pub checkpoint_seconds: u64,
}

/// `WARDEN_SWEEP_ACCOUNTS`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum SweepAccounts {
    /// `self` (the default): the function's own account, swept by the scheduled run itself.
    #[default]
    Own,
    /// `organization`: every `ACTIVE` account of the organization (AWS Organizations
    /// `ListAccounts`; the sweep must run in the management account or a delegated
    /// administrator: <https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html>).
    Organization,
    /// A comma-separated list of account ids.
    List(Vec<AccountId>),
}

impl Default for SweepSettings {
    fn default() -> Self {
        SweepSettings {
            concurrency: 8,
            margin_seconds: 30,
            max_continuations: 20,
            accounts: SweepAccounts::Own,
            queue_url: None,
            dead_letter_url: None,
            max_attempts: 3,
            checkpoint_seconds: 10,
        }
    }
}

/// A sweep setting that could not be understood: the function fails at initialisation.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("setting {variable}={value:?} is invalid: expected {expected}")]
pub struct SettingError {
    /// The environment variable.
    pub variable: &'static str,
    /// Its value.
    pub value: String,
    /// What was expected.
    pub expected: &'static str,
}

impl SweepSettings {
    /// Reads the settings through `lookup` (the process environment in production).
    ///
    /// # Errors
    /// [`SettingError`] naming the first variable whose value is not understood.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SettingError> {
        fn number<T: std::str::FromStr + PartialOrd>(
            lookup: &impl Fn(&str) -> Option<String>,
            variable: &'static str,
            range: std::ops::RangeInclusive<T>,
            expected: &'static str,
        ) -> Result<Option<T>, SettingError> {
            match lookup(variable).filter(|v| !v.trim().is_empty()) {
                None => Ok(None),
                Some(v) => v
                    .trim()
                    .parse::<T>()
                    .ok()
                    .filter(|n| range.contains(n))
                    .map(Some)
                    .ok_or(SettingError {
                        variable,
                        value: v,
                        expected,
                    }),
            }
        }
        let mut s = SweepSettings::default();
        if let Some(n) = number(
            &lookup,
            "WARDEN_SWEEP_CONCURRENCY",
            1..=64,
            "a whole number 1-64",
        )? {
            s.concurrency = n;
        }
        if let Some(n) = number(
            &lookup,
            "WARDEN_SWEEP_MARGIN_SECONDS",
            1..=900,
            "a whole number of seconds 1-900",
        )? {
            s.margin_seconds = n;
        }
        if let Some(n) = number(
            &lookup,
            "WARDEN_SWEEP_MAX_CONTINUATIONS",
            0..=1000,
            "a whole number 0-1000",
        )? {
            s.max_continuations = n;
        }
        if let Some(n) = number(
            &lookup,
            "WARDEN_SWEEP_MAX_ATTEMPTS",
            1..=10,
            "a whole number 1-10",
        )? {
            s.max_attempts = n;
        }
        if let Some(n) = number(
            &lookup,
            "WARDEN_SWEEP_CHECKPOINT_SECONDS",
            0..=300,
            "a whole number of seconds 0-300",
        )? {
            s.checkpoint_seconds = n;
        }
        let url = |variable: &'static str| -> Result<Option<String>, SettingError> {
            match lookup(variable).map(|v| v.trim().to_owned()) {
                None => Ok(None),
                Some(v) if v.is_empty() => Ok(None),
                Some(v) if v.starts_with("https://") || v.starts_with("http://") => Ok(Some(v)),
                Some(v) => Err(SettingError {
                    variable,
                    value: v,
                    expected: "an SQS queue URL (https://sqs.REGION.amazonaws.com/ACCOUNT/NAME)",
                }),
            }
        };
        s.queue_url = url("WARDEN_SWEEP_QUEUE_URL")?;
        s.dead_letter_url = url("WARDEN_SWEEP_DEAD_LETTER_URL")?;
        const ACCOUNTS: &str = "WARDEN_SWEEP_ACCOUNTS";
        const ACCOUNTS_EXPECTED: &str =
            "self, organization, or a comma-separated list of 12-digit account ids";
        s.accounts = match lookup(ACCOUNTS).map(|v| v.trim().to_owned()) {
            None => SweepAccounts::Own,
            Some(v) if v.is_empty() || v == "self" => SweepAccounts::Own,
            Some(v) if v == "organization" => SweepAccounts::Organization,
            Some(v) => {
                let list: Result<Vec<AccountId>, _> = v
                    .split(',')
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(AccountId::parse)
                    .collect();
                match list {
                    Ok(list) if !list.is_empty() => SweepAccounts::List(list),
                    _ => {
                        return Err(SettingError {
                            variable: ACCOUNTS,
                            value: v,
                            expected: ACCOUNTS_EXPECTED,
                        })
                    }
                }
            }
        };
        if s.accounts != SweepAccounts::Own {
            for (variable, value) in [
                ("WARDEN_SWEEP_QUEUE_URL", &s.queue_url),
                ("WARDEN_SWEEP_DEAD_LETTER_URL", &s.dead_letter_url),
            ] {
                if value.is_none() {
                    return Err(SettingError {
                        variable,
                        value: String::new(),
                        expected: "a queue URL: WARDEN_SWEEP_ACCOUNTS sweeps through a work queue",
                    });
                }
            }
        }
        Ok(s)
    }
}

/// Checks that the shared settings carry what `settings` needs: an organization sweep keeps
/// its run records in the state table and reaches other accounts through the member role.
///
/// # Errors
/// [`SettingError`] naming the missing variable.
pub fn check_settings(settings: &SweepSettings, config: &Config) -> Result<(), SettingError> {
    if settings.accounts == SweepAccounts::Own {
        return Ok(());
    }
    for (variable, missing) in [
        ("WARDEN_STATE_TABLE", config.state_table.is_none()),
        ("WARDEN_MEMBER_ROLE_NAME", config.member_role_name.is_none()),
    ] {
        if missing {
            return Err(SettingError {
                variable,
                value: String::new(),
                expected: "a value: WARDEN_SWEEP_ACCOUNTS sweeps other accounts",
            });
        }
    }
    Ok(())
}

/// What a run hands to the next: where to resume, and which sweep it belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Continuation {
    /// The sweep's id (the scheduled event's id, kept across its continuations).
    pub run_id: String,
    /// Where to resume.
    pub cursor: Cursor,
    /// 1 for the first continuation of a sweep, 2 for the next, ...
    pub continuation: u32,
}

impl Continuation {
    /// The event that carries it: `{"lambda-warden-sweep": {...}}`.
    pub fn event(&self) -> Value {
        json!({ CONTINUATION_KEY: self })
    }
}

/// How a run starts: the sweep's id and, for a continuation, where to resume. Any event
/// without [`CONTINUATION_KEY`] (e.g. the EventBridge scheduled event, whose `id` becomes the
/// sweep's id) starts a fresh sweep; so does a malformed continuation, with a warning.
pub fn start_of(event: &Value, request_id: &str) -> (String, Option<Continuation>) {
    match event.get(CONTINUATION_KEY) {
        Some(c) => match serde_json::from_value::<Continuation>(c.clone()) {
            Ok(c) => (c.run_id.clone(), Some(c)),
            Err(e) => {
                warn!(error = %e, "malformed continuation; starting a fresh sweep");
                (request_id.to_owned(), None)
            }
        },
        None => {
            let id = event
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or(request_id)
                .to_owned();
            (id, None)
        }
    }
}

/// The remaining-time budget: exhausted once `now_ms()` is within `margin_ms` of
/// `deadline_ms` (milliseconds since the Unix epoch, as `LambdaEvent::context.deadline`).
pub struct Deadline<F: Fn() -> u64 + Sync> {
    /// The invocation's deadline.
    pub deadline_ms: u64,
    /// The safety margin.
    pub margin_ms: u64,
    /// The clock.
    pub now_ms: F,
}

impl<F: Fn() -> u64 + Sync> Budget for Deadline<F> {
    fn exhausted(&self) -> bool {
        (self.now_ms)().saturating_add(self.margin_ms) >= self.deadline_ms
    }
}

/// What the sweep function needs, built once per cold start.
pub struct Deps {
    /// The adapter, in the function's own Region.
    pub aws: Aws,
    /// The shared settings (`WARDEN_REGIONS`, mode, trust, alerts, own names, ...).
    pub config: Config,
    /// The sweep's own settings.
    pub settings: SweepSettings,
}

/// Counts of one run: the structured log record and the function's response.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Summary {
    /// `lambda-warden.sweep/1`.
    pub schema: &'static str,
    /// The sweep's id.
    pub run_id: String,
    /// 0 for a scheduled run, N for the Nth continuation.
    pub continuation: u32,
    /// The Regions swept, in order.
    pub regions: Vec<String>,
    /// Where this run started, when it continued a sweep.
    pub resumed_at: Option<Cursor>,
    /// Functions completed in this run.
    pub functions: usize,
    /// Targets evaluated (functions, aliases, versions).
    pub targets: usize,
    /// Targets per resolution (`compliant`, `non_compliant`, `remediated`, ...).
    pub by_resolution: BTreeMap<String, usize>,
    /// Open findings per rule id.
    pub open_by_rule: BTreeMap<String, usize>,
    /// Open findings per severity label.
    pub open_by_severity: BTreeMap<String, usize>,
    /// Actions done.
    pub actions_done: usize,
    /// Actions that failed.
    pub actions_failed: usize,
    /// Everything that failed (a Region, a function, a fix), up to [`MAX_LISTED_FAILURES`].
    pub failures: Vec<Failure>,
    /// How many failures there were in all.
    pub failure_count: usize,
    /// Where the run stopped, when its time ran out.
    pub stopped_at: Option<Cursor>,
    /// The continuation handed to the next run, when there is one.
    pub next: Option<Continuation>,
    /// Why no continuation was sent although the run stopped early.
    pub not_continued: Option<String>,
}

/// The most failures listed in a [`Summary`] (all are counted).
pub const MAX_LISTED_FAILURES: usize = 50;

/// Runs one sweep (or the continuation of one) at evaluation time `now` (seconds since the
/// Unix epoch) and returns its summary; the caller hands `summary.next` to the next run
/// ([`handle`] does, through Lambda `Invoke`).
pub async fn run_sweep(
    event: &Value,
    request_id: &str,
    deps: &Deps,
    budget: &dyn Budget,
    now: i64,
) -> Summary {
    let (run_id, resume) = start_of(event, request_id);
    let regions: Vec<Aws> = deps
        .config
        .regions
        .iter()
        .map(|r| deps.aws.in_region(r))
        .collect();
    let options = SweepOptions {
        config: &deps.config,
        apply: Apply::Remediate,
        concurrency: deps.settings.concurrency,
        cause: Cause::new(&run_id, "Sweep"),
        now,
    };
    let report = sweep::sweep(
        &regions,
        &options,
        resume.as_ref().map(|c| &c.cursor),
        budget,
        &Silent,
    )
    .await;

    let continuation = resume.as_ref().map_or(0, |c| c.continuation);
    let mut summary = Summary {
        schema: "lambda-warden.sweep/1",
        run_id: run_id.clone(),
        continuation,
        regions: deps.config.regions.clone(),
        resumed_at: resume.map(|c| c.cursor),
        functions: report.functions,
        targets: report.evaluations.len(),
        failure_count: report.failures.len(),
        stopped_at: report.stopped_at.clone(),
        ..Summary::default()
    };
    for e in &report.evaluations {
        let resolution = serde_json::to_value(e.resolution)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_else(|| format!("{:?}", e.resolution));
        *summary.by_resolution.entry(resolution).or_default() += 1;
        if e.resolution != Resolution::Exempt {
            for f in &e.open_findings {
                *summary
                    .open_by_rule
                    .entry(f.rule_id.as_str().to_owned())
                    .or_default() += 1;
                *summary
                    .open_by_severity
                    .entry(f.severity.as_str().to_owned())
                    .or_default() += 1;
            }
        }
        for a in &e.actions {
            match a.status {
                ActionStatus::Done => summary.actions_done += 1,
                ActionStatus::Failed { .. } => summary.actions_failed += 1,
                ActionStatus::NotAttempted => {}
            }
        }
    }
    summary.failures = report
        .failures
        .into_iter()
        .take(MAX_LISTED_FAILURES)
        .collect();
    if let Some(cursor) = report.stopped_at {
        if continuation < deps.settings.max_continuations {
            summary.next = Some(Continuation {
                run_id,
                cursor,
                continuation: continuation + 1,
            });
        } else {
            summary.not_continued = Some(format!(
                "WARDEN_SWEEP_MAX_CONTINUATIONS ({}) reached",
                deps.settings.max_continuations
            ));
        }
    }
    summary
}

/// Counts the runs of this process, for logs.
static RUNS: AtomicUsize = AtomicUsize::new(0);

/// Handles one invocation:
/// - an SQS event of the work queue: [`organization::work`], answering which messages to
///   deliver again;
/// - a scheduled event with `WARDEN_SWEEP_ACCOUNTS` other than `self`: [`organization::fan_out`];
/// - otherwise [`run_sweep`], then, when the run stopped early, the continuation sent to
///   `own_function` (this function's ARN) with `Invoke` (`InvocationType=Event`).
///
/// The summary is logged as one record and returned.
///
/// # Errors
/// [`organization::FanOutError`] when a fan-out fails: the invocation fails, so Lambda retries
/// it as the function's asynchronous invocation configuration says (the template: twice in
/// fan-out mode), then sends it to the on-failure destination
/// (<https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-error-handling.html>).
pub async fn handle<F: Fn() -> u64 + Sync>(
    event: &Value,
    request_id: &str,
    own_function: &str,
    deps: &Deps,
    budget: &Deadline<F>,
    now: i64,
) -> Result<Value, organization::FanOutError> {
    let run = RUNS.fetch_add(1, Ordering::Relaxed);
    if is_sqs_event(event) {
        let answer = organization::work(event, request_id, own_function, deps, budget, now).await;
        info!(run, answer = %answer, "work items handled");
        return Ok(answer);
    }
    if deps.settings.accounts != SweepAccounts::Own && event.get(CONTINUATION_KEY).is_none() {
        let (event_id, _) = start_of(event, request_id);
        // An id with nothing left of it (a made-up event) becomes the invocation's own.
        let run_id = warden_rules::work::run_id_from(&event_id, request_id);
        let fan_out = organization::fan_out(&run_id, deps, now)
            .await
            .inspect_err(|e| warn!(error = %e, "organization sweep not fanned out"))?;
        let json = serde_json::to_value(&fan_out).unwrap_or_default();
        info!(run, summary = %json, "sweep fanned out");
        return Ok(json);
    }
    let mut summary = run_sweep(event, request_id, deps, budget, now).await;
    if let Some(next) = &summary.next {
        if let Err(e) = deps.aws.invoke_async(own_function, &next.event()).await {
            warn!(error = %e, "continuation not sent; the next scheduled run starts over");
            summary.not_continued = Some(format!("Invoke failed with {} ({:?})", e.code, e.kind));
            summary.next = None;
        }
    }
    match serde_json::to_string(&summary) {
        Ok(json) => info!(run, summary = %json, "sweep summary"),
        Err(e) => warn!(error = %e, "sweep summary not serialisable"),
    }
    Ok(serde_json::to_value(&summary).unwrap_or_default())
}

/// Whether `event` is an SQS event (`Records[0].eventSource` = `aws:sqs`:
/// <https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html#example-standard-queue-message-event>).
pub fn is_sqs_event(event: &Value) -> bool {
    event
        .pointer("/Records/0/eventSource")
        .and_then(Value::as_str)
        == Some("aws:sqs")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn settings_have_defaults_and_bounds() {
        let none = SweepSettings::from_lookup(|_| None).unwrap();
        assert_eq!(none, SweepSettings::default());
        let m: HashMap<&str, &str> = [
            ("WARDEN_SWEEP_CONCURRENCY", "4"),
            ("WARDEN_SWEEP_MARGIN_SECONDS", "60"),
            ("WARDEN_SWEEP_MAX_CONTINUATIONS", "0"),
        ]
        .into();
        let s = SweepSettings::from_lookup(|k| m.get(k).map(|v| (*v).to_owned())).unwrap();
        assert_eq!(
            (s.concurrency, s.margin_seconds, s.max_continuations),
            (4, 60, 0)
        );
        for (k, v) in [
            ("WARDEN_SWEEP_CONCURRENCY", "0"),
            ("WARDEN_SWEEP_MARGIN_SECONDS", "soon"),
            ("WARDEN_SWEEP_MAX_CONTINUATIONS", "-1"),
        ] {
            let e = SweepSettings::from_lookup(|key| (key == k).then(|| v.to_owned())).unwrap_err();
            assert_eq!(e.variable, k);
        }
    }

    #[test]
    fn an_organization_sweep_needs_its_queues_state_table_and_member_role() {
        let get = |pairs: &[(&str, &str)]| {
            let m: HashMap<String, String> = pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            SweepSettings::from_lookup(move |k| m.get(k).cloned())
        };
        let queues = [
            (
                "WARDEN_SWEEP_QUEUE_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/work",
            ),
            (
                "WARDEN_SWEEP_DEAD_LETTER_URL",
                "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
            ),
        ];
        assert_eq!(
            get(&[("WARDEN_SWEEP_ACCOUNTS", "self")]).unwrap().accounts,
            SweepAccounts::Own
        );
        let org =
            get(&[&[("WARDEN_SWEEP_ACCOUNTS", "organization")], &queues[..]].concat()).unwrap();
        assert_eq!(org.accounts, SweepAccounts::Organization);
        let list = get(&[
            &[("WARDEN_SWEEP_ACCOUNTS", "111111111111, 222222222222")],
            &queues[..],
        ]
        .concat())
        .unwrap();
        assert_eq!(
            list.accounts,
            SweepAccounts::List(vec![
                AccountId::parse("111111111111").unwrap(),
                AccountId::parse("222222222222").unwrap()
            ])
        );
        let e = get(&[("WARDEN_SWEEP_ACCOUNTS", "organization")]).unwrap_err();
        assert_eq!(e.variable, "WARDEN_SWEEP_QUEUE_URL");
        let e = get(&[&[("WARDEN_SWEEP_ACCOUNTS", "1111, everyone")], &queues[..]].concat())
            .unwrap_err();
        assert_eq!(e.variable, "WARDEN_SWEEP_ACCOUNTS");
        let e = get(&[("WARDEN_SWEEP_QUEUE_URL", "work-queue")]).unwrap_err();
        assert_eq!(e.variable, "WARDEN_SWEEP_QUEUE_URL");
        for (k, v) in [
            ("WARDEN_SWEEP_MAX_ATTEMPTS", "0"),
            ("WARDEN_SWEEP_CHECKPOINT_SECONDS", "301"),
        ] {
            assert_eq!(get(&[(k, v)]).unwrap_err().variable, k);
        }

        let config = Config::default();
        assert_eq!(check_settings(&SweepSettings::default(), &config), Ok(()));
        assert_eq!(
            check_settings(&org, &config).unwrap_err().variable,
            "WARDEN_STATE_TABLE"
        );
        let config = Config {
            state_table: Some("state".into()),
            ..Config::default()
        };
        assert_eq!(
            check_settings(&org, &config).unwrap_err().variable,
            "WARDEN_MEMBER_ROLE_NAME"
        );
        let config = Config {
            member_role_name: Some("lambda-warden-member".into()),
            ..config
        };
        assert_eq!(check_settings(&org, &config), Ok(()));
    }

    #[test]
    fn failed_work_items_back_off_from_a_minute_to_fifteen() {
        let waits: Vec<u32> = (1..=7).map(organization::back_off_seconds).collect();
        assert_eq!(waits, [60, 120, 240, 480, 900, 900, 900]);
        assert_eq!(organization::back_off_seconds(0), 60);
    }

    #[test]
    fn only_sqs_events_are_work_items() {
        assert!(is_sqs_event(
            &json!({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]})
        ));
        assert!(!is_sqs_event(
            &json!({"Records": [{"eventSource": "aws:sns"}]})
        ));
        assert!(!is_sqs_event(
            &json!({"detail-type": "Scheduled Event", "detail": {}})
        ));
    }

    #[test]
    fn scheduled_events_start_fresh_and_continuations_resume() {
        let scheduled = json!({"version": "0", "id": "sched-1", "detail-type": "Scheduled Event", "source": "aws.events", "detail": {}});
        assert_eq!(start_of(&scheduled, "req"), ("sched-1".to_owned(), None));
        let c = Continuation {
            run_id: "sched-1".into(),
            cursor: Cursor {
                region: "us-east-1".into(),
                after: Some("fn-010".into()),
            },
            continuation: 2,
        };
        assert_eq!(start_of(&c.event(), "req"), ("sched-1".to_owned(), Some(c)));
        let broken = json!({CONTINUATION_KEY: {"cursor": 3}});
        assert_eq!(start_of(&broken, "req"), ("req".to_owned(), None));
    }

    #[test]
    fn the_deadline_budget_keeps_the_margin() {
        let b = Deadline {
            deadline_ms: 10_000,
            margin_ms: 2_000,
            now_ms: || 7_999,
        };
        assert!(!b.exhausted());
        let b = Deadline {
            deadline_ms: 10_000,
            margin_ms: 2_000,
            now_ms: || 8_000,
        };
        assert!(b.exhausted());
    }
}
