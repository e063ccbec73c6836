//! Compile-fail cases of the macros: every spec rule, a missing spec, the derive's misuse and
//! actions a type does not offer. Expected compiler output sits next to each case.

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("ui/*.rs");
    t.pass("ui/pass/*.rs");
}
