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

use emrest::runtime::{
    decode_json, decode_xml, encode_json, encode_xml, parse_xml, unknown_paths, Casing, Node, Repr,
};
use emrest::*;

const NS: &str = "http://www.veeam.com/ent/v1.0";

/// Decodes the document as `T` (nothing may be left unknown: the types must know every
/// element and attribute), checks the JSON round trip in both casings, encodes it again and
/// parses the result.
fn rt<T: Repr + PartialEq + std::fmt::Debug>(bytes: &[u8]) -> Result<Node, String> {
    // The documentation elides further items with `...` between elements; that is not data.
    let unelided = elide(&String::from_utf8_lossy(bytes));
    let value: T = decode_xml(unelided.as_bytes()).map_err(|e| format!("decode: {e}"))?;
    let unknown = unknown_paths(&value);
    if !unknown.is_empty() {
        return Err(format!(
            "content the types do not declare: {}",
            unknown.join(", ")
        ));
    }
    for casing in [Casing::Pascal, Casing::Camel] {
        let json = encode_json(&value, casing);
        let back: T = decode_json(json.as_bytes()).map_err(|e| format!("JSON decode: {e}"))?;
        if back != value {
            return Err(format!("the JSON round trip ({casing:?}) differs:\n{json}"));
        }
    }
    let xml = encode_xml(&value, NS);
    let back = parse_xml(xml.as_bytes()).map_err(|e| format!("re-parse: {e}"))?;
    let original = parse_xml(bytes).map_err(|e| format!("parse: {e}"))?;
    if back.name != original.name {
        return Err(format!(
            "root `{}` re-encoded as `{}`",
            original.name, back.name
        ));
    }
    Ok(back)
}

/// `doc` without text runs between elements that are only dots (documentation elisions).
fn elide(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(gt) = rest.find('>') {
        out.push_str(&rest[..=gt]);
        rest = &rest[gt + 1..];
        if let Some(lt) = rest.find('<') {
            let between = &rest[..lt];
            let t = between.trim();
            if !t.is_empty() && t.chars().all(|c| c == '.' || c == '…') {
                rest = &rest[lt..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What the tests do with a sample's type: the conformance round trip, and decode → encode
/// in each format (for the unknown-content property).
#[derive(Clone, Copy)]
struct RoundTrip {
    rt: fn(&[u8]) -> Result<Node, String>,
    xml: fn(&[u8]) -> Result<String, String>,
    json: fn(&[u8]) -> Result<String, String>,
    xml_to_json: fn(&[u8]) -> Result<String, String>,
}

const fn c<T: Repr + PartialEq + std::fmt::Debug>() -> RoundTrip {
    RoundTrip {
        rt: rt::<T>,
        xml: |b| {
            decode_xml::<T>(b)
                .map(|v| encode_xml(&v, NS))
                .map_err(|e| e.to_string())
        },
        json: |b| {
            decode_json::<T>(b)
                .map(|v| encode_json(&v, Casing::Pascal))
                .map_err(|e| e.to_string())
        },
        xml_to_json: |b| {
            decode_xml::<T>(b)
                .map(|v| encode_json(&v, Casing::Pascal))
                .map_err(|e| e.to_string())
        },
    }
}

/// Sample file → representation. Roots shared by several representations (`EntityReferences`,
/// `EntityRef`) are told apart by the items' `Type` attribute.
const SAMPLES: &[(&str, RoundTrip)] = &[
    (
        "backup_copy_job_options.1.xml",
        c::<LinkedBackupRepositoryResourceObjects>(),
    ),
    ("backupservers_id.1.xml", c::<BackupServer>()),
    ("backupsessions_id.1.xml", c::<BackupJobSession>()),
    ("backuptasksessions_id.1.xml", c::<BackupTaskSession>()),
    ("catalog_vms_vmname.1.xml", c::<CatalogVm>()),
    (
        "cloud_connect_tenant_credentials.1.xml",
        c::<LogonSession>(),
    ),
    (
        "cloud_connect_tenant_credentials.2.xml",
        c::<CloudConnectService>(),
    ),
    (
        "cloud_connect_tenant_credentials.4.xml",
        c::<LogonSession>(),
    ),
    (
        "cloud_connect_tenant_credentials.5.xml",
        c::<CloudConnectService>(),
    ),
    ("cloudfailoverplans_id.1.xml", c::<CloudFailoverPlan>()),
    (
        "cloudfailoversessions_id.1.xml",
        c::<CloudFailoverSession>(),
    ),
    ("delete_cdppolicies_id_includes_id.1.xml", c::<Task>()),
    ("delete_cloud_gatewaypools_id.1.xml", c::<Task>()),
    (
        "delete_cloud_tenants_id_vcloudcomputeresources_id.1.xml",
        c::<Task>(),
    ),
    ("delete_cloudfailoverplans_id.1.xml", c::<Task>()),
    ("delete_cloudgateways_id.1.xml", c::<Task>()),
    ("delete_hardwareplans_id.1.xml", c::<Task>()),
    ("delete_jobs_id.1.xml", c::<Task>()),
    ("delete_jobs_id_linked_jobs.1.xml", c::<Task>()),
    ("delete_publicipaddresses_id.1.xml", c::<Task>()),
    ("delete_selfservice_vsphere_configs_id.1.xml", c::<Task>()),
    ("delete_tenants_id.1.xml", c::<Task>()),
    ("delete_tenants_id_computeresources_id.1.xml", c::<Task>()),
    ("delete_tenants_id_resources_id.1.xml", c::<Task>()),
    ("delete_tenants_id_subtenants_id.1.xml", c::<Task>()),
    ("delete_vcloud_orgconfigs_id.1.xml", c::<Task>()),
    ("get_jobs_id.1.xml", c::<Job>()),
    ("get_jobs_id.2.xml", c::<Job>()),
    ("jobs_id.1.xml", c::<Job>()),
    ("logging_on.1.xml", c::<LogonSession>()),
    ("post_agents_jobs_id_actionretry.1.xml", c::<Task>()),
    ("post_agents_jobs_id_actionstart.1.xml", c::<Task>()),
    (
        "post_agents_jobs_id_actiontogglescheduleenabled.1.xml",
        c::<Task>(),
    ),
    ("post_backupservers.1.xml", c::<BackupServerSpec>()),
    ("post_backupservers_id_collect.1.xml", c::<Task>()),
    ("post_backupservers_id_quickbackup.2.xml", c::<Task>()),
    ("post_backupservers_id_quickbackup.3.xml", c::<Task>()),
    ("post_backupservers_id_zip.2.xml", c::<Task>()),
    ("post_backupservers_id_zip.3.xml", c::<Task>()),
    (
        "post_catalog_vms_vmname_vmrestorepoints_id_guestfs_filepath.1.xml",
        c::<Task>(),
    ),
    (
        "post_catalog_vms_vmname_vmrestorepoints_id_guestfs_filepath.2.xml",
        c::<RestoreSession>(),
    ),
    ("post_cdppolicies_id_actiondisable.1.xml", c::<Task>()),
    ("post_cdpreplicavapp_id_actionfailover.2.xml", c::<Task>()),
    ("post_cdpreplicavapp_id_actionfailover.3.xml", c::<Task>()),
    ("post_cdpreplicavm_id_actionfailover.2.xml", c::<Task>()),
    ("post_cdpreplicavm_id_actionfailover.3.xml", c::<Task>()),
    (
        "post_cloud_tenants_id_vcloudcomputeresources.2.xml",
        c::<Task>(),
    ),
    (
        "post_cloud_tenants_id_vcloudcomputeresources.3.xml",
        c::<Task>(),
    ),
    (
        "post_cloudfailoverplans_id_start.1.xml",
        c::<CloudFailoverPlanManagementSpec>(),
    ),
    ("post_cloudfailoverplans_id_start.2.xml", c::<Task>()),
    ("post_cloudfailoverplans_id_start.3.xml", c::<Task>()),
    (
        "post_cloudfailoverplans_id_start.4.xml",
        c::<CloudFailoverSession>(),
    ),
    ("post_cloudfailoverplans_id_test.1.xml", c::<Task>()),
    (
        "post_cloudfailoverplans_id_test.2.xml",
        c::<CloudFailoverSession>(),
    ),
    ("post_cloudfailoverplans_id_undo.1.xml", c::<Task>()),
    ("post_cloudgatewaypools.3.xml", c::<Task>()),
    ("post_cloudgatewaypools.4.xml", c::<Task>()),
    ("post_failoverplans_id_start.2.xml", c::<Task>()),
    ("post_failoverplans_id_start.3.xml", c::<Task>()),
    ("post_failoverplans_id_undo.1.xml", c::<Task>()),
    ("post_gateways.3.xml", c::<Task>()),
    ("post_gateways.4.xml", c::<Task>()),
    ("post_jobs_id_actionclone.1.xml", c::<JobCloneSpec>()),
    ("post_jobs_id_actionclone.2.xml", c::<JobCloneSpec>()),
    ("post_jobs_id_actionclone.3.xml", c::<JobCloneSpec>()),
    ("post_jobs_id_actionclone.4.xml", c::<JobCloneSpec>()),
    ("post_jobs_id_actionclone.5.xml", c::<Task>()),
    ("post_jobs_id_actionclone.6.xml", c::<Task>()),
    ("post_jobs_id_actionretry.1.xml", c::<Task>()),
    ("post_jobs_id_actionstart.1.xml", c::<Task>()),
    ("post_jobs_id_actionstop.1.xml", c::<Task>()),
    (
        "post_jobs_id_actiontogglescheduleenabled.1.xml",
        c::<Task>(),
    ),
    ("post_nas_jobs_id_actionretry.1.xml", c::<Task>()),
    ("post_nas_jobs_id_actionstart.1.xml", c::<Task>()),
    (
        "post_nas_jobs_id_actiontogglescheduleenabled.1.xml",
        c::<Task>(),
    ),
    ("post_selfservice_vsphere_configs.2.xml", c::<Task>()),
    ("post_selfservice_vsphere_configs.3.xml", c::<Task>()),
    ("post_tenants_id_resources.2.xml", c::<Task>()),
    ("post_tenants_id_resources.3.xml", c::<Task>()),
    (
        "post_vapprestorepoints_id_actionrestore.1.xml",
        c::<RestoreSpec>(),
    ),
    (
        "post_vapprestorepoints_id_actionrestore.2.xml",
        c::<RestoreSpec>(),
    ),
    ("post_vapprestorepoints_id_actionrestore.3.xml", c::<Task>()),
    ("post_vapprestorepoints_id_actionrestore.4.xml", c::<Task>()),
    ("post_vcloud_orgconfigs_id.1.xml", c::<Task>()),
    ("post_vmreplicapoints_id_actionrestore.1.xml", c::<Task>()),
    ("post_vmreplicapoints_id_mountpoints.1.xml", c::<Task>()),
    ("post_vmreplicapoints_id_mountpoints.2.xml", c::<Task>()),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.1.xml",
        c::<FileRestoreSpec>(),
    ),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.2.xml",
        c::<FileRestoreSpec>(),
    ),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.3.xml",
        c::<Task>(),
    ),
    (
        "post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.4.xml",
        c::<Task>(),
    ),
    (
        "post_vmrestorepoints_id_actionrestore.1.xml",
        c::<RestoreSpec>(),
    ),
    (
        "post_vmrestorepoints_id_actionrestore.2.xml",
        c::<RestoreSpec>(),
    ),
    ("post_vmrestorepoints_id_actionrestore.3.xml", c::<Task>()),
    ("post_vmrestorepoints_id_actionrestore.4.xml", c::<Task>()),
    ("post_vmrestorepoints_id_mountpoints.1.xml", c::<Task>()),
    ("post_vmrestorepoints_id_mountpoints.2.xml", c::<Task>()),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.1.xml",
        c::<FileRestoreSpec>(),
    ),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.2.xml",
        c::<FileRestoreSpec>(),
    ),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.3.xml",
        c::<Task>(),
    ),
    (
        "post_vmrestorepoints_id_mountpoints_id_filepath_actionrestore.4.xml",
        c::<Task>(),
    ),
    ("put_backupservers_id.1.xml", c::<BackupServerSpec>()),
    (
        "put_backupservers_id_creds_id.1.xml",
        c::<CredentialsInfo>(),
    ),
    ("put_cloud_gatewaypools_id.3.xml", c::<Task>()),
    ("put_cloud_gatewaypools_id.4.xml", c::<Task>()),
    ("put_cloudfailoverplans_id.1.xml", c::<CloudFailoverPlan>()),
    ("put_cloudfailoverplans_id.2.xml", c::<Task>()),
    ("put_cloudfailoverplans_id.3.xml", c::<Task>()),
    ("put_failoverplans_id.2.xml", c::<Task>()),
    ("put_failoverplans_id.3.xml", c::<Task>()),
    ("put_hardwareplans_id.2.xml", c::<Task>()),
    ("put_hardwareplans_id.3.xml", c::<Task>()),
    ("put_method.1.xml", c::<Task>()),
    ("put_method.2.xml", c::<Task>()),
    ("put_publicipaddresses_id.2.xml", c::<Task>()),
    ("put_publicipaddresses_id.3.xml", c::<Task>()),
    ("put_tenants_id.2.xml", c::<Task>()),
    ("put_tenants_id.3.xml", c::<Task>()),
    ("put_tenants_id_subtenants_id.2.xml", c::<Task>()),
    ("put_tenants_id_subtenants_id.3.xml", c::<Task>()),
    ("put_vcloud_orgconfigs_id.2.xml", c::<Task>()),
    ("put_vcloud_orgconfigs_id.3.xml", c::<Task>()),
    ("replicas_id.1.xml", c::<Replica>()),
    ("repositories_id.1.xml", c::<Repository>()),
    (
        "scenario_1_click_restore.1.xml",
        c::<CatalogVmReferenceList>(),
    ),
    ("scenario_1_click_restore.2.xml", c::<CatalogVm>()),
    (
        "scenario_1_click_restore.3.xml",
        c::<CatalogVmRestorePointReferenceList>(),
    ),
    (
        "scenario_1_click_restore.4.xml",
        c::<CatalogVmRestorePoint>(),
    ),
    ("scenario_1_click_restore.5.xml", c::<Task>()),
    ("scenario_1_click_restore.6.xml", c::<FileSystemEntries>()),
    ("scenario_1_click_restore.7.xml", c::<Task>()),
    ("scenario_1_click_restore.8.xml", c::<Task>()),
    ("scenario_1_click_restore.9.xml", c::<RestoreSession>()),
    (
        "scenario_restore_scope.1.xml",
        c::<EnterpriseSecuritySettings>(),
    ),
    (
        "scenario_restore_scope.2.xml",
        c::<EnterpriseAccountReferenceList>(),
    ),
    ("scenario_restore_scope.3.xml", c::<EnterpriseAccount>()),
    ("scenario_starting_a_job.1.xml", c::<JobReferenceList>()),
    ("scenario_starting_a_job.2.xml", c::<Job>()),
    ("scenario_starting_a_job.3.xml", c::<Task>()),
    ("scenario_starting_a_job.4.xml", c::<Task>()),
    ("security_accounts_id.1.xml", c::<EnterpriseAccount>()),
    (
        "agents_agentrestorepoints_id.1.xml",
        c::<AgentRestorePoint>(),
    ),
    (
        "agents_discoveredcomputers_id.1.xml",
        c::<DiscoveredComputer>(),
    ),
    (
        "agents_protectiongroups_id.1.xml",
        c::<AgentProtectionGroup>(),
    ),
    ("backupfiles_id.1.xml", c::<BackupFile>()),
    ("cdppolicies_id.1.xml", c::<CdpPolicy>()),
    ("cdpreplica_vapps_id.1.xml", c::<VAppCdpReplica>()),
    ("cdpreplica_vapps_id_vms.1.xml", c::<VAppCdpReplicaVms>()),
    ("cdpreplica_vapps_id_vms_id.1.xml", c::<VAppCdpReplicaVm>()),
    ("cdpreplicas_id.1.xml", c::<CdpReplica>()),
    ("cdpreplicas_id_vms_id.1.xml", c::<CdpReplicaVm>()),
    ("cdpreplicasessions_id.1.xml", c::<CdpReplicaSession>()),
    (
        "cdpreplicatasksessions_id.1.xml",
        c::<CdpReplicaTaskSession>(),
    ),
    ("cloud_connect_tenant_credentials.3.xml", c::<LoginSpec>()),
    ("cloudgateways_id.1.xml", c::<CloudGateway>()),
    ("cloudreplicas_id.1.xml", c::<CloudReplica>()),
    ("cloudvmreplicapoints_id.1.xml", c::<CloudVmReplicaPoint>()),
    ("externalrepositories_id.1.xml", c::<ExternalRepository>()),
    ("get_tenants_id.1.xml", c::<CloudTenant>()),
    (
        "get_vcloud_orgconfigs.1.xml",
        c::<VCloudOrganizationConfigs>(),
    ),
    ("hardwareplans_id.1.xml", c::<CloudHardwarePlan>()),
    ("hierarchyroots_id.1.xml", c::<HierarchyRoot>()),
    ("lookup_query.1.xml", c::<HierarchyItems>()),
    ("managedservers_id.1.xml", c::<ManagedServer>()),
    ("nas_fileservers_id.1.xml", c::<FileServer>()),
    ("nas_jobs_id.1.xml", c::<NasJob>()),
    (
        "post_backupservers_id_passwords.1.xml",
        c::<PasswordKeyInfoSpec>(),
    ),
    (
        "post_backupservers_id_quickbackup.1.xml",
        c::<QuickBackupStartupSpec>(),
    ),
    (
        "post_backupservers_id_zip.1.xml",
        c::<VeeamZipStartupSpec>(),
    ),
    (
        "post_cdpreplicavapp_id_actionfailover.1.xml",
        c::<CdpFailoverStartSpec>(),
    ),
    (
        "post_cdpreplicavm_id_actionfailover.1.xml",
        c::<CdpFailoverStartSpec>(),
    ),
    (
        "post_cdpreplicavm_id_actionintervals.1.xml",
        c::<CdpReplicaIntervals>(),
    ),
    (
        "post_cloud_tenants_id_vcloudcomputeresources.1.xml",
        c::<CloudTenantVCloudComputeResourceCreateSpec>(),
    ),
    (
        "post_cloudgatewaypools.1.xml",
        c::<CreateCloudGatewayPoolSpec>(),
    ),
    (
        "post_cloudgatewaypools.2.xml",
        c::<CreateCloudGatewayPoolSpec>(),
    ),
    (
        "post_failoverplans_id_start.1.xml",
        c::<FailoverPlanManagementSpec>(),
    ),
    ("post_gateways.1.xml", c::<CreateCloudGatewaySpec>()),
    ("post_gateways.2.xml", c::<CreateCloudGatewaySpec>()),
    (
        "post_security_accounts.1.xml",
        c::<EnterpriseAccountCreateSpec>(),
    ),
    (
        "post_security_accounts.2.xml",
        c::<EnterpriseAccountCreateSpec>(),
    ),
    (
        "post_security_accounts_id_roles.1.xml",
        c::<EnterpriseAccountInRoleCreateSpec>(),
    ),
    (
        "post_selfservice_vsphere_configs.1.xml",
        c::<VSphereSelfServiceCreateSpec>(),
    ),
    (
        "post_tenants_id_resources.1.xml",
        c::<CreateCloudTenantResourceSpec>(),
    ),
    ("publicipaddresses_id.1.xml", c::<CloudPublicIpAddress>()),
    ("put_cloud_gatewaypools_id.1.xml", c::<CloudGatewayPool>()),
    ("put_cloud_gatewaypools_id.2.xml", c::<CloudGatewayPool>()),
    ("put_failoverplans_id.1.xml", c::<FailoverPlan>()),
    ("put_hardwareplans_id.1.xml", c::<CloudHardwarePlan>()),
    (
        "put_publicipaddresses_id.1.xml",
        c::<CloudPublicIpAddress>(),
    ),
    ("put_tenants_id.1.xml", c::<CloudTenant>()),
    ("put_tenants_id_subtenants_id.1.xml", c::<CloudSubtenant>()),
    (
        "put_vcloud_orgconfigs_id.1.xml",
        c::<VCloudOrganizationConfig>(),
    ),
    ("replicasessions_id.1.xml", c::<ReplicaJobSession>()),
    ("replicatasksessions_id.1.xml", c::<ReplicaTaskSession>()),
    (
        "scenario_restore_scope.4.xml",
        c::<HierarchyScopeCreateSpec>(),
    ),
    (
        "scenario_restore_scope.5.xml",
        c::<EnterpriseAccountHierarchyScopes>(),
    ),
    ("security_roles_id.1.xml", c::<EnterpriseRole>()),
    (
        "selfservice_vsphere_configs.1.xml",
        c::<VSphereSelfServiceConfigs>(),
    ),
    ("tenants_id.1.xml", c::<CloudTenant>()),
    ("vcloud_orgconfigs.1.xml", c::<VCloudOrganizationConfigs>()),
    ("vlans_id.1.xml", c::<VlanConfiguration>()),
    ("wanaccelerators_id.1.xml", c::<WanAccelerator>()),
];

/// Samples that do not round-trip for a reason outside the spec, with the reason. The test
/// checks that each still fails with a message containing the given text, so a fix upstream
/// shows up here.
const KNOWN_LOSSY: &[(&str, &str, &str)] = &[];

/// Documentation examples without a file in `samples/`.
const DOCS: &[(&str, RoundTrip)] = &[
    ("credentials_list.xml", c::<CredentialsInfoList>()),
    ("entry_point.xml", c::<EnterpriseManager>()),
    ("error.xml", c::<ErrorBody>()),
    ("job_reference.xml", c::<JobReference>()),
    ("query_result_refs.xml", c::<QueryResult>()),
    ("query_result_task_sessions.xml", c::<QueryResult>()),
    ("vm_replica_point.xml", c::<VmReplicaPoint>()),
    ("vm_restore_point.xml", c::<VmRestorePoint>()),
    ("vm_restore_point_mount.xml", c::<VmRestorePointMount>()),
    (
        "vm_restore_point_reference.xml",
        c::<VmRestorePointReference>(),
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
        match (f.rt)(&bytes).and_then(|back| match diff(&original, &back, "") {
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
    let back = rt::<BackupServer>(xml).unwrap();
    assert_eq!(diff(&original, &back, ""), None);
    let mut lossy = back.clone();
    lossy.children.remove(0);
    assert!(diff(&original, &lossy, "").is_some());
    // Content the types do not declare is kept (and written back), but the conformance
    // check refuses it: the types must know every documented element.
    let unknown = br#"<BackupServer Name="a"><Port>1</Port><Bogus>x</Bogus></BackupServer>"#;
    let err = rt::<BackupServer>(unknown).unwrap_err();
    assert!(err.contains("BackupServer/Bogus"), "{err}");
    let kept: BackupServer = decode_xml(unknown).unwrap();
    let again = parse_xml(encode_xml(&kept, "").as_bytes()).unwrap();
    assert_eq!(diff(&parse_xml(unknown).unwrap(), &again, ""), None);
}

// ---------------------------------------------------------------------------------------------
// Unknown content is kept: every documented sample with random undeclared elements and
// attributes inserted (as a newer EM would send) decodes and encodes back to an equivalent
// document — in XML, and through JSON.

/// A small deterministic generator (the property's seed is the proptest input).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Elements that can keep content: those with children or attributes (a leaf element is a
/// scalar's text, which has nowhere to keep an element).
fn holders(n: &Node, path: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
    if !n.children.is_empty() || !n.attrs.is_empty() {
        out.push(path.clone());
    }
    for (i, c) in n.children.iter().enumerate() {
        path.push(i);
        holders(c, path, out);
        path.pop();
    }
}

fn at<'a>(n: &'a mut Node, path: &[usize]) -> &'a mut Node {
    match path.split_first() {
        None => n,
        Some((i, rest)) => at(&mut n.children[*i], rest),
    }
}

/// `doc` with 1–4 undeclared elements (with an attribute, a child and text) and attributes
/// inserted at random holders and positions.
fn with_unknowns(doc: &Node, rng: &mut Rng) -> Node {
    let mut doc = doc.clone();
    let n = 1 + rng.below(4);
    for k in 0..n {
        // Found afresh each time: an insertion moves the siblings after it.
        let mut spots = Vec::new();
        holders(&doc, &mut Vec::new(), &mut spots);
        let spot = spots[rng.below(spots.len())].clone();
        let target = at(&mut doc, &spot);
        if rng.below(3) == 0 {
            target
                .attrs
                .push((format!("ZzAttr{k}"), format!("v{k} & <{}>", rng.below(100))));
        } else {
            let mut e = Node::new(format!("ZzElem{k}"));
            e.attrs.push(("Level".into(), rng.below(9).to_string()));
            let mut child = Node::new("ZzInner");
            child.text = Some(format!("t{k}"));
            e.children.push(child);
            let pos = rng.below(target.children.len() + 1);
            target.children.insert(pos, e);
        }
    }
    doc
}

/// Equivalence of JSON documents: member names ASCII case-insensitively, member order
/// ignored, array order kept.
fn json_equiv(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value as J;
    match (a, b) {
        (J::Object(x), J::Object(y)) => {
            x.len() == y.len()
                && x.iter().all(|(k, v)| {
                    y.iter()
                        .any(|(k2, v2)| k.eq_ignore_ascii_case(k2) && json_equiv(v, v2))
                })
        }
        (J::Array(x), J::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| json_equiv(p, q))
        }
        _ => a == b,
    }
}

/// Objects of `v` that are representations (not a wrapper holding one array), by path.
fn json_holders(v: &serde_json::Value, path: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    use serde_json::Value as J;
    match v {
        J::Object(m) => {
            let wrapper = m.len() == 1 && m.values().all(|x| x.is_array());
            if !wrapper {
                out.push(path.clone());
            }
            for (k, c) in m {
                path.push(k.clone());
                json_holders(c, path, out);
                path.pop();
            }
        }
        J::Array(items) => {
            for (i, c) in items.iter().enumerate() {
                path.push(format!("#{i}"));
                json_holders(c, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn json_at<'a>(v: &'a mut serde_json::Value, path: &[String]) -> &'a mut serde_json::Value {
    match path.split_first() {
        None => v,
        Some((k, rest)) => {
            let next = match k.strip_prefix('#') {
                Some(i) => &mut v[i.parse::<usize>().unwrap_or(0)],
                None => &mut v[k.as_str()],
            };
            json_at(next, rest)
        }
    }
}

fn samples_and_docs() -> Vec<(String, Vec<u8>, RoundTrip)> {
    let mut out = Vec::new();
    for (dir, table) in [("samples", SAMPLES), ("docs", DOCS)] {
        for (file, f) in table {
            let bytes = std::fs::read(fixtures().join(dir).join(file)).unwrap();
            out.push((
                file.to_string(),
                elide(&String::from_utf8_lossy(&bytes)).into_bytes(),
                *f,
            ));
        }
    }
    out
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 24, failure_persistence: None, ..Default::default() })]

    #[test]
    fn undeclared_xml_content_survives_decode_and_encode(seed in 1u64..u64::MAX) {
        let mut rng = Rng(seed);
        for (file, bytes, f) in samples_and_docs() {
            let original = parse_xml(&bytes).unwrap();
            let newer = with_unknowns(&original, &mut rng);
            let doc = emrest::runtime::write_xml(&newer, NS);
            let again = (f.xml)(doc.as_bytes()).map_err(|e| format!("{file}: {e}\n{doc}")).unwrap();
            let back = parse_xml(again.as_bytes()).unwrap();
            proptest::prop_assert!(diff(&newer, &back, "").is_none(),
                "{file}: {:?}\nsent {doc}\ngot  {again}", diff(&newer, &back, ""));
        }
    }

    #[test]
    fn undeclared_json_members_survive_decode_and_encode(seed in 1u64..u64::MAX) {
        let mut rng = Rng(seed);
        for (file, bytes, f) in samples_and_docs() {
            let json = (f.xml_to_json)(&bytes).unwrap();
            let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
            for k in 0..1 + rng.below(3) {
                let mut spots = Vec::new();
                json_holders(&v, &mut Vec::new(), &mut spots);
                if spots.is_empty() {
                    break;
                }
                let spot = spots[rng.below(spots.len())].clone();
                if let serde_json::Value::Object(m) = json_at(&mut v, &spot) {
                    let value = match rng.below(3) {
                        0 => serde_json::json!({"Inner": {"Deep": [1, 2]}, "Flag": true}),
                        1 => serde_json::json!([{"A": "x"}, {"B": null}]),
                        _ => serde_json::json!(format!("text {k}")),
                    };
                    m.insert(format!("ZzMember{k}"), value);
                }
            }
            let sent = v.to_string();
            let again = (f.json)(sent.as_bytes()).map_err(|e| format!("{file}: {e}\n{sent}")).unwrap();
            let back: serde_json::Value = serde_json::from_str(&again).unwrap();
            // `null` members are absence, on both sides.
            proptest::prop_assert!(json_equiv(&strip_nulls(&v), &strip_nulls(&back)),
                "{file}:\nsent {sent}\ngot  {again}");
        }
    }
}

fn strip_nulls(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match v {
        J::Object(m) => J::Object(
            m.iter()
                .filter(|(_, x)| !x.is_null())
                .map(|(k, x)| (k.clone(), strip_nulls(x)))
                .collect(),
        ),
        J::Array(a) => J::Array(a.iter().filter(|x| !x.is_null()).map(strip_nulls).collect()),
        _ => v.clone(),
    }
}

/// The large optional blocks of a representation are boxed (`JobInfo` and
/// `JobScheduleOptions` of a `Job`, `GuestProcessingOptions` of an `ObjectInJob`): a list of
/// jobs does not carry kilobytes of empty room per job (a `Job` was 2,968 bytes inline). That
/// the boxed blocks decode and encode as themselves is the round trip above, on the samples.
#[test]
fn large_optional_blocks_are_boxed() {
    let job = Job::default();
    let _: (&Option<Box<JobInfo>>, &Option<Box<JobScheduleOptions>>) =
        (&job.job_info, &job.job_schedule_options);
    let _: &Option<Box<GuestProcessingOptions>> = &ObjectInJob::default().guest_processing_options;
    let (job, object) = (
        std::mem::size_of::<Job>(),
        std::mem::size_of::<ObjectInJob>(),
    );
    assert!(
        job <= 512 && object <= 512,
        "Job {job} bytes, ObjectInJob {object}"
    );
}
