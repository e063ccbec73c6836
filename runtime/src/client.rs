//! Client, session and the generic call.
//!
//! A [`Client`] holds the HTTP connection pool and settings; [`Client::logon`] negotiates the
//! API version from the entry point and opens a [`Session`], which carries the session token
//! (only ever as a header), re-logs on once — shared by all concurrent callers — when the server
//! answers 401, and deletes itself on [`Session::logoff`]. Generated methods go through [`call`].

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, USER_AGENT};
use url::Url;

use crate::call_future::Call;
use crate::error::{ApiError, Error, Result, TransportKind};
use crate::json::{parse_json, Casing};
use crate::link::{Link, LinkLookupError, Links};
use crate::node::Node;
use crate::op::{Api, ApiInfo, Op, Verb};
use crate::repr::{DecodeError, Repr};
use crate::secret::SecretString;
use crate::task::WaitOptions;
use crate::tls::{self, TlsSettings};
use crate::xml::{parse_xml, strip_bom};

/// Wire format of requests and answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Format {
    /// XML (`Accept: application/xml`), the API's native format.
    #[default]
    Xml,
    /// JSON (`Accept: application/json`); request bodies are sent as JSON too.
    Json,
}

impl Format {
    /// The media type.
    pub fn media_type(self) -> &'static str {
        match self {
            Format::Xml => "application/xml",
            Format::Json => "application/json",
        }
    }
}

/// A request body: any representation.
pub trait Body: Sync {
    /// Root element name.
    fn body_root(&self) -> &'static str;
    /// Writes the body as its root element through `out` (XML or JSON).
    fn write_body(&self, out: &mut dyn crate::Out);
}

impl<T: Repr + Sync> Body for T {
    fn body_root(&self) -> &'static str {
        T::ROOT
    }
    fn write_body(&self, out: &mut dyn crate::Out) {
        self.write_value(T::ROOT, out);
    }
}

/// A body accepted where the spec asks for `T`: `T` itself, or a user's
/// `#[derive(Resource)]` struct that stands for `T`.
pub trait BodyOf<T>: Body {}

impl<T: Repr + Sync> BodyOf<T> for T {}

/// A successful HTTP answer before decoding.
#[derive(Debug, Clone)]
pub struct RawResponse {
    verb: Verb,
    url: String,
    status: u16,
    headers: HeaderMap,
    body: Bytes,
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

    /// True when the body is to be read as XML (not JSON, HTML or empty).
    pub(crate) fn is_xml(&self) -> bool {
        self.kind() == BodyKind::Xml
    }

    /// Parses the body as a [`Node`] by its content type (sniffed when absent); a JSON root
    /// gets the name `root`.
    pub fn node(&self, root: &str) -> Result<Node> {
        let body = strip_bom(&self.body);
        let res = match self.kind() {
            BodyKind::Html => Err(DecodeError::new("the server answered with an HTML page")),
            BodyKind::Empty => Err(DecodeError::new("empty body")),
            BodyKind::Json => parse_json(body, root),
            BodyKind::Xml => parse_xml(body),
        };
        res.map_err(|e| self.decode_error(e))
    }

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
    match resp.kind() {
        BodyKind::Xml => crate::xml_in::decode_xml_into(&resp.body, slot),
        BodyKind::Json => crate::json::decode_json_into(&resp.body, slot, root),
        BodyKind::Html => Err(DecodeError::new("the server answered with an HTML page")),
        BodyKind::Empty => Err(DecodeError::new("empty body")),
    }
    .map_err(|e| resp.decode_error(e))?;
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

/// Builds a [`Client`].
pub struct ClientBuilder<A: Api> {
    base_url: String,
    connect_timeout: Duration,
    request_timeout: Duration,
    call_timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: u64,
    user_agent: String,
    format: Format,
    casing: Casing,
    tls: TlsSettings,
    wait: WaitOptions,
    deferred: Option<Error>,
    _api: PhantomData<fn() -> A>,
}

/// Default of [`ClientBuilder::max_body_bytes`]: 64 MiB.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;

/// How requests are retried.
///
/// The policy is fixed by what a retry could do to the server:
///
/// - **Reads** (`GET`) are retried after a broken connection, a timeout, or a
///   429/500/502/503/504 answer (EM's 500s are often transient; a read is safe to repeat;
///   a `Retry-After: SECONDS` on the answer is heeded, up to a minute), with exponential backoff and jitter, at most [`Self::max_attempts`] attempts in
///   all and never past the call's deadline ([`ClientBuilder::call_timeout`]).
/// - **Actions** (`POST`, `PUT`, `DELETE`) are sent again only when they provably never left
///   the client: the connection could not be opened (refused, unreachable, DNS, connect
///   timeout), so no byte of the request was written. A connection that breaks after the
///   request went out, a timeout while waiting for the answer, or any 5xx may mean the server
///   acted, so the error is returned and nothing is re-sent: repeating a `Start` or a
///   `Delete` is worse than reporting a failure.
/// - **401** is not handled here but by the session: it logs on again once (shared by every
///   concurrent caller) and sends the request once more. That is safe for actions too: a 401
///   means the server refused the request before executing it.
/// - TLS failures and answers larger than [`ClientBuilder::max_body_bytes`] are never retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Most attempts of one request, the first included (default 3); `1` turns retries off.
    pub max_attempts: u32,
    /// Nominal delay before the first retry (default 200 ms). It doubles for each further
    /// retry; the actual delay is drawn between half of it and all of it (jitter), so
    /// clients that failed together do not come back together.
    pub initial_backoff: Duration,
    /// Longest nominal delay between attempts (default 5 s).
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// No retries at all (not even of requests that were never sent).
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// The delay before retry number `retry` (1 for the first retry), jitter included.
    fn backoff(&self, retry: u32) -> Duration {
        let shift = retry.saturating_sub(1).min(20);
        let nominal = self
            .initial_backoff
            .saturating_mul(1u32 << shift)
            .min(self.max_backoff);
        let half = nominal / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// The longest `Retry-After` a read waits for before trying again.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// The delay a `Retry-After` header asks for, in its delay-seconds form (the HTTP-date form
/// is not used by the servers this client talks to, and is ignored).
fn retry_after(resp: &RawResponse) -> Option<Duration> {
    let v = resp.header("retry-after")?.trim();
    v.parse::<u64>().ok().map(Duration::from_secs)
}

/// A number in `[0, 1)` from the standard library's randomly keyed hasher (no RNG crate).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

impl<A: Api> std::fmt::Debug for ClientBuilder<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("base_url", &self.base_url)
            .field("format", &self.format)
            .field("tls", &self.tls)
            .finish_non_exhaustive()
    }
}

impl<A: Api> ClientBuilder<A> {
    fn new(base_url: &str) -> Self {
        ClientBuilder {
            base_url: base_url.to_string(),
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(60),
            call_timeout: Duration::from_secs(120),
            retry: RetryPolicy::default(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            user_agent: format!("emrest/{}", env!("CARGO_PKG_VERSION")),
            format: Format::Xml,
            casing: Casing::Pascal,
            tls: TlsSettings::default(),
            wait: WaitOptions::default(),
            deferred: None,
            _api: PhantomData,
        }
    }

    /// Time allowed to open a connection (default 10 s).
    pub fn connect_timeout(mut self, t: Duration) -> Self {
        self.connect_timeout = t;
        self
    }

    /// Time allowed for one attempt of a request, answer included (default 60 s).
    pub fn request_timeout(mut self, t: Duration) -> Self {
        self.request_timeout = t;
        self
    }

    /// Deadline of one call, all its attempts, backoff delays and a re-logon included
    /// (default 120 s). No call runs longer: when it passes, the call fails with
    /// [`Error::Timeout`].
    pub fn call_timeout(mut self, t: Duration) -> Self {
        self.call_timeout = t;
        self
    }

    /// How requests are retried (see [`RetryPolicy`] for what is never retried).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// Largest answer body accepted, in bytes (default [`DEFAULT_MAX_BODY_BYTES`], 64 MiB).
    /// It is checked against `Content-Length` before reading and counted while the body
    /// streams in, so a larger answer fails with [`Error::BodyTooLarge`] after at most this
    /// many bytes were buffered. File downloads count too.
    pub fn max_body_bytes(mut self, limit: u64) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The `User-Agent` header.
    pub fn user_agent(mut self, ua: impl Into<String>) -> Self {
        self.user_agent = ua.into();
        self
    }

    /// Wire format (default [`Format::Xml`]).
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Casing of member names in JSON request bodies (default [`Casing::Pascal`]).
    pub fn json_casing(mut self, casing: Casing) -> Self {
        self.casing = casing;
        self
    }

    /// Default options of task waiting for sessions of this client.
    pub fn wait_options(mut self, wait: WaitOptions) -> Self {
        self.wait = wait;
        self
    }

    /// Trusts the CA certificates of a PEM bundle, besides the system roots.
    pub fn ca_bundle_pem(mut self, pem: impl AsRef<[u8]>) -> Self {
        match tls::parse_pem_bundle(pem.as_ref()) {
            Ok(certs) => self.tls.extra_roots.extend(certs),
            Err(e) => self.deferred = self.deferred.or(Some(e)),
        }
        self
    }

    /// Does not trust the system's root certificates (only [`Self::ca_bundle_pem`] ones).
    pub fn no_system_roots(mut self) -> Self {
        self.tls.no_system_roots = true;
        self
    }

    /// Accepts exactly the server certificate whose SHA-256 fingerprint is given, as 32 raw
    /// bytes or as hex text (colons and spaces allowed). Chain and host name are not checked;
    /// the handshake still proves that the server holds that certificate's key.
    pub fn pin_certificate_sha256(mut self, fingerprint: impl AsRef<[u8]>) -> Self {
        let fp = fingerprint.as_ref();
        let parsed = match <[u8; 32]>::try_from(fp) {
            Ok(raw) => Ok(raw),
            Err(_) => std::str::from_utf8(fp)
                .map_err(|_| Error::config("certificate fingerprint is neither 32 bytes nor hex"))
                .and_then(tls::parse_fingerprint),
        };
        match parsed {
            Ok(p) => self.tls.pin = Some(p),
            Err(e) => self.deferred = self.deferred.or(Some(e)),
        }
        self
    }

    /// Turns certificate verification off. Anyone on the network path can then read the
    /// password and the session; a warning is logged at every logon.
    pub fn danger_accept_invalid_certs(mut self) -> Self {
        self.tls.accept_invalid = true;
        self
    }

    /// Builds the client.
    pub fn build(self) -> Result<Client<A>> {
        if let Some(e) = self.deferred {
            return Err(e);
        }
        let base = normalise_base(&self.base_url)?;
        let tls = tls::client_config(&self.tls)?;
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .connect_timeout(self.connect_timeout)
            .timeout(self.request_timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        let mut defaults = HeaderMap::new();
        defaults.insert(
            USER_AGENT,
            HeaderValue::from_str(&self.user_agent)
                .map_err(|_| Error::config("user agent is not a valid header value"))?,
        );
        Ok(Client {
            inner: Arc::new(ClientInner {
                http,
                base,
                format: self.format,
                casing: self.casing,
                request_timeout: self.request_timeout,
                call_timeout: self.call_timeout,
                retry: self.retry,
                max_body_bytes: self.max_body_bytes,
                accept_invalid: self.tls.accept_invalid,
                wait: self.wait,
                defaults,
                info: A::INFO,
                entry_hint: A::ENTRY_URL_HINT,
            }),
            _api: PhantomData,
        })
    }
}

fn normalise_base(raw: &str) -> Result<Url> {
    let mut url = Url::parse(raw.trim())
        .map_err(|e| Error::config(format!("base URL `{raw}` is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::config(format!(
            "base URL `{url}` must start with https:// (or http://)"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::config(
            "base URL must not carry credentials; pass them to logon",
        ));
    }
    url.set_fragment(None);
    url.set_query(None);
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    Ok(url)
}

/// An HTTP client for one API server. Cheap to clone.
pub struct Client<A: Api> {
    inner: Arc<ClientInner>,
    _api: PhantomData<fn() -> A>,
}

impl<A: Api> Clone for Client<A> {
    fn clone(&self) -> Self {
        Client {
            inner: self.inner.clone(),
            _api: PhantomData,
        }
    }
}

impl<A: Api> std::fmt::Debug for Client<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base.as_str())
            .field("format", &self.inner.format)
            .finish_non_exhaustive()
    }
}

pub(crate) struct ClientInner {
    http: reqwest::Client,
    pub(crate) base: Url,
    pub(crate) format: Format,
    casing: Casing,
    request_timeout: Duration,
    call_timeout: Duration,
    retry: RetryPolicy,
    max_body_bytes: u64,
    accept_invalid: bool,
    wait: WaitOptions,
    defaults: HeaderMap,
    pub(crate) info: &'static ApiInfo,
    entry_hint: Option<&'static str>,
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

/// Authentication of one request.
enum Auth<'a> {
    None,
    Basic(&'a str, &'a SecretString),
    Token(&'a str, &'a SecretString),
}

impl<A: Api> Client<A> {
    /// Starts building a client for the API whose entry point is `base_url`
    /// (a missing trailing slash is added).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder<A> {
        ClientBuilder::new(base_url.as_ref())
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> &str {
        self.inner.base.as_str()
    }

    /// The wire format.
    pub fn format(&self) -> Format {
        self.inner.format
    }

    /// Reads the entry point (no authentication) and checks that it is this API's.
    pub async fn entry_point(&self) -> Result<Node> {
        self.inner.entry_point().await
    }

    /// Logs on as `user` (`user@domain` or `DOMAIN\user`, sent as given) with HTTP Basic,
    /// choosing the newest API version both sides speak.
    pub async fn logon(
        &self,
        user: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Result<Session<A>> {
        let user = user.into();
        let password = password.into();
        let (version, logon_url, logged) = match self.inner.entry(true).await? {
            Entry::Document(entry) => {
                let (version, url) = self.inner.pick_version(&entry)?;
                let logged = self.inner.logon_post(&url, &user, &password).await?;
                (version, url, logged)
            }
            // No entry point: the spec's documented logon URL, newest version.
            Entry::Fallback(url) => {
                tracing::info!("the entry point answered 404; logging on at {url}");
                let logged = match self.inner.logon_post(&url, &user, &password).await {
                    Err(Error::Http { status: 404, .. }) => {
                        return Err(self.inner.wrong_product(format!(
                            "the entry point and the logon URL `{url}` answered HTTP 404"
                        )))
                    }
                    r => r?,
                };
                (None, url, logged)
            }
        };
        let wait = self.inner.wait;
        Ok(Session {
            inner: Arc::new(SessionInner {
                client: self.inner.clone(),
                user,
                password,
                version,
                logon_url,
                links: logged.links.clone(),
                state: RwLock::new(State {
                    token: logged.token,
                    generation: 0,
                    href: logged.href,
                    own_links: logged.links,
                    closed: false,
                }),
                relogon: tokio::sync::Mutex::new(None),
                relogon_failures: AtomicU64::new(0),
                wait: Mutex::new(wait),
            }),
            _api: PhantomData,
        })
    }
}

struct Logged {
    token: SecretString,
    href: Option<String>,
    links: Links,
}

impl ClientInner {
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
        body: Option<&(Bytes, &'static str)>,
        auth: &Auth<'_>,
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
            .header(ACCEPT, self.format.media_type())
            .timeout(timeout);
        match body {
            Some((bytes, ct)) => req = req.header(CONTENT_TYPE, *ct).body(bytes.clone()),
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
            .map_err(|e| self.transport(verb, url, e, timeout))?;
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
            .map_err(|e| self.transport(verb, url, e, timeout))?
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
        Ok(RawResponse {
            verb,
            url: url.to_string(),
            status,
            headers,
            body,
        })
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

    fn transport(&self, verb: Verb, url: &Url, e: reqwest::Error, after: Duration) -> Failure {
        // Errors of the connector (TCP connect, DNS, connect timeout, TLS handshake) happen
        // before any byte of the request is written.
        let not_sent = e.is_connect();
        if let Some(message) = tls::find_tls_error(&e) {
            let untrusted = message.contains("certificate") || message.contains("Certificate");
            let hint = if untrusted && !message.contains("pin") {
                " — the server's certificate is not trusted here: give its CA with \
                 `ClientBuilder::ca_bundle_pem` (vem: --ca-file) or pin it with \
                 `ClientBuilder::pin_certificate_sha256` (vem: --pin-sha256)"
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
    async fn send(
        &self,
        verb: Verb,
        url: &Url,
        body: Option<&(Bytes, &'static str)>,
        auth: &Auth<'_>,
        deadline: Instant,
    ) -> Result<RawResponse> {
        let policy = self.retry;
        let mut attempt: u32 = 1;
        loop {
            let res = self.send_once(verb, url, body, auth, deadline).await;
            let retry = match &res {
                Ok(r) => verb == Verb::Get && matches!(r.status, 429 | 500 | 502..=504),
                Err(f) => match f.error {
                    Error::Transport { .. } | Error::Timeout { .. } => {
                        f.not_sent || verb == Verb::Get
                    }
                    _ => false,
                },
            };
            if !retry || attempt >= policy.max_attempts.max(1) {
                return res.map_err(|f| f.error);
            }
            let mut delay = policy.backoff(attempt);
            // A server that says when to come back (429/503 `Retry-After: SECONDS`) is
            // heeded, up to a minute, and never past the call's deadline (checked below).
            if let Ok(r) = &res {
                if let Some(after) = retry_after(r) {
                    delay = delay.max(after.min(MAX_RETRY_AFTER));
                }
            }
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

    /// Reads the API's error body into an [`Error::Http`].
    pub(crate) fn http_error(&self, resp: &RawResponse) -> Error {
        let e = &self.info.error;
        let error = resp.node(e.root).ok().map(|n| {
            let get = |k: &str| {
                n.scalar(k)
                    .map(str::trim)
                    .filter(|v| !v.is_empty())
                    .map(str::to_string)
            };
            ApiError {
                message: get(e.message),
                status_code: get(e.status).and_then(|s| s.parse().ok()),
                detail: get(e.detail),
            }
        });
        Error::Http {
            method: resp.verb.as_str().to_string(),
            url: resp.url.clone(),
            status: resp.status,
            error: error.filter(|a| a != &ApiError::default()),
        }
    }

    fn wrong_product(&self, seen: impl Into<String>) -> Error {
        let info = self.info;
        let host = self.base.host_str().unwrap_or("HOST");
        let hint = match self.entry_hint {
            Some(t) => format!("Use {}", t.replace("{host}", host)),
            None => format!(
                "Point the client at the {} entry point: the URL whose answer offers a `{}` link of type `{}`",
                info.title, info.logon_rel, info.logon_type
            ),
        };
        Error::WrongProduct {
            url: self.base.to_string(),
            seen: seen.into(),
            hint,
        }
    }

    async fn entry_point(&self) -> Result<Node> {
        match self.entry(false).await? {
            Entry::Document(n) => Ok(n),
            // Not asked for: `entry(false)` never falls back.
            Entry::Fallback(url) => Err(Error::config(format!("no entry point; logon at {url}"))),
        }
    }

    /// The entry point document, or — when `fallback` is allowed, the entry point answers
    /// 404 and the spec names a fallback logon URL — that URL.
    async fn entry(&self, fallback: bool) -> Result<Entry> {
        let deadline = self.deadline();
        let resp = self
            .within(
                deadline,
                Verb::Get,
                &self.base,
                self.send(Verb::Get, &self.base, None, &Auth::None, deadline),
            )
            .await?;
        let path = self.base.path().to_ascii_lowercase();
        let other = &self.info.other_product;
        let openapi = other.headers.iter().any(|h| resp.header(h).is_some())
            || other.path_markers.iter().any(|m| path.contains(m))
            || self.base.port().is_some_and(|p| other.ports.contains(&p));
        let ct = resp.content_type().unwrap_or("").to_ascii_lowercase();
        if !(200..300).contains(&resp.status) {
            if let (true, false, 404, Some(f)) =
                (fallback, openapi, resp.status, self.info.logon_fallback)
            {
                return Ok(Entry::Fallback(self.resolve(f)?));
            }
            if openapi || resp.status == 404 {
                return Err(self.wrong_product(format!(
                    "the entry point answered HTTP {}{}",
                    resp.status,
                    if openapi {
                        " and looks like a versioned OpenAPI/OAuth REST API"
                    } else {
                        ""
                    }
                )));
            }
            return Err(self.http_error(&resp));
        }
        if ct.contains("html") {
            return Err(self.wrong_product("an HTML page"));
        }
        let node = match resp.node(self.info.version_element) {
            Ok(n) => n,
            Err(_) if openapi || ct.contains("json") => {
                return Err(self.wrong_product("a document of another shape"))
            }
            Err(e) => return Err(e),
        };
        if self.logon_links(&node).is_empty() {
            return Err(self.wrong_product(format!(
                "a document without a `{}` link of type `{}`{}",
                self.info.logon_rel,
                self.info.logon_type,
                if openapi {
                    " (it looks like a versioned OpenAPI/OAuth REST API)"
                } else {
                    ""
                }
            )));
        }
        Ok(Entry::Document(node))
    }

    /// `(version, href)` of every logon link: per-version ones, then the top-level one.
    fn logon_links(&self, entry: &Node) -> Vec<(Option<String>, String)> {
        let info = self.info;
        let pick = |n: &Node| -> Option<String> {
            let links: Links = crate::link::links_from_node(n.child("Links")?).ok()?;
            links
                .find(info.logon_rel, Some(info.logon_type), None)
                .ok()
                .map(|l| l.href.clone())
        };
        let mut out = Vec::new();
        for n in entry.descendants() {
            if n.name.eq_ignore_ascii_case(info.version_element) {
                if let (Some(v), Some(h)) = (n.scalar(info.version_attr), pick(n)) {
                    out.push((Some(v.to_string()), h));
                }
            }
        }
        if let Some(h) = pick(entry) {
            out.push((None, h));
        }
        out
    }

    fn pick_version(&self, entry: &Node) -> Result<(Option<String>, Url)> {
        let offered = self.logon_links(entry);
        let chosen = self
            .info
            .versions
            .iter()
            .rev()
            .find_map(|want| {
                offered
                    .iter()
                    .find(|(v, _)| v.as_deref().is_some_and(|v| v.eq_ignore_ascii_case(want)))
            })
            .or_else(|| {
                let top = offered.iter().find(|(v, _)| v.is_none());
                if top.is_some() && offered.iter().any(|(v, _)| v.is_some()) {
                    tracing::warn!(
                        "the server offers none of the versions this client speaks ({:?}); using its default",
                        self.info.versions
                    );
                }
                top
            })
            .ok_or_else(|| self.wrong_product("no logon link"))?;
        Ok((chosen.0.clone(), self.resolve(&chosen.1)?))
    }

    async fn logon_post(&self, url: &Url, user: &str, password: &SecretString) -> Result<Logged> {
        if self.accept_invalid {
            tracing::warn!(
                "TLS certificate verification is OFF for {}: the password and session can be read by anyone on the path",
                self.base
            );
        }
        let deadline = self.deadline();
        let resp = self
            .within(
                deadline,
                Verb::Post,
                url,
                self.send(
                    Verb::Post,
                    url,
                    None,
                    &Auth::Basic(user, password),
                    deadline,
                ),
            )
            .await?;
        if !matches!(resp.status, 200 | 201) {
            return Err(match self.http_error(&resp) {
                Error::Http {
                    url,
                    status: status @ (401 | 403),
                    error,
                    ..
                } => Error::LogonRefused { url, status, error },
                other => other,
            });
        }
        let header = self.info.session_header;
        let token = resp
            .header(header)
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(SecretString::new)
            .ok_or_else(|| {
                self.wrong_product(format!("the logon answer carries no `{header}` header"))
            })?;
        let node = resp.node(self.info.logon_type)?;
        let links = match node.child("Links") {
            Some(l) => {
                crate::link::links_from_node(l).map_err(|e| resp.decode_error(e.within("Links")))?
            }
            None => Links::default(),
        };
        let href = node
            .scalar("Href")
            .or_else(|| resp.header("location"))
            .map(str::to_string);
        Ok(Logged { token, href, links })
    }

    fn encode(&self, body: &dyn Body) -> (Bytes, &'static str) {
        match self.format {
            Format::Xml => {
                let mut out = crate::XmlOut::new(self.info.namespace);
                body.write_body(&mut out);
                (Bytes::from(out.finish()), "application/xml")
            }
            Format::Json => {
                let mut out = crate::JsonOut::new(self.casing);
                body.write_body(&mut out);
                (Bytes::from(out.finish()), "application/json")
            }
        }
    }
}

/// What a caller saw before sending: the token generation and the failed re-logons.
#[derive(Debug, Clone, Copy)]
struct Seen {
    generation: u64,
    failures: u64,
}

struct State {
    token: SecretString,
    generation: u64,
    href: Option<String>,
    own_links: Links,
    closed: bool,
}

/// What logon starts from.
enum Entry {
    /// The entry point document, with its logon links.
    Document(Node),
    /// No entry point: the spec's fallback logon URL.
    Fallback(Url),
}

pub(crate) struct SessionInner {
    pub(crate) client: Arc<ClientInner>,
    user: String,
    password: SecretString,
    version: Option<String>,
    logon_url: Url,
    links: Links,
    state: RwLock<State>,
    /// Held while logging on again; keeps the last failed re-logon so that the callers who
    /// waited for it share its error instead of each trying (and locking the account out).
    relogon: tokio::sync::Mutex<Option<Error>>,
    /// Failed re-logons so far.
    relogon_failures: AtomicU64,
    pub(crate) wait: Mutex<WaitOptions>,
}

/// A logged-on session. Cheap to clone; clones share the token.
pub struct Session<A: Api> {
    pub(crate) inner: Arc<SessionInner>,
    _api: PhantomData<fn() -> A>,
}

impl<A: Api> Clone for Session<A> {
    fn clone(&self) -> Self {
        Session {
            inner: self.inner.clone(),
            _api: PhantomData,
        }
    }
}

impl<A: Api> std::fmt::Debug for Session<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("base_url", &self.inner.client.base.as_str())
            .field("user", &self.inner.user)
            .field("version", &self.inner.version)
            .finish_non_exhaustive()
    }
}

impl<A: Api> Session<A> {
    /// The links of the logon session (the API's service document).
    pub fn links(&self) -> &Links {
        &self.inner.links
    }

    /// The API version negotiated at logon (`None`: the server's default).
    pub fn version(&self) -> Option<&str> {
        self.inner.version.as_deref()
    }

    /// The user name as given to logon.
    pub fn user(&self) -> &str {
        &self.inner.user
    }

    /// The URL of this session's own logon-session resource, if the server told it.
    pub fn href(&self) -> Option<String> {
        self.inner.read_state().href.clone()
    }

    /// The wire format.
    pub fn format(&self) -> Format {
        self.inner.client.format
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.inner.client.base.as_str()
    }

    /// Options used by [`crate::wait_task`].
    pub fn wait_options(&self) -> WaitOptions {
        *self.inner.wait.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the options used by [`crate::wait_task`].
    pub fn set_wait_options(&self, wait: WaitOptions) {
        *self.inner.wait.lock().unwrap_or_else(|p| p.into_inner()) = wait;
    }

    /// Follows `op` among `links` and decodes the answer as `R`: any representation, a
    /// user's `#[derive(Resource)]` struct included (`em.fetch::<MyJob>(&links,
    /// &emrest::JobReference::OP_ALTERNATE)`).
    pub async fn fetch<R: Response>(&self, links: &Links, op: &'static Op) -> Result<R> {
        call(self, links, op, None).await
    }

    /// GETs `href` (resolved against the base URL) and decodes the answer.
    pub async fn get<R: Response>(&self, href: &str) -> Result<R> {
        let url = self.inner.client.resolve(href)?;
        let resp = self.inner.request(Verb::Get, &url, None, &[]).await?;
        R::from_response(resp)
    }

    /// Follows `link` with GET.
    pub async fn follow<R: Response>(&self, link: &Link) -> Result<R> {
        self.get(&link.href).await
    }

    /// Reads `repr` again from its own `Href` (a fresh copy of a job, a session, …).
    pub async fn reload<T: Repr + Send>(&self, repr: &T) -> Result<T> {
        let href = repr
            .href()
            .ok_or_else(|| {
                Error::config(format!("this `{}` carries no Href to reload from", T::ROOT))
            })?
            .to_string();
        self.get(&href).await
    }

    /// The request that following `op` among `links` with `body` would send — same link
    /// lookup, URL rules and encoding as the real call — without sending it.
    pub fn prepare(
        &self,
        links: &Links,
        op: &Op,
        body: Option<&dyn Body>,
    ) -> Result<PreparedRequest> {
        prepare(&self.inner, links, op, body, None)
    }

    /// Deletes this session's own logon session through the logoff link of its own
    /// representation. Later calls fail with [`Error::Config`].
    pub async fn logoff(&self) -> Result<()> {
        self.inner.logoff().await
    }
}

impl SessionInner {
    fn read_state(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Token, its generation and the count of failed re-logons, read before a request.
    fn current(&self) -> Result<(SecretString, Seen)> {
        let s = self.read_state();
        if s.closed {
            return Err(Error::config("the session was logged off"));
        }
        let seen = Seen {
            generation: s.generation,
            failures: self.relogon_failures.load(Ordering::SeqCst),
        };
        Ok((s.token.clone(), seen))
    }

    /// Logs on again, once for all callers whose request was refused with the token of
    /// `seen`: whoever comes second finds the new token (or the failure of the attempt made
    /// while it waited) and does not log on itself.
    ///
    /// Cancellation: the logon runs in a task of its own (where a tokio runtime is there to
    /// spawn it), so a caller dropped mid-logon neither cancels it nor leaves an orphan
    /// session on the server; the callers waiting on the lock then find its new token.
    async fn relogon(self: &Arc<Self>, seen: Seen) -> Result<()> {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return self.relogon_locked(seen).await;
        };
        let me = Arc::clone(self);
        match rt.spawn(async move { me.relogon_locked(seen).await }).await {
            Ok(r) => r,
            Err(e) => Err(Error::config(format!(
                "logging on again did not finish: {e}"
            ))),
        }
    }

    async fn relogon_locked(&self, seen: Seen) -> Result<()> {
        let mut last_failure = self.relogon.lock().await;
        if self.read_state().generation != seen.generation {
            return Ok(());
        }
        if self.relogon_failures.load(Ordering::SeqCst) != seen.failures {
            if let Some(e) = last_failure.as_ref() {
                return Err(e.clone());
            }
        }
        tracing::info!("session expired; logging on again");
        match self
            .client
            .logon_post(&self.logon_url, &self.user, &self.password)
            .await
        {
            Ok(logged) => {
                let mut s = self.state.write().unwrap_or_else(|p| p.into_inner());
                s.token = logged.token;
                s.generation += 1;
                s.href = logged.href;
                s.own_links = logged.links;
                *last_failure = None;
                Ok(())
            }
            Err(e) => {
                tracing::warn!("logging on again failed: {e}");
                *last_failure = Some(e.clone());
                self.relogon_failures.fetch_add(1, Ordering::SeqCst);
                Err(e)
            }
        }
    }

    /// Sends an authenticated request under the client's [`RetryPolicy`], within the call's
    /// deadline. On 401 it logs on again once (shared with concurrent callers) and sends the
    /// request once more. That retry is safe for actions too: a 401 means the server refused
    /// the request before executing it. Checks the status (`expected`, or any 2xx when empty)
    /// and turns errors into [`Error::Http`].
    ///
    /// Dropping the returned future at any point leaves the session usable.
    pub(crate) async fn request(
        self: &Arc<Self>,
        verb: Verb,
        url: &Url,
        body: Option<&(Bytes, &'static str)>,
        expected: &[u16],
    ) -> Result<RawResponse> {
        let deadline = self.client.deadline();
        self.client
            .within(
                deadline,
                verb,
                url,
                self.request_inner(verb, url, body, expected, deadline),
            )
            .await
    }

    async fn request_inner(
        self: &Arc<Self>,
        verb: Verb,
        url: &Url,
        body: Option<&(Bytes, &'static str)>,
        expected: &[u16],
        deadline: Instant,
    ) -> Result<RawResponse> {
        let header = self.client.info.session_header;
        let (token, seen) = self.current()?;
        let mut resp = self
            .client
            .send(verb, url, body, &Auth::Token(header, &token), deadline)
            .await?;
        if resp.status == 401 {
            self.relogon(seen).await?;
            let (token, _) = self.current()?;
            resp = self
                .client
                .send(verb, url, body, &Auth::Token(header, &token), deadline)
                .await?;
        }
        if !(200..300).contains(&resp.status) {
            return Err(self.client.http_error(&resp));
        }
        if !expected.is_empty() && !expected.contains(&resp.status) {
            tracing::warn!(
                "{} {} answered {}, documented: {expected:?}",
                verb.as_str(),
                resp.url,
                resp.status
            );
        }
        Ok(resp)
    }

    async fn logoff(&self) -> Result<()> {
        let info = self.client.info;
        let (token, link) = {
            let s = self.read_state();
            if s.closed {
                return Ok(());
            }
            let link = s
                .own_links
                .find(info.logoff_rel, None, None)
                .map(|l| l.href.clone());
            (s.token.clone(), link)
        };
        let href = link.map_err(|e| link_error(e, info.logoff_rel, info.logon_type, None))?;
        let url = self.client.resolve(&href)?;
        let deadline = self.client.deadline();
        let auth = Auth::Token(info.session_header, &token);
        let resp = self
            .client
            .within(
                deadline,
                Verb::Delete,
                &url,
                self.client.send(Verb::Delete, &url, None, &auth, deadline),
            )
            .await?;
        // 401/404: the session had already expired or gone.
        if !(200..300).contains(&resp.status) && !matches!(resp.status, 401 | 404) {
            return Err(self.client.http_error(&resp));
        }
        self.state.write().unwrap_or_else(|p| p.into_inner()).closed = true;
        Ok(())
    }
}

pub(crate) fn link_error(
    e: LinkLookupError,
    rel: &str,
    owner: &str,
    link_type: Option<&str>,
) -> Error {
    match e {
        LinkLookupError::NotOffered => Error::LinkNotOffered {
            rel: rel.to_string(),
            type_: owner.to_string(),
            link_type: link_type.map(str::to_string),
        },
        LinkLookupError::Ambiguous(links) => Error::AmbiguousLink {
            rel: rel.to_string(),
            type_: owner.to_string(),
            hrefs: links.into_iter().map(|l| l.href).collect(),
        },
    }
}

/// The URL of `op` from the link's Href: `?action=` and the op's extra query are added when
/// the Href lacks them.
pub(crate) fn op_url(client: &ClientInner, href: &str, op: &Op) -> Result<Url> {
    let mut url = client.resolve(href)?;
    let has = |url: &Url, key: &str| url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case(key));
    let mut add: Vec<(String, String)> = Vec::new();
    if let Some(action) = op.action {
        if !has(&url, "action") {
            add.push(("action".into(), action.into()));
        }
    }
    if let Some(q) = op.query {
        for (k, v) in url::form_urlencoded::parse(q.trim_start_matches('?').as_bytes()) {
            if !has(&url, &k) {
                add.push((k.into_owned(), v.into_owned()));
            }
        }
    }
    if !add.is_empty() {
        let mut pairs = url.query_pairs_mut();
        for (k, v) in &add {
            pairs.append_pair(k, v);
        }
    }
    Ok(url)
}

/// [`call`] for generated methods, boxed: `links` absent is the same as offering none.
pub fn follow<'a, A: Api, R: Response + 'a>(
    session: &'a Session<A>,
    links: &'a (impl crate::AsLinks + ?Sized),
    op: &'static Op,
    body: Option<&'a dyn Body>,
) -> Call<'a, R> {
    follow_args(session, links.links(), op, body, None)
}

/// [`follow`] with the operation's typed query arguments.
pub fn follow_with<'a, A: Api, R: Response + 'a>(
    session: &'a Session<A>,
    links: &'a (impl crate::AsLinks + ?Sized),
    op: &'static Op,
    body: Option<&'a dyn Body>,
    args: &'a dyn crate::QueryArgs,
) -> Call<'a, R> {
    follow_args(session, links.links(), op, body, Some(args))
}

fn follow_args<'a, A: Api, R: Response + 'a>(
    session: &'a Session<A>,
    links: Option<&'a Links>,
    op: &'static Op,
    body: Option<&'a dyn Body>,
    args: Option<&'a dyn crate::QueryArgs>,
) -> Call<'a, R> {
    static NO_LINKS: Links = Links::EMPTY;
    Call::follow(crate::call_future::Follow {
        session: &session.inner,
        links: links.unwrap_or(&NO_LINKS),
        op,
        body,
        args,
    })
}

/// The request future of a [`Call`], the same for every answer type.
pub(crate) fn send<'a>(f: &crate::call_future::Follow<'a>) -> crate::call_future::RawFuture<'a> {
    Box::pin(call_raw(f.session, f.links, f.op, f.body, f.args))
}

/// Follows `op`'s link among `links` and decodes the answer.
pub async fn call<A: Api, R: Response>(
    session: &Session<A>,
    links: &Links,
    op: &'static Op,
    body: Option<&dyn Body>,
) -> Result<R> {
    let resp = call_raw(&session.inner, links, op, body, None).await?;
    R::from_response(resp)
}

async fn call_raw(
    session: &Arc<SessionInner>,
    links: &Links,
    op: &'static Op,
    body: Option<&dyn Body>,
    args: Option<&dyn crate::QueryArgs>,
) -> Result<RawResponse> {
    let (url, body) = request_parts(&session.client, links, op, body, args)?;
    session
        .request(op.verb, &url, body.as_ref(), op.status)
        .await
}

/// The URL and encoded body of `op` followed among `links`: what [`call`] sends and
/// [`Session::prepare`] shows.
fn request_parts(
    client: &ClientInner,
    links: &Links,
    op: &Op,
    body: Option<&dyn Body>,
    args: Option<&dyn crate::QueryArgs>,
) -> Result<(Url, Option<(Bytes, &'static str)>)> {
    let link = links
        .find_for_op(op)
        .map_err(|e| link_error(e, op.rel, op.owner, op.link_type))?;
    let mut url = op_url(client, &link.href, op)?;
    if let Some(args) = args {
        crate::args::apply(&mut url, &args.pairs());
    }
    Ok((url, body.map(|b| client.encode(b))))
}

/// The request `op` followed among `links` sends, built without sending it.
pub(crate) fn prepare(
    session: &SessionInner,
    links: &Links,
    op: &Op,
    body: Option<&dyn Body>,
    args: Option<&dyn crate::QueryArgs>,
) -> Result<PreparedRequest> {
    let (url, body) = request_parts(&session.client, links, op, body, args)?;
    let (content_type, body) = match body {
        Some((bytes, ct)) => (Some(ct), Some(String::from_utf8_lossy(&bytes).into_owned())),
        None => (None, None),
    };
    Ok(PreparedRequest {
        verb: op.verb,
        url: url.to_string(),
        content_type,
        body,
    })
}

/// A request as [`call`] would send it, built without sending anything (for previews such
/// as a command-line `--dry-run`). The session token is not part of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    /// HTTP verb.
    pub verb: Verb,
    /// Final URL (link Href on the configured origin, with `?action=` and extra query added).
    pub url: String,
    /// Content type of the body, if there is one.
    pub content_type: Option<&'static str>,
    /// The encoded body, if there is one.
    pub body: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls() {
        assert_eq!(
            normalise_base("https://em:9398/api").unwrap().as_str(),
            "https://em:9398/api/"
        );
        assert_eq!(
            normalise_base(" https://em:9398/api/?x#y ")
                .unwrap()
                .as_str(),
            "https://em:9398/api/"
        );
        assert!(normalise_base("ftp://em/").is_err());
        assert!(normalise_base("em:9398").is_err());
        let e = normalise_base("https://u:secretpw@em/api").unwrap_err();
        assert!(!e.to_string().contains("secretpw"));
    }
}
