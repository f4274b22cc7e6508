//! Values that look like secrets and are not: placeholders, masked values, the documented
//! example credentials, sample tokens, publishable keys, identifiers, password hashes and
//! KMS ciphertext. Each entry is data, like the detectors: a pattern over the whole text
//! (the value, or the secret a detector captured), an example, a counter-example and the
//! source that says why it holds no secret.

use std::sync::LazyLock;

use regex::Regex;

/// One kind of value that holds no secret.
#[derive(Debug)]
pub struct Benign {
    /// The stable id, e.g. `placeholder`.
    pub id: &'static str,
    /// What it is, for people.
    pub title: &'static str,
    /// A regular expression that must match the whole text (it is anchored with `^` and `$`).
    pub pattern: &'static str,
    /// A text the entry must excuse.
    pub example: &'static str,
    /// A text the entry must not excuse.
    pub counter_example: &'static str,
    /// Why it holds no secret.
    pub source: &'static str,
    /// Whether it also excuses a secret a detector captured (a placeholder password inside a
    /// connection string), or only a whole value judged by its name (a URL under `AUTH_URL`
    /// holds no secret, a webhook URL captured by a detector does).
    pub in_captures: bool,
}

/// The kinds of benign values, tried in order.
pub static BENIGN: &[Benign] = &[
    Benign {
        id: "placeholder",
        title: "A placeholder word instead of a value",
        pattern: r"(?i)(?:change[_-]?me|change[_-]?it|replace[_-]?me|replace[_-]?this|to[_-]?do|tbd|fixme|dummy|placeholder|redacted|removed|none|null|nil|undefined|n/?a|not[_-]?set|unset|empty|example|sample|default|(?:your|insert|enter|put)[_-](?:[a-z0-9]+[_-]?){0,5}|my[_-]?(?:secret|password|pass|token|api[_-]?key|key)|[a-z0-9_-]*[_-]here)",
        example: "REPLACE_ME",
        counter_example: concat!("hunter2", "-prod-2026"),
        source: "https://github.com/Yelp/detect-secrets/blob/master/detect_secrets/filters/heuristic.py",
        in_captures: true,
    },
    Benign {
        id: "template-reference",
        title: "A reference resolved by a template or the shell (${VAR}, $VAR, {{...}}, <...>, %(...)s)",
        pattern: r"\$\{\{[^}]*\}\}|\$\{[^}]*\}?|\$[A-Z_][A-Z0-9_]*|\{\{[^}]*\}\}|<[^<>]*>|%\([A-Za-z0-9_]+\)s|%[A-Za-z_]+%|#\{[^}]*\}",
        example: "${DB_PASSWORD}",
        counter_example: concat!("$6", "Yq2!tr0ub4dor"),
        source: "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/intrinsic-function-reference-sub.html",
        in_captures: true,
    },
    Benign {
        id: "masked",
        title: "A masked value (****, xxxx, ••••), with at most a short visible part",
        pattern: r"[^*xX•]{0,12}(?:\*{3,}|[xX]{4,}|•{3,})[^*xX•]{0,8}",
        example: "sk_live_****************",
        counter_example: concat!("sk_live_", "4eC39HqLyjWDarjtT1zdp7dc"),
        source: "https://docs.stripe.com/keys#reveal-an-api-secret-key-live-mode",
        in_captures: true,
    },
    Benign {
        id: "aws-example-key",
        title: "An example access key from the AWS documentation (ends in EXAMPLE / EXAMPLEKEY)",
        pattern: r"(?:AKIA|ASIA)[A-Z0-9]{9}EXAMPLE|[A-Za-z0-9/+]{30}EXAMPLEKEY",
        example: concat!("AKIAIOSFODNN7", "EXAMPLE"),
        counter_example: concat!("AKIA", "Q7ZT3MPLEXK4B2NW"),
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
        in_captures: true,
    },
    Benign {
        id: "sample-jwt",
        title: "The sample token of jwt.io or RFC 7519 (subject 1234567890 \"John Doe\", or issuer \"joe\")",
        pattern: r"eyJ[A-Za-z0-9_-]*\.(?:eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9l|eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAs)[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*",
        example: concat!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
            "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.",
            "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        ),
        counter_example: concat!(
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
            "eyJzdWIiOiJvcmRlcnMtc3ZjIiwiZXhwIjoxOTAwMDAwMDAwfQ.",
            "Qm9vdHN0cmFwVG9rZW5TaWduYXR1cmVCeXRlczAxMjM0"
        ),
        source: "https://www.rfc-editor.org/rfc/rfc7519#section-3.1",
        in_captures: true,
    },
    Benign {
        id: "publishable-key",
        title: "A key meant to be public: Stripe publishable (pk_), Mapbox public token (pk.)",
        pattern: r"pk_(?:live|test)_[A-Za-z0-9]{10,}|pk\.eyJ[A-Za-z0-9_.-]+",
        example: concat!("pk_live_", "51H8xYzABCdefGHIjkl"),
        counter_example: concat!("sk_live_", "51H8xYzABCdefGHIjkl"),
        source: "https://docs.stripe.com/keys#obtain-api-keys",
        in_captures: true,
    },
    Benign {
        id: "twilio-sid",
        title: "A Twilio resource SID (AC account, SK API key, PN, MG, ...): an identifier, not a credential",
        pattern: r"(?:AC|SK|PN|MG|CA|AP|IS|VA|WS|CH|SM|MM|RE|FW|US|TR)[0-9a-f]{32}",
        example: concat!("AC", "0123456789abcdef0123456789abcdef"),
        counter_example: concat!("0123456789abcdef", "0123456789abcdef"),
        source: "https://www.twilio.com/docs/glossary/what-is-a-sid",
        in_captures: true,
    },
    Benign {
        id: "password-hash",
        title: "A password hash (bcrypt, argon2, crypt SHA-256/512, PBKDF2, scrypt)",
        pattern: r"\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}|\$argon2(?:id|i|d)\$v=[0-9]+\$m=[0-9]+,t=[0-9]+,p=[0-9]+\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+|\$[156]\$(?:rounds=[0-9]+\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|pbkdf2_sha(?:1|256|512)\$[0-9]+\$[A-Za-z0-9+/.=]+\$[A-Za-z0-9+/=]+|scrypt:[0-9]+:[0-9]+:[0-9]+\$[A-Za-z0-9+/.=]+\$[A-Za-z0-9+/=]+",
        example: concat!("$2b$12$", "R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW"),
        counter_example: concat!("$2b$12$", "short"),
        source: "https://github.com/P-H-C/phc-string-format/blob/master/phc-sf-spec.md",
        in_captures: true,
    },
    Benign {
        id: "kms-ciphertext",
        title: "A KMS ciphertext blob (base64 starting AQICA, as Lambda's encryption helpers write it)",
        pattern: r"AQICA[A-Za-z0-9+/]{95,}={0,2}",
        example: concat!("AQICAHh", "QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ"),
        counter_example: concat!("AQICA", "short"),
        source: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars-encryption.html",
        in_captures: true,
    },
    Benign {
        id: "flag",
        title: "A flag or mode word",
        pattern: r"(?i)true|false|yes|no|on|off|enabled|disabled|required|optional|strict|lax|iam|cognito|oauth2?|jwt|basic|bearer|aws_iam|none",
        example: "enabled",
        counter_example: "hunter2hunter2",
        source: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
        in_captures: false,
    },
    Benign {
        id: "plain-url",
        title: "A URL with no user information and no query",
        pattern: r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[A-Za-z0-9._~%/-]*)?",
        example: "https://auth.example.com/oauth2/token",
        counter_example: concat!("https://hooks.example.com/", "?key=", "9f8e7d6c5b4a3928"),
        source: "https://www.rfc-editor.org/rfc/rfc3986#section-3",
        in_captures: false,
    },
    Benign {
        id: "config-server-cipher",
        title: "A value encrypted for Spring Cloud Config ({cipher}...): ciphertext, readable only with the server's key",
        pattern: r"\{cipher\}[A-Za-z0-9+/=]+",
        example: concat!("{cipher}", "AQA4bXlfc2VjcmV0X2tleV9pZA=="),
        counter_example: concat!("cipher:", "hunter2-prod"),
        source: "https://docs.spring.io/spring-cloud-config/reference/server/encryption-and-decryption.html",
        in_captures: true,
    },
    Benign {
        id: "datadog-client-token",
        title: "A Datadog client token (pub + 32 hex digits), made for browsers and mobile apps",
        pattern: r"pub[a-f0-9]{32}",
        example: concat!("pub", "0123456789abcdef0123456789abcdef"),
        counter_example: concat!("0123456789abcdef", "0123456789abcdef"),
        source: "https://docs.datadoghq.com/account_management/api-app-keys/#client-tokens",
        in_captures: true,
    },
    Benign {
        id: "kms-alias",
        title: "A KMS key alias (alias/...): names a key, holds none",
        pattern: r"alias/[A-Za-z0-9/_-]+",
        example: "alias/orders-data-key",
        counter_example: concat!("8tCrpuKwUcbmM9Gj", "BXH7/TswwdbHEXKN"),
        source: "https://docs.aws.amazon.com/kms/latest/developerguide/kms-alias.html",
        in_captures: false,
    },
    Benign {
        id: "identifier",
        title: "An UPPER_SNAKE_CASE identifier: the name of a variable, secret or parameter",
        pattern: r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+",
        example: "NEW_RELIC_LICENSE_KEY",
        counter_example: concat!("Tr0ub4dor_", "Prod_2026"),
        source: "https://docs.newrelic.com/docs/serverless-function-monitoring/aws-lambda-monitoring/instrument-lambda-function/env-variables-lambda/",
        in_captures: false,
    },
    Benign {
        id: "relative-path",
        title: "A relative file path (./certs/key.pem, ~/.ssh/id_ed25519.pub)",
        pattern: r"(?:\.{1,2}|~)/[A-Za-z0-9_./-]+",
        example: "./certs/signing-key.pem",
        counter_example: concat!("s3cr3t/", "Passw0rd"),
        source: "https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html",
        in_captures: false,
    },
];

/// At most two distinct characters (`0000…`, `abab…`) over eight characters or more: no
/// secret is that poor, and placeholders often are. Decided in code, not by a pattern.
pub static LOW_VARIETY: Benign = Benign {
    id: "low-variety",
    title: "One or two characters repeated (0000..., abab...)",
    pattern: "",
    example: "0000000000000000",
    counter_example: concat!("9f8e7d6c", "5b4a3928"),
    source:
        "https://github.com/Yelp/detect-secrets/blob/master/detect_secrets/filters/heuristic.py",
    in_captures: true,
};

static COMPILED: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    BENIGN
        .iter()
        .map(|b| {
            Regex::new(&format!("^(?:{})$", b.pattern))
                .expect("benign patterns are tested to compile")
        })
        .collect()
});

/// The kinds of benign value the whole `text` is, in order: low variety first, then
/// [`BENIGN`]'s patterns.
fn kinds(text: &str) -> impl Iterator<Item = &'static Benign> + '_ {
    let text = text.trim();
    low_variety(text).then_some(&LOW_VARIETY).into_iter().chain(
        BENIGN
            .iter()
            .zip(COMPILED.iter())
            .filter(move |(_, re)| re.is_match(text))
            .map(|(b, _)| b),
    )
}

/// The first kind of benign value the whole `text` (a variable's value) is, if any.
pub fn benign(text: &str) -> Option<&'static Benign> {
    kinds(text).next()
}

/// Whether a secret a detector captured is benign (a placeholder, a masked or example
/// value, ...): the kinds with [`Benign::in_captures`].
pub fn excuses_capture(text: &str) -> bool {
    kinds(text).any(|b| b.in_captures)
}

/// At most two distinct characters (`0000…`, `abab…`), from eight characters on: no secret
/// is that poor, and placeholders often are.
fn low_variety(text: &str) -> bool {
    let mut seen: Vec<char> = Vec::with_capacity(3);
    for c in text.chars() {
        if !seen.contains(&c) {
            seen.push(c);
            if seen.len() > 2 {
                return false;
            }
        }
    }
    text.chars().count() >= 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_benign_example_is_excused_and_no_counter_example_by_its_entry() {
        assert_eq!(COMPILED.len(), BENIGN.len());
        for (b, re) in BENIGN.iter().zip(COMPILED.iter()) {
            assert_eq!(benign(b.example).map(|x| x.id), Some(b.id), "{}", b.id);
            assert!(!re.is_match(b.counter_example), "{}: counter-example", b.id);
            assert!(
                benign(b.counter_example).is_none(),
                "{}: {}",
                b.id,
                b.counter_example
            );
        }
        assert_eq!(
            benign(LOW_VARIETY.example).map(|x| x.id),
            Some("low-variety")
        );
        assert!(benign(LOW_VARIETY.counter_example).is_none());
    }
}
