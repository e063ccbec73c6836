//! Client, session and the generic call (placeholder signatures; the runtime issue fills them).

use std::marker::PhantomData;

use crate::link::Links;
use crate::node::Node;
use crate::op::{Api, Op};
use crate::repr::Repr;

/// Errors of the runtime.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The representation does not offer the link an operation needs.
    #[error("{type_} does not offer a `{rel}` link")]
    LinkNotOffered {
        /// Relation looked for.
        rel: String,
        /// Link type looked for, if any.
        type_: String,
    },
    /// Not built yet.
    #[error("not implemented: {0}")]
    Unimplemented(&'static str),
}

/// Result with the runtime's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// A request body: any representation.
pub trait Body: Sync {
    /// Root element name.
    fn body_root(&self) -> &'static str;
    /// The body as a tree.
    fn body_node(&self) -> Node;
}

impl<T: Repr + Sync> Body for T {
    fn body_root(&self) -> &'static str {
        T::ROOT
    }
    fn body_node(&self) -> Node {
        self.to_node(T::ROOT)
    }
}

/// What a call answers: a representation, nothing (`()`), or raw bytes.
pub trait Response: Sized + Send {}
impl<T: Repr + Send> Response for T {}
impl Response for () {}

/// Builds a [`Client`].
pub struct ClientBuilder<A: Api> {
    _api: PhantomData<A>,
}

/// An HTTP client for one API server.
pub struct Client<A: Api> {
    _api: PhantomData<A>,
}

/// A logged-on session.
pub struct Session<A: Api> {
    links: Links,
    _api: PhantomData<A>,
}

impl<A: Api> Session<A> {
    /// The links of the logon session (the API's service document).
    pub fn links(&self) -> &Links {
        &self.links
    }
}

/// Follows `op`'s link among `links` and decodes the answer.
pub async fn call<A: Api, R: Response>(
    _session: &Session<A>,
    _links: &Links,
    _op: &'static Op,
    _body: Option<&dyn Body>,
) -> Result<R> {
    Err(Error::Unimplemented("call"))
}

/// Polls a task until it is done.
pub async fn wait_task<A: Api, T: Repr + Send>(_session: &Session<A>, _task: &T) -> Result<T> {
    Err(Error::Unimplemented("wait_task"))
}
