//! Table output: aligned columns, one row per finding (per statement for `check-policy`), the
//! severity coloured when colour is on.

use anstyle::{AnsiColor, Effects, Style};
use warden_rules::findings::Severity;
use warden_rules::outcome::{ActionResult, ActionStatus};
use warden_rules::plan::{Action, FixDecision, Withheld};
use warden_rules::state::Exemption;

use crate::check::PolicyReport;
use crate::report::{FindingOut, Report, Target};

/// Longest message shown in a table cell, in characters (the JSON output has it whole).
pub const MAX_MESSAGE: usize = 120;

/// The style of a severity: critical bold red, high red, medium yellow, low cyan,
/// informational dimmed.
pub fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => AnsiColor::Red.on_default().effects(Effects::BOLD),
        Severity::High => AnsiColor::Red.on_default(),
        Severity::Medium => AnsiColor::Yellow.on_default(),
        Severity::Low => AnsiColor::Cyan.on_default(),
        Severity::Informational => Style::new().effects(Effects::DIMMED),
    }
}

/// One cell: its text and, optionally, its style (applied after padding is computed, so
/// escape codes never disturb alignment).
struct Cell {
    text: String,
    style: Option<Style>,
}

fn cell(text: impl Into<String>) -> Cell {
    Cell {
        text: text.into(),
        style: None,
    }
}

fn clip(s: &str, max: usize) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let mut out: String = one_line.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// Renders rows under a header; the last column is not padded.
fn table(header: &[&str], rows: Vec<Vec<Cell>>, color: bool) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in &rows {
        for (i, c) in row.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.text.chars().count());
            }
        }
    }
    let mut out = String::new();
    let line = |cells: Vec<Cell>, out: &mut String| {
        let last = cells.len().saturating_sub(1);
        for (i, c) in cells.into_iter().enumerate() {
            let pad = widths.get(i).copied().unwrap_or(0)
                - c.text
                    .chars()
                    .count()
                    .min(widths.get(i).copied().unwrap_or(0));
            match (color, c.style) {
                (true, Some(style)) => out.push_str(&format!("{style}{}{style:#}", c.text)),
                _ => out.push_str(&c.text),
            }
            if i < last {
                out.push_str(&" ".repeat(pad + 2));
            }
        }
        out.push('\n');
    };
    let head_style = Style::new().effects(Effects::BOLD);
    line(
        header
            .iter()
            .map(|h| Cell {
                text: (*h).to_owned(),
                style: Some(head_style),
            })
            .collect(),
        &mut out,
    );
    for row in rows {
        line(row, &mut out);
    }
    out
}

fn withheld(reason: Withheld) -> &'static str {
    match reason {
        Withheld::ManualOnly => "manual",
        Withheld::ModeDoesNotFix => "not in this mode",
        Withheld::NotOptedIn => "needs opt-in tag",
        Withheld::OutsideAutoFixScope => "outside auto-fix scope",
        Withheld::StatementAlreadyPlanned => "with another fix",
    }
}

fn fix_text(f: &FindingOut, applied: bool) -> &'static str {
    match (&f.fix, applied, f.open) {
        (Some(FixDecision::Withhold { reason }), _, _) => withheld(*reason),
        (Some(FixDecision::Apply { .. }), false, _) => "planned",
        (Some(FixDecision::Apply { .. }), true, false) => "fixed",
        (Some(FixDecision::Apply { .. }), true, true) => "fix failed",
        (None, _, false) => "fixed",
        (None, _, true) => "-",
    }
}

fn function_label(t: &Target) -> String {
    match &t.qualifier {
        Some(q) => format!("{}:{q}", t.function),
        None => t.function.clone(),
    }
}

/// The findings table, then a summary and the failures.
pub fn findings_table(report: &Report, color: bool) -> String {
    let several_accounts = {
        let mut accounts: Vec<&str> = report.targets.iter().map(|t| t.account.as_str()).collect();
        accounts.sort_unstable();
        accounts.dedup();
        accounts.len() > 1 || report.summary.accounts > 1
    };
    let mut header = vec!["SEVERITY", "RULE"];
    if several_accounts {
        header.push("ACCOUNT");
    }
    header.extend(["REGION", "FUNCTION", "SID", "FIX", "MESSAGE"]);
    let mut rows = Vec::new();
    for t in &report.targets {
        for f in &t.findings {
            let mut row = vec![
                Cell {
                    text: f.severity.as_str().to_owned(),
                    style: Some(severity_style(f.severity)),
                },
                cell(f.rule_id),
            ];
            if several_accounts {
                row.push(cell(t.account.clone()));
            }
            row.extend([
                cell(t.region.clone()),
                cell(function_label(t)),
                cell(f.sid.clone().unwrap_or_else(|| "-".to_owned())),
                cell(fix_text(f, report.applied)),
                cell(clip(&f.message, MAX_MESSAGE)),
            ]);
            rows.push(row);
        }
    }
    let mut out = String::new();
    if rows.is_empty() {
        out.push_str("No findings.\n");
    } else {
        out.push_str(&table(&header, rows, color));
    }
    let s = &report.summary;
    let severities: Vec<String> = [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
        Severity::Informational,
    ]
    .iter()
    .filter_map(|sev| {
        s.by_severity
            .get(sev.as_str())
            .map(|n| format!("{n} {}", sev.as_str().to_lowercase()))
    })
    .collect();
    let exempt = report
        .targets
        .iter()
        .filter(|t| t.resolution == warden_aws::remediate::Resolution::Exempt)
        .count();
    out.push_str(&format!(
        "\n{} function(s) in {} account(s), {} target(s) evaluated ({} exempt): {} open finding(s){}",
        s.functions,
        s.accounts,
        s.targets,
        exempt,
        s.open_findings,
        if severities.is_empty() {
            String::new()
        } else {
            format!(" ({})", severities.join(", "))
        }
    ));
    if report.applied {
        out.push_str(&format!(
            "; {} action(s) done, {} failed",
            s.actions_done, s.actions_failed
        ));
    } else if s.actions_planned > 0 {
        out.push_str(&format!(
            "; {} fix action(s) planned (run with --fix to apply)",
            s.actions_planned
        ));
    }
    out.push_str(".\n");
    if !report.failures.is_empty() {
        out.push_str(&format!("\n{} failure(s):\n", report.failures.len()));
        for f in &report.failures {
            let mut parts: Vec<String> = Vec::new();
            if let Some(a) = &f.account {
                parts.push(a.clone());
            }
            if let Some(r) = &f.region {
                parts.push(r.clone());
            }
            if let Some(arn) = &f.function_arn {
                parts.push(arn.clone());
            }
            out.push_str(&format!(
                "  {} failed with {} ({:?}){}{}\n",
                f.operation,
                f.code,
                f.kind,
                if parts.is_empty() {
                    String::new()
                } else {
                    format!(" for {}", parts.join(" "))
                },
                f.message
                    .as_ref()
                    .map(|m| format!(": {m}"))
                    .unwrap_or_default()
            ));
        }
    }
    out
}

/// The `check-policy` table: one row per statement.
pub fn policy_table(report: &PolicyReport, color: bool) -> String {
    let rows = report
        .statements
        .iter()
        .map(|s| {
            vec![
                cell(s.index.to_string()),
                cell(s.sid.clone().unwrap_or_else(|| "-".to_owned())),
                Cell {
                    text: if s.statement_verdict == s.verdict {
                        s.verdict.to_string()
                    } else {
                        format!("{} (alone: {})", s.verdict, s.statement_verdict)
                    },
                    style: s.severity.map(severity_style),
                },
                cell(s.reason.clone()),
            ]
        })
        .collect();
    let mut out = table(&["#", "SID", "VERDICT", "REASON"], rows, color);
    let failing = report
        .statements
        .iter()
        .filter(|s| s.severity.is_some())
        .count();
    out.push_str(&format!(
        "\n{} statement(s) judged for account {}: {failing} public, network-restricted, cross-account or confused deputy.\n",
        report.statements.len(),
        report.account
    ));
    out
}

/// One action, as a line: operation, statement or tags, and the function.
pub fn action_line(action: &Action) -> String {
    match action {
        Action::RemovePermission {
            function,
            sid,
            fixes,
            ..
        } => format!(
            "RemovePermission {sid:?} from {function}{}",
            fixes_text(fixes)
        ),
        Action::AddPermission {
            function,
            grant,
            fixes,
        } => {
            let mut conditions = Vec::new();
            if let Some(a) = &grant.source_arn {
                conditions.push(format!("SourceArn={a}"));
            }
            if let Some(a) = &grant.source_account {
                conditions.push(format!("SourceAccount={a}"));
            }
            if let Some(o) = &grant.principal_org_id {
                conditions.push(format!("PrincipalOrgID={o}"));
            }
            if let Some(t) = &grant.function_url_auth_type {
                conditions.push(format!("FunctionUrlAuthType={t}"));
            }
            format!(
                "AddPermission {:?} ({} for {}{}) to {function}{}",
                grant.statement_id,
                grant.action,
                grant.principal,
                if conditions.is_empty() {
                    String::new()
                } else {
                    format!(", {}", conditions.join(", "))
                },
                fixes_text(fixes)
            )
        }
        Action::RequireIamAuth {
            function, fixes, ..
        } => format!(
            "UpdateFunctionUrlConfig AuthType=AWS_IAM on {function}{}",
            fixes_text(fixes)
        ),
        Action::SetUrlAuthType {
            function,
            auth_type,
        } => format!("UpdateFunctionUrlConfig AuthType={auth_type} on {function} (restore)"),
        Action::TagResource { resource, tags } => {
            let tags: Vec<String> = tags.iter().map(|(k, v)| format!("{k}={v}")).collect();
            format!("TagResource {} on {resource}", tags.join(" "))
        }
    }
}

fn fixes_text(fixes: &[warden_rules::rules::RuleId]) -> String {
    if fixes.is_empty() {
        String::new()
    } else {
        let ids: Vec<&str> = fixes.iter().map(|r| r.as_str()).collect();
        format!(" (fixes {})", ids.join(" "))
    }
}

/// A result, as a word: done, failed with CODE, not attempted.
pub fn status_text(result: &ActionResult) -> String {
    match &result.status {
        ActionStatus::Done => "done".to_owned(),
        ActionStatus::Failed { code, .. } => format!("failed with {code}"),
        ActionStatus::NotAttempted => "not attempted".to_owned(),
    }
}

/// The last day an exemption holds, `YYYY-MM-DD` (UTC): the day before its exclusive end
/// `until` (seconds since the Unix epoch), as `--until` and `lambda-warden:exempt-until`
/// name it.
pub fn last_day(until: i64) -> String {
    crate::time::rfc3339(until.saturating_sub(1))
        .chars()
        .take(10)
        .collect()
}

/// The `exemptions` table: one row per recorded exemption, and a count of those in force at
/// `now` (seconds since the Unix epoch). An exemption that has ended is shown dimmed.
pub fn exemptions_table(
    exemptions: &[Exemption],
    table_name: &str,
    now: i64,
    color: bool,
) -> String {
    let dim = Style::new().effects(Effects::DIMMED);
    let rows = exemptions
        .iter()
        .map(|e| {
            let (until, style) = match e.until {
                None => ("-".to_owned(), None),
                Some(u) if e.in_force(now) => (last_day(u), None),
                Some(u) => (format!("{} (ended)", last_day(u)), Some(dim)),
            };
            vec![
                Cell {
                    text: e.resource_arn.clone(),
                    style,
                },
                cell(clip(&e.reason, MAX_MESSAGE / 2)),
                cell(e.approved_by.clone()),
                cell(crate::time::rfc3339(e.approved_at)),
                Cell { text: until, style },
                cell(e.source.clone()),
            ]
        })
        .collect();
    let mut out = table(
        &[
            "FUNCTION",
            "REASON",
            "APPROVED BY",
            "APPROVED AT",
            "LAST DAY",
            "SOURCE",
        ],
        rows,
        color,
    );
    let in_force = exemptions.iter().filter(|e| e.in_force(now)).count();
    out.push_str(&format!(
        "\n{} exemption(s) recorded in {table_name}, {in_force} in force.\n",
        exemptions.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_without_and_with_colour() {
        let rows = vec![
            vec![
                cell("a"),
                Cell {
                    text: "CRITICAL".into(),
                    style: Some(severity_style(Severity::Critical)),
                },
                cell("x"),
            ],
            vec![
                cell("longer"),
                Cell {
                    text: "LOW".into(),
                    style: Some(severity_style(Severity::Low)),
                },
                cell("y"),
            ],
        ];
        let plain = table(&["A", "SEV", "MSG"], rows, false);
        let lines: Vec<&str> = plain.lines().collect();
        assert_eq!(lines[0], "A       SEV       MSG");
        assert_eq!(lines[1], "a       CRITICAL  x");
        assert_eq!(lines[2], "longer  LOW       y");
        let rows = vec![vec![
            cell("a"),
            Cell {
                text: "CRITICAL".into(),
                style: Some(severity_style(Severity::Critical)),
            },
            cell("x"),
        ]];
        let coloured = table(&["A", "SEV", "MSG"], rows, true);
        assert!(coloured.contains("\u{1b}["), "{coloured:?}");
        let stripped: String = {
            let mut s = String::new();
            let mut in_escape = false;
            for c in coloured.chars() {
                match (in_escape, c) {
                    (false, '\u{1b}') => in_escape = true,
                    (true, 'm') => in_escape = false,
                    (true, _) => {}
                    (false, c) => s.push(c),
                }
            }
            s
        };
        assert_eq!(stripped.lines().nth(1), Some("a  CRITICAL  x"));
    }

    #[test]
    fn long_messages_are_clipped_to_one_line() {
        let s = clip(&format!("first\nsecond {}", "x".repeat(300)), 20);
        assert_eq!(s.chars().count(), 20);
        assert!(s.starts_with("first second") && s.ends_with("..."));
    }
}
