//! Hypermedia links: `<Link Rel="…" Href="…" Type="…" Name="…"/>` and their lookup.

use std::borrow::Cow;

use crate::codec::{FieldDef, Record, Slot, Unknown};
use crate::out::Out;
use crate::repr::{DecodeError, Value};

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
    /// Attributes and content the link carried beyond these (kept and written back).
    pub unknown: Unknown,
}

impl Link {
    /// A link with a relation and a target.
    pub fn new(rel: impl Into<String>, href: impl Into<String>) -> Self {
        Link {
            rel: rel.into(),
            href: href.into(),
            ..Link::default()
        }
    }
}

const LINK_FIELDS: &[FieldDef] = &[
    FieldDef::attr("Rel", true),
    FieldDef::attr("Href", true),
    FieldDef::attr("Name", false),
    FieldDef::attr("Type", false),
];

impl Record for Link {
    const ROOT: &'static str = "Link";
    const FIELDS: &'static [FieldDef] = LINK_FIELDS;
    const HREF: Option<usize> = Some(1);
    unsafe fn field(this: *mut Self, i: usize) -> *mut dyn Slot {
        // SAFETY: a place projection of the caller's valid pointer (see `Record::field`).
        unsafe {
            match i {
                0 => &raw mut (*this).rel,
                1 => &raw mut (*this).href,
                2 => &raw mut (*this).name,
                3 => &raw mut (*this).type_,
                _ => &raw mut (*this).unknown,
            }
        }
    }
}

/// The `Links` list of a representation.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Links(pub Vec<Link>);

impl Links {
    /// No links.
    pub const EMPTY: Links = Links(Vec::new());
}

/// Item element of a links list.
const LINK: &str = "Link";

impl Value for Links {
    fn from_xml<'a>(x: &mut crate::XmlIn<'a>, e: crate::XmlElem<'a>) -> Result<Self, DecodeError> {
        let mut v = Vec::new();
        x.wrapped_items(e, LINK, &mut v)?;
        check_links(&v)?;
        Ok(Links(v))
    }

    fn from_json(j: &mut crate::JsonIn<'_>) -> Result<Self, DecodeError> {
        let mut v = Vec::new();
        match j.peek()? {
            crate::JsonTok::Array => {
                j.begin_array()?;
                while j.next_item()? {
                    if j.peek()? == crate::JsonTok::Null {
                        j.null()?;
                    } else {
                        v.push(Link::from_json(j)?);
                    }
                }
            }
            // `{"Link": [...]}` (an XML-shaped converter's output).
            crate::JsonTok::Object => {
                j.begin_object()?;
                while j.next_key()?.is_some() {
                    match j.peek()? {
                        crate::JsonTok::Array => {
                            j.begin_array()?;
                            while j.next_item()? {
                                v.push(Link::from_json(j)?);
                            }
                        }
                        crate::JsonTok::Object => v.push(Link::from_json(j)?),
                        _ => j.skip()?,
                    }
                }
            }
            _ => return Err(DecodeError::new("expected an array of links")),
        }
        check_links(&v)?;
        Ok(Links(v))
    }

    fn write_value(&self, name: &str, out: &mut dyn Out) {
        self.write_with(name, out, &mut |_, _| {});
    }

    fn write_with(
        &self,
        name: &str,
        out: &mut dyn Out,
        between: &mut dyn FnMut(&mut dyn Out, u32),
    ) {
        out.wrapper_open(name, None);
        between(out, 0);
        for (n, l) in self.0.iter().enumerate() {
            l.write_value(LINK, out);
            between(out, n as u32 + 1);
        }
        out.wrapper_close(name, None);
    }

    fn as_links(&self) -> Option<&Links> {
        Some(self)
    }
}

/// The links of a [`crate::Node`] (a `Links` element, or a JSON array of link objects).
pub(crate) fn links_from_node(node: &crate::Node) -> Result<Links, DecodeError> {
    let get = |n: &crate::Node, k: &str| n.scalar(k).map(str::to_string);
    let mut v = Vec::new();
    for c in &node.children {
        if !(node.array || c.name.eq_ignore_ascii_case(LINK)) {
            continue;
        }
        v.push(Link {
            rel: get(c, "Rel").unwrap_or_default(),
            href: get(c, "Href").unwrap_or_default(),
            type_: get(c, "Type"),
            name: get(c, "Name"),
            unknown: Unknown::default(),
        });
    }
    check_links(&v)?;
    Ok(Links(v))
}

/// A link needs a relation and a target.
fn check_links(v: &[Link]) -> Result<(), DecodeError> {
    for (i, l) in v.iter().enumerate() {
        if l.rel.is_empty() {
            return Err(DecodeError::new("link without `Rel`").within(&format!("Link[{i}]")));
        }
        if l.href.is_empty() {
            return Err(DecodeError::new("link without `Href`").within(&format!("Link[{i}]")));
        }
    }
    Ok(())
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
    /// The links of a [`crate::Node`]: a `Links` element, or a JSON array of link objects.
    pub fn from_node(node: &crate::Node) -> Result<Links, DecodeError> {
        links_from_node(node)
    }

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
    /// The links, when there are any.
    fn links(&self) -> Option<&Links>;
    /// The links, or an empty list.
    fn as_links(&self) -> Cow<'_, Links> {
        match self.links() {
            Some(l) => Cow::Borrowed(l),
            None => Cow::Owned(Links::default()),
        }
    }
}

impl AsLinks for Links {
    fn links(&self) -> Option<&Links> {
        Some(self)
    }
}

impl AsLinks for Option<Links> {
    fn links(&self) -> Option<&Links> {
        self.as_ref()
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
        Link::new(rel, href)
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
            returns: crate::Returns::Nothing,
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
