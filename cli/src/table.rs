//! The state table from the command line: which table a command uses (`--state-table`, else
//! `WARDEN_STATE_TABLE`), and the commands that read and write it directly: `exempt`,
//! `unexempt`, `exemptions` and `restore --id`'s read of an audit record.
//!
//! The table is the deployment's DynamoDB table (see `warden_aws::store` for its items). It is
//! reached in the Region of its ARN when it is given as one, else in the configured Region
//! (`AWS_REGION`, the profile's): DynamoDB tables are regional
//! (<https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.CoreComponents.html>).

use aws_config::default_provider::region::DefaultRegionChain;
use aws_config::Region;
use serde::Serialize;
use warden_aws::store::StateStore;
use warden_aws::Aws;
use warden_rules::config::Config;
use warden_rules::ids::FunctionArn;
use warden_rules::report::AuditRecord;
use warden_rules::state::{self, AuditStatus, Exemption};

use crate::args::{ExemptArgs, ExemptionsArgs, Format, UnexemptArgs};
use crate::render;
use crate::run::{sdk_config, CliError, Context, Done, Exit, Out};

/// The longest `--reason`, in characters: a tag value's limit, so an exemption recorded from
/// the command line holds no more than one recorded from an approver's `lambda-warden:exempt`
/// tag (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html>).
pub const MAX_REASON_CHARS: usize = 256;

/// The state table a command uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableSetting {
    /// The table's name or ARN.
    pub name: String,
    /// `WARDEN_AUDIT_RETENTION_DAYS`: days audit items written by the command are kept.
    pub retention_days: Option<u32>,
}

impl TableSetting {
    /// The table of `config` (its `WARDEN_STATE_TABLE`, as overridden by `--state-table`).
    pub fn of(config: &Config) -> Option<TableSetting> {
        config.state_table.as_ref().map(|name| TableSetting {
            name: name.clone(),
            retention_days: config.audit_retention_days,
        })
    }
}

/// The table given by `flag` (`--state-table`), else by `WARDEN_STATE_TABLE` in `env`, with
/// `WARDEN_AUDIT_RETENTION_DAYS`; both validated as the functions validate them. `None` when
/// neither names one. Other `WARDEN_*` variables are not read.
///
/// # Errors
/// [`CliError::Setting`] for a table name that is not a DynamoDB table name or ARN, or a
/// retention that is not 1-36500 days.
pub fn table_setting(
    env: &(dyn Fn(&str) -> Option<String> + Send + Sync),
    flag: Option<&str>,
) -> Result<Option<TableSetting>, CliError> {
    let config = Config::from_lookup(|k| match k {
        "WARDEN_STATE_TABLE" => flag.map(str::to_owned).or_else(|| env(k)),
        "WARDEN_AUDIT_RETENTION_DAYS" => env(k),
        _ => None,
    })?;
    Ok(TableSetting::of(&config))
}

/// The Region of a DynamoDB table ARN (`arn:PARTITION:dynamodb:REGION:ACCOUNT:table/NAME`,
/// <https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazondynamodb.html#amazondynamodb-resources-for-iam-policies>);
/// `None` for a bare table name.
pub fn arn_region(table: &str) -> Option<&str> {
    let mut parts = table.splitn(6, ':');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some("arn"), Some(_), Some("dynamodb"), Some(region)) if !region.is_empty() => {
            Some(region)
        }
        _ => None,
    }
}

/// The Region the AWS configuration names (`AWS_REGION`, `AWS_DEFAULT_REGION`, the profile's
/// `region`), if any.
async fn configured_region(profile: Option<&str>) -> Option<Region> {
    let mut chain = DefaultRegionChain::builder();
    if let Some(p) = profile {
        chain = chain.profile_name(p);
    }
    chain.build().region().await
}

/// `aws` with `table` as its state table, reached with `aws`'s credentials in the table's
/// Region: that of its ARN, else the configured one, else `aws`'s own. The Lambda, IAM and
/// SNS clients stay as they are.
pub async fn with_table(aws: Aws, profile: Option<&str>, table: &TableSetting) -> Aws {
    let region = match arn_region(&table.name) {
        Some(r) => Some(Region::new(r.to_owned())),
        None => configured_region(profile).await,
    }
    .or_else(|| aws.region().map(|r| Region::new(r.to_owned())));
    let sdk = aws.sdk_config().to_builder().region(region).build();
    let store = StateStore::new(&sdk, aws.call_log(), &table.name, table.retention_days);
    aws.with_state_store(store)
}

/// An adapter in the table's Region with `table` as its state table, for the commands that
/// work on the table itself; the store is returned beside it.
///
/// # Errors
/// [`CliError::NoTableRegion`] when neither the table's ARN nor the configuration names a
/// Region.
pub async fn table_aws(
    profile: Option<&str>,
    table: &TableSetting,
) -> Result<(Aws, StateStore), CliError> {
    let sdk = sdk_config(profile, arn_region(&table.name)).await;
    if sdk.region().is_none() {
        return Err(CliError::NoTableRegion);
    }
    let aws = Aws::new(&sdk);
    let store = StateStore::new(
        aws.sdk_config(),
        aws.call_log(),
        &table.name,
        table.retention_days,
    );
    Ok((aws.with_state_store(store.clone()), store))
}

/// The table a command that needs one uses.
///
/// # Errors
/// [`CliError::NoStateTable`] naming `command` when neither `--state-table` nor
/// `WARDEN_STATE_TABLE` names a table; the errors of [`table_setting`].
fn required_table(
    cx: &Context,
    flag: Option<&str>,
    command: &'static str,
) -> Result<TableSetting, CliError> {
    table_setting(&cx.env, flag)?.ok_or(CliError::NoStateTable { command })
}

/// The unqualified function ARN an exemption is recorded for.
///
/// # Errors
/// [`CliError::FunctionArn`] when `arn` is not a full Lambda function ARN;
/// [`CliError::QualifiedExemption`] for an alias's or version's ARN (an exemption covers the
/// whole function). `NAME:$LATEST` is the unqualified function.
pub fn exemption_arn(arn: &str) -> Result<FunctionArn, CliError> {
    let parsed = FunctionArn::parse(arn).map_err(|source| CliError::FunctionArn {
        value: arn.to_owned(),
        source,
    })?;
    if parsed.qualifier.is_some() {
        return Err(CliError::QualifiedExemption {
            arn: parsed.to_string(),
            function: parsed.unqualified().to_string(),
        });
    }
    Ok(parsed)
}

/// The exclusive end of an exemption whose last day is `date` (`YYYY-MM-DD`, UTC,
/// [`state::end_of_day`]), in seconds since the Unix epoch.
///
/// # Errors
/// [`CliError::Until`] when `date` is not such a date, or the day has ended at `now`.
pub fn until(date: &str, now: i64) -> Result<i64, CliError> {
    let bad = |reason: &'static str| CliError::Until {
        value: date.to_owned(),
        reason,
    };
    match state::end_of_day(date) {
        None => Err(bad("not a date YYYY-MM-DD")),
        Some(end) if end <= now => Err(bad("that day is in the past")),
        Some(end) => Ok(end),
    }
}

/// `--reason`, trimmed.
///
/// # Errors
/// [`CliError::Reason`] when it is empty, longer than [`MAX_REASON_CHARS`], or holds a control
/// character.
pub fn reason(text: &str) -> Result<String, CliError> {
    let text = text.trim();
    if text.is_empty()
        || text.chars().count() > MAX_REASON_CHARS
        || text.chars().any(char::is_control)
    {
        return Err(CliError::Reason);
    }
    Ok(text.to_owned())
}

fn no_asff(out: &Out, command: &'static str) -> Result<(), CliError> {
    if out.format == Format::Asff {
        return Err(CliError::FormatNotAvailable {
            command,
            format: "asff",
        });
    }
    Ok(())
}

/// The JSON output of `exempt`.
#[derive(Debug, Serialize)]
struct ExemptOut<'a> {
    schema: &'static str,
    table: &'a str,
    exemption: &'a Exemption,
    /// The exemption this one replaced, if any.
    replaced: Option<&'a Exemption>,
}

/// `exempt ARN --reason TEXT [--until YYYY-MM-DD]`: records an [`Exemption`] approved by the
/// caller (`sts:GetCallerIdentity`), source `cli`, not yet alerted (the next evaluation of the
/// function alerts it once).
///
/// # Errors
/// Usage errors (exit 2) before any AWS call; [`CliError::Aws`] when STS or the table fails.
pub(crate) async fn exempt(
    args: ExemptArgs,
    cx: &Context,
    out: &Out,
    table: Option<&str>,
) -> Result<Done, CliError> {
    no_asff(out, "exempt")?;
    let arn = exemption_arn(&args.arn)?;
    let reason = reason(&args.reason)?;
    let until = args
        .until
        .as_deref()
        .map(|d| until(d, cx.now))
        .transpose()?;
    let table = required_table(cx, table, "exempt")?;
    let (aws, store) = table_aws(args.aws.profile.as_deref(), &table).await?;
    let approved_by = aws.caller_arn().await?;
    let replaced = store.load(&arn.to_string()).await?.exemption;
    let exemption = Exemption {
        resource_arn: arn.to_string(),
        reason,
        approved_by,
        approved_at: cx.now,
        until,
        source: "cli".to_owned(),
        alerted: false,
    };
    store.put_exemption(&exemption).await?;
    tracing::info!(function_arn = %arn, approved_by = %exemption.approved_by, "exemption recorded");
    let output = match out.format {
        Format::Table => {
            let mut text = format!(
                "Exemption recorded in {} for {}\n  reason:      {}\n  approved by: {}\n  last day:    {}\n",
                table.name,
                exemption.resource_arn,
                exemption.reason,
                exemption.approved_by,
                exemption.until.map_or_else(
                    || "none (until lambda-warden unexempt)".to_owned(),
                    render::last_day
                ),
            );
            if let Some(r) = &replaced {
                text.push_str(&format!(
                    "  replaces the exemption approved by {} at {}\n",
                    r.approved_by,
                    crate::time::rfc3339(r.approved_at)
                ));
            }
            text.push_str(
                "The function, its aliases and versions are left alone from the next evaluation, which alerts the exemption once.\n",
            );
            text
        }
        Format::Json | Format::Asff => out.json(&ExemptOut {
            schema: "lambda-warden.exempt/1",
            table: &table.name,
            exemption: &exemption,
            replaced: replaced.as_ref(),
        })?,
    };
    Ok(Done {
        output,
        exit: Exit::Ok,
    })
}

/// The JSON output of `unexempt`.
#[derive(Debug, Serialize)]
struct UnexemptOut<'a> {
    schema: &'static str,
    table: &'a str,
    resource_arn: &'a str,
    deleted: bool,
}

/// `unexempt ARN`: deletes the function's exemption. Exit 0 when one was deleted,
/// [`Exit::Findings`] (1) when none was recorded.
///
/// # Errors
/// Usage errors (exit 2) before any AWS call; [`CliError::Aws`] when the table fails.
pub(crate) async fn unexempt(
    args: UnexemptArgs,
    cx: &Context,
    out: &Out,
    table: Option<&str>,
) -> Result<Done, CliError> {
    no_asff(out, "unexempt")?;
    let arn = exemption_arn(&args.arn)?;
    let table = required_table(cx, table, "unexempt")?;
    let (_, store) = table_aws(args.aws.profile.as_deref(), &table).await?;
    let resource_arn = arn.to_string();
    let deleted = store.delete_exemption(&resource_arn).await?;
    if deleted {
        tracing::info!(function_arn = %arn, "exemption deleted");
    }
    let output = match out.format {
        Format::Table if deleted => format!(
            "Exemption of {resource_arn} deleted from {}: the next evaluation judges the function again (an exempt tag left on it is reported, LW025).\n",
            table.name
        ),
        Format::Table => format!(
            "No exemption was recorded for {resource_arn} in {}.\n",
            table.name
        ),
        Format::Json | Format::Asff => out.json(&UnexemptOut {
            schema: "lambda-warden.unexempt/1",
            table: &table.name,
            resource_arn: &resource_arn,
            deleted,
        })?,
    };
    Ok(Done {
        output,
        exit: if deleted { Exit::Ok } else { Exit::Findings },
    })
}

/// One exemption in the JSON output of `exemptions`.
#[derive(Debug, Serialize)]
struct ListedExemption<'a> {
    #[serde(flatten)]
    exemption: &'a Exemption,
    /// Whether it exempts now (its last day has not ended).
    in_force: bool,
}

/// The JSON output of `exemptions`.
#[derive(Debug, Serialize)]
struct ExemptionsOut<'a> {
    schema: &'static str,
    generated_at: &'a str,
    table: &'a str,
    exemptions: Vec<ListedExemption<'a>>,
}

/// `exemptions`: every exemption recorded in the table, sorted by function ARN, those that
/// ended included (marked).
///
/// # Errors
/// Usage errors (exit 2) before any AWS call; [`CliError::Aws`] when the table fails.
pub(crate) async fn exemptions(
    args: ExemptionsArgs,
    cx: &Context,
    out: &Out,
    table: Option<&str>,
) -> Result<Done, CliError> {
    no_asff(out, "exemptions")?;
    let table = required_table(cx, table, "exemptions")?;
    let (_, store) = table_aws(args.aws.profile.as_deref(), &table).await?;
    let listed = store.exemptions().await?;
    let output = match out.format {
        Format::Table => render::exemptions_table(&listed, &table.name, cx.now, out.color),
        Format::Json | Format::Asff => out.json(&ExemptionsOut {
            schema: "lambda-warden.exemptions/1",
            generated_at: &out.now,
            table: &table.name,
            exemptions: listed
                .iter()
                .map(|e| ListedExemption {
                    exemption: e,
                    in_force: e.in_force(cx.now),
                })
                .collect(),
        })?,
    };
    Ok(Done {
        output,
        exit: Exit::Ok,
    })
}

/// The audit record `id` read from the state table, for `restore --id`.
///
/// # Errors
/// [`CliError::AuditId`] when `id` does not have the shape of a record id
/// ([`state::is_audit_id`]), checked before anything else; [`CliError::NoStateTable`]
/// without a table; [`CliError::AuditNotFound`] when the table holds no such record;
/// [`CliError::Aws`] when it cannot be read.
pub async fn stored_record(
    id: &str,
    cx: &Context,
    profile: Option<&str>,
    table: Option<&str>,
) -> Result<AuditRecord, CliError> {
    if !state::is_audit_id(id) {
        return Err(CliError::AuditId { id: id.to_owned() });
    }
    let table = required_table(cx, table, "restore --id")?;
    let (_, store) = table_aws(profile, &table).await?;
    match store.audit(id).await? {
        Some(audit) => {
            if audit.status == AuditStatus::InProgress {
                tracing::warn!(
                    audit_id = %id,
                    "the record is in_progress: the evaluation that stored it has not finished or was interrupted (its next evaluation reconciles it)"
                );
            }
            Ok(audit.record)
        }
        None => Err(CliError::AuditNotFound {
            id: id.to_owned(),
            table: table.name,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_region_of_a_table_arn_and_none_for_a_name() {
        assert_eq!(
            arn_region("arn:aws:dynamodb:eu-west-1:111122223333:table/lambda-warden-state"),
            Some("eu-west-1")
        );
        assert_eq!(arn_region("lambda-warden-state"), None);
        assert_eq!(arn_region("arn:aws:s3:::bucket"), None);
        assert_eq!(arn_region("arn:aws:dynamodb::111122223333:table/t"), None);
    }

    #[test]
    fn until_is_the_end_of_a_day_not_yet_ended() {
        // 2026-06-01T12:00:00Z.
        let now = 1_780_315_200;
        assert_eq!(until("2026-06-01", now).unwrap(), 1_780_358_400);
        assert!(matches!(
            until("2026-05-31", now),
            Err(CliError::Until { .. })
        ));
        assert!(matches!(
            until("2026-02-30", now),
            Err(CliError::Until { .. })
        ));
        assert!(matches!(
            until("tomorrow", now),
            Err(CliError::Until { .. })
        ));
    }

    #[test]
    fn exemptions_are_for_whole_functions() {
        let f = "arn:aws:lambda:us-east-1:123456789012:function:orders-api";
        assert_eq!(exemption_arn(f).unwrap().to_string(), f);
        assert_eq!(
            exemption_arn(&format!("{f}:$LATEST")).unwrap().to_string(),
            f
        );
        assert!(matches!(
            exemption_arn(&format!("{f}:live")),
            Err(CliError::QualifiedExemption { .. })
        ));
        assert!(matches!(
            exemption_arn("orders-api"),
            Err(CliError::FunctionArn { .. })
        ));
    }

    #[test]
    fn reasons_are_short_printable_text() {
        assert_eq!(reason("  vendor-managed ").unwrap(), "vendor-managed");
        assert!(reason(" ").is_err());
        assert!(reason("a\u{1b}[31m").is_err());
        assert!(reason(&"x".repeat(MAX_REASON_CHARS)).is_ok());
        assert!(reason(&"x".repeat(MAX_REASON_CHARS + 1)).is_err());
    }

    #[test]
    fn the_flag_wins_over_the_environment_and_is_validated() {
        let env = |k: &str| match k {
            "WARDEN_STATE_TABLE" => Some("from-env".to_owned()),
            "WARDEN_AUDIT_RETENTION_DAYS" => Some("30".to_owned()),
            "WARDEN_MODE" => Some("not-a-mode".to_owned()),
            _ => None,
        };
        let t = table_setting(&env, Some("from-flag")).unwrap().unwrap();
        assert_eq!((t.name.as_str(), t.retention_days), ("from-flag", Some(30)));
        let t = table_setting(&env, None).unwrap().unwrap();
        assert_eq!(t.name, "from-env");
        assert!(matches!(
            table_setting(&env, Some("a b")),
            Err(CliError::Setting(_))
        ));
        assert_eq!(table_setting(&|_: &str| None, None).unwrap(), None);
    }
}
