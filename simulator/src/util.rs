//! Small self-contained helpers: deterministic hashing and GUIDs, UTC date-time formatting and
//! parsing, percent-decoding and base64 (kept here to keep the dependency list short).

/// SplitMix64 step: a good, cheap 64-bit mixer for deterministic pseudo-random data.
pub fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// A hash of a seed and a few integers.
pub fn hash(seed: u64, parts: &[u64]) -> u64 {
    let mut h = mix(seed ^ 0x5151_5151);
    for p in parts {
        h = mix(h ^ p.wrapping_mul(0x1000_0000_01B3));
    }
    h
}

/// Kinds of objects that get GUIDs (part of the GUID derivation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    /// Backup server.
    Server = 1,
    /// Repository.
    Repo = 2,
    /// Job.
    Job = 3,
    /// Backup or replica job session.
    Session = 4,
    /// Backup or replica task session.
    TaskSession = 5,
    /// Backup.
    Backup = 6,
    /// Restore point.
    RestorePoint = 7,
    /// VM restore point.
    VmRestorePoint = 8,
    /// Replica.
    Replica = 9,
    /// VM replica point.
    VmReplicaPoint = 10,
    /// Restore session.
    RestoreSession = 11,
    /// Cloud failover plan.
    CloudPlan = 12,
    /// Enterprise account.
    Account = 13,
    /// Credentials record.
    Credentials = 14,
    /// Object in job (include).
    Include = 15,
    /// Hierarchy root (a vCenter / Hyper-V host).
    HierarchyRoot = 16,
    /// Logon session.
    Logon = 17,
    /// Cloud failover plan VM.
    PlanVm = 18,
}

const LOW48: u64 = 0xFFFF_FFFF_FFFF;

/// The deterministic GUID of object `idx` of `kind` for `seed`. The low 48 bits encode the
/// index (masked), so [`guid_index`] can go back without a lookup table.
pub fn guid(seed: u64, kind: Kind, idx: u64) -> String {
    let mask = hash(seed, &[kind as u64, 0xABCD]) & LOW48;
    let h = hash(seed, &[kind as u64, idx]);
    // `{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}`, written without the formatting machinery (it
    // runs several times for every item of a query page).
    let mut out = String::with_capacity(36);
    hex(&mut out, (h >> 32) & 0xFFFF_FFFF, 8);
    out.push('-');
    hex(&mut out, (h >> 16) & 0xFFFF, 4);
    out.push_str("-4");
    hex(&mut out, (h >> 4) & 0xFFF, 3);
    out.push('-');
    hex(&mut out, 0x8000 | ((h >> 40) & 0x3FFF), 4);
    out.push('-');
    hex(&mut out, (idx ^ mask) & LOW48, 12);
    out
}

/// The low `digits` hex digits of `v` (lower case, zero-padded).
fn hex(out: &mut String, v: u64, digits: u32) {
    for i in (0..digits).rev() {
        out.push(char::from(
            b"0123456789abcdef"[((v >> (4 * i)) & 0xF) as usize],
        ));
    }
}

/// `t` as `yyyy-MM-dd{sep}HH:mm:ss`, without the formatting machinery for years 0–9999.
fn date_time(t: &Tm, sep: char) -> String {
    if !(0..=9999).contains(&t.y) {
        return format!(
            "{:04}-{:02}-{:02}{sep}{:02}:{:02}:{:02}",
            t.y, t.mo, t.d, t.h, t.mi, t.s
        );
    }
    fn dec(out: &mut String, v: u32, digits: u32) {
        for i in (0..digits).rev() {
            out.push(char::from(b'0' + ((v / 10u32.pow(i)) % 10) as u8));
        }
    }
    let mut out = String::with_capacity(20);
    dec(&mut out, t.y as u32, 4);
    for (c, v) in [('-', t.mo), ('-', t.d), (sep, t.h), (':', t.mi), (':', t.s)] {
        out.push(c);
        dec(&mut out, v, 2);
    }
    out
}

/// The index encoded in a GUID made by [`guid`], if `text` is one (case-insensitive).
pub fn guid_index(seed: u64, kind: Kind, text: &str) -> Option<u64> {
    let text = text.trim();
    if text.len() != 36 || !text.is_ascii() {
        return None;
    }
    let last = u64::from_str_radix(&text[24..], 16).ok()?;
    let mask = hash(seed, &[kind as u64, 0xABCD]) & LOW48;
    let idx = (last ^ mask) & LOW48;
    if guid(seed, kind, idx).eq_ignore_ascii_case(text) {
        Some(idx)
    } else {
        None
    }
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) to days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Broken-down UTC time of a Unix timestamp in seconds.
struct Tm {
    y: i64,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    s: u32,
}

fn tm(secs: i64) -> Tm {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, mo, d) = civil_from_days(days);
    Tm {
        y,
        mo,
        d,
        h: (rem / 3600) as u32,
        mi: ((rem % 3600) / 60) as u32,
        s: (rem % 60) as u32,
    }
}

/// ISO 8601 UTC: `2025-02-19T12:00:11Z`.
pub fn iso(secs: i64) -> String {
    let mut out = date_time(&tm(secs), 'T');
    out.push('Z');
    out
}

/// The session-name form: `2025-02-19 12:00:11`.
pub fn name_time(secs: i64) -> String {
    date_time(&tm(secs), ' ')
}

/// The SQL-style form used for restore point names: `Feb 19 2025  3:33AM`.
pub fn sql_time(secs: i64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let t = tm(secs);
    let (h12, ampm) = match t.h {
        0 => (12, "AM"),
        1..=11 => (t.h, "AM"),
        12 => (12, "PM"),
        h => (h - 12, "PM"),
    };
    format!(
        "{} {:2} {} {:2}:{:02}{}",
        MONTHS[(t.mo as usize).saturating_sub(1) % 12],
        t.d,
        t.y,
        h12,
        t.mi,
        ampm
    )
}

/// Parses a UTC date-time as clients send it in filters: `2025-08-15T06:00:00Z`,
/// `2025-02-18T14:16:31`, `2025-08-14T12:31:30.389954Z`, `2025-08-15 06:00:00`, `2025-08-15`,
/// or with an offset `+01:00`. Returns milliseconds since the Unix epoch.
pub fn parse_time_ms(text: &str) -> Option<i64> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let num = |s: &str| -> Option<i64> {
        if s.is_empty() || !s.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        s.parse().ok()
    };
    let y = num(t.get(0..4)?)?;
    let mo = num(t.get(5..7)?)? as u32;
    let d = num(t.get(8..10)?)? as u32;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) {
        return None;
    }
    let mut ms = days_from_civil(y, mo, d) * 86_400_000;
    let rest = t.get(10..)?;
    if rest.is_empty() {
        return Some(ms);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    if rest.len() < 5 {
        return None;
    }
    let h = num(rest.get(0..2)?)?;
    if rest.as_bytes().get(2) != Some(&b':') {
        return None;
    }
    let mi = num(rest.get(3..5)?)?;
    let mut i = 5;
    let mut s = 0;
    if rest.as_bytes().get(5) == Some(&b':') {
        s = num(rest.get(6..8)?)?;
        i = 8;
    }
    if h > 23 || mi > 59 || s > 60 {
        return None;
    }
    ms += (h * 3600 + mi * 60 + s) * 1000;
    let mut tail = rest.get(i..)?;
    if let Some(frac) = tail.strip_prefix('.') {
        let n = frac.bytes().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        let digits = &frac[..n];
        let mut v: i64 = 0;
        for (k, c) in digits.bytes().take(3).enumerate() {
            v += (c - b'0') as i64 * [100, 10, 1][k];
        }
        ms += v;
        tail = &frac[n..];
    }
    match tail {
        "" | "Z" | "z" => Some(ms),
        off => {
            let sign = match off.as_bytes().first()? {
                b'+' => 1,
                b'-' => -1,
                _ => return None,
            };
            // `get` rather than indexing: the offset is client text and may hold non-ASCII
            // characters, where a byte range can fall inside a character.
            let o = off.get(1..)?;
            let (oh, om) = match o.len() {
                5 if o.as_bytes().get(2) == Some(&b':') => (num(o.get(0..2)?)?, num(o.get(3..5)?)?),
                4 => (num(o.get(0..2)?)?, num(o.get(2..4)?)?),
                2 => (num(o)?, 0),
                _ => return None,
            };
            Some(ms - sign * (oh * 3600 + om * 60) * 1000)
        }
    }
}

/// Percent-decodes `s`; `+` becomes a space when `plus` is set (query strings).
pub fn pct_decode(s: &str, plus: bool) -> String {
    let b = s.as_bytes();
    if !(b.contains(&b'%') || plus && b.contains(&b'+')) {
        return s.to_string();
    }
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                let hex = |c: u8| (c as char).to_digit(16);
                match (hex(b[i + 1]), hex(b[i + 2])) {
                    (Some(h), Some(l)) => {
                        out.push((h * 16 + l) as u8);
                        i += 3;
                        continue;
                    }
                    _ => out.push(b'%'),
                }
            }
            b'+' if plus => out.push(b' '),
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Percent-encodes a query value (unreserved characters and a few safe ones kept).
pub fn pct_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        match c {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'_'
            | b'.'
            | b'~'
            | b';'
            | b','
            | b':'
            | b'('
            | b')'
            | b'='
            | b'/' => out.push(c as char),
            _ => out.push_str(&format!("%{c:02X}")),
        }
    }
    out
}

/// Percent-encodes one path segment of a file path (keeps `/` and `:`).
pub fn pct_encode_path(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for &c in s.as_bytes() {
        match c {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b':' | b'/' => {
                out.push(c as char)
            }
            _ => out.push_str(&format!("%{c:02X}")),
        }
    }
    out
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding.
pub fn b64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = match chunk.len() {
            3 => (chunk[0] as u32) << 16 | (chunk[1] as u32) << 8 | chunk[2] as u32,
            2 => (chunk[0] as u32) << 16 | (chunk[1] as u32) << 8,
            _ => (chunk[0] as u32) << 16,
        };
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(B64[((n >> (18 - 6 * k)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 decoding (padding optional, whitespace ignored); `None` on bad input.
pub fn b64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        if c == b'=' || c.is_ascii_whitespace() {
            continue;
        }
        let v = B64.iter().position(|&x| x == c)? as u32;
        buf = buf << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The hand-written formatting is the `format!` it replaces.
    #[test]
    fn guid_and_times_format_as_format_does() {
        for (seed, idx) in [
            (1u64, 0u64),
            (7, 1),
            (7, 99),
            (3, 123_456),
            (9, u32::MAX as u64),
        ] {
            let mask = hash(seed, &[Kind::Session as u64, 0xABCD]) & LOW48;
            let h = hash(seed, &[Kind::Session as u64, idx]);
            let want = format!(
                "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
                (h >> 32) as u32,
                (h >> 16) as u16,
                (h >> 4) & 0xFFF,
                0x8000 | ((h >> 40) & 0x3FFF),
                (idx ^ mask) & LOW48
            );
            assert_eq!(guid(seed, Kind::Session, idx), want);
        }
        for secs in [
            0i64,
            59,
            951_782_400,
            1_739_966_411,
            4_102_444_799,
            -1,
            253_402_300_800,
        ] {
            let t = tm(secs);
            let want = format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                t.y, t.mo, t.d, t.h, t.mi, t.s
            );
            assert_eq!(iso(secs), want, "{secs}");
            assert_eq!(name_time(secs), want.replace('T', " ").replace('Z', ""));
        }
    }

    #[test]
    fn guid_round_trips() {
        for i in [0u64, 1, 2, 99, 123_456, 100_000_000] {
            let g = guid(7, Kind::Session, i);
            assert_eq!(g.len(), 36);
            assert_eq!(guid_index(7, Kind::Session, &g), Some(i));
            assert_eq!(guid_index(7, Kind::Session, &g.to_uppercase()), Some(i));
            assert_eq!(guid_index(7, Kind::Job, &g), None);
            assert_eq!(guid_index(8, Kind::Session, &g), None);
        }
        assert_eq!(guid_index(7, Kind::Job, "nope"), None);
        assert_eq!(
            guid_index(7, Kind::Job, "ééééééééééééééééééééééééééééééééééé"),
            None
        );
    }

    #[test]
    fn times_format_and_parse() {
        assert_eq!(iso(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso(1_739_966_411), "2025-02-19T12:00:11Z");
        assert_eq!(name_time(1_739_966_411), "2025-02-19 12:00:11");
        assert_eq!(sql_time(1_739_935_980), "Feb 19 2025  3:33AM");
        assert_eq!(
            parse_time_ms("2025-02-19T12:00:11Z"),
            Some(1_739_966_411_000)
        );
        assert_eq!(
            parse_time_ms("2025-02-19T12:00:11"),
            Some(1_739_966_411_000)
        );
        assert_eq!(
            parse_time_ms("2025-02-19T12:00:11.389954Z"),
            Some(1_739_966_411_389)
        );
        assert_eq!(
            parse_time_ms("2025-02-19T13:00:11+01:00"),
            Some(1_739_966_411_000)
        );
        assert_eq!(parse_time_ms("2025-02-19"), Some(1_739_923_200_000));
        assert_eq!(parse_time_ms("2025-13-19"), None);
        assert_eq!(parse_time_ms("yesterday"), None);
        assert_eq!(parse_time_ms("2025-02-19T1"), None);
    }

    #[test]
    fn times_with_non_ascii_are_refused_not_panicking() {
        // Issue 11: a byte range inside `é` used to panic the handler.
        assert_eq!(parse_time_ms("2025-08-15T06:00-1é:"), None);
        assert_eq!(parse_time_ms("2025-08-15T06:00+é"), None);
        assert_eq!(parse_time_ms("2025-08-15T06:00:0é"), None);
        assert_eq!(parse_time_ms("2025-08-15T06é00"), None);
        assert_eq!(parse_time_ms("2025-08-1éT06:00"), None);
        assert_eq!(parse_time_ms("2025-08-15Té:00:00"), None);
        assert_eq!(parse_time_ms("2025-08-15T06:00.1é"), None);
    }

    #[test]
    fn codecs() {
        assert_eq!(pct_decode("a%20b+c%3d%3D%", true), "a b c==%");
        assert_eq!(pct_decode("%zz%2", false), "%zz%2");
        assert_eq!(b64_encode(b"admin:admin"), "YWRtaW46YWRtaW4=");
        assert_eq!(b64_decode("YWRtaW46YWRtaW4=").unwrap(), b"admin:admin");
        assert_eq!(b64_decode("YQ").unwrap(), b"a");
        assert!(b64_decode("!!").is_none());
    }
}
