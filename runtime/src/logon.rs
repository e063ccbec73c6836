//! The entry point and logon: checking that the URL is this API's, choosing the API version,
//! and the logon request itself (also used to log on again).

use bytes::Bytes;
use url::Url;

use crate::error::{Error, Result};
use crate::link::Links;
use crate::node::Node;
use crate::op::{ApiInfo, Verb};
use crate::secret::SecretString;
use crate::transport::{Auth, Transport};
use crate::wire::Encoded;

/// What a logon answered.
/// How a session proves who it is; kept (secrets wiped on drop) for re-logon.
pub(crate) enum Credentials {
    /// HTTP Basic: a user and a password.
    Basic {
        /// As given to logon.
        user: String,
        /// The password.
        password: SecretString,
    },
    /// A logon body (a tenant's `LoginSpec`), encoded once in the client's format.
    Body {
        /// What the session calls its user (the body's root element: no secret in it).
        user: String,
        /// Content type of the body.
        content_type: &'static str,
        /// The encoded body, secrets included.
        body: SecretString,
    },
}

impl Credentials {
    /// The user name shown for the session.
    pub(crate) fn user(&self) -> &str {
        match self {
            Credentials::Basic { user, .. } | Credentials::Body { user, .. } => user,
        }
    }

    /// What the logon request carries: Basic credentials, or the logon body (a short-lived
    /// copy for the HTTP stack) and no `Authorization`.
    fn request(&self) -> (Auth<'_>, Option<Encoded>) {
        match self {
            Credentials::Basic { user, password } => (Auth::Basic(user, password), None),
            Credentials::Body {
                content_type, body, ..
            } => (
                Auth::None,
                Some(Encoded {
                    bytes: Bytes::copy_from_slice(body.expose().as_bytes()),
                    content_type,
                }),
            ),
        }
    }
}

pub(crate) struct Logged {
    /// The session token.
    pub(crate) token: SecretString,
    /// The logon session's own URL, when the server told it.
    pub(crate) href: Option<String>,
    /// The logon session's links (the API's service document).
    pub(crate) links: Links,
}

/// A first logon: where it went and what it answered.
pub(crate) struct Opened {
    /// The API version chosen (`None`: the server's default).
    pub(crate) version: Option<String>,
    /// The logon URL, for logging on again.
    pub(crate) url: Url,
    /// The answer.
    pub(crate) logged: Logged,
}

/// What logon starts from.
enum Entry {
    /// The entry point document, with its logon links.
    Document(Node),
    /// No entry point: the spec's fallback logon URL.
    Fallback(Url),
}

/// How a client logs on to its API.
pub(crate) struct Logon {
    info: &'static ApiInfo,
    entry_hint: Option<&'static str>,
    accept_invalid: bool,
}

impl Logon {
    /// Logon to the API of `info`; `entry_hint` is the spec's advice on where its entry point
    /// is, `accept_invalid` says that certificates are not checked (warned at every logon).
    pub(crate) fn new(
        info: &'static ApiInfo,
        entry_hint: Option<&'static str>,
        accept_invalid: bool,
    ) -> Self {
        Logon {
            info,
            entry_hint,
            accept_invalid,
        }
    }

    /// Reads the entry point (no authentication) and checks that it is this API's.
    pub(crate) async fn entry_point(&self, t: &Transport) -> Result<Node> {
        match self.entry(t, false).await? {
            Entry::Document(n) => Ok(n),
            // Not asked for: `entry(false)` never falls back.
            Entry::Fallback(url) => Err(Error::config(format!("no entry point; logon at {url}"))),
        }
    }

    /// Logs on with `creds`, at the newest version both sides speak (or at the spec's fallback
    /// logon URL when there is no entry point).
    pub(crate) async fn open(&self, t: &Transport, creds: &Credentials) -> Result<Opened> {
        match self.entry(t, true).await? {
            Entry::Document(entry) => {
                let (version, url) = self.pick_version(t, &entry)?;
                let logged = self.post(t, &url, creds, version.as_deref()).await?;
                Ok(Opened {
                    version,
                    url,
                    logged,
                })
            }
            // No entry point: the spec's documented logon URL, newest version.
            Entry::Fallback(url) => {
                tracing::info!("the entry point answered 404; logging on at {url}");
                let logged = match self.post(t, &url, creds, None).await {
                    Err(Error::Http { status: 404, .. }) => {
                        return Err(self.wrong_product(
                            t,
                            format!("the entry point and the logon URL `{url}` answered HTTP 404"),
                        ))
                    }
                    r => r?,
                };
                Ok(Opened {
                    version: None,
                    url,
                    logged,
                })
            }
        }
    }

    fn wrong_product(&self, t: &Transport, seen: impl Into<String>) -> Error {
        let info = self.info;
        let host = t.base().host_str().unwrap_or("HOST");
        let hint = match self.entry_hint {
            Some(h) => format!("Use {}", h.replace("{host}", host)),
            None => format!(
                "Point the client at the {} entry point: the URL whose answer offers a `{}` link of type `{}`",
                info.title, info.logon_rel, info.logon_type
            ),
        };
        Error::WrongProduct {
            url: t.base().to_string(),
            seen: seen.into(),
            hint,
        }
    }

    /// The entry point document, or — when `fallback` is allowed, the entry point answers
    /// 404 and the spec names a fallback logon URL — that URL.
    async fn entry(&self, t: &Transport, fallback: bool) -> Result<Entry> {
        let base = t.base();
        let resp = t.send_call(Verb::Get, base, None, &Auth::None).await?;
        let path = base.path().to_ascii_lowercase();
        let other = &self.info.other_product;
        let openapi = other.headers.iter().any(|h| resp.header(h).is_some())
            || other.path_markers.iter().any(|m| path.contains(m))
            || base.port().is_some_and(|p| other.ports.contains(&p));
        let ct = resp.content_type().unwrap_or("").to_ascii_lowercase();
        let status = resp.status();
        if !(200..300).contains(&status) {
            if let (true, false, 404, Some(f)) =
                (fallback, openapi, status, self.info.logon_fallback)
            {
                return Ok(Entry::Fallback(t.resolve(f)?));
            }
            if openapi || status == 404 {
                return Err(self.wrong_product(
                    t,
                    format!(
                        "the entry point answered HTTP {status}{}",
                        if openapi {
                            " and looks like a versioned OpenAPI/OAuth REST API"
                        } else {
                            ""
                        }
                    ),
                ));
            }
            return Err(resp.http_error(&self.info.error));
        }
        if ct.contains("html") {
            return Err(self.wrong_product(t, "an HTML page"));
        }
        let node = match resp.node(self.info.version_element) {
            Ok(n) => n,
            Err(_) if openapi || ct.contains("json") => {
                return Err(self.wrong_product(t, "a document of another shape"))
            }
            Err(e) => return Err(e),
        };
        if self.logon_links(&node).is_empty() {
            return Err(self.wrong_product(
                t,
                format!(
                    "a document without a `{}` link of type `{}`{}",
                    self.info.logon_rel,
                    self.info.logon_type,
                    if openapi {
                        " (it looks like a versioned OpenAPI/OAuth REST API)"
                    } else {
                        ""
                    }
                ),
            ));
        }
        Ok(Entry::Document(node))
    }

    /// `(version, href)` of every logon link: per-version ones, then the top-level one.
    fn logon_links(&self, entry: &Node) -> Vec<(Option<String>, String)> {
        let info = self.info;
        let pick = |n: &Node, def: &crate::LinkDef| -> Option<String> {
            let links = Links::of_node(n, def).ok()?;
            links
                .find(info.logon_rel, Some(info.logon_type), None)
                .ok()
                .map(|l| l.href.to_string())
        };
        // Or the text of the version element's logon URL element.
        let named = |n: &Node| -> Option<String> {
            let e = info.logon_url_element?;
            let url = n.child(e)?.text.as_deref()?.trim();
            (!url.is_empty()).then(|| url.to_string())
        };
        let mut out = Vec::new();
        for n in entry.descendants() {
            if n.name.eq_ignore_ascii_case(info.version_element) {
                let href = pick(n, &info.own_links.version).or_else(|| named(n));
                if let (Some(v), Some(h)) = (n.scalar(info.version_attr), href) {
                    out.push((Some(v.trim().to_string()), h));
                }
            }
        }
        if let Some(h) = pick(entry, &info.own_links.entry) {
            out.push((None, h));
        }
        out
    }

    fn pick_version(&self, t: &Transport, entry: &Node) -> Result<(Option<String>, Url)> {
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
            .ok_or_else(|| self.wrong_product(t, "no logon link"))?;
        Ok((chosen.0.clone(), t.resolve(&chosen.1)?))
    }

    /// The logon request at `url`: HTTP Basic or a logon body, answered by a token header
    /// and the logon session's representation.
    pub(crate) async fn post(
        &self,
        t: &Transport,
        url: &Url,
        creds: &Credentials,
        version: Option<&str>,
    ) -> Result<Logged> {
        if self.accept_invalid {
            tracing::warn!(
                "TLS certificate verification is OFF for {}: the password and session can be read by anyone on the path",
                t.base()
            );
        }
        let (auth, mut body) = creds.request();
        // Asked for, and a logon body sent, in the media types of the version logged on to.
        let media = self.info.media_for(version);
        let accept = t.format().media_type(media);
        if let Some(b) = body.as_mut() {
            b.content_type = t.format().media_type(media);
        }
        let resp = t
            .send_call_accepting(Verb::Post, url, body.as_ref(), &auth, accept)
            .await?;
        if !self.info.logon_statuses.contains(&resp.status()) {
            return Err(match resp.http_error(&self.info.error) {
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
                self.wrong_product(t, format!("the logon answer carries no `{header}` header"))
            })?;
        let node = resp.node(self.info.logon_type)?;
        let links = Links::of_node(&node, &self.info.own_links.session)
            .map_err(|e| resp.decode_error(e))?;
        let href = node
            .scalar(self.info.links.href())
            .or_else(|| resp.header("location"))
            .map(str::to_string);
        Ok(Logged { token, href, links })
    }
}
