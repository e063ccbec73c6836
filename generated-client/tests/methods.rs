//! Conformance of `spec/em.toml` with the 353 documented methods of EM REST API 1.7.
//!
//! For every row of `tests/fixtures/em-docs/methods.tsv` (a copy of `em-api/methods.tsv`) the
//! test looks for the operation of the spec with the same verb, URL form and `?action=`:
//!
//! - an operation (`type rel method` of `emrest-codegen methods`) whose documented `path`,
//!   without `?format=Entity` and `?action=…`, is the row's path, and whose action (its
//!   `action` key or the `?action=` of its path) is the row's action;
//! - for a query row (`/query?type=X`), a representation with `query = "X"`, which
//!   `Session::query::<T>()` runs;
//! - for a GET of a non-key item that no link offers (`/jobs/{ID}/includes/{ID}`), the
//!   representation whose `path` is that URL (fetched by its own `Href` with `Session::get`);
//! - otherwise the row must be listed in the machine-readable table of `spec/DEVIATIONS.md`,
//!   whose `covered by` column is checked too (an operation `VERB path`, a representation
//!   fetched by Href, the logon of `[api]`, or `-` for pages that are not operations).
//!
//! Matched operations are also checked against the row's body and answer: a documented request
//! body needs a `body` (and none otherwise), the body or response type must be one of the roots
//! the row's samples show, and a 202 answered with a `Task` sample needs `task = true`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use emrest_codegen::ir::{Ir, OpIr, Returns, TypeIr, Verb};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load() -> Ir {
    emrest_codegen::load_path(root().join("spec/em.toml"))
        .unwrap_or_else(|d| panic!("spec/em.toml does not load:\n{d}"))
}

struct Row {
    page: String,
    verb: String,
    path: String,
    action: String,
    status: String,
    body: bool,
    roots: Vec<String>,
}

fn rows() -> Vec<Row> {
    let text = std::fs::read_to_string(root().join("tests/fixtures/em-docs/methods.tsv")).unwrap();
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            let col = |i: usize| c.get(i).copied().unwrap_or("").trim().to_string();
            Row {
                page: col(0),
                verb: col(1),
                path: col(2),
                action: col(3),
                status: col(4),
                body: col(5) == "yes",
                roots: col(6)
                    .split(',')
                    .filter(|s| !s.is_empty())
                    .map(str::to_string)
                    .collect(),
            }
        })
        .collect()
}

/// `(URL form, action)`: markdown escapes removed, `format=Entity` and `action=` taken out
/// of the query (both `?` and the documented typo `&` start it).
fn url_form(path: &str) -> (String, String) {
    let p = path.replace("\\_", "_");
    let (base, query) = match p.find(['?', '&']) {
        Some(i) if !p[..i].contains('=') => (p[..i].to_string(), p[i + 1..].to_string()),
        _ => (p.clone(), String::new()),
    };
    let mut action = String::new();
    let mut rest = Vec::new();
    for kv in query.split('&').filter(|s| !s.is_empty()) {
        if let Some(a) = kv.strip_prefix("action=") {
            action = a.to_string();
        } else if !kv.eq_ignore_ascii_case("format=Entity") {
            rest.push(kv);
        }
    }
    let form = if rest.is_empty() {
        base
    } else {
        format!("{base}?{}", rest.join("&"))
    };
    (form, action)
}

fn op_form(op: &OpIr) -> (String, String) {
    let (form, action) = url_form(&op.path);
    (form, op.action.clone().unwrap_or(action))
}

/// The machine-readable table of DEVIATIONS.md: page → (kind, covered by).
fn deviations() -> BTreeMap<String, (String, String)> {
    let text = std::fs::read_to_string(root().join("spec/DEVIATIONS.md")).unwrap();
    let mut out = BTreeMap::new();
    let mut in_table = false;
    for line in text.lines() {
        if line.starts_with("| page | kind | covered by |") {
            in_table = true;
            continue;
        }
        if in_table {
            if !line.starts_with('|') {
                break;
            }
            let c: Vec<&str> = line
                .split('|')
                .map(|s| s.trim().trim_matches('`'))
                .collect();
            if c.len() < 5 || c[1].starts_with("---") {
                continue;
            }
            out.insert(c[1].to_string(), (c[2].to_string(), c[3].to_string()));
        }
    }
    out
}

fn returns_type(op: &OpIr) -> Option<&str> {
    match &op.returns {
        Returns::Type(t) => Some(t),
        _ => None,
    }
}

/// Documented methods that the client reaches only through `Session::get` of a URL (the GETs
/// of list items by their own `Href`, the summary reports, the file paths of mounts).
const BY_URL_AT_MOST: usize = 14;

#[test]
fn every_documented_method_is_an_operation() {
    let ir = load();
    let roots: BTreeMap<&str, &str> = ir
        .types
        .iter()
        .map(|t| (t.name.as_str(), t.root.as_str()))
        .collect();
    let ops: Vec<(&TypeIr, &OpIr)> = ir
        .types
        .iter()
        .flat_map(|t| t.ops.iter().map(move |o| (t, o)))
        .collect();
    let find = |verb: &str, form: &str, action: &str| -> Vec<(&TypeIr, &OpIr)> {
        ops.iter()
            .copied()
            .filter(|(_, o)| {
                let (f, a) = op_form(o);
                o.verb.as_str() == verb && f == form && a == action
            })
            .collect()
    };
    let deviations = deviations();
    let query_prefix = format!("/{}?type=", ir.api.query.path);
    let (mut by_op, mut by_query, mut by_href, mut by_dev) = (0, 0, 0, 0);
    // Of the rows covered through DEVIATIONS.md: by a typed operation or the typed logon,
    // by a representation's URL (fetched with `Session::get`), or not a method at all.
    let (mut dev_typed, mut dev_href, mut not_methods) = (0, 0, 0);
    let mut failures = Vec::new();
    let mut used = Vec::new();
    let rows = rows();
    for row in &rows {
        let (form, action) = url_form(&row.path);
        let found = find(&row.verb, &form, &action);
        // Where a link has two forms (with and without its optional body), the row's.
        let chosen = found
            .iter()
            .find(|(_, o)| o.body.is_some() == row.body)
            .or(found.first());
        if let Some(&(_, op)) = chosen {
            by_op += 1;
            // Body and answer, against the row.
            if deviations
                .get(&row.page)
                .is_some_and(|(k, _)| k == "body" || k == "task")
            {
                used.push(row.page.clone());
                continue;
            }
            if row.body != op.body.is_some() {
                failures.push(format!(
                    "{}: documented request body {} but the operation {} has {:?}",
                    row.page,
                    if row.body { "yes" } else { "none" },
                    op.method,
                    op.body
                ));
            }
            let documented: Vec<&String> = row.roots.iter().filter(|r| *r != "Task").collect();
            if row.body && !documented.is_empty() {
                let body_root = op.body.as_deref().and_then(|b| roots.get(b).copied());
                let ret_root = returns_type(op).and_then(|r| roots.get(r).copied());
                if !documented
                    .iter()
                    .any(|r| Some(r.as_str()) == body_root || Some(r.as_str()) == ret_root)
                {
                    failures.push(format!(
                        "{}: body {:?} / response {:?} of {} are none of the documented roots {:?}",
                        row.page, op.body, op.returns, op.method, documented
                    ));
                }
            }
            if row.status == "202" && row.roots.iter().any(|r| r == "Task") && !op.task {
                failures.push(format!(
                    "{}: answered with a Task (202) but {} is not `task`",
                    row.page, op.method
                ));
            }
            continue;
        }
        if let Some(q) = row.path.strip_prefix(&query_prefix) {
            if ir.types.iter().any(|t| {
                t.query
                    .as_ref()
                    .is_some_and(|x| x.name.eq_ignore_ascii_case(q))
            }) {
                by_query += 1;
                continue;
            }
        }
        if row.verb == "GET"
            && ir
                .types
                .iter()
                .any(|t| t.path.as_deref().is_some_and(|p| url_form(p).0 == form))
        {
            by_href += 1;
            continue;
        }
        match deviations.get(&row.page) {
            Some((kind, by)) => {
                used.push(row.page.clone());
                let ok = match kind.as_str() {
                    "path" => {
                        let (verb, path) = by.split_once(' ').unwrap_or((by, ""));
                        let (f, a) = url_form(path);
                        !find(verb, &f, &a).is_empty()
                    }
                    "href" => roots.contains_key(by.as_str()),
                    "logon" => ir.types.iter().any(|t| t.name == ir.api.entry),
                    "none" => row.path == "Method",
                    _ => false,
                };
                if ok {
                    by_dev += 1;
                    match kind.as_str() {
                        "href" => dev_href += 1,
                        "none" => not_methods += 1,
                        _ => dev_typed += 1,
                    }
                } else {
                    failures.push(format!(
                        "{}: DEVIATIONS.md says `{kind}` `{by}`, which the spec does not have",
                        row.page
                    ));
                }
            }
            None => failures.push(format!(
                "{}: {} {} (action `{}`) is not an operation of spec/em.toml",
                row.page, row.verb, row.path, row.action
            )),
        }
    }
    for page in deviations.keys() {
        if !used.contains(page) {
            failures.push(format!(
                "DEVIATIONS.md lists `{page}`, which needs no deviation (or is not a page)"
            ));
        }
    }
    let covered = by_op + by_query + by_href + by_dev;
    println!(
        "methods.tsv coverage: {covered}/{} ({by_op} by operation, {by_query} by query type, {by_href} by representation URL, {by_dev} through DEVIATIONS.md)",
        rows.len()
    );
    // The plain figure: methods with a typed form (an operation, a query type, the logon)
    // and methods reached only by URL, out of the rows that are methods.
    let methods = rows.len() - not_methods;
    let typed = by_op + by_query + dev_typed;
    let by_url = by_href + dev_href;
    println!("typed {typed}/{methods}, by URL {by_url}");
    assert_eq!(
        rows.len(),
        353,
        "methods.tsv should list the 353 documented methods"
    );
    assert_eq!(
        not_methods, 4,
        "the four generic verb pages are the only non-methods"
    );
    assert_eq!(
        typed + by_url,
        methods,
        "every method is typed or reached by URL"
    );
    // A ratchet: a method reached by URL today may get a typed form, never the reverse.
    assert!(
        by_url <= BY_URL_AT_MOST,
        "{by_url} methods only by URL (at most {BY_URL_AT_MOST})"
    );
    assert!(
        failures.is_empty(),
        "{} problem(s):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn operations_use_only_known_verbs_and_paths() {
    let ir = load();
    for t in &ir.types {
        for op in &t.ops {
            assert!(
                op.path.starts_with('/'),
                "{}::{}: path `{}` is not a documented URL form",
                t.name,
                op.method,
                op.path
            );
            if op.verb == Verb::Get {
                assert!(
                    op.body.is_none(),
                    "{}::{} GET with a body",
                    t.name,
                    op.method
                );
            }
        }
    }
}

#[test]
fn url_forms_normalise_the_documented_spellings() {
    assert_eq!(
        url_form("/cdpPolicies/{ID}&action=enable"),
        ("/cdpPolicies/{ID}".to_string(), "enable".to_string())
    );
    assert_eq!(
        url_form("/reports/summary/job\\_statistics"),
        ("/reports/summary/job_statistics".to_string(), String::new())
    );
    assert_eq!(
        url_form("/jobs/{ID}?format=Entity"),
        ("/jobs/{ID}".to_string(), String::new())
    );
    assert_eq!(
        url_form("/lookup?host={hostUID}&name={objName}").0,
        "/lookup?host={hostUID}&name={objName}"
    );
}
