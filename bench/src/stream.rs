//! A prototype, for evidence only: decoding straight from quick-xml events into the *same
//! generated structs* (`EntityRef`, `BackupJobSession`, `Link`), with no intermediate `Node`
//! tree. Hand-written here for two documents to measure what a generated streaming decoder
//! (one `match` on element/attribute names per type) would reach; not a supported decoder
//! (no JSON, no case-insensitive names, unknown elements skipped).

use std::borrow::Cow;

use emrest::runtime::{DateTime, Scalar};
use emrest::{BackupJobSession, EntityRef, JobResult, Link, Links, SessionJobType, SessionState};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

type R<'a> = Reader<&'a [u8]>;

fn attr_text<'a>(a: &'a quick_xml::events::attributes::Attribute<'a>) -> Cow<'a, str> {
    a.unescape_value().expect("attribute value")
}

fn text_until_end(r: &mut R<'_>) -> String {
    let mut out = String::new();
    loop {
        match r.read_event().expect("xml") {
            Event::Text(t) => out.push_str(&t.unescape().expect("text")),
            Event::End(_) => return out,
            Event::Eof => panic!("eof in text"),
            _ => {}
        }
    }
}

fn parse<T: Scalar>(s: &str) -> Option<T> {
    T::parse_text(s).ok()
}

fn links(r: &mut R<'_>) -> Links {
    let mut out = Vec::new();
    loop {
        match r.read_event().expect("xml") {
            Event::Empty(e) if e.local_name().as_ref() == b"Link" => out.push(link(&e)),
            Event::Start(e) if e.local_name().as_ref() == b"Link" => {
                out.push(link(&e));
                r.read_to_end(e.name()).expect("link end");
            }
            Event::End(_) => return Links(out),
            Event::Eof => panic!("eof in links"),
            _ => {}
        }
    }
}

fn link(e: &BytesStart<'_>) -> Link {
    let mut l = Link::default();
    for a in e.attributes().with_checks(true) {
        let a = a.expect("attribute");
        match a.key.local_name().as_ref() {
            b"Rel" => l.rel = attr_text(&a).into_owned().into(),
            b"Href" => l.href = attr_text(&a).into(),
            b"Type" => l.type_ = Some(attr_text(&a).into_owned().into()),
            b"Name" => l.name = Some(attr_text(&a).into()),
            _ => {}
        }
    }
    l
}

fn ref_attrs(e: &BytesStart<'_>) -> EntityRef {
    let mut x = EntityRef::default();
    for a in e.attributes().with_checks(true) {
        let a = a.expect("attribute");
        match a.key.local_name().as_ref() {
            b"Type" => x.type_ = Some(attr_text(&a).into_owned().into()),
            b"Href" => x.href = Some(attr_text(&a).into()),
            b"Name" => x.name = Some(attr_text(&a).into()),
            b"UID" => x.uid = Some(attr_text(&a).into()),
            _ => {}
        }
    }
    x
}

/// `EntityReferences` → its `Ref`s.
pub fn entity_refs(bytes: &[u8]) -> Vec<EntityRef> {
    let mut r = Reader::from_reader(bytes);
    let mut out = Vec::new();
    loop {
        match r.read_event().expect("xml") {
            Event::Start(e) if e.local_name().as_ref() == b"Ref" => {
                let mut x = ref_attrs(&e);
                loop {
                    match r.read_event().expect("xml") {
                        Event::Start(c) if c.local_name().as_ref() == b"Links" => {
                            x.links = Some(links(&mut r))
                        }
                        Event::Start(c) => {
                            r.read_to_end(c.name()).expect("skip");
                        }
                        Event::End(_) => break,
                        Event::Eof => panic!("eof in ref"),
                        _ => {}
                    }
                }
                out.push(x);
            }
            Event::Empty(e) if e.local_name().as_ref() == b"Ref" => out.push(ref_attrs(&e)),
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// `QueryResult` with `BackupJobSession` entities → the sessions.
pub fn query_sessions(bytes: &[u8]) -> Vec<BackupJobSession> {
    let mut r = Reader::from_reader(bytes);
    let mut out = Vec::new();
    loop {
        match r.read_event().expect("xml") {
            Event::Start(e) if e.local_name().as_ref() == b"BackupJobSession" => {
                let x = ref_attrs(&e);
                let mut s = BackupJobSession {
                    type_: x.type_,
                    href: x.href,
                    name: x.name,
                    uid: x.uid,
                    ..Default::default()
                };
                loop {
                    match r.read_event().expect("xml") {
                        Event::Start(c) => match c.local_name().as_ref() {
                            b"Links" => s.links = Some(links(&mut r)),
                            b"JobUid" => s.job_uid = Some(text_until_end(&mut r).into()),
                            b"JobName" => s.job_name = Some(text_until_end(&mut r).into()),
                            b"JobType" => {
                                s.job_type = parse::<SessionJobType>(&text_until_end(&mut r))
                            }
                            b"CreationTimeUTC" => {
                                s.creation_time_utc =
                                    parse::<DateTime>(&text_until_end(&mut r)).unwrap_or_default()
                            }
                            b"EndTimeUTC" => {
                                s.end_time_utc = parse::<DateTime>(&text_until_end(&mut r))
                            }
                            b"State" => s.state = parse::<SessionState>(&text_until_end(&mut r)),
                            b"Result" => s.result = parse::<JobResult>(&text_until_end(&mut r)),
                            b"Progress" => {
                                s.progress =
                                    parse::<i32>(&text_until_end(&mut r)).unwrap_or_default()
                            }
                            b"FailureMessage" => {
                                s.failure_message = Some(text_until_end(&mut r).into())
                            }
                            b"IsRetry" => {
                                s.is_retry =
                                    parse::<bool>(&text_until_end(&mut r)).unwrap_or_default()
                            }
                            _ => {
                                r.read_to_end(c.name()).expect("skip");
                            }
                        },
                        Event::End(_) => break,
                        Event::Eof => panic!("eof in session"),
                        _ => {}
                    }
                }
                out.push(s);
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}
