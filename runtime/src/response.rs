//! Answers: the raw HTTP answer, what its body is, and how it is decoded. [`RawResponse::decode_with`]
//! is the one place that chooses between the XML and the JSON reader.

use bytes::Bytes;
use reqwest::header::HeaderMap;

use crate::error::{ApiError, Error, Result};
use crate::json::parse_json;
use crate::node::Node;
use crate::op::{ErrorInfo, Verb};
use crate::repr::{DecodeError, Repr};
use crate::xml::{parse_xml, strip_bom};

/// A successful HTTP answer before decoding.
#[derive(Debug, Clone)]
pub struct RawResponse {
    verb: Verb,
    url: String,
    status: u16,
    headers: HeaderMap,
    body: Bytes,
}

/// Which reader a body is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Syntax {
    /// XML events ([`crate::XmlIn`]).
    Xml,
    /// JSON tokens ([`crate::JsonIn`]).
    Json,
}

/// What an answer's body is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyKind {
    Html,
    Empty,
    Json,
    Xml,
}

impl RawResponse {
    /// An answer as the transport read it.
    pub(crate) fn new(
        verb: Verb,
        url: String,
        status: u16,
        headers: HeaderMap,
        body: Bytes,
    ) -> Self {
        RawResponse {
            verb,
            url,
            status,
            headers,
            body,
        }
    }

    /// The request's verb.
    pub fn verb(&self) -> Verb {
        self.verb
    }
    /// The request URL.
    pub fn url(&self) -> &str {
        &self.url
    }
    /// HTTP status.
    pub fn status(&self) -> u16 {
        self.status
    }
    /// A response header (first value, when it is text).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// The `Content-Type` header.
    pub fn content_type(&self) -> Option<&str> {
        self.header("content-type")
    }
    /// The body.
    pub fn body(&self) -> &Bytes {
        &self.body
    }

    /// What the body is, by its content type (sniffed from its first character when absent).
    fn kind(&self) -> BodyKind {
        let ct = self.content_type().map(|c| c.to_ascii_lowercase());
        let first = strip_bom(&self.body)
            .iter()
            .find(|b| !b.is_ascii_whitespace())
            .copied();
        match (ct.as_deref(), first) {
            (Some(c), _) if c.contains("html") => BodyKind::Html,
            (_, None) => BodyKind::Empty,
            (Some(c), _) if c.contains("json") => BodyKind::Json,
            (Some(c), _) if c.contains("xml") => BodyKind::Xml,
            (_, Some(b'{' | b'[')) => BodyKind::Json,
            _ => BodyKind::Xml,
        }
    }

    /// Decodes the body with `read`, told which syntax the body's kind asks for; an HTML page
    /// or an empty body is an error. Every decoding of an answer — representations, trees,
    /// query pages — goes through here, and its errors name the answer.
    pub(crate) fn decode_with<T>(
        &self,
        read: impl FnOnce(Syntax, &[u8]) -> Result<T, DecodeError>,
    ) -> Result<T> {
        match self.kind() {
            BodyKind::Xml => read(Syntax::Xml, &self.body),
            BodyKind::Json => read(Syntax::Json, &self.body),
            BodyKind::Html => Err(DecodeError::new("the server answered with an HTML page")),
            BodyKind::Empty => Err(DecodeError::new("empty body")),
        }
        .map_err(|e| self.decode_error(e))
    }

    /// Parses the body as a [`Node`] by its content type (sniffed when absent); a JSON root
    /// gets the name `root`.
    pub fn node(&self, root: &str) -> Result<Node> {
        self.decode_with(|syntax, b| match syntax {
            Syntax::Xml => parse_xml(strip_bom(b)),
            Syntax::Json => parse_json(strip_bom(b), root),
        })
    }

    /// A decoding error about this answer: its URL, content type and first characters.
    pub(crate) fn decode_error(&self, source: DecodeError) -> Error {
        let text = String::from_utf8_lossy(&self.body);
        let snippet: String = text.chars().take(160).collect();
        Error::Decode {
            url: self.url.clone(),
            content_type: self.content_type().map(str::to_string),
            snippet,
            source,
        }
    }

    /// This answer as an [`Error::Http`], with the API's error body (read through the names
    /// in `names`) when it has one.
    pub(crate) fn http_error(&self, names: &ErrorInfo) -> Error {
        let error = self.node(names.root).ok().map(|n| {
            let get = |k: &str| {
                n.scalar(k)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            ApiError {
                message: get(names.message),
                status_code: get(names.status).and_then(|s| s.parse().ok()),
                detail: get(names.detail),
            }
        });
        Error::Http {
            method: self.verb.as_str().to_string(),
            url: self.url.clone(),
            status: self.status,
            error: error.filter(|a| a != &ApiError::default()),
        }
    }
}

/// What a call answers: a representation, nothing (`()`), a [`Node`] tree, or a file
/// ([`Download`]).
pub trait Response: Sized + Send {
    /// Reads the value from a successful answer.
    fn from_response(resp: RawResponse) -> Result<Self>;
}

impl<T: Repr + Send> Response for T {
    fn from_response(resp: RawResponse) -> Result<Self> {
        let mut value: Option<T> = None;
        decode_answer(&resp, &mut value, T::ROOT)?;
        value.ok_or_else(|| resp.decode_error(crate::codec::nothing_decoded()))
    }
}

/// Decodes an answer into `slot` (an `Option<T>` of the type whose root is `root`),
/// straight from the XML events or JSON tokens: no tree. One copy for every type.
fn decode_answer(resp: &RawResponse, slot: &mut dyn crate::Slot, root: &str) -> Result<()> {
    resp.decode_with(|syntax, b| match syntax {
        Syntax::Xml => crate::xml_in::decode_xml_into(b, slot),
        Syntax::Json => crate::json::decode_json_into(b, slot, root),
    })?;
    if tracing::enabled!(tracing::Level::DEBUG) {
        // Paths only: values may be anything a newer server sends.
        let paths = crate::any::slot_unknown_paths(slot, root);
        if !paths.is_empty() {
            tracing::debug!(url = %resp.url, ?paths, "content the spec does not declare, kept");
        }
    }
    Ok(())
}

impl Response for RawResponse {
    fn from_response(resp: RawResponse) -> Result<Self> {
        Ok(resp)
    }
}

impl Response for () {
    fn from_response(_resp: RawResponse) -> Result<Self> {
        Ok(())
    }
}

impl Response for Node {
    fn from_response(resp: RawResponse) -> Result<Self> {
        resp.node("")
    }
}

/// A downloaded file.
#[derive(Debug, Clone)]
pub struct Download {
    /// Content type the server gave.
    pub content_type: Option<String>,
    /// File name from `Content-Disposition`, when given.
    pub file_name: Option<String>,
    /// The content.
    pub bytes: Bytes,
}

impl Response for Download {
    fn from_response(resp: RawResponse) -> Result<Self> {
        let file_name = resp.header("content-disposition").and_then(|d| {
            d.split(';').find_map(|p| {
                let p = p.trim();
                let v = p.strip_prefix("filename=")?;
                Some(v.trim_matches('"').to_string()).filter(|v| !v.is_empty())
            })
        });
        Ok(Download {
            content_type: resp.content_type().map(str::to_string),
            file_name,
            bytes: resp.body,
        })
    }
}
