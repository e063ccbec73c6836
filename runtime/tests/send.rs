//! The futures generated code awaits must be `Send` (usable from tokio::spawn).

mod common;

use common::*;
use emrest_runtime::{call, follow_related, wait_task, Links, Node, Verb};

fn assert_send<T: Send>(_: &T) {}

static OP: emrest_runtime::Op = op("Down", Verb::Get, None, &[]);

#[allow(dead_code, unused_must_use, clippy::let_underscore_future)]
fn futures_are_send(client: Client, s: Session, links: Links, task: Task, spec: JobCloneSpec) {
    assert_send(&client.logon("u", "p"));
    assert_send(&s.logoff());
    assert_send(&call::<Em, Task>(&s, &links, &OP, None));
    assert_send(&call::<Em, Task>(
        &s,
        &links,
        &OP,
        Some(&spec as &dyn emrest_runtime::Body),
    ));
    assert_send(&call::<Em, ()>(&s, s.links(), &OP, None));
    assert_send(&emrest_runtime::__private::follow::<Em, Task>(
        &s, &links, &OP, None,
    ));
    assert_send(&wait_task(&s, &task));
    assert_send(&follow_related::<Em, Job, Task>(&s, &task));
    assert_send(&s.get::<Node>("x"));
    let q = s.query::<Job>();
    assert_send(&q.first_page());
    assert_send(&s.query::<Job>().entities().stream());
}

#[test]
fn sessions_and_clients_are_send_and_sync() {
    fn ss<T: Send + Sync + 'static>() {}
    ss::<Client>();
    ss::<Session>();
    ss::<emrest_runtime::Error>();
}
