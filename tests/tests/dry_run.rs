//! A typed call shows its own request before it is sent (`Call::request`, what `vem
//! --dry-run` prints), and that request is exactly what em-sim then receives from the same
//! call: verb, path, query, content type and body. A sample of actions across the API's
//! families, with and without bodies, in XML and in JSON.

use emrest::runtime::{Call, Format, Queryable};
use emrest::*;
use emrest_sim::{SimConfig, SimHandle};

async fn session(sim: &SimHandle, format: Format) -> Session {
    Client::builder(sim.url())
        .format(format)
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .unwrap()
}

/// The first entity of a query type in em-sim's data set.
async fn first<T: Queryable + Send + 'static>(em: &Session) -> T {
    let page = em
        .query::<T>()
        .entities()
        .page_size(1)
        .first_page()
        .await
        .unwrap();
    page.items.into_iter().next().expect("the data set has one")
}

/// Shows `call`'s request, sends the call, and compares what em-sim received with it.
async fn sends_what_it_showed<R>(sim: &SimHandle, what: &str, call: Call<'_, R>) {
    let before = sim.requests().len();
    let shown = call.request().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        sim.requests().len(),
        before,
        "{what}: showing sends nothing"
    );
    // The answer does not matter here (a minimal body may be refused); the request does.
    let _ = call.await;
    let received = sim.requests();
    let got = received
        .get(before)
        .unwrap_or_else(|| panic!("{what}: em-sim received nothing"));
    let url = reqwest::Url::parse(&shown.url).unwrap();
    assert_eq!(
        (got.method.as_str(), got.path.as_str(), got.query.as_deref()),
        (shown.verb.as_str(), url.path(), url.query()),
        "{what}: verb, path and query"
    );
    assert_eq!(got.content_type.as_deref(), shown.content_type, "{what}");
    assert_eq!(got.body, shown.body, "{what}: body");
}

async fn sample(format: Format) {
    let sim = emrest_sim::spawn(SimConfig::default())
        .await
        .expect("em-sim starts");
    let em = session(&sim, format).await;

    let job: Job = first(&em).await;
    sends_what_it_showed(&sim, "job start", job.start(&em)).await;
    let clone = JobCloneSpec {
        backup_job_clone_info: Some(BackupJobCloneInfo {
            job_name: "Dry run & <copy>".into(),
            folder_name: "Dry run".into(),
            repository_uid: "urn:veeam:Repository:00000000-0000-0000-0000-000000000001".into(),
            description: Some("shown, then sent".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    sends_what_it_showed(&sim, "job clone", job.clone_job(&em, &clone)).await;

    // An agent job through the query service (its entities slot is the singular
    // `AgentBackupJob`), the others by their collections' links.
    let agent: AgentBackupJob = first(&em).await;
    sends_what_it_showed(&sim, "agent job start", agent.start(&em)).await;
    let nas = em.nas_service().await.unwrap();
    let nas_job = nas.job_entities(&em).await.unwrap().nas_job.remove(0);
    sends_what_it_showed(&sim, "NAS job start", nas_job.start(&em)).await;
    // em-sim offers the CDP collection from backup servers only: fetched by its URL.
    let cdps: CdpPolicies = em
        .get(&format!("{}cdpPolicies?format=Entity", sim.url()))
        .await
        .unwrap();
    let cdp = cdps.cdp_policy.into_iter().next().expect("a CDP policy");
    sends_what_it_showed(&sim, "CDP policy disable", cdp.disable(&em)).await;
    let plan = em
        .failover_plan_entities()
        .await
        .unwrap()
        .failover_plan
        .remove(0);
    sends_what_it_showed(&sim, "failover plan undo", plan.undo(&em)).await;

    let point: VmRestorePoint = first(&em).await;
    let restore = RestoreSpec {
        vm_restore_spec: Some(VmRestoreSpec {
            power_on_after_restore: false,
            ..Default::default()
        }),
        ..Default::default()
    };
    sends_what_it_showed(&sim, "restore point restore", point.restore(&em, &restore)).await;

    let tenants: CloudTenants = em
        .get(&format!("{}cloud/tenants?format=Entity", sim.url()))
        .await
        .unwrap();
    let tenant = tenants.cloud_tenant.into_iter().next().expect("a tenant");
    let resource = CreateCloudTenantResourceSpec::default();
    sends_what_it_showed(
        &sim,
        "tenant add resource",
        tenant.add_resource(&em, &resource),
    )
    .await;
}

#[tokio::test]
async fn a_typed_call_sends_the_request_it_showed_in_xml() {
    sample(Format::Xml).await;
}

#[tokio::test]
async fn a_typed_call_sends_the_request_it_showed_in_json() {
    sample(Format::Json).await;
}

#[tokio::test]
async fn a_call_without_its_link_says_so_before_anything_is_sent() {
    let sim = emrest_sim::spawn(SimConfig::default())
        .await
        .expect("em-sim starts");
    let em = session(&sim, Format::Xml).await;
    let mut job: Job = first(&em).await;
    if let Some(links) = job.links.as_mut() {
        links.0.retain(|l| l.rel != "Start");
    }
    let before = sim.requests().len();
    let err = job.start(&em).request().expect_err("no Start link");
    assert!(matches!(err, Error::LinkNotOffered { .. }), "{err:?}");
    assert_eq!(sim.requests().len(), before);
}
