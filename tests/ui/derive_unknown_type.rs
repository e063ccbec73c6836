// The derive names a type the EM spec does not have.
#[derive(emrest::Resource)]
#[resource(type = "Jobb")]
struct MyJob {
    #[resource(links)]
    links: emrest::Links,
}

fn main() {}
