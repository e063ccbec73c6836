//! Conformance of the typed representations with the documented EM samples.
//!
//! Every sample XML copied into `tests/fixtures/em-docs/samples/` (from `em-api/samples/`) and
//! every extra document in `tests/fixtures/em-docs/docs/` (examples of the EM documentation that
//! have no file in `samples/`; the source is named in each file's comment) is decoded by its
//! root element into the representation the table below names, encoded back to XML and
//! compared with the original as a tree: same elements in the same order, same attributes (in
//! any order, namespace declarations ignored) and the same text (whitespace between elements
//! ignored). A field the types drop or misplace fails the test.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use emrest::runtime::{decode_xml, encode_xml, parse_xml, write_xml, Node, Repr};
use emrest::*;

const NS: &str = "http://www.veeam.com/ent/v1.0";

/// Decodes `node` as `T`, encodes it again and parses the result. The streaming XML decoder
/// must give the same value as the tree decoder.
fn rt<T: Repr + PartialEq + std::fmt::Debug>(node: &Node) -> Result<Node, String> {
    let value = T::from_node(node).map_err(|e| format!("decode: {e}"))?;
    let streamed: T =
        decode_xml(write_xml(node, NS).as_bytes()).map_err(|e| format!("streaming decode: {e}"))?;
    if streamed != value {
        return Err(format!(
            "streaming decode differs from the tree decode:\n{streamed:#?}\nvs\n{value:#?}"
        ));
    }
    let xml = encode_xml(&value, NS);
    let back = parse_xml(xml.as_bytes()).map_err(|e| format!("re-parse: {e}"))?;
    if back.name != node.name {
        return Err(format!(
            "root `{}` re-encoded as `{}`",
            node.name, back.name
        ));
    }
    Ok(back)
}

type RoundTrip = fn(&Node) -> Result<Node, String>;

/// Sample file → representation. Roots shared by several representations (`EntityReferences`,
/// `EntityRef`) are told apart by the items' `Type` attribute.
const SAMPLES: &[(&str, RoundTrip)] = &[
    (
        "backup_copy_job_options.1.xml",
        rt::<LinkedBackupRepositoryResourceObjects>,
    ),
    ("backupservers_id.1.xml", rt::<BackupServer>),
    ("backupsessions_id.1.xml", rt::<BackupJobSession>),
    ("backuptasksessions_id.1.xml", rt::<BackupTaskSession>),
    ("catalog_vms_vmname.1.xml", rt::<CatalogVm>),
    ("cloud_connect_tenant_credentials.1.xml", rt::<LogonSession>),
    (
        "cloud_connect_tenant_credentials.2.xml",
        rt::<CloudConnectService>,
    ),
    ("cloud_connect_tenant_credentials.4.xml", rt::<LogonSession>),
    (
        "cloud_connect_tenant_credentials.5.xml",
        rt::<CloudConnectService>,
    ),
    ("cloudfailoverplans_id.1.xml", rt::<CloudFailoverPlan>),
    ("cloudfailoversessions_id.1.xml", rt::<CloudFailoverSession>),
    ("delete_cdppolicies_id_includes_id.1.xml", rt::<Task>),
    ("delete_cloud_gatewaypools_id.1.xml", rt::<Task>),
    (
        "delete_cloud_tenants_id_vcloudcomputeresources_id.1.xml",
        rt::<Task>,
    ),
    ("delete_cloudfailoverplans_id.1.xml", rt::<Task>),
    ("delete_cloudgateways_id.1.xml", rt::<Task>),
    ("delete_hardwareplans_id.1.xml", rt::<Task>),
    ("delete_jobs_id.1.xml", rt::<Task>),
    ("delete_jobs_id_linked_jobs.1.xml", rt::<Task>),
    ("delete_publicipaddresses_id.1.xml", rt::<Task>),
    ("delete_selfservice_vsphere_configs_id.1.xml", rt::<Task>),
    ("delete_tenants_id.1.xml", rt::<Task>),
    ("delete_tenants_id_computeresources_id.1.xml", rt::<Task>),
    ("delete_tenants_id_resources_id.1.xml", rt::<Task>),
    ("delete_tenants_id_subtenants_id.1.xml", rt::<Task>),
    ("delete_vcloud_orgconfigs_id.1.xml", rt::<Task>),
    ("get_jobs_id.1.xml", rt::<Job>),
    ("get_jobs_id.2.xml", rt::<Job>),
    ("jobs_id.1.xml", rt::<Job>),
    ("logging_on.1.xml", rt::<LogonSession>),
    ("post_agents_jobs_id_actionretry.1.xml", rt::<Task>),
    ("post_agents_jobs_id_actionstart.1.xml", rt::<Task>),
    (
        "post_agents_jobs_id_actiontogglescheduleenabled.1.xml",
        rt::<Task>,
    ),
    ("post_backupservers.1.xml", rt::<BackupServerSpec>),
    ("post_backupservers_id_collect.1.xml", rt::<Task>),
    ("post_backupservers_id_quickbackup.2.xml", rt::<Task>),
    ("post_backupservers_id_quickbackup.3.xml", rt::<Task>),
    ("post_backupservers_id_zip.2.xml", rt::<Task>),
    ("post_backupservers_id_zip.3.xml", rt::<Task>),
    (
        "post_catalog_vms_vmname_vmrestorepoints_id_guestfs_filepath.1.xml",
        rt::<Task>,
    ),
    (
        "post_catalog_vms_vmname_vmrestorepoints_id_guestfs_filepath.2.xml",
        rt::<RestoreSession>,
    ),
    ("post_cdppolicies_id_actiondisable.1.xml", rt::<Task>),
    ("post_cdpreplicavapp_id_actionfailover.2.xml", rt::<Task>),
    ("post_cdpreplicavapp_id_actionfailover.3.xml", rt::<Task>),
    ("post_cdpreplicavm_id_actionfailover.2.xml", rt::<Task>),
    ("post_cdpreplicavm_id_actionfailover.3.xml", rt::<Task>),
    (
        "post_cloud_tenants_id_vcloudcomputeresources.2.xml",
        rt::<Task>,
    ),
    (
        "post_cloud_tenants_id_vcloudcomputeresources.3.xml",
        rt::<Task>,
    ),
    (
        "post_cloudfailoverplans_id_start.1.xml",
        rt::<CloudFailoverPlanManagementSpec>,
    ),
    ("post_cloudfailoverplans_id_start.2.xml", rt::<Task>),
    ("post_cloudfailoverplans_id_start.3.xml", rt::<Task>),
    (
        "post_cloudfailoverplans_id_start.4.xml",
        rt::<CloudFailoverSession>,
    ),
    ("post_cloudfailoverplans_id_test.1.xml", rt::<Task>),
    (
        "post_cloudfailoverplans_id_test.2.xml",
        rt::<CloudFailoverSession>,
    ),
    ("post_cloudfailoverplans_id_undo.1.xml", rt::<Task>),
    ("post_cloudgatewaypools.3.xml", rt::<Task>),
    ("post_cloudgatewaypools.4.xml", rt::<Task>),
    ("post_failoverplans_id_start.2.xml", rt::<Task>),
    ("post_failoverplans_id_start.3.xml", rt::<Task>),
    ("post_failoverplans_id_undo.1.xml", rt::<Task>),
    ("post_gateways.3.xml", rt::<Task>),
    ("post_gateways.4.xml", rt::<Task>),
    ("post_jobs_id_actionclone.1.xml", rt::<JobCloneSpec>),
    ("post_jobs_id_actionclone.2.xml", rt::<JobCloneSpec>),
    ("post_jobs_id_actionclone.3.xml", rt::<JobCloneSpec>),
    ("post_jobs_id_actionclone.4.xml", rt::<JobCloneSpec>),
    ("post_jobs_id_actionclone.5.xml", rt::<Task>),
    ("post_jobs_id_actionclone.6.xml", rt::<Task>),
    ("post_jobs_id_actionretry.1.xml", rt::<Task>),
    ("post_jobs_id_actionstart.1.xml", rt::<Task>),
    ("post_jobs_id_actionstop.1.xml", rt::<Task>),
    ("post_jobs_id_actiontogglescheduleenabled.1.xml", rt::<Task>),
    ("post_nas_jobs_id_actionretry.1.xml", rt::<Task>),
    ("post_nas_jobs_id_actionstart.1.xml", rt::<Task>),
    (
        "post_nas_jobs_id_actiontogglescheduleenabled.1.xml",
        rt::<Task>,
    ),
    ("post_selfservice_vsphere_configs.2.xml", rt::<Task>),
    ("post_selfservice_vsphere_configs.3.xml", rt::<Task>),
    ("post_tenants_id_resources.2.xml", rt::<Task>),
    ("post_tenants_id_resources.3.xml", rt::<Task>),
    (
        "post_vapprestorepoints_id_actionrestore.1.xml",
        rt::<RestoreSpec>,
    ),
    (
        "post_vapprestorepoints_id_actionrestore.2.xml",
        rt::<RestoreSpec>,
    ),
    ("post_vapprestorepoints_id_actionrestore.3.xml", rt::<Task>),
    ("post_vapprestorepoints_id_actionrestore.4.xml", rt::<Task>),
    ("post_vcloud_orgconfigs_id.1.xml", rt::<Task>),
    ("post_vmreplicapoints_id_actionrestore.1.xml", rt::<Task>),
    ("post_vmreplicapoints_id_mountpoints.1.xml", rt::<Task>),
    ("post_vmreplicapoints_id_mountpoints.2.xml", rt::<Task>),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.1.xml",
        rt::<FileRestoreSpec>,
    ),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.2.xml",
        rt::<FileRestoreSpec>,
    ),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.3.xml",
        rt::<Task>,
    ),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.4.xml",
        rt::<Task>,
    ),
    (
        "post_vmrestorepoints_id_actionrestore.1.xml",
        rt::<RestoreSpec>,
    ),
    (
        "post_vmrestorepoints_id_actionrestore.2.xml",
        rt::<RestoreSpec>,
    ),
    ("post_vmrestorepoints_id_actionrestore.3.xml", rt::<Task>),
    ("post_vmrestorepoints_id_actionrestore.4.xml", rt::<Task>),
    ("post_vmrestorepoints_id_mountpoints.1.xml", rt::<Task>),
    ("post_vmrestorepoints_id_mountpoints.2.xml", rt::<Task>),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.1.xml",
        rt::<FileRestoreSpec>,
    ),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.2.xml",
        rt::<FileRestoreSpec>,
    ),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.3.xml",
        rt::<Task>,
    ),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.4.xml",
        rt::<Task>,
    ),
    ("put_backupservers_id.1.xml", rt::<BackupServerSpec>),
    ("put_backupservers_id_creds_id.1.xml", rt::<CredentialsInfo>),
    ("put_cloud_gatewaypools_id.3.xml", rt::<Task>),
    ("put_cloud_gatewaypools_id.4.xml", rt::<Task>),
    ("put_cloudfailoverplans_id.1.xml", rt::<CloudFailoverPlan>),
    ("put_cloudfailoverplans_id.2.xml", rt::<Task>),
    ("put_cloudfailoverplans_id.3.xml", rt::<Task>),
    ("put_failoverplans_id.2.xml", rt::<Task>),
    ("put_failoverplans_id.3.xml", rt::<Task>),
    ("put_hardwareplans_id.2.xml", rt::<Task>),
    ("put_hardwareplans_id.3.xml", rt::<Task>),
    ("put_method.1.xml", rt::<Task>),
    ("put_method.2.xml", rt::<Task>),
    ("put_publicipaddresses_id.2.xml", rt::<Task>),
    ("put_publicipaddresses_id.3.xml", rt::<Task>),
    ("put_tenants_id.2.xml", rt::<Task>),
    ("put_tenants_id.3.xml", rt::<Task>),
    ("put_tenants_id_subtenants_id.2.xml", rt::<Task>),
    ("put_tenants_id_subtenants_id.3.xml", rt::<Task>),
    ("put_vcloud_orgconfigs_id.2.xml", rt::<Task>),
    ("put_vcloud_orgconfigs_id.3.xml", rt::<Task>),
    ("replicas_id.1.xml", rt::<Replica>),
    ("repositories_id.1.xml", rt::<Repository>),
    (
        "scenario_1_click_restore.1.xml",
        rt::<CatalogVmReferenceList>,
    ),
    ("scenario_1_click_restore.2.xml", rt::<CatalogVm>),
    (
        "scenario_1_click_restore.3.xml",
        rt::<CatalogVmRestorePointReferenceList>,
    ),
    (
        "scenario_1_click_restore.4.xml",
        rt::<CatalogVmRestorePoint>,
    ),
    ("scenario_1_click_restore.5.xml", rt::<Task>),
    ("scenario_1_click_restore.6.xml", rt::<FileSystemEntries>),
    ("scenario_1_click_restore.7.xml", rt::<Task>),
    ("scenario_1_click_restore.8.xml", rt::<Task>),
    ("scenario_1_click_restore.9.xml", rt::<RestoreSession>),
    (
        "scenario_restore_scope.1.xml",
        rt::<EnterpriseSecuritySettings>,
    ),
    (
        "scenario_restore_scope.2.xml",
        rt::<EnterpriseAccountReferenceList>,
    ),
    ("scenario_restore_scope.3.xml", rt::<EnterpriseAccount>),
    ("scenario_starting_a_job.1.xml", rt::<JobReferenceList>),
    ("scenario_starting_a_job.2.xml", rt::<Job>),
    ("scenario_starting_a_job.3.xml", rt::<Task>),
    ("scenario_starting_a_job.4.xml", rt::<Task>),
    ("security_accounts_id.1.xml", rt::<EnterpriseAccount>),
    (
        "agents_agentrestorepoints_id.1.xml",
        rt::<AgentRestorePoint>,
    ),
    (
        "agents_discoveredcomputers_id.1.xml",
        rt::<DiscoveredComputer>,
    ),
    (
        "agents_protectiongroups_id.1.xml",
        rt::<AgentProtectionGroup>,
    ),
    ("backupfiles_id.1.xml", rt::<BackupFile>),
    ("cdppolicies_id.1.xml", rt::<CdpPolicy>),
    ("cdpreplica_vapps_id.1.xml", rt::<VAppCdpReplica>),
    ("cdpreplica_vapps_id_vms.1.xml", rt::<VAppCdpReplicaVms>),
    ("cdpreplica_vapps_id_vms_id.1.xml", rt::<VAppCdpReplicaVm>),
    ("cdpreplicas_id.1.xml", rt::<CdpReplica>),
    ("cdpreplicas_id_vms_id.1.xml", rt::<CdpReplicaVm>),
    ("cdpreplicasessions_id.1.xml", rt::<CdpReplicaSession>),
    (
        "cdpreplicatasksessions_id.1.xml",
        rt::<CdpReplicaTaskSession>,
    ),
    ("cloud_connect_tenant_credentials.3.xml", rt::<LoginSpec>),
    ("cloudgateways_id.1.xml", rt::<CloudGateway>),
    ("cloudreplicas_id.1.xml", rt::<CloudReplica>),
    ("cloudvmreplicapoints_id.1.xml", rt::<CloudVmReplicaPoint>),
    ("externalrepositories_id.1.xml", rt::<ExternalRepository>),
    ("get_tenants_id.1.xml", rt::<CloudTenant>),
    (
        "get_vcloud_orgconfigs.1.xml",
        rt::<VCloudOrganizationConfigs>,
    ),
    ("hardwareplans_id.1.xml", rt::<CloudHardwarePlan>),
    ("hierarchyroots_id.1.xml", rt::<HierarchyRoot>),
    ("lookup_query.1.xml", rt::<HierarchyItems>),
    ("managedservers_id.1.xml", rt::<ManagedServer>),
    ("nas_fileservers_id.1.xml", rt::<FileServer>),
    ("nas_jobs_id.1.xml", rt::<NasJob>),
    (
        "post_backupservers_id_passwords.1.xml",
        rt::<PasswordKeyInfoSpec>,
    ),
    (
        "post_backupservers_id_quickbackup.1.xml",
        rt::<QuickBackupStartupSpec>,
    ),
    ("post_backupservers_id_zip.1.xml", rt::<VeeamZipStartupSpec>),
    (
        "post_cdpreplicavapp_id_actionfailover.1.xml",
        rt::<CdpFailoverStartSpec>,
    ),
    (
        "post_cdpreplicavm_id_actionfailover.1.xml",
        rt::<CdpFailoverStartSpec>,
    ),
    (
        "post_cdpreplicavm_id_actionintervals.1.xml",
        rt::<CdpReplicaIntervals>,
    ),
    (
        "post_cloud_tenants_id_vcloudcomputeresources.1.xml",
        rt::<CloudTenantVCloudComputeResourceCreateSpec>,
    ),
    (
        "post_cloudgatewaypools.1.xml",
        rt::<CreateCloudGatewayPoolSpec>,
    ),
    (
        "post_cloudgatewaypools.2.xml",
        rt::<CreateCloudGatewayPoolSpec>,
    ),
    (
        "post_failoverplans_id_start.1.xml",
        rt::<FailoverPlanManagementSpec>,
    ),
    ("post_gateways.1.xml", rt::<CreateCloudGatewaySpec>),
    ("post_gateways.2.xml", rt::<CreateCloudGatewaySpec>),
    (
        "post_security_accounts.1.xml",
        rt::<EnterpriseAccountCreateSpec>,
    ),
    (
        "post_security_accounts.2.xml",
        rt::<EnterpriseAccountCreateSpec>,
    ),
    (
        "post_security_accounts_id_roles.1.xml",
        rt::<EnterpriseAccountInRoleCreateSpec>,
    ),
    (
        "post_selfservice_vsphere_configs.1.xml",
        rt::<VSphereSelfServiceCreateSpec>,
    ),
    (
        "post_tenants_id_resources.1.xml",
        rt::<CreateCloudTenantResourceSpec>,
    ),
    ("publicipaddresses_id.1.xml", rt::<CloudPublicIpAddress>),
    ("put_cloud_gatewaypools_id.1.xml", rt::<CloudGatewayPool>),
    ("put_cloud_gatewaypools_id.2.xml", rt::<CloudGatewayPool>),
    ("put_failoverplans_id.1.xml", rt::<FailoverPlan>),
    ("put_hardwareplans_id.1.xml", rt::<CloudHardwarePlan>),
    ("put_publicipaddresses_id.1.xml", rt::<CloudPublicIpAddress>),
    ("put_tenants_id.1.xml", rt::<CloudTenant>),
    ("put_tenants_id_subtenants_id.1.xml", rt::<CloudSubtenant>),
    (
        "put_vcloud_orgconfigs_id.1.xml",
        rt::<VCloudOrganizationConfig>,
    ),
    ("replicasessions_id.1.xml", rt::<ReplicaJobSession>),
    ("replicatasksessions_id.1.xml", rt::<ReplicaTaskSession>),
    (
        "scenario_restore_scope.4.xml",
        rt::<HierarchyScopeCreateSpec>,
    ),
    (
        "scenario_restore_scope.5.xml",
        rt::<EnterpriseAccountHierarchyScopes>,
    ),
    ("security_roles_id.1.xml", rt::<EnterpriseRole>),
    (
        "selfservice_vsphere_configs.1.xml",
        rt::<VSphereSelfServiceConfigs>,
    ),
    ("tenants_id.1.xml", rt::<CloudTenant>),
    ("vcloud_orgconfigs.1.xml", rt::<VCloudOrganizationConfigs>),
    ("vlans_id.1.xml", rt::<VlanConfiguration>),
    ("wanaccelerators_id.1.xml", rt::<WanAccelerator>),
];

/// Samples that do not round-trip for a reason outside the spec, with the reason. The test
/// checks that each still fails with a message containing the given text, so a fix upstream
/// shows up here.
const KNOWN_LOSSY: &[(&str, &str, &str)] = &[];

/// Documentation examples without a file in `samples/`.
const DOCS: &[(&str, RoundTrip)] = &[
    ("credentials_list.xml", rt::<CredentialsInfoList>),
    ("entry_point.xml", rt::<EnterpriseManager>),
    ("error.xml", rt::<ErrorBody>),
    ("job_reference.xml", rt::<JobReference>),
    ("query_result_refs.xml", rt::<QueryResult>),
    ("query_result_task_sessions.xml", rt::<QueryResult>),
    ("vm_replica_point.xml", rt::<VmReplicaPoint>),
    ("vm_restore_point.xml", rt::<VmRestorePoint>),
    ("vm_restore_point_mount.xml", rt::<VmRestorePointMount>),
    (
        "vm_restore_point_reference.xml",
        rt::<VmRestorePointReference>,
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/em-docs")
}

fn text(n: &Node) -> &str {
    n.text.as_deref().unwrap_or("")
}

/// First difference between two trees, as a path and a message.
fn diff(a: &Node, b: &Node, path: &str) -> Option<String> {
    let here = format!("{path}/{}", a.name);
    if a.name != b.name {
        return Some(format!("{path}: element `{}` became `{}`", a.name, b.name));
    }
    let mut aa: Vec<_> = a.attrs.iter().collect();
    let mut ba: Vec<_> = b.attrs.iter().collect();
    aa.sort();
    ba.sort();
    if aa != ba {
        return Some(format!("{here}: attributes {aa:?} became {ba:?}"));
    }
    let (ta, tb) = (text(a), text(b));
    let blank = |t: &str| t.trim().is_empty();
    // The documentation elides further items with `...` between elements; that is not data.
    let elided = |n: &Node, t: &str| {
        !n.children.is_empty() && t.chars().filter(|c| !c.is_whitespace()).all(|c| c == '.')
    };
    // Whitespace-only text on both sides, or an elision on the original, is not a change.
    let immaterial = blank(tb) && (blank(ta) || elided(a, ta));
    if !immaterial && ta != tb {
        return Some(format!("{here}: text {ta:?} became {tb:?}"));
    }
    for (i, ca) in a.children.iter().enumerate() {
        match b.children.get(i) {
            None => return Some(format!("{here}: child #{i} `{}` was dropped", ca.name)),
            Some(cb) => {
                if let Some(d) = diff(ca, cb, &here) {
                    return Some(d);
                }
            }
        }
    }
    if b.children.len() > a.children.len() {
        let extra = &b.children[a.children.len()];
        return Some(format!("{here}: extra child `{}`", extra.name));
    }
    None
}

fn check(dir: &str, table: &[(&str, RoundTrip)], report: &mut String) -> (usize, Vec<String>) {
    let mut ok = 0;
    let mut failures = Vec::new();
    for (file, f) in table {
        let path = fixtures().join(dir).join(file);
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let original = match parse_xml(&bytes) {
            Ok(n) => n,
            Err(e) => {
                failures.push(format!("{file}: not XML: {e}"));
                continue;
            }
        };
        match f(&original).and_then(|back| match diff(&original, &back, "") {
            None => Ok(()),
            Some(d) => Err(d),
        }) {
            Ok(()) => ok += 1,
            Err(e) => failures.push(format!("{file}: {e}")),
        }
    }
    let _ = writeln!(report, "{dir}: {ok} of {} round-tripped", table.len());
    (ok, failures)
}

/// Files in `dir` that the table does not name (so none is silently skipped).
fn unlisted(dir: &str, table: &[(&str, RoundTrip)]) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(fixtures().join(dir)).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name.ends_with(".xml") && !table.iter().any(|(f, _)| *f == name) {
            out.push(name);
        }
    }
    out
}

#[test]
fn documented_samples_round_trip() {
    let mut report = String::new();
    let (ok_s, mut failures) = check("samples", SAMPLES, &mut report);
    let (ok_d, f2) = check("docs", DOCS, &mut report);
    failures.extend(f2);
    let mut unexpected = Vec::new();
    for (file, needle, why) in KNOWN_LOSSY {
        match failures
            .iter()
            .position(|f| f.starts_with(&format!("{file}:")))
        {
            Some(i) => {
                let f = failures.remove(i);
                assert!(
                    f.contains(needle),
                    "{file} fails differently than known ({why}): {f}"
                );
                println!("known lossy: {file}: {why}");
            }
            None => unexpected.push(format!(
                "{file} now round-trips: remove it from KNOWN_LOSSY"
            )),
        }
    }
    assert!(unexpected.is_empty(), "{unexpected:?}");
    let index = std::fs::read_to_string(fixtures().join("samples-index.tsv")).unwrap();
    let total = index
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count();
    println!(
        "em-docs samples: {ok_s} round-tripped ({} known lossy) / {} covered / {total} documented samples; docs examples: {ok_d} / {}",
        KNOWN_LOSSY.len(),
        SAMPLES.len(),
        DOCS.len()
    );
    print!("{report}");
    let mut stray = unlisted("samples", SAMPLES);
    stray.extend(unlisted("docs", DOCS));
    assert!(
        stray.is_empty(),
        "fixture files missing from the table: {stray:?}"
    );
    assert!(
        failures.is_empty(),
        "{} document(s) do not round-trip:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn every_covered_sample_is_in_the_index() {
    let index = std::fs::read_to_string(fixtures().join("samples-index.tsv")).unwrap();
    for (file, _) in SAMPLES {
        assert!(
            index.lines().any(|l| l.split('\t').next() == Some(file)),
            "{file} is not a documented sample"
        );
    }
}

/// Dropping a field must be noticed: the comparison itself is tested.
#[test]
fn the_comparison_sees_a_dropped_field() {
    let xml = br#"<BackupServer xmlns="http://www.veeam.com/ent/v1.0" Name="a"><Port>1</Port><Version>2</Version></BackupServer>"#;
    let original = parse_xml(xml).unwrap();
    let back = rt::<BackupServer>(&original).unwrap();
    assert_eq!(diff(&original, &back, ""), None);
    let mut lossy = back.clone();
    lossy.children.remove(0);
    assert!(diff(&original, &lossy, "").is_some());
    let unknown =
        parse_xml(br#"<BackupServer Name="a"><Port>1</Port><Bogus>x</Bogus></BackupServer>"#)
            .unwrap();
    let back = rt::<BackupServer>(&unknown).unwrap();
    assert!(diff(&unknown, &back, "").unwrap().contains("Bogus"));
}
