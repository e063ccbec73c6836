// The spec has a mistake: the error points at its TOML line and column.
emrest_macros::generate_client!("specs/unknown_field_type.toml");

fn main() {}
