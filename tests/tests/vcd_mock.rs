//! A second vendor's API end to end: the client generated from `spec/vcd.toml` (a core
//! subset of VMware Cloud Director's XML API) against em-sim's generic mock of the same
//! spec. Cloud Director differs from EM in every convention the spec declares — repeated
//! `<Link rel href type/>` without a wrapper, actions at `/action/NAME` and
//! `/power/action/NAME`, logon at the `LoginUrl` of a `VersionInfo` answered 200 with
//! `x-vcloud-authorization`, `Accept: application/*+xml;version=36.0`, a task's `status`
//! attribute with failure states and its `<Owner href/>`, and a flat records query paged
//! by `nextPage` links with a `total` of records — so any of them still fixed in Rust for
//! EM fails a step here.

#[allow(clippy::all, dead_code)]
mod vcd {
    emrest_macros::generate_client!("../spec/vcd.toml");
}

use emrest_sim::mock::{spawn_mock, MockConfig, MockHandle};
use futures::TryStreamExt;
use vcd::{SessionOps, Task, VApp, Vm};

const SPEC: &str = include_str!("../../spec/vcd.toml");

async fn mock(config: MockConfig) -> MockHandle {
    spawn_mock(SPEC, "vcd.toml", config)
        .await
        .expect("the Cloud Director spec serves")
}

async fn logon(m: &MockHandle) -> vcd::Session {
    vcd::Client::builder(m.url())
        .build()
        .expect("client")
        .logon("user", "secret")
        .await
        .expect("logon at the LoginUrl")
}

fn posted(m: &MockHandle) -> Vec<(String, String)> {
    m.received()
        .into_iter()
        .filter(|r| r.method != "GET")
        .map(|r| (format!("{} {}", r.method, r.target), r.body))
        .collect()
}

#[tokio::test]
async fn organizations_vdcs_vapps_vms_tasks_and_the_records_query() {
    let m = mock(MockConfig::default()).await;
    let em = logon(&m).await;
    // Lower-case, unwrapped links on the session.
    assert!(
        em.links().iter().any(|l| l.rel == "down"),
        "{:?}",
        em.links()
    );

    // Organizations are href-only references: their typed operation follows the href.
    let orgs = em.orgs().await.expect("org list");
    assert_eq!(orgs.org.len(), 3);
    let org = orgs.org[1]
        .org(&em)
        .await
        .expect("an org, through its reference");
    assert_eq!(org.href.as_deref(), Some(orgs.org[1].href.as_str()));
    let org: vcd::Org = em.get(&orgs.org[0].href).await.expect("an org, by URL");
    assert_eq!(org.full_name, "FullName 1");
    let vdc = org.vdc(&em).await.expect("the org's vdc");
    assert!(vdc
        .href
        .as_deref()
        .is_some_and(|h| h.ends_with("/vdc/vdc-1")));

    // Compose a vApp: a POST to `/action/composeVApp` with a body, answered 201.
    let params = vcd::ComposeVAppParams {
        name: "web".into(),
        description: Some("made by the test".into()),
        ..Default::default()
    };
    let preview = vdc.compose_vapp(&em, &params).request().expect("preview");
    assert!(
        preview.url.ends_with("/vdc/vdc-1/action/composeVApp"),
        "{}",
        preview.url
    );
    assert_eq!(
        preview.content_type,
        Some("application/vnd.vmware.vcloud.composeVAppParams+xml"),
        "the operation's own media type"
    );
    let web: VApp = vdc.compose_vapp(&em, &params).await.expect("compose");
    assert_eq!(web.name, "web");
    assert_eq!(web.description.as_deref(), Some("made by the test"));

    // The records query: four vApps, two per page, by the `nextPage` links; `total`
    // counts records, so two pages.
    let query = em.query::<vcd::VAppRecord>().entities().page_size(2);
    let first = query.first_page().await.expect("first page");
    assert_eq!(
        (first.page_num, first.pages_count, first.items.len()),
        (1, 2, 2)
    );
    let records: Vec<vcd::VAppRecord> = em
        .query::<vcd::VAppRecord>()
        .entities()
        .page_size(2)
        .stream()
        .try_collect()
        .await
        .expect("all pages");
    assert_eq!(records.len(), 4);
    assert!(records.iter().any(|r| r.name == "web"));
    let pages: Vec<String> = m
        .received()
        .into_iter()
        .map(|r| r.target)
        .filter(|t| t.starts_with("/query"))
        .collect();
    assert!(
        pages
            .iter()
            .all(|p| p.contains("type=vApp") && p.contains("format=records")),
        "{pages:?}"
    );
    assert!(pages.iter().any(|p| p.contains("page=2")), "{pages:?}");
    let named: Vec<vcd::VAppRecord> = em
        .query::<vcd::VAppRecord>()
        .entities()
        .filter(vcd::VAppRecord::NAME.eq("web".to_string()))
        .stream()
        .try_collect()
        .await
        .expect("filtered");
    assert_eq!(named.len(), 1);
    // Cloud Director's FIQL: the value unquoted.
    let sent = m
        .received()
        .into_iter()
        .map(|r| r.target)
        .find(|t| t.contains("filter="));
    assert!(
        sent.as_deref()
            .is_some_and(|t| t.contains("filter=name%3D%3Dweb")),
        "{sent:?}"
    );

    // Power and deploy: tasks whose state is the `status` attribute, and whose `Owner`
    // leads back to the vApp.
    let vapp: VApp = em.get(&records[0].href).await.expect("a vApp");
    let task: Task = vapp.power_on(&em).await.expect("power on");
    assert_eq!(task.status, "success");
    let done = task.wait(&em).await.expect("finished");
    let owner: VApp = emrest_runtime::follow_related(&em, &done)
        .await
        .expect("the task's Owner");
    assert_eq!(owner.href, vapp.href);
    let deploy = vcd::DeployVAppParams {
        power_on: Some(true),
        ..Default::default()
    };
    vapp.deploy(&em, &deploy)
        .await
        .expect("deploy")
        .wait(&em)
        .await
        .expect("deployed");
    vapp.suspend(&em)
        .await
        .expect("suspend")
        .wait(&em)
        .await
        .expect("suspended");
    vapp.shutdown(&em)
        .await
        .expect("shutdown")
        .wait(&em)
        .await
        .expect("shut down");
    vapp.reset(&em)
        .await
        .expect("reset")
        .wait(&em)
        .await
        .expect("reset done");
    vapp.undeploy(&em, &Default::default())
        .await
        .expect("undeploy");

    // Edit (a PUT answered with a task) and remove.
    let mut changed = vapp.clone();
    changed.description = Some("edited".into());
    vapp.edit(&em, &changed)
        .await
        .expect("edit")
        .wait(&em)
        .await
        .expect("edited");
    let href = vapp.href.clone().expect("a vApp has its href");
    let stored = m.resource(href.split_once("/api").map_or("", |(_, p)| p));
    assert_eq!(
        stored.and_then(|n| n.child("Description").and_then(|d| d.text.clone())),
        Some("edited".to_string())
    );

    // A VM, by the VM records query, and its snapshot actions.
    let vms: Vec<vcd::VmRecord> = em
        .query::<vcd::VmRecord>()
        .entities()
        .stream()
        .try_collect()
        .await
        .expect("vm records");
    let vm: Vm = em.get(&vms[0].href).await.expect("a VM");
    let snapshot = vcd::CreateSnapshotParams {
        name: Some("before".into()),
        memory: Some(false),
        ..Default::default()
    };
    vm.create_snapshot(&em, &snapshot)
        .await
        .expect("snapshot")
        .wait(&em)
        .await
        .expect("taken");
    vm.revert_to_current_snapshot(&em).await.expect("revert");
    vm.remove_all_snapshots(&em).await.expect("remove all");
    vm.power_off(&em).await.expect("power off");
    // `up` from a VM (same URL form as a vApp's) leads to a vApp, not back to the VM.
    let parent = vm.vapp(&em).await.expect("the VM's vApp");
    assert!(
        parent
            .href
            .as_deref()
            .is_some_and(|h| h.contains("/vApp/vapp-")),
        "{parent:?}"
    );

    vapp.remove(&em)
        .await
        .expect("remove")
        .wait(&em)
        .await
        .expect("removed");
    em.logout().await.expect("logout");

    let sent = posted(&m);
    let targets: Vec<&str> = sent.iter().map(|(t, _)| t.as_str()).collect();
    for want in [
        "POST /vdc/vdc-1/action/composeVApp",
        "POST /vApp/vapp-1/power/action/powerOn",
        "POST /vApp/vapp-1/action/deploy",
        "POST /vApp/vapp-1/power/action/suspend",
        "POST /vApp/vapp-1/power/action/shutdown",
        "POST /vApp/vapp-1/power/action/reset",
        "POST /vApp/vapp-1/action/undeploy",
        "PUT /vApp/vapp-1",
        "POST /vApp/vm-1/action/createSnapshot",
        "POST /vApp/vm-1/action/revertToCurrentSnapshot",
        "POST /vApp/vm-1/action/removeAllSnapshots",
        "POST /vApp/vm-1/power/action/powerOff",
        "DELETE /vApp/vapp-1",
        "DELETE /session",
    ] {
        assert!(targets.contains(&want), "{want} not in {targets:?}");
    }
    let body = |t: &str| &sent.iter().find(|(x, _)| x == t).unwrap().1;
    assert!(body("POST /vApp/vapp-1/action/deploy").contains("powerOn=\"true\""));
    assert!(body("POST /vApp/vm-1/action/createSnapshot").contains("name=\"before\""));
    // The edited vApp goes back with its links in Cloud Director's form.
    let put = body("PUT /vApp/vapp-1");
    assert!(put.contains("<Link rel=\"up\" href=\""), "{put}");
    assert!(put.contains("<Description>edited</Description>"), "{put}");
}

#[tokio::test]
async fn a_task_in_an_error_state_fails_with_its_message() {
    let m = mock(MockConfig {
        failing: vec!["remove_all_snapshots".into()],
        ..Default::default()
    })
    .await;
    let em = logon(&m).await;
    let vm: Vm = em
        .get(&format!("{}vApp/vm-2", m.url()))
        .await
        .expect("a seeded VM");
    let task = vm.remove_all_snapshots(&em).await.expect("accepted");
    assert_eq!(task.status, "error");
    let bounded =
        emrest_runtime::WaitOptions::default().with_deadline(std::time::Duration::from_secs(3));
    match emrest_runtime::wait_task_with(&em, &task, bounded).await {
        Err(emrest_runtime::Error::TaskFailed { operation, message }) => {
            assert_eq!(operation, "remove_all_snapshots");
            assert!(message.contains("failed"), "{message}");
        }
        other => panic!("an error state is a failure: {other:?}"),
    }
}

/// A server that speaks only the older version: logon picks it, and every request after
/// asks for (and sends bodies in) that version's media type.
#[tokio::test]
async fn the_negotiated_version_names_the_media_type() {
    let m = mock(MockConfig {
        versions: Some(vec!["35.0".into()]),
        ..Default::default()
    })
    .await;
    let em = logon(&m).await;
    assert_eq!(em.version(), Some("35.0"));
    let orgs = em.orgs().await.expect("asked for with version 35.0");
    let vdc = orgs.org[0].org(&em).await.unwrap().vdc(&em).await.unwrap();
    assert!(vdc.href.is_some());
    let vapp: VApp = em.get(&format!("{}vApp/vapp-1", m.url())).await.unwrap();
    let deploy = vcd::DeployVAppParams::default();
    let shown = vapp.deploy(&em, &deploy).request().unwrap();
    assert_eq!(
        shown.content_type,
        Some("application/vnd.vmware.vcloud.deployVAppParams+xml"),
        "an operation's own media type stays"
    );
    vapp.deploy(&em, &deploy)
        .await
        .expect("deployed at version 35.0");
}

#[tokio::test]
async fn the_wrong_media_type_or_password_is_refused() {
    let m = mock(MockConfig::default()).await;
    let err = vcd::Client::builder(m.url())
        .build()
        .unwrap()
        .logon("user", "nope")
        .await
        .unwrap_err();
    assert!(
        matches!(err, emrest_runtime::Error::LogonRefused { status: 401, .. }),
        "{err}"
    );
    // Past the entry point, the mock holds clients to the spec's media type: a plain
    // `application/xml` is 406.
    let r = reqwest::Client::new()
        .get(format!("{}org/", m.url()))
        .header("accept", "application/xml")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
}
