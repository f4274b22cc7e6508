//! The tags lambda-warden reads and writes on a function.
//!
//! Lambda tag rules (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html>,
//! <https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html>): keys at most 128
//! characters, values at most 256, characters letters, digits, spaces and `_ . : / = + - @`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::findings::{Finding, Severity};
use crate::ids::Qualifier;
use crate::rule_id::RuleId;

/// Opt-in to unsafe fixes: value `true` (case-insensitive).
pub const AUTO_FIX: &str = "lambda-warden:auto-fix";
/// Exemption: any value (the reason) exempts the function from evaluation.
pub const EXEMPT: &str = "lambda-warden:exempt";
/// Written: `compliant`, `non-compliant`, `unverified`, or [`EXEMPT_STATUS`].
pub const STATUS: &str = "lambda-warden:status";
/// The [`STATUS`] of a function with an exemption in force (recorded in the state table).
pub const EXEMPT_STATUS: &str = "exempt";
/// Written: the open findings' rule ids, sorted, space-separated (`none` when there are none).
pub const FINDINGS: &str = "lambda-warden:findings";
/// Written: a 16-hex-digit fingerprint of the open findings (rule id + Sid), used to send one
/// alert per distinct finding set.
pub const FINGERPRINT: &str = "lambda-warden:fingerprint";

/// Longest tag key Lambda accepts, in characters.
pub const MAX_KEY_CHARS: usize = 128;
/// Longest tag value Lambda accepts, in characters.
pub const MAX_VALUE_CHARS: usize = 256;

/// The compliance status written to [`STATUS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ComplianceStatus {
    /// No open finding above informational.
    Compliant,
    /// At least one open finding above informational.
    NonCompliant,
    /// Part of the state could not be read (LW006): never reported as compliant.
    Unverified,
}

impl ComplianceStatus {
    /// The tag value.
    pub fn as_str(self) -> &'static str {
        match self {
            ComplianceStatus::Compliant => "compliant",
            ComplianceStatus::NonCompliant => "non-compliant",
            ComplianceStatus::Unverified => "unverified",
        }
    }

    /// The status that open findings give.
    pub fn of<'a>(open: impl IntoIterator<Item = &'a Finding>) -> Self {
        let mut status = ComplianceStatus::Compliant;
        for f in open {
            if f.rule_id == RuleId::LW006 {
                return ComplianceStatus::Unverified;
            }
            if f.severity > Severity::Informational {
                status = ComplianceStatus::NonCompliant;
            }
        }
        status
    }
}

/// Whether the function opted in to unsafe fixes.
pub fn opted_in(tags: &BTreeMap<String, String>) -> bool {
    tags.get(AUTO_FIX)
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("true"))
}

/// The key under which an evaluation records its state: `KEY` for the function, `KEY@ALIAS`
/// for an alias, so an alias's findings never overwrite the function's. `None` (the
/// evaluation writes no tags, and its alerts are not de-duplicated) for a version or
/// `$LATEST`: versions are many and immutable, and three tags each would soon exhaust
/// Lambda's 50 tags per function; `$` is not a tag character. Also `None` when the key would
/// exceed [`MAX_KEY_CHARS`].
pub fn key_for(base: &str, qualifier: Option<&Qualifier>) -> Option<String> {
    let key = match qualifier {
        None => base.to_owned(),
        Some(q) if q.as_str() == "$LATEST" || q.as_str().bytes().all(|b| b.is_ascii_digit()) => {
            return None
        }
        Some(q) => format!("{base}@{q}"),
    };
    (key.chars().count() <= MAX_KEY_CHARS).then_some(key)
}

/// `true` for a key of one of lambda-warden's *display* tags: [`STATUS`], [`FINDINGS`],
/// [`FINGERPRINT`], or their `KEY@ALIAS` form exactly as [`key_for`] writes it for an alias.
/// lambda-warden rewrites these from its own state, so a change of only these tags changes
/// nothing it judges. [`EXEMPT`], [`AUTO_FIX`] and every other key are not display tags. Tag
/// keys are case-sensitive (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-tags.html>).
pub fn is_display_key(key: &str) -> bool {
    [STATUS, FINDINGS, FINGERPRINT]
        .iter()
        .any(|base| match key.strip_prefix(base) {
            Some("") => true,
            Some(rest) => rest
                .strip_prefix('@')
                .and_then(|alias| Qualifier::parse(alias).ok())
                .is_some_and(|q| key_for(base, Some(&q)).as_deref() == Some(key)),
            None => false,
        })
}

/// FNV-1a, 64 bits: a stable, dependency-free fingerprint (not a security hash; it only
/// tells one finding set from another).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// The fingerprint of a set of findings: rule id and Sid of each, order-independent.
pub fn fingerprint<'a>(open: impl IntoIterator<Item = &'a Finding>) -> String {
    let mut lines: Vec<String> = open
        .into_iter()
        .map(|f| format!("{}|{}", f.rule_id, f.sid.as_deref().unwrap_or("")))
        .collect();
    lines.sort();
    lines.dedup();
    fingerprint_text(&lines.join("\n"))
}

/// [`fnv1a`] of `text` as 16 hex digits: a stable name for a piece of text (not a security
/// hash: what it names is trusted only from the state table, never from a tag).
pub fn fingerprint_text(text: &str) -> String {
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// The tags that describe these open findings, keyed for `qualifier`. Empty when the keys
/// would be too long.
pub fn describe(open: &[&Finding], qualifier: Option<&Qualifier>) -> BTreeMap<String, String> {
    let mut ids: Vec<&str> = open.iter().map(|f| f.rule_id.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let mut findings = if ids.is_empty() {
        "none".to_owned()
    } else {
        ids.join(" ")
    };
    if findings.len() > MAX_VALUE_CHARS {
        // Rule ids are ASCII; cut at the last whole id that fits.
        findings.truncate(MAX_VALUE_CHARS);
        if let Some(cut) = findings.rfind(' ') {
            findings.truncate(cut);
        }
    }
    let values = [
        (
            STATUS,
            ComplianceStatus::of(open.iter().copied())
                .as_str()
                .to_owned(),
        ),
        (FINDINGS, findings),
        (FINGERPRINT, fingerprint(open.iter().copied())),
    ];
    let mut out = BTreeMap::new();
    for (base, value) in values {
        match key_for(base, qualifier) {
            Some(k) => out.insert(k, value),
            None => return BTreeMap::new(),
        };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Fix, FixSafety, Remediation};

    fn finding(rule_id: RuleId, sid: &str, severity: Severity) -> Finding {
        Finding {
            rule_id,
            severity,
            resource_arn: "arn:aws:lambda:us-east-1:123456789012:function:f".into(),
            sid: Some(sid.into()),
            message: String::new(),
            evidence: serde_json::Value::Null,
            remediation: Remediation {
                safety: FixSafety::Manual,
                fix: Fix::None,
                text: String::new(),
            },
        }
    }

    #[test]
    fn status_follows_findings() {
        let a = finding(RuleId::LW001, "a", Severity::Critical);
        let u = finding(RuleId::LW006, "", Severity::High);
        let i = finding(RuleId::LW005, "", Severity::Informational);
        assert_eq!(ComplianceStatus::of([]), ComplianceStatus::Compliant);
        assert_eq!(ComplianceStatus::of([&i]), ComplianceStatus::Compliant);
        assert_eq!(ComplianceStatus::of([&a]), ComplianceStatus::NonCompliant);
        assert_eq!(ComplianceStatus::of([&a, &u]), ComplianceStatus::Unverified);
    }

    #[test]
    fn fingerprint_is_order_independent_and_sid_sensitive() {
        let a = finding(RuleId::LW001, "a", Severity::Critical);
        let b = finding(RuleId::LW002, "b", Severity::High);
        let a2 = finding(RuleId::LW001, "other", Severity::Critical);
        assert_eq!(fingerprint([&a, &b]), fingerprint([&b, &a]));
        assert_ne!(fingerprint([&a]), fingerprint([&a2]));
        assert_ne!(fingerprint([&a]), fingerprint([]));
        assert_eq!(fingerprint([&a]).len(), 16);
    }

    #[test]
    fn described_tags_respect_lambda_limits() {
        let a = finding(RuleId::LW002, "a", Severity::High);
        let b = finding(RuleId::LW001, "b", Severity::Critical);
        let b2 = finding(RuleId::LW001, "c", Severity::Critical);
        let tags = describe(&[&a, &b, &b2], None);
        assert_eq!(tags[FINDINGS], "LW001 LW002");
        assert_eq!(tags[STATUS], "non-compliant");
        assert_eq!(describe(&[], None)[FINDINGS], "none");
        let allowed = |c: char| c.is_alphanumeric() || " _.:/=+-@".contains(c);
        for (k, v) in &tags {
            assert!(
                k.chars().count() <= MAX_KEY_CHARS && k.chars().all(allowed),
                "{k}"
            );
            assert!(
                v.chars().count() <= MAX_VALUE_CHARS && v.chars().all(allowed),
                "{v}"
            );
        }
        let live = Qualifier::parse("live").unwrap();
        assert!(describe(&[], Some(&live)).contains_key("lambda-warden:status@live"));
        let long = Qualifier::parse(&"a".repeat(128)).unwrap();
        assert!(describe(&[], Some(&long)).is_empty());
        for version in ["7", "$LATEST"] {
            let q = Qualifier::parse(version).unwrap();
            assert!(
                describe(&[], Some(&q)).is_empty(),
                "{version} writes no tags"
            );
        }
    }

    #[test]
    fn display_keys_are_the_written_status_tags_only() {
        for key in [
            STATUS,
            FINDINGS,
            FINGERPRINT,
            "lambda-warden:status@live",
            "lambda-warden:findings@live",
            "lambda-warden:fingerprint@canary-2",
        ] {
            assert!(is_display_key(key), "{key}");
        }
        for key in [
            EXEMPT,
            AUTO_FIX,
            "lambda-warden:exempt@live",
            "lambda-warden:status@",
            "lambda-warden:status@7",
            "lambda-warden:status@$LATEST",
            "lambda-warden:status@a b",
            "lambda-warden:statusx",
            "Lambda-Warden:Status",
            "owner",
            "",
        ] {
            assert!(!is_display_key(key), "{key}");
        }
        let long = format!("{STATUS}@{}", "a".repeat(128));
        assert!(!is_display_key(&long));
    }

    #[test]
    fn opt_in_needs_true() {
        let mut t = BTreeMap::new();
        assert!(!opted_in(&t));
        t.insert(AUTO_FIX.to_owned(), "yes".to_owned());
        assert!(!opted_in(&t));
        t.insert(AUTO_FIX.to_owned(), " TRUE ".to_owned());
        assert!(opted_in(&t));
    }
}
