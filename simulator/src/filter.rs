//! The query service's filter grammar (REFERENCE.md §7.2), its evaluation, sorting and paging.
//!
//! ```text
//! expr  := and (',' and)*          OR
//! and   := atom (';' atom)*        AND
//! atom  := '(' expr ')' | field op value
//! op    := '==' | '!=' | '<=' | '>=' | '<' | '>'
//! value := '"' ( char | '""' )* '"' | unquoted characters up to ';' ',' ')' (spaces stripped)
//! ```
//! Field names and enum values are case-insensitive; enums compare by declaration index;
//! date-times are UTC.

use std::borrow::Cow;
use std::cmp::Ordering;

use crate::util::parse_time_ms;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `==`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    /// All must hold (`;`).
    And(Vec<Expr>),
    /// One must hold (`,`).
    Or(Vec<Expr>),
    /// `field op value`.
    Cmp {
        /// Field name as written.
        field: String,
        /// Operator.
        op: Op,
        /// Value, unquoted and unescaped.
        value: String,
    },
}

/// A field value of a record, as the evaluator sees it.
#[derive(Debug, Clone, PartialEq)]
pub enum Val<'a> {
    /// Text (compared ASCII case-insensitively).
    Str(Cow<'a, str>),
    /// Integer.
    Int(i64),
    /// Boolean.
    Bool(bool),
    /// UTC time in milliseconds since the epoch; `None` for "never".
    Time(Option<i64>),
    /// Enum value: declaration index and the declared names.
    Enum(usize, &'static [&'static str]),
}

/// A record that exposes fields by (lower-case) name.
pub trait Record {
    /// The value of `field` (given in lower case), or `None` if the type has no such field.
    fn field(&self, field: &str) -> Option<Val<'_>>;
}

/// Parses a filter expression.
pub fn parse(input: &str) -> Result<Expr, String> {
    let mut p = Parser {
        s: input.as_bytes(),
        src: input,
        i: 0,
    };
    let e = p.or()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(format!(
            "Unexpected `{}` at position {} of the filter.",
            &input[p.i..].chars().next().unwrap_or(' '),
            p.i
        ));
    }
    Ok(e)
}

struct Parser<'a> {
    s: &'a [u8],
    src: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.s.get(self.i).copied()
    }

    fn or(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(b',') {
            self.i += 1;
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::Or(items)
        })
    }

    fn and(&mut self) -> Result<Expr, String> {
        let mut items = vec![self.atom()?];
        while self.peek() == Some(b';') {
            self.i += 1;
            items.push(self.atom()?);
        }
        Ok(if items.len() == 1 {
            items.remove(0)
        } else {
            Expr::And(items)
        })
    }

    fn atom(&mut self) -> Result<Expr, String> {
        match self.peek() {
            None => Err("The filter ends where a condition was expected.".into()),
            Some(b'(') => {
                self.i += 1;
                let e = self.or()?;
                if self.peek() != Some(b')') {
                    return Err("Missing `)` in the filter.".into());
                }
                self.i += 1;
                Ok(e)
            }
            Some(_) => self.cmp(),
        }
    }

    fn cmp(&mut self) -> Result<Expr, String> {
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || matches!(self.s[self.i], b'_' | b'.'))
        {
            self.i += 1;
        }
        let field = self.src[start..self.i].to_string();
        if field.is_empty() {
            return Err(format!(
                "A field name is expected at position {start} of the filter."
            ));
        }
        self.ws();
        let rest = &self.s[self.i..];
        let (op, len) = if rest.starts_with(b"==") {
            (Op::Eq, 2)
        } else if rest.starts_with(b"!=") {
            (Op::Ne, 2)
        } else if rest.starts_with(b"<=") {
            (Op::Le, 2)
        } else if rest.starts_with(b">=") {
            (Op::Ge, 2)
        } else if rest.starts_with(b"<") {
            (Op::Lt, 1)
        } else if rest.starts_with(b">") {
            (Op::Gt, 1)
        } else {
            return Err(format!(
                "An operator is expected after `{field}` in the filter."
            ));
        };
        self.i += len;
        self.ws();
        let value = if self.s.get(self.i) == Some(&b'"') {
            self.i += 1;
            let mut v = String::new();
            loop {
                let rest = &self.src[self.i..];
                let Some(q) = rest.find('"') else {
                    return Err("Unterminated quoted string in the filter.".into());
                };
                v.push_str(&rest[..q]);
                self.i += q + 1;
                if self.s.get(self.i) == Some(&b'"') {
                    v.push('"');
                    self.i += 1;
                } else {
                    break;
                }
            }
            v
        } else {
            let start = self.i;
            while self.i < self.s.len() && !matches!(self.s[self.i], b';' | b',' | b')') {
                self.i += 1;
            }
            self.src[start..self.i]
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect()
        };
        Ok(Expr::Cmp { field, op, value })
    }
}

impl Expr {
    /// Every field name used, for validation against a type's fields.
    pub fn fields(&self) -> Vec<&str> {
        match self {
            Expr::And(v) | Expr::Or(v) => v.iter().flat_map(|e| e.fields()).collect(),
            Expr::Cmp { field, .. } => vec![field.as_str()],
        }
    }

    /// Evaluates against a record. Errors are bad values (an unknown enum value, a malformed
    /// number or date) or unknown fields.
    pub fn eval(&self, r: &dyn Record) -> Result<bool, String> {
        match self {
            Expr::And(v) => {
                for e in v {
                    if !e.eval(r)? {
                        return Ok(false);
                    }
                }
                Ok(true)
            }
            Expr::Or(v) => {
                for e in v {
                    if e.eval(r)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            Expr::Cmp { field, op, value } => {
                let f = field.to_ascii_lowercase();
                let v = r
                    .field(&f)
                    .ok_or_else(|| format!("Unknown field `{field}` in the filter."))?;
                let ord = compare_literal(&v, value)
                    .map_err(|e| format!("Bad value for `{field}`: {e}"))?;
                Ok(match (op, ord) {
                    (Op::Eq, o) => o == Some(Ordering::Equal),
                    (Op::Ne, o) => o != Some(Ordering::Equal),
                    (_, None) => false,
                    (Op::Lt, Some(o)) => o == Ordering::Less,
                    (Op::Le, Some(o)) => o != Ordering::Greater,
                    (Op::Gt, Some(o)) => o == Ordering::Greater,
                    (Op::Ge, Some(o)) => o != Ordering::Less,
                })
            }
        }
    }
}

fn ci_cmp(a: &str, b: &str) -> Ordering {
    a.bytes()
        .map(|c| c.to_ascii_lowercase())
        .cmp(b.bytes().map(|c| c.to_ascii_lowercase()))
}

/// Compares a record value with a literal; `None` when incomparable (a null date).
fn compare_literal(v: &Val<'_>, lit: &str) -> Result<Option<Ordering>, String> {
    Ok(match v {
        Val::Str(s) => Some(ci_cmp(s, lit)),
        Val::Int(i) => {
            let l: i64 = lit
                .parse()
                .map_err(|_| format!("`{lit}` is not a number"))?;
            Some(i.cmp(&l))
        }
        Val::Bool(b) => {
            let l = if lit.eq_ignore_ascii_case("true") {
                true
            } else if lit.eq_ignore_ascii_case("false") {
                false
            } else {
                return Err(format!("`{lit}` is not a boolean"));
            };
            Some(b.cmp(&l))
        }
        Val::Time(t) => {
            let l = parse_time_ms(lit).ok_or_else(|| format!("`{lit}` is not a UTC date-time"))?;
            t.map(|t| t.cmp(&l))
        }
        Val::Enum(i, names) => {
            let l = names
                .iter()
                .position(|n| n.eq_ignore_ascii_case(lit))
                .ok_or_else(|| format!("`{lit}` is not one of {}", names.join(", ")))?;
            Some(i.cmp(&l))
        }
    })
}

/// Orders two record values of one field (for `sortAsc`/`sortDesc`).
pub fn compare_vals(a: &Val<'_>, b: &Val<'_>) -> Ordering {
    match (a, b) {
        (Val::Str(a), Val::Str(b)) => ci_cmp(a, b),
        (Val::Int(a), Val::Int(b)) => a.cmp(b),
        (Val::Bool(a), Val::Bool(b)) => a.cmp(b),
        (Val::Time(a), Val::Time(b)) => a.cmp(b),
        (Val::Enum(a, _), Val::Enum(b, _)) => a.cmp(b),
        _ => Ordering::Equal,
    }
}

/// Paging of `total` items: the effective page (1-based, clamped to at least 1), page size
/// and page count (at least 1), and the index range of the page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Paging {
    /// Page number (1-based).
    pub page: usize,
    /// Page size.
    pub size: usize,
    /// Number of pages (1 when there are no items).
    pub pages: usize,
    /// First item index on the page.
    pub start: usize,
    /// One past the last item index on the page.
    pub end: usize,
}

impl Paging {
    /// Computes paging for `total` items; `size` must be > 0.
    pub fn new(total: usize, size: usize, page: usize) -> Paging {
        let size = size.max(1);
        let pages = total.div_ceil(size).max(1);
        let page = page.max(1);
        let start = (page - 1).saturating_mul(size).min(total);
        let end = start.saturating_add(size).min(total);
        Paging {
            page,
            size,
            pages,
            start,
            end,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RESULTS: &[&str] = &["None", "Success", "Warning", "Failed"];

    struct R {
        name: &'static str,
        result: usize,
        size: i64,
        retry: bool,
        time: Option<i64>,
    }

    impl Record for R {
        fn field(&self, f: &str) -> Option<Val<'_>> {
            Some(match f {
                "name" => Val::Str(Cow::Borrowed(self.name)),
                "result" => Val::Enum(self.result, RESULTS),
                "totalsize" => Val::Int(self.size),
                "isretry" => Val::Bool(self.retry),
                "creationtime" => Val::Time(self.time),
                _ => return None,
            })
        }
    }

    fn r(name: &'static str) -> R {
        R {
            name,
            result: 1,
            size: 10,
            retry: false,
            time: Some(1_739_966_411_000),
        }
    }

    fn cmp(field: &str, op: Op, value: &str) -> Expr {
        Expr::Cmp {
            field: field.into(),
            op,
            value: value.into(),
        }
    }

    fn eval(f: &str, rec: &R) -> bool {
        parse(f).unwrap().eval(rec).unwrap()
    }

    #[test]
    fn parses_operators_and_precedence() {
        assert_eq!(parse("a==1").unwrap(), cmp("a", Op::Eq, "1"));
        for (s, op) in [
            ("a!=1", Op::Ne),
            ("a<1", Op::Lt),
            ("a<=1", Op::Le),
            ("a>1", Op::Gt),
            ("a>=1", Op::Ge),
        ] {
            assert_eq!(parse(s).unwrap(), cmp("a", op, "1"));
        }
        assert_eq!(
            parse("a==1;b==2,c==3").unwrap(),
            Expr::Or(vec![
                Expr::And(vec![cmp("a", Op::Eq, "1"), cmp("b", Op::Eq, "2")]),
                cmp("c", Op::Eq, "3")
            ])
        );
        assert_eq!(
            parse("(jobtype==replica;scheduleconfigured==false),(jobtype==backup;scheduleconfigured==true)")
                .unwrap()
                .fields(),
            vec!["jobtype", "scheduleconfigured", "jobtype", "scheduleconfigured"]
        );
        assert_eq!(
            parse("a==1;(b==2,c==3)").unwrap(),
            Expr::And(vec![
                cmp("a", Op::Eq, "1"),
                Expr::Or(vec![cmp("b", Op::Eq, "2"), cmp("c", Op::Eq, "3")])
            ])
        );
    }

    #[test]
    fn quoted_values_keep_specials() {
        assert_eq!(
            parse(r#"Name=="Exchange Backup""#).unwrap(),
            cmp("Name", Op::Eq, "Exchange Backup")
        );
        assert_eq!(
            parse(r#"Name=="say ""hi"";, (x) a==b""#).unwrap(),
            cmp("Name", Op::Eq, r#"say "hi";, (x) a==b"#)
        );
        assert_eq!(parse(r#"Name=="""#).unwrap(), cmp("Name", Op::Eq, ""));
        assert_eq!(parse(r#"Name=="""""#).unwrap(), cmp("Name", Op::Eq, "\""));
        assert_eq!(
            parse(r#"(Name=="a)b";x==1)"#).unwrap(),
            Expr::And(vec![cmp("Name", Op::Eq, "a)b"), cmp("x", Op::Eq, "1")])
        );
        assert!(parse(r#"Name=="open"#).is_err());
    }

    #[test]
    fn unquoted_values_strip_spaces() {
        assert_eq!(
            parse("Name == Exchange Backup ; x==1").unwrap(),
            Expr::And(vec![
                cmp("Name", Op::Eq, "ExchangeBackup"),
                cmp("x", Op::Eq, "1")
            ])
        );
        assert_eq!(
            parse("CreationTime>=2025-02-18T14:16:31").unwrap(),
            cmp("CreationTime", Op::Ge, "2025-02-18T14:16:31")
        );
        assert_eq!(
            parse("HierarchyObjRef==urn:VMware:Vm:b5a6.vm-31017").unwrap(),
            cmp("HierarchyObjRef", Op::Eq, "urn:VMware:Vm:b5a6.vm-31017")
        );
    }

    #[test]
    fn rejects_malformed() {
        for bad in [
            "",
            "(",
            "a==1)",
            "(a==1",
            "==1",
            "a=1",
            "a==1;",
            "a==1,",
            "a 1",
            ";a==1",
            "a==1;;b==2",
            "a==1)(",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
    }

    #[test]
    fn evaluates_types() {
        let mut x = r("Exchange Backup");
        assert!(eval(r#"name=="exchange backup""#, &x));
        assert!(eval("NAME!=other", &x));
        assert!(eval("result==success", &x));
        assert!(!eval("Result>Success", &x));
        x.result = 2;
        assert!(eval("Result>Success", &x));
        x.result = 3;
        assert!(eval("Result>Success;Result>=Warning", &x));
        assert!(eval("TotalSize>9;TotalSize<=10", &x));
        assert!(eval("IsRetry==false", &x));
        assert!(eval(r#"CreationTime>="2025-02-19T12:00:11Z""#, &x));
        assert!(eval("CreationTime>=2025-02-19T12:00:11", &x));
        assert!(!eval("CreationTime>2025-02-19T12:00:11.5Z", &x));
        assert!(eval("CreationTime<2025-02-19T13:00:12+01:00", &x));
        x.time = None;
        assert!(!eval("CreationTime<2030-01-01", &x));
        assert!(eval("CreationTime!=2030-01-01", &x));
        assert!(eval("(name==a,name==b),totalsize==10", &x));
        assert!(!eval("(name==a,name==b);totalsize==10", &x));
    }

    #[test]
    fn evaluation_errors() {
        let x = r("a");
        assert!(parse("nope==1").unwrap().eval(&x).is_err());
        assert!(parse("result==Great").unwrap().eval(&x).is_err());
        assert!(parse("totalsize==ten").unwrap().eval(&x).is_err());
        assert!(parse("isretry==maybe").unwrap().eval(&x).is_err());
        assert!(parse("creationtime>soon").unwrap().eval(&x).is_err());
    }

    #[test]
    fn paging_math() {
        assert_eq!(
            Paging::new(0, 100, 1),
            Paging {
                page: 1,
                size: 100,
                pages: 1,
                start: 0,
                end: 0
            }
        );
        let p = Paging::new(250, 100, 3);
        assert_eq!((p.pages, p.start, p.end), (3, 200, 250));
        let p = Paging::new(250, 100, 4);
        assert_eq!((p.pages, p.start, p.end), (3, 250, 250));
        let p = Paging::new(10, 3, 0);
        assert_eq!((p.page, p.pages, p.start, p.end), (1, 4, 0, 3));
        let p = Paging::new(5, 0, usize::MAX);
        assert_eq!((p.size, p.pages, p.start, p.end), (1, 5, 5, 5));
        let p = Paging::new(100, 100, 1);
        assert_eq!((p.pages, p.start, p.end), (1, 0, 100));
    }
}
