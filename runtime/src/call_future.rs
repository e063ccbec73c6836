//! The future generated methods answer.

use crate::error::Result;

/// The answer of a generated method: a boxed future (one allocation per call, so that the
/// hundreds of generated methods need no future type of their own).
pub struct Call<'a, R>(std::pin::Pin<Box<dyn std::future::Future<Output = Result<R>> + Send + 'a>>);

impl<'a, R> Call<'a, R> {
    /// Boxes a call.
    pub fn new(f: impl std::future::Future<Output = Result<R>> + Send + 'a) -> Self {
        Call(Box::pin(f))
    }
}

impl<R> std::future::Future for Call<'_, R> {
    type Output = Result<R>;
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<R>> {
        self.0.as_mut().poll(cx)
    }
}
