//! The intermediate representation: a checked spec, resolved into what to generate.

/// A checked spec.
#[derive(Debug, Clone, PartialEq)]
pub struct Ir {
    /// Generic conventions of the API.
    pub api: ApiIr,
    /// Enumerations, by name.
    pub enums: Vec<EnumIr>,
    /// Representations, by name.
    pub types: Vec<TypeIr>,
}

/// `[api]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiIr {
    /// Human name.
    pub title: String,
    /// XML namespace.
    pub namespace: String,
    /// Session token header.
    pub session_header: String,
    /// Versions, oldest first.
    pub versions: Vec<String>,
    /// Usual entry-point URL, `{host}` standing for the server name.
    pub entry_url: Option<String>,
    /// Entry-point type.
    pub entry: String,
    /// Logon-session type.
    pub session: String,
    /// How a client logs on (the runtime's `ApiInfo` logon fields).
    pub logon: LogonIr,
    /// Relation of the session's delete link.
    pub logoff_rel: String,
    /// The task representation (the runtime's `TaskInfo`).
    pub task: TaskIr,
    /// The query service (the runtime's `QueryInfo`).
    pub query: QueryServiceIr,
    /// The error representation (the runtime's `ErrorInfo`).
    pub error: ErrorIr,
    /// Signs of a neighbouring product (the runtime's `OtherProduct`).
    pub other_product: crate::spec::OtherProductSpec,
    /// How links are written.
    pub links: crate::spec::LinksSpec,
    /// How actions are addressed.
    pub actions: ActionsIr,
    /// Media types, `{version}` replaced by the newest version.
    pub media: crate::spec::MediaSpec,
    /// Each version's media types, where they name the version (`{version}`).
    pub media_versions: Vec<(String, crate::spec::MediaSpec)>,
    /// The JSON member of an element's own text.
    pub json_text: String,
}

/// How an action is addressed on its link's target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ActionsIr {
    /// A query parameter of this name.
    Query(String),
    /// Path segments: this prefix, then the action.
    Path(String),
}

/// `[api.logon]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct LogonIr {
    /// Logon relation.
    pub rel: String,
    /// Logon link type.
    pub type_: String,
    /// Logon URL, relative to the entry point, when the entry point is not served.
    pub fallback: Option<String>,
    /// Version element of the entry point.
    pub version_element: String,
    /// Version name attribute.
    pub version_attr: String,
    /// Statuses of a successful logon.
    pub statuses: Vec<u16>,
    /// Element whose text is a version's logon URL.
    pub url_element: Option<String>,
}

/// `[api.task]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskIr {
    /// Task type.
    pub type_: String,
    /// State element.
    pub state: String,
    /// Done states.
    pub done: Vec<String>,
    /// Result element.
    pub result: String,
    /// Success attribute.
    pub success: String,
    /// Message element.
    pub message: String,
    /// Operation element.
    pub operation: String,
    /// Relation of the links to what the task affected.
    pub related: String,
    /// Failure states.
    pub failed: Vec<String>,
    /// What a vanished task means.
    pub vanished: crate::spec::VanishedSpec,
    /// Element naming the affected object by its target attribute.
    pub related_element: Option<String>,
}

/// `[api.query]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryServiceIr {
    /// Path of the query service.
    pub path: String,
    /// Result type.
    pub result: String,
    /// Reference type of reference results.
    pub reference: String,
    /// Refs element.
    pub refs: String,
    /// Ref item element.
    pub ref_item: String,
    /// Entities element.
    pub entities: String,
    /// Paging element.
    pub paging: String,
    /// Default page size.
    pub page_size: u32,
    /// Query parameter names.
    pub params: crate::spec::QueryParamsSpec,
    /// Paging attribute names.
    pub paging_attrs: crate::spec::PagingAttrsSpec,
    /// Paging link relations.
    pub paging_rels: crate::spec::PagingRelsSpec,
    /// Where items, paging numbers and links sit.
    pub shape: crate::spec::QueryShape,
    /// What the paging count counts.
    pub paging_count: crate::spec::PagingCount,
    /// The filter grammar.
    pub filter: crate::spec::FilterSpec,
}

/// `[api.error]`, resolved.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorIr {
    /// Error type.
    pub type_: String,
    /// Message name.
    pub message: String,
    /// Status name.
    pub status: String,
    /// Detail name.
    pub detail: String,
}

/// An enumeration.
#[derive(Debug, Clone, PartialEq)]
pub struct EnumIr {
    /// Spec and Rust name.
    pub name: String,
    /// Documentation.
    pub doc: Option<String>,
    /// `(wire value, Rust variant)` in declaration order.
    pub values: Vec<(String, String)>,
}

/// A representation.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeIr {
    /// Spec and Rust name.
    pub name: String,
    /// XML root element.
    pub root: String,
    /// Documentation.
    pub doc: Option<String>,
    /// Documented URL form.
    pub path: Option<String>,
    /// Fields in schema order.
    pub fields: Vec<FieldIr>,
    /// Operations offered through links.
    pub ops: Vec<OpIr>,
    /// Query-service facts, when the type is queryable.
    pub query: Option<QueryIr>,
    /// Index of the string attribute holding the representation's own URL (the attribute
    /// `[api.links] href` names), if it has one.
    pub href: Option<usize>,
}

impl TypeIr {
    /// The Rust name of the field holding links, if any.
    pub fn links_field(&self) -> Option<&FieldIr> {
        self.fields.iter().find(|f| f.is_links())
    }

    /// The field holding the representation's own URL, if any.
    pub fn href_field(&self) -> Option<&FieldIr> {
        self.href.map(|i| &self.fields[i])
    }
}

/// Query-service facts of a type.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryIr {
    /// `type=` value.
    pub name: String,
    /// Element listing entities of this type.
    pub plural: String,
    /// Filterable fields: `(name, value type)`.
    pub fields: Vec<(String, Ty)>,
}

/// A field.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldIr {
    /// XML name.
    pub xml: String,
    /// Rust name.
    pub rust: String,
    /// Value type.
    pub ty: Ty,
    /// How it is written.
    pub shape: Shape,
    /// May be absent.
    pub optional: bool,
    /// A text attribute whose value is usually one of the API's names: the representation's
    /// own type, the attribute `[api.links] type` names. Its struct field is a `SharedStr`
    /// read as a name: borrowed from the generated `Api::LINK_NAME_SET` when the value is
    /// one of its names (no text written per representation), decoded text otherwise.
    pub interned: bool,
    /// An optional element of a large type (over [`BOX_ABOVE`] bytes inline, estimated):
    /// held as `Option<Box<T>>`, so that a representation without it does not carry its
    /// room and a list of such representations stays compact.
    pub boxed: bool,
    /// Documentation.
    pub doc: Option<String>,
}

/// Estimated inline size, in bytes, above which an optional element's type is boxed.
pub const BOX_ABOVE: usize = 256;

/// Marks the optional elements of large types as boxed ([`FieldIr::boxed`]), inner types
/// first: a type's size counts its own boxed blocks as a pointer each.
pub fn box_large_blocks(types: &mut [TypeIr]) {
    let index: std::collections::HashMap<String, usize> = types
        .iter()
        .enumerate()
        .map(|(i, t)| (t.name.clone(), i))
        .collect();
    let mut sizes: Vec<Option<usize>> = vec![None; types.len()];
    for i in 0..types.len() {
        type_size(types, &index, &mut sizes, &mut Vec::new(), i);
    }
}

/// The estimated inline size of `types[i]` (with its fields' `boxed` set); a type met again
/// while it is measured (a cycle) counts as a pointer.
fn type_size(
    types: &mut [TypeIr],
    index: &std::collections::HashMap<String, usize>,
    sizes: &mut Vec<Option<usize>>,
    open: &mut Vec<usize>,
    i: usize,
) -> usize {
    if let Some(s) = sizes[i] {
        return s;
    }
    if open.contains(&i) {
        return 8;
    }
    open.push(i);
    // The kept unknown content: one pointer.
    let mut size = 8;
    for f in 0..types[i].fields.len() {
        let field = &types[i].fields[f];
        let inner = match (&field.ty, &field.shape) {
            (Ty::Type(n), Shape::Single) => index.get(n).copied(),
            _ => None,
        };
        let optional = field.optional;
        let s = match inner {
            Some(j) => {
                let inner_size = type_size(types, index, sizes, open, j);
                let boxed = optional && inner_size > BOX_ABOVE;
                types[i].fields[f].boxed = boxed;
                match (boxed, optional) {
                    (true, _) => 8,
                    (false, true) => inner_size + 8,
                    (false, false) => inner_size,
                }
            }
            None => field_size(field),
        };
        size += s;
    }
    open.pop();
    sizes[i] = Some(size);
    size
}

/// The estimated inline size of a field that is not an element of a spec type.
fn field_size(f: &FieldIr) -> usize {
    match (&f.shape, &f.ty) {
        (Shape::List { .. } | Shape::Wrapped { .. }, _) => 24,
        (_, Ty::Bool | Ty::Int | Ty::Long | Ty::Double) => 8 + 8 * usize::from(f.optional),
        (_, Ty::Link) => 72,
        // Strings, date-times (their text), enums (a text of their own beside the variants),
        // links lists, spec types not in this spec: three words.
        _ => 24,
    }
}

impl FieldIr {
    /// Whether the field holds the representation's links: a wrapper element of links, or
    /// (APIs without a wrapper) the repeated link elements.
    pub fn is_links(&self) -> bool {
        self.ty == Ty::Links && matches!(self.shape, Shape::Single | Shape::List { .. })
    }

    /// JSON: the member holding a wrapped list's items inside its wrapper object — the
    /// spec's `json`, else the plural of the item name; empty for a list of scalars (a bare
    /// array). `None` for fields that are not wrapped lists.
    pub fn json_items(&self) -> Option<String> {
        match &self.shape {
            Shape::Wrapped { json: Some(j), .. } => Some(j.clone()),
            Shape::Wrapped { .. } if self.ty.is_scalar() => Some(String::new()),
            Shape::Wrapped { item, .. } => Some(crate::names::plural(item)),
            _ => None,
        }
    }
}

/// How a field is written in a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Shape {
    /// One child element.
    Single,
    /// An attribute.
    Attr,
    /// The element's character data.
    Text,
    /// Repeated child elements; in JSON an array under `json` (or the element name).
    List {
        /// JSON member name.
        json: Option<String>,
    },
    /// Items inside a wrapper element named after the field.
    Wrapped {
        /// Item element name.
        item: String,
        /// JSON: the array member inside the wrapper object (default: the item name plus
        /// `s`; a list of scalars is a bare array).
        json: Option<String>,
    },
}

/// A value type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ty {
    /// Text.
    String,
    /// Text that is a secret (a password, a token): never shown by `Debug`, zeroed on drop.
    Secret,
    /// Boolean.
    Bool,
    /// 32-bit integer.
    Int,
    /// 64-bit integer.
    Long,
    /// Floating point.
    Double,
    /// Date-time.
    DateTime,
    /// A link list.
    Links,
    /// One link.
    Link,
    /// A spec enum.
    Enum(String),
    /// A spec type.
    Type(String),
}

impl Ty {
    /// True for values written as text (usable as attributes and query values).
    pub fn is_scalar(&self) -> bool {
        !matches!(self, Ty::Links | Ty::Link | Ty::Type(_))
    }

    /// The spec name of a builtin, or the type's name.
    pub fn spec_name(&self) -> &str {
        match self {
            Ty::String => "string",
            Ty::Secret => "secret",
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Long => "long",
            Ty::Double => "double",
            Ty::DateTime => "datetime",
            Ty::Links => "Links",
            Ty::Link => "Link",
            Ty::Enum(n) | Ty::Type(n) => n,
        }
    }
}

/// The HTTP verbs a spec may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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
    /// Parses an upper-case verb.
    pub fn parse(s: &str) -> Option<Verb> {
        match s {
            "GET" => Some(Verb::Get),
            "POST" => Some(Verb::Post),
            "PUT" => Some(Verb::Put),
            "DELETE" => Some(Verb::Delete),
            _ => None,
        }
    }

    /// The verb as written.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
        }
    }
}

/// What an operation answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Returns {
    /// No body.
    Nothing,
    /// A representation.
    Type(String),
    /// Raw bytes (downloads).
    Bytes,
}

/// An operation offered through a link.
#[derive(Debug, Clone, PartialEq)]
pub struct OpIr {
    /// Relation.
    pub rel: String,
    /// Link type to match.
    pub link_type: Option<String>,
    /// Link name to match.
    pub link_name: Option<String>,
    /// Rust method name.
    pub method: String,
    /// Verb.
    pub verb: Verb,
    /// `?action=` value.
    pub action: Option<String>,
    /// Extra query.
    pub query: Option<String>,
    /// Documented URL form.
    pub path: String,
    /// Request body type.
    pub body: Option<String>,
    /// Response.
    pub returns: Returns,
    /// Success status codes.
    pub status: Vec<u16>,
    /// Answer is a task.
    pub task: bool,
    /// Typed query arguments (empty for most operations).
    pub params: Vec<ParamIr>,
    /// The XML body's own media type, where the API wants one per operation.
    pub media: Option<String>,
    /// Documentation.
    pub doc: Option<String>,
}

/// One typed query argument of an operation.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamIr {
    /// Name in the query, as the API writes it.
    pub name: String,
    /// Rust field name.
    pub field: String,
    /// Value type.
    pub ty: ParamTy,
    /// Documentation.
    pub doc: Option<String>,
}

/// The value type of a query argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamTy {
    /// Text, escaped in the query.
    Str,
    /// `true` / `false`.
    Bool,
    /// A decimal integer.
    Int,
}

/// The name of the generated struct of an operation's query arguments.
pub fn args_struct_name(owner: &str, method: &str) -> String {
    format!("{owner}{}Args", crate::names::variant(method))
}

impl Ir {
    /// The type named `name`.
    pub fn type_named(&self, name: &str) -> Option<&TypeIr> {
        self.types.iter().find(|t| t.name == name)
    }
}
