// A custom spec with a mistake reports the TOML location through the derive too.
#[derive(emrest::Resource)]
#[resource(type = "Home", spec = "specs/bad_verb.toml")]
struct MyHome {
    #[resource(links)]
    links: emrest::Links,
}

fn main() {}
