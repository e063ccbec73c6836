//! The future generated methods answer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::follow::PreparedRequest;
use crate::link::Target;
use crate::op::Op;
use crate::response::{RawResponse, Response};
use crate::session::SessionInner;
use crate::wire::Body;

/// A boxed future of a raw answer.
pub(crate) type RawFuture<'a> = Pin<Box<dyn Future<Output = Result<RawResponse>> + Send + 'a>>;

/// The answer of a generated method: one boxed request future shared by every method, and
/// the decoder of the answer's type. No part of it is generic over the answer's type except
/// the decoder, so that hundreds of generated methods cost no future type of their own.
///
/// Nothing is sent until the call is first polled. Before that, [`Call::request`] builds the
/// request it will send, from the same operation, links and body, by the same function: a
/// preview (`--dry-run`) cannot differ from the call.
pub struct Call<'a, R>(Inner<'a, R>);

/// What a call follows, kept until it is sent.
pub(crate) struct Follow<'a> {
    pub(crate) session: &'a Arc<SessionInner>,
    pub(crate) links: Target<'a>,
    pub(crate) op: &'static Op,
    pub(crate) body: Option<&'a dyn Body>,
    pub(crate) args: Option<&'a dyn crate::QueryArgs>,
}

enum Inner<'a, R> {
    /// An operation to follow, not sent yet.
    Pending(Follow<'a>, fn(RawResponse) -> Result<R>),
    /// A request and the decoder of its answer.
    Raw(RawFuture<'a>, fn(RawResponse) -> Result<R>),
    /// Any future (tasks waited for, derived code).
    Any(Pin<Box<dyn Future<Output = Result<R>> + Send + 'a>>),
}

impl<'a, R> Call<'a, R> {
    /// Boxes a call.
    pub fn new(f: impl Future<Output = Result<R>> + Send + 'a) -> Self {
        Call(Inner::Any(Box::pin(f)))
    }
}

impl<'a, R: Response> Call<'a, R> {
    /// An operation to follow whose answer `R` decodes.
    pub(crate) fn follow(f: Follow<'a>) -> Self {
        Call(Inner::Pending(f, R::from_response))
    }
}

impl<R> Call<'_, R> {
    /// The request this call sends, built without sending anything (the session token is
    /// not part of it). Errors are the call's own: a link the representation does not
    /// offer, a body that cannot be encoded. A call that has been polled, or that is more
    /// than one request (a task waited for), has no single request to show.
    pub fn request(&self) -> Result<PreparedRequest> {
        match &self.0 {
            Inner::Pending(f, _) => {
                crate::follow::prepare(f.session, f.links, f.op, f.body, f.args)
            }
            Inner::Raw(..) => Err(Error::Config {
                message: "the call was already sent; its request can be shown only before".into(),
            }),
            Inner::Any(_) => Err(Error::Config {
                message: "this call is not a single request".into(),
            }),
        }
    }
}

impl<R> Future for Call<'_, R> {
    type Output = Result<R>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        if let Inner::Pending(f, decode) = &self.0 {
            let fut = crate::follow::send(f);
            self.0 = Inner::Raw(fut, *decode);
        }
        match &mut self.0 {
            Inner::Pending(..) => unreachable!("replaced just above"),
            Inner::Raw(f, decode) => match f.as_mut().poll(cx) {
                Poll::Ready(r) => Poll::Ready(r.and_then(*decode)),
                Poll::Pending => Poll::Pending,
            },
            Inner::Any(f) => f.as_mut().poll(cx),
        }
    }
}
