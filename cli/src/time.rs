//! Timestamps for reports: the clock is read once, in `main`, and passed in as seconds since
//! the Unix epoch.

/// `seconds` since 1970-01-01T00:00:00Z as an RFC 3339 UTC timestamp with milliseconds, e.g.
/// `2026-05-28T00:00:00.000Z` (the form ASFF's `CreatedAt`/`UpdatedAt` use,
/// <https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html>).
/// Negative values are clamped to the epoch.
pub fn rfc3339(seconds: i64) -> String {
    format!("{}.000Z", warden_rules::dates::civil_time(seconds.max(0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(1_779_926_400), "2026-05-28T00:00:00.000Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00.000Z");
        assert_eq!(rfc3339(1_709_251_199), "2024-02-29T23:59:59.000Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00.000Z");
        assert_eq!(rfc3339(-5), "1970-01-01T00:00:00.000Z");
    }
}
