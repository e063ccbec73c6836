//! The query service: queryable types and their fields, filters, query builders, pages and
//! lazily paged result streams.

use std::collections::HashSet;
use std::marker::PhantomData;

use futures::{Stream, TryStreamExt};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use url::Url;

use crate::any::{AnyRepr, TypeEntry};
use crate::error::{Error, Result};
use crate::follow::link_error;
use crate::link::{LinkDef, Links};
use crate::node::Node;
use crate::op::{Api, FilterGrammar, PagingRels, QueryInfo};
use crate::repr::{DecodeError, Repr, Scalar};
use crate::response::{RawResponse, Syntax};
use crate::session::Session;
use crate::{JsonIn, XmlElem, XmlIn};

/// A representation the query service can return.
pub trait Queryable: Repr {
    /// Query-service type name (`type=` parameter).
    const QUERY_TYPE: &'static str;
    /// Element, under the result's entities, that lists entities of this type.
    const PLURAL: &'static str;
    /// The reference representation returned when entities are not asked for.
    type Reference: Repr + Send;
}

/// A filterable field of a queryable type `T` whose values are `V`.
pub struct Field<T, V> {
    name: &'static str,
    _t: PhantomData<fn() -> (T, V)>,
}

impl<T, V> Field<T, V> {
    /// A field named `name` in the query grammar.
    pub const fn new(name: &'static str) -> Self {
        Field {
            name,
            _t: PhantomData,
        }
    }

    /// The field's name in the query grammar.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<T, V> Clone for Field<T, V> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T, V> Copy for Field<T, V> {}

impl<T, V> std::fmt::Debug for Field<T, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({})", self.name)
    }
}

// ---------------------------------------------------------------------------------------------
// Filters

/// A query-service filter: comparisons joined with AND and OR, grouped, written in the
/// API's [`FilterGrammar`] when the query is sent. Values are quoted with embedded quotes
/// doubled (or, in a grammar without quotes, their reserved characters percent-encoded), so
/// no value can change the structure of the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter(Expr);

/// A comparison of a filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Expr {
    /// Field, comparison, value as written, and the value in UTC where it is a date-time
    /// with another offset.
    Cmp(&'static str, CmpOp, String, Option<String>),
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Raw(String),
}

impl Filter {
    /// A filter written by hand in the server's grammar (for command-line use). It is sent
    /// as is, and put in parentheses when combined.
    pub fn raw(text: impl Into<String>) -> Filter {
        Filter(Expr::Raw(text.into()))
    }

    /// Both this and `other`.
    pub fn and(self, other: Filter) -> Filter {
        Filter(match (self.0, other.0) {
            (Expr::And(mut a), Expr::And(b)) => {
                a.extend(b);
                Expr::And(a)
            }
            (Expr::And(mut a), b) => {
                a.push(b);
                Expr::And(a)
            }
            (a, Expr::And(mut b)) => {
                b.insert(0, a);
                Expr::And(b)
            }
            (a, b) => Expr::And(vec![a, b]),
        })
    }

    /// This or `other`.
    pub fn or(self, other: Filter) -> Filter {
        Filter(match (self.0, other.0) {
            (Expr::Or(mut a), Expr::Or(b)) => {
                a.extend(b);
                Expr::Or(a)
            }
            (Expr::Or(mut a), b) => {
                a.push(b);
                Expr::Or(a)
            }
            (a, Expr::Or(mut b)) => {
                b.insert(0, a);
                Expr::Or(b)
            }
            (a, b) => Expr::Or(vec![a, b]),
        })
    }

    /// The filter in the API's grammar (`A::INFO.query.filter` of a generated client).
    pub fn to_query(&self, grammar: &FilterGrammar) -> String {
        let mut out = String::new();
        render(&self.0, grammar, &mut out);
        out
    }
}

fn render(e: &Expr, g: &FilterGrammar, out: &mut String) {
    match e {
        Expr::Cmp(field, op, written, utc) => {
            let value = match utc {
                Some(u) if g.utc_times => u,
                _ => written,
            };
            out.push_str(field);
            out.push_str(match op {
                CmpOp::Eq => g.eq,
                CmpOp::Ne => g.ne,
                CmpOp::Lt => g.lt,
                CmpOp::Le => g.le,
                CmpOp::Gt => g.gt,
                CmpOp::Ge => g.ge,
            });
            if g.quote.is_empty() {
                // No quotes: the characters that structure a filter are percent-encoded.
                for c in value.chars() {
                    let reserved = [g.and, g.or, g.open, g.close, "%"]
                        .iter()
                        .any(|r| !r.is_empty() && r.contains(c));
                    if reserved {
                        let mut buf = [0u8; 4];
                        for b in c.encode_utf8(&mut buf).bytes() {
                            out.push_str(&format!("%{b:02X}"));
                        }
                    } else {
                        out.push(c);
                    }
                }
            } else {
                out.push_str(g.quote);
                out.push_str(&value.replace(g.quote, &g.quote.repeat(2)));
                out.push_str(g.quote);
            }
        }
        Expr::Raw(r) => out.push_str(r),
        Expr::And(items) | Expr::Or(items) => {
            let sep = if matches!(e, Expr::And(_)) {
                g.and
            } else {
                g.or
            };
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                if matches!(item, Expr::Cmp(..)) {
                    render(item, g, out);
                } else {
                    out.push_str(g.open);
                    render(item, g, out);
                    out.push_str(g.close);
                }
            }
        }
    }
}

impl std::ops::BitAnd for Filter {
    type Output = Filter;
    fn bitand(self, rhs: Filter) -> Filter {
        self.and(rhs)
    }
}

impl std::ops::BitOr for Filter {
    type Output = Filter;
    fn bitor(self, rhs: Filter) -> Filter {
        self.or(rhs)
    }
}

impl<T, V: Scalar> Field<T, V> {
    fn cmp(&self, op: CmpOp, value: V) -> Filter {
        let written = value.to_text().into_owned();
        let query = value.query_text();
        let utc = (*query != *written).then(|| query.into_owned());
        Filter(Expr::Cmp(self.name, op, written, utc))
    }
    /// `field == value`
    pub fn eq(&self, value: impl Into<V>) -> Filter {
        self.cmp(CmpOp::Eq, value.into())
    }
    /// `field != value`
    pub fn ne(&self, value: impl Into<V>) -> Filter {
        self.cmp(CmpOp::Ne, value.into())
    }
    /// `field < value` (enums compare by declaration order on the server)
    pub fn lt(&self, value: impl Into<V>) -> Filter {
        self.cmp(CmpOp::Lt, value.into())
    }
    /// `field <= value`
    pub fn le(&self, value: impl Into<V>) -> Filter {
        self.cmp(CmpOp::Le, value.into())
    }
    /// `field > value`
    pub fn gt(&self, value: impl Into<V>) -> Filter {
        self.cmp(CmpOp::Gt, value.into())
    }
    /// `field >= value`
    pub fn ge(&self, value: impl Into<V>) -> Filter {
        self.cmp(CmpOp::Ge, value.into())
    }
}

/// Something that names a sortable field: a [`Field`] or a plain name.
pub trait FieldName {
    /// The name in the query grammar.
    fn field_name(&self) -> String;
}

impl<T, V> FieldName for Field<T, V> {
    fn field_name(&self) -> String {
        self.name.to_string()
    }
}

impl FieldName for &str {
    fn field_name(&self) -> String {
        (*self).to_string()
    }
}

impl FieldName for String {
    fn field_name(&self) -> String {
        self.clone()
    }
}

// ---------------------------------------------------------------------------------------------
// Queries and pages

/// Where the items of a query result are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ItemPath {
    wrapper: &'static str,
    list: Option<&'static str>,
    item: &'static str,
}

/// What a query asks for besides its type: shared by the typed [`Query`] and the
/// [`DynQuery`] over a type chosen at run time.
#[derive(Debug, Clone, Default)]
struct Params {
    entities: bool,
    filter: Option<Filter>,
    sort: Option<(bool, String)>,
    page_size: Option<u32>,
    page: Option<u32>,
    read_ahead: bool,
}

impl Params {
    fn filter(&mut self, filter: Filter) {
        self.filter = Some(match self.filter.take() {
            Some(f) => f.and(filter),
            None => filter,
        });
    }

    /// Where the items are: entities of `plural`/`root`, or the query service's references.
    fn path<A: Api>(&self, plural: &'static str, root: &'static str) -> ItemPath {
        let q = &A::INFO.query;
        if self.entities {
            ItemPath {
                wrapper: q.entities,
                list: Some(plural),
                item: root,
            }
        } else {
            ItemPath {
                wrapper: q.refs,
                list: None,
                item: q.ref_item,
            }
        }
    }

    /// The URL of the first page of a query over `query_type`.
    fn url<A: Api>(&self, session: &Session<A>, query_type: &str) -> Result<Url> {
        let q = &A::INFO.query;
        let mut url = session
            .base()
            .join(q.path.trim_start_matches('/'))
            .map_err(|e| Error::config(format!("query path `{}`: {e}", q.path)))?;
        let p = &q.params;
        let mut pairs: Vec<(&str, String)> = vec![(p.type_, query_type.to_string())];
        if self.entities {
            pairs.push((p.format, p.entities.into()));
        }
        if let Some(f) = &self.filter {
            pairs.push((p.filter, f.to_query(&q.filter)));
        }
        if let Some((asc, field)) = &self.sort {
            pairs.push((if *asc { p.sort_asc } else { p.sort_desc }, field.clone()));
        }
        if let Some(n) = self.page_size {
            pairs.push((p.page_size, n.to_string()));
        }
        if let Some(n) = self.page {
            pairs.push((p.page, n.to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", utf8_percent_encode(v, QUERY_VALUE)))
            .collect();
        url.set_query(Some(&query.join("&")));
        Ok(url)
    }
}

/// How the items of a page are read: typed ([`Typed`], inlined per item type) or through a
/// type entry's decoders ([`ItemFns`]).
trait ReadItems: Copy + Send + Sync {
    /// What one item becomes.
    type Item: Send;
    /// One item from its XML element.
    fn xml<'a>(self, x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<Self::Item, DecodeError>;
    /// The items of a JSON list (an array, or an object of arrays), appended to `into`.
    fn json(self, j: &mut JsonIn<'_>, into: &mut Vec<Self::Item>) -> Result<(), DecodeError>;
}

/// Items decoded as `I` by its own decoder.
struct Typed<I>(PhantomData<fn() -> I>);

impl<I> Typed<I> {
    const fn new() -> Self {
        Typed(PhantomData)
    }
}

impl<I> Clone for Typed<I> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<I> Copy for Typed<I> {}

impl<I: Repr + Send> ReadItems for Typed<I> {
    type Item = I;
    #[inline]
    fn xml<'a>(self, x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<I, DecodeError> {
        I::from_xml(x, e)
    }
    #[inline]
    fn json(self, j: &mut JsonIn<'_>, into: &mut Vec<I>) -> Result<(), DecodeError> {
        crate::codec::json_wrapped(j, into)
    }
}

/// The options the typed [`Query`] and the [`DynQuery`] share, on their `p: Params`.
macro_rules! query_options {
    () => {
        /// Adds a filter (several calls are joined with AND).
        pub fn filter(mut self, filter: Filter) -> Self {
            self.p.filter(filter);
            self
        }

        /// Sorts ascending by `field`.
        pub fn sort_asc(mut self, field: impl FieldName) -> Self {
            self.p.sort = Some((true, field.field_name()));
            self
        }

        /// Sorts descending by `field`.
        pub fn sort_desc(mut self, field: impl FieldName) -> Self {
            self.p.sort = Some((false, field.field_name()));
            self
        }

        /// Items per page (the server's default is `INFO.query.default_page_size`).
        pub fn page_size(mut self, n: u32) -> Self {
            self.p.page_size = Some(n.max(1));
            self
        }

        /// Starts at page `n` (1-based).
        pub fn page(mut self, n: u32) -> Self {
            self.p.page = Some(n.max(1));
            self
        }

        /// Lets `stream` ask for the next page while it decodes the current one, so that
        /// the server renders page N+1 while the client reads page N (off the async
        /// runtime, on its blocking pool). The `Next` link is read ahead from the end of
        /// an XML page, where the paging element is, and checked against the decoded page
        /// before what was fetched is used (a guess that turns out wrong costs one wasted
        /// request, never a wrong page); likewise the last paging member of a JSON page.
        /// Flat results are paged as without it.
        /// The price: dropping the stream early abandons (and aborts) at most one request
        /// the server may already have answered. Needs a Tokio runtime, as every call does.
        pub fn read_ahead(mut self) -> Self {
            self.p.read_ahead = true;
            self
        }
    };
}

/// A query being built; `I` is what it yields (`T::Reference` by default, `T` after
/// [`Query::entities`]).
pub struct Query<'s, A: Api, T: Queryable, I> {
    session: &'s Session<A>,
    p: Params,
    _t: PhantomData<fn() -> (T, I)>,
}

impl<A: Api> Session<A> {
    /// Starts a query-service query over `T`, yielding references.
    pub fn query<T: Queryable>(&self) -> Query<'_, A, T, T::Reference> {
        Query {
            session: self,
            p: Params::default(),
            _t: PhantomData,
        }
    }

    /// Starts a query-service query over the type of `entry`, chosen at run time (by a
    /// generic tool), yielding references as values of any type; `None` when the type is
    /// not queryable. It asks and pages as [`Session::query`] does.
    pub fn query_dyn(&self, entry: &TypeEntry) -> Option<DynQuery<'_, A>> {
        Some(DynQuery {
            session: self,
            items: entry.items?,
            p: Params::default(),
        })
    }
}

impl<'s, A: Api, T: Queryable, I: Repr + Send + 's> Query<'s, A, T, I> {
    /// Yields whole entities (`format=Entities`) instead of references.
    pub fn entities(self) -> Query<'s, A, T, T> {
        Query {
            session: self.session,
            p: Params {
                entities: true,
                ..self.p
            },
            _t: PhantomData,
        }
    }

    query_options!();

    fn path(&self) -> ItemPath {
        self.p.path::<A>(T::PLURAL, T::ROOT)
    }

    /// The URL of the first page.
    pub fn url(&self) -> Result<Url> {
        self.p.url(self.session, T::QUERY_TYPE)
    }

    /// Fetches the first page.
    pub async fn first_page(&self) -> Result<Page<I>> {
        let url = self.url()?;
        fetch_page(self.session, url, self.path(), Typed::<I>::new()).await
    }

    /// All items, fetching pages lazily (the next page is asked for only when the items of
    /// the previous one have been consumed, or while they are decoded after
    /// [`Query::read_ahead`]) by following the `Next` paging links.
    pub fn stream(self) -> impl Stream<Item = Result<I>> + Send + 's
    where
        I: 'static,
    {
        let path = self.path();
        pages(
            self.session,
            self.url(),
            path,
            Typed::new(),
            self.p.read_ahead,
        )
    }
}

/// The decoders a query over a type chosen at run time reads its items with: the
/// query-service facts of one queryable type and decoders of it and of its reference type,
/// each yielding a value of any type. A generated client's [`TypeEntry`] of a queryable
/// type carries one.
#[derive(Clone, Copy)]
pub struct DynItems {
    /// Query-service type name (`type=` parameter).
    pub query_type: &'static str,
    /// Element, under the result's entities, that lists entities of this type.
    pub plural: &'static str,
    /// The type's root element (the element of one entity).
    pub root: &'static str,
    entity: ItemFns,
    reference: ItemFns,
}

impl DynItems {
    /// The decoders of `T` and of its reference type.
    pub const fn of<T>() -> Self
    where
        T: Queryable + Send + Sync + 'static,
        T::Reference: Sync + 'static,
    {
        DynItems {
            query_type: T::QUERY_TYPE,
            plural: T::PLURAL,
            root: T::ROOT,
            entity: ItemFns::of::<T>(),
            reference: ItemFns::of::<T::Reference>(),
        }
    }
}

impl std::fmt::Debug for DynItems {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DynItems")
            .field("query_type", &self.query_type)
            .field("plural", &self.plural)
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

/// Reads one item from its XML element, boxed.
type XmlItem = for<'a> fn(&mut XmlIn<'a>, XmlElem<'a>) -> Result<Box<dyn AnyRepr>, DecodeError>;
/// Reads the items of a JSON list, boxed, appending them.
type JsonItems = fn(&mut JsonIn<'_>, &mut Vec<Box<dyn AnyRepr>>) -> Result<(), DecodeError>;

/// Decoders of the items of one type, boxed as values of any type.
#[derive(Clone, Copy)]
struct ItemFns {
    xml: XmlItem,
    json: JsonItems,
}

impl ItemFns {
    const fn of<T: Repr + Send + Sync + 'static>() -> Self {
        ItemFns {
            xml: item_xml::<T>,
            json: items_json::<T>,
        }
    }
}

fn item_xml<'a, T: Repr + Send + Sync + 'static>(
    x: &mut XmlIn<'a>,
    e: XmlElem<'a>,
) -> Result<Box<dyn AnyRepr>, DecodeError> {
    Ok(Box::new(T::from_xml(x, e)?))
}

fn items_json<T: Repr + Send + Sync + 'static>(
    j: &mut JsonIn<'_>,
    into: &mut Vec<Box<dyn AnyRepr>>,
) -> Result<(), DecodeError> {
    let mut items: Vec<T> = Vec::new();
    crate::codec::json_wrapped(j, &mut items)?;
    into.extend(items.into_iter().map(|i| Box::new(i) as Box<dyn AnyRepr>));
    Ok(())
}

impl ReadItems for ItemFns {
    type Item = Box<dyn AnyRepr>;
    fn xml<'a>(self, x: &mut XmlIn<'a>, e: XmlElem<'a>) -> Result<Self::Item, DecodeError> {
        (self.xml)(x, e)
    }
    fn json(self, j: &mut JsonIn<'_>, into: &mut Vec<Self::Item>) -> Result<(), DecodeError> {
        (self.json)(j, into)
    }
}

/// A query over a type chosen at run time (see [`Session::query_dyn`]): the same
/// parameters and paging as [`Query`], its items values of any type (references, or whole
/// entities after [`DynQuery::entities`]).
pub struct DynQuery<'s, A: Api> {
    session: &'s Session<A>,
    items: DynItems,
    p: Params,
}

impl<'s, A: Api> DynQuery<'s, A> {
    /// Yields whole entities (`format=Entities`) instead of references.
    pub fn entities(mut self) -> Self {
        self.p.entities = true;
        self
    }

    query_options!();

    /// The URL of the first page.
    pub fn url(&self) -> Result<Url> {
        self.p.url(self.session, self.items.query_type)
    }

    fn read(&self) -> (ItemPath, ItemFns) {
        let path = self.p.path::<A>(self.items.plural, self.items.root);
        let fns = if self.p.entities {
            self.items.entity
        } else {
            self.items.reference
        };
        (path, fns)
    }

    /// All items, fetching pages lazily by following the `Next` paging links, as
    /// [`Query::stream`] does.
    pub fn stream(self) -> impl Stream<Item = Result<Box<dyn AnyRepr>>> + Send + 's {
        let (path, fns) = self.read();
        pages(self.session, self.url(), path, fns, self.p.read_ahead)
    }
}

/// The items of the pages from `start` on, fetching each page when the items of the one
/// before have been consumed (or, with `read_ahead`, while they are decoded), following the
/// `Next` paging links (a link seen before is an error, not a loop).
fn pages<'s, A: Api, R: ReadItems + 'static>(
    session: &'s Session<A>,
    start: Result<Url>,
    path: ItemPath,
    read: R,
    read_ahead: bool,
) -> impl Stream<Item = Result<R::Item>> + Send + 's
where
    R::Item: 'static,
{
    let walk = Walk {
        next: Some(start),
        seen: HashSet::new(),
        ahead: None,
    };
    futures::stream::try_unfold(walk, move |mut walk: Walk| async move {
        let Some(url) = walk.next.take() else {
            return Ok(None);
        };
        let url = url?;
        if !walk.seen.insert(url.to_string()) {
            return Err(Error::Decode {
                url: url.to_string(),
                content_type: None,
                snippet: String::new(),
                source: DecodeError::new("paging links go round in a circle"),
            });
        }
        let raw = match walk.ahead.take() {
            Some(mut ahead) if ahead.url == url => match (&mut ahead.task).await {
                Ok(answer) => answer?,
                // The read-ahead task panicked or was cancelled: ask again, in line.
                Err(_) => session.get_url(&url).await?,
            },
            _ => session.get_url(&url).await?,
        };
        let page = if read_ahead {
            if let Some(guess) = next_guess(session, &raw, path) {
                if !walk.seen.contains(guess.as_str()) {
                    let s = session.clone();
                    let u = guess.clone();
                    walk.ahead = Some(Ahead {
                        url: guess,
                        task: tokio::spawn(async move { s.get_url(&u).await }),
                    });
                }
            }
            match tokio::task::spawn_blocking(move || decode_page::<A, R>(&raw, path, read)).await {
                Ok(page) => page?,
                Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
                Err(e) => return Err(Error::config(format!("page decoding stopped: {e}"))),
            }
        } else {
            decode_page::<A, R>(&raw, path, read)?
        };
        walk.next = page.link_url(session, page.rels.next).transpose();
        Ok(Some((page.items, walk)))
    })
    .map_ok(|items| futures::stream::iter(items.into_iter().map(Ok)))
    .try_flatten()
}

/// Where a paged stream is: the next page's URL, the pages seen, and the next page's
/// request when it was read ahead.
struct Walk {
    next: Option<Result<Url>>,
    seen: HashSet<String>,
    ahead: Option<Ahead>,
}

/// A page asked for ahead of need; aborted when the stream moves on without it or is
/// dropped.
struct Ahead {
    url: Url,
    task: tokio::task::JoinHandle<Result<RawResponse>>,
}

impl Drop for Ahead {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The `Next` link of a page read from its paging element alone, found from the end of the
/// body (a nested result keeps it after the items: the last `<PagingInfo` element in XML,
/// the last `"PagingInfo":` member in JSON, in either casing), without decoding the items;
/// `None` when there is none, the result is flat, or anything does not read. A guess: the
/// caller checks it against the decoded page.
fn next_guess<A: Api>(session: &Session<A>, raw: &RawResponse, path: ItemPath) -> Option<Url> {
    let info = &A::INFO.query;
    if info.flat {
        return None;
    }
    let paging = raw
        .decode_with(|syntax, body| {
            let node = match syntax {
                Syntax::Xml => paging_tail_xml(body, info.paging),
                Syntax::Json => paging_tail_json(body, info.paging),
            }
            .ok_or_else(|| DecodeError::new("no paging element at the end"))?;
            page_from::<()>(
                Vec::new(),
                Some(&node),
                info,
                &A::INFO.own_links.paging,
                path,
            )
        })
        .ok()?;
    paging.link_url(session, paging.rels.next).ok().flatten()
}

/// The last `<NAME …>` element of an XML body, as a node.
fn paging_tail_xml(body: &[u8], name: &str) -> Option<Node> {
    let mut tag = Vec::with_capacity(name.len() + 1);
    tag.push(b'<');
    tag.extend_from_slice(name.as_bytes());
    let at = memchr::memmem::rfind(body, &tag)?;
    let mut x = XmlIn::new(&body[at..]).ok()?;
    let root = x.root().ok()?;
    if !root.name().eq_ignore_ascii_case(name) {
        return None;
    }
    x.node(root).ok()
}

/// The value of the last `"NAME":` member of a JSON body (its first letter in either case:
/// PascalCase and camelCase servers), as a node.
fn paging_tail_json(body: &[u8], name: &str) -> Option<Node> {
    let (first, rest) = name.as_bytes().split_first()?;
    let mut key = rest.to_vec();
    key.push(b'"');
    for at in memchr::memmem::rfind_iter(body, &key) {
        // `"` and the first letter before the rest of the name, then `:` after it.
        let Some(start) = at.checked_sub(2) else {
            continue;
        };
        if body[start] != b'"' || !body[start + 1].eq_ignore_ascii_case(first) {
            continue;
        }
        let after = &body[at + key.len()..];
        let colon = after.iter().position(|b| !b.is_ascii_whitespace())?;
        if after[colon] != b':' {
            continue;
        }
        let mut j = crate::JsonIn::new(&after[colon + 1..]).ok()?;
        return j.node(name).ok().flatten();
    }
    None
}

const QUERY_VALUE: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// One page of query results.
#[derive(Debug, Clone)]
pub struct Page<I> {
    /// The items of this page.
    pub items: Vec<I>,
    /// Number of this page (1-based; 0 when the server did not say).
    pub page_num: u32,
    /// Page size the server used.
    pub page_size: u32,
    /// Number of pages (0 when the server did not say).
    pub pages_count: u32,
    /// The paging links (`First`, `Previous`, `Next`, `Last` in EM).
    pub links: Links,
    path: ItemPath,
    rels: PagingRels,
    /// Element name of the paging information (for messages).
    paging: &'static str,
}

impl<I> Page<I> {
    /// True when the server offers a next page.
    pub fn has_next(&self) -> bool {
        self.links.find(self.rels.next, None, None).is_ok()
    }

    fn link_url<A: Api>(&self, session: &Session<A>, rel: &str) -> Result<Option<Url>> {
        match self.links.find(rel, None, None) {
            Ok(l) => {
                let mut url = session.resolve(&l.href)?;
                // Entities were asked for: keep asking even if a paging link forgot it.
                let p = &A::INFO.query.params;
                if self.path.list.is_some()
                    && !url
                        .query_pairs()
                        .any(|(k, _)| k.eq_ignore_ascii_case(p.format))
                {
                    url.query_pairs_mut().append_pair(p.format, p.entities);
                }
                Ok(Some(url))
            }
            Err(crate::LinkLookupError::NotOffered) => Ok(None),
            Err(e) => Err(link_error(e, rel, self.paging, None)),
        }
    }
}

impl<I: Repr + Send> Page<I> {
    async fn follow<A: Api>(&self, session: &Session<A>, rel: &str) -> Result<Option<Page<I>>> {
        match self.link_url(session, rel)? {
            Some(url) => fetch_page(session, url, self.path, Typed::<I>::new())
                .await
                .map(Some),
            None => Ok(None),
        }
    }

    /// The next page, if any.
    pub async fn next<A: Api>(&self, session: &Session<A>) -> Result<Option<Page<I>>> {
        self.follow(session, self.rels.next).await
    }

    /// The previous page, if any.
    pub async fn previous<A: Api>(&self, session: &Session<A>) -> Result<Option<Page<I>>> {
        self.follow(session, self.rels.previous).await
    }

    /// The first page, if the server links it.
    pub async fn first<A: Api>(&self, session: &Session<A>) -> Result<Option<Page<I>>> {
        self.follow(session, self.rels.first).await
    }

    /// The last page, if the server links it.
    pub async fn last<A: Api>(&self, session: &Session<A>) -> Result<Option<Page<I>>> {
        self.follow(session, self.rels.last).await
    }
}

async fn fetch_page<A: Api, R: ReadItems>(
    session: &Session<A>,
    url: Url,
    path: ItemPath,
    read: R,
) -> Result<Page<R::Item>> {
    let resp = session.get_url(&url).await?;
    decode_page::<A, R>(&resp, path, read)
}

/// A page from its answer.
fn decode_page<A: Api, R: ReadItems>(
    resp: &RawResponse,
    path: ItemPath,
    read: R,
) -> Result<Page<R::Item>> {
    let info = &A::INFO.query;
    resp.decode_with(|syntax, body| match syntax {
        Syntax::Xml => decode_page_xml(body, info, &A::INFO.own_links.paging, path, read),
        Syntax::Json => decode_page_json(body, info, &A::INFO.own_links.paging, path, read),
    })
}

/// A page straight from the XML events: the items stream into `I` without a tree;
/// only the small paging element becomes a [`Node`].
fn decode_page_xml<R: ReadItems>(
    bytes: &[u8],
    info: &QueryInfo,
    links: &LinkDef,
    path: ItemPath,
    read: R,
) -> Result<Page<R::Item>, DecodeError> {
    if info.flat {
        return decode_flat_page_xml(bytes, info, links, path, read);
    }
    let mut x = crate::XmlIn::new(bytes)?;
    let root = x.root()?;
    let root_name = root.name();
    check_result_root(root_name, info)?;
    let mut items: Vec<R::Item> = Vec::new();
    let mut paging: Option<Node> = None;
    x.children(root, None, |x, c| {
        let n = c.name();
        if n.eq_ignore_ascii_case(path.wrapper) {
            let found = match path.list {
                Some(list) => x.children(c, None, |x, l| {
                    if l.name().eq_ignore_ascii_case(list) {
                        items.extend(x.items(l, path.item, |x, i| read.xml(x, i))?);
                        Ok(())
                    } else {
                        x.skip(l)
                    }
                }),
                None => x
                    .items(c, path.item, |x, i| read.xml(x, i))
                    .map(|v| items.extend(v)),
            };
            found.map_err(|e| e.within(path.wrapper))
        } else if n.eq_ignore_ascii_case(info.paging) && paging.is_none() {
            paging = Some(x.node(c)?);
            Ok(())
        } else {
            x.skip(c)
        }
    })
    .map_err(|e| e.within(root_name))?;
    x.finish()?;
    page_from(items, paging.as_ref(), info, links, path)
}

/// A query answer must be the declared result (not, say, a document of another shape that
/// would read as a page without items).
fn check_result_root(root: &str, info: &QueryInfo) -> Result<(), DecodeError> {
    if root.eq_ignore_ascii_case(info.result_root) {
        Ok(())
    } else {
        Err(DecodeError::new(format!(
            "expected a `{}` query result, found a `{root}` document",
            info.result_root
        )))
    }
}

/// A page of a flat result: the items, the paging attributes and the links all directly
/// under the root. Any other child element means the result is not what the spec declares
/// (an error, never a page that silently lacks its items).
fn decode_flat_page_xml<R: ReadItems>(
    bytes: &[u8],
    info: &QueryInfo,
    links: &LinkDef,
    path: ItemPath,
    read: R,
) -> Result<Page<R::Item>, DecodeError> {
    let mut x = crate::XmlIn::new(bytes)?;
    let root = x.root()?;
    let root_name = root.name().to_string();
    check_result_root(&root_name, info)?;
    // The paging "element" is the root itself: its attributes and its link elements.
    let mut paging = Node::new(&root_name);
    for a in root.qattrs() {
        let (k, v) = a?;
        paging.attrs.push((k.to_string(), v.into_owned()));
    }
    let mut items: Vec<R::Item> = Vec::new();
    x.children(root, None, |x, c| {
        let n = c.name();
        if n.eq_ignore_ascii_case(path.item) {
            items.push(read.xml(x, c).map_err(|e| e.within(n))?);
            Ok(())
        } else if n.eq_ignore_ascii_case(links.element) {
            paging.children.push(x.node(c)?);
            Ok(())
        } else {
            Err(DecodeError::new(format!(
                "a `{n}` element where the query result holds only `{}` items and `{}` links",
                path.item, links.element
            )))
        }
    })
    .map_err(|e| e.within(&root_name))?;
    x.finish()?;
    page_from(
        items,
        Some(&paging),
        info,
        &LinkDef {
            wrapper: None,
            ..*links
        },
        path,
    )
}

/// A page straight from the JSON tokens: `{"Refs": [...]}` or
/// `{"Entities": {"Jobs": {"Jobs": [...]}}}`, then the paging object.
fn decode_page_json<R: ReadItems>(
    bytes: &[u8],
    info: &QueryInfo,
    links: &LinkDef,
    path: ItemPath,
    read: R,
) -> Result<Page<R::Item>, DecodeError> {
    if info.flat {
        return Err(DecodeError::new(
            "a flat query result is read from XML only: ask the server for XML",
        ));
    }
    let mut j = crate::JsonIn::new(bytes)?;
    let mut items: Vec<R::Item> = Vec::new();
    let mut paging: Option<Node> = None;
    j.begin_object()?;
    while let Some(k) = j.next_key()? {
        if j.peek()? == crate::JsonTok::Null {
            j.null()?;
        } else if k.eq_ignore_ascii_case(path.wrapper) {
            match path.list {
                Some(list) => {
                    j.begin_object()?;
                    while let Some(l) = j.next_key()? {
                        if l.eq_ignore_ascii_case(list) && j.peek()? != crate::JsonTok::Null {
                            read.json(&mut j, &mut items)
                                .map_err(|e| e.within(list).within(path.wrapper))?;
                        } else {
                            j.skip()?;
                        }
                    }
                }
                None => read
                    .json(&mut j, &mut items)
                    .map_err(|e| e.within(path.wrapper))?,
            }
        } else if k.eq_ignore_ascii_case(info.paging) && paging.is_none() {
            paging = j.node(info.paging)?;
        } else {
            j.skip()?;
        }
    }
    j.finish()?;
    page_from(items, paging.as_ref(), info, links, path)
}

/// A page from its items and its paging element.
fn page_from<I>(
    items: Vec<I>,
    paging: Option<&Node>,
    info: &QueryInfo,
    links: &LinkDef,
    path: ItemPath,
) -> Result<Page<I>, DecodeError> {
    let num = |k: &str| {
        paging
            .and_then(|p| p.scalar(k))
            .and_then(|v| v.trim().parse::<u32>().ok())
            .unwrap_or(0)
    };
    let links = match paging {
        Some(p) => Links::of_node(p, links).map_err(|e| e.within(info.paging))?,
        None => Links::default(),
    };
    let (page_size, count) = (num(info.page_size), num(info.pages_count));
    let pages_count = match (info.count_is_records, page_size) {
        (true, 0) => u32::from(count > 0),
        (true, size) => count.div_ceil(size),
        (false, _) => count,
    };
    Ok(Page {
        items,
        page_num: num(info.page_num),
        page_size,
        pages_count,
        links,
        path,
        rels: info.rels,
        paging: info.paging,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::datetime::DateTime;

    struct Job;
    const NAME: Field<Job, String> = Field::new("Name");
    const ENABLED: Field<Job, bool> = Field::new("ScheduleEnabled");
    const CREATED: Field<Job, DateTime> = Field::new("CreationTime");

    /// Cloud Director's FIQL: `=lt=`-style comparisons and unquoted values, whose
    /// separators and grouping characters are percent-encoded.
    #[test]
    fn a_grammar_without_quotes_percent_encodes_what_would_restructure_the_filter() {
        const VCD: FilterGrammar = FilterGrammar {
            lt: "=lt=",
            le: "=le=",
            gt: "=gt=",
            ge: "=ge=",
            quote: "",
            ..EM_FILTER
        };
        let f = NAME.eq("a;b,c(d)%\"").and(NAME.lt("x") | NAME.ge("y"));
        assert_eq!(
            f.to_query(&VCD),
            "Name==a%3Bb%2Cc%28d%29%25\";(Name=lt=x,Name=ge=y)"
        );
        assert_eq!(NAME.le("q").to_query(&VCD), "Name=le=q");
    }

    #[test]
    fn filters_escape_and_group() {
        let f = NAME.eq(r#"a";b,c)(Name=="x"#);
        assert_eq!(f.to_query(&EM_FILTER), r#"Name=="a"";b,c)(Name==""x""#);
        let f = NAME.eq("A").and(ENABLED.eq(true)).or(NAME.ne("B"));
        assert_eq!(
            f.to_query(&EM_FILTER),
            r#"(Name=="A";ScheduleEnabled=="true"),Name!="B""#
        );
        let f = (NAME.eq("A") | NAME.eq("B")) & Filter::raw("jobtype==backup");
        assert_eq!(
            f.to_query(&EM_FILTER),
            r#"(Name=="A",Name=="B");(jobtype==backup)"#
        );
        assert_eq!(Filter::raw("a==b").to_query(&EM_FILTER), "a==b");
        let f = NAME
            .lt("x")
            .and(NAME.le("y"))
            .and(NAME.gt("z").and(NAME.ge("w")));
        assert_eq!(
            f.to_query(&EM_FILTER),
            r#"Name<"x";Name<="y";Name>"z";Name>="w""#
        );
    }

    #[test]
    fn datetimes_in_filters_are_utc() {
        let f = CREATED.ge(DateTime("2025-08-15T08:00:00+02:00".into()));
        assert_eq!(
            f.to_query(&EM_FILTER),
            r#"CreationTime>="2025-08-15T06:00:00Z""#
        );
        // A grammar that takes times as written keeps the offset.
        let as_written = FilterGrammar {
            utc_times: false,
            ..EM_FILTER
        };
        assert_eq!(
            f.to_query(&as_written),
            r#"CreationTime>="2025-08-15T08:00:00+02:00""#
        );
    }

    #[derive(Debug, Default)]
    struct R(String, crate::Unknown);
    impl crate::codec::Record for R {
        const ROOT: &'static str = "BackupJobSession";
        const FIELDS: &'static [crate::FieldDef] = &[crate::FieldDef::attr("Name", true)];
        unsafe fn field(this: *mut Self, i: usize) -> *mut dyn crate::Slot {
            // SAFETY: a place projection of the caller's valid pointer.
            unsafe {
                match i {
                    0 => &raw mut (*this).0,
                    _ => &raw mut (*this).1,
                }
            }
        }
    }

    use crate::QueryParams;

    /// EM's link form, as its spec declares it.
    const LD: LinkDef = LinkDef::new(Some("Links"), "Link", "Rel", "Href", "Name", "Type");

    const QI: QueryInfo = QueryInfo {
        path: "query",
        result_root: "QueryResult",
        refs: "Refs",
        ref_item: "Ref",
        entities: "Entities",
        paging: "PagingInfo",
        default_page_size: 100,
        params: QueryParams {
            type_: "type",
            format: "format",
            entities: "Entities",
            filter: "filter",
            sort_asc: "sortAsc",
            sort_desc: "sortDesc",
            page_size: "pageSize",
            page: "page",
        },
        page_num: "PageNum",
        page_size: "PageSize",
        pages_count: "PagesCount",
        rels: PagingRels {
            first: "First",
            previous: "Previous",
            next: "Next",
            last: "Last",
        },
        flat: false,
        count_is_records: false,
        filter: EM_FILTER,
    };

    /// EM's filter grammar, as its spec declares it.
    const EM_FILTER: FilterGrammar = FilterGrammar {
        eq: "==",
        ne: "!=",
        lt: "<",
        le: "<=",
        gt: ">",
        ge: ">=",
        and: ";",
        or: ",",
        open: "(",
        close: ")",
        quote: "\"",
        utc_times: true,
    };

    /// Items, paging attributes and links under the root, a total of records: Cloud
    /// Director's records query. A document of another shape is an error, not a page.
    #[test]
    fn flat_results_page_by_records_and_refuse_other_shapes() {
        const FLAT: QueryInfo = QueryInfo {
            result_root: "QueryResultRecords",
            page_num: "page",
            page_size: "pageSize",
            pages_count: "total",
            rels: PagingRels {
                first: "firstPage",
                previous: "previousPage",
                next: "nextPage",
                last: "lastPage",
            },
            flat: true,
            count_is_records: true,
            ..QI
        };
        const VCD: LinkDef = LinkDef::new(None, "Link", "rel", "href", "name", "type");
        let path = ItemPath {
            wrapper: "",
            list: None,
            item: "BackupJobSession",
        };
        let xml = br#"<QueryResultRecords page="1" pageSize="2" total="3"><Link rel="nextPage" href="https://v/api/query?page=2"/><BackupJobSession Name="a"/><BackupJobSession Name="b"/></QueryResultRecords>"#;
        let page: Page<R> = decode_page_xml(xml, &FLAT, &VCD, path, Typed::new()).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!((page.page_num, page.page_size, page.pages_count), (1, 2, 2));
        assert_eq!(
            page.links.find("nextPage", None, None).unwrap().href,
            "https://v/api/query?page=2"
        );
        let other = br#"<QueryResultRecords page="1"><VMRecord Name="a"/></QueryResultRecords>"#;
        let err = decode_page_xml(other, &FLAT, &VCD, path, Typed::<R>::new()).unwrap_err();
        assert!(err.to_string().contains("a `VMRecord` element"), "{err}");
        let nested = br#"<QueryResult><Refs/></QueryResult>"#;
        let err = decode_page_xml(nested, &FLAT, &VCD, path, Typed::<R>::new()).unwrap_err();
        assert!(
            err.to_string().contains("expected a `QueryResultRecords`"),
            "{err}"
        );
        assert!(decode_page_json(b"{}", &FLAT, &VCD, path, Typed::<R>::new()).is_err());
    }

    #[test]
    fn json_query_results_v12_and_v13() {
        let entities = ItemPath {
            wrapper: "Entities",
            list: Some("BackupJobSessions"),
            item: "BackupJobSession",
        };
        let v12 = br#"{"Refs":null,"Entities":{"Jobs":null,"BackupJobSessions":{"BackupJobSessions":[{"Name":"a"},{"Name":"b"}]},"SystemSessions":null},
            "Resources":null,"Links":null,"PagingInfo":{"Links":[{"Rel":"First","Href":"https://h/api/query?type=BackupJobSession&pageSize=100&page=1","Name":null,"Type":null}],"PageNum":1,"PageSize":100,"PagesCount":1}}"#;
        let page: Page<R> = decode_page_json(v12, &QI, &LD, entities, Typed::new()).unwrap();
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.items[1].0, "b");
        assert_eq!(
            (page.page_num, page.page_size, page.pages_count),
            (1, 100, 1)
        );
        assert_eq!(page.links.iter().count(), 1);

        let v13 = br#"{"entities":{"backupJobSessions":{"backupJobSessions":[{"name":"c"}]}},"pagingInfo":{"links":[],"pageNum":2,"pageSize":1,"pagesCount":3}}"#;
        let page: Page<R> = decode_page_json(v13, &QI, &LD, entities, Typed::new()).unwrap();
        assert_eq!(page.items[0].0, "c");
        assert_eq!(page.page_num, 2);

        let refs = ItemPath {
            wrapper: "Refs",
            list: None,
            item: "Ref",
        };
        let xml = br#"<QueryResult xmlns="http://www.veeam.com/ent/v1.0"><Refs><Ref Name="x"/><Ref Name="y"/></Refs><PagingInfo PageNum="1" PageSize="2" PagesCount="2"><Links><Link Rel="Next" Href="https://h/api/query?type=x&amp;page=2"/></Links></PagingInfo></QueryResult>"#;
        let page: Page<R> = decode_page_xml(xml, &QI, &LD, refs, Typed::new()).unwrap();
        assert_eq!(page.items.len(), 2);
        assert!(page.has_next());
        assert_eq!(
            page.links.find("Next", None, None).unwrap().href,
            "https://h/api/query?type=x&page=2"
        );
        // Empty result: no items, no error.
        let page: Page<R> =
            decode_page_xml(b"<QueryResult/>", &QI, &LD, refs, Typed::new()).unwrap();
        assert!(page.items.is_empty() && !page.has_next());
    }

    /// Pages read through a type entry's boxed decoders hold the values the typed reader
    /// gives, in XML and JSON; a bad item is the same error.
    #[test]
    fn dynamic_pages_are_the_typed_ones() {
        let dynamic = ItemFns::of::<R>();
        let tree = |r: &R| crate::to_node(r, R::ROOT);
        let entities = ItemPath {
            wrapper: "Entities",
            list: Some("BackupJobSessions"),
            item: "BackupJobSession",
        };
        let json = br#"{"Entities":{"BackupJobSessions":{"BackupJobSessions":[{"Name":"a"},{"Name":"b","X":1}]}},"PagingInfo":{"PageNum":1,"PageSize":2,"PagesCount":1}}"#;
        let typed: Page<R> = decode_page_json(json, &QI, &LD, entities, Typed::new()).unwrap();
        let dyns = decode_page_json(json, &QI, &LD, entities, dynamic).unwrap();
        assert_eq!(dyns.items.len(), 2);
        assert_eq!(dyns.page_size, 2);
        for (t, d) in typed.items.iter().zip(&dyns.items) {
            assert_eq!(tree(t), d.to_tree());
            assert_eq!(d.root(), "BackupJobSession");
        }
        let xml = br#"<QueryResult><Entities><BackupJobSessions><BackupJobSession Name="x"/><BackupJobSession Name="y"><Extra/></BackupJobSession></BackupJobSessions></Entities></QueryResult>"#;
        let typed: Page<R> = decode_page_xml(xml, &QI, &LD, entities, Typed::new()).unwrap();
        let dyns = decode_page_xml(xml, &QI, &LD, entities, dynamic).unwrap();
        assert_eq!(dyns.items.len(), 2);
        for (t, d) in typed.items.iter().zip(&dyns.items) {
            assert_eq!(tree(t), d.to_tree());
        }
        assert_eq!(
            dyns.items[1].unknown_paths(),
            vec!["BackupJobSession/Extra"]
        );
        let bad = br#"{"Entities":{"BackupJobSessions":{"BackupJobSessions":[{"Name":{"a":1}}]}}}"#;
        let typed =
            decode_page_json::<Typed<R>>(bad, &QI, &LD, entities, Typed::new()).unwrap_err();
        let Err(dyns) = decode_page_json(bad, &QI, &LD, entities, dynamic) else {
            panic!("a bad item fails the dynamic page too");
        };
        assert_eq!(typed, dyns);
    }
}
