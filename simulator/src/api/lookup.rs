//! The lookup service's query, `GET /lookup?host=…&name=…&type=…` (or `?hierarchyRef=…`):
//! the data set's VMs that match, as `HierarchyItems` (REFERENCE.md §7.4). em-sim's
//! inventory holds VMs only, so another `type` finds nothing; without `host` or
//! `hierarchyRef` (the bare link the lookup service offers) every VM matches.

use super::get_only;
use crate::build::{el, NodeExt};
use crate::http::Req;
use crate::render::{ApiResult, Reply};
use crate::sim::Sim;

/// `GET /lookup`.
pub fn lookup(sim: &Sim, req: &Req) -> ApiResult {
    get_only(req)?;
    let host = req.param("host").map(|h| h.rsplit(':').next().unwrap_or(h));
    let by_ref = req.param("hierarchyRef");
    let name = req.param("name");
    let vms_only = req
        .param("type")
        .is_none_or(|t| t.eq_ignore_ascii_case("Vm"));
    let mut list = el("HierarchyItems");
    for vm in sim.data.vms.iter().filter(|_| vms_only) {
        let root = vm
            .hier_ref
            .strip_prefix("urn:VMware:Vm:")
            .and_then(|r| r.split('.').next())
            .unwrap_or("");
        let matches = host.is_none_or(|h| h.eq_ignore_ascii_case(root))
            && by_ref.is_none_or(|r| r.eq_ignore_ascii_case(&vm.hier_ref))
            && name.is_none_or(|n| n == "*" || n.eq_ignore_ascii_case(&vm.name));
        if matches {
            let mut item = el("HierarchyItem")
                .a("Type", "HierarchyItem")
                .t("ObjectRef", vm.hier_ref.clone())
                .t("ObjectType", "Vm")
                .t("ObjectName", vm.name.clone());
            item.json_group = Some("HierarchyItems");
            list = list.ch(item);
        }
    }
    Ok(Reply::ok(list))
}
