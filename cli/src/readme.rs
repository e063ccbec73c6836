//! Keeps the Rust examples of the top-level README honest: they are compiled as doctests of
//! this otherwise empty library (`cargo test -p vem --doc`). The `vem` commands of the README
//! are run by `cli/tests/vem.rs`.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;
