//! Fault injection: an axum middleware in front of the simulator's handler, and a listener
//! wrapper whose connections the middleware can break.
//!
//! Every request that reaches the middleware gets a sequence number (1, 2, …, in arrival
//! order). Whether a fault hits request `n` is decided from `(seed, n, fault kind)` alone, so a
//! run that sends its requests in the same order meets the same faults. A fault fires by a
//! [`Trigger`]: a rate (a probability per request), every N-th request, or a list of request
//! numbers.
//!
//! What happens to a request, in order:
//!
//! 1. an HTTP 500 or 503 burst (the request is answered with an `Error` document, not
//!    processed); otherwise
//! 2. added latency (fixed + jitter), then
//! 3. a connection reset *before* processing (nothing executed, no answer); otherwise
//! 4. session expiry (the caller's logon session is removed, so the request gets 401), then
//! 5. the request is processed (actions execute and are counted), then at most one of:
//!    a connection reset *after* processing (the action ran, the client gets no answer), a
//!    truncated body (`Content-Length` larger than what is sent, then the connection closes),
//!    a malformed body (XML or JSON cut in the middle with garbage appended), a wrong
//!    `Content-Type`, or a slow trickle of the body's bytes.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::conns::{ConnCounter, OpenGuard};
use axum::body::{Body, Bytes};
use axum::extract::connect_info::Connected;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::http::{record_of, request_token, Shared};
use crate::render::{respond_error, ApiError, Format};

/// When a fault fires.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Trigger {
    /// Never (the default).
    #[default]
    Off,
    /// On each request with this probability (0.0–1.0).
    Rate(f64),
    /// On every N-th request (request numbers N, 2N, 3N, …).
    Every(u64),
    /// On exactly these request numbers (1-based, in arrival order).
    At(Vec<u64>),
}

impl Trigger {
    /// Whether the trigger can ever fire.
    pub fn is_off(&self) -> bool {
        match self {
            Trigger::Off => true,
            Trigger::Rate(p) => *p <= 0.0 || p.is_nan(),
            Trigger::Every(n) => *n == 0,
            Trigger::At(v) => v.is_empty(),
        }
    }

    fn fires(&self, seq: u64, draw: f64) -> bool {
        match self {
            Trigger::Off => false,
            Trigger::Rate(p) => draw < *p,
            Trigger::Every(n) => *n > 0 && seq.is_multiple_of(*n),
            Trigger::At(v) => v.contains(&seq),
        }
    }

    /// Parses `off`, a rate (`0.02`), `every:N` or `at:N,M,…`.
    pub fn parse(text: &str) -> Result<Trigger, String> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("off") || t.is_empty() {
            return Ok(Trigger::Off);
        }
        if let Some(n) = t.strip_prefix("every:") {
            let n: u64 = n
                .trim()
                .parse()
                .map_err(|_| format!("`{t}`: every:N needs a whole number"))?;
            return Ok(Trigger::Every(n));
        }
        if let Some(list) = t.strip_prefix("at:") {
            let mut v = Vec::new();
            for p in list.split(',').filter(|p| !p.trim().is_empty()) {
                v.push(
                    p.trim()
                        .parse()
                        .map_err(|_| format!("`{t}`: at: needs request numbers"))?,
                );
            }
            return Ok(Trigger::At(v));
        }
        let p: f64 = t
            .parse()
            .map_err(|_| format!("`{t}`: a rate 0.0-1.0, every:N, at:N,M or off"))?;
        if !(0.0..=1.0).contains(&p) {
            return Err(format!("`{t}`: a rate must be between 0.0 and 1.0"));
        }
        Ok(Trigger::Rate(p))
    }
}

/// HTTP error bursts: when the trigger fires, this request and the next `length − 1`
/// requests get the status.
#[derive(Debug, Clone, PartialEq)]
pub struct Burst {
    /// When a burst starts.
    pub trigger: Trigger,
    /// Requests per burst (at least 1).
    pub length: u32,
}

impl Default for Burst {
    fn default() -> Self {
        Burst {
            trigger: Trigger::Off,
            length: 1,
        }
    }
}

/// Added latency before the request is processed: `fixed` plus a uniform draw in `0..jitter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Latency {
    /// Which requests are delayed.
    pub trigger: Trigger,
    /// Fixed part.
    pub fixed: Duration,
    /// Largest random part.
    pub jitter: Duration,
}

impl Default for Latency {
    fn default() -> Self {
        Latency {
            trigger: Trigger::Off,
            fixed: Duration::from_millis(50),
            jitter: Duration::from_millis(50),
        }
    }
}

/// A slow trickle of the answer: `chunk` bytes every `interval`.
#[derive(Debug, Clone, PartialEq)]
pub struct Trickle {
    /// Which answers trickle.
    pub trigger: Trigger,
    /// Bytes per write (at least 1).
    pub chunk: usize,
    /// Pause between writes.
    pub interval: Duration,
}

impl Default for Trickle {
    fn default() -> Self {
        Trickle {
            trigger: Trigger::Off,
            chunk: 256,
            interval: Duration::from_millis(10),
        }
    }
}

/// Which faults the simulator injects. Everything is off by default.
#[derive(Debug, Clone, PartialEq)]
pub struct Faults {
    /// Seed of the fault decisions (independent of the data-set seed).
    pub seed: u64,
    /// HTTP 500 bursts (answered before processing).
    pub http_500: Burst,
    /// HTTP 503 bursts (answered before processing).
    pub http_503: Burst,
    /// Added latency.
    pub latency: Latency,
    /// Connection reset before the request is processed (nothing executed).
    pub reset_before: Trigger,
    /// Connection reset after the request is processed (the action ran; no answer).
    pub reset_after: Trigger,
    /// `Content-Length` larger than what is sent, then the connection closes.
    pub truncated_body: Trigger,
    /// XML (or JSON) body cut in the middle, garbage appended.
    pub malformed_body: Trigger,
    /// A `Content-Type` that does not match the body (JSON for XML and back, or HTML).
    pub wrong_content_type: Trigger,
    /// The caller's logon session expires just before the request is processed (401).
    pub session_expiry: Trigger,
    /// The answer's bytes are sent slowly.
    pub trickle: Trickle,
}

impl Default for Faults {
    fn default() -> Self {
        Faults {
            seed: 1,
            http_500: Burst::default(),
            http_503: Burst::default(),
            latency: Latency::default(),
            reset_before: Trigger::Off,
            reset_after: Trigger::Off,
            truncated_body: Trigger::Off,
            malformed_body: Trigger::Off,
            wrong_content_type: Trigger::Off,
            session_expiry: Trigger::Off,
            trickle: Trickle::default(),
        }
    }
}

impl Faults {
    /// No faults (the default).
    pub fn none() -> Faults {
        Faults::default()
    }

    /// Every fault at a realistic rate of a few per cent (bursts of 2 × 500 and 3 × 503,
    /// 5–25 ms latency on 5 %, session expiry on 0.5 %, 1 KiB every 2 ms trickles).
    pub fn realistic(seed: u64) -> Faults {
        Faults {
            seed,
            http_500: Burst {
                trigger: Trigger::Rate(0.01),
                length: 2,
            },
            http_503: Burst {
                trigger: Trigger::Rate(0.01),
                length: 3,
            },
            latency: Latency {
                trigger: Trigger::Rate(0.05),
                fixed: Duration::from_millis(5),
                jitter: Duration::from_millis(20),
            },
            reset_before: Trigger::Rate(0.01),
            reset_after: Trigger::Rate(0.01),
            truncated_body: Trigger::Rate(0.01),
            malformed_body: Trigger::Rate(0.01),
            wrong_content_type: Trigger::Rate(0.01),
            session_expiry: Trigger::Rate(0.005),
            trickle: Trickle {
                trigger: Trigger::Rate(0.02),
                chunk: 1024,
                interval: Duration::from_millis(2),
            },
        }
    }

    /// True when no fault can fire.
    pub fn is_off(&self) -> bool {
        self.http_500.trigger.is_off()
            && self.http_503.trigger.is_off()
            && self.latency.trigger.is_off()
            && self.reset_before.is_off()
            && self.reset_after.is_off()
            && self.truncated_body.is_off()
            && self.malformed_body.is_off()
            && self.wrong_content_type.is_off()
            && self.session_expiry.is_off()
            && self.trickle.trigger.is_off()
    }
}

/// A kind of injected fault.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FaultKind {
    /// HTTP 500 (part of a burst).
    Http500,
    /// HTTP 503 (part of a burst).
    Http503,
    /// Added latency.
    Latency,
    /// Connection reset before processing.
    ResetBefore,
    /// Connection reset after processing.
    ResetAfter,
    /// Truncated body.
    TruncatedBody,
    /// Malformed body.
    MalformedBody,
    /// Wrong `Content-Type`.
    WrongContentType,
    /// Logon session expired.
    SessionExpiry,
    /// Slow trickle.
    Trickle,
}

impl FaultKind {
    /// Every kind, in order.
    pub const ALL: [FaultKind; 10] = [
        FaultKind::Http500,
        FaultKind::Http503,
        FaultKind::Latency,
        FaultKind::ResetBefore,
        FaultKind::ResetAfter,
        FaultKind::TruncatedBody,
        FaultKind::MalformedBody,
        FaultKind::WrongContentType,
        FaultKind::SessionExpiry,
        FaultKind::Trickle,
    ];

    /// Short name (as in the CLI flags).
    pub fn name(self) -> &'static str {
        match self {
            FaultKind::Http500 => "500",
            FaultKind::Http503 => "503",
            FaultKind::Latency => "latency",
            FaultKind::ResetBefore => "reset-before",
            FaultKind::ResetAfter => "reset-after",
            FaultKind::TruncatedBody => "truncate",
            FaultKind::MalformedBody => "malformed",
            FaultKind::WrongContentType => "content-type",
            FaultKind::SessionExpiry => "expire",
            FaultKind::Trickle => "trickle",
        }
    }

    fn salt(self) -> u64 {
        self as u64 + 1
    }
}

impl fmt::Display for FaultKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One injected fault, as logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InjectedFault {
    /// Request number (1-based, arrival order at the fault layer).
    pub seq: u64,
    /// What was done.
    pub kind: FaultKind,
    /// HTTP method of the request.
    pub method: String,
    /// Raw path.
    pub path: String,
    /// Raw query.
    pub query: Option<String>,
}

/// Mutable state of the fault layer.
#[derive(Debug, Default)]
pub struct FaultState {
    /// Configuration.
    pub config: Faults,
    /// Requests seen.
    pub seq: u64,
    burst_500: u32,
    burst_503: u32,
    /// Injected faults by kind.
    pub counts: BTreeMap<FaultKind, u64>,
    /// Every injected fault, in order.
    pub log: Vec<InjectedFault>,
}

impl FaultState {
    /// A fresh state for `config`.
    pub fn new(config: Faults) -> FaultState {
        FaultState {
            config,
            ..FaultState::default()
        }
    }
}

/// splitmix64.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A number in `[0, 1)` fixed by (seed, request, kind, salt).
fn draw(seed: u64, seq: u64, kind: FaultKind, salt: u64) -> f64 {
    let h = mix(mix(mix(seed) ^ seq) ^ kind.salt().wrapping_mul(0x1000_0001) ^ salt);
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// What the layer does to one request.
#[derive(Debug, Default)]
struct Plan {
    seq: u64,
    status: Option<(FaultKind, StatusCode)>,
    latency: Option<Duration>,
    reset_before: bool,
    expire: bool,
    after: Option<FaultKind>,
    salt: u64,
    trickle: (usize, Duration),
}

fn plan(st: &mut FaultState) -> Plan {
    st.seq += 1;
    let seq = st.seq;
    let c = &st.config;
    let seed = c.seed;
    let fires = |t: &Trigger, k: FaultKind| t.fires(seq, draw(seed, seq, k, 0));
    let mut p = Plan {
        seq,
        salt: mix(seed ^ seq),
        trickle: (c.trickle.chunk.max(1), c.trickle.interval),
        ..Plan::default()
    };
    if st.burst_500 > 0 {
        st.burst_500 -= 1;
        p.status = Some((FaultKind::Http500, StatusCode::INTERNAL_SERVER_ERROR));
    } else if st.burst_503 > 0 {
        st.burst_503 -= 1;
        p.status = Some((FaultKind::Http503, StatusCode::SERVICE_UNAVAILABLE));
    } else if fires(&c.http_500.trigger, FaultKind::Http500) {
        st.burst_500 = c.http_500.length.max(1) - 1;
        p.status = Some((FaultKind::Http500, StatusCode::INTERNAL_SERVER_ERROR));
    } else if fires(&c.http_503.trigger, FaultKind::Http503) {
        st.burst_503 = c.http_503.length.max(1) - 1;
        p.status = Some((FaultKind::Http503, StatusCode::SERVICE_UNAVAILABLE));
    }
    if p.status.is_some() {
        return p;
    }
    if fires(&c.latency.trigger, FaultKind::Latency) {
        let j = draw(seed, seq, FaultKind::Latency, 1);
        p.latency = Some(c.latency.fixed + c.latency.jitter.mul_f64(j));
    }
    if fires(&c.reset_before, FaultKind::ResetBefore) {
        p.reset_before = true;
        return p;
    }
    p.expire = fires(&c.session_expiry, FaultKind::SessionExpiry);
    p.after = [
        (&c.reset_after, FaultKind::ResetAfter),
        (&c.truncated_body, FaultKind::TruncatedBody),
        (&c.malformed_body, FaultKind::MalformedBody),
        (&c.wrong_content_type, FaultKind::WrongContentType),
        (&c.trickle.trigger, FaultKind::Trickle),
    ]
    .into_iter()
    .find(|(t, k)| fires(t, *k))
    .map(|(_, k)| k);
    p
}

/// The handle of one connection: setting it breaks the connection (reads and writes fail).
#[derive(Debug, Clone, Default)]
pub struct ConnCtl(Arc<AtomicBool>);

impl ConnCtl {
    fn kill(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
    fn killed(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// A connection the fault layer can break.
#[derive(Debug)]
pub struct FaultIo<T> {
    inner: T,
    ctl: ConnCtl,
    _open: OpenGuard,
}

fn reset() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "reset by fault injection")
}

impl<T: AsyncRead + Unpin> AsyncRead for FaultIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.ctl.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for FaultIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        if self.ctl.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        if self.ctl.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.ctl.killed() {
            return Poll::Ready(Err(reset()));
        }
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.ctl.killed() {
            return Poll::Ready(Ok(()));
        }
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A listener whose connections carry a [`ConnCtl`] and are counted.
pub struct FaultListener<L>(pub L, pub(crate) Arc<ConnCounter>);

impl<L: Listener> Listener for FaultListener<L> {
    type Io = FaultIo<L::Io>;
    type Addr = L::Addr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = self.0.accept().await;
        (
            FaultIo {
                inner: io,
                ctl: ConnCtl::default(),
                _open: self.1.opened(),
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.0.local_addr()
    }
}

impl<L: Listener> Connected<IncomingStream<'_, FaultListener<L>>> for ConnCtl {
    fn connect_info(stream: IncomingStream<'_, FaultListener<L>>) -> Self {
        stream.io().ctl.clone()
    }
}

impl FaultState {
    fn note(&mut self, seq: u64, kind: FaultKind, rec: &crate::sim::RecordedRequest) {
        *self.counts.entry(kind).or_default() += 1;
        self.log.push(InjectedFault {
            seq,
            kind,
            method: rec.method.clone(),
            path: rec.path.clone(),
            query: rec.query.clone(),
        });
    }
}

/// A body that never finishes because the connection is broken first.
fn dead_response() -> Response {
    let mut r = Response::new(Body::from_stream(futures::stream::pending::<
        Result<Bytes, io::Error>,
    >()));
    *r.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    r
}

/// The middleware.
pub async fn layer(State(shared): State<Arc<Shared>>, request: Request, next: Next) -> Response {
    if !shared.faults_on.load(Ordering::Relaxed) {
        // Request numbers count every request, so that `at:` schedules set later line up.
        shared.faults().seq += 1;
        return next.run(request).await;
    }
    let ctl = request
        .extensions()
        .get::<ConnectInfo<ConnCtl>>()
        .map(|c| c.0.clone());
    let plan = plan(&mut shared.faults());
    if plan.status.is_none() && !plan.reset_before && !plan.expire && plan.after.is_none() {
        if let Some(d) = plan.latency {
            shared.faults().note(
                plan.seq,
                FaultKind::Latency,
                &record_of(request.method(), request.uri(), request.headers()),
            );
            tokio::time::sleep(d).await;
        }
        return next.run(request).await;
    }
    let mut rec = record_of(request.method(), request.uri(), request.headers());
    let fmt = Format::negotiate(rec.accept.as_deref(), shared.casing);
    if let Some((kind, status)) = plan.status {
        shared.faults().note(plan.seq, kind, &rec);
        rec.status = status.as_u16();
        shared.lock().requests.push(rec);
        let err = if status == StatusCode::SERVICE_UNAVAILABLE {
            ApiError::new(status, "The service is temporarily unavailable.")
        } else {
            ApiError::new(status, "An internal server error occurred.")
        };
        return respond_error(&err, fmt);
    }
    if let Some(d) = plan.latency {
        shared.faults().note(plan.seq, FaultKind::Latency, &rec);
        tokio::time::sleep(d).await;
    }
    if plan.reset_before {
        if let Some(ctl) = ctl {
            shared.faults().note(plan.seq, FaultKind::ResetBefore, &rec);
            // Recorded as received, never answered (status 0).
            shared.lock().requests.push(rec);
            ctl.kill();
            return dead_response();
        }
        return next.run(request).await;
    }
    if plan.expire {
        if let Some(token) = request_token(request.headers()) {
            if shared.lock().logons.remove(&token).is_some() {
                shared
                    .faults()
                    .note(plan.seq, FaultKind::SessionExpiry, &rec);
            }
        }
    }
    let response = next.run(request).await;
    let Some(kind) = plan.after else {
        return response;
    };
    match kind {
        FaultKind::ResetAfter => match ctl {
            Some(ctl) => {
                shared.faults().note(plan.seq, kind, &rec);
                ctl.kill();
                dead_response()
            }
            None => response,
        },
        _ => {
            let (mut parts, body) = response.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return Response::from_parts(parts, Body::empty());
            };
            let ct = parts
                .headers
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_ascii_lowercase();
            let structured = ct.contains("xml") || ct.contains("json");
            let applies = !bytes.is_empty()
                && match kind {
                    FaultKind::MalformedBody | FaultKind::WrongContentType => structured,
                    _ => true,
                };
            if !applies {
                return Response::from_parts(parts, Body::from(bytes));
            }
            shared.faults().note(plan.seq, kind, &rec);
            match kind {
                FaultKind::TruncatedBody => {
                    let full = bytes.len();
                    let sent = bytes.slice(..full / 2);
                    parts.headers.insert(header::CONTENT_LENGTH, full.into());
                    let stream = futures::stream::unfold(0u8, move |step| {
                        let sent = sent.clone();
                        async move {
                            match step {
                                0 => Some((Ok(sent), 1)),
                                1 => {
                                    // Let the first half reach the client, then break.
                                    tokio::time::sleep(Duration::from_millis(20)).await;
                                    Some((Err(io::Error::other("truncated by fault injection")), 2))
                                }
                                _ => None,
                            }
                        }
                    });
                    Response::from_parts(parts, Body::from_stream(stream))
                }
                FaultKind::MalformedBody => {
                    let f = 0.3 + 0.4 * draw(0, plan.salt, kind, 2);
                    let cut = ((bytes.len() as f64 * f) as usize).min(bytes.len());
                    let mut broken = bytes[..cut].to_vec();
                    broken.extend_from_slice(if ct.contains("json") {
                        b"\"}]{<&"
                    } else {
                        b"</<&;>\"<"
                    });
                    parts.headers.remove(header::CONTENT_LENGTH);
                    Response::from_parts(parts, Body::from(broken))
                }
                FaultKind::WrongContentType => {
                    let html = draw(0, plan.salt, kind, 3) < 0.5;
                    let wrong = if html {
                        "text/html; charset=utf-8"
                    } else if ct.contains("json") {
                        "application/xml; charset=utf-8"
                    } else {
                        "application/json; charset=utf-8"
                    };
                    parts
                        .headers
                        .insert(header::CONTENT_TYPE, HeaderValue::from_static(wrong));
                    Response::from_parts(parts, Body::from(bytes))
                }
                _ => {
                    let (chunk, interval) = plan.trickle;
                    parts
                        .headers
                        .insert(header::CONTENT_LENGTH, bytes.len().into());
                    let stream = futures::stream::unfold(0usize, move |at| {
                        let bytes = bytes.clone();
                        async move {
                            if at >= bytes.len() {
                                return None;
                            }
                            if at > 0 {
                                tokio::time::sleep(interval).await;
                            }
                            let end = (at + chunk).min(bytes.len());
                            Some((Ok::<_, io::Error>(bytes.slice(at..end)), end))
                        }
                    });
                    Response::from_parts(parts, Body::from_stream(stream))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn triggers_parse() {
        assert_eq!(Trigger::parse("off").unwrap(), Trigger::Off);
        assert_eq!(Trigger::parse("0.25").unwrap(), Trigger::Rate(0.25));
        assert_eq!(Trigger::parse("every:7").unwrap(), Trigger::Every(7));
        assert_eq!(
            Trigger::parse("at:1,5, 9").unwrap(),
            Trigger::At(vec![1, 5, 9])
        );
        assert!(Trigger::parse("1.5").is_err());
        assert!(Trigger::parse("every:x").is_err());
        assert!(Trigger::parse("sometimes").is_err());
    }

    #[test]
    fn decisions_are_reproducible_and_near_the_rate() {
        let cfg = Faults {
            reset_after: Trigger::Rate(0.1),
            ..Faults::none()
        };
        let run = || {
            let mut st = FaultState::new(cfg.clone());
            (0..10_000)
                .map(|_| plan(&mut st).after.is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let n = a.iter().filter(|x| **x).count();
        assert!((800..1200).contains(&n), "{n}");
    }

    #[test]
    fn bursts_cover_the_next_requests() {
        let mut st = FaultState::new(Faults {
            http_503: Burst {
                trigger: Trigger::At(vec![3]),
                length: 3,
            },
            ..Faults::none()
        });
        let hit: Vec<bool> = (0..7).map(|_| plan(&mut st).status.is_some()).collect();
        assert_eq!(hit, [false, false, true, true, true, false, false]);
    }

    #[test]
    fn off_is_off() {
        assert!(Faults::none().is_off());
        assert!(!Faults::realistic(1).is_off());
    }
}
