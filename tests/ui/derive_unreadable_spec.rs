// A custom spec that cannot be read is an error on its literal.
#[derive(emrest::Resource)]
#[resource(type = "Job", spec = "specs/nope.toml")]
struct MyJob {
    #[resource(links)]
    links: emrest::Links,
}

fn main() {}
