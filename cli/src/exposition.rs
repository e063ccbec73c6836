//! The Prometheus text exposition format 0.0.4: metric families with `# HELP` and
//! `# TYPE`, samples with escaped label values.

use std::fmt::Write as _;

/// The content type of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A metric family and its samples.
#[derive(Debug, Clone)]
pub struct Family {
    /// Metric name.
    pub name: String,
    /// `# HELP` text.
    pub help: &'static str,
    /// `gauge` or `counter`.
    pub kind: &'static str,
    /// Samples: labels and value.
    pub samples: Vec<(Vec<(&'static str, String)>, f64)>,
}

impl Family {
    /// A gauge without samples yet.
    pub fn gauge(name: impl Into<String>, help: &'static str) -> Family {
        Family {
            name: name.into(),
            help,
            kind: "gauge",
            samples: Vec::new(),
        }
    }

    /// Adds a sample.
    pub fn push(&mut self, labels: Vec<(&'static str, String)>, value: f64) {
        self.samples.push((labels, value));
    }

    /// The same family with `label=value` added to every sample (first).
    pub fn with_label(mut self, label: &'static str, value: &str) -> Family {
        for (labels, _) in &mut self.samples {
            labels.insert(0, (label, value.to_string()));
        }
        self
    }
}

/// Writes families; families of the same name given more than once are merged under one
/// `# HELP`/`# TYPE` (the format wants each family's samples together).
pub fn render(families: &[Family]) -> String {
    let mut order: Vec<&str> = Vec::new();
    for f in families {
        if !order.contains(&f.name.as_str()) {
            order.push(&f.name);
        }
    }
    let mut out = String::new();
    for name in order {
        let same: Vec<&Family> = families.iter().filter(|f| f.name == name).collect();
        let first = same[0];
        let _ = writeln!(out, "# HELP {name} {}", escape_help(first.help));
        let _ = writeln!(out, "# TYPE {name} {}", first.kind);
        for f in same {
            for (labels, v) in &f.samples {
                out.push_str(name);
                if !labels.is_empty() {
                    out.push('{');
                    let parts: Vec<String> = labels
                        .iter()
                        .map(|(k, v)| format!("{k}=\"{}\"", escape_label(v)))
                        .collect();
                    out.push_str(&parts.join(","));
                    out.push('}');
                }
                let _ = writeln!(out, " {}", value(*v));
            }
        }
    }
    out
}

/// A sample value: integers without a fraction, `NaN`, `+Inf`, `-Inf`.
pub fn value(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// A label value with `\`, `"` and line feeds escaped.
pub fn escape_label(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn families_samples_and_escapes() {
        let mut a = Family::gauge("veeam_em_x_bytes", "Bytes.");
        a.push(vec![("job", "a \"b\" \\ c\nd".into())], 1.5);
        let mut b = Family::gauge("veeam_em_up", "Up.");
        b.push(Vec::new(), 1.0);
        let mut a2 = Family::gauge("veeam_em_x_bytes", "Bytes.");
        a2.push(vec![("job", "z".into())], 3.0);
        let text = render(&[a, b, a2]);
        assert_eq!(
            text,
            "# HELP veeam_em_x_bytes Bytes.\n# TYPE veeam_em_x_bytes gauge\n\
             veeam_em_x_bytes{job=\"a \\\"b\\\" \\\\ c\\nd\"} 1.5\nveeam_em_x_bytes{job=\"z\"} 3\n\
             # HELP veeam_em_up Up.\n# TYPE veeam_em_up gauge\nveeam_em_up 1\n"
        );
    }

    #[test]
    fn values() {
        assert_eq!(value(1.0), "1");
        assert_eq!(value(-2.0), "-2");
        assert_eq!(value(0.25), "0.25");
        assert_eq!(value(f64::NAN), "NaN");
        assert_eq!(value(f64::INFINITY), "+Inf");
        assert_eq!(value(1748736000.0), "1748736000");
    }

    #[test]
    fn extra_labels_come_first() {
        let mut f = Family::gauge("m", "h");
        f.push(vec![("job", "j".into())], 1.0);
        let f = f.with_label("server", "em1");
        assert_eq!(f.samples[0].0[0], ("server", "em1".to_string()));
    }
}
