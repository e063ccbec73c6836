//! Waiting for asynchronous tasks, and following what they affected.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};
use crate::follow::link_error;
use crate::node::Node;
use crate::op::{Api, TaskInfo, Vanished};
use crate::repr::{Repr, Scalar};
use crate::session::Session;

/// How [`wait_task`] polls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WaitOptions {
    /// First delay between polls (default 100 ms); it doubles after each poll.
    pub initial_interval: Duration,
    /// Longest delay between polls (default 3 s).
    pub max_interval: Duration,
    /// Overall deadline (default 10 minutes).
    pub deadline: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        WaitOptions {
            initial_interval: Duration::from_millis(100),
            max_interval: Duration::from_secs(3),
            deadline: Duration::from_secs(600),
        }
    }
}

impl WaitOptions {
    /// These options with another deadline.
    pub fn with_deadline(mut self, deadline: Duration) -> Self {
        self.deadline = deadline;
        self
    }
}

/// What a task node says about itself.
enum TaskState {
    Running(String),
    Succeeded,
    Failed { operation: String, message: String },
}

fn task_state(info: &TaskInfo, node: &Node) -> TaskState {
    let state = node.scalar(info.state).unwrap_or("").trim().to_string();
    let is = |states: &[&str]| states.iter().any(|d| d.eq_ignore_ascii_case(&state));
    let result = node.child(info.result);
    let failed = || TaskState::Failed {
        operation: node.scalar(info.operation).unwrap_or("").to_string(),
        message: result
            .and_then(|r| r.scalar(info.message))
            .unwrap_or("")
            .trim()
            .to_string(),
    };
    if is(info.failed_states) {
        return failed();
    }
    if !is(info.done_states) {
        return TaskState::Running(state);
    }
    let success = match (result, info.success) {
        (Some(r), key) if !key.is_empty() => r
            .scalar(key)
            .map(|s| bool::parse_text(s).unwrap_or(false))
            .unwrap_or(true),
        _ => true,
    };
    if success {
        TaskState::Succeeded
    } else {
        failed()
    }
}

/// Polls a task until it is done, with the session's [`WaitOptions`]; returns its final
/// representation, or [`Error::TaskFailed`] when its result says it failed.
pub async fn wait_task<A: Api, T: Repr + Clone + Send>(
    session: &Session<A>,
    task: &T,
) -> Result<T> {
    wait_task_with(session, task, session.wait_options()).await
}

/// [`wait_task`] with explicit options.
pub async fn wait_task_with<A: Api, T: Repr + Clone + Send>(
    session: &Session<A>,
    task: &T,
    options: WaitOptions,
) -> Result<T> {
    let info = &A::INFO.task;
    let node = crate::to_node(task, T::ROOT);
    let href = task
        .href()
        .map(str::to_string)
        .or_else(|| node.scalar(A::INFO.links.href()).map(str::to_string))
        .ok_or_else(|| Error::LinkNotOffered {
            rel: A::INFO.links.href().into(),
            type_: T::ROOT.into(),
            link_type: None,
        })?;
    let start = Instant::now();
    let mut interval = options.initial_interval;
    let mut current = node;
    let mut latest: Option<T> = None;
    loop {
        match task_state(info, &current) {
            TaskState::Succeeded => {
                // The latest poll, or the task as given when it was done at once.
                return Ok(latest.unwrap_or_else(|| task.clone()));
            }
            TaskState::Failed { operation, message } => {
                return Err(Error::TaskFailed { operation, message })
            }
            TaskState::Running(state) => {
                let elapsed = start.elapsed();
                if elapsed >= options.deadline {
                    let op = current.scalar(info.operation).unwrap_or("");
                    return Err(Error::Timeout {
                        what: format!("task {href} ({op}) still `{state}`"),
                        after: elapsed,
                    });
                }
                let sleep = interval.min(options.deadline - elapsed);
                tokio::time::sleep(sleep).await;
                interval = (interval * 2).min(options.max_interval);
                current = match session.get::<T>(&href).await {
                    Ok(t) => {
                        let n = crate::to_node(&t, T::ROOT);
                        latest = Some(t);
                        n
                    }
                    Err(e) if e.status() == Some(404) && info.vanished == Vanished::Done => {
                        return Ok(latest.unwrap_or_else(|| task.clone()));
                    }
                    Err(e) if e.status() == Some(404) => {
                        return Err(Error::TaskLost {
                            href: href.clone(),
                            operation: current.scalar(info.operation).unwrap_or("").to_string(),
                        })
                    }
                    Err(e) => return Err(e),
                };
            }
        }
    }
}

/// Follows the task's link to the object it affected (relation `INFO.task.related_rel`) and
/// decodes it as `R`. When the task offers several such links, the one whose type is
/// `R::ROOT` is taken.
pub async fn follow_related<A: Api, R: Repr + Send, T: Repr>(
    session: &Session<A>,
    task: &T,
) -> Result<R> {
    let rel = A::INFO.task.related_rel;
    if let Some(element) = A::INFO.task.related_element {
        let node = crate::to_node(task, T::ROOT);
        let href = node
            .child(element)
            .and_then(|e| e.scalar(A::INFO.links.href()))
            .ok_or_else(|| Error::LinkNotOffered {
                rel: element.to_string(),
                type_: T::ROOT.into(),
                link_type: None,
            })?;
        return session.get::<R>(href).await;
    }
    let links = match task.links() {
        Some(l) => l.clone(),
        None => {
            let node = crate::to_node(task, T::ROOT);
            crate::Links::of_node(&node, &A::INFO.own_links.task).unwrap_or_default()
        }
    };
    let href = match links.find(rel, None, None) {
        Ok(l) => l.href.clone(),
        Err(crate::LinkLookupError::Ambiguous(_)) => links
            .find(rel, Some(R::ROOT), None)
            .map_err(|e| link_error(e, rel, T::ROOT, Some(R::ROOT)))?
            .href
            .clone(),
        Err(e) => return Err(link_error(e, rel, T::ROOT, None)),
    };
    session.get::<R>(&href).await
}
