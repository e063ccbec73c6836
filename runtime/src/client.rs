//! The client: what a [`ClientBuilder`] built, shared by every [`Session`] opened through it.
//!
//! A [`Client`] holds the HTTP connection pool and settings; [`Client::logon`] negotiates the
//! API version from the entry point and opens a [`Session`], which carries the session token
//! (only ever as a header), re-logs on once — shared by all concurrent callers — when the server
//! answers 401, and deletes itself on [`Session::logoff`]. Generated methods go through
//! [`crate::call`].

use std::marker::PhantomData;
use std::sync::Arc;

use url::Url;

use crate::builder::ClientBuilder;
use crate::error::{Error, Result};
use crate::logon::{Credentials, Logged, Logon};
use crate::node::Node;
use crate::op::{Api, ApiInfo};
use crate::secret::SecretString;
use crate::session::Session;
use crate::task::WaitOptions;
use crate::transport::Transport;
use crate::wire::{Body, Encoded, Encoder, Format};

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
            .field("base_url", &self.inner.base().as_str())
            .field("format", &self.inner.format())
            .finish_non_exhaustive()
    }
}

/// The shared part of a [`Client`]: its transport, body encoder and logon, for the API
/// described by `info`.
pub(crate) struct ClientInner {
    transport: Transport,
    encoder: Encoder,
    logon: Logon,
    info: &'static ApiInfo,
    wait: WaitOptions,
}

impl ClientInner {
    /// A client of these parts; `wait` is the task waiting of its sessions.
    pub(crate) fn new(
        transport: Transport,
        encoder: Encoder,
        logon: Logon,
        info: &'static ApiInfo,
        wait: WaitOptions,
    ) -> Self {
        ClientInner {
            transport,
            encoder,
            logon,
            info,
            wait,
        }
    }

    /// Sends the requests.
    pub(crate) fn transport(&self) -> &Transport {
        &self.transport
    }

    /// What the generator knows of the API.
    pub(crate) fn info(&self) -> &'static ApiInfo {
        self.info
    }

    /// The normalised base URL.
    pub(crate) fn base(&self) -> &Url {
        self.transport.base()
    }

    /// The wire format.
    pub(crate) fn format(&self) -> Format {
        self.encoder.format()
    }

    /// The task waiting new sessions start with.
    pub(crate) fn wait_options(&self) -> WaitOptions {
        self.wait
    }

    /// Resolves an Href against the base URL, on the base's origin.
    pub(crate) fn resolve(&self, href: &str) -> Result<Url> {
        self.transport.resolve(href)
    }

    /// `body` in the wire format.
    pub(crate) fn encode(&self, body: &dyn Body) -> Encoded {
        self.encoder.encode(body)
    }

    /// Logs on again at `url` (after the session expired).
    pub(crate) async fn logon_again(
        &self,
        url: &Url,
        creds: &Credentials,
        version: Option<&str>,
    ) -> Result<Logged> {
        self.logon.post(&self.transport, url, creds, version).await
    }
}

impl<A: Api> Client<A> {
    /// The client around `inner` (from [`ClientBuilder::build`]).
    pub(crate) fn new(inner: Arc<ClientInner>) -> Self {
        Client {
            inner,
            _api: PhantomData,
        }
    }

    /// Starts building a client for the API whose entry point is `base_url`
    /// (a missing trailing slash is added).
    pub fn builder(base_url: impl AsRef<str>) -> ClientBuilder<A> {
        ClientBuilder::new(base_url.as_ref())
    }

    /// The normalised base URL.
    pub fn base_url(&self) -> &str {
        self.inner.base().as_str()
    }

    /// The wire format.
    pub fn format(&self) -> Format {
        self.inner.format()
    }

    /// Reads the entry point (no authentication) and checks that it is this API's.
    pub async fn entry_point(&self) -> Result<Node> {
        self.inner.logon.entry_point(&self.inner.transport).await
    }

    /// Logs on as `user` (`user@domain` or `DOMAIN\user`, sent as given) with HTTP Basic,
    /// choosing the newest API version both sides speak.
    pub async fn logon(
        &self,
        user: impl Into<String>,
        password: impl Into<SecretString>,
    ) -> Result<Session<A>> {
        let creds = Credentials::Basic {
            user: user.into(),
            password: password.into(),
        };
        self.open(creds).await
    }

    /// Logs on with a logon body instead of HTTP Basic: the spec's logon body type, such as a
    /// tenant's `LoginSpec` (standalone tenant credentials, Cloud Director organization
    /// credentials, or an SSO token). The body is encoded once in the client's format and
    /// kept, secrets wiped on drop, to log on again when the session expires.
    pub async fn logon_with(&self, body: &dyn Body) -> Result<Session<A>> {
        let encoded = self.inner.encode(body);
        let text = String::from_utf8(encoded.bytes.to_vec())
            .map_err(|_| Error::config("the logon body is not UTF-8"))?;
        let creds = Credentials::Body {
            user: body.body_root().to_string(),
            content_type: encoded.content_type,
            body: SecretString::new(text),
        };
        self.open(creds).await
    }

    async fn open(&self, creds: Credentials) -> Result<Session<A>> {
        let opened = self.inner.logon.open(&self.inner.transport, &creds).await?;
        Ok(Session::new(self.inner.clone(), creds, opened))
    }
}
