//! Secret detection in environment variables: does a variable's value look like a credential?
//!
//! Each detector is data ([`detectors::DETECTORS`]): a pattern, the literals that must occur
//! first, the names it is limited to, an example, a counter-example and a source. So are the
//! kinds of values that look like secrets and are not ([`benign::BENIGN`]). A value that
//! refers to a secret store (a Secrets Manager or SSM Parameter Store ARN, a CloudFormation
//! dynamic reference, a parameter path) is the recommended practice and never a finding.
//!
//! Order of decision, for one variable:
//! 1. The value refers to a secret store ([`Reference`]): not a secret.
//! 2. A detector finds a credential format in the value, and what it captured is not benign
//!    (a placeholder password, a masked or documented example key, a sample token):
//!    a secret, whatever the name (CRITICAL in LW007).
//!    A long base64 value is decoded once and its text scanned the same way.
//! 3. The whole value is benign ([`benign::benign`]: placeholders, masked values, example
//!    keys, publishable keys, identifiers, password hashes, KMS ciphertext, flags, plain URLs,
//!    relative paths): not a secret.
//! 4. The name suggests a secret (`PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, `PGPASSWORD`,
//!    `DB_PASS`, ...) and does not end in a word that makes it a pointer to one (`_ARN`,
//!    `_NAME`, `_PATH`, `_URL`, `_HASH`, ...) nor say the value is public (`PUBLISHABLE`,
//!    `PUBLIC`, `SITE`), and the value is at least [`NAME_ONLY_MIN_CHARS`] characters: a
//!    secret by heuristic (HIGH), detector `high-entropy` when the value's Shannon entropy
//!    reaches [`ENTROPY_BITS_PER_CHAR`] over at least [`ENTROPY_MIN_CHARS`] characters, else
//!    `secret-name`. A name whose last word is `KEY` (`JWT_KEY`) counts only with a
//!    random-looking token of letters and digits. A JSON value is judged by its fields only.
//!
//! The value is only read here: what leaves is the detector or benign kind, never the text.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::policy::pattern::ArnParts;

pub mod benign;
pub mod detectors;
pub mod names;

pub use benign::Benign;
pub use detectors::Detector;
pub use names::name_suggests_secret;

/// Shannon entropy, in bits per character, from which a value under a secret-suggesting name
/// counts as random (hex keys score about 4, base64 keys 5 to 6, English words under 3.5).
pub const ENTROPY_BITS_PER_CHAR: f64 = 3.5;
/// The shortest value the entropy detector judges, in characters.
pub const ENTROPY_MIN_CHARS: usize = 16;
/// The shortest value a secret-suggesting name alone makes a finding of, in characters.
pub const NAME_ONLY_MIN_CHARS: usize = 8;

/// A value that points at a secret store instead of holding the secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reference {
    /// `arn:PARTITION:secretsmanager:...`.
    SecretsManagerArn,
    /// `arn:PARTITION:ssm:...:parameter/...`.
    SsmParameterArn,
    /// Any other ARN (a KMS key, a queue, a role): names a resource, holds no secret.
    OtherArn,
    /// A CloudFormation dynamic reference `{{resolve:secretsmanager:...}}` or
    /// `{{resolve:ssm...}}`
    /// (<https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/dynamic-references.html>).
    DynamicReference,
    /// `/a/parameter/path`: the form of an SSM parameter name with a hierarchy
    /// (<https://docs.aws.amazon.com/systems-manager/latest/userguide/sysman-paramstore-su-create.html>).
    ParameterPath,
}

/// What a variable turned out to be.
#[derive(Debug, Clone, Copy)]
pub enum Classification {
    /// It refers to a secret store.
    Reference(Reference),
    /// It looks like a secret, recognised by this detector.
    Secret(&'static Detector),
    /// It looks like a secret and is not (a placeholder, a hash, KMS ciphertext, ...).
    Benign(&'static Benign),
    /// Nothing suggests a secret.
    Clean,
}

impl PartialEq for Classification {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Classification::Reference(a), Classification::Reference(b)) => a == b,
            (Classification::Secret(a), Classification::Secret(b)) => a.id == b.id,
            (Classification::Benign(a), Classification::Benign(b)) => a.id == b.id,
            (Classification::Clean, Classification::Clean) => true,
            _ => false,
        }
    }
}

impl Classification {
    /// The detector, when it is a secret.
    pub fn detector(self) -> Option<&'static Detector> {
        match self {
            Classification::Secret(d) => Some(d),
            Classification::Reference(_) | Classification::Benign(_) | Classification::Clean => {
                None
            }
        }
    }
}

/// Classifies one environment variable. See the module documentation for the order of the
/// decision.
pub fn classify(name: &str, value: &str) -> Classification {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Classification::Clean;
    }
    if let Some(r) = reference(trimmed) {
        return Classification::Reference(r);
    }
    let name_words = names::words(name);
    let excused = |c: &str| benign::excuses_capture(c) || reference(c).is_some();
    if let Some(d) = detectors::find(&name_words, trimmed, excused) {
        return Classification::Secret(d);
    }
    // A secret wrapped in base64 (a service-account file, a config blob) is still one.
    if let Some(text) = base64_text(trimmed) {
        if let Some(d) = detectors::find(&name_words, &text, excused) {
            return Classification::Secret(d);
        }
    }
    if let Some(b) = benign::benign(trimmed) {
        return Classification::Benign(b);
    }
    // A JSON document is judged by its fields, which the detectors read; its name says
    // nothing more (`GOOGLE_CREDENTIALS` holding a configuration without key material).
    if (trimmed.starts_with('{') || trimmed.starts_with('['))
        && serde_json::from_str::<serde::de::IgnoredAny>(trimmed).is_ok()
    {
        return Classification::Clean;
    }
    let chars = trimmed.chars().count();
    let random = chars >= ENTROPY_MIN_CHARS && shannon_entropy(trimmed) >= ENTROPY_BITS_PER_CHAR;
    let core = names::core_words(name_words);
    if names::suggests_secret(&core) && chars >= NAME_ONLY_MIN_CHARS {
        return Classification::Secret(if random {
            &detectors::HIGH_ENTROPY
        } else {
            &detectors::SECRET_NAME
        });
    }
    if names::ends_in_key(&core) && random && is_token(trimmed) {
        return Classification::Secret(&detectors::HIGH_ENTROPY);
    }
    Classification::Clean
}

/// Classifies every variable, by name.
pub fn classify_all<'a>(
    vars: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<&'a str, Classification> {
    vars.into_iter().map(|(n, v)| (n, classify(n, v))).collect()
}

/// The text a long base64 value decodes to, when it is text (JSON, YAML, `user:password`):
/// at least 24 characters of standard base64, decoding to UTF-8 that is printable.
fn base64_text(v: &str) -> Option<String> {
    if v.len() < 24
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'='))
    {
        return None;
    }
    let text = String::from_utf8(detectors::base64_decode(v)?).ok()?;
    text.chars()
        .all(|c| !c.is_control() || c.is_whitespace())
        .then_some(text)
}

/// One run of base64 or base64url characters holding both letters and digits: the shape of
/// a generated key, not of a word, a path or a sentence.
fn is_token(v: &str) -> bool {
    v.bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-'))
        && v.bytes().any(|b| b.is_ascii_alphabetic())
        && v.bytes().any(|b| b.is_ascii_digit())
}

fn reference(v: &str) -> Option<Reference> {
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("{{resolve:secretsmanager:") || lower.starts_with("{{resolve:ssm") {
        return Some(Reference::DynamicReference);
    }
    if let Some(arn) = ArnParts::split(v) {
        if arn.partition.starts_with("aws")
            && !arn.service.is_empty()
            && !v.contains(char::is_whitespace)
        {
            return Some(match arn.service {
                "secretsmanager" => Reference::SecretsManagerArn,
                "ssm" if arn.resource.starts_with("parameter") => Reference::SsmParameterArn,
                _ => Reference::OtherArn,
            });
        }
    }
    let is_path = v.len() > 1
        && v.len() <= 2048
        && v.starts_with('/')
        && !v.starts_with("//")
        && v[1..].contains(|c: char| c.is_ascii_alphanumeric())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'_' | b'.' | b'-'));
    is_path.then_some(Reference::ParameterPath)
}

/// Shannon entropy of the value's characters, in bits per character.
pub fn shannon_entropy(v: &str) -> f64 {
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let mut n = 0usize;
    for c in v.chars() {
        *counts.entry(c).or_insert(0) += 1;
        n += 1;
    }
    if n == 0 {
        return 0.0;
    }
    // Counts and lengths of environment variables (at most 4 KB in total) are far below
    // 2^52, so the conversions are exact.
    let total = n as f64;
    counts
        .values()
        .map(|&c| {
            let p = c as f64 / total;
            -p * p.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, value: &str) -> Option<&'static str> {
        classify(name, value).detector().map(|d| d.id)
    }

    #[test]
    fn every_detector_finds_its_example_and_nothing_in_its_counter_example() {
        let mut wrong = Vec::new();
        for d in detectors::DETECTORS
            .iter()
            .chain([&detectors::HIGH_ENTROPY, &detectors::SECRET_NAME])
        {
            let (e, c) = (d.example, d.counter_example);
            let (found, excused) = (secret(e.name, e.value), secret(c.name, c.value));
            if found != Some(d.id) {
                wrong.push(format!("{}: example found by {found:?}", d.id));
            }
            if excused.is_some() {
                wrong.push(format!("{}: counter-example found by {excused:?}", d.id));
            }
        }
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    #[test]
    fn known_formats_are_found_whatever_the_name() {
        for d in detectors::DETECTORS
            .iter()
            .filter(|d| d.name_words.is_empty())
        {
            assert_eq!(secret("NOTES", d.example.value), Some(d.id), "{}", d.id);
            assert!(d.is_known_format());
        }
    }

    #[test]
    fn references_to_secret_stores_are_not_findings() {
        for (name, value, want) in [
            (
                "DB_PASSWORD",
                "arn:aws:secretsmanager:us-east-1:111122223333:secret:prod/db-AbCdEf",
                Reference::SecretsManagerArn,
            ),
            (
                "API_TOKEN",
                "arn:aws:ssm:us-east-1:111122223333:parameter/prod/api/token",
                Reference::SsmParameterArn,
            ),
            (
                "DB_PASSWORD",
                "{{resolve:secretsmanager:prod/db:SecretString:password}}",
                Reference::DynamicReference,
            ),
            (
                "API_TOKEN",
                "{{resolve:ssm-secure:/prod/api/token:3}}",
                Reference::DynamicReference,
            ),
            ("API_TOKEN", "/prod/api/token", Reference::ParameterPath),
            (
                "SIGNING_KEY",
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                Reference::OtherArn,
            ),
        ] {
            assert_eq!(
                classify(name, value),
                Classification::Reference(want),
                "{value}"
            );
        }
    }

    #[test]
    fn names_weigh_only_without_a_known_format() {
        assert_eq!(secret("DB_PASSWORD", "hunter2hunter2"), Some("secret-name"));
        assert_eq!(
            secret("apiKey", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
            Some("high-entropy")
        );
        assert_eq!(
            secret("clientSecret", "Zq8#vL2!pW9@tR4x"),
            Some("high-entropy")
        );
        assert_eq!(secret("PGPASSWORD", "tr0ub4dor-prod"), Some("secret-name"));
        assert_eq!(secret("MYSQL_PWD", "tr0ub4dor-prod"), Some("secret-name"));
        assert_eq!(
            secret("JWT_KEY", "q8Zr2Lx7Wm4Tn9Kp3Vb6Yc1Hd5Fg0Js"),
            Some("high-entropy")
        );
        // Pointers to a secret and settings about it.
        assert_eq!(secret("DB_PASSWORD_ARN", "prod-db-password"), None);
        assert_eq!(secret("SECRET_NAME", "prod/orders/db"), None);
        assert_eq!(
            secret("TOKEN_URL", "https://auth.example.com/oauth2/token"),
            None
        );
        assert_eq!(secret("TOKEN_TTL_SECONDS", "3600"), None);
        // An encoding word after the name: the key itself.
        assert_eq!(
            secret(
                "DATA_KEY_HEX",
                concat!(
                    "84d71eeb9fb155e5d3c9",
                    "66405b98099ab66aeb1f41141f08ba23e0f5e77f9716"
                )
            ),
            Some("high-entropy")
        );
        // A KEY that names no secret.
        assert_eq!(secret("S3_KEY", "uploads/2026/report.csv"), None);
        assert_eq!(secret("CACHE_KEY", "orders-v1"), None);
        // Too short, or a flag.
        assert_eq!(secret("PASSWORD", "short"), None);
        assert_eq!(secret("USE_TOKEN", "true"), None);
        assert_eq!(secret("TABLE_NAME", "orders-table-prod"), None);
        assert_eq!(secret("LOG_LEVEL", "debug-verbose"), None);
    }

    #[test]
    fn benign_values_under_secret_names_are_not_findings() {
        for (name, value) in [
            ("DB_PASSWORD", "changeme"),
            ("API_KEY", "REPLACE_ME"),
            ("API_KEY", "<your-key>"),
            ("API_KEY", "your-api-key-here"),
            ("DB_PASSWORD", "xxxxxxxxxxxx"),
            ("DB_PASSWORD", "${DB_PASSWORD}"),
            ("DB_PASSWORD", "********"),
            (
                "AWS_SECRET_ACCESS_KEY",
                concat!("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"),
            ),
            ("AWS_ACCESS_KEY_ID", concat!("AKIAIOSFODNN7", "EXAMPLE")),
            ("STRIPE_KEY", concat!("pk_live_", "51H8xYzABCdefGHIjkl")),
            (
                "TWILIO_API_KEY",
                concat!("SK", "0123456789abcdef0123456789abcdef"),
            ),
            (
                "ADMIN_PASSWORD",
                concat!(
                    "$2b$12$",
                    "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"
                ),
            ),
            (
                "DATABASE_URL",
                "postgres://app:changeme@db.internal:5432/orders",
            ),
            ("ENCRYPTION_KEY", "alias/orders-data-key"),
            ("DEPLOY_SECRET_KEY", "${{ secrets.DEPLOY_KEY }}"),
            ("NEW_RELIC_LICENSE_KEY_SECRET", "NEW_RELIC_LICENSE_KEY"),
            (
                "SUPABASE_ANON_KEY",
                concat!(
                    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
                    "eyJpc3MiOiJzdXBhYmFzZSIsInJvbGUiOiJhbm9uIn0.",
                    "Qm9vdHN0cmFwVG9rZW5TaWduYXR1cmVCeXRlczAxMjM0"
                ),
            ),
        ] {
            assert_eq!(secret(name, value), None, "{name}={value}");
        }
        let blob = format!("AQICAHh{}", "Q".repeat(120));
        assert!(
            matches!(classify("DB_PASSWORD", &blob), Classification::Benign(b) if b.id == "kms-ciphertext")
        );
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(shannon_entropy("passwordpassword") < ENTROPY_BITS_PER_CHAR);
        assert!(shannon_entropy("9f8e7d6c5b4a39281706f5e4d3c2b1a0") >= ENTROPY_BITS_PER_CHAR);
        assert_eq!(shannon_entropy(""), 0.0);
    }

    proptest::proptest! {
        /// Any name and value, ASCII or not, classify without a panic; a value made of a
        /// detector's example with arbitrary text around it still classifies.
        #[test]
        fn any_variable_classifies(name in ".{0,40}", value in "(?s).{0,300}", i in 0usize..60) {
            let _ = classify(&name, &value);
            let d = &detectors::DETECTORS[i % detectors::DETECTORS.len()];
            let _ = classify(&name, &format!("{value}{}{value}", d.example.value));
        }
    }
}
