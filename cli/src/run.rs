//! Running a parsed command line: reading input, calling the rules and the adapter, and
//! rendering the output. `main` reads the clock and the environment and prints what this
//! returns.

use std::collections::BTreeMap;
use std::future::Future;

use aws_config::retry::RetryConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde::Serialize;
use serde_json::Value;
use thiserror::Error;
use warden_aws::accounts::{member_role_arn, AssumeRoleError};
use warden_aws::remediate::{self, Cause, Resolution};
use warden_aws::sweep::{
    self, Apply, Evaluation, Failure, Progress, Silent, SweepOptions, Unlimited,
};
use warden_aws::{Aws, AwsError, Fetched};
use warden_rules::config::{Config, ConfigError, Mode, SweepAliases, SweepTags};
use warden_rules::findings::Severity;
use warden_rules::gate::{self, Gate};
use warden_rules::ids::{AccountId, FunctionArn, IdError};
use warden_rules::outcome::{ActionResult, ActionStatus, FailureKind, Outcome};
use warden_rules::plan::{self, Action};
use warden_rules::reads::Reads;
use warden_rules::rules::RuleConfig;
use warden_rules::trigger::{self, partition_of_region, EventError, Trigger};

use crate::args::{
    AliasesArg, CheckPolicyArgs, Cli, ColorChoice, Command, EvaluateArgs, Format, ModeArg,
    RestoreArgs, RuleArgs, ScanArgs, TagsArg,
};
use crate::check::{self, CheckError};
use crate::input::{self, InputError};
use crate::report::{AccountResult, FailureOut, Report};
use crate::table::{self, TableSetting};
use crate::{asff, render, time};
use warden_aws::restore::RestoreFailure;
use warden_rules::restore::{restore_actions, RestoreError};

/// The process exit codes (documented in the README and `--help`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// Nothing at or above `--fail-on` (check-policy: no public, cross-account or
    /// confused-deputy statement).
    Ok = 0,
    /// An open finding at or above `--fail-on` (check-policy: a failing statement;
    /// `unexempt`: no exemption was recorded).
    Findings = 1,
    /// The command line or an input file could not be used.
    Usage = 2,
    /// An AWS call failed (the report, when there is one, lists what failed).
    Aws = 3,
    /// `restore` refused the record: it does not hold together, does not match the live
    /// function, or holds a statement `AddPermission` cannot write. Nothing was written.
    Refused = 4,
}

/// A command that could not run.
#[derive(Debug, Error)]
pub enum CliError {
    /// An input file.
    #[error(transparent)]
    Input(#[from] InputError),
    /// A setting (flag or `WARDEN_*` environment variable).
    #[error("invalid setting (from a flag or the environment): {0}")]
    Setting(#[from] ConfigError),
    /// An identifier given on the command line.
    #[error("--{flag}: {source}")]
    Id {
        /// The flag.
        flag: &'static str,
        /// What is wrong.
        source: IdError,
    },
    /// `check-policy` could not judge the policy.
    #[error(transparent)]
    Check(#[from] CheckError),
    /// The event of `evaluate --event` could not be parsed.
    #[error("the event cannot be evaluated: {0}")]
    Event(#[from] EventError),
    /// `restore` refused the record (nothing was written).
    #[error("restore refused, nothing was written: {0}")]
    Restore(#[from] RestoreError),
    /// `evaluate --event` without `--dry-run`.
    #[error("evaluate --event only reads: add --dry-run (the deployed function applies plans)")]
    EventNeedsDryRun,
    /// `--role-name` without `--accounts` or `--organization`.
    #[error("--role-name needs --accounts FILE or --organization")]
    RoleNeedsAccounts,
    /// No Region to scan.
    #[error("no Region to scan: pass --region, set WARDEN_REGIONS, or configure a default Region")]
    NoRegion,
    /// A format the command does not produce.
    #[error("{command} has no {format} output")]
    FormatNotAvailable {
        /// The command.
        command: &'static str,
        /// The format.
        format: &'static str,
    },
    /// A command that reads or writes the state table without one.
    #[error("{command} needs the state table: pass --state-table TABLE or set WARDEN_STATE_TABLE")]
    NoStateTable {
        /// The command.
        command: &'static str,
    },
    /// Neither the table's ARN nor the AWS configuration names a Region for the state table.
    #[error("no Region for the state table: set AWS_REGION, configure the profile's region, or give the table's ARN")]
    NoTableRegion,
    /// An ARN argument that is not a full Lambda function ARN.
    #[error("ARN {value:?} is not a Lambda function ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME): {source}")]
    FunctionArn {
        /// The argument.
        value: String,
        /// What is wrong.
        source: IdError,
    },
    /// An exemption asked for an alias or version.
    #[error("{arn} is an alias or version: an exemption covers a whole function with its aliases and versions; give {function}")]
    QualifiedExemption {
        /// The qualified ARN given.
        arn: String,
        /// The function's unqualified ARN.
        function: String,
    },
    /// `--reason` empty, too long or with control characters.
    #[error(
        "--reason: 1-{} characters of text without control characters",
        table::MAX_REASON_CHARS
    )]
    Reason,
    /// `--until` not a date, or a day that has ended.
    #[error("--until {value:?}: {reason}")]
    Until {
        /// The value given.
        value: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// `restore --id` with something that is not a record id.
    #[error("--id {id:?} is not an audit record id (13 digits, '-', 16 hex digits, e.g. 1764000000000-0123456789abcdef)")]
    AuditId {
        /// The value given.
        id: String,
    },
    /// `restore --id` of a record the table does not hold.
    #[error("no audit record {id} in state table {table} (expired by WARDEN_AUDIT_RETENTION_DAYS, or another table)")]
    AuditNotFound {
        /// The record id.
        id: String,
        /// The table.
        table: String,
    },
    /// An AWS call failed before there was anything to report.
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The role in a member account could not be assumed.
    #[error(transparent)]
    AssumeRole(#[from] AssumeRoleError),
    /// The output could not be written as JSON.
    #[error("output cannot be serialised: {0}")]
    Output(#[from] serde_json::Error),
}

impl CliError {
    /// The exit code this error ends the process with.
    pub fn exit(&self) -> Exit {
        match self {
            CliError::Aws(_) | CliError::AssumeRole(_) => Exit::Aws,
            CliError::Restore(_) => Exit::Refused,
            CliError::Input(_)
            | CliError::Setting(_)
            | CliError::Id { .. }
            | CliError::Check(_)
            | CliError::Event(_)
            | CliError::EventNeedsDryRun
            | CliError::RoleNeedsAccounts
            | CliError::NoRegion
            | CliError::FormatNotAvailable { .. }
            | CliError::NoStateTable { .. }
            | CliError::NoTableRegion
            | CliError::FunctionArn { .. }
            | CliError::QualifiedExemption { .. }
            | CliError::Reason
            | CliError::Until { .. }
            | CliError::AuditId { .. }
            | CliError::AuditNotFound { .. }
            | CliError::Output(_) => Exit::Usage,
        }
    }
}

/// An environment lookup: the value of a variable, `None` when unset.
pub type Env = Box<dyn Fn(&str) -> Option<String> + Send + Sync>;

/// What the process sees of its surroundings: the clock, the environment, the terminal.
pub struct Context {
    /// Seconds since the Unix epoch, read once.
    pub now: i64,
    /// An environment lookup (`std::env::var` in `main`).
    pub env: Env,
    /// Whether standard output is a terminal (table by default, colour).
    pub stdout_terminal: bool,
    /// Whether standard error is a terminal (progress bar).
    pub stderr_terminal: bool,
}

/// What to print, and the exit code.
#[derive(Debug)]
pub struct Done {
    /// The text for standard output.
    pub output: String,
    /// The exit code.
    pub exit: Exit,
}

/// Runs `cli`.
///
/// # Errors
/// [`CliError`]; its [`CliError::exit`] is the exit code.
pub async fn run(cli: Cli, cx: &Context) -> Result<Done, CliError> {
    let format = cli.format.unwrap_or(if cx.stdout_terminal {
        Format::Table
    } else {
        Format::Json
    });
    let color = match cli.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            cx.stdout_terminal && (cx.env)("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let out = Out {
        format,
        color,
        fail_on: cli.fail_on,
        now: time::rfc3339(cx.now),
    };
    let state_table = cli.state_table.as_deref();
    match cli.command {
        Command::CheckPolicy(args) => check_policy(args, &out),
        Command::Evaluate(args) if args.event.is_some() => {
            dry_run(args, cx, &out, state_table).await
        }
        Command::Evaluate(args) => evaluate(args, cx, &out),
        Command::Scan(args) => scan(args, cx, &out, state_table).await,
        Command::Restore(args) => restore(args, cx, &out, state_table).await,
        Command::Exempt(args) => table::exempt(args, cx, &out, state_table).await,
        Command::Unexempt(args) => table::unexempt(args, cx, &out, state_table).await,
        Command::Exemptions(args) => table::exemptions(args, cx, &out, state_table).await,
    }
}

/// Output settings.
pub(crate) struct Out {
    pub(crate) format: Format,
    pub(crate) color: bool,
    pub(crate) fail_on: Option<Severity>,
    /// When the command started, RFC 3339.
    pub(crate) now: String,
}

impl Out {
    pub(crate) fn json(&self, value: &impl Serialize) -> Result<String, CliError> {
        let mut text = serde_json::to_string_pretty(value)?;
        text.push('\n');
        Ok(text)
    }

    /// Renders a findings report in the chosen format, with `prefix` before a table.
    fn findings(&self, report: &Report, prefix: &str) -> Result<String, CliError> {
        match self.format {
            Format::Table => Ok(format!(
                "{prefix}{}",
                render::findings_table(report, self.color)
            )),
            Format::Json => self.json(report),
            Format::Asff => self.json(&asff::findings(report)),
        }
    }

    /// `Findings` when an open finding is at or above `--fail-on`.
    fn exit_for(&self, report: &Report) -> Exit {
        if !report.failures.is_empty() {
            return Exit::Aws;
        }
        match self.fail_on {
            Some(t) if report.open_at_or_above(t) > 0 => Exit::Findings,
            _ => Exit::Ok,
        }
    }
}

/// The settings: `WARDEN_*` from the environment, overridden by flags (joined as the variables
/// would be, so one validation applies to both). `default_mode` applies when neither the flag
/// nor `WARDEN_MODE` sets one; `state_table` (`--state-table`) replaces `WARDEN_STATE_TABLE`.
fn settings(
    env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    rules: &RuleArgs,
    state_table: Option<&str>,
    default_mode: Mode,
) -> Result<Config, CliError> {
    let trusted = rules.trust.trusted_accounts.join(",");
    let disabled = rules.disabled_rules.join(",");
    let only = rules.only_rules.join(",");
    let mode = rules.mode.map(|m| match m {
        ModeArg::Report => "report",
        ModeArg::Tag => "tag",
        ModeArg::Enforce => "enforce",
    });
    let lookup = |k: &str| -> Option<String> {
        match k {
            "WARDEN_TRUSTED_ACCOUNTS" if !trusted.is_empty() => Some(trusted.clone()),
            "WARDEN_ORGANIZATION_ID" if rules.trust.organization_id.is_some() => {
                rules.trust.organization_id.clone()
            }
            "WARDEN_DISABLED_RULES" if !disabled.is_empty() => Some(disabled.clone()),
            "WARDEN_RULES" if !only.is_empty() => Some(only.clone()),
            // The command line's rule selection replaces the environment's.
            "WARDEN_DISABLED_RULES" | "WARDEN_ENABLED_RULES" if !only.is_empty() => None,
            "WARDEN_MODE" if mode.is_some() => mode.map(str::to_owned),
            "WARDEN_STATE_TABLE" if state_table.is_some() => state_table.map(str::to_owned),
            // The CLI is not a function: its own name is not lambda-warden's.
            "AWS_LAMBDA_FUNCTION_NAME" => None,
            other => env(other),
        }
    };
    let mode_set = mode.is_some() || env("WARDEN_MODE").is_some_and(|v| !v.trim().is_empty());
    let mut config = Config::from_lookup(lookup)?;
    if !mode_set {
        config.mode = default_mode;
    }
    Ok(config)
}

// ---- check-policy ---------------------------------------------------------------------------

fn check_policy(args: CheckPolicyArgs, out: &Out) -> Result<Done, CliError> {
    if out.format == Format::Asff {
        return Err(CliError::FormatNotAvailable {
            command: "check-policy",
            format: "asff",
        });
    }
    let value = input::read_json(&args.file)?;
    let document = input::policy_document(&args.file, &value)?;
    let account = args
        .account
        .as_deref()
        .map(AccountId::parse)
        .transpose()
        .map_err(|source| CliError::Id {
            flag: "account",
            source,
        })?;
    let trusted = args
        .trust
        .trusted_accounts
        .iter()
        .map(|a| AccountId::parse(a))
        .collect::<Result<_, _>>()
        .map_err(|source| CliError::Id {
            flag: "trusted-account",
            source,
        })?;
    // The organization id is validated as WARDEN_ORGANIZATION_ID is.
    let org = Config::from_lookup(|k| {
        (k == "WARDEN_ORGANIZATION_ID")
            .then(|| args.trust.organization_id.clone())
            .flatten()
    })?
    .organization_id;
    let report = check::check(&document, account, trusted, org)?;
    let output = match out.format {
        Format::Table => render::policy_table(&report, out.color),
        Format::Json | Format::Asff => out.json(&report)?,
    };
    let exit = if report.fails(out.fail_on) {
        Exit::Findings
    } else {
        Exit::Ok
    };
    Ok(Done { output, exit })
}

// ---- evaluate (offline) -----------------------------------------------------------------------

fn evaluate(args: EvaluateArgs, cx: &Context, out: &Out) -> Result<Done, CliError> {
    let path = args.file.unwrap_or_else(|| "-".to_owned());
    let config = settings(&cx.env, &args.rules, None, Mode::Tag)?;
    let value = input::read_json(&path)?;
    let snapshot = input::snapshot_from_get_function(&path, &value)?;
    let evaluation = sweep::evaluate_read_only(&snapshot, &config, cx.now);
    let report = Report::new(
        "evaluate",
        out.now.clone(),
        config.mode,
        false,
        vec![(
            None,
            AccountResult::Swept(sweep::SweepReport {
                evaluations: vec![evaluation],
                functions: 1,
                ..sweep::SweepReport::default()
            }),
        )],
    );
    Ok(Done {
        output: out.findings(&report, "")?,
        exit: out.exit_for(&report),
    })
}

// ---- AWS access -------------------------------------------------------------------------------

/// The SDK configuration: the default credential chain (or `profile`), `region` when given,
/// the endpoint from `AWS_ENDPOINT_URL` when set, and adaptive retries (client-side rate
/// limiting that slows down after throttling;
/// <https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html>).
pub(crate) async fn sdk_config(profile: Option<&str>, region: Option<&str>) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).retry_config(RetryConfig::adaptive());
    if let Some(p) = profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = region {
        loader = loader.region(Region::new(r.to_owned()));
    }
    loader.load().await
}

/// Request counts of a live command (reads are `Get*`/`List*` operations).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApiCalls {
    /// Read requests.
    pub reads: usize,
    /// All other requests (writes, `Publish`, `Invoke`).
    pub writes: usize,
    /// Requests per operation.
    pub by_operation: BTreeMap<&'static str, usize>,
}

impl ApiCalls {
    fn of(aws: &Aws) -> Self {
        ApiCalls {
            reads: aws.calls().reads(),
            writes: aws.calls().writes(),
            by_operation: aws.calls().by_operation(),
        }
    }
}

/// A findings report with the request counts, as `scan` and `evaluate --dry-run` print it.
#[derive(Debug, Serialize)]
struct LiveReport<'a> {
    #[serde(flatten)]
    report: &'a Report,
    api_calls: ApiCalls,
}

// ---- evaluate --event --dry-run ---------------------------------------------------------------

/// The dry run's JSON report.
#[derive(Debug, Serialize)]
struct DryRun<'a> {
    schema: &'static str,
    generated_at: &'a str,
    trigger: &'a Trigger,
    gate: &'a Gate,
    findings: Option<&'a Report>,
    tag_update: Option<&'a Action>,
    api_calls: ApiCalls,
}

async fn dry_run(
    args: EvaluateArgs,
    cx: &Context,
    out: &Out,
    state_table: Option<&str>,
) -> Result<Done, CliError> {
    if !args.dry_run {
        return Err(CliError::EventNeedsDryRun);
    }
    let path = args.event.clone().unwrap_or_else(|| "-".to_owned());
    let config = settings(&cx.env, &args.rules, state_table, Mode::Tag)?;
    let event: Value = input::read_json(&path)?;
    let trigger = trigger::parse(&event)?;
    let gate = gate::decide(&trigger, &config);
    let region = args
        .region
        .clone()
        .unwrap_or_else(|| trigger.region.clone());
    let sdk = sdk_config(args.aws.profile.as_deref(), Some(&region)).await;
    let aws = Aws::new(&sdk);
    let aws = match TableSetting::of(&config) {
        Some(t) => table::with_table(aws, args.aws.profile.as_deref(), &t).await,
        None => aws,
    };

    let mut report = None;
    let mut tag_update = None;
    if let (Gate::Go, Some(arn)) = (&gate, trigger.function_arn()) {
        let reads = Reads::for_rules(&RuleConfig::from(&config));
        let (mut evaluation, snapshot) = match aws.fetch_snapshot_of(&arn, reads).await {
            Ok(Fetched::Found(s)) => (sweep::evaluate_read_only(&s, &config, cx.now), Some(s)),
            Ok(Fetched::Gone) => (gone(&arn), None),
            Err(e) if e.kind == FailureKind::AccessDenied => {
                let s = remediate::unreadable(&arn, &e);
                (sweep::evaluate_read_only(&s, &config, cx.now), Some(s))
            }
            Err(e) => return Err(e.into()),
        };
        // Only an exemption recorded in the state table exempts (never the tag alone), as in
        // the function: nothing else is evaluated, and only the status tag shows it.
        if snapshot.is_some() {
            if let Some(e) = remediate::recorded_exemption(&aws, &arn, cx.now).await? {
                evaluation = sweep::Evaluation {
                    resolution: Resolution::Exempt,
                    exempt_reason: Some(e.reason),
                    ..gone(&arn)
                };
            }
        }
        match (&snapshot, evaluation.resolution == Resolution::Exempt) {
            (Some(s), false) => {
                let plan = plan::plan(evaluation.findings.clone(), s, &config);
                tag_update = plan.tag_update(s, &Outcome::default(), &config);
            }
            (Some(s), true) if config.mode != Mode::Report => {
                tag_update = plan::exempt_tag_update(s);
            }
            _ => {}
        }
        report = Some(Report::new(
            "evaluate --dry-run",
            out.now.clone(),
            config.mode,
            false,
            vec![(
                None,
                AccountResult::Swept(sweep::SweepReport {
                    evaluations: vec![evaluation],
                    functions: 1,
                    ..sweep::SweepReport::default()
                }),
            )],
        ));
    }
    let api_calls = ApiCalls::of(&aws);
    let output = match out.format {
        Format::Json => out.json(&DryRun {
            schema: "lambda-warden.dry-run/1",
            generated_at: &out.now,
            trigger: &trigger,
            gate: &gate,
            findings: report.as_ref(),
            tag_update: tag_update.as_ref(),
            api_calls: api_calls.clone(),
        })?,
        Format::Asff => out.json(&report.as_ref().map(asff::findings).unwrap_or_default())?,
        Format::Table => {
            let mut text = format!(
                "Event:    {} {} in account {} {}\nFunction: {}\nGate:     {}\n",
                trigger.event_name.as_str(),
                trigger.event_id,
                trigger.account,
                trigger.region,
                trigger
                    .function_arn()
                    .map_or_else(|| "-".to_owned(), |a| a.to_string()),
                match &gate {
                    Gate::Go => "go".to_owned(),
                    Gate::Skip(reason) => format!("skip ({}): {reason}", reason.code()),
                }
            );
            if let Some(r) = &report {
                let t = r.targets.first();
                text.push_str(&format!(
                    "Outcome:  {}\n\n",
                    t.map_or("-".to_owned(), |t| format!("{:?}", t.resolution))
                ));
                text.push_str(&render::findings_table(r, out.color));
                let planned: Vec<&Action> =
                    r.targets.iter().flat_map(|t| t.planned.iter()).collect();
                text.push_str(&format!("\nPlan in {:?} mode:\n", config.mode));
                if planned.is_empty() && tag_update.is_none() {
                    text.push_str("  nothing to do\n");
                }
                for (i, a) in planned.iter().enumerate() {
                    text.push_str(&format!("  {}. {}\n", i + 1, render::action_line(a)));
                }
                if let Some(t) = &tag_update {
                    text.push_str(&format!("  then {}\n", render::action_line(t)));
                }
            }
            text.push_str(&format!(
                "\nDry run: {} read(s), {} write(s); nothing was changed.\n",
                api_calls.reads, api_calls.writes
            ));
            text
        }
    };
    let exit = match &report {
        Some(r) => out.exit_for(r),
        None => Exit::Ok,
    };
    Ok(Done { output, exit })
}

fn gone(arn: &FunctionArn) -> sweep::Evaluation {
    sweep::Evaluation {
        arn: arn.clone(),
        resolution: Resolution::Gone,
        exempt_reason: None,
        findings: Vec::new(),
        fixes: Vec::new(),
        open_findings: Vec::new(),
        planned: Vec::new(),
        actions: Vec::new(),
    }
}

// ---- scan -------------------------------------------------------------------------------------

/// The progress bar: one tick per function, drawn on standard error.
struct Bar(ProgressBar);

impl Progress for Bar {
    fn listed(&self, region: &str, functions: usize) {
        self.0
            .inc_length(u64::try_from(functions).unwrap_or(u64::MAX));
        self.0.set_message(region.to_owned());
    }

    fn finished(
        &self,
        _function: &FunctionArn,
        _evaluations: &[Evaluation],
        _failures: &[Failure],
    ) {
        self.0.inc(1);
    }
}

async fn scan(
    args: ScanArgs,
    cx: &Context,
    out: &Out,
    state_table: Option<&str>,
) -> Result<Done, CliError> {
    if args.role_name.is_some() && args.accounts.is_none() && !args.organization {
        return Err(CliError::RoleNeedsAccounts);
    }
    let default_mode = if args.fix { Mode::Enforce } else { Mode::Tag };
    let mut config = settings(&cx.env, &args.rules, state_table, default_mode)?;
    if let Some(a) = args.aliases {
        config.sweep_aliases = match a {
            AliasesArg::Versioned => SweepAliases::Versioned,
            AliasesArg::All => SweepAliases::All,
        };
    }
    if let Some(t) = args.tags {
        config.sweep_tags = match t {
            TagsArg::Bulk => SweepTags::Bulk,
            TagsArg::PerFunction => SweepTags::PerFunction,
        };
    }
    let accounts_file = match &args.accounts {
        Some(path) => {
            let path = path.to_string_lossy().into_owned();
            Some(input::accounts(&path, &input::read_text(&path)?)?)
        }
        None => None,
    };
    let sdk = sdk_config(
        args.aws.profile.as_deref(),
        args.regions.first().map(String::as_str),
    )
    .await;
    let regions: Vec<String> = if !args.regions.is_empty() {
        args.regions.clone()
    } else if !config.regions.is_empty() {
        config.regions.clone()
    } else {
        sdk.region()
            .map(|r| vec![r.to_string()])
            .unwrap_or_default()
    };
    let Some(first_region) = regions.first().cloned() else {
        return Err(CliError::NoRegion);
    };
    let base = Aws::new(&sdk).in_region(&first_region);
    // The state table stays the deployment's in every Region and account scanned.
    let base = match TableSetting::of(&config) {
        Some(t) => table::with_table(base, args.aws.profile.as_deref(), &t).await,
        None => base,
    };

    let bar = (cx.stderr_terminal && !args.no_progress).then(|| {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if let Ok(style) =
            ProgressStyle::with_template("{spinner} {pos}/{len} functions [{elapsed}] {msg}")
        {
            bar.set_style(style);
        }
        Bar(bar)
    });
    let progress: &dyn Progress = match &bar {
        Some(b) => b,
        None => &Silent,
    };
    let run_id = format!("lambda-warden-scan-{}", cx.now);
    let options = SweepOptions {
        config: &config,
        apply: if args.fix {
            Apply::Remediate
        } else {
            Apply::ReadOnly
        },
        concurrency: usize::from(args.concurrency),
        cause: Cause::new(&run_id, "Scan"),
        now: cx.now,
    };

    let sweep_in = |aws: Aws| {
        let regional: Vec<Aws> = regions.iter().map(|r| aws.in_region(r)).collect();
        let options = &options;
        async move { sweep::sweep(&regional, options, None, &Unlimited, progress).await }
    };
    let results = match (&args.role_name, accounts_file) {
        (Some(role_name), file) => {
            let accounts = match file {
                Some(list) => list,
                None => base.organization_accounts().await?,
            };
            let partition = partition_of_region(&first_region);
            let assume = |account: AccountId| {
                let role_arn = member_role_arn(partition, &account, role_name);
                let base = &base;
                let external_id = args.external_id.as_deref();
                async move {
                    base.assume_role(&role_arn, external_id, "lambda-warden-scan")
                        .await
                }
            };
            each_account(accounts, assume, sweep_in).await
        }
        (None, _) => vec![(None, AccountResult::Swept(sweep_in(base.clone()).await))],
    };
    if let Some(b) = &bar {
        b.0.finish_and_clear();
    }
    let report = Report::new("scan", out.now.clone(), config.mode, args.fix, results);
    let output = match out.format {
        Format::Json => out.json(&LiveReport {
            report: &report,
            api_calls: ApiCalls::of(&base),
        })?,
        Format::Table | Format::Asff => out.findings(&report, "")?,
    };
    Ok(Done {
        output,
        exit: out.exit_for(&report),
    })
}

/// Sweeps each account in turn: `assume` gets access to it, `sweep_account` sweeps it. An
/// account `assume` fails for is reported as a failure (operation `AssumeRole`) and the
/// others go on.
pub async fn each_account<T, A, AF, S, SF>(
    accounts: Vec<AccountId>,
    assume: A,
    sweep_account: S,
) -> Vec<(Option<AccountId>, AccountResult)>
where
    A: Fn(AccountId) -> AF,
    AF: Future<Output = Result<T, AssumeRoleError>>,
    S: Fn(T) -> SF,
    SF: Future<Output = sweep::SweepReport>,
{
    let mut results = Vec::with_capacity(accounts.len());
    for account in accounts {
        let result = match assume(account.clone()).await {
            Ok(access) => AccountResult::Swept(sweep_account(access).await),
            Err(e) => {
                tracing::warn!(account = %account, error = %e, "account skipped");
                AccountResult::Failed(FailureOut {
                    account: Some(account.to_string()),
                    region: None,
                    function_arn: None,
                    operation: "AssumeRole".to_owned(),
                    kind: e.kind,
                    code: e.code,
                    message: Some(e.reason),
                })
            }
        };
        results.push((Some(account), result));
    }
    results
}

// ---- restore ----------------------------------------------------------------------------------

/// The restore report.
#[derive(Debug, Serialize)]
struct RestoreReport<'a> {
    schema: &'static str,
    function_arn: &'a str,
    event_id: &'a str,
    dry_run: bool,
    planned: &'a [Action],
    results: &'a [ActionResult],
}

async fn restore(
    args: RestoreArgs,
    cx: &Context,
    out: &Out,
    state_table: Option<&str>,
) -> Result<Done, CliError> {
    if out.format == Format::Asff {
        return Err(CliError::FormatNotAvailable {
            command: "restore",
            format: "asff",
        });
    }
    let record = match (&args.id, &args.record) {
        (Some(id), _) => {
            table::stored_record(id, cx, args.aws.profile.as_deref(), state_table).await?
        }
        (None, path) => crate::record::from_file(path.as_deref().unwrap_or("-"))?,
    };
    // Checked against itself first, offline: a record that does not hold together is refused
    // before any AWS call.
    restore_actions(&record)?;
    let region = FunctionArn::parse(&record.function_arn)
        .map(|a| a.region)
        .ok();
    let sdk = sdk_config(args.aws.profile.as_deref(), region.as_deref()).await;
    let aws = Aws::new(&sdk);
    let aws = match table::table_setting(&cx.env, state_table)? {
        Some(t) => table::with_table(aws, args.aws.profile.as_deref(), &t).await,
        None => aws,
    };
    // Then against the live function (the dry run too): nothing is written unless every
    // check passes.
    let actions = aws.restore_plan(&record).await.map_err(|e| match e {
        RestoreFailure::Refused(e) => CliError::Restore(e),
        RestoreFailure::Read(e) => CliError::Aws(e),
    })?;
    let mut results = Vec::new();
    if !args.dry_run && !actions.is_empty() {
        results = aws.execute(&actions).await.results;
    }
    let failed = results
        .iter()
        .any(|r| matches!(r.status, ActionStatus::Failed { .. }));
    let output = match out.format {
        Format::Table => {
            let mut text = format!(
                "Restoring what event {} removed from {}:\n",
                record.event_id, record.function_arn
            );
            if actions.is_empty() {
                text.push_str("  nothing to put back\n");
            }
            for (i, a) in actions.iter().enumerate() {
                let status = results
                    .get(i)
                    .map_or_else(|| "planned".to_owned(), render::status_text);
                text.push_str(&format!(
                    "  {}. {}: {status}\n",
                    i + 1,
                    render::action_line(a)
                ));
            }
            if args.dry_run {
                text.push_str("Dry run: nothing was changed.\n");
            }
            text
        }
        Format::Json | Format::Asff => out.json(&RestoreReport {
            schema: "lambda-warden.restore/1",
            function_arn: &record.function_arn,
            event_id: &record.event_id,
            dry_run: args.dry_run,
            planned: &actions,
            results: &results,
        })?,
    };
    Ok(Done {
        output,
        exit: if failed { Exit::Aws } else { Exit::Ok },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(id: &str) -> AccountId {
        AccountId::parse(id).unwrap()
    }

    #[tokio::test]
    async fn an_account_that_cannot_be_assumed_is_reported_and_the_others_are_swept() {
        let accounts = vec![
            account("111111111111"),
            account("222222222222"),
            account("333333333333"),
        ];
        let results = each_account(
            accounts,
            |a: AccountId| async move {
                if a.as_str() == "222222222222" {
                    Err(AssumeRoleError {
                        role_arn: "arn:aws:iam::222222222222:role/lambda-warden-member".into(),
                        kind: FailureKind::AccessDenied,
                        code: "AccessDenied".into(),
                        reason: "not authorized to perform: sts:AssumeRole".into(),
                    })
                } else {
                    Ok(a)
                }
            },
            |a: AccountId| async move {
                sweep::SweepReport {
                    functions: a.as_str()[..1].parse().unwrap(),
                    ..sweep::SweepReport::default()
                }
            },
        )
        .await;
        assert_eq!(results.len(), 3);
        match &results[0] {
            (Some(a), AccountResult::Swept(r)) => {
                assert_eq!(a.as_str(), "111111111111");
                assert_eq!(r.functions, 1);
            }
            other => panic!("{other:?}"),
        }
        match &results[1] {
            (Some(a), AccountResult::Failed(f)) => {
                assert_eq!(a.as_str(), "222222222222");
                assert_eq!(f.operation, "AssumeRole");
                assert_eq!(f.code, "AccessDenied");
                assert_eq!(f.kind, FailureKind::AccessDenied);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(&results[2], (Some(_), AccountResult::Swept(r)) if r.functions == 3));

        let report = Report::new("scan", "t".into(), Mode::Tag, false, results);
        assert_eq!(report.summary.accounts, 3);
        assert_eq!(report.summary.functions, 4);
        assert_eq!(report.summary.failures, 1);
        let out = Out {
            format: Format::Json,
            color: false,
            fail_on: None,
            now: "t".into(),
        };
        assert_eq!(out.exit_for(&report), Exit::Aws);
    }
}
