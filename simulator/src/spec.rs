//! The spec (`spec/em.toml`, compiled in) as em-sim reads it: the operations as routes (URL
//! template, verb, `?action=`, documented statuses, returned type), the links each type
//! offers, query types and their filterable fields, and enum orders.
//!
//! The spec is loaded at start through `emrest-codegen` (the same loader and checks as the
//! generated client) rather than at build time: it costs a few milliseconds once, keeps
//! em-sim free of a build script, and a broken spec is reported by [`load`] as an error.

use std::collections::HashMap;
use std::sync::OnceLock;

use emrest_codegen::ir::{Ir, OpIr, Returns, TypeIr, Verb};

/// The JSON member of an element's own text, as the spec names it.
pub fn json_text() -> &'static str {
    &get().ir.api.json_text
}

/// The spec source compiled into em-sim.
const SOURCE: &str = include_str!("../../spec/em.toml");

/// One segment of a URL template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// A literal segment, lower-cased (literal segments match case-insensitively).
    Lit(String),
    /// A placeholder (`{ID}`, `{vmname}`, ...).
    Var,
    /// `{filepath}`: the rest of the path (guest-file paths hold slashes).
    Rest,
}

/// A parsed URL template: `/agents/jobs/{ID}?format=Entity`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    /// Path segments below `/api`.
    pub segs: Vec<Seg>,
    /// Literal query pairs (`format=Entity`, `action=start`), names lower-cased.
    pub query: Vec<(String, String)>,
}

impl Template {
    /// Parses a spec path. Placeholders in the query (`?{QUERY}`) are dropped.
    pub fn parse(path: &str) -> Template {
        let (p, q) = path.split_once('?').unwrap_or((path, ""));
        let segs = p
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| {
                if s == "{filepath}" {
                    Seg::Rest
                } else if s.starts_with('{') {
                    Seg::Var
                } else {
                    Seg::Lit(s.to_ascii_lowercase())
                }
            })
            .collect();
        let query = q
            .split('&')
            .filter_map(|kv| kv.split_once('='))
            .filter(|(k, v)| !k.contains('{') && !v.contains('{'))
            .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
            .collect();
        Template { segs, query }
    }

    /// The placeholder values when `segs` (lower-cased) matches, taken from `raw` (the
    /// segments as sent).
    pub fn capture(&self, lsegs: &[String], raw: &[String]) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for (i, s) in self.segs.iter().enumerate() {
            match s {
                Seg::Lit(l) => {
                    if lsegs.get(i) != Some(l) {
                        return None;
                    }
                }
                Seg::Var => out.push(raw.get(i)?.clone()),
                Seg::Rest => {
                    out.push(raw.get(i..)?.join("/"));
                    return Some(out);
                }
            }
        }
        (lsegs.len() == self.segs.len()).then_some(out)
    }

    /// Whether the request's query carries every literal pair of the template (values
    /// compared case-insensitively) and, when the template has no `format`, no
    /// `format=Entity` either.
    pub fn query_matches(&self, query: &[(String, String)]) -> bool {
        let has = |k: &str, v: &str| {
            query
                .iter()
                .any(|(qk, qv)| qk.eq_ignore_ascii_case(k) && qv.eq_ignore_ascii_case(v))
        };
        self.query.iter().all(|(k, v)| has(k, v))
            && (self.query.iter().any(|(k, _)| k == "format") || !has("format", "entity"))
    }

    /// The URL path (with query) of this template with `ids` in its placeholders; `None`
    /// when there are too few ids.
    pub fn fill(&self, original: &str, ids: &[String]) -> Option<String> {
        let mut out = String::new();
        self.fill_into(original, ids.iter().map(String::as_str), &mut out)
            .then_some(out)
    }

    /// [`Template::fill`] appended to `out`; `false` (and `out` partly written) when there
    /// are too few ids.
    pub fn fill_into<'i>(
        &self,
        original: &str,
        mut ids: impl Iterator<Item = &'i str>,
        out: &mut String,
    ) -> bool {
        let (p, q) = original.split_once('?').unwrap_or((original, ""));
        let mut any = false;
        for s in p.split('/').filter(|s| !s.is_empty()) {
            out.push('/');
            any = true;
            if s.starts_with('{') {
                match ids.next() {
                    Some(id) => out.push_str(id),
                    None => return false,
                }
            } else {
                out.push_str(s);
            }
        }
        if !any {
            out.push('/');
        }
        if !q.is_empty() && !q.contains('{') {
            out.push('?');
            out.push_str(q);
        }
        true
    }

    /// Whether `rest` (an href below `/api`: path and query, not decoded) has this form —
    /// the same test as [`Template::capture`] plus [`Template::query_matches`], without
    /// allocating (it runs for every link of every rendered representation).
    pub fn matches_href(&self, rest: &str) -> bool {
        self.matches_split(&SplitHref::new(rest))
    }

    /// [`Template::matches_href`] of an href split once ([`SplitHref`]), for testing one
    /// href against many templates.
    pub fn matches_split(&self, h: &SplitHref<'_>) -> bool {
        let path_ok = if h.all {
            // (The segments by their place: no iterator over them.)
            let mut k = 0;
            let mut ok = None;
            for s in &self.segs {
                match s {
                    Seg::Lit(l) if k < h.len && h.seg(k).eq_ignore_ascii_case(l) => k += 1,
                    Seg::Var if k < h.len => k += 1,
                    Seg::Rest => {
                        ok = Some(k < h.len);
                        break;
                    }
                    _ => {
                        ok = Some(false);
                        break;
                    }
                }
            }
            ok.unwrap_or(k == h.len)
        } else {
            self.path_matches(h.segs())
        };
        if !path_ok {
            return false;
        }
        let q = h.query;
        if q.is_empty() && self.query.is_empty() {
            return true;
        }
        let has = |k: &str, v: &str| {
            q.split('&').any(|kv| {
                let (qk, qv) = kv.split_once('=').unwrap_or((kv, ""));
                qk.eq_ignore_ascii_case(k) && qv.eq_ignore_ascii_case(v)
            })
        };
        self.query.iter().all(|(k, v)| has(k, v))
            && (self.query.iter().any(|(k, _)| k == "format") || !has("format", "entity"))
    }

    /// Whether the non-empty path segments `segs` have this template's form.
    fn path_matches<'s>(&self, mut segs: impl Iterator<Item = &'s str>) -> bool {
        for s in &self.segs {
            match s {
                Seg::Lit(l) => match segs.next() {
                    Some(x) if x.eq_ignore_ascii_case(l) => {}
                    _ => return false,
                },
                Seg::Var => {
                    if segs.next().is_none() {
                        return false;
                    }
                }
                Seg::Rest => return segs.next().is_some(),
            }
        }
        segs.next().is_none()
    }

    /// Number of placeholders.
    pub fn vars(&self) -> usize {
        self.segs
            .iter()
            .filter(|s| !matches!(s, Seg::Lit(_)))
            .count()
    }
}

/// An href below `/api` split once into its non-empty path segments and its query, to be
/// tested against many templates ([`Template::matches_split`]).
pub struct SplitHref<'a> {
    path: &'a str,
    /// Where the first [`SPLIT_SEGS`] non-empty segments end in `path` (each starts after
    /// the `/` before it); the rest of `path` after the last is split again when needed.
    ends: [u16; SPLIT_SEGS],
    starts: [u16; SPLIT_SEGS],
    len: usize,
    /// All segments are in `ends` (else the rest starts after the last kept).
    all: bool,
    /// The query (after `?`), empty when none.
    query: &'a str,
}

/// The high bit of each byte of the 8-byte `word` equal to `c` (the others clear): the
/// word's zero bytes after xor, found without carries between bytes.
fn equal_bytes(word: &[u8], c: u8) -> u64 {
    const LO7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(word);
    let x = u64::from_le_bytes(bytes) ^ (u64::from(c) * 0x0101_0101_0101_0101);
    !((((x & LO7) + LO7) | x) | LO7)
}

/// The first index of `c` in `b`, eight bytes at a time.
fn find_byte(b: &[u8], c: u8) -> Option<usize> {
    let mut i = 0;
    while let Some(word) = b.get(i..i + 8) {
        let m = equal_bytes(word, c);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    b.iter().skip(i).position(|&x| x == c).map(|k| i + k)
}

/// Segments a [`SplitHref`] keeps in place (hrefs of the spec have fewer).
const SPLIT_SEGS: usize = 10;

impl<'a> SplitHref<'a> {
    /// Splits `rest` (path and query, not decoded).
    pub fn new(rest: &'a str) -> SplitHref<'a> {
        let (path, query) = match find_byte(rest.as_bytes(), b'?') {
            Some(i) => (&rest[..i], &rest[i + 1..]),
            None => (rest, ""),
        };
        let mut h = SplitHref {
            path,
            ends: [0; SPLIT_SEGS],
            starts: [0; SPLIT_SEGS],
            len: 0,
            all: path.len() < usize::from(u16::MAX),
            query,
        };
        if !h.all {
            return h;
        }
        // The slashes found eight bytes at a time: the split runs for every link of every
        // item of a page.
        let b = path.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while let Some(word) = b.get(i..i + 8) {
            let mut slashes = equal_bytes(word, b'/');
            while slashes != 0 {
                let at = i + (slashes.trailing_zeros() / 8) as usize;
                if !h.segment(&mut start, at) {
                    return h;
                }
                slashes &= slashes - 1;
            }
            i += 8;
        }
        for (at, &c) in b.iter().enumerate().skip(i) {
            if c == b'/' && !h.segment(&mut start, at) {
                return h;
            }
        }
        h.segment(&mut start, b.len());
        h
    }

    /// Ends the segment from `start` at `end` (a slash or the end of the path), kept when
    /// not empty; `false` when [`SPLIT_SEGS`] are kept already (the rest is split later).
    fn segment(&mut self, start: &mut usize, end: usize) -> bool {
        if end > *start {
            if self.len == SPLIT_SEGS {
                self.all = false;
                return false;
            }
            // (Both fit: the path is shorter than `u16::MAX`.)
            self.starts[self.len] = *start as u16;
            self.ends[self.len] = end as u16;
            self.len += 1;
        }
        *start = end + 1;
        true
    }

    /// Kept segment `k` (of the first `len`).
    fn seg(&self, k: usize) -> &'a str {
        let (s, e) = (self.starts[k], self.ends[k]);
        self.path.get(usize::from(s)..usize::from(e)).unwrap_or("")
    }

    /// The non-empty path segments in order.
    fn segs(&self) -> impl Iterator<Item = &'a str> + '_ {
        let path = self.path;
        let kept = (0..self.len).map(move |k| {
            path.get(usize::from(self.starts[k])..usize::from(self.ends[k]))
                .unwrap_or("")
        });
        let rest = match (self.all, self.len) {
            (true, _) => "",
            (false, 0) => path,
            (false, n) => path.get(usize::from(self.ends[n - 1])..).unwrap_or(""),
        };
        kept.chain(rest.split('/').filter(|s| !s.is_empty()))
    }
}

/// One operation of the spec, ready for routing.
#[derive(Debug)]
pub struct Route {
    /// Type offering the operation (by its links).
    pub owner: &'static TypeIr,
    /// The operation.
    pub op: &'static OpIr,
    /// Its URL template.
    pub template: Template,
}

impl Route {
    /// The verb as an HTTP method name.
    pub fn verb(&self) -> &'static str {
        self.op.verb.as_str()
    }

    /// The type answered, if a representation.
    pub fn returns(&self) -> Option<&'static str> {
        match &self.op.returns {
            Returns::Type(t) => Some(t.as_str()),
            _ => None,
        }
    }

    /// The first documented success status.
    pub fn status(&self) -> u16 {
        self.op
            .status
            .first()
            .copied()
            .unwrap_or(match self.op.verb {
                Verb::Get => 200,
                _ if self.op.task => 202,
                _ => 204,
            })
    }
}

/// The spec, loaded once.
#[derive(Debug)]
pub struct Spec {
    /// The loaded spec.
    pub ir: &'static Ir,
    /// Every operation (in spec order).
    pub routes: Vec<Route>,
    /// Type by name.
    types: HashMap<&'static str, &'static TypeIr>,
    /// Enum values by enum name.
    enums: HashMap<&'static str, &'static [&'static str]>,
    /// The URL form as the spec writes it (`/cdpReplicas/{ID}/vms/{ID}`) of every store key
    /// (`/cdpreplicas/{}/vms/{}`), for hrefs in the documented case.
    key_forms: HashMap<String, String>,
    /// Every type's documented URL form (`[types.X] path`), for GETs no link leads to.
    pub type_paths: Vec<(Template, &'static TypeIr)>,
    /// The URL templates of each type's operations (in `ops` order), by type name.
    op_templates: HashMap<&'static str, Vec<Template>>,
}

static SPEC: OnceLock<Result<&'static Spec, String>> = OnceLock::new();

/// Loads the compiled-in spec (once); the error says where the spec is wrong.
pub fn load() -> Result<&'static Spec, String> {
    SPEC.get_or_init(|| {
        let ir = emrest_codegen::load_str(SOURCE, "spec/em.toml")
            .map_err(|d| format!("spec/em.toml: {d}"))?;
        Ok(build(ir))
    })
    .clone()
}

/// The spec; [`crate::spawn`] loads it before serving, so a handler always finds it.
pub fn get() -> &'static Spec {
    match load() {
        Ok(s) => s,
        // Invariant: `spawn` refuses to start when the spec does not load, and the spec is
        // compiled in, so it loads the same way every time.
        Err(e) => unreachable!("em-sim serves only after the spec loaded: {e}"),
    }
}

fn build(ir: Ir) -> &'static Spec {
    // The spec lives as long as the process: handlers hold `&'static` views into it.
    let ir: &'static Ir = Box::leak(Box::new(ir));
    let mut routes = Vec::new();
    let mut types = HashMap::new();
    for t in &ir.types {
        types.insert(t.name.as_str(), t);
        for op in &t.ops {
            routes.push(Route {
                owner: t,
                op,
                template: Template::parse(&op.path),
            });
        }
    }
    let mut key_forms = HashMap::new();
    for r in &routes {
        for j in 1..=r.template.vars() {
            if let (Some(k), Some(form)) = (
                crate::store::key_of(&r.template, j),
                prefix_form(&r.op.path, j),
            ) {
                key_forms.entry(k).or_insert(form);
            }
        }
    }
    let enums = ir
        .enums
        .iter()
        .map(|e| {
            let vals: Vec<&'static str> = e.values.iter().map(|(v, _)| v.as_str()).collect();
            (e.name.as_str(), &*Vec::leak(vals))
        })
        .collect();
    Box::leak(Box::new(Spec {
        ir,
        routes,
        types,
        enums,
        key_forms,
        op_templates: ir
            .types
            .iter()
            .map(|t| {
                let ts = t.ops.iter().map(|o| Template::parse(&o.path)).collect();
                (t.name.as_str(), ts)
            })
            .collect(),
        type_paths: ir
            .types
            .iter()
            .filter_map(|t| t.path.as_deref().map(|p| (Template::parse(p), t)))
            .collect(),
    }))
}

/// The segments of `path` up to and including its `vars`-th placeholder.
fn prefix_form(path: &str, vars: usize) -> Option<String> {
    let p = path.split('?').next().unwrap_or(path);
    let mut out = String::new();
    let mut seen = 0;
    for s in p.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(s);
        if s.starts_with('{') {
            seen += 1;
            if seen == vars {
                return Some(out);
            }
        }
    }
    None
}

impl Spec {
    /// The type named `name`.
    pub fn ty(&self, name: &str) -> Option<&'static TypeIr> {
        self.types.get(name).copied()
    }

    /// The URL templates of `ty`'s operations, in `ops` order.
    pub fn op_templates(&self, ty: &str) -> &[Template] {
        self.op_templates.get(ty).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The URL form of store key `key` as the spec writes it (literal segments in their case).
    pub fn key_form(&self, key: &str) -> Option<&str> {
        self.key_forms.get(key).map(String::as_str)
    }

    /// The values of enum `name` in declaration order (the query service's order).
    pub fn enum_values(&self, name: &str) -> &'static [&'static str] {
        self.enums.get(name).copied().unwrap_or(&[])
    }

    /// The position of `value` in enum `name` (case-insensitive).
    pub fn enum_index(&self, name: &str, value: &str) -> Option<usize> {
        self.enum_values(name)
            .iter()
            .position(|v| v.eq_ignore_ascii_case(value))
    }

    /// The queryable type whose `type=` name is `name` (case-insensitive).
    pub fn query_type(&self, name: &str) -> Option<&'static TypeIr> {
        self.types.values().copied().find(|t| {
            t.query
                .as_ref()
                .is_some_and(|q| q.name.eq_ignore_ascii_case(name))
        })
    }

    /// The routes whose template matches the path (lower-cased `lsegs`, raw `segs`), with
    /// the captured placeholder values.
    pub fn routes_at<'a>(
        &'static self,
        lsegs: &'a [String],
        segs: &'a [String],
    ) -> impl Iterator<Item = (&'static Route, Vec<String>)> + 'a {
        self.routes
            .iter()
            .filter_map(move |r| r.template.capture(lsegs, segs).map(|ids| (r, ids)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_loads_with_every_operation() {
        let s = load().expect("the compiled-in spec loads");
        assert_eq!(
            s.routes.len(),
            s.ir.types.iter().map(|t| t.ops.len()).sum::<usize>()
        );
        assert!(s.routes.len() > 400);
        assert_eq!(s.enum_values("JobResult")[0], "Success");
        assert_eq!(s.enum_index("JobResult", "none"), Some(3));
    }

    #[test]
    fn templates_capture_and_fill() {
        let t = Template::parse("/agents/jobs/{ID}?action=start");
        let raw: Vec<String> = vec!["Agents".into(), "jobs".into(), "X1".into()];
        let low: Vec<String> = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
        assert_eq!(t.capture(&low, &raw), Some(vec!["X1".to_string()]));
        assert_eq!(t.capture(&low[..2], &raw[..2]), None);
        assert_eq!(t.query, vec![("action".into(), "start".into())]);
        assert!(t.query_matches(&[("Action".into(), "Start".into())]));
        assert!(!t.query_matches(&[]));
        assert_eq!(
            t.fill("/agents/jobs/{ID}?action=start", &["a".into()]),
            Some("/agents/jobs/a?action=start".into())
        );
        assert_eq!(t.fill("/agents/jobs/{ID}", &[]), None);
        let f = Template::parse("/catalog/vms/{vmname}/guestfs/{filepath}");
        let raw: Vec<String> = ["catalog", "vms", "vm1", "guestfs", "C:", "a", "b.txt"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            f.capture(&raw, &raw),
            Some(vec!["vm1".into(), "C:/a/b.txt".into()])
        );
        assert!(t.matches_href("/agents/JOBS/x1?Action=Start"));
        assert!(!t.matches_href("/agents/jobs/x1"));
        assert!(!t.matches_href("/agents/jobs/x1/more?action=start"));
        assert!(f.matches_href("/catalog/vms/vm1/guestfs/C:/a/b.txt"));
        let plain = Template::parse("/jobs");
        assert!(plain.matches_href("/jobs"));
        assert!(!plain.matches_href("/jobs?format=Entity"));
        assert!(!plain.query_matches(&[("format".into(), "Entity".into())]));
    }

    /// A byte is found eight at a time at every position, first occurrence first, also in
    /// the bytes after the last whole word; bytes that differ only in their high bit are not
    /// taken for it.
    #[test]
    fn bytes_are_found_word_by_word() {
        for n in 0..26 {
            let plain = vec![b'a'; n];
            assert_eq!(find_byte(&plain, b'?'), None);
            let high = vec![b'?' | 0x80; n];
            assert_eq!(find_byte(&high, b'?'), None);
            for at in 0..n {
                let mut b = plain.clone();
                b[at] = b'?';
                if at + 3 < n {
                    b[at + 3] = b'?';
                }
                assert_eq!(find_byte(&b, b'?'), Some(at), "{n} {at}");
            }
        }
    }

    /// An href split once ([`SplitHref`]) matches a template exactly when its segments, split
    /// anew, are captured by it (a rest not empty) and its query carries the template's: past the
    /// segments the split keeps in place, with empty segments and a `{filepath}` rest.
    #[test]
    fn split_hrefs_match_as_captured() {
        let deep: String = (0..14).map(|i| format!("/s{i}")).collect();
        let templates = [
            "/agents/jobs/{ID}?action=start",
            "/jobs/{ID}",
            "/jobs",
            "/catalog/vms/{vmname}/guestfs/{filepath}",
            &format!("{deep}/{{ID}}"),
            &deep,
        ];
        let hrefs = [
            "/agents/JOBS/x1?Action=Start".to_string(),
            "/agents/jobs/x1".into(),
            "//jobs//j1/".into(),
            "/jobs/j1?format=Entity".into(),
            "/jobs".into(),
            "/".into(),
            "".into(),
            "/catalog/vms/vm1/guestfs/C:/a/b/c/d/e/f/g/h/i/j/k.txt".into(),
            "/catalog/vms/vm1/guestfs".into(),
            format!("{deep}/x"),
            format!("{deep}//x/"),
            format!("{deep}/x/y"),
            deep.clone(),
        ];
        let mut matched = 0;
        for t in templates.map(Template::parse) {
            for h in &hrefs {
                let (p, q) = h.split_once('?').unwrap_or((h, ""));
                let raw: Vec<String> = p
                    .split('/')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect();
                let lower: Vec<String> = raw.iter().map(|s| s.to_ascii_lowercase()).collect();
                let query: Vec<(String, String)> = q
                    .split('&')
                    .filter(|kv| !kv.is_empty())
                    .map(|kv| kv.split_once('=').unwrap_or((kv, "")))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
                // (A `{filepath}` rest must hold a segment; `capture` also takes none.)
                let rest_ok = |ids: &Vec<String>| {
                    !t.segs.contains(&Seg::Rest) || ids.last().is_some_and(|r| !r.is_empty())
                };
                let want = t.capture(&lower, &raw).is_some_and(|ids| rest_ok(&ids))
                    && t.query_matches(&query);
                assert_eq!(t.matches_href(h), want, "{t:?} {h}");
                matched += usize::from(want);
            }
        }
        assert_eq!(matched, 7);
    }
}
