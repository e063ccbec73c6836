//! Date-times as the server writes them (ISO 8601), with the UTC conversions that queries
//! and tools need; no calendar crate.

use std::borrow::Cow;

use crate::node::JsonKind;
use crate::repr::Scalar;

/// A date-time as the server writes it (ISO 8601, UTC).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DateTime(pub String);

impl Scalar for DateTime {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(DateTime(crate::repr::trim_value(text).to_string()))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
    fn json_kind() -> JsonKind {
        JsonKind::String
    }
    fn query_text(&self) -> Cow<'_, str> {
        Cow::Owned(self.to_utc().0)
    }
}

crate::scalar_value!(DateTime);

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl DateTime {
    /// A date-time from seconds since the Unix epoch, in UTC (`2025-08-15T06:00:00Z`).
    pub fn from_unix_seconds(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        DateTime(format!(
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
            rem / 3600,
            rem % 3600 / 60,
            rem % 60
        ))
    }

    /// The current time, in UTC.
    pub fn now_utc() -> Self {
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        Self::from_unix_seconds(secs)
    }

    /// Seconds since the Unix epoch, when the text is an ISO 8601 date-time (an offset is
    /// applied; no zone means UTC). Fractions of seconds are dropped.
    pub fn unix_seconds(&self) -> Option<i64> {
        parse_iso(&self.0).map(|p| p.0)
    }

    /// The same instant written in UTC (`…Z`); text that is not ISO 8601 is kept as is.
    pub fn to_utc(&self) -> DateTime {
        match parse_iso(&self.0) {
            Some((secs, frac, had_offset)) if had_offset => {
                let mut s = Self::from_unix_seconds(secs).0;
                if !frac.is_empty() {
                    s.pop();
                    s.push_str(frac);
                    s.push('Z');
                }
                DateTime(s)
            }
            _ => self.clone(),
        }
    }
}

/// `(unix seconds, fraction with its dot, had a ±hh:mm offset)`.
fn parse_iso(text: &str) -> Option<(i64, &str, bool)> {
    let t = text.trim();
    let b = t.as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let s = t.get(r)?;
        s.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| s.parse().ok())
            .flatten()
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, s) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut i = 19;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(|c| c.is_ascii_digit()) {
            i += 1;
        }
    }
    let frac = &t[19..i];
    let rest = &t[i..];
    let offset = match rest {
        "" | "Z" | "z" => None,
        r if r.len() == 6
            && r.is_ascii()
            && (r.starts_with('+') || r.starts_with('-'))
            && &r[3..4] == ":" =>
        {
            let oh: i64 = r[1..3].parse().ok()?;
            let om: i64 = r[4..6].parse().ok()?;
            let sign = if r.starts_with('-') { -1 } else { 1 };
            Some(sign * (oh * 3600 + om * 60))
        }
        _ => return None,
    };
    let days = days_from_civil(y, mo, d);
    let secs = days * 86_400 + h * 3600 + mi * 60 + s - offset.unwrap_or(0);
    Some((secs, frac, offset.is_some()))
}

// Howard Hinnant's civil-date algorithms.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
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
    fn datetimes_in_utc() {
        let d = DateTime("2025-01-01T00:30:00.125-01:00".into()).to_utc();
        assert_eq!(d.0, "2025-01-01T01:30:00.125Z");
        let d = DateTime("2024-03-01T00:30:00+01:00".into()).to_utc();
        assert_eq!(d.0, "2024-02-29T23:30:00Z");
        assert_eq!(DateTime("garbage".into()).to_utc().0, "garbage");
        assert_eq!(DateTime::from_unix_seconds(0).0, "1970-01-01T00:00:00Z");
        assert_eq!(
            DateTime("2025-02-19T03:33:17.233Z".into()).unix_seconds(),
            Some(1_739_935_997)
        );
        for bad in [
            "",
            "2025-13-01T00:00:00Z",
            "2025-01-01T00:00:00+0200",
            "ééééééééééééééééééééé",
        ] {
            assert_eq!(DateTime(bad.into()).unix_seconds(), None, "{bad}");
        }
        let now = DateTime::now_utc();
        assert_eq!(
            DateTime::from_unix_seconds(now.unix_seconds().unwrap()),
            now
        );
    }
}
