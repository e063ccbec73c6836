// A spec path that does not exist is a compile error on the literal.
emrest_macros::generate_client!("specs/does_not_exist.toml");

fn main() {}
