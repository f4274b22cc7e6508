//! The command line, as clap parses it.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use warden_rules::findings::Severity;

/// Checks Lambda resource-based policies, evaluates functions and scans accounts with the
/// rules of the lambda-warden functions.
///
/// Settings come from the same `WARDEN_*` environment variables the functions read
/// (`WARDEN_MODE`, `WARDEN_TRUSTED_ACCOUNTS`, `WARDEN_ORGANIZATION_ID`,
/// `WARDEN_DISABLED_RULES`, ...); flags override them.
///
/// Exit codes: 0 ok; 1 a finding at or above --fail-on is open (check-policy: a statement is
/// public, cross-account or a confused deputy; unexempt: no exemption was recorded); 2 usage
/// or input error; 3 an AWS call failed; 4 restore refused the record (nothing was written).
#[derive(Debug, Parser)]
#[command(name = "lambda-warden", version)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Output format: `table` (the default on a terminal), `json` (the default otherwise) or
    /// `asff` (AWS Security Finding Format, for Security Hub's BatchImportFindings).
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Exit with code 1 when an open finding has this severity or a higher one
    /// (informational, low, medium, high, critical).
    #[arg(long, global = true, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,
    /// Colour in table output: `auto` (on a terminal, unless NO_COLOR is set), `always`, `never`.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Log more to standard error (-v: info, -vv: debug); RUST_LOG also works.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// The deployment's state table (DynamoDB table name or ARN; default: the environment
    /// variable WARDEN_STATE_TABLE), where exemptions and audit records are kept. exempt,
    /// unexempt, exemptions and restore --id need it; scan and evaluate --event honour the
    /// exemptions it records (without it no exemption is honoured), and scan --fix records
    /// state and audit records there as the functions do. It is reached in the Region of its
    /// ARN, else the configured Region (AWS_REGION, the profile's).
    #[arg(long, global = true, value_name = "TABLE")]
    pub state_table: Option<String>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Judge every statement of a resource-based policy (offline).
    ///
    /// FILE (or - for standard input) holds what `aws lambda get-policy` prints
    /// ({"Policy": "<document as a string>", "RevisionId": ...}) or the policy document itself.
    /// One verdict per statement: public, cross_account, confused_deputy, restricted or denies.
    /// Exits 1 when a statement is public, cross-account or a confused deputy.
    CheckPolicy(CheckPolicyArgs),
    /// Evaluate one function's state (offline), or an event against an account (--dry-run).
    ///
    /// FILE (or -) holds the output of `aws lambda get-function` (its Configuration, Tags and
    /// Concurrency: runtime, variables, KMS key, tracing, dead-letter queue, VPC, layers, role),
    /// with beside "Configuration" in the same object: "Policy" (the output of
    /// `aws lambda get-policy`), "FunctionUrlConfig" (`aws lambda get-function-url-config`),
    /// "EventInvokeConfig" (`aws lambda get-function-event-invoke-config`),
    /// "CodeSigningConfigArn" (a string), and "ExecutionRole" ({"Role": `aws iam get-role`'s
    /// Role, "AttachedPolicies": [{"PolicyName", "PolicyArn", "Document"}], "RolePolicies":
    /// [`aws iam get-role-policy` outputs]}). null means the function has none; a part left
    /// out is reported as unverified (LW006).
    ///
    /// With --event FILE --dry-run, the EventBridge event is parsed and gated as the function
    /// would, the function it names is read from the account, and the findings and the plan are
    /// printed. Nothing is written.
    Evaluate(EvaluateArgs),
    /// Evaluate every function, alias and version of one or more Regions and accounts (live).
    ///
    /// Without --fix nothing is written. With --fix the same plan the functions would run is
    /// applied (respecting the mode, the opt-in tag lambda-warden:auto-fix=true and the
    /// exemptions recorded in the state table), status tags are written and alerts sent as the
    /// functions do. An exempt tag without a recorded exemption exempts nothing (LW025).
    Scan(ScanArgs),
    /// Put back the statements an audit record says lambda-warden removed (live).
    ///
    /// RECORD holds the alert message, the SNS notification that carried it, or the function's
    /// decision log line. Each removed statement is added again with AddPermission; a statement
    /// that was replaced by a tighter one is removed first.
    ///
    /// With --id RECORD_ID the record is read from the state table instead (its id is the
    /// record_id of the functions' decision log lines); the same checks apply.
    ///
    /// The record is checked first, against itself (every statement's Resource names the
    /// record's function, a replacement keeps its original's Sid and only adds a pin, no Sid
    /// twice) and against the live function (it exists, the replacement to remove is live
    /// exactly as lambda-warden added it, no other statement holds a Sid to re-add); a record
    /// that fails a check is refused with exit code 4 and nothing is written. --dry-run runs
    /// the same checks and reads.
    Restore(RestoreArgs),
    /// Record an exemption for a function in the state table (live).
    ///
    /// The function (its aliases and versions too) is then left alone by lambda-warden: not
    /// evaluated, fixed or alerted, except for one alert saying the exemption is honoured.
    /// The approver recorded is the caller (STS GetCallerIdentity). Replaces the function's
    /// earlier exemption. Needs the state table.
    Exempt(ExemptArgs),
    /// Delete a function's exemption from the state table (live).
    ///
    /// Exits 0 when an exemption was deleted, 1 when none was recorded. Needs the state table.
    Unexempt(UnexemptArgs),
    /// List the exemptions recorded in the state table (live).
    ///
    /// Each with its reason, approver, approval time, last day and source (a CloudTrail event
    /// id, or cli). Needs the state table.
    Exemptions(ExemptionsArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One row per finding (per statement for check-policy), severity-coloured on a terminal.
    Table,
    /// The documented JSON report (`schema` names its version).
    Json,
    /// A JSON array of AWS Security Finding Format findings.
    Asff,
}

/// When to colour table output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// `report`, `tag` or `enforce`, as `WARDEN_MODE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ModeArg {
    /// Log and alert only.
    Report,
    /// Also write status tags.
    Tag,
    /// Also apply fixes.
    Enforce,
}

/// Which functions a scan lists the aliases of, as `WARDEN_SWEEP_ALIASES`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AliasesArg {
    /// Functions with a published version (an alias of `$LATEST` on a function never
    /// published is left to the event path).
    Versioned,
    /// Every function (one ListAliases each).
    All,
}

/// Where a scan reads tags from, as `WARDEN_SWEEP_TAGS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TagsArg {
    /// tag:GetResources, 100 functions per call (ListTags per function if refused).
    Bulk,
    /// ListTags per function.
    PerFunction,
}

/// Who counts as trusted, and which rules run (override `WARDEN_TRUSTED_ACCOUNTS`,
/// `WARDEN_ORGANIZATION_ID`, `WARDEN_DISABLED_RULES`).
#[derive(Debug, Clone, Default, Args)]
pub struct TrustArgs {
    /// An account (12 digits) whose principals are not cross-account findings; repeatable.
    #[arg(long = "trusted-account", value_name = "ACCOUNT_ID")]
    pub trusted_accounts: Vec<String>,
    /// Your AWS Organizations id (o-...): its members are not cross-account findings.
    #[arg(long, value_name = "ORG_ID")]
    pub organization_id: Option<String>,
}

/// `check-policy`.
#[derive(Debug, Args)]
pub struct CheckPolicyArgs {
    /// The policy file, or `-` for standard input.
    pub file: String,
    /// The account that owns the function (12 digits); by default the account of the
    /// statements' Resource ARNs.
    #[arg(long, value_name = "ACCOUNT_ID")]
    pub account: Option<String>,
    /// Trusted accounts and organization.
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// Rules and mode, shared by `evaluate` and `scan`.
#[derive(Debug, Clone, Default, Args)]
pub struct RuleArgs {
    /// Trusted accounts and organization.
    #[command(flatten)]
    pub trust: TrustArgs,
    /// A rule id (LW005) or slug that does not run; repeatable.
    #[arg(long = "disable-rule", value_name = "RULE")]
    pub disabled_rules: Vec<String>,
    /// Run only these rules (ids or slugs, comma-separated; LW006 always runs), e.g.
    /// `--rules LW001,LW002,LW003`: parts of a function no listed rule reads are not read
    /// (overrides WARDEN_RULES; not with --disable-rule).
    #[arg(
        long = "rules",
        value_name = "RULES",
        value_delimiter = ',',
        conflicts_with = "disabled_rules"
    )]
    pub only_rules: Vec<String>,
    /// The mode the plan is made for (default: WARDEN_MODE, else `tag`; `scan --fix`: else
    /// `enforce`).
    #[arg(long, value_enum)]
    pub mode: Option<ModeArg>,
}

/// How to reach AWS.
#[derive(Debug, Clone, Default, Args)]
pub struct AwsArgs {
    /// A named profile of the AWS configuration files (else AWS_PROFILE, else the default
    /// credential chain).
    #[arg(long)]
    pub profile: Option<String>,
}

/// `evaluate`.
#[derive(Debug, Args)]
pub struct EvaluateArgs {
    /// The function snapshot file, or `-` for standard input.
    #[arg(required_unless_present = "event", conflicts_with = "event")]
    pub file: Option<String>,
    /// An EventBridge event (as `events/*.json`) to evaluate against the account; needs
    /// --dry-run.
    #[arg(long, value_name = "FILE")]
    pub event: Option<String>,
    /// Read the account, change nothing.
    #[arg(long, requires = "event")]
    pub dry_run: bool,
    /// The Region to read (default: the event's Region).
    #[arg(long)]
    pub region: Option<String>,
    /// Rules and mode.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// A Region to scan; repeatable (default: WARDEN_REGIONS, else the configured Region).
    #[arg(long = "region", value_name = "REGION")]
    pub regions: Vec<String>,
    /// Functions evaluated at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Apply the plan (fixes the mode allows, status tags, alerts); without it nothing is
    /// written.
    #[arg(long)]
    pub fix: bool,
    /// Assume this role (a name, e.g. lambda-warden-member) in each account of --accounts or
    /// --organization.
    #[arg(long, value_name = "NAME")]
    pub role_name: Option<String>,
    /// A file listing account ids, one per line (`#` starts a comment).
    #[arg(
        long,
        value_name = "FILE",
        requires = "role_name",
        conflicts_with = "organization"
    )]
    pub accounts: Option<PathBuf>,
    /// Every ACTIVE account of the organization (AWS Organizations ListAccounts; run it with
    /// the management account's or a delegated administrator's credentials).
    #[arg(long, requires = "role_name")]
    pub organization: bool,
    /// The ExternalId the member role requires.
    #[arg(long, value_name = "ID", requires = "role_name")]
    pub external_id: Option<String>,
    /// Never draw the progress bar (it is drawn only when standard error is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Which functions' aliases are listed (default: WARDEN_SWEEP_ALIASES, else versioned).
    #[arg(long, value_enum)]
    pub aliases: Option<AliasesArg>,
    /// Where tags are read from (default: WARDEN_SWEEP_TAGS, else bulk).
    #[arg(long, value_enum)]
    pub tags: Option<TagsArg>,
    /// Rules and mode.
    #[command(flatten)]
    pub rules: RuleArgs,
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `restore`.
#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The audit record file, or `-` for standard input.
    #[arg(required_unless_present = "id", conflicts_with = "id")]
    pub record: Option<String>,
    /// Read the audit record from the state table instead: its id, the record_id of the
    /// functions' decision log lines (e.g. 1764000000000-0123456789abcdef).
    #[arg(long, value_name = "RECORD_ID")]
    pub id: Option<String>,
    /// Check the record and print the actions, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `exempt`.
#[derive(Debug, Args)]
pub struct ExemptArgs {
    /// The function's unqualified ARN (arn:aws:lambda:REGION:ACCOUNT:function:NAME).
    pub arn: String,
    /// Why (at most 256 characters, as a tag value).
    #[arg(long)]
    pub reason: String,
    /// The last day the exemption holds (YYYY-MM-DD, UTC; today or later); default: until
    /// `unexempt`.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub until: Option<String>,
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `unexempt`.
#[derive(Debug, Args)]
pub struct UnexemptArgs {
    /// The function's unqualified ARN.
    pub arn: String,
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

/// `exemptions`.
#[derive(Debug, Args)]
pub struct ExemptionsArgs {
    /// AWS access.
    #[command(flatten)]
    pub aws: AwsArgs,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    Severity::parse(s).ok_or_else(|| {
        format!("{s:?} is not a severity: informational, low, medium, high or critical")
    })
}
