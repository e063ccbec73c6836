//! Static descriptions of operations and of an API, emitted by the generator.

/// HTTP verb of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    /// GET
    Get,
    /// POST
    Post,
    /// PUT
    Put,
    /// DELETE
    Delete,
}

impl Verb {
    /// The verb as written on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }

    /// True for verbs that may change server state.
    pub fn is_action(self) -> bool {
        !matches!(self, Verb::Get)
    }
}

/// What a successful answer of an operation holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Returns {
    /// Nothing to read.
    Nothing,
    /// A file's bytes ([`crate::Download`]).
    Download,
    /// A representation of the named spec type.
    Type(&'static str),
}

impl Returns {
    /// The spec type answered, when it is a representation.
    pub const fn type_name(&self) -> Option<&'static str> {
        match self {
            Returns::Type(t) => Some(t),
            _ => None,
        }
    }
    /// The form `emrest-codegen methods` prints: `-`, `bytes` or the type name.
    pub const fn as_str(&self) -> &'static str {
        match self {
            Returns::Nothing => "-",
            Returns::Download => "bytes",
            Returns::Type(t) => t,
        }
    }
}

/// One operation of a representation: which link to follow and how.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    /// Spec type that offers the operation.
    pub owner: &'static str,
    /// Relation of the link to follow.
    pub rel: &'static str,
    /// Link type narrowing the lookup, where the relation alone is ambiguous.
    pub link_type: Option<&'static str>,
    /// Link name narrowing the lookup.
    pub link_name: Option<&'static str>,
    /// Generated Rust method name (for messages).
    pub method: &'static str,
    /// HTTP verb.
    pub verb: Verb,
    /// `?action=` value, added when the link's Href does not carry it.
    pub action: Option<&'static str>,
    /// Extra query (`format=Entity`) added when the link's Href does not carry it.
    pub query: Option<&'static str>,
    /// Documented URL form (`/jobs/{ID}?action=start`).
    pub path: &'static str,
    /// Request body type, if any.
    pub request: Option<&'static str>,
    /// What a successful answer holds.
    pub returns: Returns,
    /// Success status codes.
    pub status: &'static [u16],
    /// True when the answer is an asynchronous task.
    pub task: bool,
    /// The XML body's own media type, sent instead of the API's.
    pub media: Option<&'static str>,
}

impl Op {
    /// An operation of `owner` (generated method `method`) following its `rel` link with
    /// `verb`. Chain the rest ([`Op::path`], [`Op::action`], [`Op::returns`], …). The success
    /// statuses default as the spec format says: 200 for a GET, 202 for a task
    /// ([`Op::task`]), any 2xx otherwise.
    pub const fn new(
        owner: &'static str,
        method: &'static str,
        rel: &'static str,
        verb: Verb,
    ) -> Self {
        Op {
            owner,
            rel,
            link_type: None,
            link_name: None,
            method,
            verb,
            action: None,
            query: None,
            path: "",
            request: None,
            returns: Returns::Nothing,
            status: if matches!(verb, Verb::Get) {
                &[200]
            } else {
                &[]
            },
            task: false,
            media: None,
        }
    }
    /// [`Op::new`] with GET.
    pub const fn get(owner: &'static str, method: &'static str, rel: &'static str) -> Self {
        Self::new(owner, method, rel, Verb::Get)
    }
    /// [`Op::new`] with POST.
    pub const fn post(owner: &'static str, method: &'static str, rel: &'static str) -> Self {
        Self::new(owner, method, rel, Verb::Post)
    }
    /// [`Op::new`] with PUT.
    pub const fn put(owner: &'static str, method: &'static str, rel: &'static str) -> Self {
        Self::new(owner, method, rel, Verb::Put)
    }
    /// [`Op::new`] with DELETE.
    pub const fn delete(owner: &'static str, method: &'static str, rel: &'static str) -> Self {
        Self::new(owner, method, rel, Verb::Delete)
    }
    /// The documented URL form (`/jobs/{ID}?action=start`).
    pub const fn path(mut self, p: &'static str) -> Self {
        self.path = p;
        self
    }
    /// The success statuses, where they are not the default.
    pub const fn status(mut self, s: &'static [u16]) -> Self {
        self.status = s;
        self
    }
    /// The link's type narrows the lookup.
    pub const fn link_type(mut self, t: &'static str) -> Self {
        self.link_type = Some(t);
        self
    }
    /// The link's name narrows the lookup.
    pub const fn link_name(mut self, n: &'static str) -> Self {
        self.link_name = Some(n);
        self
    }
    /// The `?action=` value.
    pub const fn action(mut self, a: &'static str) -> Self {
        self.action = Some(a);
        self
    }
    /// Extra query added when the Href lacks it.
    pub const fn query(mut self, q: &'static str) -> Self {
        self.query = Some(q);
        self
    }
    /// The XML body's own media type (`Content-Type`), where the API wants one per operation.
    pub const fn media(mut self, m: &'static str) -> Self {
        self.media = Some(m);
        self
    }
    /// The request body type.
    pub const fn body(mut self, t: &'static str) -> Self {
        self.request = Some(t);
        self
    }
    /// The answer is a representation of type `t`.
    pub const fn returns(mut self, t: &'static str) -> Self {
        self.returns = Returns::Type(t);
        self
    }
    /// The answer is a file ([`crate::Download`]).
    pub const fn download(mut self) -> Self {
        self.returns = Returns::Download;
        self
    }
    /// The answer is an asynchronous task (answered 202 unless [`Op::status`] follows).
    pub const fn task(mut self) -> Self {
        self.task = true;
        self.status = &[202];
        self
    }
}

/// What the runtime needs to know about an API; every name comes from the spec's `[api]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ApiInfo {
    /// Human name of the API.
    pub title: &'static str,
    /// XML namespace written on every root element.
    pub namespace: &'static str,
    /// Header that carries the session token.
    pub session_header: &'static str,
    /// Versions this client speaks, oldest first.
    pub versions: &'static [&'static str],
    /// Relation of the logon link on the entry point.
    pub logon_rel: &'static str,
    /// Type of the logon link and root of the logon answer.
    pub logon_type: &'static str,
    /// Logon URL relative to the entry point (newest version), used when the entry point
    /// document is not served (`404`), as some gateways do.
    pub logon_fallback: Option<&'static str>,
    /// Element of the entry point that lists one supported version (with its own links).
    pub version_element: &'static str,
    /// Attribute of `version_element` that names the version.
    pub version_attr: &'static str,
    /// Relation of the logon session's own delete link.
    pub logoff_rel: &'static str,
    /// Task representation.
    pub task: TaskInfo,
    /// Query service.
    pub query: QueryInfo,
    /// Error representation.
    pub error: ErrorInfo,
    /// How a neighbouring product that users confuse with this API answers.
    pub other_product: OtherProduct,
    /// How links are written (the link element, its attributes, their wrapper).
    pub links: crate::LinkDef,
    /// Where the API's own representations keep their links (each its own links field).
    pub own_links: OwnLinks,
    /// How an action is addressed when its link's target does not already say it.
    pub actions: ActionStyle,
    /// Media types sent in `Accept` and `Content-Type` (the newest version's).
    pub media: MediaTypes,
    /// The media types of each version, where they name it (`application/*+xml;version=…`):
    /// a session uses its negotiated version's.
    pub media_versions: &'static [(&'static str, MediaTypes)],
    /// The JSON member holding an element's own text (what XML writes as character data).
    pub json_text: &'static str,
    /// Statuses a logon answers with on success.
    pub logon_statuses: &'static [u16],
    /// Element of a version element whose text is that version's logon URL (Cloud
    /// Director's `LoginUrl`), when the entry point names logon URLs so rather than by link.
    pub logon_url_element: Option<&'static str>,
}

/// The link form of each representation the runtime reads as a tree: [`ApiInfo::links`]
/// with the wrapper of that type's own links field (or none, where its links are inline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OwnLinks {
    /// The entry point.
    pub entry: crate::LinkDef,
    /// A version element of the entry point.
    pub version: crate::LinkDef,
    /// The logon session.
    pub session: crate::LinkDef,
    /// A task.
    pub task: crate::LinkDef,
    /// The query service's paging element (the result's root when it is flat).
    pub paging: crate::LinkDef,
}

impl ApiInfo {
    /// The media types of `version` (the newest version's when it has none of its own).
    pub fn media_for(&'static self, version: Option<&str>) -> &'static MediaTypes {
        version
            .and_then(|v| {
                self.media_versions
                    .iter()
                    .find(|(name, _)| name.eq_ignore_ascii_case(v))
            })
            .map_or(&self.media, |(_, m)| m)
    }
}

/// How an action (an operation with an action name) is addressed on its link's target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionStyle {
    /// A query parameter of this name (`?action=start`).
    Query(&'static str),
    /// Path segments below the target: this prefix (possibly empty), then the action
    /// (`/action/powerOn`).
    Path(&'static str),
}

impl ActionStyle {
    /// `href` addressed to `action`: the parameter or the path segments added unless the
    /// target already names the action.
    pub fn apply(self, url: &mut url::Url, action: &str) {
        match self {
            ActionStyle::Query(key) => {
                if !url.query_pairs().any(|(k, _)| k.eq_ignore_ascii_case(key)) {
                    url.query_pairs_mut().append_pair(key, action);
                }
            }
            ActionStyle::Path(prefix) => {
                let last = url
                    .path_segments()
                    .and_then(|mut s| s.next_back().map(str::to_string));
                if last.is_some_and(|l| l.eq_ignore_ascii_case(action)) {
                    return;
                }
                if let Ok(mut segs) = url.path_segments_mut() {
                    segs.pop_if_empty();
                    if !prefix.is_empty() {
                        segs.extend(prefix.split('/').filter(|s| !s.is_empty()));
                    }
                    segs.push(action);
                }
            }
        }
    }

    /// The action a documented URL form (`/jobs/{ID}?action=start`, `/vApp/{ID}/action/deploy`)
    /// names, lower-cased, if it names one.
    pub fn action_of(self, form: &str) -> Option<String> {
        let no_fragment = form.split('#').next().unwrap_or(form);
        let (path, query) = no_fragment.split_once('?').unwrap_or((no_fragment, ""));
        match self {
            ActionStyle::Query(key) => query.split('&').find_map(|kv| {
                let (k, v) = kv.split_once('=')?;
                k.eq_ignore_ascii_case(key).then(|| v.to_ascii_lowercase())
            }),
            ActionStyle::Path(prefix) => {
                let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
                let pre: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
                let n = segs.len().checked_sub(pre.len() + 1)?;
                let fits = segs[n..n + pre.len()]
                    .iter()
                    .zip(&pre)
                    .all(|(a, b)| a.eq_ignore_ascii_case(b));
                (fits && !pre.is_empty()).then(|| segs[segs.len() - 1].to_ascii_lowercase())
            }
        }
    }
}

/// How a query filter is written: comparison operators, AND and OR separators, grouping,
/// and the quote around values (doubled inside them; empty: values unquoted, their
/// reserved characters percent-encoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterGrammar {
    /// Equal.
    pub eq: &'static str,
    /// Not equal.
    pub ne: &'static str,
    /// Less than.
    pub lt: &'static str,
    /// Less than or equal.
    pub le: &'static str,
    /// Greater than.
    pub gt: &'static str,
    /// Greater than or equal.
    pub ge: &'static str,
    /// Between terms that must all hold.
    pub and: &'static str,
    /// Between terms of which one must hold.
    pub or: &'static str,
    /// Opens a group.
    pub open: &'static str,
    /// Closes a group.
    pub close: &'static str,
    /// Around values.
    pub quote: &'static str,
    /// Date-times are written in UTC (`Z`); otherwise as the caller wrote them.
    pub utc_times: bool,
}

/// Media types of requests and answers; `{version}` stands for the newest version the
/// client speaks (`application/*+xml;version={version}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTypes {
    /// The XML media type.
    pub xml: &'static str,
    /// The JSON media type.
    pub json: &'static str,
}

/// How asynchronous tasks are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskInfo {
    /// Root element of a task.
    pub root: &'static str,
    /// Element holding the state.
    pub state: &'static str,
    /// State values that mean the task is done.
    pub done_states: &'static [&'static str],
    /// Element holding the result (the error, for APIs that only write one on failure).
    pub result: &'static str,
    /// Attribute of the result that tells success (empty: the result does not say).
    pub success: &'static str,
    /// Element of the result holding the message.
    pub message: &'static str,
    /// Element naming the operation.
    pub operation: &'static str,
    /// Relation of the link to the object the task affected.
    pub related_rel: &'static str,
    /// State values that mean the task ended in failure (whatever its result says).
    pub failed_states: &'static [&'static str],
    /// What a task that vanished while polled (`404`) means.
    pub vanished: Vanished,
    /// Element of the task whose target attribute names the affected object (Cloud
    /// Director's `<Owner href=…/>`), used instead of links of `related_rel` when set.
    pub related_element: Option<&'static str>,
}

/// What a task that is no longer found while it is polled means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vanished {
    /// It is lost: the wait fails with [`crate::Error::TaskLost`].
    Lost,
    /// It finished and was cleaned up: the wait succeeds with the task as last seen.
    Done,
}

/// How the query service is called and answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryInfo {
    /// Path of the query endpoint relative to the base URL (`query`).
    pub path: &'static str,
    /// Root of a query result.
    pub result_root: &'static str,
    /// Element holding references.
    pub refs: &'static str,
    /// Element of one reference.
    pub ref_item: &'static str,
    /// Element holding entity lists.
    pub entities: &'static str,
    /// Element holding paging information.
    pub paging: &'static str,
    /// Default page size of the server.
    pub default_page_size: u32,
    /// Names of the query parameters.
    pub params: QueryParams,
    /// Attribute (or element) of the paging element holding the page number.
    pub page_num: &'static str,
    /// … holding the page size.
    pub page_size: &'static str,
    /// … holding the number of pages.
    pub pages_count: &'static str,
    /// Relations of the paging links.
    pub rels: PagingRels,
    /// Items, paging attributes and links sit directly under the result's root (instead
    /// of in the `refs`/`entities` wrappers and the `paging` element).
    pub flat: bool,
    /// The paging count counts records, not pages.
    pub count_is_records: bool,
    /// How filters are written.
    pub filter: FilterGrammar,
}

/// Relations of the links between pages of a query result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PagingRels {
    /// The first page.
    pub first: &'static str,
    /// The previous page.
    pub previous: &'static str,
    /// The next page.
    pub next: &'static str,
    /// The last page.
    pub last: &'static str,
}

/// The query service's parameter names (and the `format` value that asks for entities).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QueryParams {
    /// Names the queried type.
    pub type_: &'static str,
    /// Chooses references or entities.
    pub format: &'static str,
    /// The `format` value that asks for entities.
    pub entities: &'static str,
    /// Carries the filter.
    pub filter: &'static str,
    /// Sorts ascending by a field.
    pub sort_asc: &'static str,
    /// Sorts descending by a field.
    pub sort_desc: &'static str,
    /// Page size.
    pub page_size: &'static str,
    /// Page number.
    pub page: &'static str,
}

/// Signs that a base URL answers like another product (for the wrong-product error).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OtherProduct {
    /// Ports that product listens on.
    pub ports: &'static [u16],
    /// Substrings of its URL paths.
    pub path_markers: &'static [&'static str],
    /// Response headers it sends.
    pub headers: &'static [&'static str],
}

/// How error bodies are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorInfo {
    /// Root element.
    pub root: &'static str,
    /// Attribute or element with the message.
    pub message: &'static str,
    /// Attribute or element with the status code.
    pub status: &'static str,
    /// Element with the inner exception message.
    pub detail: &'static str,
}

/// A generated API: the marker type that ties a client to its spec.
pub trait Api: Send + Sync + 'static {
    /// The API description.
    const INFO: &'static ApiInfo;

    /// The usual entry-point URL, with `{host}` standing for the host the user gave
    /// (EM: `https://{host}:9398/api/`); used in the hint of [`crate::Error::WrongProduct`].
    const ENTRY_URL_HINT: Option<&'static str> = None;
}
