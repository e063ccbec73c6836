//! The one place where documents become HTTP responses (and request bodies become nodes).
//!
//! Every handler produces a [`Reply`] holding a format-neutral [`Node`] (or, for query
//! pages, a document already written, [`Reply::Written`]); this module writes it as XML (EM
//! namespace, `xsd`/`xsi` declarations) or JSON (v12 PascalCase or v13 camelCase) according
//! to the request's negotiated [`Format`], and turns every [`ApiError`] into an EM `Error`
//! document. The writing is the runtime's own: `emrest_runtime::write_xml` and `write_json`
//! over a [`Node`] for every document, and its streaming writers `XmlOut`/`JsonOut` (`Out`
//! events) for the query pages `crate::page` streams, whose items are written one after
//! another into one buffer without a `Node` per item; the other pages (item types without a
//! streaming writer, or a page `page::write_page` declines) are written from nodes like any
//! document.

use axum::body::Body;
use axum::http::{header, HeaderName, HeaderValue, StatusCode};
use axum::response::Response;
use emrest_runtime::Node;

pub use emrest_runtime::Casing;

/// The EM XML namespace.
pub const NAMESPACE: &str = "http://www.veeam.com/ent/v1.0";

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
pub enum Reply {
    /// A representation.
    Doc(StatusCode, Node, Vec<(HeaderName, String)>),
    /// No body (201/204 without content).
    Empty(StatusCode, Vec<(HeaderName, String)>),
    /// Raw bytes (file download).
    Bytes(StatusCode, &'static str, Vec<u8>),
    /// A representation as its generated type, written by that type's codec.
    Typed(
        StatusCode,
        Box<dyn emrest::runtime::AnyRepr>,
        Vec<(HeaderName, String)>,
    ),
    /// A representation already written in the request's format (a streamed query page,
    /// shaped as the spec's type as it was written).
    Written(StatusCode, Format, String),
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Reply::Doc(s, n, h) => f.debug_tuple("Doc").field(s).field(n).field(h).finish(),
            Reply::Typed(s, r, h) => f
                .debug_tuple("Typed")
                .field(s)
                .field(&r.root())
                .field(h)
                .finish(),
            Reply::Empty(s, h) => f.debug_tuple("Empty").field(s).field(h).finish(),
            Reply::Bytes(s, ct, b) => f
                .debug_tuple("Bytes")
                .field(s)
                .field(ct)
                .field(&b.len())
                .finish(),
            Reply::Written(s, fmt, b) => f
                .debug_tuple("Written")
                .field(s)
                .field(fmt)
                .field(&b.len())
                .finish(),
        }
    }
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
            Reply::Doc(s, ..)
            | Reply::Typed(s, ..)
            | Reply::Empty(s, _)
            | Reply::Bytes(s, ..)
            | Reply::Written(s, ..) => *s,
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
    /// 500: em-sim failed itself (an answer its own type cannot read).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, message)
    }
    /// 405 Method Not Allowed.
    pub fn method_not_allowed() -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "Method not allowed for this resource.",
        )
    }
}

/// Result type of handlers.
pub type ApiResult = Result<Reply, ApiError>;

/// Turns a reply into an HTTP response in `fmt`.
pub fn respond(reply: Reply, fmt: Format) -> Response {
    match reply {
        Reply::Doc(status, node, headers) => {
            let body = match fmt {
                Format::Xml => to_xml(&node),
                Format::Json(c) => emrest_runtime::write_json(&node, c, crate::spec::json_text()),
            };
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(fmt.content_type()),
            );
            add_headers(&mut r, headers);
            r
        }
        Reply::Typed(status, repr, headers) => {
            let mut r = Response::new(Body::from(crate::typed::write(&*repr, fmt)));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(fmt.content_type()),
            );
            add_headers(&mut r, headers);
            r
        }
        Reply::Written(status, written, body) => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = status;
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(written.content_type()),
            );
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
    let body = Box::new(crate::typed::error_body(err));
    respond(Reply::Typed(err.status, body, headers), fmt)
}

fn add_headers(r: &mut Response, headers: Vec<(HeaderName, String)>) {
    for (k, v) in headers {
        if let Ok(v) = HeaderValue::from_str(&v) {
            r.headers_mut().append(k, v);
        }
    }
}

/// Writes `node` as a whole document in `fmt`, with the runtime's codecs.
pub fn write(node: &Node, fmt: Format) -> String {
    match fmt {
        Format::Xml => to_xml(node),
        Format::Json(c) => to_json(node, c),
    }
}

/// XML document with declaration, the EM default namespace and (as EM writes them) the
/// `xsd`/`xsi` namespace declarations on the root.
pub fn to_xml(node: &Node) -> String {
    let xml = emrest_runtime::write_xml(node, NAMESPACE);
    crate::typed::with_schema_decls(xml, &node.name)
}

/// JSON document: the root element's content as an object (EM does not wrap it in its name).
pub fn to_json(node: &Node, casing: Casing) -> String {
    emrest_runtime::write_json(node, casing, crate::spec::json_text())
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
            if !text.starts_with('{') {
                return Err(bad());
            }
            emrest_runtime::parse_json(text.as_bytes(), "root").map_err(|_| bad())
        }
    }
}

/// Parses an XML document into a [`Node`] (namespaces dropped), `None` when malformed.
pub fn parse_xml(text: &str) -> Option<Node> {
    emrest_runtime::parse_xml(text.as_bytes()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value as Json;

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
    fn error_json_has_numeric_status() {
        let e = ApiError::bad_request("x");
        let body = crate::typed::write(&crate::typed::error_body(&e), Format::Json(Casing::Pascal));
        let j: Json = serde_json::from_str(&body).unwrap();
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
