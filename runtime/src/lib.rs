//! emrest-runtime: the small generic runtime behind emrest's generated clients.
//!
//! It knows only generic hypermedia conventions (links with Rel/Href/Type/Name, `?action=`,
//! a session token header, asynchronous tasks, paged query results); every API-specific name
//! reaches it through the [`ApiInfo`] that the generator emits from the spec.

mod client;
mod link;
mod node;
mod op;
mod query;
mod repr;

pub use client::{call, wait_task, Body, Client, ClientBuilder, Error, Response, Result, Session};
pub use link::{AsLinks, Link, LinkLookupError, Links};
pub use node::{JsonKind, Node};
pub use query::{DateTime, Field, Queryable};
pub use op::{Api, ApiInfo, ErrorInfo, Op, QueryInfo, TaskInfo, Verb};
pub use repr::{
    enum_index, scalar_from_node, scalar_to_node, wrapped_items, DecodeError, Decoder, Encoder,
    Repr, Scalar, SpecEnum, Value,
};


/// The one path generated code goes through. Not a stable API.
#[doc(hidden)]
pub mod __private {
    pub use crate::*;
    pub use std::borrow::Cow;
    pub use std::future::Future;
}
