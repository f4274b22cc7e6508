//! `template.yaml` as CloudFormation deploys it: the SAM transform applied offline (by the SAM
//! translator that cfn-lint brings), for the tests that read the deployed resources.

use std::path::PathBuf;
use std::process::Command;

/// Applies the SAM transform to a template given on the command line and prints the result
/// as JSON. Functions' `CodeUri` is replaced by an S3 location (the transform needs one) and
/// no AWS managed policy is looked up (the template attaches none).
const SAM_TRANSFORM: &str = r#"
import json, os, sys
from cfnlint.decode import decode_str
from samtranslator.translator.transform import transform
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
template, errors = decode_str(open(sys.argv[1]).read())
if errors:
    sys.exit(str(errors))
template = json.loads(json.dumps(template))
if "Transform" not in template:
    print(json.dumps(template))
    sys.exit(0)
for resource in template["Resources"].values():
    if resource["Type"] == "AWS::Serverless::Function":
        resource["Properties"]["CodeUri"] = "s3://bucket/key"
class NoManagedPolicies:
    def load(self):
        return {}
print(json.dumps(transform(template, {}, NoManagedPolicies())))
"#;

/// `template.yaml` (at the workspace root) after the SAM transform, as CloudFormation JSON.
/// Runs `$PYTHON` (default `python3`).
///
/// # Panics
/// When Python, cfn-lint or the SAM translator is missing, or the transform fails: this is a
/// test helper.
pub fn transformed_template() -> serde_json::Value {
    template_as_json("template.yaml")
}

/// The template `file` (a path relative to the workspace root) as CloudFormation JSON, after
/// the SAM transform when it declares one (`template-member.yaml` does not, and is only
/// decoded: short-form intrinsics such as `!Sub` become `{"Fn::Sub": ...}`).
///
/// # Panics
/// As [`transformed_template`].
pub fn template_as_json(file: &str) -> serde_json::Value {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".into());
    let out = Command::new(&python)
        .arg("-c")
        .arg(SAM_TRANSFORM)
        .arg(file)
        .current_dir(&root)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {python} ({e}); cfn-lint brings the SAM translator")
        });
    assert!(
        out.status.success(),
        "SAM transform of {file} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("the transform prints JSON")
}
