//! Timestamps for reports: the clock is read once, in `main`, and passed in as seconds since
//! the Unix epoch.

/// `seconds` since 1970-01-01T00:00:00Z as an RFC 3339 UTC timestamp with milliseconds, e.g.
/// `2026-05-28T00:00:00.000Z` (the form ASFF's `CreatedAt`/`UpdatedAt` use,
/// <https://docs.aws.amazon.com/securityhub/latest/userguide/asff-required-attributes.html>).
/// Negative values are clamped to the epoch.
pub fn rfc3339(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let days = seconds.div_euclid(86_400);
    let secs = seconds.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.000Z",
        secs / 3600,
        (secs % 3600) / 60,
        secs % 60
    )
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, valid for any day count a 64-bit clock gives).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    // d is 1..=31 and m 1..=12 by construction.
    (
        y,
        u32::try_from(m).unwrap_or(1),
        u32::try_from(d).unwrap_or(1),
    )
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
