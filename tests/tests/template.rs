//! Checks of `template.yaml` and `template-member.yaml`: they pass `cfn-lint`, the template sets
//! every setting the functions read, and the EventBridge rules (the default bus's, the
//! organization bus's, the member accounts' forwarding rule) match the same real (suffixed)
//! Lambda event names, including those of every successful call among the sample events.

use std::path::PathBuf;
use std::process::Command;

fn workspace_file(path: &str) -> String {
    let full = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{}: {e}", full.display()))
}

/// Every `"WARDEN_..."` string literal in `text`.
fn warden_variables(text: &str) -> Vec<String> {
    let mut found: Vec<String> = text
        .split('"')
        .skip(1)
        .step_by(2)
        .filter(|s| {
            s.starts_with("WARDEN_") && s.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        })
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    found
}

/// The items of the first block list under `eventName:` in the rule pattern.
fn event_names(template: &str) -> Vec<String> {
    every_event_name_list(template)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// The items of every block list under `eventName:`, in order.
fn every_event_name_list(template: &str) -> Vec<Vec<String>> {
    let lines: Vec<&str> = template.lines().collect();
    lines
        .iter()
        .enumerate()
        .filter(|(_, l)| l.trim() == "eventName:")
        .map(|(i, _)| {
            lines[i + 1..]
                .iter()
                .map(|l| l.trim())
                .take_while(|l| l.starts_with("- "))
                .map(|l| l.trim_start_matches("- ").to_owned())
                .collect()
        })
        .collect()
}

#[test]
fn templates_pass_cfn_lint() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for template in ["template.yaml", "template-member.yaml"] {
        let out = Command::new("cfn-lint")
            .arg(template)
            .current_dir(&root)
            .output()
            .unwrap_or_else(|e| {
                panic!("cannot run cfn-lint ({e}); install it: python3 -m pip install cfn-lint")
            });
        assert!(
            out.status.success(),
            "cfn-lint {template}:\n{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn every_rule_matches_the_same_event_names() {
    let central = every_event_name_list(&workspace_file("template.yaml"));
    let member = every_event_name_list(&workspace_file("template-member.yaml"));
    assert_eq!(central.len(), 2, "default bus and organization bus rules");
    assert_eq!(member.len(), 1, "the forwarding rule");
    for list in central.iter().chain(&member) {
        assert_eq!(list, &central[0]);
    }
}

#[test]
fn template_sets_every_setting_the_function_reads() {
    let mut read = warden_variables(&workspace_file("shared/rules/src/config.rs"));
    assert!(read.len() >= 9, "settings found in config.rs: {read:?}");
    let sweep = warden_variables(&workspace_file("functions/sweep/src/lib.rs"));
    assert_eq!(sweep.len(), 3, "settings found in the sweep: {sweep:?}");
    read.extend(sweep);
    let template = workspace_file("template.yaml");
    let readme = workspace_file("README.md");
    for var in &read {
        assert!(
            template.contains(&format!("{var}:")),
            "template.yaml does not set {var}"
        );
        assert!(
            readme.contains(&format!("`{var}`")),
            "README.md does not document {var}"
        );
    }
}

#[test]
fn rule_matches_suffixed_event_names_and_drops_failed_calls() {
    let template = workspace_file("template.yaml");
    let names = event_names(&template);
    assert!(names.len() >= 16, "eventName list: {names:?}");
    // Function URL events are the only ones CloudTrail logs without an API-version suffix.
    let unsuffixed = ["CreateFunctionUrlConfig", "UpdateFunctionUrlConfig"];
    for name in &names {
        let digits = name.trim_end_matches("v2");
        let suffixed = digits.len() > 8
            && digits[digits.len() - 8..]
                .bytes()
                .all(|b| b.is_ascii_digit());
        assert!(
            suffixed || unsuffixed.contains(&name.as_str()),
            "{name} is a bare API name: CloudTrail never logs it, so the rule would never fire"
        );
    }
    for needed in [
        "AddPermission20150331v2",
        "AddPermission20150331",
        "CreateFunctionUrlConfig",
        "UpdateFunctionUrlConfig",
        "TagResource20170331v2",
        "CreateFunction20150331",
    ] {
        assert!(names.iter().any(|n| n == needed), "{needed} missing");
    }
    assert!(template.contains("errorCode: [{exists: false}]"));
    assert!(template.contains("source: [aws.lambda]"));
    assert!(template.contains("detail-type: [AWS API Call via CloudTrail]"));
}

#[test]
fn rule_matches_every_successful_sample_event() {
    let names = event_names(&workspace_file("template.yaml"));
    let dir = warden_tests::events::events_dir();
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())) {
        let path = entry.expect("directory entry").path();
        if path.extension().is_none_or(|e| e != "json") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable event");
        let event: serde_json::Value = serde_json::from_str(&text).expect("JSON event");
        let detail = &event["detail"];
        if event["source"] != "aws.lambda" || !detail["errorCode"].is_null() {
            continue;
        }
        let name = detail["eventName"].as_str().unwrap_or("");
        assert!(
            names.iter().any(|n| n == name),
            "{}: {name} is not in the rule's eventName list, so EventBridge would never deliver it",
            path.display()
        );
        checked += 1;
    }
    assert!(
        checked >= 10,
        "only {checked} sample events checked in {}",
        dir.display()
    );
}
