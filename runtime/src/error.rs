//! The runtime's error type.

use std::fmt;
use std::time::Duration;

use crate::repr::DecodeError;

/// What went wrong on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The connection could not be made (refused, DNS, unreachable). The request was not sent.
    Connect,
    /// The connection broke while the request or answer was in flight.
    Reset,
    /// Another I/O or protocol failure.
    Other,
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransportKind::Connect => "cannot connect",
            TransportKind::Reset => "connection broken",
            TransportKind::Other => "transport error",
        })
    }
}

/// The API's own error body (`<Error Message="…" StatusCode="…"/>`), read through the
/// names in [`crate::ErrorInfo`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiError {
    /// The message.
    pub message: Option<String>,
    /// The status code the body states.
    pub status_code: Option<u16>,
    /// The inner exception message (`FirstChanceExceptionMessage`).
    pub detail: Option<String>,
}

/// Errors of the runtime. Messages never contain passwords or session tokens.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The request did not get an HTTP answer.
    #[error("{method} {url}: {kind}: {message}")]
    Transport {
        /// HTTP verb.
        method: String,
        /// Request URL.
        url: String,
        /// Kind of failure.
        kind: TransportKind,
        /// Details.
        message: String,
    },
    /// The server answered with an error status.
    #[error("{method} {url}: HTTP {status}{}", fmt_api_error(.error))]
    Http {
        /// HTTP verb.
        method: String,
        /// Request URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The error body, when the server sent one that could be read.
        error: Option<ApiError>,
    },
    /// The answer's body is larger than the client accepts
    /// ([`crate::ClientBuilder::max_body_bytes`]); it was not read further.
    #[error("{method} {url}: the answer is larger than the limit of {limit} bytes{}{}",
        .declared.map(|d| format!(" (Content-Length: {d})")).unwrap_or_default(),
        "; raise ClientBuilder::max_body_bytes if it is expected")]
    BodyTooLarge {
        /// HTTP verb.
        method: String,
        /// Request URL.
        url: String,
        /// The limit, in bytes.
        limit: u64,
        /// The size the server announced, when it did.
        declared: Option<u64>,
    },
    /// The answer could not be decoded.
    #[error("{url}: cannot decode {} answer: {source} (body starts: {snippet:?})", .content_type.as_deref().unwrap_or("untyped"))]
    Decode {
        /// Request URL.
        url: String,
        /// Content type of the answer.
        content_type: Option<String>,
        /// The first characters of the body.
        snippet: String,
        /// What was wrong.
        #[source]
        source: DecodeError,
    },
    /// The representation does not offer the link an operation needs.
    #[error("{type_} does not offer a `{rel}` link{}", .link_type.as_deref().map(|t| format!(" of type `{t}`")).unwrap_or_default())]
    LinkNotOffered {
        /// Relation looked for.
        rel: String,
        /// Type whose representation was searched.
        type_: String,
        /// Link type looked for, if any.
        link_type: Option<String>,
    },
    /// Several links match and nothing tells them apart.
    #[error("{type_} offers several `{rel}` links: {}", .hrefs.join(", "))]
    AmbiguousLink {
        /// Relation looked for.
        rel: String,
        /// Type whose representation was searched.
        type_: String,
        /// The candidates.
        hrefs: Vec<String>,
    },
    /// An asynchronous task finished without success.
    #[error("task {operation} failed: {message}")]
    TaskFailed {
        /// Operation the task ran.
        operation: String,
        /// The server's message.
        message: String,
    },
    /// A task being waited for disappeared (404): the server keeps tasks per logon session,
    /// so a task is lost when the session that started it expired and was renewed, or when
    /// someone deleted it. The operation may still have run: check the object it affects.
    #[error("task {href} ({operation}) is gone while waiting for it: the server keeps tasks per logon session (renewed or deleted); check the affected object")]
    TaskLost {
        /// URL of the task.
        href: String,
        /// Operation the task ran, as last seen.
        operation: String,
    },
    /// Something took longer than allowed.
    #[error("timed out after {after:?}: {what}")]
    Timeout {
        /// What was waited for.
        what: String,
        /// How long was waited.
        after: Duration,
    },
    /// The URL points at a different product or API than this client speaks.
    #[error("{url} is not the expected API: {seen}. {hint}")]
    WrongProduct {
        /// URL that was asked.
        url: String,
        /// What was seen instead.
        seen: String,
        /// The likely fix.
        hint: String,
    },
    /// TLS handshake or certificate verification failed.
    #[error("TLS: {message}")]
    Tls {
        /// Details.
        message: String,
    },
    /// The server refused the logon (HTTP 401 or 403 to the logon request): the user name
    /// or the password is wrong, or the account may not log on.
    #[error("POST {url}: logon refused (HTTP {status}){}", fmt_api_error(.error))]
    LogonRefused {
        /// Logon URL.
        url: String,
        /// HTTP status.
        status: u16,
        /// The error body, when the server sent one that could be read.
        error: Option<ApiError>,
    },
    /// The client was configured or used wrongly.
    #[error("configuration: {message}")]
    Config {
        /// Details.
        message: String,
    },
}

fn fmt_api_error(e: &Option<ApiError>) -> String {
    let Some(e) = e else { return String::new() };
    let mut s = String::new();
    if let Some(m) = &e.message {
        s.push_str(": ");
        s.push_str(m);
    }
    if let Some(d) = e
        .detail
        .as_deref()
        .filter(|d| Some(*d) != e.message.as_deref())
    {
        s.push_str(" (");
        s.push_str(d);
        s.push(')');
    }
    s
}

impl Error {
    /// True when trying again later may succeed (connection failures, 502/503/504, timeouts).
    /// Says nothing about whether a retry is safe: an action may have reached the server.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Transport { .. } | Error::Timeout { .. } => true,
            Error::Http { status, .. } => matches!(status, 502..=504),
            _ => false,
        }
    }

    /// The HTTP status, for [`Error::Http`] and [`Error::LogonRefused`].
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Http { status, .. } | Error::LogonRefused { status, .. } => Some(*status),
            _ => None,
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }
}

/// Result with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
