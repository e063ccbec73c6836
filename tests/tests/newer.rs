//! A newer EM's representations carry content this spec does not declare (em-sim's
//! `newer_content` switch). A client that reads a job, changes its description and edits it
//! sends every added attribute and element back, in place — in XML and in JSON.

use emrest::runtime::{parse_json, parse_xml, Casing, Format, Node, Repr};
use emrest::SessionOps;
use emrest_sim::SimConfig;

async fn round_trip(format: Format) -> Vec<u8> {
    let sim = emrest_sim::spawn(SimConfig {
        newer_content: true,
        ..SimConfig::small()
    })
    .await
    .unwrap();
    let em = emrest::Client::builder(sim.url())
        .format(format)
        .json_casing(Casing::Pascal)
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .unwrap();
    let refs = em.jobs().await.unwrap().ref_;
    let mut job = refs[0].alternate(&em).await.unwrap();
    let kept = job.unknown().paths();
    assert!(kept.contains(&"@NewerAttr".to_string()), "{kept:?}");
    assert!(kept.contains(&"NewerElement".to_string()), "{kept:?}");
    job.description = Some("edited by an older client".into());
    job.edit(&em, &job).await.unwrap().wait(&em).await.unwrap();
    let again: emrest::Job = em.get(job.href.as_deref().unwrap()).await.unwrap();
    assert_eq!(again.description, job.description);
    sim.last_job_edit().expect("em-sim received the edit")
}

/// The names of `n`'s children, in order.
fn children(n: &Node) -> Vec<&str> {
    n.children.iter().map(|c| c.name.as_str()).collect()
}

#[tokio::test]
async fn an_xml_edit_sends_back_what_a_newer_server_added_in_place() {
    let body = round_trip(Format::Xml).await;
    let job = parse_xml(&body).unwrap();
    assert_eq!(job.name, emrest::Job::ROOT);
    assert_eq!(job.attr("NewerAttr"), Some("2"));
    // em-sim put the element right after the first child (Links): it comes back there.
    let names = children(&job);
    assert_eq!(
        &names[..3],
        ["Links", "NewerElement", "JobType"],
        "{names:?}"
    );
    let added = &job.children[1];
    assert_eq!(added.attr("Level"), Some("0"));
    assert_eq!(
        added.child("Detail").map(Node::text),
        Some("added by a newer server")
    );
    // The nested addition comes back inside the element it was added to.
    let nested = job
        .children
        .iter()
        .find(|c| c.attr("NewerAttr").is_some())
        .expect("a nested element kept its added attribute");
    assert_eq!(
        children(nested).get(1),
        Some(&"NewerElement"),
        "{:?}",
        children(nested)
    );
    assert_eq!(
        job.child("Description").map(Node::text),
        Some("edited by an older client")
    );
}

#[tokio::test]
async fn a_json_edit_sends_back_what_a_newer_server_added() {
    let body = round_trip(Format::Json).await;
    let job = parse_json(&body, "Job").unwrap();
    assert_eq!(job.scalar("NewerAttr"), Some("2"));
    let added = job
        .child("NewerElement")
        .expect("the added member came back");
    assert_eq!(added.scalar("Level"), Some("0"));
    assert_eq!(added.scalar("Detail"), Some("added by a newer server"));
    assert!(job
        .children
        .iter()
        .any(|c| c.child("NewerElement").is_some() && c.scalar("NewerAttr") == Some("2")));
}
