//! The sweep: every function of some Regions, and every alias and published version of each
//! that has its own resource-based policy or function URL, evaluated with the same rules and
//! plan as the event path. `lambda-warden scan` and the scheduled `sweep` function both drive
//! it; they differ only in the [`Apply`] mode, the [`Budget`] and the [`Progress`] they pass.
//!
//! Order and resumption: Regions are swept in the order given; within a Region functions are
//! taken in name order ([`Aws::list_functions`] sorts them) with at most
//! [`SweepOptions::concurrency`] in flight. Before a function is started the [`Budget`] is
//! asked; once it is exhausted no function is started, the ones in flight finish, and the
//! report's [`SweepReport::stopped_at`] is the [`Cursor`] from which the next sweep resumes:
//! every function before it is done. A function created meanwhile with a name before the
//! cursor is evaluated by the next full sweep (and by the event path when it was created).
//!
//! Aliases and versions: a qualified ARN is evaluated when `GetPolicy` or
//! `GetFunctionUrlConfig` for that qualifier finds something (or is refused: then it is
//! unverified, never skipped), and a version is evaluated whenever an alias sends it weighted
//! traffic (`RoutingConfig.AdditionalVersionWeights`). Aliases and versions carry their own policies and URLs
//! (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-aliases.html>,
//! <https://docs.aws.amazon.com/lambda/latest/dg/urls-configuration.html>); their findings name
//! the qualified ARN and their status tags use `KEY@QUALIFIER` keys on the function.

use std::collections::{BTreeMap, HashMap};

use futures::stream::{self, FuturesOrdered, StreamExt};

use crate::pace::AdaptiveLimit;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};
use warden_rules::config::{Config, SweepAliases, SweepTags};
use warden_rules::findings::Finding;
use warden_rules::ids::FunctionArn;
use warden_rules::outcome::{ActionResult, FailureKind};
use warden_rules::plan::{self, Action, FixDecision};
use warden_rules::reads::Reads;
use warden_rules::rules::{self, RuleConfig};
use warden_rules::snapshot::{FunctionSnapshot, Readable};
use warden_rules::state::Exemption;
use warden_rules::tags::ComplianceStatus;

use crate::deadline::Clock;
use crate::inventory::{qualified_targets, ListedFunction};
use crate::remediate::{self, remediate_from, Cause, RemediateError, Resolution};
use crate::snapshot::when;
use crate::tagging::RegionTags;
use crate::{Aws, AwsError, Fetched};

/// Where a sweep stopped: it resumes in `region` with the first function whose name sorts
/// after `after` (from the Region's first function when `after` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The Region code, e.g. `us-east-1`.
    pub region: String,
    /// The last function name of `region` already evaluated.
    pub after: Option<String>,
}

/// Whether a sweep may start another function.
pub trait Budget: Sync {
    /// `true` once no further function may be started (e.g. the function's remaining time is
    /// below its safety margin).
    fn exhausted(&self) -> bool;
}

/// A budget that is never exhausted (the CLI's).
#[derive(Debug, Clone, Copy, Default)]
pub struct Unlimited;

impl Budget for Unlimited {
    fn exhausted(&self) -> bool {
        false
    }
}

/// What a sweep reports while it runs (the CLI draws a progress bar from it).
pub trait Progress: Sync {
    /// `functions` functions were listed in `region` (those to be swept in this run).
    fn listed(&self, _region: &str, _functions: usize) {}
    /// One function is done: `evaluations` of it and of its aliases and versions, and what
    /// failed on them. Functions of a Region finish in name order.
    fn finished(
        &self,
        _function: &FunctionArn,
        _evaluations: &[Evaluation],
        _failures: &[Failure],
    ) {
    }
}

/// Reports nothing.
#[derive(Debug, Clone, Copy, Default)]
pub struct Silent;

impl Progress for Silent {}

/// What a sweep does with what it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Apply {
    /// Reads only: evaluates and plans, writes nothing (no tags, no alerts, no fixes).
    ReadOnly,
    /// Runs [`remediate_from`] on every target: the plan the mode allows, the audit record,
    /// the alert when the open findings changed, and the status tags, as the event path does.
    Remediate,
}

/// How to sweep.
#[derive(Debug, Clone, Copy)]
pub struct SweepOptions<'a> {
    /// Settings (mode, trust, disabled rules, own functions, alert topic).
    pub config: &'a Config,
    /// Read only, or remediate.
    pub apply: Apply,
    /// How many functions are evaluated at once (at least 1).
    pub concurrency: usize,
    /// The run, for audit records (`event_id` = a run id, `event_name` = e.g. `Sweep`).
    pub cause: Cause<'a>,
    /// The evaluation time, seconds since the Unix epoch (runtime deprecation dates).
    pub now: i64,
}

/// The evaluation of one target (a function, or one of its aliases or versions).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// The evaluated ARN, qualified for an alias or version.
    pub arn: FunctionArn,
    /// How it ended.
    pub resolution: Resolution,
    /// The exemption reason, for [`Resolution::Exempt`].
    pub exempt_reason: Option<String>,
    /// Every finding, in rule order.
    pub findings: Vec<Finding>,
    /// `fixes[i]` is what the plan decided about `findings[i]`.
    pub fixes: Vec<FixDecision>,
    /// The findings still open (all of them in [`Apply::ReadOnly`]).
    pub open_findings: Vec<Finding>,
    /// [`Apply::ReadOnly`]: the fix actions the plan would run in the configured mode (tag
    /// updates not included). Empty in [`Apply::Remediate`].
    pub planned: Vec<Action>,
    /// [`Apply::Remediate`]: every action attempted, with its result.
    pub actions: Vec<ActionResult>,
}

/// Something a sweep could not do; the sweep goes on with the rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Failure {
    /// The Region.
    pub region: String,
    /// The function (qualified for an alias or version), when the failure concerns one.
    pub function_arn: Option<String>,
    /// The API operation, e.g. `ListFunctions`, `GetPolicy`, `RemovePermission`.
    pub operation: String,
    /// The failure class.
    pub kind: FailureKind,
    /// The AWS error code.
    pub code: String,
}

impl Failure {
    fn of(region: &str, function: Option<&FunctionArn>, e: &AwsError) -> Self {
        Failure {
            region: region.to_owned(),
            function_arn: function.map(ToString::to_string),
            operation: e.operation.to_owned(),
            kind: e.kind,
            code: e.code.clone(),
        }
    }

    fn of_remediate(region: &str, function: &FunctionArn, e: &RemediateError) -> Self {
        match e {
            RemediateError::Aws(e) => Failure::of(region, Some(function), e),
            RemediateError::Action {
                operation,
                kind,
                code,
                ..
            } => Failure {
                region: region.to_owned(),
                function_arn: Some(function.to_string()),
                operation: operation.clone(),
                kind: *kind,
                code: code.clone(),
            },
            RemediateError::Alert(_) => Failure {
                region: region.to_owned(),
                function_arn: Some(function.to_string()),
                operation: "Publish".to_owned(),
                kind: FailureKind::Invalid,
                code: "AlertNotSerialisable".to_owned(),
            },
            RemediateError::Deadline { .. } => Failure {
                region: region.to_owned(),
                function_arn: Some(function.to_string()),
                operation: "Deadline".to_owned(),
                kind: FailureKind::Transient,
                code: "DeadlineNear".to_owned(),
            },
            RemediateError::Superseded { .. } => Failure {
                region: region.to_owned(),
                function_arn: Some(function.to_string()),
                operation: "PutItem".to_owned(),
                kind: FailureKind::Conflict,
                code: "Superseded".to_owned(),
            },
            RemediateError::PlanInProgress { .. } => Failure {
                region: region.to_owned(),
                function_arn: Some(function.to_string()),
                operation: "Reconcile".to_owned(),
                kind: FailureKind::Conflict,
                code: "PlanInProgress".to_owned(),
            },
        }
    }
}

/// What a sweep did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SweepReport {
    /// One entry per evaluated target, Region by Region, functions in name order, each
    /// function followed by its aliases and versions.
    pub evaluations: Vec<Evaluation>,
    /// Everything that failed.
    pub failures: Vec<Failure>,
    /// Functions completed (evaluated, exempt, gone, or skipped as lambda-warden's own).
    pub functions: usize,
    /// lambda-warden's own functions, not evaluated.
    pub skipped_own: usize,
    /// Where the sweep stopped because the budget ran out; `None` when it finished.
    pub stopped_at: Option<Cursor>,
    /// The lowest number of functions in flight the sweep came down to after throttled
    /// answers ([`AdaptiveLimit`]); `None` when no function was swept.
    pub lowest_concurrency: Option<usize>,
}

/// Sweeps `regions` (one [`Aws`] per Region, in order), resuming at `resume` when given.
/// A `resume` cursor naming a Region not in `regions` starts from the first Region.
///
/// Failures (a Region that cannot be listed, a function that cannot be read, a fix that
/// fails) are collected in [`SweepReport::failures`]; the sweep goes on with the rest.
pub async fn sweep(
    regions: &[Aws],
    options: &SweepOptions<'_>,
    resume: Option<&Cursor>,
    budget: &dyn Budget,
    progress: &dyn Progress,
) -> SweepReport {
    let mut report = SweepReport::default();
    let clock = Clock::at(options.now);
    // One role cache for the whole sweep, all Regions: each distinct execution role and
    // managed policy is read once, however many functions share it.
    let first_region = regions.first().map(Aws::with_role_cache);
    let regions: Vec<Aws> = regions
        .iter()
        .map(|a| match &first_region {
            Some(f) => a.sharing_role_cache(f),
            None => a.clone(),
        })
        .collect();
    let regions = regions.as_slice();
    let reads = Reads::for_rules(&RuleConfig::from(options.config));
    let start = resume.and_then(|c| {
        let at = regions
            .iter()
            .position(|a| a.region() == Some(c.region.as_str()));
        if at.is_none() {
            warn!(region = %c.region, "cursor names a Region outside this sweep; starting over");
        }
        at.map(|i| (i, c.after.clone()))
    });
    let (first, mut after) = start.unwrap_or((0, None));
    for aws in regions.iter().skip(first) {
        let region = aws.region().unwrap_or_default().to_owned();
        if budget.exhausted() {
            report.stopped_at = Some(Cursor {
                region,
                after: after.take(),
            });
            return report;
        }
        // The listing's configurations spare each function its GetFunctionConfiguration.
        let mut functions = match aws.list_function_configurations().await {
            Ok(f) => f,
            Err(e) => {
                warn!(region = %region, code = %e.code, "functions could not be listed");
                report.failures.push(Failure::of(&region, None, &e));
                after = None;
                continue;
            }
        };
        if let Some(after) = after.take() {
            functions.retain(|f| f.arn.name.as_str() > after.as_str());
        }
        let known = KnownInRegion::read(aws, options.config, &region, &functions).await;
        progress.listed(&region, functions.len());
        let total = functions.len();
        let mut last_done: Option<String> = None;
        let mut done = 0;
        let mut pending = functions.into_iter();
        let mut in_flight = FuturesOrdered::new();
        let mut limit = AdaptiveLimit::new(options.concurrency, aws.calls().throttled());
        loop {
            while in_flight.len() < limit.current() && !budget.exhausted() {
                let Some(f) = pending.next() else { break };
                let known = known.of(&f.arn);
                // Boxed: the future of one function is large and deeply nested (the whole
                // remediation loop); boxing keeps the callers' future types shallow.
                in_flight.push_back(Box::pin(sweep_function(
                    aws, options, reads, &clock, &region, f, known,
                )));
            }
            let Some(result) = in_flight.next().await else {
                break;
            };
            limit.finished(aws.calls().throttled());
            done += 1;
            report.functions += 1;
            progress.finished(&result.function, &result.evaluations, &result.failures);
            last_done = Some(result.function.name.as_str().to_owned());
            report.skipped_own += usize::from(result.own);
            report.evaluations.extend(result.evaluations);
            report.failures.extend(result.failures);
        }
        drop(in_flight);
        if done > 0 {
            report.lowest_concurrency = Some(
                report
                    .lowest_concurrency
                    .map_or(limit.lowest(), |l| l.min(limit.lowest())),
            );
        }
        if done < total {
            info!(region = %region, done, total, "budget exhausted; sweep stops");
            report.stopped_at = Some(Cursor {
                region,
                after: last_done,
            });
            return report;
        }
    }
    report
}

/// What a sweep reads once per Region rather than once per function: the functions' tags
/// ([`Aws::function_tags`], with [`SweepTags::Bulk`]) and their recorded exemptions
/// ([`crate::store::StateStore::exemptions_of`]). `None` when it was not read, or its read
/// failed: each function then reads its own (`ListTags`, a `Query` of the state table).
struct KnownInRegion {
    tags: Option<RegionTags>,
    exemptions: Option<HashMap<String, Exemption>>,
}

/// What [`KnownInRegion`] knows of one function.
struct Known<'a> {
    /// Its tags, read in bulk; `None`: read them with `ListTags`.
    tags: Option<&'a BTreeMap<String, String>>,
    /// Its recorded exemption, read in bulk (`Some(None)`: none); `None`: read it.
    exemption: Option<Option<Exemption>>,
}

/// The tags of a function the tagging API did not list: none.
static NO_TAGS: BTreeMap<String, String> = BTreeMap::new();

impl KnownInRegion {
    async fn read(
        aws: &Aws,
        config: &Config,
        region: &str,
        functions: &[ListedFunction],
    ) -> KnownInRegion {
        let tags = when(config.sweep_tags == SweepTags::Bulk, aws.function_tags());
        let arns: Vec<FunctionArn> = functions.iter().map(|f| f.arn.clone()).collect();
        let exemptions = async {
            match aws.store() {
                None => Some(Ok(HashMap::new())),
                Some(store) if !functions.is_empty() => Some(store.exemptions_of(&arns).await),
                Some(_) => None,
            }
        };
        let (tags, exemptions) = tokio::join!(tags, exemptions);
        KnownInRegion {
            tags: read_in_bulk(tags, region, "tags"),
            exemptions: read_in_bulk(exemptions, region, "exemptions"),
        }
    }

    fn of(&self, function: &FunctionArn) -> Known<'_> {
        Known {
            tags: self
                .tags
                .as_ref()
                .map(|t| t.get(function).unwrap_or(&NO_TAGS)),
            exemption: self
                .exemptions
                .as_ref()
                .map(|m| m.get(&function.to_string()).cloned()),
        }
    }
}

/// What a bulk read (`None`: not sent) gave; a failed one is logged and gives `None`, so each
/// function reads its own `what`.
fn read_in_bulk<T>(read: Option<Result<T, AwsError>>, region: &str, what: &str) -> Option<T> {
    match read? {
        Ok(v) => Some(v),
        Err(e) => {
            warn!(region = %region, code = %e.code, what, "could not be read in bulk; reading them per function");
            None
        }
    }
}

/// How many aliases and versions of one function are read at once.
const QUALIFIED_IN_FLIGHT: usize = 4;

/// One function and its aliases and versions.
struct FunctionResult {
    function: FunctionArn,
    own: bool,
    evaluations: Vec<Evaluation>,
    failures: Vec<Failure>,
}

async fn sweep_function(
    aws: &Aws,
    options: &SweepOptions<'_>,
    reads: Reads,
    clock: &Clock,
    region: &str,
    listed: ListedFunction,
    known: Known<'_>,
) -> FunctionResult {
    // The listing that carried the configuration came after the sweep began; everything
    // else is read after this point. A sweep can run for many minutes: each function is
    // judged at the time it is reached.
    let listed_at_ms = options.now.saturating_mul(1000);
    let entered_ms = clock.now_ms();
    let options = &SweepOptions {
        now: entered_ms.div_euclid(1000),
        ..*options
    };
    let function = listed.arn.clone();
    let mut result = FunctionResult {
        function: function.clone(),
        own: false,
        evaluations: Vec::new(),
        failures: Vec::new(),
    };
    if options.config.self_identity.is_own_function(&function) {
        result.own = true;
        return result;
    }
    // Aliases only matter to the rules that read what an alias has of its own (policy,
    // URL); they are listed while the function itself is read.
    let list_aliases = (reads.policy || reads.url)
        && match options.config.sweep_aliases {
            SweepAliases::All => true,
            SweepAliases::Versioned => !listed.versions.is_empty(),
        };
    let (base, aliases) = tokio::join!(
        read_listed(aws, &listed, known.tags, reads),
        when(list_aliases, aws.list_aliases(&function)),
    );
    let base = match base {
        Ok(Some(s)) => s,
        Ok(None) => {
            result.evaluations.push(gone(function));
            return result;
        }
        Err(e) => {
            result
                .failures
                .push(Failure::of(region, Some(&function), &e));
            return result;
        }
    };
    let tags_from_bulk = known.tags.is_some();
    let exemption = match known.exemption {
        Some(e) => Ok(e.filter(|e| e.in_force(options.now))),
        None => remediate::recorded_exemption(aws, &function, options.now).await,
    };
    let exemption = match exemption {
        Ok(e) => e,
        Err(e) => {
            result
                .failures
                .push(Failure::of(region, Some(&function), &e));
            return result;
        }
    };
    if let Some(e) = exemption {
        // Exempt functions are left alone, aliases and versions included. Remediating, the
        // evaluation itself sends the exemption's one alert and shows it in the status tag.
        match options.apply {
            Apply::ReadOnly => result.evaluations.push(Evaluation {
                resolution: Resolution::Exempt,
                exempt_reason: Some(e.reason),
                ..gone(function)
            }),
            Apply::Remediate => {
                // The exemption's status tag is written from tags read now, not in bulk.
                let given = (!tags_from_bulk).then_some((base, listed_at_ms));
                match remediate_given(aws, options, &function, given).await {
                    Ok(e) => result.evaluations.push(e),
                    Err(e) => result
                        .failures
                        .push(Failure::of_remediate(region, &function, &e)),
                }
            }
        }
        return result;
    }
    let unreadable_base = matches!(
        &base.policy,
        Readable::Unreadable { operation, .. }
            if operation == "GetFunctionConfiguration" || operation == "ListTags"
    );
    let tags = base.tags.clone();
    match evaluate(aws, options, base, listed_at_ms, tags_from_bulk).await {
        Ok(e) => result.evaluations.push(e),
        Err(e) => result
            .failures
            .push(Failure::of_remediate(region, &function, &e)),
    }
    if unreadable_base || !(reads.policy || reads.url) {
        // The function's configuration or tags were refused: so would its aliases' be. Or no
        // rule that runs reads what an alias or version has of its own (policy, URL).
        return result;
    }
    let aliases = match aliases {
        None => Vec::new(),
        Some(Ok(a)) => a,
        Some(Err(e)) => {
            // The versions are still judged.
            result
                .failures
                .push(Failure::of(region, Some(&function), &e));
            Vec::new()
        }
    };
    // Most aliases and versions have nothing of their own: one GetPolicy (and, for an alias,
    // one GetFunctionUrlConfig) tells, before anything else of theirs is read; what they
    // answer is the policy and URL the evaluation judges.
    let targets: Vec<_> = stream::iter(qualified_targets(&listed, aliases))
        .map(|t| async move { (aws.own_parts(&t, reads).await, t) })
        .buffered(QUALIFIED_IN_FLIGHT)
        .collect()
        .await;
    for (own, target) in targets {
        let own = match own {
            // A version an alias sends weighted traffic to runs for the alias's callers: its
            // configuration is judged even when it has nothing of its own.
            Ok(own) if own.any() || target.routed => own,
            Ok(_) => continue,
            Err(e) => {
                result
                    .failures
                    .push(Failure::of(region, Some(&target.arn), &e));
                continue;
            }
        };
        let read_at_ms = clock.now_ms();
        let snapshot = match aws
            .fetch_qualified_snapshot(&target, &tags, own, reads)
            .await
        {
            Ok(Fetched::Found(s)) => s,
            Ok(Fetched::Gone) => continue,
            Err(e) if e.kind == FailureKind::AccessDenied => remediate::unreadable(&target.arn, &e),
            Err(e) => {
                result
                    .failures
                    .push(Failure::of(region, Some(&target.arn), &e));
                continue;
            }
        };
        match evaluate(aws, options, snapshot, read_at_ms, tags_from_bulk).await {
            Ok(e) => result.evaluations.push(e),
            Err(e) => result
                .failures
                .push(Failure::of_remediate(region, &target.arn, &e)),
        }
    }
    result
}

/// Reads the state of a function as `ListFunctions` listed it ([`Aws::fetch_listed_snapshot`],
/// with its tags when they were read in bulk): `None` when it is gone; an all-unverified
/// snapshot when `ListTags` is refused (never taken as compliant).
async fn read_listed(
    aws: &Aws,
    listed: &ListedFunction,
    tags: Option<&BTreeMap<String, String>>,
    reads: Reads,
) -> Result<Option<FunctionSnapshot>, AwsError> {
    match aws.fetch_listed_snapshot(listed, tags, reads).await {
        Ok(Fetched::Found(s)) => Ok(Some(s)),
        Ok(Fetched::Gone) => Ok(None),
        Err(e) if e.kind == FailureKind::AccessDenied => {
            Ok(Some(remediate::unreadable(&listed.arn, &e)))
        }
        Err(e) => Err(e),
    }
}

fn gone(arn: FunctionArn) -> Evaluation {
    Evaluation {
        arn,
        resolution: Resolution::Gone,
        exempt_reason: None,
        findings: Vec::new(),
        fixes: Vec::new(),
        open_findings: Vec::new(),
        planned: Vec::new(),
        actions: Vec::new(),
    }
}

/// Evaluates `snapshot`, read no earlier than `read_at_ms` (milliseconds since the Unix epoch).
/// Remediating a snapshot whose tags came from the tagging API (`tags_from_bulk`, eventually
/// consistent), a plan with anything to write is not run on it: the function is read again,
/// tags by `ListTags`, and planned from that.
async fn evaluate(
    aws: &Aws,
    options: &SweepOptions<'_>,
    snapshot: FunctionSnapshot,
    read_at_ms: i64,
    tags_from_bulk: bool,
) -> Result<Evaluation, RemediateError> {
    match options.apply {
        Apply::ReadOnly => Ok(evaluate_read_only(&snapshot, options.config, options.now)),
        Apply::Remediate => {
            let arn = snapshot.arn.clone();
            let writes = tags_from_bulk && {
                let findings =
                    rules::evaluate(&snapshot, &RuleConfig::from(options.config), options.now);
                !plan::plan(findings, &snapshot, options.config)
                    .actions
                    .is_empty()
            };
            let given = (!writes).then_some((snapshot, read_at_ms));
            remediate_given(aws, options, &arn, given).await
        }
    }
}

/// Runs [`remediate_from`] on `arn`, from `given` (a snapshot and when it was read) or from a
/// fresh read.
async fn remediate_given(
    aws: &Aws,
    options: &SweepOptions<'_>,
    arn: &FunctionArn,
    given: Option<(FunctionSnapshot, i64)>,
) -> Result<Evaluation, RemediateError> {
    let done = remediate_from(aws, options.config, arn, given, options.cause, options.now).await?;
    let (findings, fixes, actions) = done
        .record
        .map(|r| (r.findings, r.fixes, r.actions))
        .unwrap_or_default();
    Ok(Evaluation {
        arn: arn.clone(),
        resolution: done.resolution,
        exempt_reason: done.exempt_reason,
        findings,
        fixes,
        open_findings: done.open_findings,
        planned: Vec::new(),
        actions,
    })
}

/// Evaluates and plans `snapshot` without writing anything: the findings, and the fix actions
/// `config`'s mode would run, at evaluation time `now` (seconds since the Unix epoch). Pure.
/// The exemption tag exempts nothing here (LW025 reports it): exemptions are read from the
/// state table by the caller ([`remediate::recorded_exemption`]).
pub fn evaluate_read_only(snapshot: &FunctionSnapshot, config: &Config, now: i64) -> Evaluation {
    let findings = rules::evaluate(snapshot, &RuleConfig::from(config), now);
    let resolution = match ComplianceStatus::of(&findings) {
        ComplianceStatus::Compliant => Resolution::Compliant,
        ComplianceStatus::NonCompliant => Resolution::NonCompliant,
        ComplianceStatus::Unverified => Resolution::Unverified,
    };
    let plan = plan::plan(findings.clone(), snapshot, config);
    Evaluation {
        arn: snapshot.arn.clone(),
        resolution,
        exempt_reason: None,
        open_findings: findings.clone(),
        findings,
        fixes: plan.decisions,
        planned: plan.actions,
        actions: Vec::new(),
    }
}

impl SweepReport {
    /// Adds another report's evaluations and failures (e.g. of another account).
    pub fn absorb(&mut self, other: SweepReport) {
        self.evaluations.extend(other.evaluations);
        self.failures.extend(other.failures);
        self.functions += other.functions;
        self.skipped_own += other.skipped_own;
        if self.stopped_at.is_none() {
            self.stopped_at = other.stopped_at;
        }
        self.lowest_concurrency = match (self.lowest_concurrency, other.lowest_concurrency) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
    }
}

impl Aws {
    /// Invokes `function` (a name or ARN) asynchronously with `payload`: `Invoke` with
    /// `InvocationType=Event`, which queues the event and answers 202 without waiting for the
    /// function (<https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html>). The sweep
    /// function hands its cursor to its own next run this way.
    ///
    /// # Errors
    /// An [`AwsError`] with operation `Invoke`, e.g. kind `AccessDenied` when the role lacks
    /// `lambda:InvokeFunction` on the function, or `Invalid` for a payload over 256 KB.
    pub async fn invoke_async(
        &self,
        function: &str,
        payload: &serde_json::Value,
    ) -> Result<(), AwsError> {
        let body = serde_json::to_vec(payload).map_err(|_| AwsError {
            operation: "Invoke",
            resource_arn: function.to_owned(),
            kind: FailureKind::Invalid,
            code: "PayloadNotSerialisable".to_owned(),
        })?;
        self.lambda
            .invoke()
            .function_name(function)
            .invocation_type(aws_sdk_lambda::types::InvocationType::Event)
            .payload(aws_sdk_lambda::primitives::Blob::new(body))
            .send()
            .await
            .map_err(|e| AwsError::from_sdk("Invoke", function, &e))?;
        Ok(())
    }
}
