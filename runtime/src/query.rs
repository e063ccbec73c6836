//! Query-service types that generated code refers to (builder and paging: runtime issue).

use std::borrow::Cow;
use std::marker::PhantomData;

use crate::node::{JsonKind, Node};
use crate::repr::{scalar_from_node, scalar_to_node, DecodeError, Repr, Scalar, Value};

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

/// A date-time as the server writes it (ISO 8601, UTC).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct DateTime(pub String);

impl Scalar for DateTime {
    fn parse_text(text: &str) -> Result<Self, String> {
        Ok(DateTime(text.trim().to_string()))
    }
    fn to_text(&self) -> Cow<'_, str> {
        Cow::Borrowed(&self.0)
    }
    fn json_kind() -> JsonKind {
        JsonKind::String
    }
}

impl Value for DateTime {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        scalar_from_node(node)
    }
    fn to_node(&self, name: &str) -> Node {
        scalar_to_node(self, name)
    }
}

impl std::fmt::Display for DateTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
