//! Operations that take typed query arguments (the spec's `params`), end to end against
//! em-sim in XML and JSON: the lookup service's query, a directory listing's options and
//! paging, and `?deleteJobs=true`. Each checks what em-sim received and what it answered.

use emrest::runtime::{Format, Queryable};
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

/// The query string of the last request em-sim received on a path ending with `suffix`.
fn last_query(sim: &SimHandle, suffix: &str) -> String {
    sim.requests()
        .iter()
        .rev()
        .find(|r| r.path.ends_with(suffix))
        .and_then(|r| r.query.clone())
        .unwrap_or_default()
}

async fn first<T: Queryable + Send + 'static>(em: &Session) -> T {
    em.query::<T>()
        .entities()
        .page_size(1)
        .first_page()
        .await
        .unwrap()
        .items
        .remove(0)
}

async fn lookup(format: Format) {
    let sim = emrest_sim::spawn(SimConfig::default()).await.unwrap();
    let em = session(&sim, format).await;
    // A VM of the data set, by the hierarchy reference a job includes.
    let job: Job = first(&em).await;
    let includes = job.includes(&em).await.unwrap();
    let include = includes
        .object_in_job
        .first()
        .expect("the job includes a VM");
    let (vm_ref, vm_name) = (
        include.hierarchy_obj_ref.clone().expect("a reference"),
        include.name.clone().unwrap(),
    );
    let root = vm_ref
        .strip_prefix("urn:VMware:Vm:")
        .and_then(|r| r.split('.').next())
        .expect("a VMware VM reference");
    let service = em.lookup_service().await.unwrap();

    let args = LookupServiceLookupArgs {
        host: Some(format!("urn:veeam:HierarchyRoot:{root}")),
        name: Some(vm_name.as_str().into()),
        type_: Some("Vm".into()),
        ..Default::default()
    };
    let found = service.lookup_with(&em, &args).await.unwrap();
    let q = last_query(&sim, "/lookup");
    assert!(
        q.contains(&format!("name={vm_name}"))
            && q.contains("type=Vm")
            && q.contains("host=urn%3Aveeam%3AHierarchyRoot%3A"),
        "{q}"
    );
    assert!(!found.hierarchy_item.is_empty(), "em-sim found {vm_name}");
    for item in &found.hierarchy_item {
        assert_eq!(item.object_name.as_deref(), Some(vm_name.as_str()));
        assert!(item.object_ref.as_deref().is_some_and(|r| r.contains(root)));
    }
    assert!(found
        .hierarchy_item
        .iter()
        .any(|i| i.object_ref.as_deref() == Some(vm_ref.as_str())));

    // A name that needs escaping reaches em-sim as that one name (and matches nothing).
    let odd = LookupServiceLookupArgs {
        name: Some("sql01&type=Host x".into()),
        ..Default::default()
    };
    let none = service.lookup_with(&em, &odd).await.unwrap();
    assert!(none.hierarchy_item.is_empty());
    let q = last_query(&sim, "/lookup");
    assert_eq!(
        q, "name=sql01%26type%3DHost+x",
        "escaped, and the only argument"
    );

    // By hierarchy reference, the one VM.
    let by_ref = LookupServiceLookupArgs {
        hierarchy_ref: Some(vm_ref.as_str().into()),
        ..Default::default()
    };
    let one = service.lookup_with(&em, &by_ref).await.unwrap();
    assert_eq!(one.hierarchy_item.len(), 1);
    assert_eq!(
        one.hierarchy_item[0].object_ref.as_deref(),
        Some(vm_ref.as_str())
    );
}

#[tokio::test]
async fn the_lookup_query_takes_typed_arguments_in_xml() {
    lookup(Format::Xml).await;
}

#[tokio::test]
async fn the_lookup_query_takes_typed_arguments_in_json() {
    lookup(Format::Json).await;
}

async fn listing_and_delete(format: Format) {
    let sim = emrest_sim::spawn(SimConfig::default()).await.unwrap();
    let em = session(&sim, format).await;
    let point: VmRestorePoint = first(&em).await;
    let task = point.mount(&em).await.unwrap().wait(&em).await.unwrap();
    let mount: VmRestorePointMount = task.mount(&em).await.unwrap();
    let root = &mount.fs_roots.as_ref().expect("a mount has roots")[0];
    let listing: FileSystemEntries = em.get(root.href.as_deref().unwrap()).await.unwrap();
    let dirs = listing.directories.clone().unwrap_or_default();
    let dir = dirs
        .iter()
        .find(|d| d.links.as_ref().is_some_and(|l| !l.0.is_empty()))
        .expect("a directory with its listing link");
    let whole = dir.list(&em).await.unwrap();
    let all_files = whole.files.clone().unwrap_or_default();
    assert!(
        all_files.len() >= 2,
        "the directory has files to page through"
    );
    assert!(!whole.directories.clone().unwrap_or_default().is_empty());
    let args = DirectoryEntryListArgs {
        action: Some("listFiles".into()),
        page_size: Some(1),
        page: Some(2),
    };
    let page = dir.list_with(&em, &args).await.unwrap();
    let q = last_query(
        &sim,
        dir.href.as_deref().unwrap().rsplit('/').next().unwrap(),
    );
    assert_eq!(q, "action=listFiles&pageSize=1&page=2");
    assert!(
        page.directories.as_ref().is_none_or(|d| d.is_empty()),
        "only files"
    );
    let got = page.files.unwrap_or_default();
    assert_eq!(got.len(), 1, "one per page");
    assert_eq!(got[0].name, all_files[1].name, "the second one");
    mount.unmount(&em).await.unwrap();

    // DELETE with `deleteJobs=true`, of an organization configuration made for it.
    let vcloud = em.vcloud_service().await.unwrap();
    let made = vcloud
        .create_org_config(&em, &VCloudOrganizationConfigCreateSpec::default())
        .await
        .unwrap()
        .wait(&em)
        .await
        .unwrap();
    let config: VCloudOrganizationConfig =
        emrest::runtime::follow_related(&em, &made).await.unwrap();
    let args = VCloudOrganizationConfigDeleteArgs {
        delete_jobs: Some(true),
    };
    let _ = config.delete_with(&em, &args).await.unwrap();
    let sent = sim.requests();
    let del = sent.iter().rev().find(|r| r.method == "DELETE").unwrap();
    assert!(del.path.contains("/vCloud/orgConfigs/"), "{}", del.path);
    assert_eq!(del.query.as_deref(), Some("deleteJobs=true"));
}

#[tokio::test]
async fn listings_and_deletes_take_typed_arguments_in_xml() {
    listing_and_delete(Format::Xml).await;
}

#[tokio::test]
async fn listings_and_deletes_take_typed_arguments_in_json() {
    listing_and_delete(Format::Json).await;
}
