//! The client of the example lending-library API (`codegen/tests/fixtures/library.toml`),
//! generated at build time by `build.rs` with `emrest_codegen::Builder` and included here.

/// The generated code (lints of generated code are the generator's business).
#[allow(clippy::all)]
mod generated {
    include!(concat!(env!("OUT_DIR"), "/library.rs"));
}

pub use generated::*;
