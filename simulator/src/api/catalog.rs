//! `/catalog/vms`: the guest-file catalog (browse, list, restore). A catalog restore point has
//! the id of the VM restore point it indexes.

use axum::http::Method;
use emrest_runtime::Node;

use super::{get_only, no_such, not_found, task_reply, tl, unknown_action};
use crate::build::{entity_list, l, links, ref_list, shell, NodeExt, Vars, L};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::{iso, pct_encode_path, Kind};

const VM_REF_LINKS: &[L] = &[
    l("Alternate", None, "{self}?format=Entity", None),
    l(
        "Down",
        Some("CatalogVmRestorePointReferenceList"),
        "{self}/vmRestorePoints",
        None,
    ),
];
/// Sample `catalog_vms_vmname.1.xml`.
const VM_LINKS: &[L] = &[
    l(
        "Alternate",
        Some("CatalogVmReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Down",
        Some("CatalogVmRestorePointReferenceList"),
        "{self}/vmRestorePoints",
        None,
    ),
];
const RP_REF_LINKS: &[L] = &[
    l("Up", None, "{vm}", None),
    l("Alternate", None, "{self}?format=Entity", None),
];
/// Sample `scenario_1_click_restore.4.xml`.
const RP_LINKS: &[L] = &[
    l(
        "Alternate",
        Some("CatalogVmRestorePointReference"),
        "{self}",
        Some("vm"),
    ),
    l("Up", Some("CatalogVm"), "{vm}?format=Entity", Some("vm")),
    l("Browse", None, "{self}?action=browse", None),
    l(
        "Related",
        Some("VmRestorePoint"),
        "{vrp}?format=Entity",
        Some("vm"),
    ),
];

fn vm_path(name: &str) -> String {
    format!("/catalog/vms/{}", pct_encode_path(name))
}

fn vm_ref(req: &Req, name: &str) -> Node {
    let v = Vars::new().set("self", req.url(&vm_path(name)), Some(name));
    shell(
        "EntityRef",
        "CatalogVmReference",
        &req.url(&vm_path(name)),
        name,
        &format!("urn:veeam:CatalogVm:{name}"),
        links(VM_REF_LINKS, &v),
    )
}

fn vm_entity(req: &Req, name: &str) -> Node {
    let v = Vars::new().set("self", req.url(&vm_path(name)), Some(name));
    shell(
        "CatalogVm",
        "CatalogVm",
        &req.url(&format!("{}?format=Entity", vm_path(name))),
        name,
        &format!("urn:veeam:CatalogVm:{name}"),
        links(VM_LINKS, &v),
    )
    .a("VmDisplayName", name)
}

fn rp_path(sim: &Sim, name: &str, v: u32) -> String {
    format!(
        "{}/vmRestorePoints/{}",
        vm_path(name),
        sim.data.id(Kind::VmRestorePoint, v)
    )
}

fn rp_vars(sim: &Sim, req: &Req, name: &str, v: u32) -> Vars {
    Vars::new()
        .set("self", req.url(&rp_path(sim, name, v)), None)
        .set("vm", req.url(&vm_path(name)), Some(name))
        .set("vrp", req.url(&super::restore::vrp_path(sim, v)), None)
}

fn rp_time(sim: &Sim, v: u32) -> i64 {
    sim.data.restore_points[sim.data.vrp_point(v) as usize].time
}

fn rp_ref(sim: &Sim, req: &Req, name: &str, v: u32) -> Node {
    shell(
        "EntityRef",
        "CatalogVmRestorePointReference",
        &req.url(&rp_path(sim, name, v)),
        &iso(rp_time(sim, v)),
        &sim.data
            .uid("CatalogVmRestorePoint", Kind::VmRestorePoint, v),
        links(RP_REF_LINKS, &rp_vars(sim, req, name, v)),
    )
}

fn rp_entity(sim: &Sim, req: &Req, name: &str, v: u32) -> Node {
    shell(
        "CatalogVmRestorePoint",
        "CatalogVmRestorePoint",
        &req.url(&format!("{}?format=Entity", rp_path(sim, name, v))),
        name,
        &sim.data
            .uid("CatalogVmRestorePoint", Kind::VmRestorePoint, v),
        links(RP_LINKS, &rp_vars(sim, req, name, v)),
    )
    .t("BackupDateUTC", iso(rp_time(sim, v)))
}

/// Catalog VM name (canonical case) for a path segment.
fn find_vm(sim: &Sim, name: &str) -> Result<(u32, String), ApiError> {
    sim.data
        .catalog_vms()
        .into_iter()
        .map(|v| (v, sim.data.vms[v as usize].name.clone()))
        .find(|(_, n)| n.eq_ignore_ascii_case(name))
        .ok_or_else(|| no_such("Catalog VM", name))
}

fn points_of(sim: &Sim, vm: u32) -> Vec<u32> {
    (0..sim.data.vrp_vm.len() as u32)
        .filter(|v| sim.data.vrp_vm[*v as usize] == vm)
        .collect()
}

/// Routes `/catalog...`.
pub fn route(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    match rest {
        ["vms"] => {
            get_only(req)?;
            let names: Vec<String> = sim
                .data
                .catalog_vms()
                .into_iter()
                .map(|v| sim.data.vms[v as usize].name.clone())
                .collect();
            Ok(Reply::ok(if req.entity() {
                entity_list(
                    "CatalogVms",
                    names.iter().map(|n| vm_entity(req, n)).collect(),
                )
            } else {
                ref_list(names.iter().map(|n| vm_ref(req, n)).collect())
            }))
        }
        ["vms", name] => {
            let (_, name) = find_vm(sim, name)?;
            get_only(req)?;
            Ok(Reply::ok(if req.entity() {
                vm_entity(req, &name)
            } else {
                vm_ref(req, &name)
            }))
        }
        ["vms", name, "vmrestorepoints"] => {
            let (vm, name) = find_vm(sim, name)?;
            get_only(req)?;
            let ids = points_of(sim, vm);
            Ok(Reply::ok(if req.entity() {
                entity_list(
                    "CatalogVmRestorePoints",
                    ids.iter().map(|v| rp_entity(sim, req, &name, *v)).collect(),
                )
            } else {
                ref_list(ids.iter().map(|v| rp_ref(sim, req, &name, *v)).collect())
            }))
        }
        ["vms", name, "vmrestorepoints", id, tail @ ..] => {
            let (vm, name) = find_vm(sim, name)?;
            let v = sim
                .data
                .find(Kind::VmRestorePoint, id, sim.data.vrp_vm.len())
                .filter(|v| sim.data.vrp_vm[*v as usize] == vm)
                .ok_or_else(|| no_such("Catalog VM restore point", id))?;
            match tail {
                [] => match req.method {
                    Method::GET => {
                        get_only(req)?;
                        Ok(Reply::ok(if req.entity() {
                            rp_entity(sim, req, &name, v)
                        } else {
                            rp_ref(sim, req, &name, v)
                        }))
                    }
                    Method::POST => match req.action().as_deref() {
                        Some("browse") => {
                            sim.count("catalog", sim.data.id(Kind::VmRestorePoint, v), "browse");
                            let link = tl(
                                "Down",
                                format!("{}/guestfs/", rp_path(sim, &name, v)),
                                Some("FileSystemItemsList"),
                                None,
                            );
                            task_reply(sim, req, "BrowseVM", true, "", vec![link])
                        }
                        a => Err(unknown_action(a)),
                    },
                    _ => Err(ApiError::method_not_allowed()),
                },
                ["guestfs", ..] => {
                    let prefix = format!("{}/guestfs", rp_path(sim, &name, v));
                    let path = req.segs.get(6..).map(|p| p.join("/")).unwrap_or_default();
                    match req.method {
                        Method::GET => {
                            let t = rp_time(sim, v);
                            Ok(Reply::ok(super::restore::fs_listing(
                                req, &prefix, &path, t,
                            )?))
                        }
                        Method::POST => match req.action().as_deref() {
                            Some("restore") => {
                                let dl = format!("{prefix}/{}", pct_encode_path(&path));
                                super::restore::file_restore(sim, req, v, dl, &path, "RestoreFile")
                            }
                            a => Err(unknown_action(a)),
                        },
                        _ => Err(ApiError::method_not_allowed()),
                    }
                }
                _ => Err(not_found()),
            }
        }
        _ => Err(not_found()),
    }
}
