//! The builder of a [`Client`]: its settings, checked and turned into a client by
//! [`ClientBuilder::build`].

use std::marker::PhantomData;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue, USER_AGENT};
use url::Url;

use crate::client::{Client, ClientInner};
use crate::error::{Error, Result};
use crate::json::Casing;
use crate::logon::Logon;
use crate::op::Api;
use crate::retry::RetryPolicy;
use crate::task::WaitOptions;
use crate::tls::{self, TlsSettings};
use crate::transport::{Settings, Transport};
use crate::wire::{Encoder, Format};

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
    /// A builder for the API at `base_url`, with the defaults.
    pub(crate) fn new(base_url: &str) -> Self {
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
        let info = A::INFO;
        let transport = Transport::new(Settings {
            http,
            base,
            format: self.format,
            accept: self.format.media_type(&info.media),
            request_timeout: self.request_timeout,
            call_timeout: self.call_timeout,
            retry: self.retry,
            max_body_bytes: self.max_body_bytes,
            defaults,
        });
        Ok(Client::new(Arc::new(ClientInner::new(
            transport,
            Encoder::new(self.format, self.casing, info),
            Logon::new(info, A::ENTRY_URL_HINT, self.tls.accept_invalid),
            info,
            self.wait,
        ))))
    }
}

/// `raw` as a base URL: http(s), no credentials, query or fragment, ending in `/`.
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
