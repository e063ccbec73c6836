//! Hypermedia links: `<Link Rel="…" Href="…" Type="…" Name="…"/>` and their lookup.

use std::borrow::Cow;

use crate::node::Node;
use crate::repr::{DecodeError, Encoder, Value};

/// One link a representation offers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Link {
    /// Relation (`Start`, `Down`, `Alternate`, …).
    pub rel: String,
    /// Target URL, absolute as the server wrote it.
    pub href: String,
    /// Target representation type (`JobReference`, `TaskList`, …); absent on action links.
    pub type_: Option<String>,
    /// Human name of the target, when the server gives one.
    pub name: Option<String>,
}

impl Value for Link {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        let get = |k: &str| node.scalar(k).filter(|v| !v.is_empty()).map(str::to_string);
        Ok(Link {
            rel: get("Rel").ok_or_else(|| DecodeError::new("link without `Rel`"))?,
            href: get("Href").ok_or_else(|| DecodeError::new("link without `Href`"))?,
            type_: get("Type"),
            name: get("Name"),
        })
    }

    fn to_node(&self, name: &str) -> Node {
        let mut e = Encoder::new(name);
        e.attr("Rel", &self.rel);
        e.attr("Href", &self.href);
        e.opt_attr("Type", &self.type_);
        e.opt_attr("Name", &self.name);
        e.finish()
    }
}

/// The `Links` list of a representation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(pub Vec<Link>);

impl Value for Links {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        crate::repr::wrapped_items(node, "Link").map(Links)
    }

    fn to_node(&self, name: &str) -> Node {
        let mut w = Node::new(name);
        w.array = true;
        w.children = self.0.iter().map(|l| l.to_node("Link")).collect();
        w
    }
}

/// Why a link lookup failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkLookupError {
    /// No link matched.
    NotOffered,
    /// Several links matched and nothing tells them apart.
    Ambiguous(Vec<Link>),
}

impl Links {
    /// All links.
    pub fn iter(&self) -> impl Iterator<Item = &Link> {
        self.0.iter()
    }

    /// The single link with relation `rel`, narrowed by `type_` and `name` when given
    /// (all ASCII case-insensitive). Several matches are an error, never a guess.
    pub fn find(
        &self,
        rel: &str,
        type_: Option<&str>,
        name: Option<&str>,
    ) -> Result<&Link, LinkLookupError> {
        let eq = |a: &Option<String>, b: Option<&str>| match b {
            None => true,
            Some(b) => a.as_deref().is_some_and(|a| a.eq_ignore_ascii_case(b)),
        };
        let mut found = self.0.iter().filter(|l| {
            l.rel.eq_ignore_ascii_case(rel) && eq(&l.type_, type_) && eq(&l.name, name)
        });
        let first = found.next().ok_or(LinkLookupError::NotOffered)?;
        let rest: Vec<&Link> = found.filter(|l| l.href != first.href).collect();
        if rest.is_empty() {
            Ok(first)
        } else {
            let mut all = vec![first.clone()];
            all.extend(rest.into_iter().cloned());
            Err(LinkLookupError::Ambiguous(all))
        }
    }

    /// All links with relation `rel`.
    pub fn all<'a>(&'a self, rel: &'a str) -> impl Iterator<Item = &'a Link> + 'a {
        self.0
            .iter()
            .filter(move |l| l.rel.eq_ignore_ascii_case(rel))
    }
}

/// Anything a generated method can read links from: `Links` or `Option<Links>`.
pub trait AsLinks {
    /// The links, or an empty list.
    fn as_links(&self) -> Cow<'_, Links>;
}

impl AsLinks for Links {
    fn as_links(&self) -> Cow<'_, Links> {
        Cow::Borrowed(self)
    }
}

impl AsLinks for Option<Links> {
    fn as_links(&self) -> Cow<'_, Links> {
        match self {
            Some(l) => Cow::Borrowed(l),
            None => Cow::Owned(Links::default()),
        }
    }
}
