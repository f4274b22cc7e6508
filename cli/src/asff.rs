//! Findings in the AWS Security Finding Format (ASFF), ready for Security Hub's
//! `BatchImportFindings` (`aws securityhub batch-import-findings --findings file://FILE`, at
//! most 100 findings per call).
//!
//! Every required top-level attribute is set
//! (<https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html>):
//!
//! | ASFF | from |
//! |---|---|
//! | `SchemaVersion` | `2018-10-08` |
//! | `Id` | `RESOURCE_ARN/RULE_ID/SID` (`-` without a Sid): stable, so a later import updates the finding |
//! | `ProductArn` | `arn:PARTITION:securityhub:REGION:ACCOUNT:product/ACCOUNT/default` (the account's own product for custom findings) |
//! | `GeneratorId` | `lambda-warden/RULE_ID` |
//! | `AwsAccountId` | the function's account |
//! | `Types` | `Software and Configuration Checks/AWS Security Best Practices` |
//! | `CreatedAt`, `UpdatedAt` | the time the report was made |
//! | `Severity.Label`, `Severity.Original` | the finding's severity |
//! | `Title` | `RULE_ID SLUG: rule title` (at most 256 characters) |
//! | `Description` | the finding's message (at most 1024 characters) |
//! | `Resources` | one `AwsLambdaFunction` whose `Id` is the evaluated (qualified) ARN |
//!
//! Optional attributes set: `Remediation.Recommendation.Text` (the remediation text, at most
//! 512 characters; <https://docs.aws.amazon.com/securityhub/latest/userguide/asff-top-level-attributes.html>),
//! `ProductFields` (rule id, slug, Sid, fix safety), `Compliance.Status` (`FAILED` for an open
//! finding, `PASSED` for one `--fix` fixed) and `RecordState` (`ACTIVE`, or `ARCHIVED` for a
//! fixed finding, so importing the report closes it in Security Hub).

use serde_json::{json, Map, Value};

use crate::report::{FindingOut, Report, Target};

/// ASFF `SchemaVersion`.
pub const SCHEMA_VERSION: &str = "2018-10-08";
/// ASFF `Types` of every lambda-warden finding (namespace/category).
pub const FINDING_TYPE: &str = "Software and Configuration Checks/AWS Security Best Practices";

/// Longest `Title`, in characters.
pub const MAX_TITLE: usize = 256;
/// Longest `Description`, in characters.
pub const MAX_DESCRIPTION: usize = 1024;
/// Longest `Remediation.Recommendation.Text`, in characters.
pub const MAX_RECOMMENDATION: usize = 512;

fn clip(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_owned();
    }
    let mut out: String = s.chars().take(max.saturating_sub(3)).collect();
    out.push_str("...");
    out
}

/// The partition of an ARN (`arn:PARTITION:...`), `aws` when it has none.
fn partition(arn: &str) -> &str {
    arn.split(':')
        .nth(1)
        .filter(|p| !p.is_empty())
        .unwrap_or("aws")
}

/// One ASFF finding for `finding` of `target`, made at `now` (RFC 3339).
pub fn finding(target: &Target, finding: &FindingOut, now: &str) -> Value {
    let partition = partition(&target.arn);
    let account = &target.account;
    let region = &target.region;
    let mut product_fields = Map::new();
    product_fields.insert("lambda-warden/RuleId".into(), json!(finding.rule_id));
    product_fields.insert("lambda-warden/Slug".into(), json!(finding.slug));
    product_fields.insert(
        "lambda-warden/FixSafety".into(),
        json!(finding.remediation.safety.as_str()),
    );
    if let Some(sid) = &finding.sid {
        product_fields.insert("lambda-warden/Sid".into(), json!(sid));
    }
    json!({
        "SchemaVersion": SCHEMA_VERSION,
        "Id": format!("{}/{}/{}", target.arn, finding.rule_id, finding.sid.as_deref().unwrap_or("-")),
        "ProductArn": format!("arn:{partition}:securityhub:{region}:{account}:product/{account}/default"),
        "GeneratorId": format!("lambda-warden/{}", finding.rule_id),
        "AwsAccountId": account,
        "Types": [FINDING_TYPE],
        "CreatedAt": now,
        "UpdatedAt": now,
        "Severity": { "Label": finding.severity.as_str(), "Original": finding.severity.as_str() },
        "Title": clip(&format!("{} {}: {}", finding.rule_id, finding.slug, finding.title), MAX_TITLE),
        "Description": clip(&finding.message, MAX_DESCRIPTION),
        "Remediation": { "Recommendation": { "Text": clip(&finding.remediation.text, MAX_RECOMMENDATION) } },
        "ProductFields": product_fields,
        "Resources": [{
            "Type": "AwsLambdaFunction",
            "Id": target.arn,
            "Partition": partition,
            "Region": region,
        }],
        "Compliance": { "Status": if finding.open { "FAILED" } else { "PASSED" } },
        "RecordState": if finding.open { "ACTIVE" } else { "ARCHIVED" },
    })
}

/// Every finding of `report` as ASFF, in report order.
pub fn findings(report: &Report) -> Vec<Value> {
    report
        .targets
        .iter()
        .flat_map(|t| {
            t.findings
                .iter()
                .map(move |f| finding(t, f, &report.generated_at))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use warden_aws::remediate::Resolution;
    use warden_rules::findings::{Fix, FixSafety, Remediation, Severity};

    fn target() -> Target {
        Target {
            arn: "arn:aws:lambda:eu-west-1:111122223333:function:orders-api:live".into(),
            account: "111122223333".into(),
            region: "eu-west-1".into(),
            function: "orders-api".into(),
            qualifier: Some("live".into()),
            resolution: Resolution::NonCompliant,
            exempt_reason: None,
            findings: Vec::new(),
            planned: Vec::new(),
            actions: Vec::new(),
        }
    }

    fn public(open: bool) -> FindingOut {
        FindingOut {
            rule_id: "LW001",
            slug: "public-invoke",
            title: "Anyone can invoke the function",
            severity: Severity::Critical,
            resource_arn: "arn:aws:lambda:eu-west-1:111122223333:function:orders-api:live".into(),
            sid: Some("backdoor".into()),
            message: "x".repeat(2000),
            evidence: Value::Null,
            remediation: Remediation {
                safety: FixSafety::Unsafe,
                fix: Fix::None,
                text: "Remove the statement.".into(),
            },
            fix: None,
            open,
        }
    }

    #[test]
    fn every_required_attribute_is_set() {
        let v = finding(&target(), &public(true), "2026-05-28T00:00:00.000Z");
        for key in [
            "SchemaVersion",
            "Id",
            "ProductArn",
            "GeneratorId",
            "AwsAccountId",
            "Types",
            "CreatedAt",
            "UpdatedAt",
            "Severity",
            "Title",
            "Description",
            "Resources",
        ] {
            assert!(v.get(key).is_some_and(|x| !x.is_null()), "{key} missing");
        }
        assert_eq!(v["SchemaVersion"], "2018-10-08");
        assert_eq!(
            v["ProductArn"],
            "arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default"
        );
        assert_eq!(
            v["Id"],
            "arn:aws:lambda:eu-west-1:111122223333:function:orders-api:live/LW001/backdoor"
        );
        assert_eq!(v["GeneratorId"], "lambda-warden/LW001");
        assert_eq!(v["Severity"]["Label"], "CRITICAL");
        assert_eq!(v["Resources"][0]["Type"], "AwsLambdaFunction");
        assert_eq!(
            v["Resources"][0]["Id"],
            v["Id"].as_str().unwrap().split("/LW001").next().unwrap()
        );
        assert_eq!(
            v["Description"].as_str().unwrap().chars().count(),
            MAX_DESCRIPTION
        );
        assert_eq!(
            v["Remediation"]["Recommendation"]["Text"],
            "Remove the statement."
        );
        assert_eq!(v["RecordState"], "ACTIVE");
        assert_eq!(v["Compliance"]["Status"], "FAILED");
    }

    #[test]
    fn fixed_findings_are_archived() {
        let v = finding(&target(), &public(false), "t");
        assert_eq!(v["RecordState"], "ARCHIVED");
        assert_eq!(v["Compliance"]["Status"], "PASSED");
    }
}
