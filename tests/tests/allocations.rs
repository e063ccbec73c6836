//! Heap allocations of typed decoding, counted exactly (issue #10: keeping unknown content
//! must cost "no allocation per object on the common path"; decoding should allocate only
//! what the result owns).
//!
//! The expected counts come from the documents, not from the decoder: every non-empty list
//! is one allocation, the text values all go into the thread's 4 KiB chunk of decoded text
//! (one allocation for a small document, none per value), and nothing else is owned by the
//! result. Counting the difference between a document with three references and one with
//! two cancels the per-document overhead (the reader, the outer list, whose capacity of
//! four covers both, and the chunk, which both fill less than a quarter of).

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use emrest::{EnterpriseManager, EntityRef, EntityReferences, Task};
use emrest_runtime::{decode_json, decode_xml, Links, SharedStr};

/// Counts the allocations (and reallocations) of the current thread.
struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

// SAFETY: forwards every call to the system allocator unchanged; the counter is a
// const-initialized thread-local without destructor, so touching it cannot allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, size: usize) -> *mut u8 {
        ALLOCATIONS.with(|n| n.set(n.get() + 1));
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, size) }
    }
}

#[global_allocator]
static COUNTING: Counting = Counting;

/// Allocations made by `f` on this thread once it has run before (the decoder's per-thread
/// list for links is then set up), starting with a fresh chunk of decoded text; its result
/// is dropped outside the count.
fn allocations<T>(f: impl Fn() -> T) -> (usize, T) {
    drop(f());
    emrest_runtime::__private::close_text_chunk();
    let before = ALLOCATIONS.with(Cell::get);
    let out = f();
    (ALLOCATIONS.with(Cell::get) - before, out)
}

/// One reference as EM writes it: four attributes and two links (four and two attributes).
fn xml_ref(i: usize, extra: &str) -> String {
    format!(
        r#"<Ref Type="BackupJobSessionReference" Href="https://em:9398/api/backupSessions/{i}" Name="Job {i}" UID="urn:veeam:BackupJobSession:{i}"{extra}><Links><Link Rel="Up" Href="https://em:9398/api/jobs/{i}" Type="JobReference" Name="Job {i}"/><Link Rel="Alternate" Href="https://em:9398/api/backupSessions/{i}?format=Entity"/></Links></Ref>"#
    )
}

fn xml_refs(n: usize, extra: &str) -> String {
    let refs: String = (0..n).map(|i| xml_ref(i, extra)).collect();
    format!(r#"<EntityReferences xmlns="http://www.veeam.com/ent/v1.0">{refs}</EntityReferences>"#)
}

fn json_refs(n: usize) -> String {
    let refs: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"Type":"BackupJobSessionReference","Href":"https://em:9398/api/backupSessions/{i}","Name":"Job {i}","UID":"urn:veeam:BackupJobSession:{i}","Links":[{{"Rel":"Up","Href":"https://em:9398/api/jobs/{i}","Type":"JobReference","Name":"Job {i}"}},{{"Rel":"Alternate","Href":"https://em:9398/api/backupSessions/{i}?format=Entity"}}]}}"#
            )
        })
        .collect();
    format!(r#"{{"Refs":[{}]}}"#, refs.join(","))
}

/// What one such reference allocates: its links list. Its type, and its links' relations
/// and types, are borrowed from the spec's table of names (`Api::LINK_NAMES`); its other
/// string attributes and its links' targets and names are slices of the chunk of decoded
/// text, in XML and JSON alike. The types are spelled out so that a change of field type shows here.
fn owned_by_one_ref(r: &EntityRef) -> usize {
    let _: (&Option<SharedStr>, &Option<SharedStr>) = (&r.type_, &r.href);
    let _: (&Option<SharedStr>, &Option<SharedStr>) = (&r.name, &r.uid);
    let ty = r.type_.as_ref().expect("a type");
    assert_eq!(ty, "BackupJobSessionReference");
    assert!(
        ty.is_static(),
        "a type the spec names is borrowed from its table, not written"
    );
    assert_eq!(r.uid.as_deref(), Some("urn:veeam:BackupJobSession:2"));
    let links: &Option<Links> = &r.links;
    let mut texts = 0;
    for l in links.iter().flat_map(|l| &l.0) {
        let _: (
            &SharedStr,
            &SharedStr,
            &Option<SharedStr>,
            &Option<SharedStr>,
        ) = (&l.rel, &l.href, &l.name, &l.type_);
        assert!(l.rel.is_static(), "{} is one of the spec's names", l.rel);
        assert!(l.type_.as_ref().is_none_or(SharedStr::is_static));
        texts += 1 + usize::from(l.name.is_some());
    }
    assert_eq!(texts, 3, "Up: target and name; Alternate: target");
    1
}

#[test]
fn a_reference_allocates_only_what_it_owns_in_xml_and_json() {
    let per_ref = |two: &str, three: &str, json: bool| {
        let decode = |doc: &str| {
            if json {
                decode_json::<EntityReferences>(doc.as_bytes()).unwrap()
            } else {
                decode_xml::<EntityReferences>(doc.as_bytes()).unwrap()
            }
        };
        let (a2, _) = allocations(|| decode(two));
        let (a3, refs) = allocations(|| decode(three));
        assert_eq!(refs.ref_.len(), 3);
        assert!(refs.ref_.iter().all(|r| r.unknown.is_empty()));
        (a3 - a2, owned_by_one_ref(&refs.ref_[2]))
    };
    let (xml, owned) = per_ref(&xml_refs(2, ""), &xml_refs(3, ""), false);
    assert_eq!(xml, owned, "XML: allocations for one more reference");
    let (json, owned) = per_ref(&json_refs(2), &json_refs(3), true);
    assert_eq!(json, owned, "JSON: allocations for one more reference");
}

#[test]
fn kept_content_is_paid_for_only_where_it_is() {
    // One unknown attribute per reference: its name and value, plus the kept parts' box and
    // their attribute list, on top of what a reference owns anyway.
    let (two, three) = (xml_refs(2, r#" New="x""#), xml_refs(3, r#" New="x""#));
    let (a2, _) = allocations(|| decode_xml::<EntityReferences>(two.as_bytes()));
    let (a3, refs) = allocations(|| decode_xml::<EntityReferences>(three.as_bytes()));
    let refs = refs.unwrap();
    assert_eq!(refs.ref_[2].unknown.paths(), vec!["@New".to_string()]);
    assert_eq!(a3 - a2, owned_by_one_ref(&refs.ref_[2]) + 2 + 2);
}

#[test]
fn scalar_elements_are_read_without_a_copy() {
    // `TaskId` and `Operation` are strings, `Href` and the link's target too: all four go
    // into the chunk of decoded text, one allocation. `State` is an enum and `Success` a
    // boolean (none). The links list: one more (its relation is borrowed from the spec's
    // names).
    let doc = r#"<Task Href="https://em:9398/api/tasks/task-1"><Links><Link Rel="Delete" Href="https://em:9398/api/tasks/task-1"/></Links><TaskId>task-1</TaskId><State>Finished</State><Operation>StartJob</Operation><Result Success="true"/></Task>"#;
    let with_message = doc.replace(
        r#"<Result Success="true"/>"#,
        r#"<Result Success="true"><Message>Job started.</Message></Result>"#,
    );
    let (plain, task) = allocations(|| decode_xml::<Task>(doc.as_bytes()).unwrap());
    let (more, task2) = allocations(|| decode_xml::<Task>(with_message.as_bytes()).unwrap());
    assert_eq!(task.operation.as_deref(), Some("StartJob"));
    let operation = task2.operation.as_deref().unwrap_or_default();
    let message = task2.result.as_ref().and_then(|r| r.message.as_deref());
    assert_eq!(message, Some("Job started."));
    // The message is written once, into the chunk right after the operation, the text
    // decoded before it; at most one allocation more, for the reader's deeper name stack.
    assert_eq!(
        message.map(str::as_ptr),
        Some(operation.as_ptr().wrapping_add(operation.len()))
    );
    assert!((0..=1).contains(&(more - plain)), "{plain} → {more}");
    // The chunk and the list, and a small fixed overhead of the reader.
    assert!((2..=2 + 3).contains(&plain), "{plain} allocations");
}

/// A reference with `n` links, in XML or JSON.
fn ref_with_links(n: usize, json: bool) -> String {
    let links: Vec<String> = (0..n)
        .map(|i| {
            if json {
                format!(r#"{{"Rel":"Down","Href":"https://em:9398/api/jobs/{i}"}}"#)
            } else {
                format!(r#"<Link Rel="Down" Href="https://em:9398/api/jobs/{i}"/>"#)
            }
        })
        .collect();
    if json {
        format!(
            r#"{{"Href":"https://em:9398/api/jobs/x","Links":[{}]}}"#,
            links.join(",")
        )
    } else {
        let links = links.concat();
        format!(
            r#"<EntityRef Href="https://em:9398/api/jobs/x"><Links>{links}</Links></EntityRef>"#
        )
    }
}

#[test]
fn link_lists_keep_no_growth_slack() {
    // XML: a wrapper's links are read into a per-thread list and moved into one allocation
    // of their final length, at every length. JSON: growth doubles, so 18 links would sit in
    // room for 32, 14 spare links being a kilobyte of memory every decode would take fresh,
    // and are shrunk; a list of 2 (room for 4) keeps its room, as giving back two
    // links' worth would cost a call to the allocator.
    for json in [false, true] {
        let decode = |doc: &str| {
            let r: EntityRef = if json {
                decode_json(doc.as_bytes()).unwrap()
            } else {
                decode_xml(doc.as_bytes()).unwrap()
            };
            r.links.expect("links").0
        };
        let long = decode(&ref_with_links(18, json));
        assert_eq!((long.len(), long.capacity()), (18, 18), "json: {json}");
        let short = decode(&ref_with_links(2, json));
        if json {
            assert!(short.capacity() > short.len(), "json: {}", short.capacity());
        } else {
            assert_eq!((short.len(), short.capacity()), (2, 2), "xml");
        }
        // The per-thread list is handed back empty: the next decode starts from nothing.
        let again = decode(&ref_with_links(3, json));
        assert_eq!(again.len(), 3, "json: {json}");
    }
}

#[test]
fn xml_item_lists_give_back_slack_from_64_bytes_json_from_512() {
    // Five `SupportedVersion`s (48 bytes each) grow into room for eight: 144 spare bytes.
    // XML gives them back (its lists have no size hint, and slack is memory every decode
    // takes fresh); JSON keeps them below 512 bytes, where the allocator call costs more.
    assert_eq!(std::mem::size_of::<emrest::SupportedVersion>(), 48);
    let names = ["1.0", "1.1", "1.2", "1.3", "1.4"];
    let xml: String = names
        .iter()
        .map(|n| format!(r#"<SupportedVersion Name="v{n}"/>"#))
        .collect();
    let xml = format!(
        "<EnterpriseManager><SupportedVersions>{xml}</SupportedVersions></EnterpriseManager>"
    );
    let json: Vec<String> = names
        .iter()
        .map(|n| format!(r#"{{"Name":"v{n}"}}"#))
        .collect();
    let json = format!(
        r#"{{"SupportedVersions":{{"SupportedVersions":[{}]}}}}"#,
        json.join(",")
    );
    let x: EnterpriseManager = decode_xml(xml.as_bytes()).unwrap();
    let j: EnterpriseManager = decode_json(json.as_bytes()).unwrap();
    let (x, j) = (x.supported_versions.unwrap(), j.supported_versions.unwrap());
    assert_eq!((x.len(), x.capacity()), (5, 5), "xml");
    assert_eq!((j.len(), j.capacity()), (5, 8), "json");
}
