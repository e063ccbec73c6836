//! Threshold ranges in the Nagios plugin syntax (the monitoring plugins development
//! guidelines, "Threshold and ranges"):
//!
//! | range     | alert when the value is            |
//! |-----------|------------------------------------|
//! | `10`      | < 0 or > 10 (outside 0 … 10)       |
//! | `10:`     | < 10 (outside 10 … ∞)              |
//! | `~:10`    | > 10 (outside −∞ … 10)             |
//! | `10:20`   | < 10 or > 20 (outside 10 … 20)     |
//! | `@10:20`  | ≥ 10 and ≤ 20 (inside 10 … 20)     |
//!
//! The ends are inclusive, start ≤ end is required, and an empty end is infinity.

use std::fmt;

/// A threshold range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// Lower end (`None`: −∞).
    pub start: Option<f64>,
    /// Upper end (`None`: +∞).
    pub end: Option<f64>,
    /// `@`: alert inside the range instead of outside.
    pub inside: bool,
}

impl Range {
    /// Parses the range syntax; the error says what is wrong.
    pub fn parse(s: &str) -> Result<Range, String> {
        let raw = s.trim();
        let (inside, body) = match raw.strip_prefix('@') {
            Some(b) => (true, b),
            None => (false, raw),
        };
        if body.is_empty() {
            return Err(format!(
                "`{s}` is not a range (like 10, 10:, ~:10, 10:20, @10:20)"
            ));
        }
        let (start, end) = match body.split_once(':') {
            None => (Some(0.0), Some(number(body, s)?)),
            Some((a, b)) => {
                let start = match a {
                    "~" => None,
                    "" => Some(0.0),
                    a => Some(number(a, s)?),
                };
                let end = match b {
                    "" => None,
                    b => Some(number(b, s)?),
                };
                (start, end)
            }
        };
        if let (Some(a), Some(b)) = (start, end) {
            if a > b {
                return Err(format!("range `{s}`: the start {a} is above the end {b}"));
            }
        }
        Ok(Range { start, end, inside })
    }

    /// True when `v` raises the alert.
    pub fn alerts(&self, v: f64) -> bool {
        let within = self.start.is_none_or(|a| v >= a) && self.end.is_none_or(|b| v <= b);
        if self.inside {
            within
        } else {
            !within
        }
    }

    /// The range with both ends multiplied by `k` (a percent threshold in bytes).
    pub fn scaled(&self, k: f64) -> Range {
        Range {
            start: self.start.map(|a| (a * k).round()),
            end: self.end.map(|b| (b * k).round()),
            inside: self.inside,
        }
    }
}

fn number(t: &str, whole: &str) -> Result<f64, String> {
    match t.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(format!(
            "range `{whole}`: `{t}` is not a number (ranges look like 10, 10:, ~:10, 10:20, @10:20)"
        )),
    }
}

/// A number as perfdata writes it: no exponent, no trailing `.0`.
pub fn num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e18 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

impl fmt::Display for Range {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.inside {
            f.write_str("@")?;
        }
        match (self.start, self.end) {
            (Some(a), Some(b)) if a == 0.0 && !self.inside => write!(f, "{}", num(b)),
            (Some(a), Some(b)) => write!(f, "{}:{}", num(a), num(b)),
            (Some(a), None) => write!(f, "{}:", num(a)),
            (None, Some(b)) => write!(f, "~:{}", num(b)),
            (None, None) => f.write_str("~:"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(s: &str) -> Range {
        Range::parse(s).unwrap()
    }

    #[test]
    fn plain_number_is_zero_to_n() {
        let t = r("10");
        assert!(t.alerts(-1.0));
        assert!(!t.alerts(0.0));
        assert!(!t.alerts(10.0));
        assert!(t.alerts(10.5));
    }

    #[test]
    fn open_end_alerts_below_start() {
        let t = r("10:");
        assert!(t.alerts(9.9));
        assert!(!t.alerts(10.0));
        assert!(!t.alerts(1e12));
    }

    #[test]
    fn tilde_is_minus_infinity() {
        let t = r("~:10");
        assert!(!t.alerts(-1e12));
        assert!(!t.alerts(10.0));
        assert!(t.alerts(11.0));
    }

    #[test]
    fn both_ends() {
        let t = r("10:20");
        assert!(t.alerts(9.0));
        assert!(!t.alerts(10.0));
        assert!(!t.alerts(20.0));
        assert!(t.alerts(21.0));
    }

    #[test]
    fn at_inverts() {
        let t = r("@10:20");
        assert!(!t.alerts(9.0));
        assert!(t.alerts(10.0));
        assert!(t.alerts(20.0));
        assert!(!t.alerts(21.0));
    }

    #[test]
    fn negatives_and_decimals() {
        let t = r("-5.5:2.25");
        assert!(!t.alerts(-5.5));
        assert!(t.alerts(-5.6));
        assert!(t.alerts(2.3));
    }

    #[test]
    fn bad_ranges_are_errors() {
        for bad in ["", "@", "abc", "20:10", "1:2:3", "~", "10:x", "nan", "inf"] {
            assert!(Range::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Range::parse("20:10").unwrap_err().contains("above"));
    }

    #[test]
    fn written_back_in_the_same_syntax() {
        for s in ["10", "10:", "~:10", "10:20", "@10:20", "@0:5", "1.5:"] {
            assert_eq!(r(s).to_string(), s);
        }
        assert_eq!(r(":5").to_string(), "5");
        assert_eq!(r("80").scaled(10.0).to_string(), "800");
    }
}
