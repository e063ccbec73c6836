//! Entry points shared by the cargo-fuzz targets (`fuzz_targets/`) and the stable fuzz smoke
//! test (`tests/smoke.rs`). Each feeds arbitrary bytes to the decoders production uses — the
//! generated codecs of the EM client (`emrest`) and of the runtime's test spec
//! (`runtime/tests/fixtures/test_api.toml`, the one copy the runtime's own tests use too) —
//! and to everything built on them. Checked: no panic, no hang, no unbounded allocation, and
//! a decoded value is a fixed point of encode → decode (what was kept, known or not, comes
//! back the same).

use emrest_runtime::{
    decode_json, decode_xml, encode_json, encode_xml, parse_json, parse_xml, write_json,
    write_xml, Casing, Links, Node, Repr,
};

/// The runtime tests' spec, generated like any client.
pub mod test_api {
    emrest_macros::generate_client!("../runtime/tests/fixtures/test_api.toml");
}

/// Decoded from XML, `T` encodes to XML that decodes and encodes to the same text.
fn xml_fixed_point<T: Repr>(data: &[u8]) -> bool {
    let Ok(v) = decode_xml::<T>(data) else {
        return false;
    };
    let once = encode_xml(&v, "urn:fuzz");
    let again: T = decode_xml(once.as_bytes())
        .unwrap_or_else(|e| panic!("{} re-decode failed: {e}\n{once}", T::ROOT));
    let twice = encode_xml(&again, "urn:fuzz");
    assert_eq!(once, twice, "{} encoding is not stable", T::ROOT);
    // The same value through JSON comes back to the same XML.
    let json = encode_json(&v, Casing::Camel);
    if let Ok(from_json) = decode_json::<T>(json.as_bytes()) {
        let _ = encode_xml(&from_json, "urn:fuzz");
    } else {
        panic!("{} JSON of a decoded value does not decode:\n{json}", T::ROOT);
    }
    true
}

/// Decoded from JSON, `T` encodes to JSON that decodes and encodes to the same text.
fn json_fixed_point<T: Repr>(data: &[u8]) -> bool {
    let Ok(v) = decode_json::<T>(data) else {
        return false;
    };
    for casing in [Casing::Pascal, Casing::Camel] {
        let once = encode_json(&v, casing);
        let again: T = decode_json(once.as_bytes())
            .unwrap_or_else(|e| panic!("{} re-decode failed: {e}\n{once}", T::ROOT));
        let twice = encode_json(&again, casing);
        assert_eq!(once, twice, "{} encoding is not stable", T::ROOT);
    }
    let _ = encode_xml(&v, "urn:fuzz");
    true
}

/// What is done with any decoded tree: links, re-encoding both ways.
fn use_node(node: &Node) {
    let def = &<emrest::Api as emrest_runtime::Api>::INFO.links;
    let _ = Links::from_node(node, def);
    let _ = Links::of_node(node, def);
    if let Some(l) = node.child("Links") {
        let _ = Links::from_node(l, def);
    }
    let xml = write_xml(node, "urn:fuzz");
    let _ = parse_xml(xml.as_bytes());
    let _ = write_json(node, Casing::Camel, "Value");
}

/// The XML decoders. True when the input parsed as XML.
pub fn xml(data: &[u8]) -> bool {
    let ok = match parse_xml(data) {
        Ok(node) => {
            use_node(&node);
            true
        }
        Err(_) => false,
    };
    xml_fixed_point::<emrest::Job>(data);
    xml_fixed_point::<emrest::Task>(data);
    xml_fixed_point::<emrest::QueryResult>(data);
    xml_fixed_point::<emrest::LogonSession>(data);
    xml_fixed_point::<emrest::BackupJobSession>(data);
    xml_fixed_point::<test_api::Task>(data);
    xml_fixed_point::<test_api::Job>(data);
    ok
}

/// The JSON decoders. True when the input parsed as JSON.
pub fn json(data: &[u8]) -> bool {
    let ok = match parse_json(data, "Task") {
        Ok(node) => {
            use_node(&node);
            true
        }
        Err(_) => false,
    };
    json_fixed_point::<emrest::Job>(data);
    json_fixed_point::<emrest::Task>(data);
    json_fixed_point::<emrest::QueryResult>(data);
    json_fixed_point::<emrest::BackupJobSession>(data);
    json_fixed_point::<test_api::Task>(data);
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
