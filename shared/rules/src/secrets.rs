//! Secret detection in environment variables: does a variable's value look like a credential?
//!
//! Pure, dependency-free scanning (no regular expressions): each detector looks for one known
//! credential format in the value, then the variable's name is weighed. A value that refers
//! to a secret store (a Secrets Manager or SSM Parameter Store ARN, a CloudFormation dynamic
//! reference, a parameter path) is the recommended practice and never a finding.
//!
//! Order of decision, for one variable:
//! 1. The value refers to a secret store ([`Reference`]): not a secret.
//! 2. The value matches a known credential format ([`Detector::is_known_format`]): a secret,
//!    whatever the name (CRITICAL in LW007).
//! 3. The value is a KMS ciphertext blob (Lambda's encryption helpers encrypt a value on the
//!    client): not a plaintext secret, not a finding
//!    (<https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html>).
//! 4. The name suggests a secret (`PASSWORD`, `SECRET`, `TOKEN`, `API_KEY`, ...) and does not
//!    end in a word that makes it a pointer to one (`_ARN`, `_NAME`, `_PATH`, `_URL`, ...), and
//!    the value is at least [`NAME_ONLY_MIN_CHARS`] characters and not a boolean: a secret
//!    by heuristic (HIGH), detector [`Detector::HighEntropy`] when the value's Shannon entropy
//!    reaches [`ENTROPY_BITS_PER_CHAR`] over at least [`ENTROPY_MIN_CHARS`] characters, else
//!    [`Detector::SecretName`].
//!
//! Sources of the formats: AWS access key id prefixes
//! (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids>),
//! GitHub token prefixes
//! (<https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats>),
//! Slack token types (<https://api.slack.com/concepts/token-types>), Stripe API keys
//! (<https://docs.stripe.com/keys>), Google API keys (`AIza` + 35 characters), JSON Web Tokens
//! (RFC 7519: three base64url segments; the header is a JSON object, so `eyJ`), PEM private
//! key blocks (RFC 7468), URI userinfo (RFC 3986 section 3.2.1).

use std::collections::BTreeMap;

use serde::Serialize;

/// Shannon entropy, in bits per character, from which a value under a secret-suggesting name
/// counts as random (hex keys score about 4, base64 keys 5 to 6, English words under 3.5).
pub const ENTROPY_BITS_PER_CHAR: f64 = 3.5;
/// The shortest value the entropy detector judges, in characters.
pub const ENTROPY_MIN_CHARS: usize = 16;
/// The shortest value a secret-suggesting name alone makes a finding of, in characters.
pub const NAME_ONLY_MIN_CHARS: usize = 8;

/// What recognised a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Detector {
    /// `AKIA` (long-term) or `ASIA` (temporary) followed by 16 upper-case letters or digits.
    AwsAccessKeyId,
    /// 40 base64 characters under a name that says AWS secret access key.
    AwsSecretAccessKey,
    /// A PEM `-----BEGIN ... PRIVATE KEY-----` block.
    PrivateKey,
    /// A JSON Web Token: `eyJ...` three base64url segments.
    Jwt,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_` + 36 characters, or `github_pat_` + 22 or more.
    GithubToken,
    /// `xoxb-`, `xoxa-`, `xoxp-`, `xoxr-`, `xoxs-` tokens and `hooks.slack.com/services/` URLs.
    SlackToken,
    /// `sk_live_` and `rk_live_` Stripe keys.
    StripeLiveKey,
    /// `AIza` + 35 characters.
    GoogleApiKey,
    /// `scheme://user:password@host`: a connection string with a password in it.
    ConnectionStringPassword,
    /// A random-looking value (entropy) under a secret-suggesting name.
    HighEntropy,
    /// A secret-suggesting name with a value that is not a reference.
    SecretName,
}

impl Detector {
    /// The stable id shown in findings, e.g. `aws-access-key-id`.
    pub fn id(self) -> &'static str {
        match self {
            Detector::AwsAccessKeyId => "aws-access-key-id",
            Detector::AwsSecretAccessKey => "aws-secret-access-key",
            Detector::PrivateKey => "private-key",
            Detector::Jwt => "jwt",
            Detector::GithubToken => "github-token",
            Detector::SlackToken => "slack-token",
            Detector::StripeLiveKey => "stripe-live-key",
            Detector::GoogleApiKey => "google-api-key",
            Detector::ConnectionStringPassword => "connection-string-password",
            Detector::HighEntropy => "high-entropy",
            Detector::SecretName => "secret-name",
        }
    }

    /// Whether the detector matched a known credential format (as opposed to a name and
    /// entropy heuristic).
    pub fn is_known_format(self) -> bool {
        match self {
            Detector::AwsAccessKeyId
            | Detector::AwsSecretAccessKey
            | Detector::PrivateKey
            | Detector::Jwt
            | Detector::GithubToken
            | Detector::SlackToken
            | Detector::StripeLiveKey
            | Detector::GoogleApiKey
            | Detector::ConnectionStringPassword => true,
            Detector::HighEntropy | Detector::SecretName => false,
        }
    }
}

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
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Classification {
    /// It refers to a secret store.
    Reference(Reference),
    /// It looks like a secret, recognised by this detector.
    Secret(Detector),
    /// Nothing suggests a secret (including KMS ciphertext blobs).
    Clean,
}

/// Classifies one environment variable. See the module documentation for the order of the
/// decision.
pub fn classify(name: &str, value: &str) -> Classification {
    let trimmed = value.trim();
    if let Some(r) = reference(trimmed) {
        return Classification::Reference(r);
    }
    if let Some(d) = known_format(name, trimmed) {
        return Classification::Secret(d);
    }
    if is_kms_ciphertext(trimmed) {
        return Classification::Clean;
    }
    if name_suggests_secret(name)
        && trimmed.chars().count() >= NAME_ONLY_MIN_CHARS
        && !matches!(
            trimmed.to_ascii_lowercase().as_str(),
            "true" | "false" | "enabled" | "disabled"
        )
    {
        let d = if trimmed.chars().count() >= ENTROPY_MIN_CHARS
            && shannon_entropy(trimmed) >= ENTROPY_BITS_PER_CHAR
        {
            Detector::HighEntropy
        } else {
            Detector::SecretName
        };
        return Classification::Secret(d);
    }
    Classification::Clean
}

/// Classifies every variable, by name.
pub fn classify_all<'a>(
    vars: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<&'a str, Classification> {
    vars.into_iter().map(|(n, v)| (n, classify(n, v))).collect()
}

fn reference(v: &str) -> Option<Reference> {
    let lower = v.to_ascii_lowercase();
    if lower.starts_with("{{resolve:secretsmanager:") || lower.starts_with("{{resolve:ssm") {
        return Some(Reference::DynamicReference);
    }
    let mut parts = v.splitn(6, ':');
    if let (Some("arn"), Some(partition), Some(service), Some(_), Some(_), Some(resource)) = (
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
        parts.next(),
    ) {
        if partition.starts_with("aws") && !service.is_empty() && !v.contains(char::is_whitespace) {
            return Some(match service {
                "secretsmanager" => Reference::SecretsManagerArn,
                "ssm" if resource.starts_with("parameter") => Reference::SsmParameterArn,
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

/// `true` for the base64 text of a KMS ciphertext blob: it decodes to a header that starts
/// with the bytes `01 02 02 00`, i.e. the text starts with `AQICA` (an observed format, not a
/// documented one), and is long enough to hold a key id and a payload.
fn is_kms_ciphertext(v: &str) -> bool {
    v.len() >= 100 && v.starts_with("AQICA") && v.bytes().all(is_base64_byte)
}

fn is_base64_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
}

fn is_base64url_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
}

/// The name's words, upper-cased: split at anything that is not a letter or digit, and at
/// lower-to-upper case changes (`dbPassword` → `DB`, `PASSWORD`).
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_uppercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Words that make a name suggest a secret, alone or as the ends of a pair.
const SECRET_WORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PWD",
    "PASSPHRASE",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "APIKEY",
    "PRIVATEKEY",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
];

/// Word pairs that suggest a secret (`API_KEY`, `PRIVATE_KEY`, `ACCESS_KEY`, ...).
const SECRET_PAIRS: &[(&str, &str)] = &[
    ("API", "KEY"),
    ("PRIVATE", "KEY"),
    ("ACCESS", "KEY"),
    ("SIGNING", "KEY"),
    ("ENCRYPTION", "KEY"),
    ("AUTH", "KEY"),
    ("CLIENT", "SECRET"),
    ("MASTER", "KEY"),
];

/// Last words that make a secret-sounding name a pointer to the secret or a setting about it
/// (`DB_PASSWORD_ARN`, `SECRET_NAME`, `TOKEN_URL`, `TOKEN_TTL`), not the secret itself.
const POINTER_WORDS: &[&str] = &[
    "ARN",
    "NAME",
    "ID",
    "PATH",
    "PARAM",
    "PARAMETER",
    "URL",
    "URI",
    "ENDPOINT",
    "FILE",
    "TTL",
    "TIMEOUT",
    "EXPIRY",
    "EXPIRATION",
    "LENGTH",
    "HEADER",
    "REGION",
    "ENABLED",
    "TYPE",
    "KEYID",
];

/// Whether the variable's name suggests that it holds a secret.
pub fn name_suggests_secret(name: &str) -> bool {
    let w = words(name);
    if w.last()
        .is_some_and(|last| POINTER_WORDS.contains(&last.as_str()))
    {
        return false;
    }
    let single = w.iter().any(|x| SECRET_WORDS.contains(&x.as_str()));
    let pair = w
        .windows(2)
        .any(|p| SECRET_PAIRS.contains(&(p[0].as_str(), p[1].as_str())));
    single || pair
}

/// Whether the name says AWS secret access key (`AWS_SECRET_ACCESS_KEY`, `SECRET_ACCESS_KEY`,
/// `awsSecretKey`).
fn names_aws_secret_key(name: &str) -> bool {
    let w = words(name);
    let has = |x: &str| w.iter().any(|y| y == x);
    has("SECRET") && (has("AWS") || has("ACCESS")) && has("KEY")
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

fn known_format(name: &str, v: &str) -> Option<Detector> {
    if has_private_key_block(v) {
        return Some(Detector::PrivateKey);
    }
    if has_aws_access_key_id(v) {
        return Some(Detector::AwsAccessKeyId);
    }
    if names_aws_secret_key(name) && v.len() == 40 && v.bytes().all(is_base64_byte) {
        return Some(Detector::AwsSecretAccessKey);
    }
    if has_prefixed_token(
        v,
        &["ghp_", "gho_", "ghu_", "ghs_", "ghr_"],
        36,
        u8::is_ascii_alphanumeric,
    ) || has_prefixed_token(v, &["github_pat_"], 22, |b| {
        b.is_ascii_alphanumeric() || *b == b'_'
    }) {
        return Some(Detector::GithubToken);
    }
    if has_prefixed_token(v, &["xoxb-", "xoxa-", "xoxp-", "xoxr-", "xoxs-"], 10, |b| {
        b.is_ascii_alphanumeric() || *b == b'-'
    }) || v.contains("hooks.slack.com/services/T")
    {
        return Some(Detector::SlackToken);
    }
    if has_prefixed_token(v, &["sk_live_", "rk_live_"], 16, u8::is_ascii_alphanumeric) {
        return Some(Detector::StripeLiveKey);
    }
    if has_prefixed_token(v, &["AIza"], 35, |b| {
        b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_')
    }) {
        return Some(Detector::GoogleApiKey);
    }
    if has_jwt(v) {
        return Some(Detector::Jwt);
    }
    if has_url_password(v) {
        return Some(Detector::ConnectionStringPassword);
    }
    None
}

fn has_private_key_block(v: &str) -> bool {
    v.match_indices("-----BEGIN ").any(|(i, _)| {
        let rest = &v[i + "-----BEGIN ".len()..];
        rest.find("-----").is_some_and(|end| {
            rest[..end].ends_with("PRIVATE KEY") || rest[..end].ends_with("PRIVATE KEY BLOCK")
        })
    })
}

/// Whether the byte before `start` and the byte at `end` (when present) are not
/// letters or digits: the token stands alone.
fn bounded(v: &[u8], start: usize, end: usize) -> bool {
    let before = start == 0 || !v[start - 1].is_ascii_alphanumeric();
    let after = end >= v.len() || !v[end].is_ascii_alphanumeric();
    before && after
}

fn has_aws_access_key_id(v: &str) -> bool {
    let b = v.as_bytes();
    (0..b.len().saturating_sub(19)).any(|i| {
        let prefix = &b[i..i + 4];
        (prefix == b"AKIA" || prefix == b"ASIA")
            && b[i + 4..i + 20]
                .iter()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
            && bounded(b, i, i + 20)
    })
}

/// Whether `v` holds one of `prefixes` followed by at least `min` bytes accepted by `body`,
/// with no letter or digit right before the prefix.
fn has_prefixed_token(v: &str, prefixes: &[&str], min: usize, body: fn(&u8) -> bool) -> bool {
    let b = v.as_bytes();
    prefixes.iter().any(|p| {
        v.match_indices(p).any(|(i, _)| {
            let start = i + p.len();
            let len = b[start..].iter().take_while(|c| body(c)).count();
            len >= min && (i == 0 || !b[i - 1].is_ascii_alphanumeric())
        })
    })
}

fn has_jwt(v: &str) -> bool {
    v.split(|c: char| c.is_whitespace() || matches!(c, '"' | '\'' | ',' | ';'))
        .any(|tok| {
            let tok = tok.strip_prefix("Bearer").unwrap_or(tok);
            let segs: Vec<&str> = tok.split('.').collect();
            segs.len() == 3
                && segs[0].starts_with("eyJ")
                && segs[1].starts_with("eyJ")
                && segs[0].len() >= 10
                && segs[1].len() >= 10
                && segs.iter().all(|s| s.bytes().all(is_base64url_byte))
        })
}

/// `scheme://user:password@host...` with a non-empty password that is not a placeholder
/// (`${VAR}`, `{{...}}`, `<password>`, `****`).
fn has_url_password(v: &str) -> bool {
    v.match_indices("://").any(|(i, _)| {
        let scheme = &v[..i];
        let scheme_ok = scheme
            .rsplit(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '+' | '.' | '-')))
            .next()
            .is_some_and(|s| !s.is_empty());
        let rest = &v[i + 3..];
        let authority = rest
            .split(|c: char| matches!(c, '/' | '?' | '#') || c.is_whitespace())
            .next()
            .unwrap_or("");
        let Some(at) = authority.rfind('@') else {
            return false;
        };
        let userinfo = &authority[..at];
        let Some((_, password)) = userinfo.split_once(':') else {
            return false;
        };
        let placeholder = password.is_empty()
            || password.starts_with("${")
            || password.starts_with("{{")
            || (password.starts_with('<') && password.ends_with('>'))
            || password.bytes().all(|b| b == b'*');
        scheme_ok && !placeholder
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(name: &str, value: &str) -> Option<Detector> {
        match classify(name, value) {
            Classification::Secret(d) => Some(d),
            Classification::Reference(_) | Classification::Clean => None,
        }
    }

    #[test]
    fn known_formats_are_found_whatever_the_name() {
        // Values assembled at run time so no credential-shaped literal sits in the source.
        let akia = format!("AKIA{}", "Q7ZT3MPLEXK4B2NW");
        let asia = format!("ASIA{}", "Q7ZT3MPLEXK4B2NW");
        let ghp = format!("ghp_{}", "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8");
        let pat = format!("github_pat_{}", "11ABCDEFG0123456789_abcdefghijklmnop");
        let slack = format!("xoxb-{}", "123456789012-abcdefABCDEF");
        let stripe = format!("sk_live_{}", "4eC39HqLyjWDarjtT1zdp7dc");
        let google = format!("AIza{}", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q");
        let jwt = format!(
            "eyJhbGciOiJIUzI1NiJ9.{}.{}",
            "eyJzdWIiOiIxMjM0NTY3ODkwIn0", "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
        );
        let pem = format!("-----BEGIN RSA {}-----\nMIIE...\n-----END", "PRIVATE KEY");
        let aws_secret = format!("wJalrXUtnFEMI/K7MDENG/{}", "bPxRfiCYzEXAMPLEKE");
        let cases: Vec<(&str, String, Detector)> = vec![
            ("SOMETHING", akia.clone(), Detector::AwsAccessKeyId),
            ("X", format!("key={asia};"), Detector::AwsAccessKeyId),
            (
                "AWS_SECRET_ACCESS_KEY",
                aws_secret,
                Detector::AwsSecretAccessKey,
            ),
            ("CERT", pem, Detector::PrivateKey),
            ("GH", ghp, Detector::GithubToken),
            ("GH", pat, Detector::GithubToken),
            ("HOOK", slack, Detector::SlackToken),
            (
                "WEBHOOK",
                "https://hooks.slack.com/services/T000/B000/XXXX".to_owned(),
                Detector::SlackToken,
            ),
            ("PAY", stripe, Detector::StripeLiveKey),
            ("MAPS", google, Detector::GoogleApiKey),
            ("SESSION", jwt, Detector::Jwt),
            (
                "DATABASE_URL",
                "postgres://app:s3cr3t-pw@db.internal:5432/orders".to_owned(),
                Detector::ConnectionStringPassword,
            ),
        ];
        for (name, value, want) in cases {
            let got = secret(name, &value);
            assert_eq!(got, Some(want), "{name}");
            assert!(want.is_known_format());
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
        assert_eq!(
            secret("DB_PASSWORD", "hunter2hunter2"),
            Some(Detector::SecretName)
        );
        assert_eq!(
            secret("apiKey", "9f8e7d6c5b4a39281706f5e4d3c2b1a0"),
            Some(Detector::HighEntropy)
        );
        assert_eq!(
            secret("clientSecret", "Zq8#vL2!pW9@tR4x"),
            Some(Detector::HighEntropy)
        );
        // Pointers to a secret and settings about it.
        assert_eq!(secret("DB_PASSWORD_ARN", "prod-db-password"), None);
        assert_eq!(secret("SECRET_NAME", "prod/orders/db"), None);
        assert_eq!(
            secret("TOKEN_URL", "https://auth.example.com/oauth2/token"),
            None
        );
        assert_eq!(secret("TOKEN_TTL_SECONDS", "3600"), None);
        // Too short, or a flag.
        assert_eq!(secret("PASSWORD", "short"), None);
        assert_eq!(secret("USE_TOKEN", "true"), None);
        // Names that merely contain a secret word's letters.
        assert_eq!(secret("BYPASSWORDLESS_MODE", "something-long"), None);
        assert_eq!(secret("TABLE_NAME", "orders-table-prod"), None);
        assert_eq!(secret("LOG_LEVEL", "debug-verbose"), None);
    }

    #[test]
    fn kms_ciphertext_is_not_a_plaintext_secret() {
        let blob = format!("AQICAHh{}", "Q".repeat(120));
        assert_eq!(classify("DB_PASSWORD", &blob), Classification::Clean);
    }

    #[test]
    fn placeholders_in_urls_hold_no_password() {
        assert!(!has_url_password("postgres://app:${DB_PASSWORD}@db/orders"));
        assert!(!has_url_password("https://example.com/path?q=1"));
        assert!(!has_url_password("redis://:@cache:6379"));
        assert!(!has_url_password("https://user@example.com/"));
        assert!(has_url_password("amqp://guest:guest@mq:5672/"));
    }

    #[test]
    fn tokens_must_stand_alone_and_be_long_enough() {
        assert!(!has_aws_access_key_id("XAKIAQ7ZT3MPLEXK4B2NW"));
        assert!(!has_aws_access_key_id("AKIAQ7ZT3MPLEXK4B2N"));
        assert!(!has_prefixed_token(
            "ghp_short",
            &["ghp_"],
            36,
            u8::is_ascii_alphanumeric
        ));
    }

    #[test]
    fn entropy_separates_words_from_keys() {
        assert!(shannon_entropy("passwordpassword") < ENTROPY_BITS_PER_CHAR);
        assert!(shannon_entropy("9f8e7d6c5b4a39281706f5e4d3c2b1a0") >= ENTROPY_BITS_PER_CHAR);
        assert_eq!(shannon_entropy(""), 0.0);
    }

    #[test]
    fn words_split_snake_and_camel_case() {
        assert_eq!(words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(words("STRIPE_API_KEY"), ["STRIPE", "API", "KEY"]);
        assert_eq!(words("client-secret.v2"), ["CLIENT", "SECRET", "V2"]);
    }
}
