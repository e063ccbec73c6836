// Without a field marked #[resource(links)] the actions have nothing to follow.
#[derive(emrest::Resource)]
#[resource(type = "Job")]
struct MyJob {
    name: String,
}

fn main() {}
