//! The sample EventBridge envelopes in the workspace's `events/` folder.

use std::path::PathBuf;

use serde_json::Value;

use crate::HarnessError;

/// The workspace's `events/` folder.
pub fn events_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("events")
}

/// Reads `events/NAME` (e.g. `add-permission-public-orders-api.json`).
///
/// # Errors
/// [`HarnessError::File`] when the file cannot be read, [`HarnessError::Json`] when it is not
/// JSON.
pub fn load_event(name: &str) -> Result<Value, HarnessError> {
    let path = events_dir().join(name);
    let text = std::fs::read_to_string(&path).map_err(|source| HarnessError::File {
        path: path.clone(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| HarnessError::Json {
        what: path.display().to_string(),
        source,
    })
}

/// The same event about another function: every string value (including the JSON-string
/// `responseElements.statement` and ARNs) has `from` replaced by `to`.
pub fn retarget(event: &Value, from: &str, to: &str) -> Value {
    match event {
        Value::String(s) => Value::String(s.replace(from, to)),
        Value::Array(items) => Value::Array(items.iter().map(|v| retarget(v, from, to)).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), retarget(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn retarget_rewrites_nested_strings_only() {
        let e = json!({"detail": {"requestParameters": {"functionName": "orders-api"},
            "responseElements": {"statement": "{\"Resource\":\"arn:aws:lambda:us-east-1:1:function:orders-api\"}"},
            "n": 3}});
        let r = retarget(&e, "orders-api", "legacy-batch");
        assert_eq!(
            r["detail"]["requestParameters"]["functionName"],
            "legacy-batch"
        );
        assert!(r["detail"]["responseElements"]["statement"]
            .as_str()
            .is_some_and(|s| s.contains("function:legacy-batch") && !s.contains("orders-api")));
        assert_eq!(r["detail"]["n"], 3);
    }
}
