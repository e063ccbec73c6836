//! `emrest-codegen import-xsd` on EM's schema: TOML on stdout, notes with schema lines on
//! stderr, a clean exit; a `--types` name the schema lacks is an error; `--complete` of the
//! completed spec/em.toml changes nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_emrest-codegen"))
}

fn root() -> PathBuf {
    // invariant: codegen/ lives one level below the workspace root
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

fn schema() -> PathBuf {
    root().join("tests/fixtures/em-xsd/RestAPI.xsd")
}

#[test]
fn imports_every_complex_type_and_reports_what_it_does_not_represent() {
    let out = bin().arg("import-xsd").arg(schema()).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let toml = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let types = toml.lines().filter(|l| l.starts_with("[types.")).count();
    assert!(types > 200, "{types} types");
    assert!(toml.contains("[types.Job]\n"));
    assert!(toml.contains("[enums.DaysOfWeekEnumeration]\n"));
    assert!(toml.contains("{ name = \"SupportedVersions\", type = \"SupportedVersion\", item = \"SupportedVersion\" },"));
    // Notes name the schema file and line.
    assert!(
        stderr.contains("RestAPI.xsd:3004: note: pattern facet of `UidType`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("`InfoType` has no elements or attributes"),
        "{stderr}"
    );
    // The whole output parses as TOML.
    let parsed: Result<toml::Table, _> = toml::from_str(&toml);
    assert!(parsed.is_ok(), "{:?}", parsed.err());
}

#[test]
fn named_types_only_and_unknown_names_fail() {
    let out = bin()
        .args(["import-xsd"])
        .arg(schema())
        .args(["--types", "TaskType,Error"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let toml = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        toml.lines().filter(|l| l.starts_with("[types.")).count(),
        2,
        "{toml}"
    );
    assert!(
        toml.contains("[types.Task]\n") && toml.contains("[types.Error]\n"),
        "{toml}"
    );
    let out = bin()
        .args(["import-xsd"])
        .arg(schema())
        .args(["--types", "NoSuchType"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no complex type `NoSuchType`"));
}

#[test]
fn completing_the_em_spec_again_changes_nothing() {
    let spec = root().join("spec/em.toml");
    let out = bin()
        .arg("import-xsd")
        .arg(schema())
        .arg("--complete")
        .arg(&spec)
        .arg("--deviations")
        .arg(root().join("spec/DEVIATIONS.md"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let have = std::fs::read_to_string(&spec).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("0 fields added, 0 `optional` changed"),
        "{stderr}"
    );
    assert!(String::from_utf8(out.stdout).unwrap() == have, "{stderr}");
}

#[test]
fn a_broken_schema_is_an_error_with_its_line() {
    let dir = std::env::temp_dir().join(format!("emrest-import-xsd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bad = dir.join("bad.xsd");
    std::fs::write(&bad, "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n<xs:complexType name=\"A\">\n</xs:schema>\n").unwrap();
    let out = bin().arg("import-xsd").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("bad.xsd:3:"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_whole_import_is_a_valid_spec_under_ems_api_table() {
    let out = bin().arg("import-xsd").arg(schema()).output().unwrap();
    assert!(out.status.success());
    let body = String::from_utf8(out.stdout).unwrap();
    // EM's [api] table, its error type named as the schema names it.
    let em = std::fs::read_to_string(root().join("spec/em.toml")).unwrap();
    let api = &em[..em.find("\n[relations]").expect("em.toml has [relations]")];
    let api = api.replace("type = \"ErrorBody\"", "type = \"Error\"");
    let spec = format!("{api}\n[relations]\nCreate = {{ verb = \"POST\" }}\nDelete = {{ verb = \"DELETE\" }}\n\n{body}");
    if let Err(d) = emrest_codegen::load_str(&spec, "imported.toml") {
        panic!("{d}");
    }
}
