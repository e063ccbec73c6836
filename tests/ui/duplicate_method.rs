// The spec has a mistake: the error points at its TOML line and column.
emrest_macros::generate_client!("specs/duplicate_method.toml");

fn main() {}
