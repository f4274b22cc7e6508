//! What a variable's name says: split into words, does it suggest a secret, does it point at
//! one, does it say the value is public.

/// The name's words, upper-cased: split at anything that is not a letter or digit, and at
/// lower-to-upper case changes (`dbPassword` → `DB`, `PASSWORD`).
pub fn words(name: &str) -> Vec<String> {
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

/// Whether `word` is one of the name's words, or (for words of five letters or more) the
/// start or end of one: `PGPASSWORD` holds `PASSWORD`, `DATADOGKEY` holds `DATADOG`;
/// `ADDRESS` does not hold `DD`, nor `BYPASSWORDLESS` `PASSWORD`.
fn holds(name_words: &[String], word: &str) -> bool {
    name_words
        .iter()
        .any(|w| w == word || (word.len() >= 5 && (w.starts_with(word) || w.ends_with(word))))
}

/// Whether the name holds every word of `set`: each is one of its words or, from five
/// letters on, the start or end of one.
pub fn has_word_set(name_words: &[String], set: &[&str]) -> bool {
    set.iter().all(|w| holds(name_words, w))
}

/// Words that make a name suggest a secret, anywhere in the name (and inside compounds such
/// as `PGPASSWORD`, `AUTHTOKEN`, `APISECRET`).
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

/// Words that suggest a secret only as the name's last word (`DB_PASS`, `SMTP_PASS`,
/// `BASIC_AUTH`), where elsewhere they mean something else (`PASS_THROUGH`, `AUTH_MODE`).
const SECRET_LAST_WORDS: &[&str] = &["PASS", "AUTH", "SALT"];

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
    ("SECRET", "KEY"),
    ("APP", "KEY"),
    ("LICENSE", "KEY"),
    ("HMAC", "KEY"),
    ("SESSION", "KEY"),
];

/// Last words that make a secret-sounding name a pointer to the secret or a setting about it
/// (`DB_PASSWORD_ARN`, `SECRET_NAME`, `TOKEN_URL`, `TOKEN_TTL`, `ADMIN_PASSWORD_HASH`), not
/// the secret itself.
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
    "EXPIRES",
    "LENGTH",
    "HEADER",
    "REGION",
    "ENABLED",
    "DISABLED",
    "TYPE",
    "KEYID",
    "HASH",
    "DIGEST",
    "PREFIX",
    "SUFFIX",
    "FORMAT",
    "MODE",
    "SIZE",
    "COUNT",
    "VERSION",
    "LOCATION",
    "ALGORITHM",
    "ALG",
    "ISSUER",
    "AUDIENCE",
    "SCOPE",
    "SCOPES",
    "USER",
    "USERNAME",
    "LOGIN",
    "POLICY",
    "ROTATION",
    "DAYS",
    "SECONDS",
    "HOURS",
    "MINUTES",
    "BUCKET",
    "TABLE",
    "QUEUE",
    "TOPIC",
    "HOST",
    "PORT",
    "PROVIDER",
    "STRATEGY",
    "BACKEND",
    "SOURCE",
    "CACHE",
    "DIR",
    "LIMIT",
    "RETRIES",
    "INTERVAL",
    "NAMESPACE",
    "LAMBDA",
    "FUNCTION",
    "ROLE",
    "REGEX",
    "PATTERN",
    "ENC",
    "ENCRYPTED",
    "CIPHERTEXT",
];

/// Vendor tokens documented as public, by the words of their usual names: Segment's write key
/// (<https://segment.com/docs/connections/find-writekey/>: "safe to expose in client code"),
/// Mixpanel's project token (<https://docs.mixpanel.com/docs/orgs-and-projects/managing-projects#project-token>),
/// Firebase's web configuration (<https://firebase.google.com/docs/projects/api-keys>).
const PUBLIC_VENDOR_NAMES: &[&[&str]] =
    &[&["SEGMENT", "WRITE"], &["MIXPANEL", "TOKEN"], &["FIREBASE"]];

/// Words that say the value is meant to be public: a publishable key, a site key, a public
/// key (`STRIPE_PUBLISHABLE_KEY`, `RECAPTCHA_SITE_KEY`, `JWT_PUBLIC_KEY`).
const PUBLIC_WORDS: &[&str] = &["PUBLIC", "PUBLISHABLE", "PUB", "SITE"];

/// Last words that say how a value is encoded, not what it is (`DATA_KEY_HEX`,
/// `SIGNING_KEY_B64`, `TOKEN_VALUE`): dropped before the name is judged.
const ENCODING_WORDS: &[&str] = &[
    "HEX", "B64", "BASE64", "PEM", "DER", "RAW", "JSON", "STR", "STRING", "VALUE", "TEXT",
];

/// The name's words (as [`words`] gives them) without trailing encoding words.
pub(crate) fn core_words(mut w: Vec<String>) -> Vec<String> {
    while w.len() > 1
        && w.last()
            .is_some_and(|l| ENCODING_WORDS.contains(&l.as_str()))
    {
        w.pop();
    }
    w
}

/// Whether the name's words say the value is meant to be public: a public word, Algolia's
/// search-only key (meant for browsers:
/// <https://www.algolia.com/doc/guides/security/api-keys/#search-only-api-key>), or a vendor
/// token documented as public.
fn says_public(w: &[String]) -> bool {
    w.iter().any(|x| PUBLIC_WORDS.contains(&x.as_str()))
        || (holds(w, "ALGOLIA") && holds(w, "SEARCH"))
        || PUBLIC_VENDOR_NAMES.iter().any(|set| has_word_set(w, set))
}

/// Whether the variable's name suggests that it holds a secret.
pub fn name_suggests_secret(name: &str) -> bool {
    suggests_secret(&core_words(words(name)))
}

/// [`name_suggests_secret`] on the name's [`core_words`].
pub(crate) fn suggests_secret(w: &[String]) -> bool {
    let Some(last) = w.last() else {
        return false;
    };
    if POINTER_WORDS.contains(&last.as_str()) || says_public(w) {
        return false;
    }
    SECRET_WORDS.iter().any(|s| holds(w, s))
        || SECRET_LAST_WORDS.contains(&last.as_str())
        || w.windows(2)
            .any(|p| SECRET_PAIRS.contains(&(p[0].as_str(), p[1].as_str())))
}

/// Whether the name's last word, from its [`core_words`], is `KEY` (`STRIPE_KEY`, `JWT_KEY`):
/// a secret only when the value is a random-looking token, since `CACHE_KEY` or `S3_KEY`
/// name no secret.
pub(crate) fn ends_in_key(w: &[String]) -> bool {
    w.last().is_some_and(|l| l == "KEY") && !says_public(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_snake_and_camel_case() {
        assert_eq!(words("dbPassword"), ["DB", "PASSWORD"]);
        assert_eq!(words("STRIPE_API_KEY"), ["STRIPE", "API", "KEY"]);
        assert_eq!(words("client-secret.v2"), ["CLIENT", "SECRET", "V2"]);
    }

    #[test]
    fn names_that_hold_or_point_at_secrets() {
        for name in [
            "DB_PASSWORD",
            "PGPASSWORD",
            "MYSQL_PWD",
            "SMTP_PASS",
            "BASIC_AUTH",
            "GITHUB_AUTHTOKEN",
            "stripeSecretKey",
            "APP_KEY",
            "X_API_SECRET",
        ] {
            assert!(name_suggests_secret(name), "{name}");
        }
        for name in [
            "DB_PASSWORD_ARN",
            "SECRET_NAME",
            "TOKEN_URL",
            "ADMIN_PASSWORD_HASH",
            "PASS_THROUGH_HEADERS",
            "AUTH_MODE",
            "STRIPE_PUBLISHABLE_KEY",
            "RECAPTCHA_SITE_KEY",
            "ALGOLIA_SEARCH_API_KEY",
            "BYPASSWORDLESS_LOGIN_FLOW",
            "TABLE_NAME",
        ] {
            assert!(!name_suggests_secret(name), "{name}");
        }
    }

    #[test]
    fn short_words_match_only_whole() {
        let w = words("MAIL_ADDRESS");
        assert!(!has_word_set(&w, &["DD"]));
        assert!(has_word_set(&words("DATADOGKEY"), &["DATADOG"]));
    }
}
