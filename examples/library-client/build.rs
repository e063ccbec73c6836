//! Generates the library API client from its spec (see `emrest_codegen::Builder`).

fn main() -> Result<(), Box<dyn std::error::Error>> {
    emrest_codegen::Builder::new()
        .spec("../../codegen/tests/fixtures/library.toml")
        .out_file("library.rs")
        .compile()?;
    Ok(())
}
