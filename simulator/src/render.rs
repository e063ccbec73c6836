//! The one place where documents become HTTP responses (and request bodies become nodes).
//!
//! Every handler produces a [`Reply`] holding a format-neutral [`Node`]; this module writes it
//! as XML (EM namespace, `xsd`/`xsi` declarations) or JSON (v12 PascalCase or v13 camelCase)
//! according to the request's negotiated [`Format`], and turns every [`ApiError`] into an EM
//! `Error` document. The writers are private to the simulator until the runtime's own
//! XML/JSON writers can be used here instead.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use emrest_runtime::{JsonKind, Node};
use serde_json::{Map, Value as Json};

use crate::util::xml_escape;

/// The EM XML namespace.
pub const NAMESPACE: &str = "http://www.veeam.com/ent/v1.0";

/// JSON property-name casing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Casing {
    /// v12 behaviour: the XML names (`CreationTimeUTC`, `Links`, `Href`).
    #[default]
    Pascal,
    /// v13 behaviour: .NET camelCase (`creationTimeUTC`, `links`, `href`, `uid`).
    Camel,
}

/// The representation format of one exchange, chosen purely from `Accept`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `application/xml` (the default).
    Xml,
    /// `application/json` in the given casing.
    Json(Casing),
}

impl Format {
    /// JSON when `Accept` mentions `application/json` anywhere, else XML (EM's rule).
    pub fn negotiate(accept: Option<&str>, casing: Casing) -> Format {
        match accept {
            Some(a) if a.to_ascii_lowercase().contains("application/json") => Format::Json(casing),
            _ => Format::Xml,
        }
    }

    /// The response `Content-Type`.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Xml => "application/xml; charset=utf-8",
            Format::Json(_) => "application/json; charset=utf-8",
        }
    }
}

/// What a handler answers: a document, nothing, or raw bytes, with a status and extra headers.
#[derive(Debug)]
pub enum Reply {
    /// A representation.
    Doc(StatusCode, Node, Vec<(HeaderName, String)>),
    /// No body (201/204 without content).
    Empty(StatusCode, Vec<(HeaderName, String)>),
    /// Raw bytes (file download).
    Bytes(StatusCode, &'static str, Vec<u8>),
}

impl Reply {
    /// 200 with a document.
    pub fn ok(node: Node) -> Reply {
        Reply::Doc(StatusCode::OK, node, Vec::new())
    }

    /// 202 with a document (a `Task`).
    pub fn accepted(node: Node) -> Reply {
        Reply::Doc(StatusCode::ACCEPTED, node, Vec::new())
    }

    /// 204.
    pub fn no_content() -> Reply {
        Reply::Empty(StatusCode::NO_CONTENT, Vec::new())
    }

    /// The status code of the reply.
    pub fn status(&self) -> StatusCode {
        match self {
            Reply::Doc(s, ..) | Reply::Empty(s, _) | Reply::Bytes(s, ..) => *s,
        }
    }
}

/// An error answered as an EM `Error` document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// HTTP status.
    pub status: StatusCode,
    /// `Message` attribute.
    pub message: String,
    /// Adds `WWW-Authenticate: Basic Realm=RestSvc` (failed logon).
    pub challenge: bool,
}

impl ApiError {
    /// An error with `status` and `message`.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            challenge: false,
        }
    }
    /// 400 Bad Request.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
    /// 401 Unauthorized.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, message)
    }
    /// 403 Forbidden.
    pub fn forbidden() -> Self {
        Self::new(StatusCode::FORBIDDEN, "Access denied.")
    }
    /// 404 Not Found.
    pub fn not_found(what: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, what)
    }
    /// 405 Method Not Allowed.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed for this resource.",
        )
    }

    /// The `Error` node.
    pub fn to_node(&self) -> Node {
        let mut n = Node::new("Error");
        n.attrs.push(("Message".into(), self.message.clone()));
        n.attrs
            .push(("StatusCode".into(), self.status.as_u16().to_string()));
        n
    }
}

/// Result type of handlers.
pub type ApiResult = Result<Reply, ApiError>;

/// Turns a reply into an HTTP response in `fmt`.
pub fn respond(reply: Reply, fmt: Format) -> Response {
    match reply {
        Reply::Doc(status, node, headers) => {
            let body = write(&node, fmt);
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(fmt.content_type()),
            );
            add_headers(&mut r, headers);
            r
        }
        Reply::Empty(status, headers) => {
            let mut r = Response::new(Body::empty());
            *r.status_mut() = status;
            add_headers(&mut r, headers);
            r
        }
        Reply::Bytes(status, ct, data) => {
            let mut r = Response::new(Body::from(data));
            *r.status_mut() = status;
            r.headers_mut()
                .insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
            r
        }
    }
}

/// Turns an error into an HTTP response in `fmt`.
pub fn respond_error(err: &ApiError, fmt: Format) -> Response {
    let mut headers = Vec::new();
    if err.challenge {
        headers.push((header::WWW_AUTHENTICATE, "Basic Realm=RestSvc".to_string()));
    }
    respond(Reply::Doc(err.status, err.to_node(), headers), fmt)
}

fn add_headers(r: &mut Response, headers: Vec<(HeaderName, String)>) {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().append(k, v);
        }
    }
}

/// Writes `node` as a whole document in `fmt`.
pub fn write(node: &Node, fmt: Format) -> String {
    match fmt {
        Format::Xml => to_xml(node),
        Format::Json(c) => to_json(node, c),
    }
}

/// XML document with declaration and the EM namespace on the root.
pub fn to_xml(node: &Node) -> String {
    let mut out = String::with_capacity(1024);
    out.push_str("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    write_xml(node, &mut out, true);
    out
}

fn write_xml(n: &Node, out: &mut String, root: bool) {
    out.push('<');
    out.push_str(&n.name);
    if root {
        out.push_str(" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns=\"");
        out.push_str(NAMESPACE);
        out.push('"');
    }
    for (k, v) in &n.attrs {
        out.push(' ');
        out.push_str(k);
        out.push_str("=\"");
        xml_escape(v, out);
        out.push('"');
    }
    let text = n.text.as_deref().unwrap_or("");
    if n.children.is_empty() && text.is_empty() {
        out.push_str(" />");
        return;
    }
    out.push('>');
    xml_escape(text, out);
    for c in &n.children {
        write_xml(c, out, false);
    }
    out.push_str("</");
    out.push_str(&n.name);
    out.push('>');
}

/// Attributes that are numbers or booleans in EM's JSON (XML attributes are all text).
fn attr_kind(name: &str) -> JsonKind {
    match name {
        "StatusCode" | "PageNum" | "PageSize" | "PagesCount" | "Timestamp" | "BackupedVms"
        | "ReplicatedVms" => JsonKind::Number,
        "Success" | "Enabled" | "Overwrite" | "CredentialsNeeded" | "ConfirmationNeeded" => {
            JsonKind::Bool
        }
        _ => JsonKind::String,
    }
}

/// .NET `JsonNamingPolicy.CamelCase`: lower-cases the leading run of capitals, keeping the
/// last one of a run that is followed by a lower-case letter (`UID` → `uid`,
/// `CreationTimeUTC` → `creationTimeUTC`, `VmUid` → `vmUid`).
pub fn camel(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len());
    let mut i = 0;
    while i < chars.len() && chars[i].is_uppercase() {
        let next_lower = chars.get(i + 1).is_some_and(|c| c.is_lowercase());
        if i > 0 && next_lower {
            break;
        }
        out.extend(chars[i].to_lowercase());
        i += 1;
    }
    out.extend(&chars[i..]);
    out
}

fn key(name: &str, casing: Casing) -> String {
    match casing {
        Casing::Pascal => name.to_string(),
        Casing::Camel => camel(name),
    }
}

fn scalar(text: Option<&str>, kind: JsonKind) -> Json {
    let Some(t) = text else { return Json::Null };
    match kind {
        JsonKind::String => Json::String(t.to_string()),
        JsonKind::Number => t
            .parse::<i64>()
            .map(Json::from)
            .or_else(|_| t.parse::<f64>().map(Json::from))
            .unwrap_or_else(|_| Json::String(t.to_string())),
        JsonKind::Bool => match t {
            "true" => Json::Bool(true),
            "false" => Json::Bool(false),
            _ => Json::String(t.to_string()),
        },
    }
}

/// JSON document: the root element's content as an object (EM does not wrap it in its name).
pub fn to_json(node: &Node, casing: Casing) -> String {
    let v = json_value(node, casing);
    serde_json::to_string(&v).unwrap_or_else(|_| "null".into())
}

fn json_value(n: &Node, casing: Casing) -> Json {
    if n.array {
        return Json::Array(n.children.iter().map(|c| json_value(c, casing)).collect());
    }
    if n.attrs.is_empty() && n.children.is_empty() {
        return scalar(n.text.as_deref(), n.json_kind);
    }
    let mut m = Map::new();
    // Children first (grouped ones collected into one array), then attributes, with `Links`,
    // `Href` and `Type` last as EM writes them.
    let mut links = None;
    for c in &n.children {
        if c.name == "Links" {
            links = Some(json_value(c, casing));
            continue;
        }
        let v = json_value(c, casing);
        match c.json_group {
            Some(g) => {
                let k = key(g, casing);
                match m.get_mut(&k) {
                    Some(Json::Array(a)) => a.push(v),
                    _ => {
                        m.insert(k, Json::Array(vec![v]));
                    }
                }
            }
            None => {
                let k = key(&c.name, casing);
                match m.get_mut(&k) {
                    Some(Json::Array(a)) if !c.array => a.push(v),
                    Some(prev) => {
                        let p = prev.take();
                        *prev = Json::Array(vec![p, v]);
                    }
                    None => {
                        m.insert(k, v);
                    }
                }
            }
        }
    }
    let late = ["Href", "Type"];
    for (k, v) in n.attrs.iter().filter(|(k, _)| !late.contains(&k.as_str())) {
        m.insert(key(k, casing), scalar(Some(v), attr_kind(k)));
    }
    if let Some(t) = n.text.as_deref().filter(|t| !t.is_empty()) {
        m.insert(key("Value", casing), Json::String(t.to_string()));
    }
    if let Some(l) = links {
        m.insert(key("Links", casing), l);
    }
    for (k, v) in n.attrs.iter().filter(|(k, _)| late.contains(&k.as_str())) {
        m.insert(key(k, casing), Json::String(v.clone()));
    }
    Json::Object(m)
}

/// Parses a request body. EM's quirk: the `Accept` header, not `Content-Type`, decides the
/// parser, so an XML body sent with `Accept: application/json` is rejected.
pub fn parse_body(fmt: Format, body: &[u8]) -> Result<Node, ApiError> {
    let bad = || ApiError::bad_request("Node [root] does not exist.");
    let text = std::str::from_utf8(body).map_err(|_| bad())?;
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Err(bad());
    }
    match fmt {
        Format::Xml => parse_xml(text).ok_or_else(bad),
        Format::Json(_) => {
            let v: Json = serde_json::from_str(text).map_err(|_| bad())?;
            if !v.is_object() {
                return Err(bad());
            }
            Ok(json_to_node("root", &v))
        }
    }
}

fn json_to_node(name: &str, v: &Json) -> Node {
    let mut n = Node::new(name);
    match v {
        Json::Null => {}
        Json::Bool(b) => n.text = Some(b.to_string()),
        Json::Number(x) => n.text = Some(x.to_string()),
        Json::String(s) => n.text = Some(s.clone()),
        Json::Array(a) => {
            n.array = true;
            n.children = a.iter().map(|x| json_to_node(name, x)).collect();
        }
        Json::Object(o) => {
            n.children = o.iter().map(|(k, x)| json_to_node(k, x)).collect();
        }
    }
    n
}

/// Minimal XML → Node (namespaces dropped, whitespace-only text ignored).
pub fn parse_xml(text: &str) -> Option<Node> {
    use quick_xml::events::{BytesStart, Event};
    use quick_xml::Reader;

    fn start(e: &BytesStart<'_>) -> Option<Node> {
        let name = String::from_utf8(e.local_name().as_ref().to_vec()).ok()?;
        let mut n = Node::new(name);
        for a in e.attributes() {
            let a = a.ok()?;
            let full = a.key.as_ref();
            if full == b"xmlns" || full.starts_with(b"xmlns:") {
                continue;
            }
            let k = String::from_utf8(a.key.local_name().as_ref().to_vec()).ok()?;
            let v = a.unescape_value().ok()?.into_owned();
            n.attrs.push((k, v));
        }
        Some(n)
    }

    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut root = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => stack.push(start(&e)?),
            Event::Empty(e) => {
                let n = start(&e)?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::Text(t) => {
                let s = t.unescape().ok()?;
                if !s.trim().is_empty() {
                    let top = stack.last_mut()?;
                    top.text.get_or_insert_with(String::new).push_str(&s);
                }
            }
            Event::CData(c) => {
                let s = String::from_utf8(c.into_inner().to_vec()).ok()?;
                let top = stack.last_mut()?;
                top.text.get_or_insert_with(String::new).push_str(&s);
            }
            Event::End(_) => {
                let n = stack.pop()?;
                match stack.last_mut() {
                    Some(p) => p.children.push(n),
                    None => root = Some(n),
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        let mut r = Node::new("EntityReferences");
        for i in 0..2 {
            let mut x = Node::new("Ref");
            x.json_group = Some("Refs");
            x.attrs.push(("Type".into(), "JobReference".into()));
            x.attrs
                .push(("Href".into(), format!("http://h/api/jobs/{i}?a=1&b=2")));
            x.attrs.push(("UID".into(), format!("urn:veeam:Job:{i}")));
            let mut links = Node::new("Links");
            links.array = true;
            let mut l = Node::new("Link");
            l.attrs.push(("Rel".into(), "Up".into()));
            links.children.push(l);
            x.children.push(links);
            r.children.push(x);
        }
        r
    }

    #[test]
    fn xml_has_namespace_and_escapes() {
        let x = to_xml(&sample());
        assert!(x.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>"));
        assert!(x.contains("xmlns=\"http://www.veeam.com/ent/v1.0\""));
        assert!(x.contains("?a=1&amp;b=2"));
        let back = parse_xml(&x).unwrap();
        assert_eq!(back.name, "EntityReferences");
        assert_eq!(back.children.len(), 2);
        assert_eq!(
            back.children[0].attr("Href"),
            Some("http://h/api/jobs/0?a=1&b=2")
        );
    }

    #[test]
    fn json_groups_and_casing() {
        let j: Json = serde_json::from_str(&to_json(&sample(), Casing::Pascal)).unwrap();
        assert_eq!(j["Refs"].as_array().unwrap().len(), 2);
        assert_eq!(j["Refs"][0]["Links"][0]["Rel"], "Up");
        assert_eq!(j["Refs"][1]["UID"], "urn:veeam:Job:1");
        let j: Json = serde_json::from_str(&to_json(&sample(), Casing::Camel)).unwrap();
        assert_eq!(j["refs"][0]["links"][0]["rel"], "Up");
        assert_eq!(j["refs"][1]["uid"], "urn:veeam:Job:1");
    }

    #[test]
    fn camel_case_rules() {
        assert_eq!(camel("UID"), "uid");
        assert_eq!(camel("CreationTimeUTC"), "creationTimeUTC");
        assert_eq!(camel("VmUid"), "vmUid");
        assert_eq!(camel("Href"), "href");
        assert_eq!(camel("BackedUpVms"), "backedUpVms");
        assert_eq!(camel("IOStats"), "ioStats");
        assert_eq!(camel(""), "");
    }

    #[test]
    fn error_json_has_numeric_status() {
        let e = ApiError::bad_request("x");
        let j: Json = serde_json::from_str(&to_json(&e.to_node(), Casing::Pascal)).unwrap();
        assert_eq!(j["StatusCode"], 400);
        assert_eq!(j["Message"], "x");
    }

    #[test]
    fn bodies_parse_by_accept() {
        let xml = br#"<JobCloneSpec xmlns="http://www.veeam.com/ent/v1.0"><BackupJobCloneInfo><JobName>A &amp; B</JobName></BackupJobCloneInfo></JobCloneSpec>"#;
        let n = parse_body(Format::Xml, xml).unwrap();
        assert_eq!(
            n.child("BackupJobCloneInfo").unwrap().scalar("JobName"),
            Some("A & B")
        );
        assert!(parse_body(Format::Json(Casing::Pascal), xml).is_err());
        let n = parse_body(
            Format::Json(Casing::Pascal),
            br#"{"BackupJobCloneInfo":{"JobName":"x"}}"#,
        )
        .unwrap();
        assert_eq!(
            n.child("backupjobcloneinfo").unwrap().scalar("jobname"),
            Some("x")
        );
        assert!(parse_body(Format::Xml, b"<a><b></a>").is_err());
        assert!(parse_body(Format::Xml, b"").is_err());
    }
}
