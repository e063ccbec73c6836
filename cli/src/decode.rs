//! `vem decode`: any EM XML or JSON document, decoded by its root element into its typed
//! representation, then printed as JSON or encoded back to XML.

use std::io::Read;

use std::io::Write as _;

use emrest::runtime::Casing;

use crate::args::{DecodeArgs, DocFormat};
use crate::error::{CliError, Result};
use crate::generic::{is_json, namespace, parse_doc};
use crate::output::{print_text, Out};
use crate::spec::{self, TypeInfo};

/// Decodes `bytes` (named `what` in messages) and returns the output text.
#[cfg(test)]
pub fn decode_bytes(
    bytes: &[u8],
    what: &str,
    format: DocFormat,
    type_: Option<&str>,
) -> Result<String> {
    decode_doc(bytes, what, format, type_).map(|(text, _)| text)
}

/// Decodes `bytes` and returns the output text and the paths no typed field took.
pub fn decode_doc(
    bytes: &[u8],
    what: &str,
    format: DocFormat,
    type_: Option<&str>,
) -> Result<(String, Vec<String>)> {
    let forced = match type_ {
        Some(t) => Some(spec::type_or_usage(t)?),
        None => None,
    };
    let json = is_json(bytes);
    let (t, node): (&TypeInfo, _) = if json {
        // JSON has no root element: the `Type` member (EM writes it on resources) or --type.
        let probe = parse_doc(bytes, "Document")
            .map_err(|e| CliError::error(format!("{what}: not an EM document: {e}")))?;
        let t = match forced {
            Some(t) => t,
            None => {
                let named = probe.scalar("Type").map(str::trim).unwrap_or("");
                spec::type_named(named)
                    .and_then(|t| spec::type_for_root(t.root))
                    .or_else(|| spec::type_for_root(named))
                    .ok_or_else(|| {
                        CliError::error(format!(
                            "{what}: a JSON document names no type{}: pass --type TYPE (`vem api types` lists them)",
                            if named.is_empty() { String::new() } else { format!(" of the spec (its Type is `{named}`)") }
                        ))
                    })?
            }
        };
        let mut node = probe;
        node.name = t.root.to_string();
        (t, node)
    } else {
        let node = parse_doc(bytes, "")
            .map_err(|e| CliError::error(format!("{what}: not an EM document: {e}")))?;
        let t = match forced {
            Some(t) => t,
            None => spec::type_for_root(&node.name).ok_or_else(|| {
                CliError::error(format!(
                    "{what}: root element `{}` is not a representation of the spec",
                    node.name
                ))
            })?,
        };
        (t, node)
    };
    let _ = node;
    let typed = spec::typed(t, bytes, json)
        .map_err(|e| CliError::error(format!("{what}: not a valid {}: {e}", t.name)))?;
    let unknown = typed.unknown_paths();
    let text = match format {
        DocFormat::Json => {
            // EM's own JSON shape, through the type's codec (pretty-printed).
            let compact = typed.to_json(Casing::Pascal, crate::generic::json_text());
            let text = serde_json::from_str::<serde_json::Value>(&compact)
                .ok()
                .and_then(|v| serde_json::to_string_pretty(&v).ok())
                .unwrap_or(compact);
            format!("{text}\n")
        }
        DocFormat::Xml => {
            let mut x = typed.to_xml(namespace());
            if !x.ends_with('\n') {
                x.push('\n');
            }
            x
        }
    };
    Ok((text, unknown))
}

/// `vem decode`.
pub fn decode_cmd(_out: &Out, a: &DecodeArgs) -> Result<()> {
    let what = a.file.display().to_string();
    let bytes = if a.file.as_os_str() == "-" {
        let mut v = Vec::new();
        std::io::stdin()
            .read_to_end(&mut v)
            .map_err(|e| CliError::error(format!("cannot read standard input: {e}")))?;
        v
    } else {
        std::fs::read(&a.file).map_err(|e| CliError::error(format!("cannot read {what}: {e}")))?
    };
    let (text, unknown) = decode_doc(&bytes, &what, a.format, a.type_.as_deref())?;
    if a.strict && !unknown.is_empty() {
        // One line per path no typed field took; the document is not printed.
        let mut err = std::io::stderr().lock();
        for p in &unknown {
            let _ = writeln!(err, "{what}: unknown {p}");
        }
        return Err(CliError::error(format!(
            "{what}: {} element(s) or attribute(s) the spec does not declare",
            unknown.len()
        )));
    }
    print_text(&text);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const TASK: &str = r#"<Task xmlns="http://www.veeam.com/ent/v1.0" Type="Task" Href="https://localhost:9398/api/tasks/task-10">
  <Links><Link Rel="Delete" Type="Task" Href="https://localhost:9398/api/tasks/task-10"/></Links>
  <TaskId>task-10</TaskId><State>Finished</State><Operation>StartJob</Operation>
  <Result Success="true"><Message>Job "SQL Backup" triggered to start.</Message></Result>
</Task>"#;

    #[test]
    fn xml_to_json_and_back() {
        let j = decode_bytes(TASK.as_bytes(), "t", DocFormat::Json, None).unwrap();
        let v: serde_json::Value = serde_json::from_str(&j).unwrap();
        assert_eq!(v["TaskId"], "task-10");
        let x = decode_bytes(TASK.as_bytes(), "t", DocFormat::Xml, None).unwrap();
        assert!(x.contains("<TaskId>task-10</TaskId>"), "{x}");
        // JSON back in, by its Type member.
        let again = decode_bytes(j.as_bytes(), "t", DocFormat::Json, None).unwrap();
        assert_eq!(again, j);
    }

    #[test]
    fn garbage_is_an_error() {
        for bad in [
            &b""[..],
            b"hello",
            b"<Nope/>",
            b"<Task",
            b"{\"a\":1}",
            b"\xff\xfe",
        ] {
            let e = decode_bytes(bad, "f", DocFormat::Json, None).unwrap_err();
            assert_eq!(e.code, 1, "{bad:?}");
            assert!(e.line().starts_with("f: "), "{}", e.line());
        }
        assert_eq!(
            decode_bytes(TASK.as_bytes(), "f", DocFormat::Json, Some("NoType"))
                .unwrap_err()
                .code,
            2
        );
    }
}
