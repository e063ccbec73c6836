//! Following an operation: finding its link, building its URL and body, sending it through
//! the session, and previewing that request without sending it.

use std::sync::Arc;

use url::Url;

use crate::args::QueryArgs;
use crate::call_future::{Call, Follow, RawFuture};
use crate::client::ClientInner;
use crate::error::{Error, Result};
use crate::link::{AsLinks, LinkLookupError, Links, Target};
use crate::op::{Api, Op, Verb};
use crate::response::{RawResponse, Response};
use crate::session::{Session, SessionInner};
use crate::wire::{Body, Encoded};

/// The error of a link lookup for relation `rel` (and `link_type`, when one was asked for)
/// among the links of a representation of type `owner`.
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
            hrefs: links.into_iter().map(|l| l.href.into()).collect(),
        },
    }
}

/// The URL of `op` from the link's target: its action addressed as the API addresses
/// actions, and the op's extra query added, unless the target already says them.
fn op_url(client: &ClientInner, href: &str, op: &Op) -> Result<Url> {
    let mut url = client.resolve(href)?;
    if let Some(action) = op.action {
        client.info().actions.apply(&mut url, action);
    }
    let has = |url: &Url, key: &str| url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case(key));
    let mut add: Vec<(String, String)> = Vec::new();
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
/// Nothing is sent until the [`Call`] is awaited; [`Call::request`] shows what it will send.
pub fn follow<'a, A: Api, R: Response + 'a>(
    session: &'a Session<A>,
    links: &'a (impl AsLinks + ?Sized),
    op: &'static Op,
    body: Option<&'a dyn Body>,
) -> Call<'a, R> {
    follow_args(session, links.target(), op, body, None)
}

/// [`follow`] with the operation's typed query arguments.
pub fn follow_with<'a, A: Api, R: Response + 'a>(
    session: &'a Session<A>,
    links: &'a (impl AsLinks + ?Sized),
    op: &'static Op,
    body: Option<&'a dyn Body>,
    args: &'a dyn QueryArgs,
) -> Call<'a, R> {
    follow_args(session, links.target(), op, body, Some(args))
}

fn follow_args<'a, A: Api, R: Response + 'a>(
    session: &'a Session<A>,
    links: Target<'a>,
    op: &'static Op,
    body: Option<&'a dyn Body>,
    args: Option<&'a dyn QueryArgs>,
) -> Call<'a, R> {
    Call::follow(Follow {
        session: session.inner(),
        links,
        op,
        body,
        args,
    })
}

/// The request future of a [`Call`], the same for every answer type.
pub(crate) fn send<'a>(f: &Follow<'a>) -> RawFuture<'a> {
    Box::pin(call_raw(f.session, f.links, f.op, f.body, f.args))
}

/// Follows `op`'s link among `links` (a [`Links`], a reference to one, or what
/// [`Session::links`] returns) and decodes the answer.
pub async fn call<A: Api, R: Response>(
    session: &Session<A>,
    links: impl AsRef<Links>,
    op: &'static Op,
    body: Option<&dyn Body>,
) -> Result<R> {
    let resp = call_raw(
        session.inner(),
        Target::Links(links.as_ref()),
        op,
        body,
        None,
    )
    .await?;
    R::from_response(resp)
}

impl AsRef<Links> for Links {
    fn as_ref(&self) -> &Links {
        self
    }
}

async fn call_raw(
    session: &Arc<SessionInner>,
    links: Target<'_>,
    op: &'static Op,
    body: Option<&dyn Body>,
    args: Option<&dyn QueryArgs>,
) -> Result<RawResponse> {
    let (url, body) = request_parts(session, links, op, body, args)?;
    session
        .request(op.verb, &url, body.as_ref(), op.status)
        .await
}

/// The URL and encoded body of `op` followed among `links`: what [`call`] sends and
/// [`Session::prepare`] shows.
fn request_parts(
    session: &SessionInner,
    links: Target<'_>,
    op: &Op,
    body: Option<&dyn Body>,
    args: Option<&dyn QueryArgs>,
) -> Result<(Url, Option<Encoded>)> {
    let client = session.client();
    let href = match links {
        Target::Links(links) => {
            &links
                .find_for_op(op, client.info().actions)
                .map_err(|e| link_error(e, op.rel, op.owner, op.link_type))?
                .href
        }
        Target::Href(Some(href)) => href,
        // A reference without its URL leads nowhere.
        Target::Href(None) => {
            return Err(Error::LinkNotOffered {
                rel: client.info().links.href().to_string(),
                type_: op.owner.to_string(),
                link_type: None,
            })
        }
    };
    let mut url = op_url(client, href, op)?;
    if let Some(args) = args {
        crate::args::apply(&mut url, &args.pairs());
    }
    // The body in the operation's own media type, or the session version's.
    let encoded = body.map(|b| {
        let mut e = client.encode(b);
        e.content_type = match (op.media, client.format()) {
            (Some(m), crate::wire::Format::Xml) => m,
            (_, format) => format.media_type(session.media()),
        };
        e
    });
    Ok((url, encoded))
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

impl<A: Api> Session<A> {
    /// Follows `op` among `links` and decodes the answer as `R`: any representation, a
    /// user's `#[derive(Resource)]` struct included (`em.fetch::<MyJob>(&links,
    /// &emrest::JobReference::OP_ALTERNATE)`).
    pub async fn fetch<R: Response>(&self, links: &Links, op: &'static Op) -> Result<R> {
        call(self, links, op, None).await
    }

    /// The request that following `op` among `links` with `body` would send — same link
    /// lookup, URL rules and encoding as the real call — without sending it.
    pub fn prepare(
        &self,
        links: &Links,
        op: &Op,
        body: Option<&dyn Body>,
    ) -> Result<PreparedRequest> {
        prepare(self.inner(), Target::Links(links), op, body, None)
    }
}

/// The request `op` followed among `links` sends, built without sending it: what
/// [`Session::prepare`] and [`Call::request`] show.
pub(crate) fn prepare(
    session: &SessionInner,
    links: Target<'_>,
    op: &Op,
    body: Option<&dyn Body>,
    args: Option<&dyn QueryArgs>,
) -> Result<PreparedRequest> {
    let (url, body) = request_parts(session, links, op, body, args)?;
    let (content_type, body) = match body {
        Some(b) => (
            Some(b.content_type),
            Some(String::from_utf8_lossy(&b.bytes).into_owned()),
        ),
        None => (None, None),
    };
    Ok(PreparedRequest {
        verb: op.verb,
        url: url.to_string(),
        content_type,
        body,
    })
}
