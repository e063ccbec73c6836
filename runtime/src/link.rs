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
        // `Name=""` and `Type=""` are kept as written (they round-trip); lookups treat them
        // like any other value.
        let keep = |k: &str| node.scalar(k).map(str::to_string);
        Ok(Link {
            rel: get("Rel").ok_or_else(|| DecodeError::new("link without `Rel`"))?,
            href: get("Href").ok_or_else(|| DecodeError::new("link without `Href`"))?,
            type_: keep("Type"),
            name: keep("Name"),
        })
    }

    fn from_xml<'a>(x: &mut crate::XmlIn<'a>, e: crate::XmlElem<'a>) -> Result<Self, DecodeError> {
        let (mut rel, mut href, mut type_, mut name) = (None, None, None, None);
        for a in e.attrs() {
            let (k, v) = a?;
            let slot = if k.eq_ignore_ascii_case("Rel") {
                &mut rel
            } else if k.eq_ignore_ascii_case("Href") {
                &mut href
            } else if k.eq_ignore_ascii_case("Type") {
                &mut type_
            } else if k.eq_ignore_ascii_case("Name") {
                &mut name
            } else {
                continue;
            };
            if slot.is_none() {
                *slot = Some(v.into_owned());
            }
        }
        x.skip(e)?;
        Ok(Link {
            rel: rel
                .filter(|v| !v.is_empty())
                .ok_or_else(|| DecodeError::new("link without `Rel`"))?,
            href: href
                .filter(|v| !v.is_empty())
                .ok_or_else(|| DecodeError::new("link without `Href`"))?,
            type_,
            name,
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

    fn from_xml<'a>(x: &mut crate::XmlIn<'a>, e: crate::XmlElem<'a>) -> Result<Self, DecodeError> {
        x.items(e, "Link", |x, l| Link::from_xml(x, l)).map(Links)
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

    /// The link an operation follows: [`Links::find`] by the op's relation, type and name;
    /// when several links still match (EM's backup server offers two untyped `Create` links,
    /// for credentials and for passwords), the op's documented URL form decides, and only if
    /// exactly one candidate has that shape.
    pub fn find_for_op(&self, op: &crate::Op) -> Result<&Link, LinkLookupError> {
        match self.find(op.rel, op.link_type, op.link_name) {
            Err(LinkLookupError::Ambiguous(all)) => {
                let mut fitting = self.0.iter().filter(|l| {
                    all.iter().any(|a| a.href == l.href) && href_fits_path(&l.href, op.path)
                });
                match (fitting.next(), fitting.next()) {
                    (Some(one), None) => Ok(one),
                    _ => Err(LinkLookupError::Ambiguous(all)),
                }
            }
            other => other,
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

/// True when `href` has the shape of the documented URL form `path` (`/a/{ID}/b?action=c`):
/// its last path segments match the form's (`{…}` matches any segment, case-insensitively
/// otherwise) and an `action` the form names is the href's `action` too.
pub fn href_fits_path(href: &str, path: &str) -> bool {
    let (form_path, form_query) = path.split_once('?').unwrap_or((path, ""));
    let no_fragment = href.split('#').next().unwrap_or(href);
    let (href_path, href_query) = no_fragment.split_once('?').unwrap_or((no_fragment, ""));
    let href_path = href_path.split_once("://").map_or(href_path, |(_, rest)| {
        rest.split_once('/').map_or("", |(_, p)| p)
    });
    let form: Vec<&str> = form_path.split('/').filter(|s| !s.is_empty()).collect();
    let have: Vec<&str> = href_path.split('/').filter(|s| !s.is_empty()).collect();
    if form.len() > have.len() {
        return false;
    }
    let tail = &have[have.len() - form.len()..];
    let segments_fit = form
        .iter()
        .zip(tail)
        .all(|(f, h)| (f.starts_with('{') && f.ends_with('}')) || f.eq_ignore_ascii_case(h));
    let action = |q: &str| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix("action=").map(str::to_ascii_lowercase))
    };
    let action_fits = match action(form_query) {
        Some(want) => action(href_query).is_some_and(|a| a == want),
        None => true,
    };
    segments_fit && action_fits
}

#[cfg(test)]
mod op_lookup_tests {
    use super::*;

    fn link(rel: &str, href: &str) -> Link {
        Link {
            rel: rel.into(),
            href: href.into(),
            type_: None,
            name: None,
        }
    }

    #[test]
    fn path_shapes() {
        let h = "https://em:9398/api/backupServers/ab-1/credentials?action=create";
        assert!(href_fits_path(
            h,
            "/backupServers/{ID}/credentials?action=create"
        ));
        assert!(!href_fits_path(
            h,
            "/backupServers/{ID}/passwords?action=create"
        ));
        assert!(!href_fits_path(
            h,
            "/backupServers/{ID}/credentials?action=edit"
        ));
        assert!(href_fits_path("https://em/api/jobs/1", "/jobs/{ID}"));
        assert!(!href_fits_path(
            "https://em/api/jobs",
            "/jobs/{ID}/includes"
        ));
    }

    #[test]
    fn ambiguous_links_are_told_apart_by_the_documented_path() {
        let links = Links(vec![
            link(
                "Create",
                "https://em/api/backupServers/1/credentials?action=create",
            ),
            link(
                "Create",
                "https://em/api/backupServers/1/passwords?action=create",
            ),
        ]);
        let op = |path: &'static str| crate::Op {
            owner: "BackupServer",
            rel: "Create",
            link_type: None,
            link_name: None,
            method: "m",
            verb: crate::Verb::Post,
            action: Some("create"),
            query: None,
            path,
            request: None,
            response: None,
            status: &[],
            task: false,
        };
        let found = links
            .find_for_op(&op("/backupServers/{ID}/passwords?action=create"))
            .unwrap();
        assert!(found.href.contains("passwords"));
        assert!(matches!(
            links.find_for_op(&op("/backupServers/{ID}?action=create")),
            Err(LinkLookupError::Ambiguous(_))
        ));
    }
}
