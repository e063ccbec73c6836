//! Tasks: `vem tasks`, `vem task ID [--wait]`, and how every action reports the task it
//! started (waiting with a spinner under `--wait`).

use emrest::runtime::{to_node, wait_task, Repr};
use emrest::SessionOps;

use crate::args::Global;
use crate::error::{CliError, Result};
use crate::generic::{show, target_href};
use crate::output::{col, node_json, spinner, Cell, Out, Table};
use crate::spec::{self, TaskRepr};

/// Polls `task` until it has finished, with a spinner; `Err` with exit 3 when it failed.
pub async fn wait_with_spinner(
    em: &emrest::Session,
    task: &TaskRepr,
    what: &str,
) -> Result<TaskRepr> {
    let pb = spinner(format!("waiting for {what} ({})", task.task_id));
    let r = wait_task(em, task).await;
    pb.finish_and_clear();
    Ok(r?)
}

/// Whether a finished task failed, with its message.
pub fn failure(task: &TaskRepr) -> Option<String> {
    let r = task.result.as_ref()?;
    if r.success {
        None
    } else {
        Some(r.message.as_deref().unwrap_or("no message").to_string())
    }
}

/// One line about a task.
pub fn describe(task: &TaskRepr) -> String {
    let mut s = format!(
        "task {} ({}) {}",
        task.task_id,
        task.operation.as_deref().unwrap_or("?"),
        task.state
    );
    if let Some(r) = &task.result {
        s.push_str(if r.success { ": success" } else { ": FAILED" });
        if let Some(m) = r.message.as_deref().filter(|m| !m.is_empty()) {
            s.push_str(&format!(" — {m}"));
        }
    }
    s
}

/// Waits for a task under `--wait`; exit 3 when it finished failed.
pub async fn settle(
    g: &Global,
    em: &emrest::Session,
    task: TaskRepr,
    what: &str,
) -> Result<TaskRepr> {
    let task = if g.wait {
        wait_with_spinner(em, &task, what).await?
    } else {
        task
    };
    match failure(&task) {
        Some(m) => Err(CliError::failed(format!("{what} failed: {m}"))),
        None => Ok(task),
    }
}

/// The line people see about a task an action started.
pub fn task_line(g: &Global, task: &TaskRepr, what: &str) -> String {
    if g.wait || task_done(task) {
        format!("{what}: {}", describe(task))
    } else {
        format!("{what}: {} (add --wait to wait for it)", describe(task))
    }
}

fn task_done(task: &TaskRepr) -> bool {
    task.result.is_some()
}

/// Reports a task an action started: prints it, or waits for it under `--wait` first.
pub async fn report_task(
    g: &Global,
    out: &Out,
    em: &emrest::Session,
    task: TaskRepr,
    what: &str,
) -> Result<()> {
    let task = settle(g, em, task, what).await?;
    if out.json {
        out.json_value(&node_json(&to_node(&task, TaskRepr::ROOT)));
    } else {
        out.line(task_line(g, &task, what));
    }
    Ok(())
}

/// `vem tasks`.
pub async fn tasks_cmd(out: &Out, em: &emrest::Session) -> Result<()> {
    let tasks = em.tasks().await?;
    let mut t = Table::new(vec![
        col("id", "ID"),
        col("operation", "OPERATION"),
        col("state", "STATE"),
        col("result", "RESULT"),
        col("message", "MESSAGE"),
        col("href", "URL").optional(),
    ]);
    for task in &tasks.task {
        let result = task
            .result
            .as_ref()
            .map(|r| if r.success { "Success" } else { "Failed" });
        let mut res = Cell::result(result);
        if let Some(r) = &task.result {
            res.json = serde_json::Value::Bool(r.success);
        }
        t.push(vec![
            Cell::text(task.task_id.clone()),
            Cell::opt(task.operation.clone()),
            Cell::text(task.state.to_string()),
            res,
            Cell::opt(task.result.as_ref().and_then(|r| r.message.clone())),
            Cell::opt(task.href.clone()),
        ]);
    }
    out.table(&t);
    Ok(())
}

/// `vem task ID`.
pub async fn task_cmd(g: &Global, out: &Out, em: &emrest::Session, id: &str) -> Result<()> {
    let t = spec::type_or_usage(TaskRepr::ROOT)?;
    let href = target_href(t, id)?;
    let task: TaskRepr = em.get(&href).await?;
    let task = if g.wait {
        wait_with_spinner(em, &task, &format!("task {}", task.task_id)).await?
    } else {
        task
    };
    show(out, &to_node(&task, TaskRepr::ROOT));
    match failure(&task) {
        Some(m) => Err(CliError::failed(format!(
            "task {} failed: {m}",
            task.task_id
        ))),
        None => Ok(()),
    }
}
