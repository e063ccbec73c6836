//! emrest-runtime: the small generic runtime behind emrest's generated clients.
//!
//! It knows only generic hypermedia conventions (links with Rel/Href/Type/Name, `?action=`,
//! a session token header, asynchronous tasks, paged query results); every API-specific name
//! reaches it through the [`ApiInfo`] that the generator emits from the spec.
//!
//! - [`Client`] / [`ClientBuilder`]: HTTP (reqwest + rustls with the ring provider), TLS
//!   settings (system roots, CA bundle, certificate pinning), format, timeouts and a deadline
//!   per call, the [`RetryPolicy`] (reads retried with backoff and jitter; actions re-sent only
//!   when they provably never left) and the largest answer accepted
//!   ([`ClientBuilder::max_body_bytes`]).
//! - [`Session`]: logon with version negotiation, token header, single-flight re-logon on 401,
//!   logoff through the session's own link.
//! - [`call`]: follows an operation's link; [`wait_task`] polls tasks; [`Session::query`]
//!   builds query-service queries with typed [`Filter`]s and lazily paged streams.
//! - [`Record`]: the one codec of every representation. A type is a table of
//!   [`FieldDef`]s with a [`Slot`] per field; the runtime reads XML events ([`XmlIn`]) and
//!   JSON tokens ([`JsonIn`]) straight into it and writes XML, EM-shaped JSON or a [`Node`]
//!   tree from it ([`Out`]). What a table does not declare is kept in the type's
//!   [`Unknown`] and written back, in place.
//! - [`xml`] and [`json`]: documents as format-neutral [`Node`] trees for generic tools, with
//!   nesting bounds ([`xml::MAX_DEPTH`], [`json::MAX_DEPTH`]) shared by the streaming
//!   cursors.
//! - [`SecretString`]: passwords and session tokens, redacted in `Debug`/`Display` and zeroed
//!   when dropped; no error or log line carries them.

#![warn(missing_docs)]

mod any;
mod args;
mod builder;
mod call_future;
mod client;
mod codec;
mod datetime;
mod error;
mod follow;
pub mod json;
mod json_in;
mod link;
mod logon;
mod node;
mod op;
mod out;
mod query;
mod repr;
mod response;
mod retry;
mod secret;
mod session;
mod shared_str;
mod task;
mod tls;
mod transport;
mod wire;
pub mod xml;
mod xml_in;

pub use any::{decode_any, unknown_paths, AnyRepr, DecodeAny, TypeEntry};
pub use args::QueryArgs;
pub use builder::{ClientBuilder, DEFAULT_MAX_BODY_BYTES};
pub use call_future::Call;
pub use client::Client;
pub use codec::{name_hash, name_slots, Anchor, Names, Unknown, UnknownElem, UnknownParts};
pub(crate) use codec::{FieldDef, Fields, Slot};
pub use datetime::DateTime;
pub use error::{ApiError, Error, Result, TransportKind};
pub use follow::{call, PreparedRequest};
pub use json::{decode_json, encode_json, parse_json, write_json, Casing};
pub(crate) use json_in::{JsonIn, JsonTok};
pub use link::{AsLinks, Link, LinkDef, LinkLookupError, Links, Target};
pub use node::{JsonKind, Node};
pub use op::{
    ActionStyle, Api, ApiInfo, ErrorInfo, FilterGrammar, MediaTypes, Op, OtherProduct, OwnLinks,
    PagingRels, QueryInfo, QueryParams, Returns, TaskInfo, Vanished, Verb,
};
pub use out::{JsonOut, NodeOut, Out, XmlOut};
pub use query::{DynItems, DynQuery, Field, FieldName, Filter, Page, Query, Queryable};
pub use repr::{DecodeError, Repr, Scalar, SpecEnum, Value};
pub use response::{Download, RawResponse, Response};
pub use retry::RetryPolicy;
pub use secret::SecretString;
pub use session::Session;
pub use shared_str::SharedStr;
pub use task::{follow_related, wait_task, wait_task_with, WaitOptions};
pub use tls::{fingerprint_sha256, parse_fingerprint};
pub use wire::{Body, BodyOf, Format};
pub use xml::{decode_xml, encode_xml, parse_xml, to_node, write_xml};
pub(crate) use xml_in::{XmlElem, XmlIn};

/// The one path generated code goes through, and the only one that reaches the support
/// items below (field tables, cursors, the follow functions behind generated methods). Not a
/// public API: it changes with the generator, as serde's `__private` does.
#[doc(hidden)]
pub mod __private {
    pub use crate::codec::{
        boxed_from_json, boxed_from_xml, read_json, read_xml, write_record, FieldDef, Fields, Kind,
        Record, Slot,
    };
    pub use crate::follow::{follow, follow_with};
    pub use crate::json_in::{JsonIn, JsonTok};
    pub use crate::link::NameField;
    pub use crate::repr::{
        enum_index, scalar_from_json, scalar_from_xml, scalar_write, trim_value,
    };
    pub use crate::shared_str::close_text_chunk;
    pub use crate::xml_in::{XmlElem, XmlIn};
    pub use crate::*;
    pub use std::borrow::Cow;
    pub use std::future::Future;
}
