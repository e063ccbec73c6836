// A valid spec generates a client that compiles warning-free.
#![deny(warnings)]

mod api {
    emrest_macros::generate_client!("../specs/valid.toml");
}

async fn start(em: &api::Session, home: &api::Home) -> emrest_runtime::Result<api::Task> {
    home.start(em).await
}

fn main() {
    let _ = start;
}
