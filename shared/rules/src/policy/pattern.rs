//! Wildcard matching and ARN splitting shared by the model and the verdicts.

/// Whether `text` matches the IAM pattern `pattern`, ASCII case-insensitively: `*` matches any
/// run of characters (also none), `?` exactly one character.
///
/// This is how IAM matches `Action` values
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html>:
/// action names are case-insensitive and accept `*` and `?`). Runs in `O(len(pattern) *
/// len(text))` steps at worst, without recursion.
pub(crate) fn wildcard_match_ignore_case(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return wildcard_match_units(pattern.as_bytes(), text.as_bytes(), |p, t| {
            p == b'?' || p.eq_ignore_ascii_case(&t)
        });
    }
    wildcard_match_chars(pattern, text, |a, b| a.eq_ignore_ascii_case(&b))
}

/// Whether `text` matches `pattern` case-sensitively, `*` and `?` as in
/// [`wildcard_match_ignore_case`]: how IAM's `ArnLike` compares ARNs
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN>).
pub(crate) fn wildcard_match(pattern: &str, text: &str) -> bool {
    if pattern.is_ascii() && text.is_ascii() {
        return wildcard_match_units(pattern.as_bytes(), text.as_bytes(), |p, t| {
            p == b'?' || p == t
        });
    }
    wildcard_match_chars(pattern, text, |a, b| a == b)
}

/// The matcher of [`wildcard_match_units`] over the characters of text that is not ASCII,
/// stepping through both strings by byte offset without collecting them: `?` fits any one
/// character, a literal fits a character `same` accepts.
fn wildcard_match_chars(pattern: &str, text: &str, same: impl Fn(char, char) -> bool) -> bool {
    let at = |s: &str, i: usize| s[i..].chars().next();
    let (mut pi, mut ti) = (0usize, 0usize);
    // Byte offset of the last `*` seen in the pattern, and the text offset it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while let Some(tc) = at(text, ti) {
        match at(pattern, pi) {
            Some('*') => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(pc) if pc == '?' || same(pc, tc) => {
                pi += pc.len_utf8();
                ti += tc.len_utf8();
            }
            _ => match star {
                Some((sp, st)) => {
                    let skipped = at(text, st).map_or(1, char::len_utf8);
                    pi = sp + 1;
                    ti = st + skipped;
                    star = Some((sp, ti));
                }
                None => return false,
            },
        }
    }
    pattern[pi..].chars().all(|c| c == '*')
}

/// The matcher over units (bytes of ASCII text): the pattern's `*` matches
/// any run of text units; every other pattern unit must `fit` the text unit under it (for
/// plain matching, `?` fits any unit and a literal fits itself). No allocation on the ASCII
/// path, which is every action name and nearly every ARN.
fn wildcard_match_units<U: Copy + PartialEq + From<u8>>(
    p: &[U],
    t: &[U],
    fit: impl Fn(U, U) -> bool,
) -> bool {
    let star_unit = U::from(b'*');
    let (mut pi, mut ti) = (0usize, 0usize);
    // Position of the last `*` seen in the pattern, and the text position it was tried at.
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(&c) if c == star_unit => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(&c) if fit(c, t[ti]) => {
                pi += 1;
                ti += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|&c| c == star_unit)
}

/// Whether every text the pattern `narrow` matches is also matched by `wide` (both IAM
/// patterns, `*` any run, `?` one character): a sound inclusion test, used to decide that a
/// `Deny` covers what an `Allow` grants. `wide`'s `*` may stand for any part of `narrow`,
/// wildcards included; `wide`'s `?` for one literal or `?` of `narrow`, never for its `*`
/// (which may be several characters or none); `wide`'s literals only for the same literal.
/// `ignore_case` compares ASCII letters without case (actions), else exactly (ARNs). Text
/// that is not ASCII is covered only by an equal pattern or `*`.
pub(crate) fn pattern_covers(wide: &str, narrow: &str, ignore_case: bool) -> bool {
    if !(wide.is_ascii() && narrow.is_ascii()) {
        return wide == "*" || wide == narrow;
    }
    wildcard_match_units(wide.as_bytes(), narrow.as_bytes(), |w, n| match w {
        b'?' => n != b'*',
        _ if n == b'*' || n == b'?' => false,
        _ if ignore_case => w.eq_ignore_ascii_case(&n),
        _ => w == n,
    })
}

/// Whether a string holds an IAM wildcard character (`*` or `?`).
pub(crate) fn has_wildcard(s: &str) -> bool {
    s.contains(['*', '?'])
}

/// Whether a string holds a policy variable (`${...}`), which IAM substitutes from the request
/// before comparing, so its value is not known from the policy alone
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html>).
pub(crate) fn has_policy_variable(s: &str) -> bool {
    s.contains("${")
}

/// Whether `s` is a 12-digit AWS account id.
pub(crate) fn is_account_id(s: &str) -> bool {
    s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())
}

/// The six colon-separated parts of an ARN:
/// `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE` (the resource may itself hold colons)
/// (<https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html>).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ArnParts<'a> {
    pub partition: &'a str,
    pub service: &'a str,
    pub region: &'a str,
    pub account: &'a str,
    pub resource: &'a str,
}

impl<'a> ArnParts<'a> {
    /// Splits `s` when it starts with `arn:` and has all six parts; `None` otherwise.
    pub(crate) fn split(s: &'a str) -> Option<Self> {
        let mut it = s.splitn(6, ':');
        let (arn, partition, service, region, account, resource) = (
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
            it.next()?,
        );
        (arn == "arn").then_some(ArnParts {
            partition,
            service,
            region,
            account,
            resource,
        })
    }

    /// Whether the partition, service, region or account field holds a wildcard.
    pub(crate) fn head_has_wildcard(&self) -> bool {
        [self.partition, self.service, self.region, self.account]
            .iter()
            .any(|p| has_wildcard(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcards_match_like_iam() {
        let yes = [
            ("lambda:InvokeFunction", "lambda:invokefunction"),
            ("lambda:*", "lambda:InvokeFunctionUrl"),
            ("*", "anything"),
            ("*", ""),
            ("lambda:Invoke*", "lambda:InvokeFunction"),
            ("lambda:Invoke?unction", "lambda:InvokeFunction"),
            ("*:*Function*", "lambda:GetFunctionConfiguration"),
            ("a*b*c", "aXXbYYc"),
        ];
        for (p, t) in yes {
            assert!(wildcard_match_ignore_case(p, t), "{p} should match {t}");
        }
        let no = [
            ("lambda:InvokeFunction", "lambda:InvokeFunctionUrl"),
            ("lambda:Invoke?", "lambda:Invoke"),
            ("s3:*", "lambda:InvokeFunction"),
            ("a*b*c", "aXXbYY"),
            ("", "x"),
        ];
        for (p, t) in no {
            assert!(
                !wildcard_match_ignore_case(p, t),
                "{p} should not match {t}"
            );
        }
    }

    #[test]
    fn text_that_is_not_ascii_matches_by_character() {
        assert!(wildcard_match("arn:aws:s3:::caf?", "arn:aws:s3:::café"));
        assert!(wildcard_match("*é*ü", "aébü"));
        assert!(!wildcard_match("caf?", "cafée"));
        assert!(!wildcard_match("CAFÉ", "café"));
        assert!(wildcard_match_ignore_case("Ünï:*", "Ünï:GetX"));
        assert!(wildcard_match_ignore_case("A?C", "aéc"));
        assert!(!wildcard_match_ignore_case("É", "é"));
        assert!(wildcard_match_ignore_case("*ß*x", "aßbßx"));
    }

    #[test]
    fn coverage_is_inclusion_of_what_the_patterns_match() {
        for (wide, narrow) in [
            ("lambda:*", "lambda:Invoke*"),
            ("*", "lambda:*"),
            ("lambda:InvokeFunction?", "lambda:InvokeFunction?"),
            ("lambda:Invoke?unction", "lambda:InvokeFunction"),
            ("LAMBDA:invoke*", "lambda:InvokeFunction"),
        ] {
            assert!(pattern_covers(wide, narrow, true), "{wide} covers {narrow}");
        }
        for (wide, narrow) in [
            ("lambda:InvokeFunction?", "lambda:InvokeFunction*"),
            ("lambda:Invoke", "lambda:Invoke?"),
            ("lambda:Invoke*Url", "lambda:Invoke*"),
            (
                "arn:aws:lambda:us-east-1:1:function:?",
                "arn:aws:lambda:us-east-1:1:function:*",
            ),
        ] {
            assert!(
                !pattern_covers(wide, narrow, true),
                "{wide} does not cover {narrow}"
            );
        }
        assert!(!pattern_covers("a:Orders-api", "a:orders-api", false));
    }

    #[test]
    fn arns_split_into_six_parts() {
        let a = ArnParts::split("arn:aws:iam::111122223333:role/a:b").unwrap();
        assert_eq!(a.service, "iam");
        assert_eq!(a.region, "");
        assert_eq!(a.account, "111122223333");
        assert_eq!(a.resource, "role/a:b");
        assert_eq!(ArnParts::split("arn:aws:s3:::bucket").unwrap().account, "");
        assert!(ArnParts::split("arn:aws:s3").is_none());
        assert!(ArnParts::split("nra:aws:s3:::b").is_none());
    }
}
