//! The findings report of `evaluate` and `scan` (JSON schema [`SCHEMA`]), built from the
//! sweep's evaluations.

use std::collections::BTreeMap;

use serde::Serialize;
use warden_aws::remediate::Resolution;
use warden_aws::sweep::{Evaluation, Failure, SweepReport};
use warden_rules::config::Mode;
use warden_rules::findings::{Finding, Remediation, Severity};
use warden_rules::ids::AccountId;
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind};
use warden_rules::plan::{Action, FixDecision};

/// The JSON schema of the findings report. A new field may be added within a version; a
/// field is never renamed or removed without a new version.
pub const SCHEMA: &str = "lambda-warden.findings/1";

/// The findings report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// [`SCHEMA`].
    pub schema: &'static str,
    /// `evaluate`, `evaluate --dry-run` or `scan`.
    pub command: &'static str,
    /// When the report was made (RFC 3339, UTC).
    pub generated_at: String,
    /// The mode the plan was made for.
    pub mode: Mode,
    /// Whether the plan was applied (`scan --fix`).
    pub applied: bool,
    /// Counts.
    pub summary: Summary,
    /// One entry per evaluated function, alias or version.
    pub targets: Vec<Target>,
    /// What could not be done (an account, a Region, a function, a fix).
    pub failures: Vec<FailureOut>,
}

/// Counts over the whole report.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Accounts scanned (1 unless `--accounts`/`--organization`).
    pub accounts: usize,
    /// Functions completed (evaluated, exempt, gone, or lambda-warden's own).
    pub functions: usize,
    /// Evaluated targets (functions, aliases, versions).
    pub targets: usize,
    /// Findings.
    pub findings: usize,
    /// Findings still open (all of them unless `--fix` fixed some).
    pub open_findings: usize,
    /// Open findings per severity label (`CRITICAL`, ...).
    pub by_severity: BTreeMap<&'static str, usize>,
    /// Open findings per rule id (`LW001`, ...).
    pub by_rule: BTreeMap<&'static str, usize>,
    /// Fix actions the plan would run (without `--fix`).
    pub actions_planned: usize,
    /// Actions done (with `--fix`).
    pub actions_done: usize,
    /// Actions that failed (with `--fix`).
    pub actions_failed: usize,
    /// Entries in `failures`.
    pub failures: usize,
}

/// One evaluated function, alias or version.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    /// The evaluated ARN (qualified for an alias or version).
    pub arn: String,
    /// Its account.
    pub account: String,
    /// Its Region.
    pub region: String,
    /// The function name.
    pub function: String,
    /// The alias or version, when one was evaluated.
    pub qualifier: Option<String>,
    /// `gone`, `exempt`, `compliant`, `non_compliant`, `remediated` or `unverified`.
    pub resolution: Resolution,
    /// The `lambda-warden:exempt` reason.
    pub exempt_reason: Option<String>,
    /// Every finding.
    pub findings: Vec<FindingOut>,
    /// The fix actions the plan would run (without `--fix`).
    pub planned: Vec<Action>,
    /// The actions taken and their results (with `--fix`).
    pub actions: Vec<ActionResult>,
}

/// One finding.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FindingOut {
    /// `LW001`, ...
    pub rule_id: &'static str,
    /// The rule's slug, e.g. `public-invoke`.
    pub slug: &'static str,
    /// The rule's title.
    pub title: &'static str,
    /// `INFORMATIONAL`, `LOW`, `MEDIUM`, `HIGH` or `CRITICAL`.
    pub severity: Severity,
    /// The evaluated ARN.
    pub resource_arn: String,
    /// The statement's `Sid`, for policy findings.
    pub sid: Option<String>,
    /// One sentence.
    pub message: String,
    /// Structured evidence.
    pub evidence: serde_json::Value,
    /// `safety` (`safe`, `unsafe`, `manual`), `fix` and `text`.
    pub remediation: Remediation,
    /// What the plan decides about it: `{"decision": "apply", "actions": [..]}` or
    /// `{"decision": "withhold", "reason": "not_opted_in"}` (`manual_only`,
    /// `mode_does_not_fix`, `not_opted_in`, `outside_auto_fix_scope`,
    /// `statement_already_planned`).
    pub fix: Option<FixDecision>,
    /// Whether it is still open (false only when `--fix` fixed it).
    pub open: bool,
}

/// Something that could not be done.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FailureOut {
    /// The account, when several were scanned.
    pub account: Option<String>,
    /// The Region, when known.
    pub region: Option<String>,
    /// The function, when the failure concerns one.
    pub function_arn: Option<String>,
    /// The operation, e.g. `ListFunctions`, `AssumeRole`.
    pub operation: String,
    /// `throttled`, `transient`, `access_denied`, `not_found`, `conflict` or `invalid`.
    pub kind: FailureKind,
    /// The AWS error code.
    pub code: String,
    /// More detail, when there is some (e.g. why a role could not be assumed).
    pub message: Option<String>,
}

impl FailureOut {
    fn of(account: Option<&AccountId>, f: Failure) -> Self {
        FailureOut {
            account: account.map(ToString::to_string),
            region: Some(f.region),
            function_arn: f.function_arn,
            operation: f.operation,
            kind: f.kind,
            code: f.code,
            message: None,
        }
    }
}

fn target(e: Evaluation) -> Target {
    let findings = e
        .findings
        .iter()
        .enumerate()
        .map(|(i, f)| finding_out(f, e.fixes.get(i).cloned(), e.open_findings.contains(f)))
        .collect();
    Target {
        arn: e.arn.to_string(),
        account: e.arn.account.to_string(),
        region: e.arn.region.clone(),
        function: e.arn.name.to_string(),
        qualifier: e.arn.qualifier.as_ref().map(ToString::to_string),
        resolution: e.resolution,
        exempt_reason: e.exempt_reason,
        findings,
        planned: e.planned,
        actions: e.actions,
    }
}

fn finding_out(f: &Finding, fix: Option<FixDecision>, open: bool) -> FindingOut {
    let meta = f.rule_id.meta();
    FindingOut {
        rule_id: f.rule_id.as_str(),
        slug: meta.slug,
        title: meta.title,
        severity: f.severity,
        resource_arn: f.resource_arn.clone(),
        sid: f.sid.clone(),
        message: f.message.clone(),
        evidence: f.evidence.clone(),
        remediation: f.remediation.clone(),
        fix,
        open,
    }
}

/// The result of one account's sweep, or why the account could not be swept.
#[derive(Debug)]
pub enum AccountResult {
    /// Swept.
    Swept(SweepReport),
    /// Not swept: the failure.
    Failed(FailureOut),
}

impl Report {
    /// Builds the report of `accounts` (the account id is `None` for a single-account run).
    pub fn new(
        command: &'static str,
        generated_at: String,
        mode: Mode,
        applied: bool,
        accounts: Vec<(Option<AccountId>, AccountResult)>,
    ) -> Report {
        let mut summary = Summary {
            accounts: accounts.len(),
            ..Summary::default()
        };
        let mut targets = Vec::new();
        let mut failures = Vec::new();
        for (account, result) in accounts {
            match result {
                AccountResult::Swept(sweep) => {
                    summary.functions += sweep.functions;
                    targets.extend(sweep.evaluations.into_iter().map(target));
                    failures.extend(
                        sweep
                            .failures
                            .into_iter()
                            .map(|f| FailureOut::of(account.as_ref(), f)),
                    );
                }
                AccountResult::Failed(f) => failures.push(f),
            }
        }
        summary.targets = targets.len();
        for t in &targets {
            summary.findings += t.findings.len();
            for f in t.findings.iter().filter(|f| f.open) {
                summary.open_findings += 1;
                *summary.by_severity.entry(f.severity.as_str()).or_default() += 1;
                *summary.by_rule.entry(f.rule_id).or_default() += 1;
            }
            summary.actions_planned += t.planned.len();
            for a in &t.actions {
                match a.status {
                    ActionStatus::Done => summary.actions_done += 1,
                    ActionStatus::Failed { .. } => summary.actions_failed += 1,
                    ActionStatus::NotAttempted => {}
                }
            }
        }
        summary.failures = failures.len();
        Report {
            schema: SCHEMA,
            command,
            generated_at,
            mode,
            applied,
            summary,
            targets,
            failures,
        }
    }

    /// Every open finding at or above `threshold`.
    pub fn open_at_or_above(&self, threshold: Severity) -> usize {
        self.targets
            .iter()
            .flat_map(|t| t.findings.iter())
            .filter(|f| f.open && f.severity >= threshold)
            .count()
    }
}
