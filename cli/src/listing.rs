//! Listings that print as they page: JSON as a streamed array, JSON Lines, CSV, or a table
//! whose columns are sized from its first chunk of rows. Memory stays bounded by one chunk
//! whatever the number of rows.

use serde_json::{Map, Value as Json};

use crate::output::{print_text, Cell, Col, Layout, Mode, Out, Table};

/// Rows held to size a table's columns before its first line is printed.
pub const CHUNK: usize = 200;

/// Bytes of output gathered before they are written.
const FLUSH_AT: usize = 32 * 1024;

/// A listing being printed.
pub struct Listing {
    out: Out,
    /// The columns, and (tables only) the rows held until the layout is fixed.
    table: Table,
    layout: Option<Layout>,
    count: usize,
    buf: String,
    broken: bool,
}

impl Listing {
    /// A listing with these columns in the format of `out`.
    pub fn new(out: Out, cols: Vec<Col>) -> Listing {
        Listing {
            out,
            table: Table::new(cols),
            layout: None,
            count: 0,
            buf: String::new(),
            broken: false,
        }
    }

    /// False once standard output is closed: the caller stops paging.
    pub fn alive(&self) -> bool {
        !self.broken
    }

    /// Adds a row; false when nothing more can be printed.
    pub fn push(&mut self, mut row: Vec<Cell>) -> bool {
        row.resize_with(self.table.cols.len(), Cell::none);
        match self.out.mode {
            Mode::Json | Mode::Jsonl => {
                let v = row_json(&self.table.cols, &row);
                self.push_json(&v)
            }
            Mode::Csv => {
                if self.count == 0 {
                    let keys: Vec<String> =
                        self.table.cols.iter().map(|c| csv_field(&c.key)).collect();
                    self.buf.push_str(&keys.join(","));
                    self.buf.push_str("\r\n");
                }
                let cells: Vec<String> = row.iter().map(|c| csv_value(&c.json)).collect();
                self.buf.push_str(&cells.join(","));
                self.buf.push_str("\r\n");
                self.count += 1;
                self.maybe_flush()
            }
            Mode::Table => {
                self.count += 1;
                match &self.layout {
                    Some(l) => {
                        let line = self.table.render_row(l, &row, self.out.colour);
                        self.buf.push_str(&line);
                        self.maybe_flush()
                    }
                    None => {
                        self.table.push(row);
                        if self.table.rows.len() >= CHUNK {
                            self.fix_layout();
                        }
                        !self.broken
                    }
                }
            }
        }
    }

    /// Adds a JSON value as it is (JSON and JSON Lines modes; other modes ignore it).
    pub fn push_json(&mut self, v: &Json) -> bool {
        match self.out.mode {
            Mode::Json => {
                self.buf
                    .push_str(if self.count == 0 { "[\n" } else { ",\n" });
                let text = serde_json::to_string_pretty(v).unwrap_or_else(|_| "null".into());
                for (i, line) in text.lines().enumerate() {
                    if i > 0 {
                        self.buf.push('\n');
                    }
                    self.buf.push_str("  ");
                    self.buf.push_str(line);
                }
            }
            Mode::Jsonl => {
                self.buf
                    .push_str(&serde_json::to_string(v).unwrap_or_else(|_| "null".into()));
                self.buf.push('\n');
            }
            Mode::Table | Mode::Csv => return !self.broken,
        }
        self.count += 1;
        self.maybe_flush()
    }

    fn fix_layout(&mut self) {
        let layout = self.table.layout(self.out.width);
        let mut text = self.table.render_header(&layout, self.out.colour);
        for r in &self.table.rows {
            text.push_str(&self.table.render_row(&layout, r, self.out.colour));
        }
        self.table.rows.clear();
        self.layout = Some(layout);
        self.buf.push_str(&text);
        self.flush();
    }

    fn maybe_flush(&mut self) -> bool {
        if self.buf.len() >= FLUSH_AT {
            self.flush();
        }
        !self.broken
    }

    fn flush(&mut self) {
        if !self.buf.is_empty() && !self.broken && !print_text(&self.buf) {
            self.broken = true;
        }
        self.buf.clear();
    }

    /// Prints what is left and closes the listing (`(none)` for an empty table, `[]` for an
    /// empty JSON array, the header alone for empty CSV).
    pub fn finish(mut self) {
        match self.out.mode {
            Mode::Json => self
                .buf
                .push_str(if self.count == 0 { "[]\n" } else { "\n]\n" }),
            Mode::Jsonl => {}
            Mode::Csv => {
                if self.count == 0 {
                    let keys: Vec<String> =
                        self.table.cols.iter().map(|c| csv_field(&c.key)).collect();
                    self.buf.push_str(&keys.join(","));
                    self.buf.push_str("\r\n");
                }
            }
            Mode::Table => {
                if self.count == 0 {
                    self.buf.push_str("(none)\n");
                } else if self.layout.is_none() {
                    self.fix_layout();
                }
            }
        }
        self.flush();
    }
}

/// A row as a JSON object keyed by the columns' keys.
pub fn row_json(cols: &[Col], row: &[Cell]) -> Json {
    let mut m = Map::new();
    for (c, cell) in cols.iter().zip(row) {
        m.insert(c.key.clone(), cell.json.clone());
    }
    Json::Object(m)
}

/// A raw value as a CSV field: strings as they are, numbers and booleans as JSON writes
/// them, null empty, anything nested as compact JSON.
pub fn csv_value(v: &Json) -> String {
    match v {
        Json::Null => String::new(),
        Json::String(s) => csv_field(s),
        Json::Bool(_) | Json::Number(_) => v.to_string(),
        other => csv_field(&other.to_string()),
    }
}

/// `s` quoted when it holds a comma, a quote or a line break (RFC 4180).
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quoting() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_value(&Json::Null), "");
        assert_eq!(csv_value(&serde_json::json!(12)), "12");
        assert_eq!(csv_value(&serde_json::json!(["x", 1])), "\"[\"\"x\"\",1]\"");
    }

    #[test]
    fn rows_as_json_objects() {
        let cols = vec![crate::output::col("a", "A"), crate::output::col("b", "B")];
        let v = row_json(&cols, &[Cell::text("x"), Cell::int(Some(3))]);
        assert_eq!(v, serde_json::json!({"a": "x", "b": 3}));
    }
}
