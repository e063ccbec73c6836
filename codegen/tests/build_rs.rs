//! `emrest_codegen::Builder` in a real `build.rs`: a tiny crate in a temporary directory is
//! built with `cargo build --offline` (its own target directory under the workspace's
//! `target/`, so its dependencies build once and stay). The build generates the client of a
//! spec into `OUT_DIR`, rebuilds when the spec changes, and a spec error fails the build with
//! `PATH:LINE:COL` in cargo's output. Each cargo run is bounded in time.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const LIMIT: Duration = Duration::from_secs(420);

fn workspace() -> PathBuf {
    // invariant: this crate lives one level below the workspace root
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// A fresh fixture crate named `name` whose build.rs compiles `../spec/api.toml`: the spec
/// lives outside the crate, so only `cargo:rerun-if-changed` makes cargo notice an edit.
/// Returns (crate dir, spec path).
fn fixture(name: &str, spec: &str) -> (PathBuf, PathBuf) {
    let root = std::env::temp_dir().join(format!("emrest-build-rs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let dir = root.join("crate");
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::create_dir_all(root.join("spec")).unwrap();
    let codegen = workspace().join("codegen");
    std::fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n[build-dependencies]\nemrest-codegen = {{ path = {:?} }}\n\n[workspace]\n",
            codegen.display().to_string()
        ),
    )
    .unwrap();
    // The workspace's lock file pins the versions the registry cache has (offline).
    std::fs::copy(workspace().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::write(
        dir.join("build.rs"),
        "fn main() -> Result<(), Box<dyn std::error::Error>> {\n    emrest_codegen::Builder::new().spec(\"../spec/api.toml\").out_file(\"client.rs\").compile()?;\n    Ok(())\n}\n",
    )
    .unwrap();
    // The lib only embeds the generated text: it needs no runtime to build.
    std::fs::write(
        dir.join("src/lib.rs"),
        "//! Fixture.\n/// The generated client.\npub const GENERATED: &str = include_str!(concat!(env!(\"OUT_DIR\"), \"/client.rs\"));\n",
    )
    .unwrap();
    let spec_path = root.join("spec").join("api.toml");
    std::fs::write(&spec_path, spec).unwrap();
    (dir, spec_path)
}

fn target_dir() -> PathBuf {
    workspace().join("target").join("build-rs-fixtures")
}

/// Runs `cargo build --offline` in `dir`; (success, stdout + stderr).
fn cargo_build(dir: &Path) -> (bool, String) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    // Outside the crate: a file changing inside it would make cargo rerun the build script anyway.
    let out_path = dir.parent().unwrap().join("cargo-output.txt");
    let out = std::fs::File::create(&out_path).unwrap();
    let err = out.try_clone().unwrap();
    let mut child = Command::new(cargo)
        .args(["build", "--offline"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", target_dir())
        .env_remove("RUSTFLAGS")
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("cargo runs");
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("cargo build took over {LIMIT:?} in {}", dir.display());
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    (
        status.success(),
        std::fs::read_to_string(out_path).unwrap_or_default(),
    )
}

/// The newest generated file of crate `name`.
fn generated(name: &str) -> String {
    let build = target_dir().join("debug").join("build");
    let mut best: Option<(std::time::SystemTime, PathBuf)> = None;
    for e in std::fs::read_dir(&build).unwrap().flatten() {
        if !e
            .file_name()
            .to_string_lossy()
            .starts_with(&format!("{name}-"))
        {
            continue;
        }
        let p = e.path().join("out").join("client.rs");
        if let Ok(m) = std::fs::metadata(&p).and_then(|m| m.modified()) {
            if best.as_ref().is_none_or(|(t, _)| m > *t) {
                best = Some((m, p));
            }
        }
    }
    let (_, p) = best.expect("the build script wrote client.rs");
    std::fs::read_to_string(p).unwrap()
}

fn library_spec() -> String {
    std::fs::read_to_string(workspace().join("codegen/tests/fixtures/library.toml")).unwrap()
}

#[test]
fn build_rs_generates_and_a_spec_edit_rebuilds() {
    let name = "emrest_fixture_ok";
    let (dir, spec_path) = fixture(name, &library_spec());
    let (ok, out) = cargo_build(&dir);
    assert!(ok, "clean build failed:\n{out}");
    let first = generated(name);
    assert!(
        first.starts_with("// @generated by emrest-codegen"),
        "{first:.200}"
    );
    assert!(first.contains("pub struct Book"));

    // A spec edit: cargo must run the build script again and the file must change.
    let edited = library_spec().replace(
        "doc = \"A book of the library.\"",
        "doc = \"A book of the library, edited.\"",
    );
    assert_ne!(edited, library_spec(), "the fixture spec has the doc line");
    std::fs::write(&spec_path, edited).unwrap();
    let t = Instant::now();
    let (ok, out) = cargo_build(&dir);
    assert!(ok, "rebuild failed:\n{out}");
    println!("rebuild after the spec edit took {:?}", t.elapsed());
    let second = generated(name);
    assert!(
        second.contains("A book of the library, edited."),
        "the generated file did not change"
    );
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}

#[test]
fn a_spec_error_fails_the_build_with_its_location() {
    let name = "emrest_fixture_bad";
    let spec = library_spec().replace("{ rel = \"Borrow\", action", "{ rel = \"Borow\", action");
    let (dir, spec_path) = fixture(name, &spec);
    let (ok, out) = cargo_build(&dir);
    assert!(!ok, "the build must fail:\n{out}");
    let (line, col) = {
        let at = spec.find("\"Borow\"").unwrap();
        let before = &spec[..at];
        (
            before.matches('\n').count() + 1,
            at - before.rfind('\n').map_or(0, |i| i + 1) + 1,
        )
    };
    let want = format!(
        "{}:{line}:{col}: unknown relation `Borow`",
        spec_path.display()
    );
    println!(
        "{}",
        out.lines()
            .filter(|l| l.contains("api.toml") || l.contains("error"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(out.contains(&want), "no `{want}` in:\n{out}");
    assert!(
        out.contains("Borow\", action"),
        "the offending line is shown:\n{out}"
    );
    assert!(out.contains("1 error in spec"), "one-line summary:\n{out}");
    let _ = std::fs::remove_dir_all(dir.parent().unwrap());
}
