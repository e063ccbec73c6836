//! `vem decode --strict` over every documented EM example in `tests/fixtures/em-docs/`: the
//! types must know every element and attribute (no unknown path), and a document with an
//! undeclared element is reported by path and exits 1.

use std::path::Path;

use assert_cmd::Command;

fn vem() -> Command {
    let mut c = Command::cargo_bin("vem").expect("vem builds");
    c.env_remove("VEM_SERVER").env("NO_COLOR", "1");
    c
}

/// `doc` without text runs between elements that are only dots: the documentation elides
/// further items with `...`, which is not data.
fn unelided(doc: &str) -> String {
    let mut out = String::with_capacity(doc.len());
    let mut rest = doc;
    while let Some(gt) = rest.find('>') {
        out.push_str(&rest[..=gt]);
        rest = &rest[gt + 1..];
        if let Some(lt) = rest.find('<') {
            let t = rest[..lt].trim();
            if !t.is_empty() && t.chars().all(|c| c == '.' || c == '…') {
                rest = &rest[lt..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[test]
fn every_documented_example_decodes_with_no_unknown_path() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/em-docs");
    let mut checked = 0;
    let mut unknown = Vec::new();
    for dir in ["samples", "docs"] {
        let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "xml"))
            .collect();
        files.sort();
        for f in files {
            let doc = unelided(&std::fs::read_to_string(&f).unwrap());
            let out = vem()
                .args(["decode", "-", "--strict"])
                .write_stdin(doc)
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            if !out.status.success() {
                unknown.push(format!(
                    "{}: exit {:?}: {}",
                    f.file_name().unwrap().to_string_lossy(),
                    out.status.code(),
                    stderr.trim()
                ));
            }
            checked += 1;
        }
    }
    println!(
        "--strict over {checked} documents: {} with unknown paths",
        unknown.len()
    );
    assert!(checked >= 212, "only {checked} documents");
    assert!(unknown.is_empty(), "{}", unknown.join("\n"));
}

#[test]
fn an_undeclared_element_is_reported_by_path() {
    let doc = r#"<Job xmlns="http://www.veeam.com/ent/v1.0" Name="A" Href="https://h/api/jobs/1">
  <JobType>Backup</JobType>
  <JobScheduleOptions><RetryOptions><RetryTimes>3</RetryTimes><Newer Flag="1"/></RetryOptions></JobScheduleOptions>
</Job>"#;
    let out = vem()
        .args(["decode", "-", "--strict"])
        .write_stdin(doc)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("Job/JobScheduleOptions/RetryOptions/Newer"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());
    // Without --strict the element is kept and printed back in place.
    let out = vem()
        .args(["decode", "-", "--format", "xml"])
        .write_stdin(doc)
        .output()
        .unwrap();
    assert!(out.status.success());
    let xml = String::from_utf8_lossy(&out.stdout);
    assert!(
        xml.contains(r#"<RetryTimes>3</RetryTimes><Newer Flag="1"/></RetryOptions>"#),
        "{xml}"
    );
}
