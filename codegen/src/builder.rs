//! Build-time code generation for a crate's `build.rs`, in the manner of prost-build.
//!
//! A whole `build.rs` (with `emrest-codegen` in `[build-dependencies]`):
//!
//! ```no_run
//! fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     emrest_codegen::Builder::new()
//!         .spec("spec/my_api.toml")
//!         .out_file("my_api.rs")
//!         .compile()?;
//!     Ok(())
//! }
//! ```
//!
//! and in the crate: `include!(concat!(env!("OUT_DIR"), "/my_api.rs"));`. The generated code
//! names the runtime as `::emrest_runtime` (see [`EmitOptions`]), so the crate depends on
//! `emrest-runtime`. `compile` prints `cargo:rerun-if-changed` for the spec, writes the file
//! only when its content changed, and on a spec error prints each problem as `cargo:warning=`
//! lines (`PATH:LINE:COL: message`, then the offending line) and returns an error whose
//! one-line message fails the build.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::{generate_file, load_path, Diagnostics, EmitOptions};

/// Generates a client from a spec in `build.rs`.
#[derive(Default)]
pub struct Builder {
    spec: Option<PathBuf>,
    out_dir: Option<PathBuf>,
    out_file: Option<String>,
    options: EmitOptions,
    cargo_output: bool,
}

/// Why [`Builder::compile`] failed; its `Display` (and `Debug`, which `main` returning
/// `Err` prints) is one line.
pub enum BuildError {
    /// The builder was not given what it needs (no spec, no `OUT_DIR`).
    Setup(String),
    /// The spec has errors (each also printed as `cargo:warning=` lines).
    Spec(Diagnostics),
    /// The generated file could not be written.
    Write(PathBuf, std::io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Setup(m) => f.write_str(m),
            BuildError::Spec(d) => {
                let n = d.items.len();
                let at = d.first_location().unwrap_or_else(|| d.path.clone());
                write!(
                    f,
                    "{n} error{} in spec {} (first at {at}); see the warnings above",
                    if n == 1 { "" } else { "s" },
                    d.path
                )
            }
            BuildError::Write(p, e) => write!(f, "cannot write {}: {e}", p.display()),
        }
    }
}

impl fmt::Debug for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::error::Error for BuildError {}

impl Builder {
    /// A builder that prints cargo directives (`cargo:rerun-if-changed`, `cargo:warning`).
    pub fn new() -> Builder {
        Builder {
            cargo_output: true,
            ..Builder::default()
        }
    }

    /// The spec file; a relative path is relative to `CARGO_MANIFEST_DIR` (the crate).
    pub fn spec(mut self, path: impl AsRef<Path>) -> Builder {
        self.spec = Some(path.as_ref().to_path_buf());
        self
    }

    /// Directory of the generated file (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl AsRef<Path>) -> Builder {
        self.out_dir = Some(dir.as_ref().to_path_buf());
        self
    }

    /// File name of the generated code (default: the spec's file stem + `.rs`).
    pub fn out_file(mut self, name: impl Into<String>) -> Builder {
        self.out_file = Some(name.into());
        self
    }

    /// Generator options, the same the macros and the CLI use.
    pub fn options(mut self, options: EmitOptions) -> Builder {
        self.options = options;
        self
    }

    /// Whether to print cargo directives (on by default; off to use the builder outside
    /// `build.rs`, for example to write a checked-in file).
    pub fn cargo_output(mut self, on: bool) -> Builder {
        self.cargo_output = on;
        self
    }

    /// Checks the spec and writes the formatted client; returns the path written.
    pub fn compile(self) -> Result<PathBuf, BuildError> {
        let spec = self.spec.clone().ok_or_else(|| {
            BuildError::Setup("emrest_codegen::Builder: no .spec(path) given".into())
        })?;
        let spec = match (spec.is_relative(), std::env::var_os("CARGO_MANIFEST_DIR")) {
            (true, Some(dir)) => lexical(&PathBuf::from(dir).join(spec)),
            _ => spec,
        };
        if self.cargo_output {
            println!("cargo:rerun-if-changed={}", spec.display());
        }
        let ir = load_path(&spec).map_err(|d| {
            if self.cargo_output {
                for item in &d.items {
                    for line in d.render_one(item).lines() {
                        println!("cargo:warning={line}");
                    }
                }
            }
            BuildError::Spec(d)
        })?;
        let dir = match (&self.out_dir, std::env::var_os("OUT_DIR")) {
            (Some(d), _) => d.clone(),
            (None, Some(d)) => PathBuf::from(d),
            (None, None) => {
                return Err(BuildError::Setup(
                    "emrest_codegen::Builder: OUT_DIR is not set (not in build.rs?); give .out_dir(dir)".into(),
                ))
            }
        };
        let name = match &self.out_file {
            Some(n) => n.clone(),
            None => format!(
                "{}.rs",
                spec.file_stem()
                    .map_or("client".into(), |s| s.to_string_lossy().into_owned())
            ),
        };
        let path = dir.join(name);
        let code = generate_file(&ir, &self.options);
        // Unchanged output keeps its timestamp, so nothing downstream rebuilds for nothing.
        if std::fs::read_to_string(&path).ok().as_deref() != Some(code.as_str()) {
            std::fs::write(&path, code).map_err(|e| BuildError::Write(path.clone(), e))?;
        }
        Ok(path)
    }
}

/// `a/b/../c` → `a/c`, without touching the file system (messages show a clean path).
fn lexical(p: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            c => out.push(c.as_os_str()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_shown_without_dot_segments() {
        assert_eq!(
            lexical(Path::new("/a/crate/../spec/./x.toml")),
            PathBuf::from("/a/spec/x.toml")
        );
        assert_eq!(lexical(Path::new("../x.toml")), PathBuf::from("../x.toml"));
    }

    #[test]
    fn a_missing_spec_or_out_dir_is_a_one_line_error() {
        let e = Builder::new().cargo_output(false).compile().unwrap_err();
        assert!(e.to_string().contains("no .spec(path)"), "{e}");
        let e = Builder::new()
            .cargo_output(false)
            .spec("/nonexistent/spec.toml")
            .out_dir("/nonexistent")
            .compile()
            .unwrap_err();
        assert!(matches!(e, BuildError::Spec(_)), "{e}");
        assert_eq!(format!("{e:?}").lines().count(), 1, "{e:?}");
    }

    #[test]
    fn writes_the_formatted_client_once() {
        let dir = std::env::temp_dir().join(format!("emrest-builder-unit-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/library.toml");
        let b = || Builder::new().cargo_output(false).spec(spec).out_dir(&dir);
        let path = b().compile().unwrap();
        assert_eq!(path, dir.join("library.rs"));
        let code = std::fs::read_to_string(&path).unwrap();
        assert!(code.starts_with("// @generated by emrest-codegen"));
        let before = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        b().compile().unwrap();
        let after = std::fs::metadata(&path).unwrap().modified().unwrap();
        assert_eq!(before, after, "unchanged output is not rewritten");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
