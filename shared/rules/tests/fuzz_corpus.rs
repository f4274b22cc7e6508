//! The fuzz regression corpus, run on stable in every `cargo test`: each file under
//! `fuzz/corpus/<target>/` and `fuzz/artifacts/<target>/` (inputs the fuzzers kept or that once
//! crashed them) goes through the same steps as the fuzz target, which must not panic.
//! `scripts/fuzz.sh SECONDS` runs the fuzzers themselves (nightly, libFuzzer).

use std::path::{Path, PathBuf};

use warden_rules::config::Config;
use warden_rules::grant::grant_from_statement;
use warden_rules::ids::AccountId;
use warden_rules::policy::{policy_verdicts, verdict, ResourcePolicy, TrustContext};

/// What `fuzz/fuzz_targets/trigger_parse.rs` does with one input.
fn trigger_parse(data: &[u8]) {
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(trigger) = warden_rules::trigger::parse(&event) {
            let _ = trigger.function_arn();
            let _ = warden_rules::gate::decide(&trigger, &Config::default());
        }
    }
}

/// What `fuzz/fuzz_targets/policy_parse.rs` does with one input.
fn policy_parse(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // LW007 reads any string: the whole document as both name and value.
    let _ = warden_rules::secrets::classify(text, text);
    let Ok(policy) = ResourcePolicy::parse(text) else {
        return;
    };
    let ctx = TrustContext::new(AccountId::parse("123456789012").expect("valid account"));
    for statement in &policy.statements {
        assert!(!verdict(statement, &ctx).reason.is_empty());
        let _ = grant_from_statement(statement, None);
    }
    for v in policy_verdicts(&policy.statements, &ctx) {
        assert!(!v.effective.reason.is_empty());
    }
}

fn inputs(target: &str) -> Vec<PathBuf> {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz");
    let mut files = Vec::new();
    for dir in ["corpus", "artifacts"] {
        if let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) {
            files.extend(entries.filter_map(|e| e.ok()).map(|e| e.path()));
        }
    }
    files.sort();
    files
}

fn run(target: &str, check: fn(&[u8]), at_least: usize) {
    let files = inputs(target);
    assert!(
        files.len() >= at_least,
        "{target}: only {} corpus files (run `python3 fuzz/seed.py`)",
        files.len()
    );
    for path in files {
        let data = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{target} panicked on {}", path.display());
    }
}

#[test]
fn trigger_parse_corpus_never_panics() {
    run("trigger_parse", trigger_parse, 30);
}

#[test]
fn policy_parse_corpus_never_panics() {
    run("policy_parse", policy_parse, 100);
}
