//! Resource families. Each module builds the nodes of its representations (links from its
//! own link tables) and implements what its actions do to the state; [`dispatch`] routes a
//! request to the family by its first path segment.

use axum::http::Method;
use emrest_runtime::Node;

use crate::build::{el, link, links_node, plain, NodeExt};
use crate::http::Req;
use crate::render::{parse_body, ApiError, ApiResult, Reply};
use crate::sim::{Sim, TaskLink};
use crate::spec::Route;

pub mod catalog;
pub mod cloud;
pub mod conform;
pub mod entry;
pub mod generic;
pub mod jobs;
pub mod lookup;
pub mod mounts;
pub mod newer;
pub mod query;
pub mod replicas;
pub mod restore;
pub mod security;
pub mod servers;
pub mod sessions;
pub mod spec_query;
pub mod tasks;

/// Routes a request (already authenticated unless public): the hand-written families
/// first, then, for what they do not serve, the generic layer answering from the spec;
/// document answers as shaped nodes.
pub fn dispatch(sim: &mut Sim, req: &Req) -> ApiResult {
    let answer = match hand_dispatch(sim, req) {
        Err(e) if generic::declined(&e) => generic::answer(sim, req).unwrap_or(Err(e)),
        other => conform::conform(sim, req, other),
    };
    if sim.behaviour.newer_content {
        newer::add(answer)
    } else {
        answer
    }
}

/// Answers a client's request: its body read as the operation's declared type (EM's 400
/// when it does not decode), then [`dispatch`], then the document answer as the generated
/// type of what was called. (Internal requests use [`dispatch`] and get nodes.)
pub fn serve(sim: &mut Sim, req: &Req) -> ApiResult {
    let called = conform::called(req);
    if let Some(body) = called.and_then(|r| r.op.body.as_deref()) {
        // An empty body is left to the operation (some take an optional one).
        if !req.body.iter().all(u8::is_ascii_whitespace) {
            crate::typed::read_body(req.fmt, &req.body, body)?;
        }
    }
    let answer = dispatch(sim, req);
    typed_answer(req, called, answer, !sim.behaviour.newer_content)
}

/// A document answer as the generated type of what was called, so that its own codec
/// writes it. A document that type cannot read, or (when `exact`, i.e. unless em-sim plays a
/// newer EM on purpose) holds content the type does not declare, is em-sim's bug: a 500
/// naming why, so that a hand-built answer cannot drift from the spec unseen.
fn typed_answer(
    req: &Req,
    called: Option<&'static Route>,
    answer: ApiResult,
    exact: bool,
) -> ApiResult {
    let Ok(Reply::Doc(status, node, headers)) = answer else {
        return answer;
    };
    // What was called returns; else (a GET no operation's link leads to, the logon
    // answer) the one type of the spec with this root element.
    let name = conform::answer_type_of(req, called)
        .filter(|t| t.root == node.name)
        .map(|t| t.name.as_str())
        .or_else(|| crate::typed::only_type_with_root(&node.name));
    let Some(name) = name else {
        crate::typed::count_untyped(&node.name);
        return Ok(Reply::Doc(status, node, headers));
    };
    let typed = if exact {
        crate::typed::as_exact_type(&node, name)
    } else {
        crate::typed::as_type(&node, name)
    };
    match typed {
        Ok(repr) => Ok(Reply::Typed(status, repr, headers)),
        Err(why) => Err(ApiError::internal(format!(
            "em-sim answered {}: {why}",
            node.name
        ))),
    }
}

/// Routes a request to the hand-written family by its first path segment.
pub fn hand_dispatch(sim: &mut Sim, req: &Req) -> ApiResult {
    let segs: Vec<&str> = req.lsegs.iter().map(String::as_str).collect();
    match segs.as_slice() {
        [] if sim.behaviour.no_entry_point => {
            Err(ApiError::not_found("The entry point is not served here."))
        }
        [] => entry::entry(req),
        ["sessionmngr"] => entry::logon(sim, req),
        ["logonsessions", rest @ ..] => entry::logon_sessions(sim, req, rest),
        ["jobs", rest @ ..] => jobs::route(sim, req, rest),
        ["backupservers", rest @ ..] => servers::route(sim, req, rest),
        ["backupsessions" | "replicasessions" | "backuptasksessions" | "replicatasksessions", ..] => {
            sessions::route(sim, req, &segs)
        }
        ["repositories" | "backups" | "restorepoints" | "vmrestorepoints" | "restoresessions", ..] => {
            restore::route(sim, req, &segs)
        }
        ["vmreplicapoints", _, "mounts", _, ..]
        | ["agents", "agentrestorepoints", _, "mounts", _, ..] => mounts::route(sim, req, &segs),
        ["replicas" | "vmreplicapoints", ..] => replicas::route(sim, req, &segs),
        ["cloud", rest @ ..] => cloud::route(sim, req, rest),
        ["catalog", rest @ ..] => catalog::route(sim, req, rest),
        ["security", rest @ ..] => security::route(sim, req, rest),
        ["tasks", rest @ ..] => tasks::route(sim, req, rest),
        ["lookup"] => lookup::lookup(sim, req),
        ["querysvc"] => query::query_svc(req),
        ["query"] => query::query(sim, req),
        _ => Err(not_found()),
    }
}

/// The generic 404.
pub fn not_found() -> ApiError {
    ApiError::not_found("Resource not found.")
}

/// 404 for an unknown object id.
pub fn no_such(what: &str, id: &str) -> ApiError {
    ApiError::not_found(format!("{what} with id [{id}] was not found."))
}

/// 405 unless the method is `m`; also 405 for a GET carrying an `action` (actions are POSTs).
pub fn only(req: &Req, m: Method) -> Result<(), ApiError> {
    if req.method != m {
        return Err(ApiError::method_not_allowed());
    }
    if m == Method::GET && req.action().is_some() {
        return Err(ApiError::method_not_allowed());
    }
    Ok(())
}

/// For a read-only resource: GET only; other verbs are 405.
pub fn get_only(req: &Req) -> Result<(), ApiError> {
    only(req, Method::GET)
}

/// 400 for an action this resource does not have.
pub fn unknown_action(action: Option<&str>) -> ApiError {
    match action {
        Some(a) => ApiError::bad_request(format!("Unknown action [{a}].")),
        None => ApiError::bad_request("The [action] parameter is required."),
    }
}

/// The request body as a node (400 when missing or malformed).
pub fn body(req: &Req) -> Result<Node, ApiError> {
    parse_body(req.fmt, &req.body)
}

/// The task representation.
pub fn task_node(sim: &Sim, req: &Req, n: u64) -> Option<Node> {
    let t = sim.tasks.get(&n)?;
    let href = req.url(&format!("/tasks/task-{n}"));
    let mut ls = vec![link("Delete", &href, Some("Task"), None)];
    if t.finished() {
        for l in &t.links {
            ls.push(link(l.rel, &req.url(&l.path), l.ty, l.name.as_deref()));
        }
    }
    let mut node = plain("Task", "Task", &href, links_node(ls))
        .t("TaskId", format!("task-{n}"))
        .t("State", if t.finished() { "Finished" } else { "Running" })
        .t("Operation", t.operation);
    if t.finished() {
        let mut r = el("Result").a("Success", if t.success { "true" } else { "false" });
        if !t.message.is_empty() {
            r = r.t("Message", t.message.clone());
        }
        node = node.ch(r);
    }
    Some(node)
}

/// Creates a task and answers 202 with it.
pub fn task_reply(
    sim: &mut Sim,
    req: &Req,
    operation: &'static str,
    success: bool,
    message: impl Into<String>,
    links: Vec<TaskLink>,
) -> ApiResult {
    let n = sim.new_task(req.logon_id(), operation, success, message, links);
    let node = task_node(sim, req, n).ok_or_else(not_found)?;
    Ok(Reply::accepted(node))
}

/// A task link.
pub fn tl(
    rel: &'static str,
    path: String,
    ty: Option<&'static str>,
    name: Option<String>,
) -> TaskLink {
    TaskLink {
        rel,
        path,
        ty,
        name,
    }
}
