//! `--newer-content`: em-sim answers as a newer EM would, with content the spec does not
//! declare — an attribute on each representation and on its first nested element, and an
//! element after the first child of each. A client that reads, changes and writes back must
//! send all of it back, in place.

use emrest_runtime::Node;

use crate::render::{ApiResult, Reply};

/// The attribute a newer EM adds.
pub const ATTR: (&str, &str) = ("NewerAttr", "2");
/// The element a newer EM adds.
pub const ELEMENT: &str = "NewerElement";

/// `out` with the undeclared content added to its document.
pub fn add(out: ApiResult) -> ApiResult {
    let Ok(Reply::Doc(status, mut node, headers)) = out else {
        return out;
    };
    decorate(&mut node, 0);
    Ok(Reply::Doc(status, node, headers))
}

/// Adds the content to `node` and to the first child that has children of its own.
fn decorate(node: &mut Node, depth: usize) {
    if node.children.is_empty() || depth > 1 {
        return;
    }
    node.attrs.push((ATTR.0.to_string(), ATTR.1.to_string()));
    let mut e = Node::new(ELEMENT);
    e.attrs.push(("Level".into(), depth.to_string()));
    let mut detail = Node::new("Detail");
    detail.text = Some("added by a newer server".into());
    e.children.push(detail);
    node.children.insert(1.min(node.children.len()), e);
    if let Some(c) = node
        .children
        .iter_mut()
        .skip(2)
        .find(|c| !c.children.is_empty() && c.name != "Links")
    {
        decorate(c, depth + 1);
    }
}
