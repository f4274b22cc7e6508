//! LW007 secrets-in-environment.

use serde_json::json;

use super::{declare_rule, Context, RuleId};
use crate::findings::{Finding, FixSafety, Severity};
use crate::secrets::classify;

declare_rule! {
    /// ## What it flags
    /// An environment variable whose value looks like a credential. By value, whatever the
    /// variable's name (CRITICAL): the credential formats of the detector table below (AWS
    /// access keys, PEM private keys, JSON Web Tokens, GitHub, GitLab, Slack, Stripe, Google,
    /// OpenAI, Anthropic, npm, SendGrid, Vault, Shopify, ... tokens; Slack, Discord and
    /// Teams webhook URLs; passwords in URLs, JDBC, ADO.NET, ODBC, Go MySQL and Oracle
    /// connection strings; secret fields in JSON, YAML, dotenv, INI and netrc values (also
    /// inside base64); Azure `AccountKey=` / `SharedAccessKey=`; credentials in URL queries;
    /// `Authorization: Basic` / `Bearer` values), and the formats too generic to judge
    /// alone under a name that says whose they are (32 hexadecimal digits under
    /// `DD_API_KEY`, `TWILIO_AUTH_TOKEN`, `ALGOLIA_ADMIN_KEY`). By name (HIGH): a name with
    /// `PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, `PRIVATE_KEY`, `CREDENTIALS`, `PGPASSWORD`,
    /// `MYSQL_PWD`, `DB_PASS`, ... and a value of at least 8 characters; the detector is
    /// `high-entropy` when the value is random-looking (Shannon entropy of at least 3.5 bits
    /// per character over 16 or more characters), `secret-name` otherwise.
    ///
    /// Not flagged: values that refer to a secret store (Secrets Manager and SSM Parameter
    /// Store ARNs, `{{resolve:secretsmanager:...}}` and `{{resolve:ssm...}}` references,
    /// `/parameter/paths`, any other ARN); names that point at a secret rather than hold it
    /// (ending in `_ARN`, `_NAME`, `_PATH`, `_URL`, `_ID`, `_TTL`, `_HASH`, ...) or say the
    /// value is public (`PUBLISHABLE`, `PUBLIC`, `SITE`); and the benign kinds of the table
    /// below: placeholders (`changeme`, `REPLACE_ME`, `<your-key>`, `${VAR}`), masked values
    /// (`****`, `xxxx`), the documented AWS example keys, the jwt.io and RFC 7519 sample
    /// tokens, publishable keys (Stripe `pk_`, Mapbox `pk.`), Twilio SIDs, password hashes
    /// (bcrypt, argon2, `$6$`, PBKDF2) and KMS ciphertext blobs written by Lambda's
    /// encryption helpers (base64 starting `AQICA`: encrypted on the client, readable only
    /// with `kms:Decrypt`).
    ///
    /// The secret value never appears in a finding, a log line, a tag or an alert: the
    /// evidence is the variable's name, the detector, the value's length and a 4-hex-digit
    /// fingerprint (16 bits of an FNV-1a hash: enough to tell a changed value from the same
    /// one, too little to confirm a guess).
    ///
    /// ## Why it matters
    /// Anyone who can read the function's configuration (`lambda:GetFunction`,
    /// `lambda:GetFunctionConfiguration`, the console, infrastructure-as-code state) reads
    /// its environment in plain text. Credentials there leak far beyond the function.
    ///
    /// ## Remediation
    /// Rotate the credential first: it must be considered exposed. Then store it in AWS
    /// Secrets Manager or SSM Parameter Store (`SecureString`), pass the secret's ARN or
    /// parameter name in the variable, and read it at run time (for example with the AWS
    /// Parameters and Secrets Lambda Extension).
    ///
    /// ## Fix safety
    /// `manual`: removing a variable breaks the function, and only a human can rotate.
    ///
    /// ## References
    /// - Prowler `awslambda_function_no_secrets_in_variables`; Checkov `CKV_AWS_45`
    /// - <https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html>
    /// - <https://docs.aws.amazon.com/secretsmanager/latest/userguide/retrieving-secrets_lambda.html>
    id: RuleId::LW007,
    slug: "secrets-in-environment",
    title: "Secret in an environment variable",
    severity: Severity::Critical,
    default_on: true,
    fix: FixSafety::Manual,
    since: "0.2.0",
    security_hub: "",
    config_rule: "",
    checkov: "CKV_AWS_45",
    prowler: "awslambda_function_no_secrets_in_variables",
    beyond: "Never copies the value into a finding, log, tag or alert (name, detector, length and a 16-bit fingerprint only); accepts Secrets Manager and SSM references as the fix, not as findings; 60 credential formats with sources, connection-string, config-blob and header credentials, and placeholders, example keys, hashes and KMS ciphertext left alone.",
}

pub(crate) fn check(cx: &Context<'_>) -> Vec<Finding> {
    let Some(vars) = cx.configuration().and_then(|c| c.environment.value()) else {
        return Vec::new(); // unreadable: LW006 reports it
    };
    vars.iter()
        .filter_map(|(name, value)| {
            classify(name, value.expose())
                .detector()
                .map(|d| (name, value, d))
        })
        .map(|(name, value, detector)| {
            let severity = if detector.is_known_format() {
                Severity::Critical
            } else {
                Severity::High
            };
            let how = if detector.is_known_format() {
                "matches a known credential format"
            } else {
                "looks like a secret from its name"
            };
            cx.manual_finding(
                &META,
                severity,
                Some(format!("env/{name}")),
                format!(
                    "Environment variable {name} {how} (detector {}, {} characters, \
                     fingerprint {})",
                    detector.id(),
                    value.chars(),
                    value.fingerprint()
                ),
                json!({
                    "variable": name,
                    "detector": detector.id(),
                    "value_chars": value.chars(),
                    "fingerprint": value.fingerprint(),
                }),
                format!(
                    "Rotate the credential in {name}, store it in Secrets Manager or SSM \
                     Parameter Store (SecureString), and pass its ARN or parameter name \
                     instead."
                ),
            )
        })
        .collect()
}
