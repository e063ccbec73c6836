//! Streaming JSON decoding: a pull cursor over JSON tokens that generated types read
//! themselves from, with no intermediate tree (no `serde_json::Value`, no [`Node`]).
//!
//! The document is checked to be UTF-8 once; strings are borrowed from it unless they hold
//! escapes. Nesting is bounded by [`crate::json::MAX_DEPTH`], as with the tree parser. The
//! grammar is RFC 8259's: no comments, no trailing commas, no NaN.

use std::borrow::Cow;

use crate::json::MAX_DEPTH;
use crate::node::{JsonKind, Node};
use crate::repr::DecodeError;

/// The kind of the next JSON value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonTok {
    /// `{`
    Object,
    /// `[`
    Array,
    /// A string.
    String,
    /// A number.
    Number,
    /// `true` or `false`.
    Bool,
    /// `null`.
    Null,
}

/// A pull cursor over one JSON document.
pub struct JsonIn<'a> {
    doc: &'a str,
    pos: usize,
    depth: usize,
    /// The container just opened has no member/item read yet.
    first: bool,
    /// The container just opened was empty and is already closed.
    closed: bool,
}

impl<'a> JsonIn<'a> {
    /// A cursor over `bytes` (UTF-8, a byte-order mark tolerated).
    pub fn new(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let doc = std::str::from_utf8(crate::xml::strip_bom(bytes))
            .map_err(|e| DecodeError::new(format!("malformed JSON: not valid UTF-8: {e}")))?;
        Ok(JsonIn {
            doc,
            pos: 0,
            depth: 0,
            first: false,
            closed: false,
        })
    }

    fn err(&self, what: &str) -> DecodeError {
        let before = &self.doc[..self.pos.min(self.doc.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
        DecodeError::new(format!(
            "malformed JSON: {what} at line {line} column {column}"
        ))
    }

    fn bytes(&self) -> &'a [u8] {
        self.doc.as_bytes()
    }

    fn ws(&mut self) {
        let b = self.bytes();
        while let Some(c) = b.get(self.pos) {
            if matches!(c, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The kind of the next value (whitespace skipped).
    pub fn peek(&mut self) -> Result<JsonTok, DecodeError> {
        self.ws();
        match self.bytes().get(self.pos) {
            Some(b'{') => Ok(JsonTok::Object),
            Some(b'[') => Ok(JsonTok::Array),
            Some(b'"') => Ok(JsonTok::String),
            Some(b'-' | b'0'..=b'9') => Ok(JsonTok::Number),
            Some(b't' | b'f') => Ok(JsonTok::Bool),
            Some(b'n') => Ok(JsonTok::Null),
            Some(_) => Err(self.err("expected a value")),
            None => Err(self.err("unexpected end of input")),
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> Result<(), DecodeError> {
        self.ws();
        if self.bytes().get(self.pos) == Some(&c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn enter(&mut self) -> Result<(), DecodeError> {
        if self.depth >= MAX_DEPTH {
            return Err(self.err(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.depth += 1;
        Ok(())
    }

    /// Reads `{`; then call [`JsonIn::next_key`] until it answers `None`.
    pub fn begin_object(&mut self) -> Result<(), DecodeError> {
        self.open(b'{', b'}', "expected an object")
    }

    /// The next member name of the object being read (its value must be read next), or
    /// `None` at the closing `}`.
    pub fn next_key(&mut self) -> Result<Option<Cow<'a, str>>, DecodeError> {
        if !self.more(b'}', "expected `,` or `}`")? {
            return Ok(None);
        }
        self.ws();
        if self.bytes().get(self.pos) != Some(&b'"') {
            return Err(self.err("expected a member name"));
        }
        let key = self.string()?;
        self.expect(b':', "expected `:`")?;
        Ok(Some(key))
    }

    /// Reads `[`; then call [`JsonIn::next_item`] before each item until it answers false.
    pub fn begin_array(&mut self) -> Result<(), DecodeError> {
        self.open(b'[', b']', "expected an array")
    }

    /// Whether another item follows in the array being read.
    pub fn next_item(&mut self) -> Result<bool, DecodeError> {
        self.more(b']', "expected `,` or `]`")
    }

    /// Reads the opening `open` of a container (one level deeper); an empty container is
    /// closed at once and its first [`JsonIn::more`] answers false.
    fn open(&mut self, open: u8, close: u8, what: &str) -> Result<(), DecodeError> {
        self.expect(open, what)?;
        self.enter()?;
        self.ws();
        self.closed = self.bytes().get(self.pos) == Some(&close);
        if self.closed {
            self.pos += 1;
            self.depth -= 1;
        }
        self.first = true;
        Ok(())
    }

    /// Whether another member or item follows in the container being read (reading the `,`
    /// before it), or false at its closing `close`.
    fn more(&mut self, close: u8, what: &str) -> Result<bool, DecodeError> {
        if std::mem::take(&mut self.closed) {
            self.first = false;
            return Ok(false);
        }
        self.ws();
        if !self.first {
            match self.bytes().get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(&c) if c == close => {
                    self.pos += 1;
                    self.depth -= 1;
                    return Ok(false);
                }
                _ => return Err(self.err(what)),
            }
        }
        self.first = false;
        Ok(true)
    }

    /// Reads a string.
    pub fn string(&mut self) -> Result<Cow<'a, str>, DecodeError> {
        self.expect(b'"', "expected a string")?;
        let b = self.bytes();
        let start = self.pos;
        // Fast path: the run up to the first quote or backslash, found by memchr (SIMD), then
        // checked for control characters in one pass the compiler vectorises. A run that
        // ends at the quote is the whole string, borrowed.
        let rest = &b[start..];
        let end = memchr::memchr2(b'"', b'\\', rest).unwrap_or(rest.len());
        let run = &rest[..end];
        if run.iter().fold(false, |bad, &c| bad | (c < 0x20)) {
            self.pos = start + run.iter().position(|&c| c < 0x20).unwrap_or(0);
            return Err(self.err("control character in a string"));
        }
        let mut i = start + end;
        if rest.get(end) == Some(&b'"') {
            self.pos = i + 1;
            return Ok(Cow::Borrowed(&self.doc[start..i]));
        }
        let mut out = String::with_capacity(i - start + 16);
        out.push_str(&self.doc[start..i]);
        loop {
            let Some(&c) = b.get(i) else {
                self.pos = i;
                return Err(self.err("unterminated string"));
            };
            match c {
                b'"' => {
                    self.pos = i + 1;
                    return Ok(Cow::Owned(out));
                }
                b'\\' => {
                    let Some(&e) = b.get(i + 1) else {
                        self.pos = i;
                        return Err(self.err("unterminated string"));
                    };
                    i += 2;
                    match e {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4(i)?;
                            i += 4;
                            let ch = if (0xD800..0xDC00).contains(&hi) {
                                if b.get(i) != Some(&b'\\') || b.get(i + 1) != Some(&b'u') {
                                    self.pos = i;
                                    return Err(self.err("lone surrogate in a string"));
                                }
                                let lo = self.hex4(i + 2)?;
                                i += 6;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    self.pos = i;
                                    return Err(self.err("bad surrogate pair in a string"));
                                }
                                char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                            } else {
                                char::from_u32(hi)
                            };
                            match ch {
                                Some(ch) => out.push(ch),
                                None => {
                                    self.pos = i;
                                    return Err(self.err("lone surrogate in a string"));
                                }
                            }
                        }
                        _ => {
                            self.pos = i - 1;
                            return Err(self.err("bad escape in a string"));
                        }
                    }
                }
                0..=0x1f => {
                    self.pos = i;
                    return Err(self.err("control character in a string"));
                }
                _ => {
                    // Copy the run up to the next special byte (all ASCII: char boundaries).
                    let run = b[i..]
                        .iter()
                        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                        .map_or(b.len(), |n| i + n);
                    out.push_str(&self.doc[i..run]);
                    i = run;
                }
            }
        }
    }

    fn hex4(&mut self, at: usize) -> Result<u32, DecodeError> {
        let digits = self
            .doc
            .get(at..at + 4)
            .filter(|d| d.bytes().all(|c| c.is_ascii_hexdigit()));
        match digits.and_then(|d| u32::from_str_radix(d, 16).ok()) {
            Some(v) => Ok(v),
            None => {
                self.pos = at;
                Err(self.err("bad \\u escape"))
            }
        }
    }

    /// Reads a number, as written.
    pub fn number(&mut self) -> Result<&'a str, DecodeError> {
        self.ws();
        let b = self.bytes();
        let start = self.pos;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => {
                while b.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            _ => {
                self.pos = i;
                return Err(self.err("bad number"));
            }
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                self.pos = i;
                return Err(self.err("bad number"));
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(b.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if !b.get(i).is_some_and(u8::is_ascii_digit) {
                self.pos = i;
                return Err(self.err("bad number"));
            }
            while b.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        self.pos = i;
        Ok(&self.doc[start..i])
    }

    fn literal(&mut self, word: &str) -> Result<(), DecodeError> {
        self.ws();
        if self.doc[self.pos..].starts_with(word) {
            self.pos += word.len();
            Ok(())
        } else {
            Err(self.err("expected a value"))
        }
    }

    /// Reads `true` or `false`.
    pub fn boolean(&mut self) -> Result<bool, DecodeError> {
        self.ws();
        if self.bytes().get(self.pos) == Some(&b't') {
            self.literal("true").map(|_| true)
        } else {
            self.literal("false").map(|_| false)
        }
    }

    /// Reads `null`.
    pub fn null(&mut self) -> Result<(), DecodeError> {
        self.literal("null")
    }

    /// A scalar's text (string, number or boolean as written) and its kind; `None` for
    /// `null`. An object or array is an error.
    pub fn scalar(&mut self) -> Result<Option<(Cow<'a, str>, JsonKind)>, DecodeError> {
        Ok(match self.peek()? {
            JsonTok::String => Some((self.string()?, JsonKind::String)),
            JsonTok::Number => Some((Cow::Borrowed(self.number()?), JsonKind::Number)),
            JsonTok::Bool => Some((
                Cow::Borrowed(if self.boolean()? { "true" } else { "false" }),
                JsonKind::Bool,
            )),
            JsonTok::Null => {
                self.null()?;
                None
            }
            JsonTok::Object | JsonTok::Array => {
                return Err(DecodeError::new(
                    "expected a scalar, found an object or array",
                ))
            }
        })
    }

    /// Reads and drops the next value.
    pub fn skip(&mut self) -> Result<(), DecodeError> {
        match self.peek()? {
            JsonTok::Object => {
                self.begin_object()?;
                while self.next_key()?.is_some() {
                    self.skip()?;
                }
            }
            JsonTok::Array => {
                self.begin_array()?;
                while self.next_item()? {
                    self.skip()?;
                }
            }
            JsonTok::String => {
                self.string()?;
            }
            JsonTok::Number => {
                self.number()?;
            }
            JsonTok::Bool => {
                self.boolean()?;
            }
            JsonTok::Null => self.null()?,
        }
        Ok(())
    }

    /// The next value as a [`Node`] named `name` (the shape [`crate::parse_json`] builds);
    /// `None` for `null`.
    pub fn node(&mut self, name: &str) -> Result<Option<Node>, DecodeError> {
        let mut node = Node::new(name);
        match self.peek()? {
            JsonTok::Object => {
                self.begin_object()?;
                while let Some(k) = self.next_key()? {
                    if let Some(c) = self.node(&k)? {
                        node.children.push(c);
                    }
                }
            }
            JsonTok::Array => {
                node.array = true;
                self.begin_array()?;
                while self.next_item()? {
                    if let Some(c) = self.node(name)? {
                        node.children.push(c);
                    }
                }
            }
            _ => match self.scalar()? {
                None => return Ok(None),
                Some((text, kind)) => {
                    node.text = Some(text.into_owned());
                    node.json_kind = kind;
                }
            },
        }
        Ok(Some(node))
    }

    /// After the top-level value: only whitespace.
    pub fn finish(&mut self) -> Result<(), DecodeError> {
        self.ws();
        if self.pos < self.doc.len() {
            Err(self.err("content after the document"))
        } else {
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_string(doc: &str) -> Result<Cow<'_, str>, DecodeError> {
        JsonIn::new(doc.as_bytes())?.string()
    }

    #[test]
    fn strings_read_as_serde_json_writes_them() {
        // serde_json is the independent writer: whatever it escapes, the reader must undo,
        // and a string without escapes must come back borrowed.
        let long = "x".repeat(100);
        for s in [
            "",
            "plain",
            long.as_str(),
            "quote \" inside",
            "back\\slash at 40 bytes: ......................",
            "tab\tnew\nline\u{1} \u{1f} é 漢 😀",
            "ends with a backslash \\",
        ] {
            let doc = serde_json::to_string(s).unwrap();
            let got = one_string(&doc).unwrap();
            assert_eq!(got, s, "{doc}");
            let escaped = doc[1..doc.len() - 1].contains('\\');
            assert_eq!(matches!(got, Cow::Borrowed(_)), !escaped, "{doc}");
        }
    }

    #[test]
    fn control_characters_and_open_strings_are_errors_where_they_are() {
        for (doc, what, column) in [
            ("\"ab\u{1}cd\"", "control character", 4),
            (
                "\"0123456789012345678901234567890123456789\ncd\"",
                "control character",
                42,
            ),
            ("\"a\\n\u{1f}\"", "control character", 5),
            ("\"abc", "unterminated string", 5),
            ("\"abc\\", "unterminated string", 5),
        ] {
            let e = one_string(doc).unwrap_err().to_string();
            assert!(
                e.contains(what) && e.contains(&format!("column {column}")),
                "{doc:?}: {e}"
            );
        }
    }

    fn skip_all(doc: &str) -> Result<(), DecodeError> {
        let mut j = JsonIn::new(doc.as_bytes())?;
        j.skip()?;
        j.finish()
    }

    #[test]
    fn containers_follow_the_grammar() {
        for ok in [
            "{}",
            "[]",
            r#"{"a":[1,{"b":null}],"c":"\u00e9\ud83e\udd80"}"#,
            " [ true , false ] ",
        ] {
            assert!(skip_all(ok).is_ok(), "{ok}");
        }
        for bad in [
            "{]",
            "[}",
            "[1}",
            r#"{"a":1]"#,
            "[1,]",
            r#"{"a":1,}"#,
            "[1 2]",
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            "[",
            "{",
            "01",
            "1.",
            "\"\\x\"",
            "\"\\ud800\"",
            "nul",
            "[1]]",
            "\"a\u{1}\"",
        ] {
            assert!(skip_all(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn keys_and_items_in_order() {
        let mut j = JsonIn::new(br#"{"a":[1,2],"b":{}}"#).unwrap();
        j.begin_object().unwrap();
        assert_eq!(j.next_key().unwrap().as_deref(), Some("a"));
        j.begin_array().unwrap();
        let mut n = Vec::new();
        while j.next_item().unwrap() {
            n.push(j.number().unwrap().to_string());
        }
        assert_eq!(n, ["1", "2"]);
        assert_eq!(j.next_key().unwrap().as_deref(), Some("b"));
        j.begin_object().unwrap();
        assert_eq!(j.next_key().unwrap(), None);
        assert_eq!(j.next_key().unwrap(), None);
        j.finish().unwrap();
    }
}
