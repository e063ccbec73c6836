//! Output: tables for people (fitted to the terminal), JSON for scripts, colour only on a
//! terminal and never under `NO_COLOR`, and a spinner while waiting.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use console::{measure_text_width, Style};
use emrest::runtime::json::node_to_json;
use emrest::runtime::{Casing, DateTime, Node};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::Value as Json;

/// The output format of listings and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Mode {
    /// Tables for people.
    #[default]
    Table,
    /// JSON: a listing is one array, streamed as it pages.
    Json,
    /// JSON Lines: one compact object per line.
    Jsonl,
    /// CSV (RFC 4180) with a header line of the JSON keys; raw values.
    Csv,
}

/// How to print.
#[derive(Debug, Clone, Copy)]
pub struct Out {
    /// JSON (or JSON Lines) instead of tables: commands print their values as JSON.
    pub json: bool,
    /// The exact format.
    pub mode: Mode,
    /// Colour on standard output.
    pub colour: bool,
    /// Width available for tables (`None`: not a terminal, no limit).
    pub width: Option<usize>,
}

impl Out {
    /// Decides from the flags and the environment.
    pub fn new(mode: Mode, no_color: bool) -> Out {
        let tty = std::io::stdout().is_terminal();
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let colour = tty && !no_color && !no_color_env && mode == Mode::Table;
        console::set_colors_enabled(colour);
        console::set_colors_enabled_stderr(
            std::io::stderr().is_terminal() && !no_color && !no_color_env,
        );
        let width = if tty {
            console::Term::stdout()
                .size_checked()
                .map(|(_, w)| w as usize)
                .or(Some(100))
        } else {
            None
        };
        Out {
            json: matches!(mode, Mode::Json | Mode::Jsonl),
            mode,
            colour,
            width,
        }
    }

    /// Tables for people, whatever the flags said (the demo).
    pub fn tables(self) -> Out {
        Out {
            json: false,
            mode: Mode::Table,
            ..self
        }
    }

    /// Prints a listing in the chosen format.
    pub fn table(&self, t: &Table) {
        let mut l = crate::listing::Listing::new(*self, t.cols.clone());
        for r in &t.rows {
            l.push(r.clone());
        }
        l.finish();
    }

    /// Prints a JSON value (pretty; one compact line under `--output jsonl`).
    pub fn json_value(&self, v: &Json) {
        let text = if self.mode == Mode::Jsonl {
            serde_json::to_string(v)
        } else {
            serde_json::to_string_pretty(v)
        }
        .unwrap_or_else(|_| "null".into());
        print_text(&format!("{text}\n"));
    }

    /// A line of text (not in JSON mode: commands print their JSON themselves).
    pub fn line(&self, s: impl AsRef<str>) {
        print_text(&format!("{}\n", s.as_ref()));
    }
}

/// Writes to standard output; a closed pipe (`vem jobs | head`) is not an error. False when
/// nothing more can be written (listings stop paging then).
pub fn print_text(s: &str) -> bool {
    let mut out = std::io::stdout().lock();
    out.write_all(s.as_bytes()).is_ok() && out.flush().is_ok()
}

/// A representation as JSON (PascalCase member names, as EM writes them).
pub fn node_json(node: &Node) -> Json {
    node_to_json(node, Casing::Pascal, crate::generic::json_text())
}

/// A column.
#[derive(Debug, Clone)]
pub struct Col {
    /// JSON key.
    pub key: String,
    /// Header.
    pub title: String,
    /// Right-aligned (numbers).
    pub right: bool,
    /// Left out of tables (not JSON) first when the terminal is too narrow.
    pub optional: bool,
}

impl Col {
    /// Marks the column as the first to leave a table that does not fit.
    pub fn optional(mut self) -> Col {
        self.optional = true;
        self
    }
}

/// Shorthand for a left-aligned column.
pub fn col(key: impl Into<String>, title: impl Into<String>) -> Col {
    Col {
        key: key.into(),
        title: title.into(),
        right: false,
        optional: false,
    }
}

/// Shorthand for a right-aligned column.
pub fn rcol(key: impl Into<String>, title: impl Into<String>) -> Col {
    Col {
        key: key.into(),
        title: title.into(),
        right: true,
        optional: false,
    }
}

/// One cell: what people see, what scripts get, and an optional style.
#[derive(Debug, Clone)]
pub struct Cell {
    /// Text shown in tables.
    pub text: String,
    /// Value in JSON.
    pub json: Json,
    /// Colour in tables.
    pub style: Option<Style>,
}

impl Cell {
    /// Text, the same in both forms.
    pub fn text(s: impl Into<String>) -> Cell {
        let s = s.into();
        Cell {
            json: Json::String(s.clone()),
            text: s,
            style: None,
        }
    }

    /// Optional text (`-` in tables, `null` in JSON).
    pub fn opt(s: Option<impl Into<String>>) -> Cell {
        match s {
            Some(s) => Cell::text(s),
            None => Cell::none(),
        }
    }

    /// No value.
    pub fn none() -> Cell {
        Cell {
            text: "-".into(),
            json: Json::Null,
            style: None,
        }
    }

    /// A number.
    pub fn int(n: Option<i64>) -> Cell {
        match n {
            Some(n) => Cell {
                text: n.to_string(),
                json: Json::from(n),
                style: None,
            },
            None => Cell::none(),
        }
    }

    /// A size in bytes: human-readable in tables, the exact number in JSON.
    pub fn bytes(n: Option<i64>) -> Cell {
        match n {
            Some(n) => Cell {
                text: human_bytes(n),
                json: Json::from(n),
                style: None,
            },
            None => Cell::none(),
        }
    }

    /// A duration in seconds: `1h 5m` in tables, the number of seconds in JSON.
    pub fn duration(secs: Option<i64>) -> Cell {
        match secs {
            Some(n) => Cell {
                text: human_duration(n),
                json: Json::from(n),
                style: None,
            },
            None => Cell::none(),
        }
    }

    /// A date-time: `2025-02-19 12:00` (UTC) in tables, as EM wrote it in JSON.
    pub fn time(t: Option<&DateTime>) -> Cell {
        match real_time(t) {
            Some(t) => Cell {
                text: short_time(t),
                json: Json::String(t.0.clone()),
                style: None,
            },
            None => Cell::none(),
        }
    }

    /// A job or task result, coloured by how it went.
    pub fn result(s: Option<&str>) -> Cell {
        let mut c = Cell::opt(s);
        c.style = s.and_then(result_style);
        c
    }
}

/// The colour of a result word: green for success, yellow for warnings, red for failures.
pub fn result_style(s: &str) -> Option<Style> {
    let l = s.to_ascii_lowercase();
    if l.starts_with("success") || l == "true" || l == "ok" {
        Some(Style::new().green())
    } else if l.starts_with("warn") {
        Some(Style::new().yellow())
    } else if l.starts_with("fail") || l == "false" || l.starts_with("error") {
        Some(Style::new().red().bold())
    } else {
        None
    }
}

/// A table.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// Columns.
    pub cols: Vec<Col>,
    /// Rows, one cell per column.
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    /// A table with these columns.
    pub fn new(cols: Vec<Col>) -> Table {
        Table {
            cols,
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty).
    pub fn push(&mut self, mut row: Vec<Cell>) {
        row.resize_with(self.cols.len(), Cell::none);
        self.rows.push(row);
    }

    /// The table as text, fitted into `width` columns when given: optional columns leave
    /// first (rightmost first), then the widest columns are cut.
    #[cfg(test)]
    pub fn render(&self, width: Option<usize>, colour: bool) -> String {
        if self.rows.is_empty() {
            return "(none)\n".to_string();
        }
        let layout = self.layout(width);
        let mut out = self.render_header(&layout, colour);
        for r in &self.rows {
            out.push_str(&self.render_row(&layout, r, colour));
        }
        out
    }

    /// Which columns are shown and how wide, from the rows held now (a streamed listing
    /// sizes its columns from its first chunk and keeps them).
    pub fn layout(&self, width: Option<usize>) -> Layout {
        let natural: Vec<usize> = self
            .cols
            .iter()
            .enumerate()
            .map(|(i, c)| {
                self.rows
                    .iter()
                    .filter_map(|r| r.get(i))
                    .map(|cell| measure_text_width(&cell.text))
                    .max()
                    .unwrap_or(0)
                    .max(measure_text_width(&c.title))
            })
            .collect();
        let mut shown: Vec<usize> = (0..self.cols.len()).collect();
        let total = |idx: &[usize]| {
            idx.iter().map(|&i| natural[i]).sum::<usize>() + 2 * idx.len().saturating_sub(1)
        };
        if let Some(max) = width {
            let max = max.saturating_sub(1);
            while total(&shown) > max {
                match shown.iter().rposition(|&i| self.cols[i].optional) {
                    Some(p) => {
                        shown.remove(p);
                    }
                    None => break,
                }
            }
        }
        let mut w: Vec<usize> = shown.iter().map(|&i| natural[i]).collect();
        if let Some(max) = width {
            let owned: Vec<Col> = shown.iter().map(|&i| self.cols[i].clone()).collect();
            fit(&mut w, &owned, max.saturating_sub(1));
        }
        Layout { shown, widths: w }
    }

    /// The header line of `layout`.
    pub fn render_header(&self, layout: &Layout, colour: bool) -> String {
        let header: Vec<String> = layout
            .shown
            .iter()
            .zip(&layout.widths)
            .map(|(&i, &w)| {
                let c = &self.cols[i];
                let t = pad(&cut(&c.title, w), w, c.right);
                if colour {
                    Style::new().bold().apply_to(t).to_string()
                } else {
                    t
                }
            })
            .collect();
        let mut out = header.join("  ").trim_end().to_string();
        out.push('\n');
        out
    }

    /// One row in `layout` (cells wider than their column are cut).
    pub fn render_row(&self, layout: &Layout, r: &[Cell], colour: bool) -> String {
        let empty = Cell::none();
        let cells: Vec<String> = layout
            .shown
            .iter()
            .zip(&layout.widths)
            .map(|(&i, &w)| {
                let c = r.get(i).unwrap_or(&empty);
                let t = pad(&cut(&c.text, w), w, self.cols[i].right);
                match (&c.style, colour) {
                    (Some(s), true) => s.apply_to(t).to_string(),
                    _ => t,
                }
            })
            .collect();
        let mut out = cells.join("  ").trim_end().to_string();
        out.push('\n');
        out
    }
}

/// The shown columns of a table and their widths.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Indexes of the shown columns.
    pub shown: Vec<usize>,
    /// Width of each shown column.
    pub widths: Vec<usize>,
}

/// Shrinks the widest columns until the row fits `max` (never below 6 characters a column).
fn fit(w: &mut [usize], cols: &[Col], max: usize) {
    let total = |w: &[usize]| w.iter().sum::<usize>() + 2 * w.len().saturating_sub(1);
    while total(w) > max {
        let Some((i, &widest)) = w.iter().enumerate().max_by_key(|(_, v)| **v) else {
            return;
        };
        let floor = measure_text_width(&cols[i].title).clamp(4, 6);
        if widest <= floor {
            return;
        }
        w[i] = widest.saturating_sub(total(w) - max).max(floor);
    }
}

/// `s` cut to `width` display columns, with `…` when cut.
fn cut(s: &str, width: usize) -> String {
    if measure_text_width(s) <= width {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = measure_text_width(ch.encode_utf8(&mut [0; 4]));
        if used + cw + 1 > width {
            break;
        }
        out.push(ch);
        used += cw;
    }
    out.push('…');
    out
}

fn pad(s: &str, width: usize, right: bool) -> String {
    let fill = " ".repeat(width.saturating_sub(measure_text_width(s)));
    if right {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    }
}

/// `1.5 GiB`.
pub fn human_bytes(n: i64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let neg = n < 0;
    let mut v = n.unsigned_abs() as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    let sign = if neg { "-" } else { "" };
    if u == 0 {
        format!("{sign}{v} {}", UNITS[u])
    } else {
        format!("{sign}{v:.1} {}", UNITS[u])
    }
}

/// `2025-02-19T12:00:11.94Z` → `2025-02-19 12:00` (UTC).
pub fn short_time(t: &DateTime) -> String {
    let utc = t.to_utc();
    let s = utc.0.as_str();
    if s.len() >= 16 && s.is_char_boundary(16) && s.as_bytes().get(10) == Some(&b'T') {
        format!("{} {}", &s[..10], &s[11..16])
    } else {
        s.to_string()
    }
}

/// `90061` seconds → `1d 1h 1m`; under a minute in seconds.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (d, h, m) = (s / 86_400, s % 86_400 / 3600, s % 3600 / 60);
    match (d, h, m) {
        (0, 0, 0) => format!("{s}s"),
        (0, 0, m) => format!("{m}m {}s", s % 60),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, m) => format!("{d}d {h}h {m}m"),
    }
}

/// The time, unless it is one of EM's "no date" sentinels (`1753-01-01`, the SQL Server
/// minimum, and `1900-01-01`, written for sessions that have not ended). A time vem cannot
/// read is kept as EM wrote it.
pub fn real_time(t: Option<&DateTime>) -> Option<&DateTime> {
    // 1900-01-02T00:00:00Z: anything before it is a sentinel, not a real backup time.
    const FIRST_REAL: i64 = -2_208_902_400;
    t.filter(|t| t.unix_seconds().is_none_or(|s| s >= FIRST_REAL))
}

/// A spinner on standard error (hidden when it is not a terminal).
pub fn spinner(msg: impl Into<String>) -> ProgressBar {
    let pb = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        pb.set_style(style);
    }
    pb.set_message(msg.into());
    pb.enable_steady_tick(Duration::from_millis(120));
    pb
}

/// A note for people on standard error (kept out of JSON on standard output).
pub fn note(s: impl AsRef<str>) {
    // A closed standard error is no reason to panic.
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", s.as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(1_079_639_011_328), "1005.5 GiB");
        assert_eq!(human_bytes(i64::MIN), "-8192.0 PiB");
    }

    #[test]
    fn durations_and_sentinels() {
        assert_eq!(human_duration(42), "42s");
        assert_eq!(human_duration(90), "1m 30s");
        assert_eq!(human_duration(8 * 3600 + 60), "8h 1m");
        assert_eq!(human_duration(90061), "1d 1h 1m");
        assert_eq!(human_duration(-5), "0s");
        for none in [
            "1753-01-01T00:00:00Z",
            "1900-01-01T00:00:00",
            "1900-01-01T00:00:00+01:00",
        ] {
            assert!(real_time(Some(&DateTime(none.into()))).is_none(), "{none}");
        }
        assert!(real_time(Some(&DateTime("soon".into()))).is_some());
        let t = DateTime("2025-02-19T12:00:00Z".into());
        assert!(real_time(Some(&t)).is_some());
    }

    #[test]
    fn times() {
        assert_eq!(
            short_time(&DateTime("2025-02-19T12:00:11.94Z".into())),
            "2025-02-19 12:00"
        );
        assert_eq!(short_time(&DateTime("soon".into())), "soon");
    }

    #[test]
    fn table_fits_and_cuts() {
        let mut t = Table::new(vec![col("a", "name"), rcol("b", "size")]);
        t.push(vec![
            Cell::text("a very long job name indeed"),
            Cell::int(Some(5)),
        ]);
        let s = t.render(Some(20), false);
        for line in s.lines() {
            assert!(measure_text_width(line) <= 19, "{line:?}");
        }
        assert!(s.contains('…'));
        let wide = t.render(None, false);
        assert!(wide.contains("a very long job name indeed"));
        // An optional column leaves before anything is cut.
        let mut t = Table::new(vec![col("a", "name"), col("u", "uid").optional()]);
        t.push(vec![
            Cell::text("SQL Backup"),
            Cell::text("urn:veeam:Job:0000"),
        ]);
        let s = t.render(Some(20), false);
        assert!(s.contains("SQL Backup") && !s.contains("urn"), "{s}");
        assert!(t.render(Some(200), false).contains("urn:veeam:Job:0000"));
    }

    #[test]
    fn narrow_terminals_never_panic() {
        let cols: Vec<Col> = (0..8)
            .map(|i| col(format!("k{i}"), format!("COLUMN {i}")))
            .collect();
        let mut t = Table::new(cols);
        t.push((0..8).map(|i| Cell::text("x".repeat(i * 7 + 1))).collect());
        t.push(vec![Cell::text("é漢字"), Cell::none()]);
        for width in [0, 1, 5, 20, 40, 80, 200] {
            let _ = t.render(Some(width), true);
        }
    }

    #[test]
    fn empty_table() {
        assert_eq!(
            Table::new(vec![col("a", "A")]).render(None, false),
            "(none)\n"
        );
    }
}
