//! Entry points shared by the cargo-fuzz targets (`fuzz_targets/`) and the stable fuzz smoke
//! test (`tests/smoke.rs`). Each one feeds arbitrary bytes through a decoder and everything
//! built on it; the only property checked is "no panic, no hang, no unbounded allocation".

use emrest_runtime::{
    decode_json, decode_xml, parse_json, parse_xml, write_json, write_xml, Casing, DecodeError,
    Decoder, Encoder, Links, Node, Repr, Value,
};

/// A task-like representation (attributes, elements, nested values, links), decoded the way
/// generated code decodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    href: Option<String>,
    links: Option<Links>,
    task_id: String,
    state: String,
    progress: Option<u32>,
    result: Option<TaskResult>,
}

#[derive(Debug, Clone, PartialEq)]
struct TaskResult {
    success: bool,
    message: Option<String>,
}

impl Value for TaskResult {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        let d = Decoder::new(node);
        Ok(TaskResult {
            success: d.attr("Success")?,
            message: d.opt_elem("Message")?,
        })
    }
    fn to_node(&self, name: &str) -> Node {
        let mut e = Encoder::new(name);
        e.attr("Success", &self.success);
        e.opt_elem("Message", &self.message);
        e.finish()
    }
}

impl Value for Task {
    fn from_node(node: &Node) -> Result<Self, DecodeError> {
        let d = Decoder::new(node);
        Ok(Task {
            href: d.opt_attr("Href")?,
            links: d.opt_elem("Links")?,
            task_id: d.elem("TaskId")?,
            state: d.elem("State")?,
            progress: d.opt_elem("Progress")?,
            result: d.opt_elem("Result")?,
        })
    }
    fn to_node(&self, name: &str) -> Node {
        let mut e = Encoder::new(name);
        e.opt_attr("Href", &self.href);
        e.opt_elem("Links", &self.links);
        e.elem("TaskId", &self.task_id);
        e.elem("State", &self.state);
        e.opt_elem("Progress", &self.progress);
        e.opt_elem("Result", &self.result);
        e.finish()
    }
}

impl Repr for Task {
    const ROOT: &'static str = "Task";
    fn links(&self) -> Option<&Links> {
        self.links.as_ref()
    }
    fn href(&self) -> Option<&str> {
        self.href.as_deref()
    }
}

/// What is done with any decoded tree: links, re-encoding both ways.
fn use_node(node: &Node) {
    let _ = Links::from_node(node);
    if let Some(l) = node.child("Links") {
        let _ = Links::from_node(l);
    }
    let xml = write_xml(node, "urn:fuzz");
    let _ = parse_xml(xml.as_bytes());
    let _ = write_json(node, Casing::Camel);
}

/// The XML decoder. True when the input parsed.
pub fn xml(data: &[u8]) -> bool {
    let ok = match parse_xml(data) {
        Ok(node) => {
            use_node(&node);
            true
        }
        Err(_) => false,
    };
    if let Ok(task) = decode_xml::<Task>(data) {
        let _ = emrest_runtime::encode_xml(&task, "urn:fuzz");
    }
    ok
}

/// The JSON decoder. True when the input parsed.
pub fn json(data: &[u8]) -> bool {
    let ok = match parse_json(data, "Task") {
        Ok(node) => {
            use_node(&node);
            true
        }
        Err(_) => false,
    };
    if let Ok(task) = decode_json::<Task>(data) {
        let _ = emrest_runtime::encode_json(&task, Casing::Pascal);
    }
    ok
}

/// The spec loader (parse, check, diagnostics rendering) and, when the spec is valid, token
/// emission. True when the spec was valid.
pub fn spec(data: &[u8]) -> bool {
    let Ok(text) = std::str::from_utf8(data) else {
        return false;
    };
    match emrest_codegen::load_str(text, "fuzz.toml") {
        Ok(ir) => {
            let _ = emrest_codegen::generate(&ir, &Default::default()).to_string();
            true
        }
        Err(diags) => {
            let _ = diags.to_string();
            false
        }
    }
}
