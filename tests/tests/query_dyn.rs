//! End to end: a query over a type chosen at run time (`Session::query_dyn` with the
//! generated client's `TYPES` entry) asks for the same URLs, follows the same pages and
//! yields the same items as the typed query, against em-sim in XML and in JSON (v12
//! PascalCase and v13 camelCase).

use emrest::runtime::{to_node, AnyRepr, Casing, Filter, Format, Node, Repr, TypeEntry};
use emrest::*;
use emrest_sim::SimConfig;
use futures::TryStreamExt;

fn entry(name: &str) -> &'static TypeEntry {
    emrest::TYPES
        .iter()
        .find(|t| t.name == name)
        .unwrap_or_else(|| panic!("{name} is a type of the spec"))
}

fn uids(nodes: &[Node]) -> Vec<String> {
    nodes
        .iter()
        .map(|n| n.attr("UID").expect("every item has a UID").to_string())
        .collect()
}

/// The paths and queries of the query-service requests em-sim received, in order.
fn query_requests(sim: &emrest_sim::SimHandle) -> Vec<String> {
    let r = sim
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/query"))
        .map(|r| format!("{}?{}", r.path, r.query.unwrap_or_default()))
        .collect();
    sim.clear_requests();
    r
}

async fn same_as_typed(format: Format, casing: Casing) {
    let sim = emrest_sim::spawn(SimConfig {
        json_casing: match casing {
            Casing::Pascal => emrest_sim::Casing::Pascal,
            Casing::Camel => emrest_sim::Casing::Camel,
        },
        ..SimConfig::small()
    })
    .await
    .expect("em-sim starts");
    let em = Client::builder(sim.url())
        .format(format)
        .json_casing(casing)
        .build()
        .expect("client builds")
        .logon("admin", "admin")
        .await
        .expect("logon");
    let what = format!("{format:?}/{casing:?}");
    let filter = || BackupJobSession::RESULT.ne(JobResult::Failed);
    let sessions = entry("BackupJobSession");

    // Whole entities, filtered, two per page.
    sim.clear_requests();
    let typed: Vec<BackupJobSession> = em
        .query::<BackupJobSession>()
        .entities()
        .filter(filter())
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .expect("typed query");
    let typed_requests = query_requests(&sim);
    let q = em
        .query_dyn(sessions)
        .expect("BackupJobSession is queryable")
        .entities()
        .filter(filter())
        .page_size(2);
    assert_eq!(
        q.url().expect("url"),
        em.query::<BackupJobSession>()
            .entities()
            .filter(filter())
            .page_size(2)
            .url()
            .expect("url"),
        "{what}"
    );
    let dynamic: Vec<Box<dyn AnyRepr>> = q.stream().try_collect().await.expect("dynamic query");
    let dyn_requests = query_requests(&sim);
    assert!(
        typed.len() > 4,
        "{what}: the small data set has several pages of sessions"
    );
    assert_eq!(typed_requests, dyn_requests, "{what}: the same pages");
    assert!(dyn_requests.len() >= 3, "{what}: {dyn_requests:#?}");
    let typed_nodes: Vec<Node> = typed
        .iter()
        .map(|s| to_node(s, BackupJobSession::ROOT))
        .collect();
    let dyn_nodes: Vec<Node> = dynamic.iter().map(|d| d.to_tree()).collect();
    assert!(dynamic.iter().all(|d| d.root() == BackupJobSession::ROOT));
    assert_eq!(uids(&typed_nodes), uids(&dyn_nodes), "{what}");
    assert_eq!(typed_nodes, dyn_nodes, "{what}: the same values");

    // References (the default), sorted, a raw filter.
    let raw = || Filter::raw(r#"Result!="Failed""#);
    let typed: Vec<Node> = em
        .query::<BackupJobSession>()
        .filter(raw())
        .sort_desc("CreationTime")
        .page_size(3)
        .stream()
        .map_ok(|r| {
            to_node(
                &r,
                <BackupJobSession as runtime::Queryable>::Reference::ROOT,
            )
        })
        .try_collect()
        .await
        .expect("typed references");
    let typed_requests = query_requests(&sim);
    let dynamic: Vec<Node> = em
        .query_dyn(sessions)
        .expect("queryable")
        .filter(raw())
        .sort_desc("CreationTime")
        .page_size(3)
        .stream()
        .map_ok(|r| r.to_tree())
        .try_collect()
        .await
        .expect("dynamic references");
    assert_eq!(
        typed_requests,
        query_requests(&sim),
        "{what}: the same pages"
    );
    assert_eq!(uids(&typed), uids(&dynamic), "{what}");
    assert_eq!(typed, dynamic, "{what}: the same references");
    assert!(typed.len() > 4, "{what}");

    // A type the query service does not return has no dynamic query.
    assert!(entry("LogonSession").query.is_none());
    assert!(em.query_dyn(entry("LogonSession")).is_none());
}

#[tokio::test]
async fn dynamic_query_is_the_typed_one_in_xml() {
    same_as_typed(Format::Xml, Casing::Pascal).await;
}

#[tokio::test]
async fn dynamic_query_is_the_typed_one_in_json_v12() {
    same_as_typed(Format::Json, Casing::Pascal).await;
}

#[tokio::test]
async fn dynamic_query_is_the_typed_one_in_json_v13() {
    same_as_typed(Format::Json, Casing::Camel).await;
}
