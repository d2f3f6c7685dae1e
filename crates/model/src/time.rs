//! Calendar dates without a time-zone database: the few conversions drydock needs between
//! seconds since the Unix epoch and the UTC dates written in reports, advisories and
//! ignore files.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn rfc3339(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rest = seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Now, in seconds since the epoch (0 if the clock is before 1970).
pub fn now_seconds() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// The seconds since the epoch at the start (00:00 UTC) of a `YYYY-MM-DD` date, or of the
/// date that starts an RFC 3339 timestamp. `None` when it is not such a date.
pub fn date_seconds(text: &str) -> Option<u64> {
    let date = text.get(..10)?;
    let mut parts = date.split('-');
    let year: u64 = parts.next().filter(|p| p.len() == 4)?.parse().ok()?;
    let month: u64 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    let day: u64 = parts.next().filter(|p| p.len() == 2)?.parse().ok()?;
    if !(1970..=9999).contains(&year) || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if text.len() > 10 && !text[10..].starts_with(['T', 't', ' ']) {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400)
}

/// The seconds since the epoch of an RFC 3339 UTC timestamp as drydock writes them
/// (`2026-11-22T09:38:05Z`); a bare date counts from its midnight. `None` when the date
/// is not one; an unreadable time of day counts as midnight.
pub fn timestamp_seconds(text: &str) -> Option<u64> {
    let day = date_seconds(text)?;
    let time: Vec<u64> = text
        .get(11..19)
        .unwrap_or_default()
        .split(':')
        .filter_map(|part| part.parse().ok())
        .collect();
    let seconds = match time.as_slice() {
        [hours, minutes, seconds] => hours * 3600 + minutes * 60 + seconds,
        _ => 0,
    };
    Some(day + seconds)
}

fn days_in_month(year: u64, month: u64) -> u64 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's
/// `civil_from_days`, for non-negative day counts).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

/// The inverse of [`civil_from_days`] for dates from 1970 on.
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year / 400;
    let year_of_era = year - era * 400;
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        for seconds in [0u64, 951_782_400, 1_795_000_000, 4_102_444_800] {
            let day_start = seconds - seconds % 86_400;
            assert_eq!(date_seconds(&rfc3339(seconds)), Some(day_start));
        }
        assert_eq!(date_seconds("2024-02-29"), Some(1_709_164_800));
        assert_eq!(timestamp_seconds("2026-11-22T09:38:00Z"), Some(1_795_340_280));
        assert_eq!(timestamp_seconds("2026-11-22"), date_seconds("2026-11-22"));
    }

    #[test]
    fn malformed_dates_are_refused() {
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "yesterday",
            "2024-01-01x",
            "1969-12-31",
            "",
        ] {
            assert_eq!(date_seconds(bad), None, "{bad}");
        }
    }
}
