//! `/tasks`: the tasks of the caller's logon session.

use axum::http::Method;

use super::{get_only, no_such, not_found, task_node};
use crate::build::el;
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;

/// Parses `task-N`.
pub fn task_number(id: &str) -> Option<u64> {
    id.strip_prefix("task-")?.parse().ok()
}

/// Routes `/tasks...`.
pub fn route(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    match rest {
        [] => {
            get_only(req)?;
            let mine: Vec<u64> = sim
                .tasks
                .values()
                .filter(|t| t.logon == req.logon_id())
                .map(|t| t.n)
                .collect();
            let mut n = el("Tasks");
            for k in mine {
                if let Some(mut t) = task_node(sim, req, k) {
                    t.json_group = Some("Tasks");
                    n.children.push(t);
                }
            }
            Ok(Reply::ok(n))
        }
        [id] => {
            let n = task_number(id)
                .filter(|n| sim.tasks.get(n).is_some_and(|t| t.logon == req.logon_id()))
                .ok_or_else(|| no_such("Task", id))?;
            match req.method {
                Method::GET if req.action().is_none() => {
                    let node = task_node(sim, req, n).ok_or_else(not_found)?;
                    // Each poll moves the task one step towards Finished.
                    if let Some(t) = sim.tasks.get_mut(&n) {
                        t.polls_left = t.polls_left.saturating_sub(1);
                    }
                    Ok(Reply::ok(node))
                }
                Method::DELETE => {
                    sim.tasks.remove(&n);
                    Ok(Reply::no_content())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        _ => Err(not_found()),
    }
}
