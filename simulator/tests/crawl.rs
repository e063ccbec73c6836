//! Crawls em-sim from its entry point as admin (default data set), bounded in requests and
//! time, and holds what it finds to the spec and the documentation. It follows GET links, the
//! `Href` of guest directories (the spec's `FSRoots`: "GET a root's `Href`"), and one query
//! (the query service's documented form; `QueryService` declares no links in the spec); when
//! nothing is left to GET, it runs each action it was offered that answers a task (POST,
//! with the documented sample bodies), once, and follows the finished tasks' links — a few
//! rounds, since a mount's files offer actions of their own:
//!
//! - every answer decodes into the type the spec says the followed link returns (with the
//!   generated client), and passes a strict shape check (no undeclared attribute or element,
//!   no required field missing);
//! - every link em-sim emits is documented: its operation's page is in `methods.tsv`, or the
//!   same (representation, rel, type, href form) appears in a documentation sample, or it is
//!   listed in `simulator/README.md` with the page that justifies it;
//! - it prints `offered N/M` (operations whose link em-sim offers, of the spec's M) and fails
//!   below M.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use emrest_codegen::ir::{Returns, TypeIr, Verb};
use emrest_runtime::Node;
use emrest_sim::{spawn, SimConfig};
use support::{link_is_op, operations, split_href, strict, typed_nodes, types};

/// At most this many requests.
const MAX_REQUESTS: usize = 3000;

/// The crawl stops (and fails) when it takes longer than this: a bound, not a speed check.
const MAX_TIME: std::time::Duration = std::time::Duration::from_secs(180);

/// Distinct hrefs followed per (type, operation).
const PER_OP: usize = 2;

/// Rounds of actions (each offered task action runs once, in the first round it is seen).
const ACTION_ROUNDS: usize = 4;

/// Documented sample bodies sent per action, at most.
const MAX_SAMPLES: usize = 3;

/// Polls of a task before it counts as unfinished.
const MAX_POLLS: usize = 6;

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/em-docs");

/// A link's documentation key: (representation, rel, type, href form).
type LinkKey = (String, String, String, String);

/// The form of an href: path below `/api` with id-like segments as `{ID}`, and the
/// `action`/`format` query pairs.
fn href_form(href: &str) -> String {
    let rest = href.split_once("/api").map(|(_, r)| r).unwrap_or(href);
    let (p, q) = rest.split_once('?').unwrap_or((rest, ""));
    let mut out = String::new();
    for s in p.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        let idlike = s.starts_with("urn")
            || s.starts_with("task-")
            || (s.len() >= 8 && s.bytes().filter(u8::is_ascii_digit).count() >= 2)
            || s.bytes().all(|b| b.is_ascii_digit());
        out.push_str(if idlike { "{ID}" } else { s });
    }
    let kept: Vec<&str> = q
        .split('&')
        .filter(|kv| {
            let k = kv.split('=').next().unwrap_or("").to_ascii_lowercase();
            k == "action" || k == "format"
        })
        .collect();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    out.to_ascii_lowercase()
}

/// The label of a representation: its `Type` attribute, else its element name.
fn label(n: &Node) -> String {
    n.attr("Type").unwrap_or(&n.name).to_string()
}

/// Links of a node's `Links` child: (rel, type, href, name).
fn links(n: &Node) -> Vec<(String, Option<String>, String)> {
    n.children
        .iter()
        .filter(|c| c.name == "Links")
        .flat_map(|l| l.children.iter())
        .filter(|l| l.name == "Link")
        .filter_map(|l| {
            Some((
                l.attr("Rel")?.to_string(),
                l.attr("Type").map(str::to_string),
                l.attr("Href")?.to_string(),
            ))
        })
        .collect()
}

/// (verb, path, action) of every documented method page.
fn method_pages() -> BTreeSet<(String, String, String)> {
    let text = std::fs::read_to_string(format!("{DOCS}/methods.tsv")).expect("methods.tsv");
    text.lines()
        .skip(1)
        .filter_map(|l| {
            let c: Vec<&str> = l.split('\t').collect();
            // The pages escape underscores (`job\_statistics`).
            let path = c
                .get(2)?
                .split('?')
                .next()?
                .replace("\\_", "_")
                .to_ascii_lowercase();
            Some((c.get(1)?.to_string(), path, c.get(3)?.to_ascii_lowercase()))
        })
        .collect()
}

/// Every link of every documentation sample, by its key.
fn sample_links() -> BTreeSet<LinkKey> {
    let mut out = BTreeSet::new();
    let files = ["samples", "docs"]
        .iter()
        .flat_map(|d| std::fs::read_dir(format!("{DOCS}/{d}")).expect("samples dir"));
    for e in files {
        let p = e.expect("dir entry").path();
        let Ok(bytes) = std::fs::read(&p) else {
            continue;
        };
        let Ok(root) = emrest_runtime::parse_xml(&bytes) else {
            continue;
        };
        let mut stack = vec![&root];
        while let Some(n) = stack.pop() {
            for (rel, ty, href) in links(n) {
                out.insert((label(n), rel, ty.unwrap_or_default(), href_form(&href)));
            }
            stack.extend(n.children.iter());
        }
    }
    out
}

/// Links `simulator/README.md` lists under "Links beyond the documentation", by key.
fn readme_links() -> BTreeSet<LinkKey> {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let Some((_, section)) = text.split_once("## Links beyond the documentation") else {
        return BTreeSet::new();
    };
    section
        .lines()
        .take_while(|l| !l.starts_with("## "))
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| {
            let c: Vec<String> = l
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_string())
                .collect();
            // | representation | rel | type | href form | page |
            Some((
                c.get(1)?.clone(),
                c.get(2)?.clone(),
                c.get(3)?.trim_matches('-').to_string(),
                c.get(4)?.to_ascii_lowercase(),
            ))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crawl_offers_documented_links_that_decode() {
    let ir = support::spec();
    let ops = operations(&ir);
    let pages = method_pages();
    let samples = sample_links();
    let readme = readme_links();
    let sim = spawn(SimConfig::default()).await.expect("simulator starts");
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
        .expect("ascii token")
        .to_string();
    let logon_body = logon.bytes().await.expect("logon body").to_vec();

    let ty = |name: &str| -> &TypeIr { ir.type_named(name).expect("spec type") };
    let mut docs: VecDeque<(String, &TypeIr, Vec<u8>)> = VecDeque::new();
    docs.push_back((
        format!("{base}/sessionMngr/"),
        ty("LogonSession"),
        logon_body,
    ));
    let mut queue: VecDeque<(String, &TypeIr)> = VecDeque::new();
    queue.push_back((format!("{base}/"), ty("EnterpriseManager")));
    // A page in the middle of a query, so that every paging link is there.
    queue.push_back((
        format!("{base}/query?type=BackupJobSession&format=Entities&pageSize=100&page=2"),
        ty("QueryResult"),
    ));
    let bodies_by_type = support::request_samples(&ir);
    // Task actions offered and not run yet: (operation, href); and those that ran.
    let mut actions: Vec<(usize, String)> = Vec::new();
    let mut acted: BTreeSet<usize> = BTreeSet::new();
    let mut rounds = 0;
    let mut dirs = 0;
    let mut by_form: HashMap<String, usize> = HashMap::new();

    let mut visited: BTreeSet<String> = BTreeSet::new();
    let mut followed: HashMap<(usize, &str), usize> = HashMap::new();
    let mut offered: BTreeSet<usize> = BTreeSet::new();
    let mut problems: Vec<String> = Vec::new();
    let mut shape_problems: BTreeMap<String, usize> = BTreeMap::new();
    let mut undocumented: BTreeMap<LinkKey, String> = BTreeMap::new();
    let mut requests = 0;
    let started = std::time::Instant::now();

    loop {
        if let Some((url, t, bytes)) = docs.pop_front() {
            // Decode with the generated client, then the strict shape check.
            match types::decode(&t.name, false, &bytes) {
                Some(Ok(())) => {}
                Some(Err(e)) => problems.push(format!("{url} as {}: {e}", t.name)),
                None => problems.push(format!("{url}: no generated type {}", t.name)),
            }
            let Ok(root) = emrest_runtime::parse_xml(&bytes) else {
                problems.push(format!("{url}: not XML"));
                continue;
            };
            let mut shape = Vec::new();
            strict(&ir, t, &root, "", &mut shape);
            for p in shape {
                // One line per kind of shape problem (the path inside the document kept).
                *shape_problems.entry(p).or_insert(0usize) += 1;
            }
            for (structural, node) in typed_nodes(&ir, t, &root) {
                // A reference names the type of what it points to, as every documented
                // sample does (`Type="JobReference"`), never the generic reference type.
                if node.attr("Type") == Some(ir.api.query.reference.as_str()) {
                    *shape_problems
                        .entry(format!(
                            "{} in {}: Type=\"{}\" names no resource type",
                            label(node),
                            href_form(&url),
                            ir.api.query.reference
                        ))
                        .or_insert(0usize) += 1;
                }
                // Links follow the type the node names when it declares links.
                let nt = node
                    .attr("Type")
                    .and_then(|n| ir.type_named(n))
                    .filter(|t| !t.ops.is_empty())
                    .unwrap_or(structural);
                if nt.name == "DirectoryEntry" && dirs < PER_OP * 8 {
                    if let Some(h) = node.attr("Href").filter(|h| !visited.contains(*h)) {
                        dirs += 1;
                        visited.insert(h.to_string());
                        queue.push_back((h.to_string(), ty("FileSystemEntries")));
                    }
                }
                // A reference without links: its entity form, the URL form of a type.
                if nt.ops.is_empty() {
                    if let Some(h) = node.attr("Href") {
                        let entity = format!("{h}?format=Entity");
                        let target = ir.types.iter().find(|t| {
                            !t.ops.is_empty()
                                && t.path.as_deref().is_some_and(|p| {
                                    let tpl = emrest_sim::spec::Template::parse(p);
                                    split_href(&base, &entity).is_some_and(|(low, raw, q)| {
                                        tpl.capture(&low, &raw).is_some() && tpl.query_matches(&q)
                                    })
                                })
                        });
                        if let Some(t) = target {
                            let n = by_form.entry(t.name.clone()).or_insert(0usize);
                            if *n < PER_OP && !visited.contains(&entity) {
                                *n += 1;
                                visited.insert(entity.clone());
                                queue.push_back((entity, t));
                            }
                        }
                    }
                }
                for (rel, lty, href) in links(node) {
                    // The operation a link stands for; a link typed where the operation's
                    // link is not (EM's `Delete` of a task says `Type="Task"`) stands for it
                    // too, as the client finds it.
                    // Every operation that follows this link (one link may serve several: a
                    // mount with and without its optional body).
                    let mut hits: Vec<usize> = (0..ops.len())
                        .filter(|&i| {
                            let (ot, op) = ops[i];
                            ot.name == nt.name && link_is_op(op, &base, &rel, lty.as_deref(), &href)
                        })
                        .collect();
                    if hits.is_empty() {
                        hits = (0..ops.len())
                            .filter(|&i| {
                                let (ot, op) = ops[i];
                                ot.name == nt.name
                                    && op.link_type.is_none()
                                    && link_is_op(op, &base, &rel, None, &href)
                            })
                            .collect();
                    }
                    let hit = hits.first().copied();
                    let key: LinkKey = (
                        label(node),
                        rel.clone(),
                        lty.clone().unwrap_or_default(),
                        href_form(&href),
                    );
                    let documented = match hit {
                        Some(i) => {
                            let op = ops[i].1;
                            let path = op.path.split('?').next().unwrap_or("").to_ascii_lowercase();
                            let action = op.action.clone().unwrap_or_default().to_ascii_lowercase();
                            // An edit's page has no action column (`PUT /jobs/{ID}`).
                            let verb = op.verb.as_str().to_string();
                            pages.contains(&(verb.clone(), path.clone(), action))
                                || pages.contains(&(verb, path, String::new()))
                        }
                        None => false,
                    } || samples.contains(&key)
                        || readme.contains(&key);
                    if !documented {
                        undocumented
                            .entry(key)
                            .or_insert_with(|| format!("{} in {url}", nt.name));
                    }
                    let Some(i) = hit else { continue };
                    for &j in &hits {
                        offered.insert(j);
                        let op = ops[j].1;
                        if op.verb == Verb::Post
                            && op.task
                            && !acted.contains(&j)
                            && !actions.iter().any(|(a, _)| *a == j)
                        {
                            actions.push((j, href.clone()));
                        }
                    }
                    let op = ops[i].1;
                    let (Verb::Get, Returns::Type(r)) = (op.verb, &op.returns) else {
                        continue;
                    };
                    let n = followed.entry((i, r.as_str())).or_default();
                    if *n >= PER_OP || visited.contains(&href) {
                        continue;
                    }
                    *n += 1;
                    visited.insert(href.clone());
                    queue.push_back((href, ty(r)));
                }
            }
            continue;
        }
        if queue.is_empty() && !actions.is_empty() && rounds < ACTION_ROUNDS {
            rounds += 1;
            for (i, href) in std::mem::take(&mut actions) {
                acted.insert(i);
                let op = ops[i].1;
                let bodies: Vec<Option<Vec<u8>>> = match op.body.as_deref() {
                    None => vec![None],
                    Some(b) => match bodies_by_type.get(b) {
                        Some(v) => v.iter().take(MAX_SAMPLES).cloned().map(Some).collect(),
                        None => vec![ir
                            .type_named(b)
                            .map(|t| support::synth_xml(&ir, t).into_bytes())],
                    },
                };
                for body in bodies {
                    if requests >= MAX_REQUESTS {
                        break;
                    }
                    requests += 1;
                    let mut rq = http.post(&href).header("X-RestSvcSessionId", &token);
                    if let Some(b) = body {
                        rq = rq.header("Content-Type", "application/xml").body(b);
                    }
                    let r = rq.send().await.expect("POST answered");
                    let status = r.status().as_u16();
                    let bytes = r.bytes().await.expect("body").to_vec();
                    if status != 202 {
                        // A sample may name objects em-sim does not hold; the others run.
                        continue;
                    }
                    let Some(task) = emrest_runtime::parse_xml(&bytes)
                        .ok()
                        .and_then(|n| n.attr("Href").map(str::to_string))
                    else {
                        problems.push(format!("POST {href}: a 202 without a task Href"));
                        continue;
                    };
                    // Poll the task until it finishes; its links are then crawled.
                    let mut last = None;
                    for _ in 0..MAX_POLLS {
                        requests += 1;
                        let r = http
                            .get(&task)
                            .header("X-RestSvcSessionId", &token)
                            .send()
                            .await
                            .expect("task answered");
                        let bytes = r.bytes().await.expect("body").to_vec();
                        let done = emrest_runtime::parse_xml(&bytes)
                            .ok()
                            .is_some_and(|n| n.scalar("State") == Some("Finished"));
                        last = Some(bytes);
                        if done {
                            break;
                        }
                    }
                    if let Some(bytes) = last {
                        docs.push_back((task.clone(), ty("Task"), bytes));
                    }
                }
            }
            continue;
        }
        let Some((url, t)) = queue.pop_front() else {
            break;
        };
        if requests >= MAX_REQUESTS {
            problems.push(format!("request bound {MAX_REQUESTS} reached"));
            break;
        }
        if started.elapsed() > MAX_TIME {
            problems.push(format!("time bound {MAX_TIME:?} reached"));
            break;
        }
        requests += 1;
        let r = http
            .get(&url)
            .header("X-RestSvcSessionId", &token)
            .send()
            .await
            .expect("GET answered");
        let status = r.status().as_u16();
        let bytes = r.bytes().await.expect("body").to_vec();
        if status != 200 {
            problems.push(format!(
                "GET {url} (for {}) answered {status}: {}",
                t.name,
                String::from_utf8_lossy(&bytes[..bytes.len().min(200)])
            ));
            continue;
        }
        docs.push_back((url, t, bytes));
    }

    println!("crawl: {requests} requests");
    println!("offered {}/{}", offered.len(), ops.len());
    let missing: Vec<String> = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| !offered.contains(i))
        .map(|(_, (t, op))| format!("{}.{} {} {}", t.name, op.method, op.verb.as_str(), op.path))
        .collect();
    println!("not offered ({}):", missing.len());
    for m in missing.iter().take(80) {
        println!("  {m}");
    }
    println!("undocumented links ({}):", undocumented.len());
    for ((l, rel, ty, form), at) in undocumented.iter().take(60) {
        println!("  | `{l}` | `{rel}` | `{ty}` | `{form}` | ({at})");
    }
    for (p, n) in &shape_problems {
        problems.push(format!("{p} (x{n})"));
    }
    println!("problems ({}):", problems.len());
    for p in problems.iter().take(60) {
        println!("  {p}");
    }
    assert!(
        problems.is_empty(),
        "{} problems (listed above)",
        problems.len()
    );
    assert!(
        undocumented.is_empty(),
        "{} undocumented links (listed above)",
        undocumented.len()
    );
    assert_eq!(
        offered.len(),
        ops.len(),
        "em-sim offers every operation of the spec"
    );
}

#[test]
fn every_spec_type_is_listed_for_decoding() {
    let ir = support::spec();
    let listed: BTreeSet<&str> = types::names().into_iter().collect();
    let spec: BTreeSet<&str> = ir.types.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        listed, spec,
        "tests/support/types.rs is out of date with the spec"
    );
}

#[test]
fn href_forms_normalise_ids() {
    assert_eq!(
        href_form("https://h:9398/api/jobs/9a1b2c3d-0000-4000-8000-000000000001?format=Entity&x=1"),
        "/jobs/{id}?format=entity"
    );
    assert_eq!(href_form("http://h/api/tasks/task-12"), "/tasks/{id}");
    assert!(split_href("http://h/api", "http://h/api/jobs?format=Entity").is_some());
}
