// A struct deriving the actions of `Task` gets `delete` but not `toggle_schedule_enabled`.
#[derive(emrest::Resource)]
#[resource(type = "Task")]
struct MyTask {
    #[resource(links)]
    links: Option<emrest::Links>,
}

async fn go(em: &emrest::Session, task: &MyTask) {
    let _ = task.delete(em).await;
    let _ = task.toggle_schedule_enabled(em).await;
}

fn main() {
    let _ = go;
}
