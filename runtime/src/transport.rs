//! The transport: one attempt of a request (headers, authentication, the body limit), the
//! mapping of what went wrong to [`Error`], the retry loop of the [`RetryPolicy`] and the
//! deadline of a call.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE};
use url::Url;

use crate::error::{Error, Result, TransportKind};
use crate::op::Verb;
use crate::response::RawResponse;
use crate::retry::RetryPolicy;
use crate::secret::SecretString;
use crate::tls;
use crate::wire::Encoded;

/// What the runtime adds to a TLS error about a server certificate it does not trust: the
/// [`crate::ClientBuilder`] methods that fix it.
const UNTRUSTED_HINT: &str = " — the server's certificate is not trusted here: give its CA \
     with `ClientBuilder::ca_bundle_pem` or pin it with `ClientBuilder::pin_certificate_sha256`";

impl Error {
    /// For [`Error::Tls`], what failed, without the advice the runtime adds (which names
    /// [`crate::ClientBuilder`] methods): for a front end that gives advice of its own, in
    /// its own terms. `None` for other errors.
    pub fn tls_failure(&self) -> Option<&str> {
        match self {
            Error::Tls { message } => Some(message.strip_suffix(UNTRUSTED_HINT).unwrap_or(message)),
            _ => None,
        }
    }
}

/// Authentication of one request.
pub(crate) enum Auth<'a> {
    /// None (the entry point).
    None,
    /// HTTP Basic (logon): user and password.
    Basic(&'a str, &'a SecretString),
    /// The session token in the named header.
    Token(&'a str, &'a SecretString),
}

/// A failed attempt, and whether it provably never reached the server.
struct Failure {
    error: Error,
    not_sent: bool,
}

impl Failure {
    fn sent(error: Error) -> Self {
        Failure {
            error,
            not_sent: false,
        }
    }
    fn not_sent(error: Error) -> Self {
        Failure {
            error,
            not_sent: true,
        }
    }
}

/// What a [`Transport`] is built from.
pub(crate) struct Settings {
    pub(crate) http: reqwest::Client,
    pub(crate) base: Url,
    /// The wire format.
    pub(crate) format: crate::wire::Format,
    /// The media type asked for in `Accept`.
    pub(crate) accept: &'static str,
    pub(crate) request_timeout: Duration,
    pub(crate) call_timeout: Duration,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_body_bytes: u64,
    pub(crate) defaults: HeaderMap,
}

/// Sends requests to one server: the connection pool, the base URL and the limits.
pub(crate) struct Transport {
    http: reqwest::Client,
    base: Url,
    format: crate::wire::Format,
    accept: &'static str,
    request_timeout: Duration,
    call_timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: u64,
    defaults: HeaderMap,
}

impl Transport {
    /// A transport with these settings.
    pub(crate) fn new(s: Settings) -> Self {
        Transport {
            http: s.http,
            base: s.base,
            format: s.format,
            accept: s.accept,
            request_timeout: s.request_timeout,
            call_timeout: s.call_timeout,
            retry: s.retry,
            max_body_bytes: s.max_body_bytes,
            defaults: s.defaults,
        }
    }

    /// The wire format.
    pub(crate) fn format(&self) -> crate::wire::Format {
        self.format
    }

    /// The normalised base URL.
    pub(crate) fn base(&self) -> &Url {
        &self.base
    }

    fn method(verb: Verb) -> reqwest::Method {
        match verb {
            Verb::Get => reqwest::Method::GET,
            Verb::Post => reqwest::Method::POST,
            Verb::Put => reqwest::Method::PUT,
            Verb::Delete => reqwest::Method::DELETE,
        }
    }

    /// Resolves an Href against the base and keeps the token on the base's origin.
    pub(crate) fn resolve(&self, href: &str) -> Result<Url> {
        let mut url = self
            .base
            .join(href.trim())
            .map_err(|e| Error::config(format!("link `{href}` is not a URL: {e}")))?;
        if url.origin() != self.base.origin() {
            tracing::debug!(
                "link {url} points outside {}; sent to the base origin",
                self.base
            );
            // The same server may name itself differently (NAT, alias): stay on the origin
            // the user configured, so the session token never leaves it.
            let _ = url.set_scheme(self.base.scheme());
            let _ = url.set_host(self.base.host_str());
            let _ = url.set_port(self.base.port());
        }
        // Credentials in a link would be sent as Basic authentication: drop them.
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(url)
    }

    /// One attempt. A failure says whether the request provably never left the client.
    async fn send_once(
        &self,
        verb: Verb,
        url: &Url,
        body: Option<&Encoded>,
        auth: &Auth<'_>,
        accept: Option<&'static str>,
        deadline: Instant,
    ) -> Result<RawResponse, Failure> {
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(Failure::sent(self.deadline_error(verb, url)));
        }
        let timeout = self.request_timeout.min(remaining);
        let mut req = self
            .http
            .request(Self::method(verb), url.clone())
            .headers(self.defaults.clone())
            .header(ACCEPT, accept.unwrap_or(self.accept))
            .timeout(timeout);
        match body {
            Some(b) => {
                req = req
                    .header(CONTENT_TYPE, b.content_type)
                    .body(b.bytes.clone())
            }
            // EM's HTTP stack wants a length on bodiless POST/PUT.
            None if matches!(verb, Verb::Post | Verb::Put) => {
                req = req.header(CONTENT_LENGTH, "0").body(Bytes::new())
            }
            None => {}
        }
        match auth {
            Auth::None => {}
            Auth::Basic(user, password) => req = req.basic_auth(user, Some(password.expose())),
            Auth::Token(name, token) => {
                let mut v = HeaderValue::from_str(token.expose()).map_err(|_| {
                    Failure::not_sent(Error::config("session token is not a valid header value"))
                })?;
                v.set_sensitive(true);
                req = req.header(*name, v);
            }
        }
        let mut resp = req
            .send()
            .await
            .map_err(|e| self.failure(verb, url, e, timeout))?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let too_large = |declared| {
            Failure::sent(Error::BodyTooLarge {
                method: verb.as_str().to_string(),
                url: url.to_string(),
                limit: self.max_body_bytes,
                declared,
            })
        };
        let declared = resp.content_length();
        if let Some(len) = declared.filter(|&l| l > self.max_body_bytes) {
            // Dropping `resp` closes the connection without reading the body.
            return Err(too_large(Some(len)));
        }
        // Stream the body, counting: never more than the limit is held. Chunks are kept as
        // they come (no doubling buffer) and joined once at the end.
        let mut chunks: Vec<Bytes> = Vec::new();
        let mut total: u64 = 0;
        while let Some(chunk) = resp
            .chunk()
            .await
            .map_err(|e| self.failure(verb, url, e, timeout))?
        {
            total += chunk.len() as u64;
            if total > self.max_body_bytes {
                return Err(too_large(declared));
            }
            chunks.push(chunk);
        }
        let body = match chunks.len() {
            0 => Bytes::new(),
            1 => chunks.pop().unwrap_or_default(),
            _ => {
                let mut b = BytesMut::with_capacity(total as usize);
                for c in chunks.drain(..) {
                    b.extend_from_slice(&c);
                }
                b.freeze()
            }
        };
        Ok(RawResponse::new(
            verb,
            url.to_string(),
            status,
            headers,
            body,
        ))
    }

    fn deadline_error(&self, verb: Verb, url: &Url) -> Error {
        Error::Timeout {
            what: format!("{} {url} (deadline of the call)", verb.as_str()),
            after: self.call_timeout,
        }
    }

    /// The deadline of a call that starts now.
    pub(crate) fn deadline(&self) -> Instant {
        Instant::now() + self.call_timeout
    }

    /// Runs `fut`, failing with [`Error::Timeout`] when `deadline` passes first. Dropping
    /// the future cancels the request; nothing of the session is left half-changed.
    pub(crate) async fn within<T>(
        &self,
        deadline: Instant,
        verb: Verb,
        url: &Url,
        fut: impl std::future::Future<Output = Result<T>>,
    ) -> Result<T> {
        match tokio::time::timeout_at(deadline.into(), fut).await {
            Ok(r) => r,
            Err(_) => Err(self.deadline_error(verb, url)),
        }
    }

    /// [`Self::send`] as a call of its own: within a deadline that starts now.
    pub(crate) async fn send_call(
        &self,
        verb: Verb,
        url: &Url,
        body: Option<&Encoded>,
        auth: &Auth<'_>,
    ) -> Result<RawResponse> {
        let deadline = self.deadline();
        let fut = self.send(verb, url, body, auth, None, deadline);
        self.within(deadline, verb, url, fut).await
    }

    /// [`Self::send_call`] asking for `accept` instead of the client's media type.
    pub(crate) async fn send_call_accepting(
        &self,
        verb: Verb,
        url: &Url,
        body: Option<&Encoded>,
        auth: &Auth<'_>,
        accept: &'static str,
    ) -> Result<RawResponse> {
        let deadline = self.deadline();
        let fut = self.send(verb, url, body, auth, Some(accept), deadline);
        self.within(deadline, verb, url, fut).await
    }

    /// What a failed attempt means: TLS, timeout or transport error, and whether the request
    /// was sent.
    fn failure(&self, verb: Verb, url: &Url, e: reqwest::Error, after: Duration) -> Failure {
        // Errors of the connector (TCP connect, DNS, connect timeout, TLS handshake) happen
        // before any byte of the request is written.
        let not_sent = e.is_connect();
        if let Some(message) = tls::find_tls_error(&e) {
            let untrusted = message.contains("certificate") || message.contains("Certificate");
            let hint = if untrusted && !message.contains("pin") {
                UNTRUSTED_HINT
            } else {
                ""
            };
            return Failure {
                error: Error::Tls {
                    message: format!("{url}: {message}{hint}"),
                },
                not_sent,
            };
        }
        if e.is_timeout() {
            return Failure {
                error: Error::Timeout {
                    what: format!(
                        "{} {url}{}",
                        verb.as_str(),
                        if not_sent { " (connecting)" } else { "" }
                    ),
                    after,
                },
                not_sent,
            };
        }
        let kind = if e.is_connect() {
            TransportKind::Connect
        } else if e.is_request() || e.is_body() || e.is_decode() {
            TransportKind::Reset
        } else {
            TransportKind::Other
        };
        let mut parts = Vec::new();
        let mut cur = std::error::Error::source(&e);
        while let Some(s) = cur {
            let m = s.to_string();
            if !parts.contains(&m) {
                parts.push(m);
            }
            cur = s.source();
        }
        Failure {
            error: Error::Transport {
                method: verb.as_str().to_string(),
                url: url.to_string(),
                kind,
                message: if parts.is_empty() {
                    e.to_string()
                } else {
                    parts.join(": ")
                },
            },
            not_sent,
        }
    }

    /// Sends with the [`RetryPolicy`]: a request that provably never left the client is
    /// retried whatever its verb; a GET also after a broken connection, a timeout or a
    /// 429/500/502/503/504. Never more than `max_attempts` attempts, never past `deadline`.
    /// (`accept`: the media type asked for, when not the client's, as a session's version
    /// wants.)
    pub(crate) async fn send(
        &self,
        verb: Verb,
        url: &Url,
        body: Option<&Encoded>,
        auth: &Auth<'_>,
        accept: Option<&'static str>,
        deadline: Instant,
    ) -> Result<RawResponse> {
        let policy = self.retry;
        let mut attempt: u32 = 1;
        loop {
            let res = self
                .send_once(verb, url, body, auth, accept, deadline)
                .await;
            let retry = match &res {
                Ok(r) => RetryPolicy::retries_answer(verb, r.status()),
                Err(f) => RetryPolicy::retries_failure(verb, &f.error, f.not_sent),
            };
            if !retry || attempt >= policy.attempts() {
                return res.map_err(|f| f.error);
            }
            // A server that says when to come back (429/503 `Retry-After: SECONDS`) is
            // heeded, up to a minute, and never past the call's deadline (checked below).
            let delay = policy.delay(attempt, res.as_ref().ok());
            if Instant::now() + delay >= deadline {
                tracing::debug!(
                    "not retrying {} {url}: the call's deadline is near",
                    verb.as_str()
                );
                return res.map_err(|f| f.error);
            }
            attempt += 1;
            tracing::debug!(
                "retrying {} {url} in {delay:?} (attempt {attempt} of {})",
                verb.as_str(),
                policy.max_attempts
            );
            tokio::time::sleep(delay).await;
        }
    }
}
