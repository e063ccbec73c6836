//! The golden file of the generated code for a small non-EM spec must match what the
//! generator produces now (the file is also compiled by `emrest-tests`).
//!
//! To accept a change on purpose: `cargo run -p emrest-codegen -- generate
//! codegen/tests/fixtures/library.toml -o codegen/tests/golden/library.rs`.

use std::path::Path;

#[test]
fn golden_library_is_fresh() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let ir = emrest_codegen::load_path(dir.join("fixtures/library.toml"))
        .expect("library.toml is valid");
    let want = emrest_codegen::generate_file(&ir, &Default::default());
    let have = std::fs::read_to_string(dir.join("golden/library.rs")).expect("golden file exists");
    assert!(
        have == want,
        "codegen/tests/golden/library.rs is stale; regenerate it (see this test's doc comment)"
    );
}

#[test]
fn golden_methods_table() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let ir = emrest_codegen::load_path(dir.join("fixtures/library.toml"))
        .expect("library.toml is valid");
    let table = emrest_codegen::methods_table(&ir);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 9);
    assert!(lines
        .contains(&"Book\tBorrow\tborrow\tPOST\t/books/{ID}/action/borrow\tBorrowSpec\tJob\ttask"));
    assert!(lines.contains(&"LoginSession\tLogout\tlogout\tDELETE\t/sessions/{ID}\t-\t-\tsync"));
    assert!(lines.iter().all(|l| l.split('\t').count() == 8));
}
