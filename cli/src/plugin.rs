//! The monitoring-plugin output convention (Nagios, Icinga, Centreon): one status line
//! `STATE: summary | perfdata`, long output on the following lines, and the exit code of the
//! state (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN).

use std::fmt::Write as _;

use crate::range::{num, Range};

/// A plugin state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exit 0.
    Ok,
    /// Exit 1.
    Warning,
    /// Exit 2.
    Critical,
    /// Exit 3: the state could not be determined.
    Unknown,
}

impl Status {
    /// The exit code.
    pub fn code(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warning => 1,
            Status::Critical => 2,
            Status::Unknown => 3,
        }
    }

    /// The word on the status line.
    pub fn word(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warning => "WARNING",
            Status::Critical => "CRITICAL",
            Status::Unknown => "UNKNOWN",
        }
    }

    /// Severity for sorting and aggregation: OK < UNKNOWN < WARNING < CRITICAL.
    pub fn rank(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Unknown => 1,
            Status::Warning => 2,
            Status::Critical => 3,
        }
    }

    /// The worse of two states: CRITICAL > WARNING > UNKNOWN > OK.
    pub fn worst(self, other: Status) -> Status {
        if other.rank() > self.rank() {
            other
        } else {
            self
        }
    }

    /// Parses `ok`, `warning`, `critical`, `unknown` (any case).
    pub fn parse(s: &str) -> Result<Status, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ok" => Ok(Status::Ok),
            "warning" | "warn" => Ok(Status::Warning),
            "critical" | "crit" => Ok(Status::Critical),
            "unknown" => Ok(Status::Unknown),
            _ => Err(format!(
                "`{s}` is not a state: use ok, warning, critical or unknown"
            )),
        }
    }
}

/// Warning and critical ranges.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Thresholds {
    /// Warning range.
    pub warn: Option<Range>,
    /// Critical range.
    pub crit: Option<Range>,
}

impl Thresholds {
    /// The state of `v`: CRITICAL when the critical range alerts, else WARNING when the
    /// warning range does, else OK.
    pub fn status(&self, v: f64) -> Status {
        if self.crit.is_some_and(|r| r.alerts(v)) {
            Status::Critical
        } else if self.warn.is_some_and(|r| r.alerts(v)) {
            Status::Warning
        } else {
            Status::Ok
        }
    }
}

/// One performance-data item: `'label'=value[UOM];warn;crit;min;max`.
#[derive(Debug, Clone, PartialEq)]
pub struct Perf {
    /// Label (quoted on output).
    pub label: String,
    /// Value.
    pub value: f64,
    /// Unit: ``, `s`, `%`, `B`, `c`…
    pub uom: &'static str,
    /// Thresholds, in the value's unit.
    pub thresholds: Thresholds,
    /// Minimum.
    pub min: Option<f64>,
    /// Maximum.
    pub max: Option<f64>,
}

impl Perf {
    /// A value with a unit and no thresholds, minimum 0.
    pub fn new(label: impl Into<String>, value: f64, uom: &'static str) -> Perf {
        Perf {
            label: label.into(),
            value,
            uom,
            thresholds: Thresholds::default(),
            min: Some(0.0),
            max: None,
        }
    }

    /// The item as perfdata writes it (trailing empty fields left out).
    pub fn render(&self) -> String {
        // Quotes are doubled inside a quoted label; `=` would end it, so it is replaced.
        let label = self.label.replace('\'', "''").replace('=', "_");
        let fields = [
            self.thresholds.warn.map(|r| r.to_string()),
            self.thresholds.crit.map(|r| r.to_string()),
            self.min.map(num),
            self.max.map(num),
        ];
        let keep = fields
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1);
        let mut s = format!("'{label}'={}{}", num(self.value), self.uom);
        for f in &fields[..keep] {
            s.push(';');
            s.push_str(f.as_deref().unwrap_or(""));
        }
        s
    }
}

/// A plugin's result.
#[derive(Debug, Clone)]
pub struct Report {
    /// The state.
    pub status: Status,
    /// The summary on the status line (one line).
    pub summary: String,
    /// Performance data.
    pub perf: Vec<Perf>,
    /// Long output, one item a line.
    pub long: Vec<String>,
}

impl Report {
    /// An UNKNOWN report with the reason.
    pub fn unknown(reason: impl Into<String>) -> Report {
        Report {
            status: Status::Unknown,
            summary: reason.into(),
            perf: Vec::new(),
            long: Vec::new(),
        }
    }

    /// The whole output: status line, then long output.
    pub fn render(&self) -> String {
        let summary = crate::error::one_line(&self.summary).replace('|', "/");
        let mut s = format!("{}: {summary}", self.status.word());
        if !self.perf.is_empty() {
            s.push_str(" | ");
            let items: Vec<String> = self.perf.iter().map(Perf::render).collect();
            s.push_str(&items.join(" "));
        }
        s.push('\n');
        for l in &self.long {
            // A `|` in long output would start perfdata for Nagios.
            let _ = writeln!(s, "{}", crate::error::one_line(l).replace('|', "/"));
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_state_wins() {
        use Status::*;
        assert_eq!(Ok.worst(Warning), Warning);
        assert_eq!(Critical.worst(Warning), Critical);
        assert_eq!(Unknown.worst(Ok), Unknown);
        assert_eq!(Unknown.worst(Warning), Warning);
        assert_eq!(
            [Ok, Warning, Critical, Unknown].map(Status::code),
            [0, 1, 2, 3]
        );
    }

    #[test]
    fn thresholds_pick_the_worse() {
        let t = Thresholds {
            warn: Some(Range::parse("80").unwrap()),
            crit: Some(Range::parse("90").unwrap()),
        };
        assert_eq!(t.status(50.0), Status::Ok);
        assert_eq!(t.status(85.0), Status::Warning);
        assert_eq!(t.status(95.0), Status::Critical);
    }

    #[test]
    fn perfdata_format() {
        let mut p = Perf::new("Repo 'A' = big", 12.5, "B");
        p.thresholds.warn = Some(Range::parse("10").unwrap());
        p.max = Some(100.0);
        assert_eq!(p.render(), "'Repo ''A'' _ big'=12.5B;10;;0;100");
        assert_eq!(Perf::new("n", 3.0, "").render(), "'n'=3;;;0");
        let mut bare = Perf::new("x", 1.0, "s");
        bare.min = None;
        assert_eq!(bare.render(), "'x'=1s");
    }

    #[test]
    fn report_lines() {
        let r = Report {
            status: Status::Warning,
            summary: "1 of 2 | odd\nline".into(),
            perf: vec![Perf::new("a", 1.0, "")],
            long: vec!["x | y".into()],
        };
        assert_eq!(
            r.render(),
            "WARNING: 1 of 2 / odd line | 'a'=1;;;0\nx / y\n"
        );
        assert_eq!(Report::unknown("no").render(), "UNKNOWN: no\n");
    }
}
