//! The future generated methods answer.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::error::Result;
use crate::response::{RawResponse, Response};

/// A boxed future of a raw answer.
pub(crate) type RawFuture<'a> = Pin<Box<dyn Future<Output = Result<RawResponse>> + Send + 'a>>;

/// The answer of a generated method: one boxed request future shared by every method, and
/// the decoder of the answer's type. No part of it is generic over the answer's type except
/// the decoder, so that hundreds of generated methods cost no future type of their own.
pub struct Call<'a, R>(Inner<'a, R>);

enum Inner<'a, R> {
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
    /// A request whose answer `R` decodes.
    pub(crate) fn raw(f: RawFuture<'a>) -> Self {
        Call(Inner::Raw(f, R::from_response))
    }
}

impl<R> Future for Call<'_, R> {
    type Output = Result<R>;
    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<R>> {
        match &mut self.0 {
            Inner::Raw(f, decode) => match f.as_mut().poll(cx) {
                Poll::Ready(r) => Poll::Ready(r.and_then(*decode)),
                Poll::Pending => Poll::Pending,
            },
            Inner::Any(f) => f.as_mut().poll(cx),
        }
    }
}
