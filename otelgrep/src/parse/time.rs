//! Timestamps: the UTC text forms exporters print, to and from nanoseconds since the epoch.

/// Parses `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z` (Python), `YYYY-MM-DD HH:MM:SS[.f{1,9}]` (Rust, UTC
/// without a zone) or RFC 3339 with an offset (Go). Returns nanoseconds since the Unix epoch.
pub fn parse_utc(s: &str) -> Option<i64> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || !(b[10] == b'T' || b[10] == b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b[r].iter().try_fold(0i64, |acc, &c| c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0')))
    };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || sec > 60 {
        return None;
    }
    let mut rest = &b[19..];
    let mut nanos = 0i64;
    if let Some((&b'.', frac)) = rest.split_first() {
        let digits = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 || digits > 9 {
            return None;
        }
        for &c in &frac[..digits] {
            nanos = nanos * 10 + i64::from(c - b'0');
        }
        nanos *= 10i64.pow(9 - digits as u32);
        rest = &frac[digits..];
    }
    // A UTC offset (`+02:00`, `-07:00`), as Go's RFC 3339 times carry: the instant is the local
    // time minus the offset.
    let offset_secs = match rest {
        b"" | b"Z" => 0,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] if [h1, h2, m1, m2].iter().all(|c| c.is_ascii_digit()) => {
            let v = i64::from((h1 - b'0') * 10 + (h2 - b'0')) * 3600 + i64::from((m1 - b'0') * 10 + (m2 - b'0')) * 60;
            if *sign == b'+' { v } else { -v }
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    // Checked: nanoseconds since 1970 overflow i64 after the year 2262.
    let secs = ((days * 24 + h) * 60 + mi) * 60 + sec - offset_secs;
    secs.checked_mul(1_000_000_000)?.checked_add(nanos)
}

/// Formats nanoseconds since the epoch as RFC 3339 UTC with microseconds.
pub fn format_rfc3339(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000);
    let (days, day_secs) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:06}Z",
        day_secs / 3600,
        day_secs / 60 % 60,
        day_secs % 60,
        nanos / 1000
    )
}

/// As `format_rfc3339`, without the fraction when it is zero (time bucket starts: `...T10:01:00Z`).
pub fn format_rfc3339_whole(ns: i64) -> String {
    let full = format_rfc3339(ns);
    match full.strip_suffix(".000000Z") {
        Some(whole) if ns.rem_euclid(1000) == 0 => format!("{whole}Z"),
        _ => full,
    }
}

// Howard Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_and_rust_forms() {
        // 2026-11-27T23:37:19.814807Z, checked with `date -u -d @1795822639.814807`.
        assert_eq!(parse_utc("2026-11-27T23:37:19.814807Z"), Some(1_795_822_639_814_807_000));
        assert_eq!(parse_utc("2026-11-27 23:37:19.814807"), Some(1_795_822_639_814_807_000));
        assert_eq!(parse_utc("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_utc("2000-02-29T12:00:00.5Z"), Some(951_825_600_500_000_000));
        assert_eq!(parse_utc("2026-13-01T00:00:00Z"), None);
        assert_eq!(parse_utc("2026-11-27T23:37:19.Z"), None);
        // Go writes the local offset: 11:55:21-07:00 is 18:55:21 UTC.
        assert_eq!(parse_utc("2023-06-02T11:55:21.379895125-07:00"), parse_utc("2023-06-02T18:55:21.379895125Z"));
        assert_eq!(parse_utc("2026-11-27T23:37:19+0100"), None);
        assert_eq!(parse_utc("9999-12-31T23:59:59Z"), None, "past i64 nanoseconds: refused, not wrapped");
    }

    #[test]
    fn formats_back() {
        assert_eq!(format_rfc3339(1_795_822_639_814_807_000), "2026-11-27T23:37:19.814807Z");
        assert_eq!(format_rfc3339(951_825_600_500_000_000), "2000-02-29T12:00:00.500000Z");
        assert_eq!(format_rfc3339_whole(951_825_600_000_000_000), "2000-02-29T12:00:00Z");
        assert_eq!(format_rfc3339_whole(951_825_600_500_000_000), "2000-02-29T12:00:00.500000Z");
    }
}
