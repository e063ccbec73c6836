//! Every operation of the methods table, called end to end against em-sim with the runtime:
//! `emrest_runtime::Op` values built from `emrest-codegen`'s IR at run time, the link found
//! on a representation em-sim served, `Session::prepare` for the expected request and
//! `emrest_runtime::call` for the real one. For each operation the test asserts the verb,
//! path, query, content type and body em-sim received and that the answer decodes as the
//! documented type (with the generated client), in XML and in JSON (PascalCase and
//! camelCase). It prints
//! `N/M operations end to end` per format and fails below M, every operation of the spec.

mod support;

use std::collections::{BTreeMap, HashMap, VecDeque};

use emrest_codegen::ir::{Ir, OpIr, Returns, TypeIr, Verb as IrVerb};
use emrest_runtime::{call, Casing, Format, Link, Links, Node, Op, RawResponse, Response, Verb};
use emrest_sim::{spawn, SimConfig};
use support::{link_is_op, operations, typed_nodes, types};

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
        returns: match &op.returns {
            Returns::Type(t) => emrest_runtime::Returns::Type(leak(t)),
            Returns::Bytes => emrest_runtime::Returns::Download,
            Returns::Nothing => emrest_runtime::Returns::Nothing,
        },
        status: Box::leak(op.status.clone().into_boxed_slice()),
        task: op.task,
        media: op.media.as_deref().map(leak),
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
                    rel: l.attr("Rel")?.to_string().into(),
                    href: l.attr("Href")?.into(),
                    type_: l.attr("Type").map(|t| t.to_string().into()),
                    name: l.attr("Name").map(Into::into),
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
                    // A link is new when no kept link stands for the same operation (a file
                    // of a mount and one of the catalog offer different `Restore`s).
                    let op_of = |l: &Link| {
                        nt.ops.iter().position(|op| {
                            link_is_op(op, base, &l.rel, l.type_.as_deref(), &l.href)
                        })
                    };
                    let fresh: Vec<Link> = links
                        .0
                        .iter()
                        .filter(|l| {
                            !entry.0.iter().any(|e| {
                                e.rel == l.rel
                                    && e.type_ == l.type_
                                    && (op_of(e) == op_of(l) || op_of(l).is_none())
                            })
                        })
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
                        if !seen.contains(l.href.as_str()) {
                            queue.push_back((l.href.to_string(), r.clone()));
                        }
                    }
                }
            }
        }
    }
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

    let samples = support::request_samples(&ir);
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
    let json = format == Format::Json;
    let ctx = Ctx {
        em: &em,
        sim: &sim,
        samples: &samples,
        ir: &ir,
        base: &base,
        json,
    };
    // Operations of types no walk has found yet (a mount's files, a browsed file system)
    // wait for what the tasks of the operations before them lead to, a few rounds at most.
    let (mut pending, late): (Vec<usize>, Vec<usize>) = order
        .into_iter()
        .partition(|&i| rank(ops[i].1, ops[i].0) < 3);
    let mut walked = 0;
    for round in 0..ROUNDS {
        let mut waiting = Vec::new();
        for i in pending {
            let (owner, op) = ops[i];
            let Some(links) = found.get(&owner.name) else {
                waiting.push(i);
                continue;
            };
            match call_one(&ctx, links, owner, op).await {
                Ok(t) => {
                    passed += 1;
                    tasks.extend(t);
                }
                Err(e) => {
                    failures.insert(op_id(owner, op), e);
                }
            }
        }
        // What the tasks' links lead to (mounts, sessions, file listings).
        let seeds = task_seeds(&ops, &base, &tasks[walked..]);
        walked = tasks.len();
        harvest(&ir, &http, &base, &token, seeds, &mut found).await;
        pending = waiting;
        if pending.is_empty() || round + 1 == ROUNDS {
            break;
        }
    }
    for i in pending {
        let (owner, op) = ops[i];
        failures.insert(
            op_id(owner, op),
            "no representation of the type was found".into(),
        );
    }
    // The tasks: the links every finished task offered, for the task's own operations.
    let mut union = found.remove("Task").unwrap_or(Links(Vec::new()));
    for t in &tasks {
        for l in &t.0 {
            if !union.0.iter().any(|u| u.rel == l.rel && u.type_ == l.type_) {
                union.0.push(l.clone());
            }
        }
    }
    found.insert("Task".into(), union);
    for i in late {
        let (owner, op) = ops[i];
        let Some(links) = found.get(&owner.name) else {
            failures.insert(
                op_id(owner, op),
                "no representation of the type was found".into(),
            );
            continue;
        };
        match call_one(&ctx, links, owner, op).await {
            Ok(_) => passed += 1,
            Err(e) => {
                failures.insert(op_id(owner, op), e);
            }
        }
    }
    Run { passed, failures }
}

/// Rounds of operations waiting for representations that tasks lead to.
const ROUNDS: usize = 4;

/// Samples of one body type used per operation, at most.
const MAX_SAMPLES: usize = 3;

/// What one call needs.
struct Ctx<'a> {
    em: &'a emrest::Session,
    sim: &'a emrest_sim::SimHandle,
    samples: &'a HashMap<String, Vec<Vec<u8>>>,
    ir: &'a Ir,
    base: &'a str,
    json: bool,
}

fn op_id(owner: &TypeIr, op: &OpIr) -> String {
    format!(
        "{}.{} {} {}",
        owner.name,
        op.method,
        op.verb.as_str(),
        op.path
    )
}

/// GET links of finished tasks, as walk seeds (href, returned type).
fn task_seeds(ops: &[(&TypeIr, &OpIr)], base: &str, tasks: &[Links]) -> Vec<(String, String)> {
    let mut seeds = Vec::new();
    for t in tasks {
        for l in &t.0 {
            let hit = ops.iter().find(|(ot, op)| {
                ot.name == "Task" && link_is_op(op, base, &l.rel, l.type_.as_deref(), &l.href)
            });
            if let Some((_, op)) = hit {
                if let (IrVerb::Get, Returns::Type(r)) = (op.verb, &op.returns) {
                    seeds.push((l.href.to_string(), r.clone()));
                }
            }
        }
    }
    seeds
}

/// Calls `op` on the representation whose links are `links`, once per documented sample of
/// its body type (a synthesized or default body when there is none), and checks what em-sim
/// received and the decoded answer; the links of the finished tasks it started.
async fn call_one(
    c: &Ctx<'_>,
    links: &Links,
    owner: &TypeIr,
    op: &OpIr,
) -> Result<Vec<Links>, String> {
    let rop = to_op(owner, op);
    // The documented samples of the body type where there are some, else a default value.
    let bodies: Vec<Option<Box<dyn emrest_runtime::Body>>> = match op.body.as_deref() {
        None => vec![None],
        Some(b) => {
            let mut v: Vec<_> = c
                .samples
                .get(b)
                .into_iter()
                .flatten()
                .filter_map(|bytes| types::sample_body(b, bytes))
                .take(MAX_SAMPLES)
                .map(Some)
                .collect();
            if v.is_empty() {
                let synth = c
                    .ir
                    .type_named(b)
                    .and_then(|t| types::sample_body(b, support::synth_xml(c.ir, t).as_bytes()));
                v.push(synth.or_else(|| types::default_body(b)));
            }
            v
        }
    };
    // The links of one representation: of several links with the operation's relation and
    // type (the merged links of a mount's file and a catalog file), the one standing for it.
    let links = Links(
        links
            .0
            .iter()
            .filter(|l| {
                l.rel != op.rel
                    || l.type_.as_deref() != op.link_type.as_deref()
                    || link_is_op(op, c.base, &l.rel, l.type_.as_deref(), &l.href)
            })
            .cloned()
            .collect(),
    );
    let links = &links;
    // The operation passes when one of its bodies passes (a documentation sample may name
    // objects em-sim does not hold: 400); every body is tried, for the tasks it starts.
    let mut started = Vec::new();
    let mut first_err = None;
    let mut ok = false;
    for body in bodies {
        match call_body(c, links, rop, op, body.as_deref()).await {
            Ok(t) => {
                ok = true;
                started.extend(t);
            }
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    match first_err {
        Some(e) if !ok => Err(e),
        _ => Ok(started),
    }
}

async fn call_body(
    c: &Ctx<'_>,
    links: &Links,
    rop: &'static Op,
    op: &OpIr,
    body: Option<&dyn emrest_runtime::Body>,
) -> Result<Vec<Links>, String> {
    let mut started = Vec::new();
    {
        let prepared =
            c.em.prepare(links, rop, body)
                .map_err(|e| format!("prepare: {e}"))?;
        let before = c.sim.requests().len();
        let answer = call::<emrest::Api, Captured>(c.em, links, rop, body).await;
        let received = c.sim.requests();
        let rec = received
            .get(before)
            .ok_or_else(|| "em-sim received nothing".to_string())?;
        let url = reqwest::Url::parse(&prepared.url).expect("prepared URL");
        if rec.method != op.verb.as_str()
            || rec.path != url.path()
            || rec.query.as_deref() != url.query()
        {
            return Err(format!(
                "sent {} {}?{:?}, em-sim received {} {}?{:?}",
                op.verb.as_str(),
                url.path(),
                url.query(),
                rec.method,
                rec.path,
                rec.query
            ));
        }
        if rec.body != prepared.body || rec.content_type.as_deref() != prepared.content_type {
            return Err(format!(
                "prepared body {:?} ({:?}), em-sim received {:?} ({:?})",
                prepared.body, prepared.content_type, rec.body, rec.content_type
            ));
        }
        let answer = answer.map_err(|e| format!("answer: {e}"))?;
        if let Returns::Type(r) = &op.returns {
            if answer.json != c.json {
                return Err(format!("answered in the other format ({})", answer.status));
            }
            match types::decode(r, c.json, &answer.body) {
                Some(Ok(())) => {}
                Some(Err(e)) => return Err(format!("decode as {r}: {e}")),
                None => return Err(format!("no generated type {r}")),
            }
            if op.task {
                if let Ok(task) = decode_task(c.json, &answer.body) {
                    started.push(wait_links(c.em, &task).await);
                }
            }
        }
    }
    Ok(started)
}

/// The `Href` of a task answer.
fn decode_task(json: bool, body: &[u8]) -> Result<String, String> {
    let t: emrest::Task = if json {
        emrest_runtime::decode_json(body).map_err(|e| e.to_string())?
    } else {
        emrest_runtime::decode_xml(body).map_err(|e| e.to_string())?
    };
    t.href
        .map(String::from)
        .ok_or_else(|| "task without Href".into())
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
    // Every document answer went through the generated type of what was called.
    let untyped = emrest_sim::untyped_answers();
    println!("answers written without a generated type: {untyped:?}");
    assert!(
        untyped.is_empty(),
        "em-sim wrote documents no generated type wrote: {untyped:?}"
    );
    for (name, r) in [
        ("XML", &xml),
        ("JSON Pascal", &pascal),
        ("JSON camel", &camel),
    ] {
        assert_eq!(
            r.passed, total,
            "{name}: every operation of the spec end to end"
        );
    }
}
