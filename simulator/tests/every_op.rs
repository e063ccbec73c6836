//! Every operation of the methods table, called end to end against em-sim with the runtime:
//! `emrest_runtime::Op` values built from `emrest-codegen`'s IR at run time, the link found
//! on a representation em-sim served, `Session::prepare` for the expected request and
//! `emrest_runtime::call` for the real one. For each operation the test asserts the verb,
//! path and query em-sim received and that the answer decodes as the documented type (with
//! the generated client), in XML and in JSON (PascalCase and camelCase). It prints
//! `N/481 operations end to end` per format and fails below [`FLOOR`].

mod support;

use std::collections::{BTreeMap, HashMap, VecDeque};

use emrest_codegen::ir::{Ir, OpIr, Returns, TypeIr, Verb as IrVerb};
use emrest_runtime::{call, Casing, Format, Link, Links, Node, Op, RawResponse, Response, Verb};
use emrest_sim::{spawn, SimConfig};
use support::{link_is_op, operations, typed_nodes, types};

/// The test fails when fewer operations pass end to end (in any format).
const FLOOR: usize = 474;

/// Requests of the harvesting walks, at most.
const MAX_WALK: usize = 1500;

/// An answer as received: status, body, format.
struct Captured {
    status: u16,
    body: Vec<u8>,
    json: bool,
}

impl Response for Captured {
    fn from_response(r: RawResponse) -> emrest_runtime::Result<Self> {
        Ok(Captured {
            status: r.status(),
            json: r.content_type().is_some_and(|c| c.contains("json")),
            body: r.body().to_vec(),
        })
    }
}

fn leak(s: &str) -> &'static str {
    // Bounded: one copy per spec string per run.
    Box::leak(s.to_string().into_boxed_str())
}

/// The runtime descriptor of `op` of `owner`, built from the IR.
fn to_op(owner: &TypeIr, op: &OpIr) -> &'static Op {
    let verb = match op.verb {
        IrVerb::Get => Verb::Get,
        IrVerb::Post => Verb::Post,
        IrVerb::Put => Verb::Put,
        IrVerb::Delete => Verb::Delete,
    };
    Box::leak(Box::new(Op {
        owner: leak(&owner.name),
        rel: leak(&op.rel),
        link_type: op.link_type.as_deref().map(leak),
        link_name: op.link_name.as_deref().map(leak),
        method: leak(&op.method),
        verb,
        action: op.action.as_deref().map(leak),
        query: op.query.as_deref().map(leak),
        path: leak(&op.path),
        request: op.body.as_deref().map(leak),
        response: match &op.returns {
            Returns::Type(t) => Some(leak(t)),
            _ => None,
        },
        status: Box::leak(op.status.clone().into_boxed_slice()),
        task: op.task,
    }))
}

/// The links of a node's `Links` child.
fn links_of(n: &Node) -> Links {
    Links(
        n.children
            .iter()
            .filter(|c| c.name == "Links")
            .flat_map(|l| l.children.iter())
            .filter_map(|l| {
                Some(Link {
                    rel: l.attr("Rel")?.to_string(),
                    href: l.attr("Href")?.to_string(),
                    type_: l.attr("Type").map(str::to_string),
                    name: l.attr("Name").map(str::to_string),
                    ..Default::default()
                })
            })
            .collect(),
    )
}

/// One representation per spec type (its links), found by walking em-sim by GET links as
/// admin in XML from `seeds`.
async fn harvest(
    ir: &Ir,
    http: &reqwest::Client,
    base: &str,
    token: &str,
    seeds: Vec<(String, String)>,
    found: &mut HashMap<String, Links>,
) {
    let ops = operations(ir);
    let mut queue: VecDeque<(String, String)> = seeds.into();
    let mut seen = std::collections::BTreeSet::new();
    let mut n = 0;
    while let Some((url, tname)) = queue.pop_front() {
        if n >= MAX_WALK || !seen.insert(url.clone()) {
            continue;
        }
        n += 1;
        let Ok(r) = http
            .get(&url)
            .header("X-RestSvcSessionId", token)
            .send()
            .await
        else {
            continue;
        };
        if r.status() != 200 {
            continue;
        }
        let Ok(bytes) = r.bytes().await else { continue };
        let Ok(root) = emrest_runtime::parse_xml(&bytes) else {
            continue;
        };
        let Some(t) = ir.type_named(&tname) else {
            continue;
        };
        for (structural, node) in typed_nodes(ir, t, &root) {
            let nt = node
                .attr("Type")
                .and_then(|n| ir.type_named(n))
                .filter(|t| !t.ops.is_empty())
                .unwrap_or(structural);
            // A directory's listing is at its Href (no link leads there).
            if nt.name == "DirectoryEntry" {
                if let Some(h) = node.attr("Href") {
                    queue.push_back((h.to_string(), "FileSystemEntries".into()));
                }
            }
            // A mounted volume's listing is at the FSRoots entry's Href (no link leads there).
            if nt.name.ends_with("Mount") {
                if let Some(h) = node
                    .child("FSRoots")
                    .and_then(|r| r.children.first())
                    .and_then(|d| d.attr("Href"))
                {
                    queue.push_back((h.to_string(), "FileSystemEntries".into()));
                }
            }
            // A reference without links: read its entity form (the type whose URL form it has).
            if nt.ops.is_empty() {
                if let Some(h) = node.attr("Href") {
                    let target = ir.types.iter().find(|t| {
                        !t.ops.is_empty()
                            && t.path.as_deref().is_some_and(|p| {
                                let tpl = emrest_sim::spec::Template::parse(p);
                                support::split_href(base, &format!("{h}?format=Entity"))
                                    .is_some_and(|(low, raw, q)| {
                                        tpl.capture(&low, &raw).is_some() && tpl.query_matches(&q)
                                    })
                            })
                    });
                    if let Some(t) = target {
                        queue.push_back((format!("{h}?format=Entity"), t.name.clone()));
                    }
                }
            }
            let links = links_of(node);
            // The first representation of a type whole; later ones add the relations it lacks
            // (a backup copy job offers other actions than a backup job).
            match found.get_mut(&nt.name) {
                None => {
                    found.insert(nt.name.clone(), links.clone());
                }
                Some(entry) => {
                    let fresh: Vec<Link> = links
                        .0
                        .iter()
                        .filter(|l| !entry.0.iter().any(|e| e.rel == l.rel && e.type_ == l.type_))
                        .cloned()
                        .collect();
                    entry.0.extend(fresh);
                }
            }
            for l in &links.0 {
                let hit = ops.iter().find(|(ot, op)| {
                    ot.name == nt.name && link_is_op(op, base, &l.rel, l.type_.as_deref(), &l.href)
                });
                if let Some((_, op)) = hit {
                    if let (IrVerb::Get, Returns::Type(r)) = (op.verb, &op.returns) {
                        if !seen.contains(&l.href) {
                            queue.push_back((l.href.clone(), r.clone()));
                        }
                    }
                }
            }
        }
    }
}

/// Documentation samples by the spec type whose root element they have (the first of each).
fn request_samples(ir: &Ir) -> HashMap<String, Vec<u8>> {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/em-docs/samples"
    );
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("samples")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    names.sort();
    let mut out = HashMap::new();
    for p in names {
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let Ok(root) = emrest_runtime::parse_xml(&bytes) else {
            continue;
        };
        for t in ir.types.iter().filter(|t| t.root == root.name) {
            out.entry(t.name.clone()).or_insert_with(|| bytes.clone());
        }
    }
    out
}

/// Outcome of one format's run.
struct Run {
    passed: usize,
    failures: BTreeMap<String, String>,
}

async fn run(format: Format, casing: Casing) -> Run {
    let ir = support::spec();
    let ops = operations(&ir);
    let sim = spawn(SimConfig {
        json_casing: casing,
        ..SimConfig::small()
    })
    .await
    .expect("simulator starts");
    let base = sim.url().trim_end_matches('/').to_string();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let logon = http
        .post(format!("{base}/sessionMngr/?v=latest"))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .expect("logon");
    let token = logon.headers()["x-restsvcsessionid"]
        .to_str()
        .expect("token")
        .to_string();
    let client = emrest::Client::builder(sim.url())
        .format(format)
        .json_casing(casing)
        .build()
        .expect("client");
    let em = client.logon("admin", "admin").await.expect("client logon");

    let samples = request_samples(&ir);
    let mut found: HashMap<String, Links> = HashMap::new();
    let seeds = vec![
        (format!("{base}/"), "EnterpriseManager".to_string()),
        (
            format!("{base}/query?type=BackupJobSession&format=Entities&pageSize=2&page=2"),
            "QueryResult".to_string(),
        ),
    ];
    harvest(&ir, &http, &base, &token, seeds, &mut found).await;
    // The client's own logon session: its links, for the session's operations.
    let own = em
        .get::<Captured>(&format!("{base}/logonSessions"))
        .await
        .ok();
    let _ = own;

    // Order: reads, then actions, then (after harvesting what tasks lead to) the rest, then
    // deletions, and the logoff last.
    let rank = |op: &OpIr, owner: &TypeIr| -> u8 {
        match op.verb {
            _ if owner.name == "LogonSession" && op.verb == IrVerb::Delete => 5,
            // Tasks exist once actions ran: their operations come after the second walk.
            _ if owner.name == "Task" && op.verb != IrVerb::Delete => 3,
            IrVerb::Get => 0,
            IrVerb::Post | IrVerb::Put => 1,
            IrVerb::Delete => 4,
        }
    };
    let mut order: Vec<usize> = (0..ops.len()).collect();
    // Deletions of inner resources before their parents.
    let depth = |op: &OpIr| op.path.split('?').next().unwrap_or("").matches('/').count();
    order.sort_by_key(|&i| {
        let r = rank(ops[i].1, ops[i].0);
        (
            r,
            if r >= 4 {
                usize::MAX - depth(ops[i].1)
            } else {
                0
            },
        )
    });

    let mut passed = 0;
    let mut failures = BTreeMap::new();
    let mut tasks: Vec<Links> = Vec::new();
    let mut second_walk = false;
    let json = format == Format::Json;
    for i in order {
        let (owner, op) = ops[i];
        if rank(op, owner) >= 3 && !second_walk {
            second_walk = true;
            // What the tasks' links lead to (mounts, sessions, file listings), and the tasks.
            let mut seeds = Vec::new();
            let mut union = Links(Vec::new());
            for t in &tasks {
                for l in &t.0 {
                    let hit = ops.iter().find(|(ot, op)| {
                        ot.name == "Task"
                            && link_is_op(op, &base, &l.rel, l.type_.as_deref(), &l.href)
                    });
                    if let Some((_, op)) = hit {
                        if let (IrVerb::Get, Returns::Type(r)) = (op.verb, &op.returns) {
                            seeds.push((l.href.clone(), r.clone()));
                        }
                    }
                    if !union
                        .0
                        .iter()
                        .any(|u| u.rel == l.rel && u.type_ == l.type_ && u.name == l.name)
                    {
                        union.0.push(l.clone());
                    }
                }
            }
            harvest(&ir, &http, &base, &token, seeds, &mut found).await;
            found.entry("Task".into()).or_insert(union);
        }
        let id = format!(
            "{}.{} {} {}",
            owner.name,
            op.method,
            op.verb.as_str(),
            op.path
        );
        let Some(links) = found.get(&owner.name) else {
            failures.insert(id, "no representation of the type was found".into());
            continue;
        };
        let rop = to_op(owner, op);
        // The documented sample of the body type where there is one, else a default value.
        let body = op.body.as_deref().and_then(|b| {
            samples
                .get(b)
                .and_then(|bytes| types::sample_body(b, bytes))
                .or_else(|| {
                    let t = ir.type_named(b)?;
                    types::sample_body(b, support::synth_xml(&ir, t).as_bytes())
                })
                .or_else(|| types::default_body(b))
        });
        let prepared = match em.prepare(links, rop, body.as_deref()) {
            Ok(p) => p,
            Err(e) => {
                failures.insert(id, format!("prepare: {e}"));
                continue;
            }
        };
        let before = sim.requests().len();
        let answer = call::<emrest::Api, Captured>(&em, links, rop, body.as_deref()).await;
        let received = sim.requests();
        let Some(rec) = received.get(before) else {
            failures.insert(id, "em-sim received nothing".into());
            continue;
        };
        let url = reqwest::Url::parse(&prepared.url).expect("prepared URL");
        if rec.method != op.verb.as_str()
            || rec.path != url.path()
            || rec.query.as_deref() != url.query()
        {
            failures.insert(
                id,
                format!(
                    "sent {} {}?{:?}, em-sim received {} {}?{:?}",
                    op.verb.as_str(),
                    url.path(),
                    url.query(),
                    rec.method,
                    rec.path,
                    rec.query
                ),
            );
            continue;
        }
        let answer = match answer {
            Ok(a) => a,
            Err(e) => {
                failures.insert(id, format!("answer: {e}"));
                continue;
            }
        };
        if let Returns::Type(r) = &op.returns {
            if answer.json != json {
                failures.insert(
                    id,
                    format!("answered in the other format ({})", answer.status),
                );
                continue;
            }
            match types::decode(r, json, &answer.body) {
                Some(Ok(())) => {}
                Some(Err(e)) => {
                    failures.insert(id, format!("decode as {r}: {e}"));
                    continue;
                }
                None => {
                    failures.insert(id, format!("no generated type {r}"));
                    continue;
                }
            }
            if op.task {
                if let Ok(task) = decode_task(json, &answer.body) {
                    let done = wait_links(&em, &task).await;
                    tasks.push(done);
                }
            }
        }
        passed += 1;
    }
    Run { passed, failures }
}

/// The `Href` of a task answer.
fn decode_task(json: bool, body: &[u8]) -> Result<String, String> {
    let t: emrest::Task = if json {
        emrest_runtime::decode_json(body).map_err(|e| e.to_string())?
    } else {
        emrest_runtime::decode_xml(body).map_err(|e| e.to_string())?
    };
    t.href.ok_or_else(|| "task without Href".into())
}

/// Polls the task at `href` until it finishes (a few polls); its links then.
async fn wait_links(em: &emrest::Session, href: &str) -> Links {
    for _ in 0..5 {
        let Ok(t) = em.get::<emrest::Task>(href).await else {
            break;
        };
        if t.state == emrest::TaskState::Finished {
            return t.links.unwrap_or(Links(Vec::new()));
        }
    }
    Links(Vec::new())
}

fn report(name: &str, r: &Run, total: usize) {
    println!("{}/{total} operations end to end ({name})", r.passed);
    for (k, v) in r.failures.iter().take(120) {
        println!("  {k}: {v}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_operation_end_to_end_xml_and_json() {
    let total = operations(&support::spec()).len();
    let xml = run(Format::Xml, Casing::Pascal).await;
    report("XML", &xml, total);
    let pascal = run(Format::Json, Casing::Pascal).await;
    report("JSON PascalCase", &pascal, total);
    let camel = run(Format::Json, Casing::Camel).await;
    report("JSON camelCase", &camel, total);
    for (name, r) in [
        ("XML", &xml),
        ("JSON Pascal", &pascal),
        ("JSON camel", &camel),
    ] {
        assert!(r.passed >= FLOOR, "{name}: {} < {FLOOR}", r.passed);
    }
}
