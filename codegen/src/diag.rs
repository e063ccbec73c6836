//! Diagnostics: a message tied to a byte range of the spec, rendered as
//! `PATH:LINE:COL: message` followed by the offending line.

use std::fmt;
use std::ops::Range;

/// One problem found in a spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Byte range in the spec source.
    pub span: Range<usize>,
    /// What is wrong.
    pub message: String,
}

impl Diagnostic {
    /// A diagnostic at `span`.
    pub fn new(span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            span,
            message: message.into(),
        }
    }
}

/// All problems found in one spec file, with the source needed to locate them.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    /// Path of the file, as shown in messages.
    pub path: String,
    /// The source text.
    pub source: String,
    /// The problems, in source order.
    pub items: Vec<Diagnostic>,
}

/// 1-based line and column (in characters) of byte offset `at` in `src`.
pub fn line_col(src: &str, at: usize) -> (usize, usize) {
    let at = floor_char_boundary(src, at.min(src.len()));
    let before = &src[..at];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let col = src[line_start..at].chars().count() + 1;
    (line, col)
}

fn floor_char_boundary(s: &str, mut i: usize) -> usize {
    while i > 0 && !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Diagnostics {
    /// Renders one diagnostic.
    pub fn render_one(&self, d: &Diagnostic) -> String {
        let (line, col) = line_col(&self.source, d.span.start);
        let text = self.source.lines().nth(line - 1).unwrap_or("");
        format!(
            "{}:{}:{}: {}\n{:>5} | {}",
            self.path, line, col, d.message, line, text
        )
    }

    /// The first diagnostic's location as `PATH:LINE:COL`.
    pub fn first_location(&self) -> Option<String> {
        self.items.first().map(|d| {
            let (l, c) = line_col(&self.source, d.span.start);
            format!("{}:{}:{}", self.path, l, c)
        })
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.items.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            f.write_str(&self.render_one(d))?;
        }
        if self.items.len() > 1 {
            write!(f, "\n{} errors in {}", self.items.len(), self.path)?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}
