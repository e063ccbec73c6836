//! Shared pieces of the emrest benchmarks (issue #6): an em-sim on its own thread, the
//! realistic documents the decode benchmarks read, the baselines ("the practical limit": a
//! quick-xml raw event loop, `serde_json::Value`, a hand-written reqwest request) and small
//! helpers for the paging binary.
//!
//! Nothing here asserts a time: the numbers are printed by `bench/compare.sh`.

pub mod stream;

use std::sync::mpsc;
use std::thread::JoinHandle;

use emrest::{EntityReferences, Jobs, QueryResult};
use emrest_runtime::{decode_json, decode_xml};
use emrest_sim::{Casing, SimConfig, Size};
use quick_xml::events::Event;
use quick_xml::Reader;

/// rustls needs a process-wide crypto provider before a plain `reqwest::Client` is built
/// (the runtime's reqwest features bring no default provider).
pub fn install_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// An em-sim running on its own OS thread (own single-threaded tokio runtime), so that the
/// client under test does not share a scheduler with the server.
pub struct SimThread {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SimThread {
    /// Starts a simulator with `size` and JSON `casing` on a free loopback port.
    pub fn start(size: Size, casing: Casing) -> SimThread {
        let (url_tx, url_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("sim runtime");
            rt.block_on(async move {
                let sim = emrest_sim::spawn(SimConfig {
                    size,
                    json_casing: casing,
                    // Idle sessions must not expire during a long benchmark.
                    idle_timeout: std::time::Duration::from_secs(24 * 3600),
                    ..SimConfig::default()
                })
                .await
                .expect("em-sim starts");
                url_tx.send(sim.url()).expect("url");
                let _ = stop_rx.await;
                sim.shutdown().await;
            });
        });
        let url = url_rx.recv().expect("em-sim reported its url");
        SimThread {
            url,
            stop: Some(stop_tx),
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:PORT/api/`
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for SimThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A hand-written EM client: what a developer writes with reqwest alone.
#[derive(Clone)]
pub struct RawEm {
    /// The reqwest client (connection pool kept between calls).
    pub http: reqwest::Client,
    /// `…/api/`
    pub base: String,
    /// `X-RestSvcSessionId` value.
    pub token: String,
}

impl RawEm {
    /// Logs on as `admin` (Basic auth, `POST sessionMngr/?v=latest`).
    pub async fn logon(base: &str) -> RawEm {
        install_crypto();
        let http = reqwest::Client::new();
        let resp = http
            .post(format!("{base}sessionMngr/?v=latest"))
            .basic_auth("admin", Some("admin"))
            .send()
            .await
            .expect("logon request");
        assert_eq!(resp.status().as_u16(), 201, "logon answered 201");
        let token = resp
            .headers()
            .get("X-RestSvcSessionId")
            .expect("token header")
            .to_str()
            .expect("ascii token")
            .to_string();
        RawEm {
            http,
            base: base.to_string(),
            token,
        }
    }

    /// GET of an absolute URL with the session header and an `Accept` type; the body.
    pub async fn get_url(&self, url: &str, accept: &str) -> bytes::Bytes {
        let resp = self
            .http
            .get(url)
            .header("X-RestSvcSessionId", &self.token)
            .header("Accept", accept)
            .send()
            .await
            .expect("GET");
        assert!(resp.status().is_success(), "GET {url}: {}", resp.status());
        resp.bytes().await.expect("body")
    }

    /// GET of `path` relative to the API base.
    pub async fn get(&self, path: &str, accept: &str) -> bytes::Bytes {
        self.get_url(&format!("{}{path}", self.base), accept).await
    }
}

/// Blocks on a future with a fresh single-threaded runtime.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// Decodes `doc` (XML) as its generated type; returns the items seen.
pub fn typed_xml(doc: &Doc) -> usize {
    match doc.name {
        "refs10k" => decode_xml::<EntityReferences>(&doc.bytes)
            .unwrap()
            .ref_
            .len(),
        "jobs1k" => decode_xml::<Jobs>(&doc.bytes).unwrap().job.len(),
        "query1k" => query_items(decode_xml::<QueryResult>(&doc.bytes).unwrap()),
        other => unreachable!("{other}"),
    }
}

/// Decodes `doc` (JSON, either casing) as its generated type; returns the items seen.
pub fn typed_json(doc: &Doc) -> usize {
    match doc.name {
        "refs10k" => decode_json::<EntityReferences>(&doc.bytes)
            .unwrap()
            .ref_
            .len(),
        "jobs1k" => decode_json::<Jobs>(&doc.bytes).unwrap().job.len(),
        "query1k" => query_items(decode_json::<QueryResult>(&doc.bytes).unwrap()),
        other => unreachable!("{other}"),
    }
}

fn query_items(q: QueryResult) -> usize {
    q.entities
        .and_then(|e| e.backup_job_sessions)
        .map_or(0, |s| s.len())
}

/// The prototype streaming decoders (no `Node` tree), where one exists.
pub fn stream_decoder(name: &str) -> Option<fn(&[u8]) -> usize> {
    match name {
        "refs10k" => Some(|b| stream::entity_refs(b).len()),
        "query1k" => Some(|b| stream::query_sessions(b).len()),
        _ => None,
    }
}

/// Decodes `doc` as a `serde_json::Value` (the JSON baseline); returns its member count.
pub fn value_json(doc: &Doc) -> usize {
    let v: serde_json::Value = serde_json::from_slice(&doc.bytes).unwrap();
    v.as_object().map_or(0, |o| o.len())
}

/// The quick-xml raw event loop: visits every element name, every attribute (key and
/// unescaped value) and every text (unescaped) of `bytes`, allocating only where an entity
/// must be unescaped. Returns a checksum so nothing is optimised away.
pub fn raw_xml_visit(bytes: &[u8]) -> usize {
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut sum = 0usize;
    loop {
        match reader.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                sum += e.local_name().as_ref().len();
                for a in e.attributes() {
                    let a = a.expect("attribute");
                    sum += a.key.local_name().as_ref().len();
                    sum += a.unescape_value().expect("value").len();
                }
            }
            Ok(Event::End(e)) => sum += e.local_name().as_ref().len(),
            Ok(Event::Text(t)) => sum += t.unescape().expect("text").len(),
            Ok(Event::CData(t)) => sum += t.len(),
            Ok(Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("raw loop: {e}"),
        }
    }
    sum
}

/// Name, wire bytes and item count of one benchmark document in one format.
#[derive(Clone)]
pub struct Doc {
    /// `refs10k`, `jobs1k`, `query1k`.
    pub name: &'static str,
    /// The whole response body.
    pub bytes: Vec<u8>,
    /// Items it holds.
    pub items: usize,
}

/// The three documents of issue #6 in one format, taken from em-sim (`large`) answers:
/// - `refs10k`: `GET /backupSessions` (an `EntityReferences` of attribute-heavy `Ref`s,
///   each with its `Links`), cut to its first 10,000 references;
/// - `jobs1k`: `GET /jobs?format=Entity` (200 `Job` entities of the large data set) with its
///   jobs repeated to 1,000;
/// - `query1k`: `GET /query?type=BackupJobSession&format=Entities&pageSize=1000`.
///
/// XML keeps em-sim's bytes (XML declaration, default namespace plus `xsd`/`xsi`
/// declarations, escaped `&amp;` in paging links); JSON arrays are cut/repeated with
/// serde_json and written back compactly, as em-sim writes them.
pub struct Docs {
    /// XML documents.
    pub xml: Vec<Doc>,
    /// JSON, v12 PascalCase.
    pub json_pascal: Vec<Doc>,
    /// JSON, v13 camelCase.
    pub json_camel: Vec<Doc>,
}

const Q1K: &str = "query?type=BackupJobSession&format=Entities&pageSize=1000";

impl Docs {
    /// The documents, fresh from em-sim; with `EMREST_BENCH_DOCS=DIR` they are kept in (and
    /// later read from) DIR, which makes profiling runs start at once.
    pub fn load() -> Docs {
        let Some(dir) = std::env::var_os("EMREST_BENCH_DOCS").map(std::path::PathBuf::from) else {
            return Docs::fetch();
        };
        let sets = ["xml", "json-pascal", "json-camel"];
        let names = [("refs10k", 10_000), ("jobs1k", 1_000), ("query1k", 1_000)];
        let path = |set: &str, name: &str| dir.join(format!("{set}-{name}"));
        if !path("json-camel", "query1k").exists() {
            let docs = Docs::fetch();
            std::fs::create_dir_all(&dir).expect("docs dir");
            for (set, list) in sets
                .iter()
                .zip([&docs.xml, &docs.json_pascal, &docs.json_camel])
            {
                for d in list {
                    std::fs::write(path(set, d.name), &d.bytes).expect("write doc");
                }
            }
            return docs;
        }
        let read = |set: &str| -> Vec<Doc> {
            names
                .iter()
                .map(|&(name, items)| Doc {
                    name,
                    bytes: std::fs::read(path(set, name)).expect("read doc"),
                    items,
                })
                .collect()
        };
        Docs {
            xml: read(sets[0]),
            json_pascal: read(sets[1]),
            json_camel: read(sets[2]),
        }
    }

    /// Fetches and shapes the documents (starts two large simulators, one per JSON casing).
    pub fn fetch() -> Docs {
        let pascal = SimThread::start(Size::Large, Casing::Pascal);
        let camel = SimThread::start(Size::Large, Casing::Camel);
        block_on(async {
            let em = RawEm::logon(pascal.url()).await;
            let em_camel = RawEm::logon(camel.url()).await;
            let xml = vec![
                Doc {
                    name: "refs10k",
                    bytes: cut_xml_refs(&em.get("backupSessions", "application/xml").await, 10_000),
                    items: 10_000,
                },
                Doc {
                    name: "jobs1k",
                    bytes: repeat_xml_jobs(
                        &em.get("jobs?format=Entity", "application/xml").await,
                        1_000,
                    ),
                    items: 1_000,
                },
                Doc {
                    name: "query1k",
                    bytes: em.get(Q1K, "application/xml").await.to_vec(),
                    items: 1_000,
                },
            ];
            let mut json = Vec::new();
            for em in [&em, &em_camel] {
                let refs = em.get("backupSessions", "application/json").await;
                let jobs = em.get("jobs?format=Entity", "application/json").await;
                let q = em.get(Q1K, "application/json").await;
                json.push(vec![
                    Doc {
                        name: "refs10k",
                        bytes: resize_json_array(&refs, 10_000),
                        items: 10_000,
                    },
                    Doc {
                        name: "jobs1k",
                        bytes: resize_json_array(&jobs, 1_000),
                        items: 1_000,
                    },
                    Doc {
                        name: "query1k",
                        bytes: q.to_vec(),
                        items: 1_000,
                    },
                ]);
            }
            let json_camel = json.pop().expect("camel");
            let json_pascal = json.pop().expect("pascal");
            Docs {
                xml,
                json_pascal,
                json_camel,
            }
        })
    }
}

/// Keeps the first `n` `<Ref …>…</Ref>` elements of an `EntityReferences` document.
fn cut_xml_refs(doc: &[u8], n: usize) -> Vec<u8> {
    let text = std::str::from_utf8(doc).expect("utf-8");
    let mut at = 0;
    let mut count = 0;
    let mut cut = None;
    while let Some(i) = text[at..].find("<Ref ") {
        if count == n {
            cut = Some(at + i);
            break;
        }
        count += 1;
        at += i + 5;
    }
    assert_eq!(count, n, "the document holds at least {n} references");
    let cut = cut.unwrap_or_else(|| text.rfind("</EntityReferences>").expect("end tag"));
    let mut out = text[..cut].to_string();
    out.push_str("</EntityReferences>");
    out.into_bytes()
}

/// Repeats the `<Job …>…</Job>` children of a `Jobs` document until there are `n`.
fn repeat_xml_jobs(doc: &[u8], n: usize) -> Vec<u8> {
    let text = std::str::from_utf8(doc).expect("utf-8");
    let start = text.find("<Job ").expect("a job");
    let end = text.rfind("</Jobs>").expect("end tag");
    let body = &text[start..end];
    let per = body.matches("<Job ").count();
    assert!(
        per > 0 && n.is_multiple_of(per),
        "{n} is a multiple of {per} jobs"
    );
    let mut out = text[..start].to_string();
    for _ in 0..n / per {
        out.push_str(body);
    }
    out.push_str(&text[end..]);
    out.into_bytes()
}

/// Cuts or repeats the one top-level array of a JSON document to `n` items.
fn resize_json_array(doc: &[u8], n: usize) -> Vec<u8> {
    let mut v: serde_json::Value = serde_json::from_slice(doc).expect("json");
    let obj = v.as_object_mut().expect("object");
    let arr = obj
        .values_mut()
        .find_map(|m| m.as_array_mut())
        .expect("an array member");
    let orig = arr.clone();
    assert!(!orig.is_empty());
    let mut i = 0;
    while arr.len() < n {
        arr.push(orig[i % orig.len()].clone());
        i += 1;
    }
    arr.truncate(n);
    serde_json::to_vec(&v).expect("json out")
}

/// Peak resident set size (`VmHWM`) and current RSS (`VmRSS`) of this process, in KiB.
pub fn vm_hwm_rss_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// CPU time (user + system, all threads) this process has used so far, in seconds, from
/// /proc/self/stat (clock ticks of 1/100 s, Linux's USER_HZ).
pub fn cpu_secs() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the `(comm)`: state is the 3rd field overall, utime the 14th, stime the 15th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<u64> = rest
        .split_whitespace()
        .map(|v| v.parse().unwrap_or(0))
        .collect();
    match (f.get(11), f.get(12)) {
        (Some(u), Some(s)) => (u + s) as f64 / 100.0,
        _ => 0.0,
    }
}
