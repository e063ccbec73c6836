// A task cannot be started: the EM spec gives `Task` no `Start` link, so no `start` method.
async fn go(em: &emrest::Session, task: &emrest::Task) {
    let _ = task.start(em).await;
}

fn main() {
    let _ = go;
}
