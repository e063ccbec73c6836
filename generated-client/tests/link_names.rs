//! Links borrow their relation and type from the spec's table of names (`Api::LINK_NAMES`)
//! instead of allocating them, in XML and JSON alike; a name outside the table is kept owned
//! and equal. The table holds what EM's documentation shows in links, not what this crate's
//! decoder happens to find.

use emrest::runtime::{decode_json, decode_xml};
use emrest::{Api, EntityReferences};

const XML: &str = r#"<EntityReferences xmlns="http://www.veeam.com/ent/v1.0"><Ref Type="BackupJobSessionReference" Href="https://em:9398/api/backupSessions/1" Name="Job 1@2025" UID="urn:veeam:BackupJobSession:1"><Links><Link Rel="Up" Href="https://em:9398/api/backupServers/2" Name="vbr01" Type="BackupServerReference"/><Link Rel="Alternate" Href="https://em:9398/api/backupSessions/1?format=Entity"/><Link Rel="Down" Href="https://em:9398/api/backupSessions/1/taskSessions" Type="BackupTaskSessionReferenceList"/><Link Rel="FromANewerServer" Href="https://em:9398/api/x" Type="NotInTheSpec"/></Links></Ref></EntityReferences>"#;

const JSON: &str = r#"{"Refs":[{"Type":"BackupJobSessionReference","Href":"https://em:9398/api/backupSessions/1","Name":"Job 1@2025","UID":"urn:veeam:BackupJobSession:1","Links":[{"Rel":"Up","Href":"https://em:9398/api/backupServers/2","Name":"vbr01","Type":"BackupServerReference"},{"Rel":"Alternate","Href":"https://em:9398/api/backupSessions/1?format=Entity"},{"Rel":"Down","Href":"https://em:9398/api/backupSessions/1/taskSessions","Type":"BackupTaskSessionReferenceList"},{"Rel":"FromANewerServer","Href":"https://em:9398/api/x","Type":"NotInTheSpec"}]}]}"#;

fn borrowed(s: &emrest::runtime::SharedStr) -> bool {
    s.is_static()
}

fn check(refs: &EntityReferences, format: &str) {
    let links = &refs.ref_[0].links.as_ref().expect("links").0;
    let rels: Vec<&str> = links.iter().map(|l| &*l.rel).collect();
    assert_eq!(
        rels,
        ["Up", "Alternate", "Down", "FromANewerServer"],
        "{format}"
    );
    for l in &links[..3] {
        assert!(borrowed(&l.rel), "{format}: {} allocated", l.rel);
        if let Some(t) = &l.type_ {
            assert!(borrowed(t), "{format}: {t} allocated");
        }
    }
    // Outside the table: owned, and the same text.
    let newer = &links[3];
    assert!(!borrowed(&newer.rel) && newer.type_.as_deref() == Some("NotInTheSpec"));
    assert!(!borrowed(newer.type_.as_ref().unwrap()), "{format}");
}

#[test]
fn xml_and_json_links_borrow_known_relations_and_types() {
    check(
        &decode_xml::<EntityReferences>(XML.as_bytes()).unwrap(),
        "xml",
    );
    check(
        &decode_json::<EntityReferences>(JSON.as_bytes()).unwrap(),
        "json",
    );
}

/// Every name of the table is found through its compile-time hash index and nothing else
/// is, and the table holds the relations and link types that EM's own samples write (read
/// from the fixtures by a plain attribute scan, not by the decoder under test).
#[test]
fn the_table_finds_its_names_and_covers_the_documented_links() {
    let set = Api::LINK_NAME_SET;
    let names: Vec<&str> = Api::LINK_NAMES.split(' ').collect();
    assert_eq!(set.list().collect::<Vec<_>>(), names);
    for w in names.windows(2) {
        assert!(
            w[0] < w[1],
            "not sorted or repeated: {:?}, {:?}",
            w[0],
            w[1]
        );
    }
    for &n in &names {
        assert_eq!(set.get(n), Some(n));
        // A prefix, a longer name and another case are other names.
        let prefix = &n[..n.len() - 1];
        assert_eq!(set.get(prefix).is_some(), names.contains(&prefix));
        assert_eq!(set.get(&format!("{n}X")), None);
    }
    assert_eq!(set.get("NoSuchRelation"), None);
    assert_eq!(set.get("alternate"), None);
    assert_eq!(set.get(""), None);

    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/em-docs/samples"
    );
    let (mut seen, mut missing) = (0, Vec::new());
    for entry in std::fs::read_dir(dir).expect("samples") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).unwrap_or_default();
        for tag in text.split("<Link ").skip(1) {
            let tag = &tag[..tag.find('>').unwrap_or(tag.len())];
            for key in ["Rel=\"", "Type=\""] {
                if let Some(at) = tag.find(key) {
                    let v = &tag[at + key.len()..];
                    let v = &v[..v.find('"').unwrap_or(v.len())];
                    seen += 1;
                    if set.get(v).is_none() && !missing.contains(&v.to_string()) {
                        missing.push(v.to_string());
                    }
                }
            }
        }
    }
    assert!(
        seen > 500,
        "only {seen} link attributes found in the samples"
    );
    assert!(
        missing.is_empty(),
        "documented link names not in the table: {missing:?}"
    );
}
