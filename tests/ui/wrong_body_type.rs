// A request body of the wrong type does not compile: clone takes a JobCloneSpec.
async fn go(em: &emrest::Session, job: &emrest::Job) {
    let _ = job.clone_job(em, &emrest::Task::default()).await;
}

fn main() {
    let _ = go;
}
