//! The logged-on session: its token (only ever sent as a header), single-flight re-logon on
//! 401, its links, and logoff through its own link.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

use url::Url;

use crate::client::ClientInner;
use crate::error::{Error, Result};
use crate::follow::link_error;
use crate::link::{Link, Links};
use crate::logon::{Credentials, Logged, Opened};
use crate::op::{Api, Verb};
use crate::repr::Repr;
use crate::response::{RawResponse, Response};
use crate::secret::SecretString;
use crate::task::WaitOptions;
use crate::transport::Auth;
use crate::wire::{Encoded, Format};

/// What a caller saw before sending: the token generation and the failed re-logons.
#[derive(Debug, Clone, Copy)]
struct Seen {
    generation: u64,
    failures: u64,
}

/// What the latest logon gave, and whether the session was logged off.
struct State {
    token: SecretString,
    generation: u64,
    href: Option<String>,
    /// The logon session's links: what [`Session::links`] returns and where logoff looks.
    links: Arc<Links>,
    closed: bool,
}

/// The shared part of a [`Session`].
pub(crate) struct SessionInner {
    client: Arc<ClientInner>,
    /// Kept for re-logon (secrets never printed, wiped on drop).
    creds: Credentials,
    version: Option<String>,
    /// Media types of the version logon chose.
    media: &'static crate::MediaTypes,
    logon_url: Url,
    state: RwLock<State>,
    /// Held while logging on again; keeps the last failed re-logon so that the callers who
    /// waited for it share its error instead of each trying (and locking the account out).
    relogon: tokio::sync::Mutex<Option<Error>>,
    /// Failed re-logons so far.
    relogon_failures: AtomicU64,
    wait: Mutex<WaitOptions>,
}

/// A logged-on session. Cheap to clone; clones share the token.
pub struct Session<A: Api> {
    inner: Arc<SessionInner>,
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
            .field("base_url", &self.inner.client.base().as_str())
            .field("user", &self.inner.creds.user())
            .field("version", &self.inner.version)
            .finish_non_exhaustive()
    }
}

impl<A: Api> Session<A> {
    /// The session `opened` by logging on as `user` through `client`.
    pub(crate) fn new(client: Arc<ClientInner>, creds: Credentials, opened: Opened) -> Self {
        let Opened {
            version,
            url,
            logged,
        } = opened;
        let wait = client.wait_options();
        let media = client.info().media_for(version.as_deref());
        Session {
            inner: Arc::new(SessionInner {
                client,
                creds,
                media,
                version,
                logon_url: url,
                state: RwLock::new(State {
                    token: logged.token,
                    generation: 0,
                    href: logged.href,
                    links: Arc::new(logged.links),
                    closed: false,
                }),
                relogon: tokio::sync::Mutex::new(None),
                relogon_failures: AtomicU64::new(0),
                wait: Mutex::new(wait),
            }),
            _api: PhantomData,
        }
    }

    /// The shared part, for the calls that are not generic over the API.
    pub(crate) fn inner(&self) -> &Arc<SessionInner> {
        &self.inner
    }

    /// The links of the logon session (the API's service document), as the latest logon
    /// answered them: a re-logon replaces them.
    pub fn links(&self) -> Arc<Links> {
        self.inner.read_state().links.clone()
    }

    /// The API version negotiated at logon (`None`: the server's default).
    pub fn version(&self) -> Option<&str> {
        self.inner.version.as_deref()
    }

    /// The user name as given to logon.
    pub fn user(&self) -> &str {
        self.inner.creds.user()
    }

    /// The URL of this session's own logon-session resource, if the server told it.
    pub fn href(&self) -> Option<String> {
        self.inner.read_state().href.clone()
    }

    /// The wire format.
    pub fn format(&self) -> Format {
        self.inner.client.format()
    }

    /// The base URL.
    pub fn base_url(&self) -> &str {
        self.inner.client.base().as_str()
    }

    /// Options used by [`crate::wait_task`].
    pub fn wait_options(&self) -> WaitOptions {
        *self.inner.wait.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Changes the options used by [`crate::wait_task`].
    pub fn set_wait_options(&self, wait: WaitOptions) {
        *self.inner.wait.lock().unwrap_or_else(|p| p.into_inner()) = wait;
    }

    /// GETs `href` (resolved against the base URL) and decodes the answer.
    pub async fn get<R: Response>(&self, href: &str) -> Result<R> {
        let url = self.inner.client.resolve(href)?;
        let resp = self.get_url(&url).await?;
        R::from_response(resp)
    }

    /// GETs `url` as it is: authenticated, retried, within the call's deadline; any 2xx.
    pub(crate) async fn get_url(&self, url: &Url) -> Result<RawResponse> {
        self.inner.request(Verb::Get, url, None, &[]).await
    }

    /// Resolves an Href against the base URL, on the base's origin.
    pub(crate) fn resolve(&self, href: &str) -> Result<Url> {
        self.inner.client.resolve(href)
    }

    /// The normalised base URL.
    pub(crate) fn base(&self) -> &Url {
        self.inner.client.base()
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

    /// Deletes this session's own logon session through the logoff link of its own
    /// representation. Later calls fail with [`Error::Config`].
    pub async fn logoff(&self) -> Result<()> {
        self.inner.logoff().await
    }
}

impl SessionInner {
    /// The media types of this session's version.
    pub(crate) fn media(&self) -> &'static crate::MediaTypes {
        self.media
    }

    /// The client the session was opened with.
    pub(crate) fn client(&self) -> &ClientInner {
        &self.client
    }

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
        let again = self
            .client
            .logon_again(&self.logon_url, &self.creds, self.version.as_deref());
        match again.await {
            Ok(Logged { token, href, links }) => {
                let mut s = self.state.write().unwrap_or_else(|p| p.into_inner());
                s.token = token;
                s.generation += 1;
                s.href = href;
                s.links = Arc::new(links);
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

    /// Sends an authenticated request under the client's [`crate::RetryPolicy`], within the
    /// call's deadline. On 401 it logs on again once (shared with concurrent callers) and
    /// sends the request once more. That retry is safe for actions too: a 401 means the
    /// server refused the request before executing it. Checks the status (`expected`, or any
    /// 2xx when empty) and turns errors into [`Error::Http`].
    ///
    /// Dropping the returned future at any point leaves the session usable.
    pub(crate) async fn request(
        self: &Arc<Self>,
        verb: Verb,
        url: &Url,
        body: Option<&Encoded>,
        expected: &[u16],
    ) -> Result<RawResponse> {
        let t = self.client.transport();
        let deadline = t.deadline();
        t.within(
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
        body: Option<&Encoded>,
        expected: &[u16],
        deadline: Instant,
    ) -> Result<RawResponse> {
        let t = self.client.transport();
        let header = self.client.info().session_header;
        let (token, seen) = self.current()?;
        let accept = Some(self.client.format().media_type(self.media));
        let mut resp = t
            .send(
                verb,
                url,
                body,
                &Auth::Token(header, &token),
                accept,
                deadline,
            )
            .await?;
        if resp.status() == 401 {
            self.relogon(seen).await?;
            let (token, _) = self.current()?;
            resp = t
                .send(
                    verb,
                    url,
                    body,
                    &Auth::Token(header, &token),
                    accept,
                    deadline,
                )
                .await?;
        }
        if !(200..300).contains(&resp.status()) {
            return Err(resp.http_error(&self.client.info().error));
        }
        if !expected.is_empty() && !expected.contains(&resp.status()) {
            tracing::warn!(
                "{} {} answered {}, documented: {expected:?}",
                verb.as_str(),
                resp.url(),
                resp.status()
            );
        }
        Ok(resp)
    }

    async fn logoff(&self) -> Result<()> {
        let info = self.client.info();
        let (token, link) = {
            let s = self.read_state();
            if s.closed {
                return Ok(());
            }
            let link = s
                .links
                .find(info.logoff_rel, None, None)
                .map(|l| l.href.clone());
            (s.token.clone(), link)
        };
        let href = link.map_err(|e| link_error(e, info.logoff_rel, info.logon_type, None))?;
        let url = self.client.resolve(&href)?;
        let auth = Auth::Token(info.session_header, &token);
        let resp = self
            .client
            .transport()
            .send_call(Verb::Delete, &url, None, &auth)
            .await?;
        // 401/404: the session had already expired or gone.
        if !(200..300).contains(&resp.status()) && !matches!(resp.status(), 401 | 404) {
            return Err(resp.http_error(&info.error));
        }
        self.state.write().unwrap_or_else(|p| p.into_inner()).closed = true;
        Ok(())
    }
}
