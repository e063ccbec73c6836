//! HTTP front: one axum fallback handler turns every request into a [`Req`], records it,
//! authenticates it, dispatches it to the resource families and renders the reply.
//!
//! The router is an ordinary `axum::Router`, so middleware (fault injection, delays) can be
//! layered on top of it in [`router`].

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, Method, Uri};
use axum::response::Response;
use axum::Router;

use crate::fault::FaultState;

use crate::render::{respond, respond_error, ApiError, ApiResult, Casing, Format};
use crate::sim::{Logon, RecordedRequest, Sim};
use crate::util::pct_decode;

/// Largest request body accepted.
const MAX_BODY: usize = 16 << 20;

/// State shared by all connections.
#[derive(Debug)]
pub struct Shared {
    /// The simulator state.
    pub sim: Mutex<Sim>,
    /// JSON casing.
    pub casing: Casing,
    /// `https` or `http`.
    pub scheme: &'static str,
    /// Fault injection state.
    pub fault: Mutex<FaultState>,
    /// Whether any fault can fire (fast path when not).
    pub faults_on: AtomicBool,
}

impl Shared {
    /// Locks the state (a poisoned lock is recovered: the state stays usable).
    pub fn lock(&self) -> MutexGuard<'_, Sim> {
        self.sim.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Locks the fault state.
    pub fn faults(&self) -> MutexGuard<'_, FaultState> {
        self.fault.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The authenticated caller of a request.
#[derive(Debug, Clone)]
pub struct Caller {
    /// Session token.
    pub token: String,
    /// Logon session.
    pub logon: Logon,
}

/// One request, pre-digested for the handlers.
#[derive(Debug)]
pub struct Req {
    /// HTTP method.
    pub method: Method,
    /// Path segments below `/api`, percent-decoded.
    pub segs: Vec<String>,
    /// The same, lower-cased (for matching literal segments).
    pub lsegs: Vec<String>,
    /// Query parameters, decoded, in order.
    pub query: Vec<(String, String)>,
    /// `scheme://host/api` of this request.
    pub base: String,
    /// Negotiated format.
    pub fmt: Format,
    /// Body.
    pub body: Bytes,
    /// Session token sent (cookie wins over header).
    pub token: Option<String>,
    /// `Authorization` header.
    pub authorization: Option<String>,
    /// Authenticated caller (set before dispatch for protected resources).
    pub caller: Option<Caller>,
}

impl Req {
    /// A query parameter by name (case-insensitive).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The `action` parameter, lower-cased.
    pub fn action(&self) -> Option<String> {
        self.param("action").map(|a| a.to_ascii_lowercase())
    }

    /// Whether the entity form was asked for (`format=Entity`, or `Entities` in queries).
    pub fn entity(&self) -> bool {
        self.param("format")
            .is_some_and(|f| f.eq_ignore_ascii_case("entity") || f.eq_ignore_ascii_case("entities"))
    }

    /// Absolute URL of `path` (which starts with `/`).
    pub fn url(&self, path: &str) -> String {
        let mut url = String::with_capacity(self.base.len() + path.len());
        url.push_str(&self.base);
        url.push_str(path);
        url
    }

    /// The logon session id of the caller (empty if none).
    pub fn logon_id(&self) -> &str {
        self.caller
            .as_ref()
            .map(|c| c.logon.id.as_str())
            .unwrap_or("")
    }

    /// Whether the caller is a Portal Administrator.
    pub fn is_admin(&self) -> bool {
        self.caller
            .as_ref()
            .is_some_and(|c| c.logon.role == crate::sim::Role::Admin)
    }

    /// 403 unless the caller is a Portal Administrator.
    pub fn require_admin(&self) -> Result<(), ApiError> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(ApiError::forbidden())
        }
    }
}

/// The router: everything goes through one fallback handler, behind the fault layer
/// (which passes requests straight through while no fault is configured).
pub fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            crate::fault::layer,
        ))
        .with_state(shared)
}

fn header_str(h: &HeaderMap, name: header::HeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn cookie_token(h: &HeaderMap) -> Option<String> {
    for v in h.get_all(header::COOKIE) {
        let Ok(s) = v.to_str() else { continue };
        for part in s.split(';') {
            if let Some((k, v)) = part.trim().split_once('=') {
                if k.trim().eq_ignore_ascii_case("X-RestSvcSessionId") && !v.trim().is_empty() {
                    return Some(v.trim().to_string());
                }
            }
        }
    }
    None
}

/// Splits a raw query string into decoded pairs.
pub fn parse_query(q: &str) -> Vec<(String, String)> {
    q.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (pct_decode(k, true), pct_decode(v, true)),
            None => (pct_decode(p, true), String::new()),
        })
        .collect()
}

/// The session token a request carries (the cookie wins over the header).
pub fn request_token(h: &HeaderMap) -> Option<String> {
    let header_token = h
        .get("X-RestSvcSessionId")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .filter(|t| !t.is_empty());
    cookie_token(h).or(header_token)
}

/// The log entry of a request (status 0 until answered).
pub fn record_of(method: &Method, uri: &Uri, h: &HeaderMap) -> RecordedRequest {
    RecordedRequest {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().map(str::to_string),
        accept: header_str(h, header::ACCEPT),
        content_type: header_str(h, header::CONTENT_TYPE),
        has_session_token: request_token(h).is_some(),
        has_authorization: header_str(h, header::AUTHORIZATION).is_some(),
        body: None,
        status: 0,
    }
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let record = record_of(&parts.method, &parts.uri, &parts.headers);
    let fmt = Format::negotiate(record.accept.as_deref(), shared.casing);
    let raw_path = parts.uri.path().to_string();
    let raw_query = parts.uri.query().map(str::to_string);
    let token = request_token(&parts.headers);
    let authorization = header_str(&parts.headers, header::AUTHORIZATION);
    let body = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let err = ApiError::bad_request("The request body could not be read.");
            let mut rec = record;
            rec.status = err.status.as_u16();
            shared.lock().requests.push(rec);
            return respond_error(&err, fmt);
        }
    };
    let mut record = record;
    if !body.is_empty() {
        record.body = Some(String::from_utf8_lossy(&body).into_owned());
    }
    let host = header_str(&parts.headers, header::HOST)
        .or_else(|| parts.uri.authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".into());

    // Normalise repeated slashes, then require the /api prefix.
    let segs_raw: Vec<&str> = raw_path.split('/').filter(|s| !s.is_empty()).collect();
    let mut req = Req {
        method: parts.method,
        segs: Vec::new(),
        lsegs: Vec::new(),
        query: raw_query.as_deref().map(parse_query).unwrap_or_default(),
        base: format!("{}://{}/api", shared.scheme, host),
        fmt,
        body,
        token,
        authorization,
        caller: None,
    };
    let result = if segs_raw
        .first()
        .is_some_and(|s| s.eq_ignore_ascii_case("api"))
    {
        req.segs = segs_raw[1..].iter().map(|s| pct_decode(s, false)).collect();
        req.lsegs = req.segs.iter().map(|s| s.to_ascii_lowercase()).collect();
        None
    } else {
        Some(ApiError::not_found(
            "Resource not found. The REST API lives under /api/.",
        ))
    };
    let mut sim = shared.lock();
    let out = match result {
        Some(e) => Err(e),
        None => process(&mut sim, &mut req),
    };
    let mut rec = record;
    rec.status = match &out {
        Ok(r) => r.status().as_u16(),
        Err(e) => e.status.as_u16(),
    };
    sim.requests.push(rec);
    drop(sim);
    match out {
        Ok(reply) => respond(reply, fmt),
        Err(e) => respond_error(&e, fmt),
    }
}

fn process(sim: &mut Sim, req: &mut Req) -> ApiResult {
    let public = match req.lsegs.first().map(String::as_str) {
        None => true,
        Some("sessionmngr") => req.lsegs.len() == 1,
        _ => false,
    };
    if !public {
        let token = req.token.clone().ok_or_else(|| {
            ApiError::unauthorized(
                "Authorization header expected but not found (or found but is expired).",
            )
        })?;
        let logon = sim.touch(&token).ok_or_else(|| {
            ApiError::unauthorized(
                "Authorization header expected but not found (or found but is expired).",
            )
        })?;
        req.caller = Some(Caller { token, logon });
        sim.tick();
    }
    crate::api::serve(sim, req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_parsing_decodes() {
        let q = parse_query("type=Job&filter=Name%3D%3D%22a+b%22&&x");
        assert_eq!(
            q,
            vec![
                ("type".into(), "Job".into()),
                ("filter".into(), "Name==\"a b\"".into()),
                ("x".into(), String::new())
            ]
        );
    }

    #[test]
    fn cookie_is_found() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            "a=b; X-RestSvcSessionId=tok; c=d".parse().unwrap(),
        );
        assert_eq!(cookie_token(&h).as_deref(), Some("tok"));
    }
}
