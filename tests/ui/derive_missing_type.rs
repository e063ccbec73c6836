// The derive must be told which spec type the struct stands for.
#[derive(emrest::Resource)]
struct MyJob {
    #[resource(links)]
    links: emrest::Links,
}

fn main() {}
