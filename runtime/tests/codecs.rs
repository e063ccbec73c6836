//! Codecs on real EM samples (copied from the documented examples) and on mangled input.

mod common;

use common::*;
use emrest_runtime::{
    decode_json, decode_xml, encode_json, encode_xml, parse_json, parse_xml, Casing, Links,
};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

#[test]
fn task_sample_decodes_and_round_trips_in_both_formats() {
    let task: Task = decode_xml(&fixture("post_jobs_id_actionstart.1.xml")).unwrap();
    assert_eq!(task.task_id, "task-1");
    assert_eq!(task.state, "Finished");
    let r = task.result.as_ref().unwrap();
    assert!(r.success);
    assert_eq!(
        r.message.as_deref(),
        Some(r#"Job "Oracle Backup" triggered to start."#)
    );
    assert_eq!(task.links.as_ref().unwrap().0[0].rel, "Delete");

    let xml = encode_xml(&task, "http://www.veeam.com/ent/v1.0");
    assert!(xml.starts_with(
        r#"<?xml version="1.0" encoding="utf-8"?><Task xmlns="http://www.veeam.com/ent/v1.0" Href="#
    ));
    assert_eq!(decode_xml::<Task>(xml.as_bytes()).unwrap(), task);
    for casing in [Casing::Pascal, Casing::Camel] {
        let json = encode_json(&task, casing);
        assert_eq!(
            decode_json::<Task>(json.as_bytes()).unwrap(),
            task,
            "{json}"
        );
    }
    let camel = encode_json(&task, Casing::Camel);
    assert!(
        camel.contains(r#""taskId":"task-1""#) && camel.contains(r#""success":true"#),
        "{camel}"
    );
}

#[test]
fn json_task_sample_with_nulls() {
    let t: Task = decode_json(&fixture("task_running.json")).unwrap();
    assert_eq!(t.state, "Running");
    assert_eq!(t.href.as_deref(), Some("https://em:9398/api/tasks/task-9"));
    let l = &t.links.unwrap().0[0];
    assert_eq!((l.type_.as_deref(), l.name.as_deref()), (None, None));
}

#[test]
fn job_entity_sample_decodes() {
    let job: Job = decode_xml(&fixture("jobs_id.1.xml")).unwrap();
    assert_eq!(job.name.as_deref(), Some("DB Backup"));
    assert!(job.schedule_enabled);
    let links = job.links.unwrap();
    assert_eq!(
        links
            .find("Start", None, None)
            .unwrap()
            .href
            .split('?')
            .nth(1),
        Some("action=start")
    );
    // Two `Down` links: the type tells them apart.
    assert!(links.find("Down", None, None).is_err());
    assert!(links
        .find("Down", Some("backupjobsessionreferencelist"), None)
        .is_ok());
}

#[test]
fn logon_session_sample_links() {
    let node = parse_xml(&fixture("logging_on.1.xml")).unwrap();
    assert_eq!(node.name, "LogonSession");
    let links = Links::from_node(
        node.child("Links").unwrap(),
        &<Em as emrest_runtime::Api>::INFO.links,
    )
    .unwrap();
    assert!(links.iter().count() > 30);
    assert!(links.find("Down", Some("JobReferenceList"), None).is_ok());
    assert!(links.find("Delete", None, None).is_ok());
}

#[test]
fn entry_point_and_error_samples() {
    let entry = parse_xml(&fixture("entry_point.xml")).unwrap();
    let versions: Vec<_> = entry
        .descendants()
        .into_iter()
        .filter(|n| n.name == "SupportedVersion")
        .filter_map(|n| n.attr("Name"))
        .collect();
    assert_eq!(versions, ["v1_5", "v1_6", "v1_7"]);
    let err = parse_xml(&fixture("error_bom.xml")).unwrap();
    assert_eq!(err.attr("StatusCode"), Some("500"));
    assert!(err
        .scalar("FirstChanceExceptionMessage")
        .unwrap()
        .starts_with("Object reference"));
}

/// Deterministic mutations of every fixture: truncations, byte flips, insertions. The codecs
/// must answer `Err` or `Ok`, never panic.
#[test]
fn mangled_input_never_panics() {
    let dir = format!("{}/tests/fixtures", env!("CARGO_MANIFEST_DIR"));
    let mut seed: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        for cut in (0..bytes.len()).step_by(bytes.len() / 50 + 1) {
            let _ = parse_xml(&bytes[..cut]);
            let _ = parse_json(&bytes[..cut], "X");
            let _ = decode_xml::<Task>(&bytes[..cut]);
        }
        for _ in 0..200 {
            let mut b = bytes.clone();
            for _ in 0..4 {
                let i = (next() as usize) % b.len().max(1);
                let choices: &[u8] = b"<>&;\"'=/\x00\xff\xc3{}[]:,";
                let c = choices[(next() as usize) % choices.len()];
                if next() % 2 == 0 && !b.is_empty() {
                    b[i] = c;
                } else {
                    b.insert(i.min(b.len()), c);
                }
            }
            let _ = parse_xml(&b);
            let _ = parse_json(&b, "X");
            let _ = decode_xml::<Job>(&b);
            let _ = decode_json::<Task>(&b);
        }
    }
}

/// Found by the XML fuzz target: a kept attribute or element whose name has a prefix
/// (`urn:veeam:…`, `ns:Extra`) lost the prefix on each round trip (local names were kept).
#[test]
fn kept_names_with_prefixes_round_trip_unchanged() {
    let doc = br#"<Job xmlns="http://www.veeam.com/ent/v1.0" xmlns:ns="urn:x" Name="a" urn:veeam:CloudPubli$IpAddress:22d2-9Name="198.51.100.22" ns:Flag="1"><ns:Extra ns:Level="2"><ns:Inner>t</ns:Inner></ns:Extra><ScheduleEnabled>true</ScheduleEnabled></Job>"#;
    let job: Job = decode_xml(doc).unwrap();
    assert_eq!(
        job.unknown.paths(),
        [
            "@urn:veeam:CloudPubli$IpAddress:22d2-9Name",
            "@ns:Flag",
            "ns:Extra"
        ]
    );
    let once = encode_xml(&job, "urn:t");
    let again: Job = decode_xml(once.as_bytes()).unwrap();
    assert_eq!(encode_xml(&again, "urn:t"), once);
    assert!(
        once.contains(r#"<ns:Extra ns:Level="2"><ns:Inner>t</ns:Inner></ns:Extra>"#),
        "{once}"
    );
    // The fuzzer's own input (an EM sample mutated) is a fixed point too.
    let crash = include_bytes!("../../fuzz/regressions/xml-prefixed-attribute-name.xml");
    if let Ok(v) = decode_xml::<Job>(crash) {
        let once = encode_xml(&v, "urn:t");
        let again: Job = decode_xml(once.as_bytes()).unwrap();
        assert_eq!(encode_xml(&again, "urn:t"), once);
    }
}

/// Found by the fuzz smoke test: content kept from inside an XML `<Links>` (or between the
/// items of a list) was written into the JSON array as items, and that JSON did not decode.
/// It stays in XML and is left out of JSON, whose arrays hold only items.
#[test]
fn kept_content_among_list_items_leaves_json_decodable() {
    let doc = br#"<Job Name="a"><Links><Link Rel="Up" Href="h1"/><Stray>x</Stray><Lnk Href="h2"/></Links><ScheduleEnabled>true</ScheduleEnabled></Job>"#;
    let job: Job = decode_xml(doc).unwrap();
    let xml = encode_xml(&job, "");
    assert!(
        xml.contains("<Stray>x</Stray><Lnk Href=\"h2\"/></Links>"),
        "{xml}"
    );
    for casing in [Casing::Pascal, Casing::Camel] {
        let json = encode_json(&job, casing);
        let back: Job = decode_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"));
        assert_eq!(back.links, job.links, "{json}");
    }
    let crash = include_bytes!("../../fuzz/regressions/xml-unknown-inside-links.xml");
    if let Ok(v) = decode_xml::<Task>(crash) {
        let json = encode_json(&v, Casing::Camel);
        decode_json::<Task>(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"));
    }
}

/// Found by the XML fuzz target: a second `<Description>` (kept as unknown content) became a
/// second JSON member of the same name, and decoding that JSON failed on the duplicate.
#[test]
fn a_duplicate_single_element_survives_json() {
    let doc = br#"<Job><Description>a</Description><Description Lang="en">b</Description><ScheduleEnabled>true</ScheduleEnabled></Job>"#;
    let job: Job = decode_xml(doc).unwrap();
    assert_eq!(job.description.as_deref(), Some("a"));
    assert_eq!(job.unknown.paths(), ["Description"]);
    let json = encode_json(&job, Casing::Camel);
    let back: Job = decode_json(json.as_bytes()).unwrap_or_else(|e| panic!("{e}: {json}"));
    assert_eq!(back.description.as_deref(), Some("a"));
    assert_eq!(encode_json(&back, Casing::Camel), json);
}

#[test]
fn a_repeated_attribute_is_refused_as_written_and_by_both_parsers() {
    // The streaming decoder checks duplicates itself (no per-tag allocation); the tree parser
    // leaves it to quick-xml. Both must refuse the same documents.
    let many: String = (0..12).map(|i| format!(r#" A{i}="{i}""#)).collect();
    for (doc, repeated) in [
        (
            r#"<Task Href="h" Href="h"><TaskId>t</TaskId><State>Running</State></Task>"#
                .to_string(),
            true,
        ),
        (
            r#"<Task Href="h" x:Href="h"><TaskId>t</TaskId><State>Running</State></Task>"#
                .to_string(),
            false,
        ),
        // Beyond the inline keys the check goes on in the overflow list.
        (
            format!(r#"<Task{many} A11="again"><TaskId>t</TaskId><State>Running</State></Task>"#),
            true,
        ),
        (
            format!(r#"<Task{many} A3="again"><TaskId>t</TaskId><State>Running</State></Task>"#),
            true,
        ),
        (
            format!(r#"<Task{many}><TaskId>t</TaskId><State>Running</State></Task>"#),
            false,
        ),
        // A link's own attributes are matched without the general check: a repeat among
        // them, or of an attribute no link field takes, must still be refused.
        (
            r#"<Task><Links><Link Rel="Up" Href="a" Href="b"/></Links><TaskId>t</TaskId><State>Running</State></Task>"#
                .to_string(),
            true,
        ),
        (
            r#"<Task><Links><Link Rel="Up" Href="a" X="1" X="2"/></Links><TaskId>t</TaskId><State>Running</State></Task>"#
                .to_string(),
            true,
        ),
        (
            r#"<Task><Links><Link Rel="Up" Href="a" Name="n" Type="T"/></Links><TaskId>t</TaskId><State>Running</State></Task>"#
                .to_string(),
            false,
        ),
    ] {
        let typed = decode_xml::<Task>(doc.as_bytes());
        assert_eq!(typed.is_err(), repeated, "{doc}: {typed:?}");
        assert_eq!(parse_xml(doc.as_bytes()).is_err(), repeated, "{doc}");
        if let Err(e) = typed {
            assert!(e.to_string().contains("appears twice"), "{e}");
        }
    }
}

/// A wrapper's link targets and names are read into one shared buffer: each link must still
/// read back its own text, whatever mixes with it (entities, an empty or non-ASCII name, a
/// link with content that takes the general reader, a wrapper larger than the buffer kept
/// between decodes), and a decode after a large one must not see its text.
#[test]
fn links_sharing_one_buffer_each_keep_their_own_text() {
    let doc = |n: usize| {
        let mut links = String::from(
            r#"<Link Rel="Up" Href="https://em/api/a?x=1&amp;y=2" Name="Ünïcode ✓"/><Link Rel="Edit" Href="https://em/api/b" Name=""/><Link Rel="Odd" Href="https://em/api/c" Name="kept"><Extra/></Link>"#,
        );
        for i in 0..n {
            links.push_str(&format!(
                r#"<Link Rel="Down" Href="https://em/api/jobs/{i:06}" Name="job {i}"/>"#
            ));
        }
        format!(
            r#"<Job Name="a"><Links>{links}</Links><ScheduleEnabled>true</ScheduleEnabled></Job>"#
        )
    };
    let check = |n: usize| {
        let job: Job = decode_xml(doc(n).as_bytes()).unwrap();
        let links = job.links.expect("links").0;
        assert_eq!(links.len(), 3 + n);
        let text = |i: usize| (links[i].href.as_str(), links[i].name.as_deref());
        assert_eq!(text(0), ("https://em/api/a?x=1&y=2", Some("Ünïcode ✓")));
        assert_eq!(text(1), ("https://em/api/b", Some("")));
        assert_eq!(text(2), ("https://em/api/c", Some("kept")));
        assert!(!links[2].unknown.is_empty(), "the child element is kept");
        for i in 0..n {
            let (href, name) = (format!("https://em/api/jobs/{i:06}"), format!("job {i}"));
            assert_eq!(text(3 + i), (href.as_str(), Some(name.as_str())));
        }
    };
    check(2);
    check(3_000); // about 120 KiB of text: more than the thread keeps for the next wrapper
    check(1);
    let big: Job = decode_xml(doc(3_000).as_bytes()).unwrap();
    let small: Job = decode_xml(doc(0).as_bytes()).unwrap();
    assert_eq!(small.links.unwrap().0.len(), 3);
    assert_eq!(
        big.links.unwrap().0[2999 + 3].href,
        "https://em/api/jobs/002999"
    );
}
