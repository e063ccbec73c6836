//! The spec-wide commands: `vem call` (any operation), `vem api`, `vem query`, and the
//! human view of any representation.

use std::io::Write;
use std::sync::{Arc, Mutex};

use emrest::runtime::{call, Api as _, Body, Download, Links, Node, Op, RawResponse, Returns};

use crate::args::{ApiWhat, CallArgs, Global, QueryArgs};
use crate::error::{CliError, Result};
use crate::listing::{Listing, CHUNK};
use crate::output::{col, node_json, Cell, Col, Out, Table};
use crate::query::{QueryOpts, Sink};
use crate::spec::{self, DynBody, TypeInfo};
use crate::tasks;

/// The JSON member of an element's own text, as the spec names it.
pub fn json_text() -> &'static str {
    emrest::Api::INFO.json_text
}

/// The XML namespace of the spec.
pub fn namespace() -> &'static str {
    emrest::Api::INFO.namespace
}

/// Reads an XML or JSON document (by its first character) into a node; `json_root` names
/// the root of a JSON document.
pub fn parse_doc(bytes: &[u8], json_root: &str) -> std::result::Result<Node, String> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        None => Err("the document is empty".into()),
        Some(b'{') | Some(b'[') => {
            emrest::runtime::parse_json(body, json_root).map_err(|e| e.to_string())
        }
        Some(b'<') => emrest::runtime::parse_xml(body).map_err(|e| e.to_string()),
        Some(_) => Err("neither XML nor JSON".into()),
    }
}

/// True when the bytes look like JSON.
pub fn is_json(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    matches!(
        body.iter().find(|b| !b.is_ascii_whitespace()),
        Some(b'{') | Some(b'[')
    )
}

/// The links of a representation node.
pub fn links_of(node: &Node) -> Links {
    Links::of_node(node, &emrest::Api::INFO.links).unwrap_or_default()
}

/// Prints the request `op` would send through `links` (for `--dry-run` of `vem call`, whose
/// operation is chosen at run time).
pub fn print_dry_run(
    out: &Out,
    em: &emrest::Session,
    links: &Links,
    op: &Op,
    body: Option<&dyn Body>,
) -> Result<()> {
    // The runtime builds the request exactly as `call` would (link lookup, origin, query,
    // encoding in the session's format and casing); nothing is sent.
    print_request(out, em.prepare(links, op, body))
}

/// Prints a typed call's own request and drops the call unsent (`--dry-run` of the typed
/// commands: what is shown is what the same call would send).
pub fn print_call<R>(out: &Out, call: emrest::runtime::Call<'_, R>) -> Result<()> {
    print_request(out, call.request())
}

/// Prints a request built without sending it, or why it cannot be built.
fn print_request(out: &Out, req: emrest::Result<emrest::runtime::PreparedRequest>) -> Result<()> {
    let req = req.map_err(|e| match e {
        emrest::Error::LinkNotOffered { .. } | emrest::Error::AmbiguousLink { .. } => {
            CliError::error(format!(
                "{e}: the server does not allow this operation on it now"
            ))
        }
        other => CliError::error(other.to_string()),
    })?;
    let verb = req.verb.as_str();
    if out.json {
        out.json_value(&serde_json::json!({
            "dry_run": true,
            "method": verb,
            "url": req.url,
            "content_type": req.content_type,
            "body": req.body,
        }));
    } else {
        out.line(format!("dry run: would send {verb} {}", req.url));
        match req.body {
            Some(t) => {
                out.line(format!("Content-Type: {}", req.content_type.unwrap_or("")));
                out.line(t.trim_end());
            }
            None => out.line("(no body)"),
        }
    }
    Ok(())
}

/// `vem call`.
pub async fn call_cmd(g: &Global, out: &Out, a: &CallArgs) -> Result<()> {
    let t = spec::type_or_usage(&a.type_)?;
    let op = pick_op(t, &a.rel, a.method.as_deref())?;
    let body = match (op.request, &a.body) {
        (Some(req), Some(path)) => Some(read_body(req, path)?),
        (Some(req), None) => {
            return Err(CliError::usage(format!(
                "{} {} takes a {req} body: pass --body FILE (XML or JSON)",
                t.name, op.rel
            )))
        }
        (None, Some(_)) => {
            return Err(CliError::usage(format!(
                "{} {} takes no body",
                t.name, op.rel
            )))
        }
        (None, None) => None,
    };
    let em = crate::conn::logon(g).await?;
    let res = call_on(
        g,
        out,
        &em,
        t,
        op,
        &a.target,
        body.as_ref(),
        a.output.as_deref(),
    )
    .await;
    let _ = em.logoff().await;
    res
}

/// Chooses the operation of `t` with relation `rel`.
pub fn pick_op(t: &TypeInfo, rel: &str, method: Option<&str>) -> Result<&'static Op> {
    let ops = spec::ops_for(t.name, rel, method);
    match ops.as_slice() {
        [op] => Ok(op),
        [] => {
            let offered: Vec<String> = spec::OPS
                .iter()
                .filter(|o| o.owner == t.name)
                .map(|o| format!("{} ({})", o.rel, o.method))
                .collect();
            Err(CliError::usage(format!(
                "{} has no `{rel}` operation{}; it has: {}",
                t.name,
                method
                    .map(|m| format!(" named or using `{m}`"))
                    .unwrap_or_default(),
                if offered.is_empty() {
                    "none".to_string()
                } else {
                    offered.join(", ")
                }
            )))
        }
        many => Err(CliError::usage(format!(
            "{} has several `{rel}` operations; choose one with --method: {}",
            t.name,
            many.iter()
                .map(|o| format!(
                    "{} ({} → {})",
                    o.method,
                    o.verb.as_str(),
                    o.returns.as_str()
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

fn read_body(req: &str, path: &std::path::Path) -> Result<DynBody> {
    let t = spec::type_or_usage(req)?;
    let bytes = if path.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut v).map_err(|e| {
            CliError::error(format!("cannot read the body from standard input: {e}"))
        })?;
        v
    } else {
        std::fs::read(path)
            .map_err(|e| CliError::error(format!("cannot read --body {}: {e}", path.display())))?
    };
    let node = parse_doc(&bytes, t.root)
        .map_err(|e| CliError::error(format!("--body {}: {e}", path.display())))?;
    if !is_json(&bytes) && !node.name.eq_ignore_ascii_case(t.root) {
        return Err(CliError::error(format!(
            "--body {}: the root element is `{}`, the operation takes `{}` ({})",
            path.display(),
            node.name,
            t.root,
            t.name
        )));
    }
    let value = spec::typed(t, &bytes, is_json(&bytes)).map_err(|e| {
        CliError::error(format!(
            "--body {}: not a valid {}: {e}",
            path.display(),
            t.name
        ))
    })?;
    Ok(DynBody { value })
}

/// Fetches `target` (of type `t`) and calls `op` on it.
#[allow(clippy::too_many_arguments)]
pub async fn call_on(
    g: &Global,
    out: &Out,
    em: &emrest::Session,
    t: &TypeInfo,
    op: &'static Op,
    target: &str,
    body: Option<&DynBody>,
    output: Option<&std::path::Path>,
) -> Result<()> {
    let href = resolve_target(em, t, target).await?;
    let node: Node = em.get::<Node>(&href).await?;
    let links = links_of(&node);
    let body_dyn = body.map(|b| b as &dyn Body);
    // The GET of the representation above finds the link; the operation itself is not sent.
    if g.dry_run {
        return print_dry_run(out, em, &links, op, body_dyn);
    }
    match op.returns {
        Returns::Nothing => {
            call::<emrest::Api, ()>(em, &links, op, body_dyn).await?;
            if out.json {
                out.json_value(
                    &serde_json::json!({"ok": true, "method": op.verb.as_str(), "rel": op.rel}),
                );
            } else {
                out.line(format!("{} {}: done", t.name, op.rel));
            }
            Ok(())
        }
        Returns::Download => {
            let d: Download = call(em, &links, op, body_dyn).await?;
            match output {
                Some(p) => {
                    std::fs::write(p, &d.bytes).map_err(|e| {
                        CliError::error(format!("cannot write {}: {e}", p.display()))
                    })?;
                    crate::output::note(format!(
                        "wrote {} bytes to {}",
                        d.bytes.len(),
                        p.display()
                    ));
                }
                None => {
                    let mut o = std::io::stdout().lock();
                    let _ = o.write_all(&d.bytes);
                    let _ = o.flush();
                }
            }
            Ok(())
        }
        Returns::Type(resp) => {
            let raw: RawResponse = call(em, &links, op, body_dyn).await?;
            let rt = spec::type_named(resp).unwrap_or(t);
            let json = is_json(raw.body());
            if op.task {
                let task: spec::TaskRepr = if json {
                    emrest::runtime::decode_json(raw.body())
                } else {
                    emrest::runtime::decode_xml(raw.body())
                }
                .map_err(|e| CliError::error(format!("the answer is not a task: {e}")))?;
                return tasks::report_task(g, out, em, task, &format!("{} {}", t.name, op.rel))
                    .await;
            }
            let value = spec::typed(rt, raw.body(), json).map_err(|e| {
                CliError::error(format!("the answer is not a valid {}: {e}", rt.name))
            })?;
            show(out, &value.to_tree());
            Ok(())
        }
    }
}

/// The href of `target`: a URL or API path as given; a GUID or UID put into the type's URL
/// form; otherwise, for a queryable type, the one object with that `Name` (found through the
/// query service); failing that, an ID.
pub async fn resolve_target(em: &emrest::Session, t: &TypeInfo, target: &str) -> Result<String> {
    let s = target.trim();
    if let Some(id) = crate::everyday::id_of(s) {
        return spec::url_of(t, id);
    }
    if s.contains("://") || s.starts_with('/') || t.query.is_none() || s.is_empty() {
        return target_href(t, s);
    }
    let opts = QueryOpts {
        filter: Some(format!("Name==\"{}\"", s.replace('"', "\"\""))),
        sort: None,
        entities: true,
        page_size: Some(2),
        limit: Some(2),
        sink: None,
    };
    match spec::run_query(t.name, em, &opts).await {
        Some(Ok(nodes)) if nodes.len() == 1 => nodes[0]
            .attr("Href")
            .map(str::to_string)
            .ok_or_else(|| CliError::error(format!("{} `{s}` has no URL", t.name))),
        Some(Ok(nodes)) if nodes.len() > 1 => Err(CliError::error(format!(
            "several {} objects are named `{s}`: give its URL or UID",
            t.name
        ))),
        // Not a name: an ID.
        _ => target_href(t, s),
    }
}

/// The href of `target`: a URL or API path as given, or an ID put into the type's URL form.
pub fn target_href(t: &TypeInfo, target: &str) -> Result<String> {
    let s = target.trim();
    if s.contains("://") {
        Ok(s.to_string())
    } else if let Some(p) = s.strip_prefix('/') {
        // A path below the API root; `/api/jobs/…` is taken as `/jobs/…`.
        Ok(p.strip_prefix("api/").unwrap_or(p).to_string())
    } else {
        spec::url_of(t, s)
    }
}

/// Prints a representation: JSON, or an indented view for people.
pub fn show(out: &Out, node: &Node) {
    if out.json {
        out.json_value(&node_json(node));
        return;
    }
    let mut s = String::new();
    let title = match node.attr("Name") {
        Some(n) => format!("{} \"{n}\"", node.name),
        None => node.name.clone(),
    };
    s.push_str(&title);
    s.push('\n');
    for (k, v) in &node.attrs {
        if k != "Name" && k != "Type" {
            s.push_str(&format!("  {k}: {v}\n"));
        }
    }
    for c in &node.children {
        show_child(&mut s, c, 1);
    }
    out.line(s.trim_end());
}

fn show_child(s: &mut String, n: &Node, depth: usize) {
    let ind = "  ".repeat(depth);
    let def = &emrest::Api::INFO.links;
    if def.wrapper.is_some_and(|w| n.name.eq_ignore_ascii_case(w)) {
        let links = Links::from_node(n, def).unwrap_or_default();
        if links.0.is_empty() {
            return;
        }
        s.push_str(&format!("{ind}Links:\n"));
        for l in links.iter() {
            let ty = l
                .type_
                .as_deref()
                .map(|t| format!(" {t}"))
                .unwrap_or_default();
            let name = l
                .name
                .as_deref()
                .map(|t| format!(" \"{t}\""))
                .unwrap_or_default();
            s.push_str(&format!("{ind}  {}{ty}{name} → {}\n", l.rel, l.href));
        }
        return;
    }
    if n.children.is_empty() && n.attrs.is_empty() {
        s.push_str(&format!("{ind}{}: {}\n", n.name, n.text()));
        return;
    }
    s.push_str(&format!("{ind}{}:", n.name));
    if let Some(t) = n.text.as_deref().filter(|t| !t.is_empty()) {
        s.push_str(&format!(" {t}"));
    }
    s.push('\n');
    for (k, v) in &n.attrs {
        s.push_str(&format!("{ind}  {k}: {v}\n"));
    }
    for c in &n.children {
        show_child(s, c, depth + 1);
    }
}

/// The columns of a table of representations of any type: Name, then the scalar
/// attributes and elements (in first-seen order); with the keys they read.
pub fn node_columns(nodes: &[Node]) -> (Vec<Col>, Vec<String>) {
    let mut keys: Vec<String> = Vec::new();
    let skip = ["Name", "Href", "Type", "Links"];
    for n in nodes {
        for (k, _) in &n.attrs {
            if !skip.contains(&k.as_str()) && !keys.contains(k) {
                keys.push(k.clone());
            }
        }
        for c in &n.children {
            if c.children.is_empty()
                && !c.array
                && !skip.contains(&c.name.as_str())
                && !keys.contains(&c.name)
            {
                keys.push(c.name.clone());
            }
        }
    }
    let mut cols = vec![col("Name", "Name")];
    cols.extend(keys.iter().map(|k| {
        let c = col(k.clone(), k.clone());
        if k.to_ascii_lowercase().ends_with("uid") || k.eq_ignore_ascii_case("Href") {
            c.optional()
        } else {
            c
        }
    }));
    (cols, keys)
}

/// The row of `n` under the columns read from `keys`.
pub fn node_row(n: &Node, keys: &[String]) -> Vec<Cell> {
    let mut row = vec![Cell::opt(n.attr("Name"))];
    for k in keys {
        let v = n.scalar(k).map(str::to_string);
        if k.eq_ignore_ascii_case("Result") || k.eq_ignore_ascii_case("State") {
            row.push(Cell::result(v.as_deref()));
        } else {
            row.push(Cell::opt(v));
        }
    }
    row
}

/// The columns of a table of references: name, type, UID, URL.
fn refs_columns() -> Vec<Col> {
    vec![
        col("Name", "Name"),
        col("Type", "Type"),
        col("UID", "UID").optional(),
        col("Href", "Href").optional(),
    ]
}

fn ref_row(n: &Node) -> Vec<Cell> {
    vec![
        Cell::opt(n.scalar("Name")),
        Cell::opt(n.scalar("Type")),
        Cell::opt(n.scalar("UID")),
        Cell::opt(n.scalar("Href")),
    ]
}

/// A streamed listing of representations: JSON values as they come; for tables and CSV,
/// columns read from the first chunk (later items show under those columns).
pub struct NodeListing {
    out: Out,
    entities: bool,
    held: Vec<Node>,
    started: Option<(Listing, Vec<String>)>,
    json: Option<Listing>,
}

impl NodeListing {
    /// A listing of entities (all scalar fields) or of references.
    pub fn new(out: Out, entities: bool) -> NodeListing {
        NodeListing {
            out,
            entities,
            held: Vec::new(),
            started: None,
            json: out.json.then(|| Listing::new(out, Vec::new())),
        }
    }

    /// Adds an item; false when nothing more can be printed.
    pub fn push(&mut self, node: Node) -> bool {
        if let Some(l) = &mut self.json {
            return l.push_json(&node_json(&node));
        }
        if let Some((l, keys)) = &mut self.started {
            let row = if self.entities {
                node_row(&node, keys)
            } else {
                ref_row(&node)
            };
            return l.push(row);
        }
        self.held.push(node);
        if self.held.len() >= CHUNK {
            self.start();
        }
        self.started.as_ref().is_none_or(|(l, _)| l.alive())
    }

    fn start(&mut self) {
        let held = std::mem::take(&mut self.held);
        let (cols, keys) = if self.entities {
            node_columns(&held)
        } else {
            (refs_columns(), Vec::new())
        };
        let mut l = Listing::new(self.out, cols);
        for n in &held {
            l.push(if self.entities {
                node_row(n, &keys)
            } else {
                ref_row(n)
            });
        }
        self.started = Some((l, keys));
    }

    /// Prints what is left.
    pub fn finish(mut self) {
        if let Some(l) = self.json.take() {
            return l.finish();
        }
        if self.started.is_none() {
            self.start();
        }
        if let Some((l, _)) = self.started.take() {
            l.finish();
        }
    }
}

/// `vem query`.
pub async fn query_cmd(g: &Global, out: &Out, a: &QueryArgs) -> Result<()> {
    let known: Vec<&str> = spec::TYPES.iter().filter_map(|t| t.query).collect();
    if !known.iter().any(|k| k.eq_ignore_ascii_case(&a.type_))
        && !spec::TYPES
            .iter()
            .any(|t| t.query.is_some() && t.name.eq_ignore_ascii_case(&a.type_))
    {
        return Err(CliError::usage(format!(
            "`{}` is not a query type of the spec; query types: {}",
            a.type_,
            known.join(", ")
        )));
    }
    let mut opts = QueryOpts {
        filter: a.filter.clone(),
        sort: match (&a.sort_asc, &a.sort_desc) {
            (Some(f), _) => Some((true, f.clone())),
            (None, Some(f)) => Some((false, f.clone())),
            _ => None,
        },
        entities: a.entities,
        page_size: a.page_size,
        limit: a.limit,
        sink: None,
    };
    let listing = Arc::new(Mutex::new(Some(NodeListing::new(*out, a.entities))));
    let sink_listing = Arc::clone(&listing);
    opts.sink = Some(Sink::new(move |node| match sink_listing.lock() {
        Ok(mut l) => l.as_mut().is_some_and(|l| l.push(node)),
        Err(_) => false,
    }));
    let em = crate::conn::logon(g).await?;
    let res = spec::run_query(&a.type_, &em, &opts).await;
    let _ = em.logoff().await;
    // What was printed stays printed; the listing is closed even after an error, so JSON
    // output is a complete array of what came before it.
    let finish = || {
        if let Some(l) = listing.lock().ok().and_then(|mut l| l.take()) {
            l.finish();
        }
    };
    match res {
        Some(Ok(_)) => {
            finish();
            Ok(())
        }
        Some(Err(e)) => {
            finish();
            Err(e.into())
        }
        None => Err(CliError::usage(format!(
            "`{}` is not a query type",
            a.type_
        ))),
    }
}

/// `vem api …`.
pub fn api_cmd(out: &Out, what: &ApiWhat) -> Result<()> {
    match what {
        ApiWhat::Methods { type_, tsv } => {
            if let Some(t) = type_ {
                spec::type_or_usage(t)?;
            }
            let keep = |line: &str| match type_ {
                Some(t) => line
                    .split('\t')
                    .next()
                    .is_some_and(|o| o.eq_ignore_ascii_case(t)),
                None => true,
            };
            if *tsv {
                let text: String = spec::METHODS_TSV
                    .lines()
                    .filter(|l| keep(l))
                    .map(|l| format!("{l}\n"))
                    .collect();
                crate::output::print_text(&text);
                return Ok(());
            }
            let mut table = Table::new(vec![
                col("type", "TYPE"),
                col("rel", "REL"),
                col("method", "METHOD"),
                col("verb", "VERB"),
                col("path", "PATH"),
                col("request", "REQUEST"),
                col("response", "RESPONSE"),
                col("mode", "MODE"),
            ]);
            for line in spec::METHODS_TSV.lines().filter(|l| keep(l)) {
                table.push(line.split('\t').map(Cell::text).collect());
            }
            out.table(&table);
        }
        ApiWhat::Types => {
            let mut table = Table::new(vec![
                col("name", "TYPE"),
                col("root", "ROOT"),
                col("path", "URL"),
                col("query", "QUERY"),
                col("doc", "ABOUT"),
            ]);
            for t in spec::TYPES {
                table.push(vec![
                    Cell::text(t.name),
                    Cell::text(t.root),
                    Cell::opt(t.path),
                    Cell::opt(t.query),
                    Cell::text(t.doc),
                ]);
            }
            out.table(&table);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets() {
        let job = spec::type_named("Job").unwrap();
        assert_eq!(target_href(job, "abc").unwrap(), "jobs/abc?format=Entity");
        assert_eq!(target_href(job, "/jobs/abc").unwrap(), "jobs/abc");
        assert_eq!(target_href(job, "/api/jobs/abc").unwrap(), "jobs/abc");
        assert_eq!(
            target_href(job, "https://em/api/jobs/abc").unwrap(),
            "https://em/api/jobs/abc"
        );
    }

    #[test]
    fn docs_sniffed() {
        assert!(parse_doc(b"", "X").is_err());
        assert!(parse_doc(b"garbage", "X").is_err());
        assert_eq!(parse_doc(b"\xEF\xBB\xBF<A/>", "X").unwrap().name, "A");
        assert_eq!(parse_doc(b" {\"a\":1}", "Root").unwrap().name, "Root");
    }
}
