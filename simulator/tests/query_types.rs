//! Every query type of the spec answered by em-sim's query service, in XML and in JSON
//! (PascalCase and camelCase), in references and entities forms: the answer decodes as the
//! generated client's `QueryResult`, each item's `Href` fetched directly answers the same
//! resource (an entity decodes as the type), a filter and a sort on one of the type's
//! `query_fields` are accepted, and paging with `pageSize=1` yields the items of one big
//! page. Prints `query types answered N/50`.

mod support;

use emrest_codegen::ir::{Ir, Returns, Shape, Ty, TypeIr, Verb};
use emrest_runtime::Node;
use emrest_sim::{spawn, Casing, SimConfig, SimHandle};
use reqwest::{Client, StatusCode};
use serde_json::Value;
use support::types;

/// The items of a page compared by paging (the rest only for the first ones).
const PAGED: usize = 6;
/// Items of a page whose `Href` is fetched.
const FETCHED: usize = 4;

struct T {
    sim: SimHandle,
    http: Client,
    token: String,
}

async fn setup(casing: Casing) -> T {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let sim = spawn(SimConfig {
        json_casing: casing,
        ..SimConfig::small()
    })
    .await
    .expect("simulator starts");
    let http = Client::new();
    let r = http
        .post(format!("{}sessionMngr/?v=latest", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .expect("logon");
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.headers()["x-restsvcsessionid"]
        .to_str()
        .expect("token")
        .to_string();
    let t = T { sim, http, token };
    // A task of this logon session, so that `Task` queries have an item.
    let job = t.sim.jobs()[0].id.clone();
    let r = t
        .http
        .post(format!("{}jobs/{job}?action=start", t.sim.url()))
        .header("X-RestSvcSessionId", &t.token)
        .send()
        .await
        .expect("start");
    assert!(r.status().is_success(), "job start: {}", r.status());
    t
}

impl T {
    async fn get(&self, url: &str, json: bool) -> (StatusCode, Vec<u8>) {
        let url = if url.starts_with("http") {
            url.to_string()
        } else {
            format!("{}{url}", self.sim.url())
        };
        let mut rb = self.http.get(url).header("X-RestSvcSessionId", &self.token);
        if json {
            rb = rb.header("Accept", "application/json");
        }
        let r = rb.send().await.expect("request");
        let s = r.status();
        (s, r.bytes().await.expect("body").to_vec())
    }
}

/// One item of a page: its `Href`, `Name` and `UID`.
#[derive(Debug, Clone, PartialEq)]
struct Item {
    href: String,
    name: Option<String>,
    uid: Option<String>,
}

/// A JSON object's member by name, whatever its casing.
fn member<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    v.as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn json_item(v: &Value) -> Option<Item> {
    let s = |n: &str| member(v, n).and_then(Value::as_str).map(str::to_string);
    Some(Item {
        href: s("Href")?,
        name: s("Name"),
        uid: s("UID"),
    })
}

fn xml_item(n: &Node) -> Option<Item> {
    // (An attribute, or an element of that name: JSON does not tell them apart.)
    let s = |k: &str| {
        n.attr(k)
            .or_else(|| n.child(k).and_then(|c| c.text.as_deref()))
            .map(str::to_string)
    };
    Some(Item {
        href: s("Href")?,
        name: s("Name"),
        uid: s("UID"),
    })
}

/// A decoded page: its items (in order) and its page count.
struct Page {
    items: Vec<Item>,
    pages: usize,
}

/// Reads a `QueryResult` body: references (`Refs`) or entities (`Entities/<slot>`).
fn read_page(body: &[u8], json: bool, entities: bool) -> Result<Page, String> {
    if json {
        let v: Value = serde_json::from_slice(body).map_err(|e| format!("JSON: {e}"))?;
        let pages = member(&v, "PagingInfo")
            .and_then(|p| member(p, "PagesCount"))
            .and_then(Value::as_u64)
            .ok_or("no PagingInfo.PagesCount")? as usize;
        let list: Vec<&Value> = if entities {
            // `Entities: { <slot>: { <slot>: [..] } }`
            member(&v, "Entities")
                .and_then(Value::as_object)
                .map(|o| {
                    o.values()
                        .filter_map(Value::as_object)
                        .flat_map(|g| g.values().filter_map(Value::as_array).flatten())
                        .collect()
                })
                .unwrap_or_default()
        } else {
            // `Refs: { Refs: [..] }` (a nested list keeps its wrapper object)
            member(&v, "Refs")
                .and_then(|r| member(r, "Refs"))
                .and_then(Value::as_array)
                .map(|a| a.iter().collect())
                .unwrap_or_default()
        };
        let items = list.into_iter().map(json_item).collect::<Option<_>>();
        return Ok(Page {
            items: items.ok_or("an item without Href")?,
            pages,
        });
    }
    let root = emrest_runtime::parse_xml(body).map_err(|e| format!("XML: {e}"))?;
    let pages = root
        .child("PagingInfo")
        .and_then(|p| p.attr("PagesCount"))
        .and_then(|n| n.parse().ok())
        .ok_or("no PagingInfo/@PagesCount")?;
    let list: Vec<&Node> = if entities {
        root.child("Entities")
            .map(|e| e.children.iter().flat_map(|g| g.children.iter()).collect())
            .unwrap_or_default()
    } else {
        root.child("Refs")
            .map(|r| r.children.iter().collect())
            .unwrap_or_default()
    };
    let items = list.into_iter().map(xml_item).collect::<Option<_>>();
    Ok(Page {
        items: items.ok_or("an item without Href")?,
        pages,
    })
}

/// Whether the result's entities have a slot for `ty` (a type without one answers its
/// entities form with an empty `Entities`, as the spec shapes it).
fn has_slot(ir: &Ir, ty: &TypeIr) -> bool {
    let Some(result) = ir.type_named(&ir.api.query.result) else {
        return false;
    };
    let Some(Ty::Type(et)) = result
        .fields
        .iter()
        .find(|f| f.xml == ir.api.query.entities)
        .map(|f| &f.ty)
    else {
        return false;
    };
    ir.type_named(et).is_some_and(|e| {
        e.fields.iter().any(|f| {
            matches!(&f.ty, Ty::Type(u) if *u == ty.name)
                && matches!(f.shape, Shape::Wrapped { .. })
        })
    })
}

/// The type a GET of an entity's `Href` answers: the type itself, unless its URL form is
/// the one of its reference (a VLAN range's `Alternate` link at `/cloud/vlans/{ID}`, whose
/// entity only its collection's list shows).
fn answered_at<'a>(ty: &'a TypeIr, href: &str) -> &'a str {
    let own = ty.path.as_deref().unwrap_or("");
    if href.contains('?') {
        return &ty.name;
    }
    ty.ops
        .iter()
        .find(|o| o.verb == Verb::Get && o.path == own)
        .and_then(|o| match &o.returns {
            Returns::Type(r) => Some(r.as_str()),
            _ => None,
        })
        .unwrap_or(&ty.name)
}

/// A literal of a query field's type, for a filter that must be accepted.
fn literal(ir: &Ir, ty: &Ty) -> String {
    match ty {
        Ty::Int | Ty::Long | Ty::Double => "0".into(),
        Ty::Bool => "true".into(),
        Ty::DateTime => "2020-01-01T00:00:00Z".into(),
        Ty::Enum(e) => ir
            .enums
            .iter()
            .find(|x| x.name == *e)
            .and_then(|x| x.values.first())
            .map(|(wire, _)| wire.clone())
            .unwrap_or_else(|| "x".into()),
        _ => "\"nothing-matches\"".into(),
    }
}

/// Queries `ty` in one format; the problems found.
async fn check(t: &T, ir: &Ir, ty: &TypeIr, json: bool, label: &str) -> Vec<String> {
    let q = ty.query.as_ref().expect("a query type");
    let name = q.name.as_str();
    let mut bad = Vec::new();
    let mut pages_of = Vec::new();
    for entities in [false, true] {
        let form = if entities { "&format=Entities" } else { "" };
        let at = format!(
            "{name} {label} {}",
            if entities { "entities" } else { "refs" }
        );
        let (s, body) = t
            .get(&format!("query?type={name}{form}&pageSize=1000"), json)
            .await;
        if s != StatusCode::OK {
            bad.push(format!("{at}: {s} {}", String::from_utf8_lossy(&body)));
            continue;
        }
        match types::decode("QueryResult", json, &body) {
            Some(Ok(())) => {}
            other => bad.push(format!("{at}: does not decode as QueryResult: {other:?}")),
        }
        let page = match read_page(&body, json, entities) {
            Ok(p) => p,
            Err(e) => {
                bad.push(format!("{at}: {e}"));
                continue;
            }
        };
        pages_of.push(page.items.len());
        if page.items.is_empty() && (!entities || has_slot(ir, ty)) {
            bad.push(format!("{at}: no items"));
        }
        // Each item's Href answers the same resource; an entity decodes as the type.
        for item in page.items.iter().take(FETCHED) {
            let (s, got) = t.get(&item.href, json).await;
            if s != StatusCode::OK {
                bad.push(format!("{at}: GET {} answers {s}", item.href));
                continue;
            }
            if entities {
                let want = answered_at(ty, &item.href);
                match types::decode(want, json, &got) {
                    Some(Ok(())) => {}
                    other => bad.push(format!(
                        "{at}: {} does not decode as {want}: {other:?}",
                        item.href
                    )),
                }
            }
            let fetched = if json {
                serde_json::from_slice::<Value>(&got)
                    .ok()
                    .and_then(|v| json_item(&v))
            } else {
                emrest_runtime::parse_xml(&got)
                    .ok()
                    .and_then(|n| xml_item(&n))
            };
            if fetched.as_ref() != Some(item) {
                bad.push(format!(
                    "{at}: the item {item:?} and its resource {fetched:?} disagree"
                ));
            }
        }
        // Paging by one yields the big page's items.
        let (s, body) = t
            .get(&format!("query?type={name}{form}&pageSize=1"), json)
            .await;
        let first = match (s, read_page(&body, json, entities)) {
            (StatusCode::OK, Ok(p)) => p,
            (s, r) => {
                bad.push(format!("{at}: pageSize=1: {s} {:?}", r.err()));
                continue;
            }
        };
        if entities && !has_slot(ir, ty) {
            // (No list in the shaped answer: nothing to page through.)
            continue;
        }
        if first.pages != page.items.len().max(1) {
            bad.push(format!(
                "{at}: {} pages of one for {} items",
                first.pages,
                page.items.len()
            ));
        }
        let mut paged = first.items;
        for n in 2..=first.pages.min(PAGED) {
            let (s, body) = t
                .get(
                    &format!("query?type={name}{form}&pageSize=1&page={n}"),
                    json,
                )
                .await;
            match (s, read_page(&body, json, entities)) {
                (StatusCode::OK, Ok(p)) => paged.extend(p.items),
                (s, r) => bad.push(format!("{at}: page {n}: {s} {:?}", r.err())),
            }
        }
        let want: Vec<Item> = page.items.iter().take(PAGED).cloned().collect();
        if paged != want {
            bad.push(format!("{at}: pages of one {paged:?} != {want:?}"));
        }
    }
    if has_slot(ir, ty) && pages_of.len() == 2 && pages_of[0] != pages_of[1] {
        bad.push(format!(
            "{name} {label}: {} references but {} entities",
            pages_of[0], pages_of[1]
        ));
    }
    // A filter and a sort on one of the spec's query fields are accepted.
    if let Some((f, fty)) = q.fields.first() {
        let lit = literal(ir, fty);
        for qs in [
            format!("filter={f}=={lit}"),
            format!("filter={f}!={lit}&format=Entities"),
            format!("sortDesc={f}&format=Entities"),
        ] {
            let url = format!(
                "query?type={name}&{}",
                qs.replace('"', "%22").replace(' ', "%20")
            );
            let (s, body) = t.get(&url, json).await;
            if s != StatusCode::OK {
                bad.push(format!(
                    "{name} {label}: {url}: {s} {}",
                    String::from_utf8_lossy(&body)
                ));
            } else if !matches!(types::decode("QueryResult", json, &body), Some(Ok(()))) {
                bad.push(format!("{name} {label}: {url}: does not decode"));
            }
        }
    }
    bad
}

#[tokio::test]
async fn every_spec_query_type_is_answered() {
    let ir = support::spec();
    let qtypes: Vec<&TypeIr> = ir.types.iter().filter(|t| t.query.is_some()).collect();
    let pascal = setup(Casing::Pascal).await;
    let camel = setup(Casing::Camel).await;
    let mut answered = 0;
    let mut problems = Vec::new();
    for ty in &qtypes {
        let mut bad = check(&pascal, &ir, ty, false, "XML").await;
        bad.extend(check(&pascal, &ir, ty, true, "JSON PascalCase").await);
        bad.extend(check(&camel, &ir, ty, true, "JSON camelCase").await);
        if bad.is_empty() {
            answered += 1;
        }
        problems.extend(bad);
    }
    let slotless: Vec<&str> = qtypes
        .iter()
        .filter(|t| !has_slot(&ir, t))
        .map(|t| t.name.as_str())
        .collect();
    println!("query types answered {answered}/{}", qtypes.len());
    println!("without an entities slot in the spec's QueryEntities: {slotless:?}");
    for p in problems.iter().take(40) {
        println!("  {p}");
    }
    assert!(
        answered >= 50 && answered == qtypes.len(),
        "query types answered {answered}/{}: {problems:#?}",
        qtypes.len()
    );
    // The query service document names every type (the spec's QueryService declares no
    // links, so they are left out of its shaped answer: only its answer is checked).
    let (s, body) = pascal.get("querySvc", false).await;
    assert_eq!(s, StatusCode::OK);
    assert!(matches!(
        types::decode("QueryService", false, &body),
        Some(Ok(()))
    ));
    pascal.sim.shutdown().await;
    camel.sim.shutdown().await;
}
