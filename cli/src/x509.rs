//! Just enough DER to describe a server certificate: its subject, issuer and expiry. Every
//! read is bounds-checked; a certificate that does not parse gives `None`, never a panic.

/// What `vem doctor` shows of a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInfo {
    /// Subject, as `CN=…, O=…`.
    pub subject: String,
    /// Issuer, the same way.
    pub issuer: String,
    /// Not valid before (`YYYY-MM-DD HH:MM:SS UTC`).
    pub not_before: String,
    /// Not valid after.
    pub not_after: String,
    /// Not valid after, as unix seconds.
    pub not_after_unix: Option<i64>,
}

/// One DER element: tag, content, and the rest after it.
fn element(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = b.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |a, &x| (a << 8) | x as usize);
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements inside a constructed element's content.
fn children(mut b: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut out = Vec::new();
    while !b.is_empty() {
        let (t, c, rest) = element(b)?;
        out.push((t, c));
        b = rest;
    }
    Some(out)
}

/// A Name (SEQUENCE OF SET OF (OID, value)) as `CN=…, O=…`.
fn name(b: &[u8]) -> Option<String> {
    let mut parts = Vec::new();
    for (_, set) in children(b)? {
        for (_, atv) in children(set)? {
            let kids = children(atv)?;
            let (oid, val) = (kids.first()?.1, kids.get(1)?.1);
            let key = match oid {
                [0x55, 0x04, 0x03] => "CN",
                [0x55, 0x04, 0x0a] => "O",
                [0x55, 0x04, 0x0b] => "OU",
                [0x55, 0x04, 0x06] => "C",
                [0x55, 0x04, 0x07] => "L",
                [0x55, 0x04, 0x08] => "ST",
                _ => continue,
            };
            parts.push(format!("{key}={}", String::from_utf8_lossy(val)));
        }
    }
    Some(if parts.is_empty() {
        "(empty)".to_string()
    } else {
        parts.join(", ")
    })
}

/// UTCTime (tag 0x17, `YYMMDDHHMMSSZ`) or GeneralizedTime (0x18, `YYYYMMDDHHMMSSZ`).
fn time(tag: u8, b: &[u8]) -> Option<(String, i64)> {
    let s = std::str::from_utf8(b).ok()?;
    let s = s.strip_suffix('Z')?;
    let (year, rest) = match tag {
        0x17 if s.len() == 12 => {
            let yy: i64 = s.get(..2)?.parse().ok()?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, s.get(2..)?)
        }
        0x18 if s.len() == 14 => (s.get(..4)?.parse().ok()?, s.get(4..)?),
        _ => return None,
    };
    let n = |i: usize| -> Option<i64> { rest.get(i..i + 2)?.parse().ok() };
    let (mo, d, h, mi, se) = (n(0)?, n(2)?, n(4)?, n(6)?, n(8)?);
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || se > 60 {
        return None;
    }
    let text = format!("{year:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{se:02} UTC");
    Some((
        text,
        days_from_civil(year, mo, d) * 86_400 + h * 3600 + mi * 60 + se,
    ))
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Reads subject, issuer and validity from a certificate's DER.
pub fn describe(der: &[u8]) -> Option<CertInfo> {
    let (_, cert, _) = element(der)?;
    let (_, tbs, _) = element(cert)?;
    let mut f = children(tbs)?.into_iter();
    let mut first = f.next()?;
    if first.0 == 0xa0 {
        // [0] version
        first = f.next()?;
    }
    let _serial = first;
    let _sig = f.next()?;
    let issuer = name(f.next()?.1)?;
    let validity = children(f.next()?.1)?;
    let subject = name(f.next()?.1)?;
    let (nb, _) = time(validity.first()?.0, validity.first()?.1)?;
    let (na, na_unix) = time(validity.get(1)?.0, validity.get(1)?.1)?;
    Some(CertInfo {
        subject,
        issuer,
        not_before: nb,
        not_after: na,
        not_after_unix: Some(na_unix),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2025, 6, 1) * 86_400, 1_748_736_000);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn times() {
        assert_eq!(
            time(0x17, b"250601000000Z").map(|t| t.1),
            Some(1_748_736_000)
        );
        assert_eq!(
            time(0x18, b"20250601000000Z").map(|t| t.0),
            Some("2025-06-01 00:00:00 UTC".to_string())
        );
        assert!(time(0x17, b"251301000000Z").is_none());
        assert!(time(0x17, b"2506").is_none());
    }

    #[test]
    fn garbage_is_none_not_a_panic() {
        for bad in [
            &b""[..],
            b"\x30",
            b"\x30\x84\xff\xff\xff\xff",
            b"\x30\x03\x30\x01",
            b"\x30\x80",
            &[0x30; 64],
        ] {
            assert!(describe(bad).is_none(), "{bad:?}");
        }
    }
}
