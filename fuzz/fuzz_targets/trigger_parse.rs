//! Bytes → JSON (as the Lambda runtime decodes an invocation) → `trigger::parse` → the gate.
//! Must never panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use warden_rules::config::Config;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = serde_json::from_slice::<serde_json::Value>(data) {
        if let Ok(trigger) = warden_rules::trigger::parse(&event) {
            let _ = trigger.function_arn();
            let _ = warden_rules::gate::decide(&trigger, &Config::default());
        }
    }
});
