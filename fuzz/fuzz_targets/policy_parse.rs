//! Bytes → UTF-8 → `ResourcePolicy::parse` → the verdict on every statement, alone and with
//! the policy's Deny statements, and the `AddPermission` form of each; every string of the
//! document through LW007's classifier. Must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_rules::grant::grant_from_statement;
use warden_rules::ids::AccountId;
use warden_rules::policy::{policy_verdicts, verdict, ResourcePolicy, TrustContext};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(policy) = ResourcePolicy::parse(text) else {
        return;
    };
    let Ok(own) = AccountId::parse("123456789012") else {
        return;
    };
    let ctx = TrustContext::new(own);
    for statement in &policy.statements {
        let _ = verdict(statement, &ctx);
        let _ = grant_from_statement(statement, None);
    }
    let _ = policy_verdicts(&policy.statements, &ctx);
    let _ = warden_rules::secrets::classify(text, text);
});
