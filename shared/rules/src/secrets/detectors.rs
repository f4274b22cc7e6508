//! The credential formats LW007 recognises in a value, as data: each [`Detector`] carries
//! its pattern, the literals that must occur before the pattern is tried, the variable names
//! it is limited to (formats too generic to judge without a name, such as 32 hexadecimal
//! digits), an example it must find, a counter-example it must not, and its source.
//!
//! The formats and their prefixes come from each vendor's documentation where it publishes
//! them (the `source` of each entry), and otherwise from the rule set of gitleaks
//! (<https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml>, MIT licence),
//! a maintained open rule set; detect-secrets' plugins
//! (<https://github.com/Yelp/detect-secrets/tree/master/detect_secrets/plugins>) were read
//! for the key=value and URL forms. Examples are assembled with `concat!` from pieces so that
//! no credential-shaped literal sits in the source.

use std::sync::{LazyLock, OnceLock};

use regex::Regex;

use super::names::has_word_set;

/// A name and value pair for a detector's example or counter-example.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    /// The environment variable's name.
    pub name: &'static str,
    /// Its value.
    pub value: &'static str,
}

/// A check run on the captured secret after the pattern matched, for formats a regular
/// expression cannot decide alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The pattern decides.
    None,
    /// The capture is base64 (RFC 4648 section 4) of `user-id:password` with a non-empty
    /// password (RFC 7617 section 2).
    BasicCredentials,
    /// The capture holds at least one ASCII letter and one digit (a token, not a word).
    LettersAndDigits,
}

/// One way of recognising a secret.
#[derive(Debug)]
pub struct Detector {
    /// The stable id shown in findings, e.g. `aws-access-key-id`.
    pub id: &'static str,
    /// What it recognises, for people.
    pub title: &'static str,
    /// `true` for a credential format (CRITICAL in LW007), `false` for the name heuristics
    /// (HIGH).
    pub known_format: bool,
    /// When not empty, the variable's name must hold every word of one of these sets
    /// (words as [`words`](super::names::words) splits them, upper case; a word also counts inside a compound
    /// such as `DATADOGKEY`).
    pub name_words: &'static [&'static [&'static str]],
    /// Words that, in the name, rule the detector out (`ALGOLIA_SEARCH_KEY` holds a public
    /// search-only key).
    pub unless_name: &'static [&'static str],
    /// Lower-case literals of which the value must contain one before the pattern is tried
    /// (none: the pattern is always tried, where the name allows).
    pub keywords: &'static [&'static str],
    /// The regular expression (Rust `regex` syntax). A group named `secret` (or `secret2`,
    /// for a second alternative) is the secret itself; otherwise the whole match is.
    pub pattern: &'static str,
    /// The check run on the secret after the pattern matched.
    pub check: Check,
    /// A variable the detector must find.
    pub example: Example,
    /// A variable the detector must not find.
    pub counter_example: Example,
    /// Where the format is documented.
    pub source: &'static str,
}

impl Detector {
    /// The stable id shown in findings.
    pub fn id(&self) -> &'static str {
        self.id
    }

    /// Whether the detector matched a known credential format (as opposed to a name and
    /// entropy heuristic).
    pub fn is_known_format(&self) -> bool {
        self.known_format
    }

    /// Whether the name allows this detector: it holds one of `name_words` (or none is
    /// required) and none of `unless_name`.
    pub(crate) fn applies_to(&self, name_words: &[String]) -> bool {
        (self.name_words.is_empty()
            || self
                .name_words
                .iter()
                .any(|set| has_word_set(name_words, set)))
            && !self
                .unless_name
                .iter()
                .any(|w| has_word_set(name_words, &[w]))
    }
}

/// The credential formats, tried in this order; the first that finds a secret which is not
/// benign ([`super::benign`]) decides.
pub static DETECTORS: &[Detector] = &[
    Detector {
        id: "aws-access-key-id",
        title: "AWS access key id",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["akia", "asia", "abia", "acca"],
        pattern: r##"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b"##,
        check: Check::None,
        example: Example {
            name: "UPLOAD_CONFIG",
            value: concat!("key=", "AKIA", "JGJJVTTFBFUJOAMZ", ";"),
        },
        counter_example: Example {
            name: "ORDER_REF",
            value: concat!("XAKIA", "3INNPY67QZIRSQDG"),
        },
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids",
    },
    Detector {
        id: "aws-secret-access-key",
        title: "AWS secret access key",
        known_format: true,
        name_words: &[&["SECRET", "ACCESS", "KEY"], &["AWS", "SECRET", "KEY"]],
        unless_name: &[],
        keywords: &[],
        pattern: r##"(?:^|[^A-Za-z0-9+/])(?P<secret>[A-Za-z0-9+/]{40})(?:$|[^A-Za-z0-9+/=])"##,
        check: Check::None,
        example: Example {
            name: "AWS_SECRET_ACCESS_KEY",
            value: concat!("NVMDcuPBwyIU", "K/XAp+pwTLHgfqKTnJykQQwP9F7W"),
        },
        counter_example: Example {
            name: "AWS_SECRET_ACCESS_KEY_ARN",
            value: concat!("arn:aws:secretsmanager:eu-west-1", ":111122223333:secret:ci-", "2U3jjJ"),
        },
        source: "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html",
    },
    Detector {
        id: "private-key",
        title: "PEM private key block",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["-----begin"],
        pattern: r##"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"##,
        check: Check::None,
        example: Example {
            name: "SIGNING_CERT",
            value: concat!("-----BEGIN ", "RSA PRIVATE", " KEY-----\\n", "EWSGyQVbjqtDjv1Tx5HEqWEPflg8z/zU", "xG8eCKaRD0ufspWMqFtigorhpJnxHGJT", "\\n-----END RSA PRIVATE KEY-----"),
        },
        counter_example: Example {
            name: "SIGNING_CERT",
            value: concat!("-----BEGIN PUBLIC KEY-----\\n", "oMJ4N0Ix0r7m/NNOtnJuvURmG3p8M9fy", "E6IBBZcPofp5C63iuge2bgE92q0sN1Fx", "\\n-----END PUBLIC KEY-----"),
        },
        source: "https://www.rfc-editor.org/rfc/rfc7468#section-10",
    },
    Detector {
        id: "jwt",
        title: "JSON Web Token",
        known_format: true,
        name_words: &[],
        unless_name: &["PUBLIC", "PUBLISHABLE", "ANON"],
        keywords: &["eyj"],
        pattern: r##"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"##,
        check: Check::None,
        example: Example {
            name: "SESSION",
            value: concat!("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", ".eyJzdWIiOiJvcmRlcnMtc3ZjIiwiZXh", "wIjoxOTAwMDAwMDAwfQ.", "KMdFFVwohLWL3AdRoOPdbCB_Feb9EZyF", "v6XE3nJiJYv"),
        },
        counter_example: Example {
            name: "SESSION",
            value: concat!("eyJhbGciOiJub25lIn0.eyJzdWIiOiJv", "cmRlcnMtc3ZjIn0."),
        },
        source: "https://www.rfc-editor.org/rfc/rfc7519#section-3.1",
    },
    Detector {
        id: "github-token",
        title: "GitHub token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"],
        pattern: r##"\b(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}\b|\bgithub_pat_[A-Za-z0-9_]{22,}"##,
        check: Check::None,
        example: Example {
            name: "GH_TOKEN",
            value: concat!("ghp_", "1nNNJpCfJ0YIZH0kmVZChwn4sAvYt7dz3Jho"),
        },
        counter_example: Example {
            name: "GH_DOCS",
            value: concat!("ghp_", "short"),
        },
        source: "https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/about-authentication-to-github#githubs-token-formats",
    },
    Detector {
        id: "gitlab-token",
        title: "GitLab token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["glpat-", "gldt-", "glrt-", "glptt-", "glcbt-", "gloas-", "glsoat-", "glft-", "glimt-", "glagent-"],
        pattern: r##"\bgl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_-]{20,}"##,
        check: Check::None,
        example: Example {
            name: "CI_DEPLOY",
            value: concat!("glpat", "-", "lmt6rr9zYXldltYLKeql"),
        },
        counter_example: Example {
            name: "CI_DEPLOY",
            value: concat!("glpat-", "settings"),
        },
        source: "https://docs.gitlab.com/security/tokens/#token-prefixes",
    },
    Detector {
        id: "slack-token",
        title: "Slack token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["xox", "xapp-"],
        pattern: r##"\bxox[abposre]-[A-Za-z0-9-]{10,}|\bxapp-[0-9]-[A-Za-z0-9-]{10,}"##,
        check: Check::None,
        example: Example {
            name: "CHAT",
            value: concat!("xoxb", "-", "312261948378", "-", "3668212642452", "-", "iZQflMuxhoUQz8FiY2oREsFX"),
        },
        counter_example: Example {
            name: "CHAT",
            value: "xoxb-",
        },
        source: "https://api.slack.com/concepts/token-types",
    },
    Detector {
        id: "slack-webhook",
        title: "Slack incoming webhook URL",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["hooks.slack.com"],
        pattern: r##"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,}"##,
        check: Check::None,
        example: Example {
            name: "ALERTS",
            value: concat!("https://hooks.slack", ".com/services/T", "G0M2BCX3GV", "/B", "P96QLQBDOL", "/", "vJ5KY8kMFep2HbKZvCBVyZzY"),
        },
        counter_example: Example {
            name: "ALERTS",
            value: "https://hooks.slack.com/",
        },
        source: "https://api.slack.com/messaging/webhooks",
    },
    Detector {
        id: "discord-webhook",
        title: "Discord webhook URL",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["discord"],
        pattern: r##"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,68}"##,
        check: Check::None,
        example: Example {
            name: "ALERTS",
            value: concat!("https://discord.com/api/", "webhooks/", "2085646820391942599", "/", "1UYcB82syn3hegcMT1vHpuabY11NaQPP", "GT-2TZdz5sHtdXx65kpWq8WRpScIT5o6", "e86b"),
        },
        counter_example: Example {
            name: "SUPPORT_LINK",
            value: concat!("https://discord.com/invite/", "iRpudMqO"),
        },
        source: "https://discord.com/developers/docs/resources/webhook#execute-webhook",
    },
    Detector {
        id: "teams-webhook",
        title: "Microsoft Teams incoming webhook URL",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["webhook.office.com", "outlook.office.com/webhook"],
        pattern: r##"https://[A-Za-z0-9.-]+\.webhook\.office\.com/webhookb2/[A-Za-z0-9@/-]{40,}|https://outlook\.office\.com/webhook/[A-Za-z0-9@/-]{40,}"##,
        check: Check::None,
        example: Example {
            name: "ALERTS",
            value: concat!("https://contoso.webhook", ".office.com/webhookb2/", "ac9bf18d", "-", "ec0f", "-", "c201", "-", "e43f", "-", "d7be567202f9", "@", "675ebfc9", "-", "9a58", "-", "4c97", "-", "566d", "-", "a2961e3572a5", "/IncomingWebhook/", "6611a622f57e1eb5445e2bd6b85cae0c", "/", "06478bca", "-", "bfd3", "-", "f53a", "-", "1e29", "-", "d92f94c3d9cc"),
        },
        counter_example: Example {
            name: "TEAMS_CHANNEL",
            value: concat!("https://teams.microsoft.com/l/ch", "annel/19%3a", "f8de58406789b1f9", "/General"),
        },
        source: "https://learn.microsoft.com/en-us/microsoftteams/platform/webhooks-and-connectors/how-to/add-incoming-webhook",
    },
    Detector {
        id: "stripe-secret-key",
        title: "Stripe secret, restricted or webhook signing key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_", "whsec_"],
        pattern: r##"\b(?:sk|rk)_(?:live|test|prod)_[A-Za-z0-9]{10,99}\b|\bwhsec_[A-Za-z0-9]{24,}"##,
        check: Check::None,
        example: Example {
            name: "PAYMENTS",
            value: concat!("sk_live", "_", "q2Y18sQzoMVNFWJv8gcMMgVT"),
        },
        counter_example: Example {
            name: "PAYMENTS",
            value: concat!("pk_live_", "upkFccbFfGzNuqJArF7U5ke0"),
        },
        source: "https://docs.stripe.com/keys",
    },
    Detector {
        id: "google-api-key",
        title: "Google API key",
        known_format: true,
        name_words: &[],
        unless_name: &["FIREBASE"],
        keywords: &["aiza"],
        pattern: r##"\bAIza[A-Za-z0-9_-]{35}"##,
        check: Check::None,
        example: Example {
            name: "MAPS",
            value: concat!("AIza", "U73c629FxKqrE74awaXojpShOCB8YMeb0bW"),
        },
        counter_example: Example {
            name: "MAPS",
            value: concat!("AIza", "Short"),
        },
        source: "https://cloud.google.com/docs/authentication/api-keys",
    },
    Detector {
        id: "openai-api-key",
        title: "OpenAI API key (legacy or project)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sk-proj-", "sk-svcacct-", "sk-admin-", "t3blbkfj"],
        pattern: r##"\bsk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}|\bsk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20}\b"##,
        check: Check::None,
        example: Example {
            name: "LLM",
            value: concat!("sk-proj-", "sSxGmQ3RfRd9NZawnN0nZPrBmCR81sng", "u4FeHfnjHS-q0WKPW5vwFqHPBb4aVl7A", "kuptE1aXk4", "T3Blbk", "FJ", "Pw2LHN6hVri15Z7pt_A4C2sS7ChkxjGw", "jvUtcEDAE-aORplNn9Nnrbx1tBbiwPbh", "1efAw1cxlj"),
        },
        counter_example: Example {
            name: "LLM",
            value: concat!("sk-", "R5LAk984h8gI"),
        },
        source: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml (rule openai-api-key)",
    },
    Detector {
        id: "anthropic-api-key",
        title: "Anthropic API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sk-ant-"],
        pattern: r##"\bsk-ant-(?:api|admin)[0-9]{2}-[A-Za-z0-9_-]{80,}"##,
        check: Check::None,
        example: Example {
            name: "LLM",
            value: concat!("sk-ant-", "api03-", "yTsOQlUUrMlJa8Cbn3gb523JUoZL15DS", "u_8iLViJUdoaGDmipZXthZc__sFnG1ps", "URTgyVhOD1snoSAF0l8QWMoIF2U_R", "AA"),
        },
        counter_example: Example {
            name: "LLM",
            value: concat!("sk-ant-", "api03"),
        },
        source: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml (rule anthropic-api-key)",
    },
    Detector {
        id: "npm-token",
        title: "npm access token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["npm_"],
        pattern: r##"\bnpm_[A-Za-z0-9]{36}\b"##,
        check: Check::None,
        example: Example {
            name: "REGISTRY",
            value: concat!("npm_", "omJgnGqsrXziMJUW3zeTkKBJ4Te9juA7MvKd"),
        },
        counter_example: Example {
            name: "REGISTRY",
            value: concat!("npm_", "install"),
        },
        source: "https://github.blog/security/announcing-npms-new-access-token-format/",
    },
    Detector {
        id: "sendgrid-api-key",
        title: "SendGrid API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sg."],
        pattern: r##"\bSG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}\b"##,
        check: Check::None,
        example: Example {
            name: "MAIL",
            value: concat!("SG", ".", "4TzZkbkKLAaLs8TlPlu_ws", ".", "mzGlZT6WkwmBEmvX1Ylb3joqBfKsUBXp", "XkRuBSIkkHj"),
        },
        counter_example: Example {
            name: "MAIL_VERSION",
            value: concat!("SG.", "v3"),
        },
        source: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml (rule sendgrid-api-token)",
    },
    Detector {
        id: "datadog-api-key",
        title: "Datadog API or application key",
        known_format: true,
        name_words: &[&["DD", "KEY"], &["DATADOG", "KEY"]],
        unless_name: &[],
        keywords: &[],
        pattern: r##"^[a-fA-F0-9]{32}$|^[a-fA-F0-9]{40}$"##,
        check: Check::None,
        example: Example {
            name: "DD_API_KEY",
            value: concat!("27fd157014b408e4", "bf38e3739d98da4d"),
        },
        counter_example: Example {
            name: "DD_VERSION",
            value: concat!("2f410cd677ed9dc77f24", "73bd88d584fc7ec9382a"),
        },
        source: "https://docs.datadoghq.com/account_management/api-app-keys/",
    },
    Detector {
        id: "new-relic-key",
        title: "New Relic user, insert or license key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["nrak-", "nrii-", "nral"],
        pattern: r##"\bNRAK-[A-Z0-9]{27}\b|\bNRII-[A-Za-z0-9_-]{32}\b|\b[a-f0-9]{36}NRAL\b"##,
        check: Check::None,
        example: Example {
            name: "NR_KEY",
            value: concat!("NRAK", "-", "Z87J8PJUU78VU5XLM4165GSGVJK"),
        },
        counter_example: Example {
            name: "NR_ACCOUNT",
            value: "NRAK-",
        },
        source: "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/",
    },
    Detector {
        id: "new-relic-license-key",
        title: "New Relic license key (40 hex characters)",
        known_format: true,
        name_words: &[&["NEW", "RELIC", "LICENSE"], &["NEWRELIC", "LICENSE"], &["NEW", "RELIC", "KEY"], &["NEWRELIC", "KEY"]],
        unless_name: &[],
        keywords: &[],
        pattern: r##"^[a-f0-9]{40}$"##,
        check: Check::None,
        example: Example {
            name: "NEW_RELIC_LICENSE_KEY",
            value: concat!("0f141a85ff37ea387f75", "78af13aa2cb16208f8cc"),
        },
        counter_example: Example {
            name: "NEW_RELIC_APP_NAME",
            value: "orders-api-prod",
        },
        source: "https://docs.newrelic.com/docs/apis/intro-apis/new-relic-api-keys/#license-key",
    },
    Detector {
        id: "algolia-admin-key",
        title: "Algolia admin or write API key",
        known_format: true,
        name_words: &[&["ALGOLIA"]],
        unless_name: &["SEARCH", "PUBLIC"],
        keywords: &[],
        pattern: r##"^[a-fA-F0-9]{32}$"##,
        check: Check::None,
        example: Example {
            name: "ALGOLIA_ADMIN_KEY",
            value: concat!("e6b274eed36d0c09", "e47ea7437cfdfe05"),
        },
        counter_example: Example {
            name: "ALGOLIA_SEARCH_KEY",
            value: concat!("2a3fa93acf1fd3de", "861557301da91cca"),
        },
        source: "https://www.algolia.com/doc/guides/security/api-keys/",
    },
    Detector {
        id: "twilio-auth-token",
        title: "Twilio auth token",
        known_format: true,
        name_words: &[&["TWILIO"]],
        unless_name: &["SID"],
        keywords: &[],
        pattern: r##"^[a-fA-F0-9]{32}$"##,
        check: Check::None,
        example: Example {
            name: "TWILIO_AUTH",
            value: concat!("26deaf516303b081", "8cb35166234c4041"),
        },
        counter_example: Example {
            name: "TWILIO_ACCOUNT",
            value: concat!("AC", "eb410ca4fa23b6e6", "7dcad5b8646d81ea"),
        },
        source: "https://www.twilio.com/docs/iam/api/authtoken",
    },
    Detector {
        id: "azure-storage-account-key",
        title: "Azure storage account key in a connection string",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["accountkey="],
        pattern: r##"(?i)AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)"##,
        check: Check::None,
        example: Example {
            name: "STORAGE",
            value: concat!("DefaultEndpointsProtocol=https;A", "ccountName=ordersprod;Account", "Key=", "UpSiPnsBHbk2xrUvRTyMxvKJj/GvZ9w1", "hhiquQWJus9OKkkeJc++CmUBJeLaAE0D", "FmLDxQJa0H4VcZp2qo8Go+", "==;EndpointSuffix=core.windows.net"),
        },
        counter_example: Example {
            name: "STORAGE",
            value: concat!("DefaultEndpointsProtocol=https;A", "ccountName=ordersprod;EndpointSu", "ffix=core.windows.net"),
        },
        source: "https://learn.microsoft.com/en-us/azure/storage/common/storage-configure-connection-string",
    },
    Detector {
        id: "azure-shared-access-key",
        title: "Azure Service Bus / Event Hubs shared access key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sharedaccesskey="],
        pattern: r##"(?i)SharedAccessKey=(?P<secret>[A-Za-z0-9+/]{42,}=?)"##,
        check: Check::None,
        example: Example {
            name: "BUS",
            value: concat!("Endpoint=sb://orders.servicebus.", "windows.net/;SharedAccessKeyName", "=RootManageSharedAccessKey;Share", "dAccess", "Key=", "aVYc+IY7u4CJljnlGyXprjk0RnSATy2e", "pClToQyLsmu", "="),
        },
        counter_example: Example {
            name: "BUS",
            value: concat!("Endpoint=sb://orders.servicebus.", "windows.net/;SharedAccessKeyName", "=RootManageSharedAccessKey"),
        },
        source: "https://learn.microsoft.com/en-us/azure/service-bus-messaging/service-bus-sas",
    },
    Detector {
        id: "url-credential",
        title: "Credential in a URL query (signature, API key, token, secret, password)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sig=", "signature=", "key=", "token=", "secret=", "password="],
        pattern: r##"(?i)[?&](?:sig|x-amz-signature|signature|api[_-]?key|apikey|access[_-]?token|auth[_-]?token|token|client[_-]?secret|secret|password|key)=(?P<secret>[A-Za-z0-9%+/=_.-]{16,})"##,
        check: Check::LettersAndDigits,
        example: Example {
            name: "EXPORT",
            value: concat!("https://orders.blob.core.windows", ".net/exports?sv=2022-11-02&ss=b&", "srt=o&sp=r&se=2027-01-01T00:00:0", "0Z&", "sig=", "pwqDzHLaAiAIv1IuZtHU94nFnXtqGe", "%3D"),
        },
        counter_example: Example {
            name: "EXPORT",
            value: concat!("https://orders.blob.core.windows", ".net/exports?sv=2022-11-02&sig="),
        },
        source: "https://learn.microsoft.com/en-us/rest/api/storageservices/create-service-sas",
    },
    Detector {
        id: "connection-string-password",
        title: "Password in a key=value connection string (JDBC, ADO.NET, ODBC)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["password", "pwd", "passwd", "pass"],
        pattern: r##"(?i)(?:^|[;?&:\s])\s*(?:password|pwd|passwd|pass)\s*=\s*(?P<secret>"[^"]+"|'[^']+'|\{[^}]+\}|[^;&\s"']+)"##,
        check: Check::None,
        example: Example {
            name: "DB",
            value: concat!("jdbc:sqlserver://db.internal:143", "3;databaseName=orders;user=app;p", "ass", "word=", "cxefIO2W5ST5Qc", ";encrypt=true"),
        },
        counter_example: Example {
            name: "DB",
            value: concat!("Server=tcp:orders.database.windo", "ws.net,1433;Database=orders;Auth", "entication=Active Directory Mana", "ged Identity;"),
        },
        source: "https://learn.microsoft.com/en-us/dotnet/api/system.data.sqlclient.sqlconnection.connectionstring",
    },
    Detector {
        id: "url-password",
        title: "Password in a URL (scheme://user:password@host)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["://"],
        pattern: r##"[A-Za-z][A-Za-z0-9+.-]*://[^:/?#@\s]*:(?P<secret>[^@/?#\s]+)@"##,
        check: Check::None,
        example: Example {
            name: "DATABASE_URL",
            value: concat!("postgres://app:", "yiZ1BzTYdzBm", "@db.internal:5432/orders"),
        },
        counter_example: Example {
            name: "DATABASE_URL",
            value: concat!("postgres://app:${DB_PASSWORD}@db", ".internal:5432/orders"),
        },
        source: "https://www.rfc-editor.org/rfc/rfc3986#section-3.2.1",
    },
    Detector {
        id: "oracle-connect-password",
        title: "Password in an Oracle JDBC thin URL (user/password@host)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["jdbc:oracle"],
        pattern: r##"(?i)jdbc:oracle:thin:[A-Za-z0-9_$#]+/(?P<secret>[^@\s]+)@"##,
        check: Check::None,
        example: Example {
            name: "DB",
            value: concat!("jdbc:oracle:thin:app/", "jmQRonoI4Dv2", "@db.internal:1521:ORCL"),
        },
        counter_example: Example {
            name: "DB",
            value: "jdbc:oracle:thin:@db.internal:1521:ORCL",
        },
        source: "https://docs.oracle.com/en/database/oracle/oracle-database/19/jjdbc/data-sources-and-URLs.html",
    },
    Detector {
        id: "basic-auth-header",
        title: "HTTP Basic credentials (Authorization: Basic ...)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["basic"],
        pattern: r##"(?i)(?:^|[\s:=])Basic(?:\s+|%20)(?P<secret>[A-Za-z0-9+/]{6,}={0,2})(?:$|[\s;,&])"##,
        check: Check::BasicCredentials,
        example: Example {
            name: "UPSTREAM_AUTH",
            value: concat!("Basic ", "b3JkZXJzOmh1bnRlcjItcHJvZA=="),
        },
        counter_example: Example {
            name: "HELP_TEXT",
            value: "Basic configuration only",
        },
        source: "https://www.rfc-editor.org/rfc/rfc7617#section-2",
    },
    Detector {
        id: "bearer-token-header",
        title: "Bearer token (Authorization: Bearer ...)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["bearer", "token", "apikey"],
        pattern: r##"(?i)(?:^|[\s:=])(?:Bearer|Token|ApiKey)(?:\s+|%20)(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)(?:$|[\s;,&])"##,
        check: Check::LettersAndDigits,
        example: Example {
            name: "UPSTREAM_AUTH",
            value: concat!("Authorization: Bearer ", "rONuwoVbW2IwVfbjin069kRKgFsAjsEP"),
        },
        counter_example: Example {
            name: "UPSTREAM_AUTH_DOC",
            value: concat!("Bearer authentication is require", "d for every request"),
        },
        source: "https://www.rfc-editor.org/rfc/rfc6750#section-2.1",
    },
    Detector {
        id: "config-secret-field",
        title: "Secret field in a JSON, YAML, dotenv or INI value (password, secret, token, API key, credentials)",
        known_format: true,
        name_words: &[],
        unless_name: &["FIREBASE"],
        keywords: &["password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "credential"],
        pattern: r##"(?im)(?:^|[\s{,;"'])["']?[A-Za-z0-9_.-]*(?:password|passwd|pwd|secret|token|api[_-]?key|apikey|credentials?)["']?[ \t]*[:=][ \t]*["']?(?P<secret>[^\s"',;}]{6,})"##,
        check: Check::None,
        example: Example {
            name: "APP_CONFIG",
            value: concat!("database:\n  host: db.internal\n  pass", "word: \"", "p3FOFCRXux25", "B2pe\"\n"),
        },
        counter_example: Example {
            name: "APP_CONFIG",
            value: "{\"token_url\": \"https://auth.example.com/oauth2/token\", \"password_min_length\": 12}",
        },
        source: "https://docs.aws.amazon.com/secretsmanager/latest/userguide/reference_secret_json_structure.html",
    },
    Detector {
        id: "netrc-password",
        title: "Password in a .netrc entry (machine ... login ... password ...)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["machine"],
        pattern: r##"(?i)\bmachine\s+\S+\s+login\s+\S+\s+password\s+(?P<secret>\S+)"##,
        check: Check::None,
        example: Example {
            name: "NETRC",
            value: concat!("machine api.example.com\n  login ops@example.com\n  pass", "word 61aea88c-d04b-", "4a80-b9f2-120729f6ea47\n"),
        },
        counter_example: Example {
            name: "NETRC_HOST",
            value: "machine api.example.com",
        },
        source: "https://www.gnu.org/software/inetutils/manual/html_node/The-_002enetrc-file.html",
    },
    Detector {
        id: "dsn-password",
        title: "Password in a Go MySQL DSN (user:password@tcp(host)/db) or an Oracle EZConnect string (user/password@host/service)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["@tcp(", "@unix(", "@udp(", "@//", ":1521/"],
        pattern: r##"(?:^|[\s"'])[A-Za-z0-9_.-]+:(?P<secret>[^@\s/]+)@(?:tcp|unix|udp)\(|^[A-Za-z0-9_$#]+/(?P<secret2>[^@\s/]+)@(?://)?[A-Za-z0-9.-]+(?::[0-9]+)?/"##,
        check: Check::None,
        example: Example {
            name: "DSN",
            value: concat!("reporting:", "xIqCrKVrs6#vq", "@tcp(mysql.internal:3306)/analytics"),
        },
        counter_example: Example {
            name: "DSN",
            value: "reporting@tcp(mysql.internal:3306)/analytics",
        },
        source: "https://github.com/go-sql-driver/mysql#dsn-data-source-name",
    },
    Detector {
        id: "docker-auth",
        title: "Registry credentials in a Docker config (\"auth\": base64 of user:password)",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["\"auth\""],
        pattern: r##""auth"\s*:\s*"(?P<secret>[A-Za-z0-9+/]{8,}={0,2})""##,
        check: Check::BasicCredentials,
        example: Example {
            name: "DOCKER_AUTH_CONFIG",
            value: concat!("{\"auths\": {\"registry.example.com\": {\"auth\": \"", "b3JkZXJzOmh1bnRlcjIt", "cHJvZA==\"}}}"),
        },
        counter_example: Example {
            name: "DOCKER_AUTH_CONFIG",
            value: "{\"auths\": {\"registry.example.com\": {\"auth\": \"configuration\"}}}",
        },
        source: "https://docs.docker.com/reference/cli/docker/login/#credential-stores",
    },
    Detector {
        id: "splunk-hec-token",
        title: "Splunk HTTP Event Collector token (a UUID under a Splunk or HEC name)",
        known_format: true,
        name_words: &[&["SPLUNK"], &["HEC"]],
        unless_name: &["URL", "ENDPOINT", "INDEX", "HOST", "CHANNEL"],
        keywords: &[],
        pattern: r##"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"##,
        check: Check::None,
        example: Example {
            name: "SPLUNK_HEC",
            value: concat!("0295a736-a70a-", "477c-a3ea-3beac261b0ea"),
        },
        counter_example: Example {
            name: "SPLUNK_HEC_URL",
            value: "https://hec.example.com:8088/services/collector",
        },
        source: "https://docs.splunk.com/Documentation/Splunk/latest/Data/UsetheHTTPEventCollector",
    },
    Detector {
        id: "vault-token",
        title: "HashiCorp Vault token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["hvs.", "hvb.", "hvr."],
        pattern: r##"\bhv[sbr]\.[A-Za-z0-9_-]{24,}"##,
        check: Check::None,
        example: Example {
            name: "VAULT",
            value: concat!("hvs", ".", "dMqW1B6HQfxc5BmIZJsWSBslM9_zcKy7", "kuhdmgIkswMlD6edtmBYqU5Z4fE9B-ZL", "8jUJ3FyeD7WAUFvz6iZTTQe7is"),
        },
        counter_example: Example {
            name: "VAULT_ADDR_NOTE",
            value: "hvs.short",
        },
        source: "https://developer.hashicorp.com/vault/docs/concepts/tokens#token-prefixes",
    },
    Detector {
        id: "terraform-cloud-token",
        title: "HCP Terraform API token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["atlasv1"],
        pattern: r##"\b[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}"##,
        check: Check::None,
        example: Example {
            name: "TFC",
            value: concat!("rydQPLQ1yGkeeH", ".atlas", "v1.", "jRKyFQQPOFNLmy3ZpfgEmJnhbNluIHuH", "v83lxvvcqy0l4YryzJJKhJywqY0npEUE", "lNo"),
        },
        counter_example: Example {
            name: "TFC",
            value: "app.terraform.io/atlasv1",
        },
        source: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml (rule hashicorp-tf-api-token)",
    },
    Detector {
        id: "shopify-token",
        title: "Shopify access token or shared secret",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["shpat_", "shpca_", "shppa_", "shpss_"],
        pattern: r##"\bshp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}\b"##,
        check: Check::None,
        example: Example {
            name: "SHOP",
            value: concat!("shpat", "_", "bc653062ef573deb0ad9f0ef1445bbd2"),
        },
        counter_example: Example {
            name: "SHOP",
            value: concat!("shpat_", "none"),
        },
        source: "https://shopify.dev/docs/apps/build/authentication-authorization/access-tokens",
    },
    Detector {
        id: "huggingface-token",
        title: "Hugging Face access token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["hf_"],
        pattern: r##"\bhf_[A-Za-z]{34}\b"##,
        check: Check::None,
        example: Example {
            name: "HF",
            value: concat!("hf_", "iEaomwIznoAXpbnOUhYYKryDdEdSJYlgCo"),
        },
        counter_example: Example {
            name: "HF_HOME",
            value: "hf_cache",
        },
        source: "https://huggingface.co/docs/hub/security-tokens",
    },
    Detector {
        id: "databricks-token",
        title: "Databricks personal access token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["dapi"],
        pattern: r##"\bdapi[a-f0-9]{32}(?:-[0-9])?\b"##,
        check: Check::None,
        example: Example {
            name: "DBX",
            value: concat!("dapi", "5e368207bec950c7c2f2119bd86d1f88"),
        },
        counter_example: Example {
            name: "DBX",
            value: concat!("dapi", "-v2"),
        },
        source: "https://docs.databricks.com/en/dev-tools/auth/pat.html",
    },
    Detector {
        id: "digitalocean-token",
        title: "DigitalOcean token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["doo_v1_", "dop_v1_", "dor_v1_"],
        pattern: r##"\bdo[opr]_v1_[a-f0-9]{64}\b"##,
        check: Check::None,
        example: Example {
            name: "DO",
            value: concat!("dop_v1", "_", "973162956da09cdc77c43b260257ecdb", "037230658be2420f4da6b140e977b74e"),
        },
        counter_example: Example {
            name: "DO",
            value: "dop_v1_",
        },
        source: "https://docs.digitalocean.com/reference/api/create-personal-access-token/",
    },
    Detector {
        id: "pypi-token",
        title: "PyPI upload token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["pypi-ageichlwas5vcmc"],
        pattern: r##"\bpypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"##,
        check: Check::None,
        example: Example {
            name: "PUBLISH",
            value: concat!("pypi-AgEIcHlwaS5vcmc", "pfuyXttqbErvVayRveV-n8uzXeRKyD3r", "PtCmwFb7_IgK84m1GOoV4TgzQ_RB8BLM", "bHQJKB"),
        },
        counter_example: Example {
            name: "PUBLISH",
            value: "pypi-upload",
        },
        source: "https://pypi.org/help/#apitoken",
    },
    Detector {
        id: "postman-api-key",
        title: "Postman API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["pmak-"],
        pattern: r##"\bPMAK-[a-f0-9]{24}-[a-f0-9]{34}\b"##,
        check: Check::None,
        example: Example {
            name: "POSTMAN",
            value: concat!("PMAK", "-", "8e809874ac05e6e61a2d7a4c", "-", "17888ebbdd20927b6777c696729268e0ca"),
        },
        counter_example: Example {
            name: "POSTMAN",
            value: "PMAK-",
        },
        source: "https://learning.postman.com/docs/developer/postman-api/authentication/",
    },
    Detector {
        id: "linear-api-key",
        title: "Linear API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["lin_api_"],
        pattern: r##"\blin_api_[A-Za-z0-9]{40}\b"##,
        check: Check::None,
        example: Example {
            name: "LINEAR",
            value: concat!("lin_api", "_", "cz0SaxSxq6BrIN23xmcXWBLjJGe7Mshb6p9E8czp"),
        },
        counter_example: Example {
            name: "LINEAR",
            value: "lin_api_",
        },
        source: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml (rule linear-api-key)",
    },
    Detector {
        id: "pulumi-token",
        title: "Pulumi access token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["pul-"],
        pattern: r##"\bpul-[a-f0-9]{40}\b"##,
        check: Check::None,
        example: Example {
            name: "PULUMI",
            value: concat!("pul", "-", "d3708b2ac2a9ad1651bf5c30134790495bcc18d1"),
        },
        counter_example: Example {
            name: "PULUMI",
            value: "pul-",
        },
        source: "https://www.pulumi.com/docs/pulumi-cloud/access-management/access-tokens/",
    },
    Detector {
        id: "doppler-token",
        title: "Doppler token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["dp."],
        pattern: r##"\bdp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}\b"##,
        check: Check::None,
        example: Example {
            name: "DOPPLER",
            value: concat!("dp.pt", ".", "774WSTzT2Pbn2arxVgvls20BUeNw3sCA", "XIKxNjPLbPk"),
        },
        counter_example: Example {
            name: "DOPPLER",
            value: "dp.pt.",
        },
        source: "https://docs.doppler.com/reference/auth-token-formats",
    },
    Detector {
        id: "grafana-token",
        title: "Grafana API key, cloud or service-account token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["glc_", "glsa_", "eyjrijoi"],
        pattern: r##"\bglc_[A-Za-z0-9+/]{32,}={0,3}|\bglsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}\b|\beyJrIjoi[A-Za-z0-9]{70,}={0,3}"##,
        check: Check::None,
        example: Example {
            name: "GRAFANA",
            value: concat!("glsa", "_", "ldz1mAcnpmnu525GP2m5lZVP0fPqCON5", "_", "fef8486e"),
        },
        counter_example: Example {
            name: "GRAFANA",
            value: "glsa_",
        },
        source: "https://grafana.com/docs/grafana/latest/administration/service-accounts/",
    },
    Detector {
        id: "sentry-token",
        title: "Sentry auth token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sntry"],
        pattern: r##"\bsntry[us]_[A-Za-z0-9+/=_]{40,}"##,
        check: Check::None,
        example: Example {
            name: "SENTRY",
            value: concat!("sntryu", "_", "c99aa7de7ffb3e76878465063340360a", "e17a57993be4b07366dd206d3bf7932d"),
        },
        counter_example: Example {
            name: "SENTRY_DSN",
            value: concat!("https://", "f2a58568d4bb98455f1c999fa569bcb4", "@o4500.ingest.sentry.io/4501"),
        },
        source: "https://docs.sentry.io/account/auth-tokens/",
    },
    Detector {
        id: "age-secret-key",
        title: "age secret key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["age-secret-key-1"],
        pattern: r##"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"##,
        check: Check::None,
        example: Example {
            name: "AGE",
            value: concat!("AGE-SECRET", "-KEY-1", "SQP6HKS6CCK9H44YY8RLVAKC2EUJWJGT", "HYRQS397CGQ4HWFYNTSNQ4RKN7"),
        },
        counter_example: Example {
            name: "AGE_RECIPIENT",
            value: concat!("age1", "avgtvcwzsgqmdtgwghdjpc7cq59qjs9z", "rqydyv8atvsx9vu5r36pn8x75t"),
        },
        source: "https://age-encryption.org/v1",
    },
    Detector {
        id: "heroku-api-key",
        title: "Heroku API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["hrku-aa"],
        pattern: r##"\bHRKU-AA[0-9a-zA-Z_-]{58}\b"##,
        check: Check::None,
        example: Example {
            name: "HEROKU",
            value: concat!("HRKU", "-AA", "0qmGcMh2X8q--O8GpQ-BRIaUX2A0P4Cm", "aCgHnttvzmAnTPLO6r6FlEvdQO"),
        },
        counter_example: Example {
            name: "HEROKU_APP",
            value: "HRKU-app",
        },
        source: "https://devcenter.heroku.com/articles/authentication",
    },
    Detector {
        id: "atlassian-api-token",
        title: "Atlassian API token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["atatt3"],
        pattern: r##"\bATATT3[A-Za-z0-9_=-]{180,}"##,
        check: Check::None,
        example: Example {
            name: "JIRA",
            value: concat!("ATATT3", "1rSY2ACgvaJhe2WADR6ZF0gsPj-k2tx0", "76CG6ybwN0F245kn05jA4b3LbNtVKtBE", "wVGzyAI0BrNvqJZb02wJuPHrW9Hup_si", "Br06h9fNIqlR_aZnXLx16BxbotPm38aZ", "AmCBcHy5PviNm84rJfGULkIuf4paBncZ", "CM9Iu6iGZkWn1LACMEFkNW5ue6"),
        },
        counter_example: Example {
            name: "JIRA",
            value: "ATATT3short",
        },
        source: "https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-account/",
    },
    Detector {
        id: "square-token",
        title: "Square access token or application secret",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["eaaa", "sq0atp-", "sq0csp-"],
        pattern: r##"\b(?:EAAA|sq0atp-|sq0csp-)[A-Za-z0-9_-]{22,60}\b"##,
        check: Check::None,
        example: Example {
            name: "SQUARE",
            value: concat!("sq0csp", "-", "TmSkOAq4aLlJlvY4-wUhx6wXXR1FEKM1", "Cy7kJ3IA4_6"),
        },
        counter_example: Example {
            name: "SQUARE_APP",
            value: concat!("sq0idp-", "TO712IIdzs7whEuOaKg33E"),
        },
        source: "https://developer.squareup.com/docs/build-basics/access-tokens",
    },
    Detector {
        id: "mailgun-api-key",
        title: "Mailgun private API key",
        known_format: true,
        name_words: &[&["MAILGUN"]],
        unless_name: &[],
        keywords: &["key-"],
        pattern: r##"\bkey-[a-f0-9]{32}\b"##,
        check: Check::None,
        example: Example {
            name: "MAILGUN",
            value: concat!("key", "-", "1d7f1952fefe915186988c057afbd8c0"),
        },
        counter_example: Example {
            name: "MAILGUN_DOMAIN",
            value: "mg.example.com",
        },
        source: "https://documentation.mailgun.com/docs/mailgun/api-reference/authentication/",
    },
    Detector {
        id: "mailchimp-api-key",
        title: "Mailchimp API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["-us"],
        pattern: r##"\b[a-f0-9]{32}-us[0-9]{1,2}\b"##,
        check: Check::None,
        example: Example {
            name: "NEWSLETTER",
            value: concat!("644f1136d53019ec44616e2e90f7bd90", "-us", "21"),
        },
        counter_example: Example {
            name: "NEWSLETTER",
            value: "-us21",
        },
        source: "https://mailchimp.com/developer/marketing/guides/quick-start/#generate-your-api-key",
    },
    Detector {
        id: "telegram-bot-token",
        title: "Telegram bot token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &[":aa"],
        pattern: r##"\b[0-9]{8,10}:AA[A-Za-z0-9_-]{33}\b"##,
        check: Check::None,
        example: Example {
            name: "BOT",
            value: concat!("7813758715", ":AA", "L6Ae2Hpkg3SirkUarqUGWeXz5kmaPn59O"),
        },
        counter_example: Example {
            name: "BOT",
            value: "1234:AA",
        },
        source: "https://core.telegram.org/bots/api#authorizing-your-bot",
    },
    Detector {
        id: "azure-ad-client-secret",
        title: "Microsoft Entra ID client secret",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["q~"],
        pattern: r##"(?:^|[^A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?:$|[^A-Za-z0-9_~.-])"##,
        check: Check::None,
        example: Example {
            name: "ENTRA",
            value: concat!("2Xa", "8Q", "~", "HbQxlNl8Ly8Jp5gDqvHsoL1le5QGDIjGAN"),
        },
        counter_example: Example {
            name: "ENTRA",
            value: "abc8Q~short",
        },
        source: "https://github.com/gitleaks/gitleaks/blob/master/config/gitleaks.toml (rule azure-ad-client-secret)",
    },
    Detector {
        id: "aws-bedrock-api-key",
        title: "Amazon Bedrock API key",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["absk"],
        pattern: r##"\bABSK[A-Za-z0-9+/]{109,269}={0,2}"##,
        check: Check::None,
        example: Example {
            name: "BEDROCK",
            value: concat!("ABSK", "w8mQJtCjIoPRjE+qnx+TSakG5vCTTxdB", "ZGSCKvTbC0ndgotyzNaOkh/D5f/nTeMA", "r6dfxenwfs6bL2rjHx28KJW4J9X+QixT", "W3nPP2ZbueBVaCHZrOvxQRjjh3UTTTqR", "NRgp"),
        },
        counter_example: Example {
            name: "BEDROCK",
            value: concat!("ABSK", "short"),
        },
        source: "https://docs.aws.amazon.com/bedrock/latest/userguide/api-keys.html",
    },
    Detector {
        id: "mapbox-secret-token",
        title: "Mapbox secret token",
        known_format: true,
        name_words: &[],
        unless_name: &[],
        keywords: &["sk.eyj"],
        pattern: r##"\bsk\.eyJ[A-Za-z0-9_-]{20,}\.[A-Za-z0-9_-]{20,}"##,
        check: Check::None,
        example: Example {
            name: "MAPS",
            value: concat!("sk.", "eyJ1Ijoib3JkZXJzIiwiYSI6ImNsM", ".", "gklWg3_p0p5HTqY5-tQC7W"),
        },
        counter_example: Example {
            name: "MAPS",
            value: concat!("pk.", "eyJ1Ijoib3JkZXJzIiwiYSI6ImNsM", ".", "rUZgxI7doZErD9jeym3xX0"),
        },
        source: "https://docs.mapbox.com/accounts/guides/tokens/",
    },
    Detector {
        id: "discord-bot-token",
        title: "Discord bot token",
        known_format: true,
        name_words: &[&["DISCORD"]],
        unless_name: &[],
        keywords: &[],
        pattern: r##"\b[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}\b"##,
        check: Check::None,
        example: Example {
            name: "DISCORD_BOT",
            value: concat!("M", "asGxV8tMH3rlUlGkpRvyKWwuv", ".", "ssSmAR", ".", "1PX87IW4xfipdoo_FWLbvdxGjEc110ZFRJgsiH"),
        },
        counter_example: Example {
            name: "DISCORD_GUILD",
            value: "729710211808489577",
        },
        source: "https://discord.com/developers/docs/reference#authentication",
    },
    Detector {
        id: "cloudflare-api-token",
        title: "Cloudflare API token",
        known_format: true,
        name_words: &[&["CLOUDFLARE"], &["CF", "TOKEN"]],
        unless_name: &[],
        keywords: &[],
        pattern: r##"^[A-Za-z0-9_-]{40}$"##,
        check: Check::None,
        example: Example {
            name: "CLOUDFLARE_API_TOKEN",
            value: concat!("OZtd5KJSBCQxrow5rDe4", "JkwWYLe8WFzkX-z8TA3C"),
        },
        counter_example: Example {
            name: "CLOUDFLARE_ZONE",
            value: "0c316a90ffee0e922469e462edae80d5",
        },
        source: "https://developers.cloudflare.com/fundamentals/api/get-started/create-token/",
    },
    Detector {
        id: "okta-api-token",
        title: "Okta API token",
        known_format: true,
        name_words: &[&["OKTA"]],
        unless_name: &[],
        keywords: &[],
        pattern: r##"^00[A-Za-z0-9_-]{40}$"##,
        check: Check::None,
        example: Example {
            name: "OKTA",
            value: concat!("00", "LuqND3nlhzsdwOZ8Rnm5p7EdPWNMuOI6URKNutY5"),
        },
        counter_example: Example {
            name: "OKTA_ORG",
            value: "https://example.okta.com",
        },
        source: "https://developer.okta.com/docs/guides/create-an-api-token/main/",
    },
];

/// A random-looking value (Shannon entropy of at least
/// [`super::ENTROPY_BITS_PER_CHAR`] over [`super::ENTROPY_MIN_CHARS`] characters or more)
/// under a secret-suggesting name.
pub static HIGH_ENTROPY: Detector = Detector {
    id: "high-entropy",
    title: "Random-looking value under a secret-suggesting name",
    known_format: false,
    name_words: &[],
    unless_name: &[],
    keywords: &[],
    pattern: "",
    check: Check::None,
    example: Example {
        name: "apiKey",
        value: concat!("9f8e7d6c5b4a", "39281706f5e4d3c2b1a0"),
    },
    counter_example: Example {
        name: "API_KEY_HEADER",
        value: "x-api-key-for-orders",
    },
    source: "https://github.com/Yelp/detect-secrets/blob/master/detect_secrets/plugins/high_entropy_strings.py",
};

/// A secret-suggesting name whose value is neither a reference, nor benign, nor random.
pub static SECRET_NAME: Detector = Detector {
    id: "secret-name",
    title: "Value under a secret-suggesting name",
    known_format: false,
    name_words: &[],
    unless_name: &[],
    keywords: &[],
    pattern: "",
    check: Check::None,
    example: Example {
        name: "DB_PASSWORD",
        value: concat!("hunter2", "hunter2"),
    },
    counter_example: Example {
        name: "DB_PASSWORD",
        value: "changeme",
    },
    source: "https://github.com/Yelp/detect-secrets/blob/master/detect_secrets/plugins/keyword.py",
};

/// The compiled patterns, in the order of [`DETECTORS`], each compiled the first time a value
/// passes its keywords and names (compiling all 56 at once costs about 10 ms, a cold start's
/// worth; most processes need a few). Every pattern is a constant tested to compile
/// (`every_pattern_compiles_and_ids_are_unique`), so the `expect` cannot fail in a released
/// build.
static COMPILED: LazyLock<Vec<OnceLock<Regex>>> =
    LazyLock::new(|| DETECTORS.iter().map(|_| OnceLock::new()).collect());

fn compiled(i: usize) -> &'static Regex {
    COMPILED[i].get_or_init(|| {
        Regex::new(DETECTORS[i].pattern).expect("detector patterns are tested to compile")
    })
}

/// The first detector that finds a secret in `value` which `benign` does not excuse.
/// `name_words` are the variable name's [`words`](super::names::words).
pub(crate) fn find(
    name_words: &[String],
    value: &str,
    benign: impl Fn(&str) -> bool,
) -> Option<&'static Detector> {
    let lower = value.to_ascii_lowercase();
    DETECTORS.iter().enumerate().find_map(|(i, d)| {
        let keyed = d.keywords.is_empty() || d.keywords.iter().any(|k| lower.contains(k));
        if !keyed || !d.applies_to(name_words) {
            return None;
        }
        compiled(i)
            .captures_iter(value)
            .any(|c| {
                let secret = c
                    .name("secret")
                    .or_else(|| c.get(0))
                    .map_or("", |m| m.as_str());
                let secret = unwrap_quotes(secret);
                !secret.is_empty() && passes(d.check, secret) && !benign(secret)
            })
            .then_some(d)
    })
}

/// The text inside one pair of quotes or braces around it (ODBC writes `PWD={...}`).
fn unwrap_quotes(s: &str) -> &str {
    for (open, close) in [('"', '"'), ('\'', '\''), ('{', '}')] {
        if let Some(inner) = s.strip_prefix(open).and_then(|r| r.strip_suffix(close)) {
            return inner;
        }
    }
    s
}

fn passes(check: Check, secret: &str) -> bool {
    match check {
        Check::None => true,
        Check::LettersAndDigits => {
            secret.bytes().any(|b| b.is_ascii_alphabetic())
                && secret.bytes().any(|b| b.is_ascii_digit())
        }
        Check::BasicCredentials => base64_decode(secret)
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.split_once(':').map(|(_, pw)| !pw.is_empty()))
            .unwrap_or(false),
    }
}

/// Decodes standard base64 (RFC 4648 section 4, padding optional); `None` on any other byte.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0u32;
    for b in text.trim_end_matches('=').bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).ok()?);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_compiles_and_ids_are_unique() {
        assert_eq!(COMPILED.len(), DETECTORS.len());
        for i in 0..DETECTORS.len() {
            compiled(i);
        }
        let mut ids: Vec<_> = DETECTORS.iter().map(|d| d.id).collect();
        ids.extend([HIGH_ENTROPY.id, SECRET_NAME.id]);
        let n = ids.len();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), n, "detector ids must be unique");
        for d in DETECTORS {
            assert!(
                d.keywords.iter().all(|k| *k == k.to_ascii_lowercase()),
                "{}",
                d.id
            );
            assert!(d.source.starts_with("https://"), "{}", d.id);
        }
    }

    #[test]
    fn basic_credentials_must_decode_to_a_user_and_password() {
        // "orders:hunter2-prod", "orders:" and "configuration" (not base64 of a pair).
        assert!(passes(
            Check::BasicCredentials,
            "b3JkZXJzOmh1bnRlcjItcHJvZA=="
        ));
        assert!(!passes(Check::BasicCredentials, "b3JkZXJzOg=="));
        assert!(!passes(Check::BasicCredentials, "configuration"));
        assert!(!passes(Check::BasicCredentials, "not-base64!"));
    }
}
