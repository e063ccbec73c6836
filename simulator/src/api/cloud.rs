//! `/cloud/cloudFailoverPlans`: cloud failover plans (start, test, undo). Other Cloud Connect
//! resources are not simulated.

use axum::http::Method;
use emrest_runtime::Node;

use super::{get_only, no_such, not_found, task_reply, tl, unknown_action};
use crate::build::{
    el, entity_list, l, links, links_node, plain, ref_list, shell, NodeExt, Vars, L,
};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::{guid, Kind};

const REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("CloudFailoverPlan"),
        "{self}?format=Entity",
        Some("self"),
    ),
];
/// Sample `cloudfailoverplans_id.1.xml` (editing is not simulated, so no `Edit`/`Delete`).
const LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("CloudFailoverPlanReference"),
        "{self}",
        Some("self"),
    ),
    l("Start", None, "{self}?action=start", None),
    l("Test", None, "{self}?action=test", None),
    l("Undo", None, "{self}?action=undo", None),
];

fn path(sim: &Sim, p: u32) -> String {
    format!(
        "/cloud/cloudFailoverPlans/{}",
        sim.data.id(Kind::CloudPlan, p)
    )
}

fn vars(sim: &Sim, req: &Req, p: u32) -> Vars {
    let plan = &sim.data.plans[p as usize];
    Vars::new()
        .set("self", req.url(&path(sim, p)), Some(&plan.name))
        .set(
            "server",
            req.url(&super::servers::path(sim, plan.server)),
            Some(&sim.data.servers[plan.server as usize].name),
        )
}

/// Reference of cloud failover plan `p`.
pub fn reference(sim: &Sim, req: &Req, p: u32) -> Node {
    shell(
        "EntityRef",
        "CloudFailoverPlanReference",
        &req.url(&path(sim, p)),
        &sim.data.plans[p as usize].name,
        &sim.data.uid("CloudFailoverPlan", Kind::CloudPlan, p),
        links(REF_LINKS, &vars(sim, req, p)),
    )
}

/// Entity of cloud failover plan `p`.
pub fn entity(sim: &Sim, req: &Req, p: u32) -> Node {
    let plan = &sim.data.plans[p as usize];
    let mut includes = el("Includes");
    for (k, vm) in plan.vms.iter().enumerate() {
        let id = guid(sim.data.seed, Kind::PlanVm, (p as u64) << 16 | k as u64);
        let mut n = plain(
            "CloudFailoverPlanVm",
            "CloudFailoveredVm",
            &req.url(&format!("{}/includes/{id}", path(sim, p))),
            links_node(vec![]),
        )
        .t("FailoverPlanVMId", id)
        .t("Name", vm.clone());
        // A repeated element: an array under its own name, as the generated codec writes it.
        n.json_group = Some("CloudFailoverPlanVm");
        includes.children.push(n);
    }
    shell(
        "CloudFailoverPlan",
        "CloudFailoverPlan",
        &req.url(&format!("{}?format=Entity", path(sim, p))),
        &plan.name,
        &sim.data.uid("CloudFailoverPlan", Kind::CloudPlan, p),
        links(LINKS, &vars(sim, req, p)),
    )
    .t(
        "TenantUid",
        format!(
            "urn:veeam:CloudTenant:{}",
            guid(sim.data.seed, Kind::CloudPlan, 1000 + p as u64)
        ),
    )
    .t("TenantName", plan.tenant.clone())
    .t("Description", plan.description.clone())
    .ch(el("CloudFailoverPlanOptions")
        .b("PostFailoverPlanCommandEnabled", false)
        .t("PostFailoverPlanCommand", "")
        .b("PreFailoverPlanCommandEnabled", false)
        .t("PreFailoverPlanCommand", ""))
    .ch(el("CloudFailoverPlanInfo").ch(includes))
}

/// Routes `/cloud...`.
pub fn route(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    match rest {
        ["cloudfailoverplans"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..sim.data.plans.len() as u32).collect();
            Ok(Reply::ok(if req.entity() {
                entity_list(
                    "CloudFailoverPlans",
                    ids.iter().map(|p| entity(sim, req, *p)).collect(),
                )
            } else {
                ref_list(ids.iter().map(|p| reference(sim, req, *p)).collect())
            }))
        }
        ["cloudfailoverplans", id] => {
            let p = sim
                .data
                .find(Kind::CloudPlan, id, sim.data.plans.len())
                .ok_or_else(|| no_such("Cloud failover plan", id))?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(if req.entity() {
                        entity(sim, req, p)
                    } else {
                        reference(sim, req, p)
                    }))
                }
                Method::POST => {
                    let (op, action): (&'static str, &'static str) = match req.action().as_deref() {
                        Some("start") => ("StartCloudFailoverPlan", "start"),
                        Some("test") => ("TestCloudFailoverPlan", "test"),
                        Some("undo") => ("UndoCloudFailoverPlan", "undo"),
                        a => return Err(unknown_action(a)),
                    };
                    req.require_admin()?;
                    sim.count(
                        "cloudFailoverPlans",
                        sim.data.id(Kind::CloudPlan, p),
                        action,
                    );
                    let name = sim.data.plans[p as usize].name.clone();
                    // Each run opens a failover session, which the finished task names.
                    let session = super::generic::add_item(
                        sim,
                        "/cloud/failoverSessions/{ID}",
                        &[],
                        format!("{name}@{action}"),
                    );
                    let links = session
                        .map(|(path, n)| {
                            vec![tl(
                                "Related",
                                format!("{path}?format=Entity"),
                                Some("CloudFailoverSession"),
                                Some(n),
                            )]
                        })
                        .unwrap_or_default();
                    task_reply(
                        sim,
                        req,
                        op,
                        true,
                        format!("Cloud failover plan \"{name}\": {action} started."),
                        links,
                    )
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        _ => Err(not_found()),
    }
}
