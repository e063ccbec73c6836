//! `/security` and `/security/accounts` (toggle of "restore all VMs"). Roles and scopes are
//! not simulated.

use axum::http::Method;
use emrest_runtime::Node;

use super::{get_only, no_such, not_found};
use crate::build::{
    el, entity_list, l, link, links, links_node, plain, ref_list, shell, NodeExt, Vars, L,
};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::Kind;

const REF_LINKS: &[L] = &[l(
    "Alternate",
    Some("EnterpriseAccount"),
    "{self}?format=Entity",
    Some("self"),
)];
/// Sample `security_accounts_id.1.xml` (roles and scopes not simulated).
const LINKS: &[L] = &[
    l(
        "Alternate",
        Some("EnterpriseAccountReference"),
        "{self}",
        None,
    ),
    l("Delete", None, "{self}", None),
    l("ToggleRestoreScopesEnabled", None, "{self}", None),
];

fn path(sim: &Sim, a: u32) -> String {
    format!("/security/accounts/{}", sim.data.id(Kind::Account, a))
}

fn vars(sim: &Sim, req: &Req, a: u32) -> Vars {
    Vars::new().set(
        "self",
        req.url(&path(sim, a)),
        Some(&sim.data.accounts[a as usize].name),
    )
}

fn reference(sim: &Sim, req: &Req, a: u32) -> Node {
    shell(
        "EntityRef",
        "EnterpriseAccountReference",
        &req.url(&path(sim, a)),
        &sim.data.accounts[a as usize].name,
        &sim.data.uid("EnterpriseAccount", Kind::Account, a),
        links(REF_LINKS, &vars(sim, req, a)),
    )
}

fn entity(sim: &Sim, req: &Req, a: u32) -> Node {
    let acc = &sim.data.accounts[a as usize];
    shell(
        "EnterpriseAccount",
        "EnterpriseAccount",
        &req.url(&format!("{}?format=Entity", path(sim, a))),
        &acc.name,
        &sim.data.uid("EnterpriseAccount", Kind::Account, a),
        links(LINKS, &vars(sim, req, a)),
    )
    .t("AccountType", acc.account_type)
    .b("AllowRestoreAllVms", acc.allow_restore_all_vms)
}

fn live(sim: &Sim) -> Vec<u32> {
    (0..sim.data.accounts.len() as u32)
        .filter(|a| !sim.data.accounts[*a as usize].deleted)
        .collect()
}

/// Routes `/security...` (Portal Administrators only).
pub fn route(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    req.require_admin()?;
    match rest {
        [] => {
            get_only(req)?;
            let href = req.url("/security");
            let ls = links_node(vec![
                link(
                    "Down",
                    &req.url("/security/accounts"),
                    Some("EnterpriseAccountReferenceList"),
                    None,
                ),
                link(
                    "Down",
                    &req.url("/security/accounts?format=Entity"),
                    Some("EnterpriseAccountList"),
                    None,
                ),
            ]);
            Ok(Reply::ok(plain(
                "EnterpriseSecuritySettings",
                "EnterpriseSecuritySettings",
                &href,
                ls,
            )))
        }
        ["accounts"] => {
            get_only(req)?;
            let ids = live(sim);
            Ok(Reply::ok(if req.entity() {
                entity_list(
                    "EnterpriseAccounts",
                    ids.iter().map(|a| entity(sim, req, *a)).collect(),
                )
            } else {
                ref_list(ids.iter().map(|a| reference(sim, req, *a)).collect())
            }))
        }
        ["accounts", id] => {
            let a = sim
                .data
                .find(Kind::Account, id, sim.data.accounts.len())
                .filter(|a| !sim.data.accounts[*a as usize].deleted)
                .ok_or_else(|| no_such("Account", id))?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(if req.entity() {
                        entity(sim, req, a)
                    } else {
                        reference(sim, req, a)
                    }))
                }
                // ToggleRestoreScopesEnabled: POST on the account itself, no action.
                Method::POST if req.action().is_none() => {
                    let acc = &mut sim.data.accounts[a as usize];
                    acc.allow_restore_all_vms = !acc.allow_restore_all_vms;
                    sim.count(
                        "accounts",
                        sim.data.id(Kind::Account, a),
                        "toggleRestoreScopesEnabled",
                    );
                    Ok(Reply::no_content())
                }
                Method::POST => Err(super::unknown_action(req.action().as_deref())),
                Method::DELETE => {
                    sim.data.accounts[a as usize].deleted = true;
                    sim.count("accounts", sim.data.id(Kind::Account, a), "delete");
                    Ok(Reply::no_content())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        _ => {
            let _ = el;
            Err(not_found())
        }
    }
}
