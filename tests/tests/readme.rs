//! README.md documents every sample event: its "Sample events" table lists each file of
//! `events/` exactly once, with the function its `source` goes to, and no file that does not
//! exist. It also lists every parameter of `template.yaml`, and every Checkov check the
//! template skips (`Metadata.checkov.skip`) with the reason.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `file name -> function` of every row of the table under `## Sample events`.
fn listed_events(readme: &str) -> BTreeMap<String, String> {
    let section = readme
        .split("\n## Sample events\n")
        .nth(1)
        .expect("README has a Sample events section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut rows = BTreeMap::new();
    for line in section.lines().filter(|l| l.starts_with("| `events/")) {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        let file = cells[1]
            .trim_matches('`')
            .strip_prefix("events/")
            .expect("events/ path")
            .to_owned();
        let function = cells[2].trim_matches('`').to_owned();
        assert!(
            rows.insert(file.clone(), function).is_none(),
            "{file} listed twice"
        );
    }
    rows
}

#[test]
fn every_sample_event_is_in_the_readme_with_its_function() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let listed = listed_events(&readme);
    let mut files = Vec::new();
    for entry in std::fs::read_dir(root().join("events")).expect("events/") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("name")
            .to_owned();
        let event: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("read")).expect("JSON");
        let function = match event["source"].as_str() {
            Some("aws.iam") => "iam-events",
            Some("aws.lambda") => "lambda-events",
            other => panic!("{name}: unexpected source {other:?}"),
        };
        assert_eq!(
            listed.get(&name).map(String::as_str),
            Some(function),
            "{name} must be in README's Sample events table, handled by {function}"
        );
        files.push(name);
    }
    assert!(files.len() >= 10, "only {} sample events", files.len());
    let extra: Vec<&String> = listed.keys().filter(|f| !files.contains(f)).collect();
    assert!(extra.is_empty(), "README lists missing files: {extra:?}");
}

/// The first cells (without backticks) of the rows of the table under `### TITLE`.
fn table_keys(readme: &str, title: &str) -> Vec<String> {
    let section = readme
        .split(&format!("\n### {title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("README has a {title} section"));
    let section = section.split("\n#").next().unwrap_or(section);
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| l.split('|').nth(1).unwrap_or("").trim().to_owned())
        .collect()
}

#[test]
fn every_template_parameter_is_in_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let listed: Vec<String> = table_keys(&readme, "Template parameters")
        .into_iter()
        .map(|k| k.trim_matches('`').to_owned())
        .collect();
    let template = warden_tests::sam::transformed_template();
    let parameters: Vec<String> = template["Parameters"]
        .as_object()
        .expect("Parameters")
        .keys()
        .cloned()
        .collect();
    assert!(parameters.len() >= 10, "{parameters:?}");
    let mut missing: Vec<&String> = parameters.iter().filter(|p| !listed.contains(p)).collect();
    missing.sort();
    assert!(
        missing.is_empty(),
        "parameters not in the README: {missing:?}"
    );
    let extra: Vec<&String> = listed.iter().filter(|p| !parameters.contains(p)).collect();
    assert!(
        extra.is_empty(),
        "README lists parameters the template lacks: {extra:?}"
    );
}

#[test]
fn every_checkov_check_the_template_skips_is_explained_in_the_readme() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let explained: Vec<String> = table_keys(&readme, "Build, validation and Checkov");
    let template = std::fs::read_to_string(root().join("template.yaml")).expect("template.yaml");
    let lines: Vec<&str> = template.lines().collect();
    let mut skipped = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if let Some(id) = line.trim().strip_prefix("- id: CKV_") {
            let id = format!("CKV_{id}");
            let comment = lines.get(i + 1).map(|l| l.trim()).unwrap_or("");
            assert!(
                comment.starts_with("comment: ") && comment.len() > 40,
                "{id} is skipped without a reason"
            );
            skipped.push(id);
        }
    }
    assert!(!skipped.is_empty(), "the template skips no Checkov check");
    for id in skipped {
        assert!(
            explained.iter().any(|row| row.contains(&format!("`{id}`"))),
            "{id} is skipped in template.yaml but not explained in the README"
        );
    }
}
