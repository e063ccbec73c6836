//! The spec file as written: a serde model of the TOML, with source spans for diagnostics.
//!
//! Only shape is checked here (unknown keys, wrong value types); meaning is checked in
//! [`crate::check`]. The format is documented key by key in `spec/README.md`.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

/// A whole spec file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpecFile {
    /// Generic conventions of the API, named.
    pub api: Spanned<ApiSpec>,
    /// The relation table: relation name → verb.
    #[serde(default)]
    pub relations: BTreeMap<String, Spanned<RelationSpec>>,
    /// Enumerations.
    #[serde(default)]
    pub enums: BTreeMap<String, Spanned<EnumSpec>>,
    /// Representations.
    #[serde(default)]
    pub types: BTreeMap<String, Spanned<TypeSpec>>,
}

/// `[api]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiSpec {
    /// Human name of the API.
    pub title: String,
    /// XML namespace of every root element.
    #[serde(default)]
    pub namespace: String,
    /// Header carrying the session token.
    pub session_header: String,
    /// Versions the client speaks, oldest first.
    #[serde(default)]
    pub versions: Vec<String>,
    /// Usual entry-point URL, `{host}` standing for the server name (used in hints).
    #[serde(default)]
    pub entry_url: Option<String>,
    /// Type served at the base URL.
    pub entry: Spanned<String>,
    /// Type of the logon session, whose links are the session's service document.
    pub session: Spanned<String>,
    /// How to log on.
    pub logon: LogonSpec,
    /// Relation of the logon session's own delete link.
    #[serde(default = "default_logoff")]
    pub logoff_rel: String,
    /// Asynchronous tasks.
    pub task: TaskSpec,
    /// The query service.
    pub query: QuerySpec,
    /// Error bodies.
    pub error: ErrorSpec,
    /// How a neighbouring product that users confuse with this API answers (optional).
    #[serde(default)]
    pub other_product: OtherProductSpec,
    /// How links are written: the link element, its attributes and their wrapper.
    pub links: LinksSpec,
    /// How an action is addressed on its link's target.
    pub actions: ActionsSpec,
    /// Media types of requests and answers (default `application/xml`, `application/json`).
    #[serde(default)]
    pub media: MediaSpec,
    /// The JSON member holding an element's own text (default `Value`).
    #[serde(default = "default_json_text")]
    pub json_text: String,
}

fn default_json_text() -> String {
    "Value".into()
}

/// `[api.links]`
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct LinksSpec {
    /// Element wrapping a representation's links (`Links`); absent: links are repeated
    /// link elements directly under the representation.
    #[serde(default)]
    pub wrapper: Option<String>,
    /// The link element (`Link`).
    pub element: String,
    /// Attribute of the relation (`Rel`, `rel`).
    pub rel: String,
    /// Attribute of the target URL (`Href`, `href`); also a representation's own URL.
    pub href: String,
    /// Attribute of the target's name.
    pub name: String,
    /// Attribute of the target's media or representation type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Relations and link types the API writes that no operation or type of the spec names
    /// (EM's `XReference` types of lists read as `EntityReferences`). With the operations'
    /// relations and types and the types' names they make the table a decoded link borrows
    /// its `rel` and `type_` from (`Api::LINK_NAMES`); a value outside it is allocated.
    #[serde(default)]
    pub names: Vec<String>,
}

/// `[api.actions]`: exactly one of `query` and `path`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ActionsSpec {
    /// Actions are a query parameter of this name (`?action=start`).
    #[serde(default)]
    pub query: Option<String>,
    /// Actions are path segments below the target: this prefix (may be empty), then the
    /// action name (`/action/powerOn`).
    #[serde(default)]
    pub path: Option<String>,
}

/// `[api.media]`; `{version}` stands for the newest of `versions`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MediaSpec {
    /// XML media type.
    #[serde(default = "default_xml_media")]
    pub xml: String,
    /// JSON media type.
    #[serde(default = "default_json_media")]
    pub json: String,
}

impl Default for MediaSpec {
    fn default() -> Self {
        MediaSpec {
            xml: default_xml_media(),
            json: default_json_media(),
        }
    }
}

fn default_xml_media() -> String {
    "application/xml".into()
}

fn default_json_media() -> String {
    "application/json".into()
}

fn default_logoff() -> String {
    "Delete".into()
}

/// `[api.logon]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogonSpec {
    /// Relation of the logon link on the entry point.
    pub rel: String,
    /// Link type of the logon link.
    #[serde(rename = "type")]
    pub type_: String,
    /// Element of the entry point naming one supported version.
    #[serde(default)]
    pub version_element: String,
    /// Attribute of that element holding the version name.
    #[serde(default)]
    pub version_attr: String,
    /// Logon URL (relative to the entry point, newest version) used when the entry point
    /// document is not served (optional).
    #[serde(default)]
    pub fallback: Option<String>,
    /// Statuses of a successful logon (default 200 and 201).
    #[serde(default = "default_logon_statuses")]
    pub statuses: Vec<u16>,
    /// Element of a version element whose text is its logon URL (optional; Cloud
    /// Director's `LoginUrl`), read when the version element has no logon link.
    #[serde(default)]
    pub url_element: Option<String>,
}

fn default_logon_statuses() -> Vec<u16> {
    vec![200, 201]
}

/// `[api.task]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskSpec {
    /// Task representation type.
    #[serde(rename = "type")]
    pub type_: Spanned<String>,
    /// Element holding the state.
    pub state: String,
    /// States meaning done.
    pub done: Vec<String>,
    /// Element holding the result.
    pub result: String,
    /// Attribute of the result telling success.
    pub success: String,
    /// Element of the result holding the message.
    pub message: String,
    /// Element naming the operation.
    pub operation: String,
    /// Relation of the link to the affected object.
    pub related: String,
    /// States meaning the task ended in failure (default none: the result tells).
    #[serde(default)]
    pub failed: Vec<String>,
    /// What a task that vanished while polled means: `lost` (default) or `done`.
    #[serde(default)]
    pub vanished: VanishedSpec,
    /// Element whose target attribute names the affected object, instead of links of
    /// `related` (optional; Cloud Director's `Owner`).
    #[serde(default)]
    pub related_element: Option<String>,
}

/// `[api.task] vanished`
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum VanishedSpec {
    /// The task is lost (an error).
    #[default]
    Lost,
    /// The task finished and was removed.
    Done,
}

/// `[api.query]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    /// Query endpoint path relative to the base URL.
    pub path: String,
    /// Query result type.
    pub result: Spanned<String>,
    /// Reference type returned when entities are not asked for.
    pub reference: Spanned<String>,
    /// Element holding references.
    pub refs: String,
    /// Element of one reference.
    pub ref_item: String,
    /// Element holding entity lists.
    pub entities: String,
    /// Element holding paging information.
    pub paging: String,
    /// Server default page size.
    pub page_size: u32,
    /// Names of the query parameters.
    pub params: QueryParamsSpec,
    /// Names of the paging element's page number, page size and page count.
    pub paging_attrs: PagingAttrsSpec,
    /// Relations of the links between pages.
    pub paging_rels: PagingRelsSpec,
    /// Where a result's items, paging numbers and links sit: `nested` (default: items in
    /// the `refs`/`entities` wrappers, numbers and links in the `paging` element) or `flat`
    /// (items, paging attributes and links directly under the result's root).
    #[serde(default)]
    pub shape: QueryShape,
    /// What `paging_attrs.count` counts: `pages` (default) or `records`.
    #[serde(default)]
    pub paging_count: PagingCount,
    /// How filters are written (default: FIQL's `==`, `!=`, `;`, `,` and parentheses, with
    /// `<`, `<=`, `>`, `>=` and double-quoted values).
    #[serde(default)]
    pub filter: FilterSpec,
}

/// `[api.query] filter`: the filter grammar; every key has the default shown.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct FilterSpec {
    /// Equal (`==`).
    pub eq: String,
    /// Not equal (`!=`).
    pub ne: String,
    /// Less than (`<`).
    pub lt: String,
    /// Less than or equal (`<=`).
    pub le: String,
    /// Greater than (`>`).
    pub gt: String,
    /// Greater than or equal (`>=`).
    pub ge: String,
    /// AND separator (`;`).
    pub and: String,
    /// OR separator (`,`).
    pub or: String,
    /// Opens a group (`(`).
    pub open: String,
    /// Closes a group (`)`).
    pub close: String,
    /// Quote around values, doubled inside them (`"`); empty: unquoted values with their
    /// reserved characters percent-encoded.
    pub quote: String,
    /// How date-times are written: `utc` (rewritten to `Z`) or `as_written`.
    pub times: FilterTimes,
}

/// `[api.query] filter.times`
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum FilterTimes {
    /// Rewritten to UTC.
    #[default]
    Utc,
    /// As the caller wrote them, offset included.
    AsWritten,
}

impl Default for FilterSpec {
    fn default() -> Self {
        let s = |v: &str| v.to_string();
        FilterSpec {
            eq: s("=="),
            ne: s("!="),
            lt: s("<"),
            le: s("<="),
            gt: s(">"),
            ge: s(">="),
            and: s(";"),
            or: s(","),
            open: s("("),
            close: s(")"),
            quote: s("\""),
            times: FilterTimes::Utc,
        }
    }
}

/// `[api.query] shape`
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum QueryShape {
    /// Items inside wrapper elements, paging in its own element.
    #[default]
    Nested,
    /// Items, paging attributes and links directly under the root.
    Flat,
}

/// `[api.query] paging_count`
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PagingCount {
    /// The count is the number of pages.
    #[default]
    Pages,
    /// The count is the number of records (pages = records / page size, rounded up).
    Records,
}

/// `[api.query] paging_rels`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingRelsSpec {
    /// The first page.
    pub first: String,
    /// The previous page.
    pub previous: String,
    /// The next page.
    pub next: String,
    /// The last page.
    pub last: String,
}

/// `[api.query] params`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParamsSpec {
    /// Names the queried type.
    #[serde(rename = "type")]
    pub type_: String,
    /// Chooses references or entities.
    pub format: String,
    /// The `format` value that asks for entities.
    pub entities: String,
    /// Carries the filter.
    pub filter: String,
    /// Ascending sort.
    pub sort_asc: String,
    /// Descending sort.
    pub sort_desc: String,
    /// Page size.
    pub page_size: String,
    /// Page number.
    pub page: String,
}

/// `[api.query] paging_attrs`
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PagingAttrsSpec {
    /// Page number.
    pub num: String,
    /// Page size.
    pub size: String,
    /// Number of pages.
    pub count: String,
}

/// `[api.other_product]`: signs that a URL answers like a neighbouring product.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtherProductSpec {
    /// Ports it listens on.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Substrings of its URL paths.
    #[serde(default)]
    pub path_markers: Vec<String>,
    /// Response headers it sends.
    #[serde(default)]
    pub headers: Vec<String>,
}

/// `[api.error]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorSpec {
    /// Error representation type.
    #[serde(rename = "type")]
    pub type_: Spanned<String>,
    /// Attribute or element with the message.
    pub message: String,
    /// Attribute or element with the status code.
    pub status: String,
    /// Element with the inner exception message.
    pub detail: String,
}

/// `[relations.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelationSpec {
    /// HTTP verb.
    pub verb: Spanned<String>,
    /// What the relation means.
    #[serde(default)]
    pub doc: Option<String>,
}

/// `[enums.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumSpec {
    /// Values in declaration order.
    pub values: Vec<Spanned<String>>,
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
}

/// `[types.NAME]`
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypeSpec {
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
    /// XML root element (default: the type name).
    #[serde(default)]
    pub root: Option<String>,
    /// Documented URL form of the representation.
    #[serde(default)]
    pub path: Option<String>,
    /// Query-service type name.
    #[serde(default)]
    pub query: Option<String>,
    /// Element under the query result's entities listing this type.
    #[serde(default)]
    pub query_plural: Option<String>,
    /// Filterable fields of the query service.
    #[serde(default)]
    pub query_fields: Vec<Spanned<QueryFieldSpec>>,
    /// Fields in schema order.
    #[serde(default)]
    pub fields: Vec<Spanned<FieldSpec>>,
    /// Links the type can offer, as operations.
    #[serde(default)]
    pub links: Vec<Spanned<LinkSpec>>,
}

/// One entry of `query_fields`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryFieldSpec {
    /// Name in the filter grammar.
    pub name: Spanned<String>,
    /// Value type.
    #[serde(rename = "type")]
    pub type_: Spanned<String>,
}

/// One entry of `fields`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldSpec {
    /// XML name (element or attribute).
    pub name: Spanned<String>,
    /// Rust field name (default: snake case of `name`).
    #[serde(default)]
    pub rust: Option<Spanned<String>>,
    /// Value type.
    #[serde(rename = "type")]
    pub type_: Spanned<String>,
    /// An attribute rather than an element.
    #[serde(default)]
    pub attr: bool,
    /// May be absent.
    #[serde(default)]
    pub optional: bool,
    /// Repeated without a wrapper element.
    #[serde(default)]
    pub repeated: bool,
    /// A list inside the wrapper element `name`, one `item` element per value.
    #[serde(default)]
    pub item: Option<Spanned<String>>,
    /// JSON member name of an unwrapped repeated field.
    #[serde(default)]
    pub json: Option<String>,
    /// The element's own character data.
    #[serde(default)]
    pub text: bool,
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
}

/// One entry of `links`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// Relation.
    pub rel: Spanned<String>,
    /// Link `Type` to match (and the type of the target).
    #[serde(rename = "type", default)]
    pub type_: Option<String>,
    /// Link `Name` to match.
    #[serde(default)]
    pub name: Option<String>,
    /// Rust method name (default: snake case of `rel`).
    #[serde(default)]
    pub method: Option<Spanned<String>>,
    /// Verb override, where the documentation says so.
    #[serde(default)]
    pub verb: Option<Spanned<String>>,
    /// `?action=` value.
    #[serde(default)]
    pub action: Option<String>,
    /// Extra query added when the Href lacks it (`format=Entity`).
    #[serde(default)]
    pub query: Option<String>,
    /// Documented URL form.
    #[serde(default)]
    pub path: Option<String>,
    /// Request body type.
    #[serde(default)]
    pub body: Option<Spanned<String>>,
    /// Response type (`bytes` for raw content).
    #[serde(default)]
    pub returns: Option<Spanned<String>>,
    /// Success status codes.
    #[serde(default)]
    pub status: Vec<u16>,
    /// The answer is an asynchronous task.
    #[serde(default)]
    pub task: bool,
    /// Typed query arguments the caller may add (`/lookup?host=…&name=…`).
    #[serde(default)]
    pub params: Vec<Spanned<ParamSpec>>,
    /// The XML body's own media type, sent as its `Content-Type` instead of `[api.media]`
    /// (Cloud Director's `application/vnd.vmware.vcloud.deployVAppParams+xml`).
    #[serde(default)]
    pub media: Option<String>,
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
}

/// One query argument of an operation (`params` of a link).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamSpec {
    /// Name as the API writes it in the query (`host`, `deleteJobs`).
    pub name: Spanned<String>,
    /// `string` (the default), `bool` or `int`.
    #[serde(rename = "type", default)]
    pub type_: Option<Spanned<String>>,
    /// Documentation.
    #[serde(default)]
    pub doc: Option<String>,
}
