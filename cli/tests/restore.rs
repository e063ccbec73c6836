//! `vem files` and `vem restore file` against em-sim: the guest file system is browsed and
//! files are downloaded through a mount that is removed afterwards, also after a failure
//! and after Ctrl-C.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{tmp_dir, Sim};

/// (mounts made, mounts removed) from the requests em-sim saw.
fn mounts(sim: &Sim) -> (usize, usize) {
    let reqs = sim.h().requests();
    let made = reqs
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/mounts"))
        .count();
    let removed = reqs
        .iter()
        .filter(|r| {
            r.method == "DELETE" && r.path.contains("/mounts/") && (200..300).contains(&r.status)
        })
        .count();
    (made, removed)
}

#[test]
fn files_are_listed_through_a_mount_that_is_removed() {
    let sim = Sim::small();
    let out = sim
        .vem()
        .args(["--json", "files", "sql01", "C:/Documents"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    let rows = v.as_array().expect("array");
    let invoice = rows
        .iter()
        .find(|r| r["name"] == "Invoice1.docx")
        .unwrap_or_else(|| panic!("{v}"));
    assert_eq!(invoice["kind"], "file");
    assert!(invoice["size"].as_i64().is_some_and(|n| n > 0));
    assert!(rows.iter().any(|r| r["kind"] == "dir"));
    assert_eq!(mounts(&sim), (1, 1));
    // A path that is not there: exit 1, and the mount is removed all the same.
    let out = sim
        .vem()
        .args(["files", "sql01", "C:/No/Such"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No"));
    assert_eq!(mounts(&sim), (2, 2));
    // No restore point that old: nothing is mounted.
    let out = sim
        .vem()
        .args(["files", "sql01", "--point", "2001-01-01"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(mounts(&sim), (2, 2));
}

#[test]
fn restore_file_downloads_into_the_directory() {
    let sim = Sim::small();
    let dir = tmp_dir("restore");
    let out = sim
        .vem()
        .args([
            "restore",
            "file",
            "sql01",
            "C:/Documents/Invoice1.docx",
            "C:/bootmgr",
            "--to",
        ])
        .arg(&dir)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let invoice = std::fs::read(dir.join("Invoice1.docx")).expect("written");
    assert!(invoice.starts_with(b"emrest-sim content of C:/Documents/Invoice1.docx"));
    let listed: Value = serde_json::from_slice(
        &sim.vem()
            .args(["--json", "files", "sql01", "C:/Documents/Invoice1.docx"])
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("JSON");
    assert_eq!(listed[0]["size"].as_u64(), Some(invoice.len() as u64));
    assert!(dir.join("bootmgr").is_file());
    assert_eq!(mounts(&sim), (2, 2));
    // A directory is not a file: refused, the mount removed.
    let out = sim
        .vem()
        .args(["restore", "file", "sql01", "C:/Documents", "--to"])
        .arg(&dir)
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(mounts(&sim), (3, 3));
}

#[test]
fn ctrl_c_removes_the_mount() {
    let sim = Sim::small();
    let dir = tmp_dir("restore-interrupt");
    // Every request takes 400 ms, so the interrupt lands while vem works on the mount.
    sim.h().set_faults(emrest_sim::Faults {
        latency: emrest_sim::Latency {
            trigger: emrest_sim::Trigger::parse("every:1").expect("trigger"),
            fixed: Duration::from_millis(400),
            jitter: Duration::ZERO,
        },
        ..emrest_sim::Faults::none()
    });
    let child = Command::new(env!("CARGO_BIN_EXE_vem"))
        .args([
            "restore",
            "file",
            "sql01",
            "C:/Documents/Reports/q1.xlsx",
            "--to",
        ])
        .arg(&dir)
        .env("VEM_SERVER", sim.url())
        .env("VEM_USER", "admin")
        .env("VEM_PASSWORD", "admin")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vem starts");
    let started = Instant::now();
    while mounts(&sim).0 == 0 {
        assert!(started.elapsed() < Duration::from_secs(30), "no mount made");
        std::thread::sleep(Duration::from_millis(20));
    }
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(kill.success());
    let out = child.wait_with_output().expect("vem ends");
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("interrupted"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(mounts(&sim), (1, 1), "the mount is removed after Ctrl-C");
}

#[test]
fn restore_vm_to_original_with_dry_run_and_wait() {
    let sim = Sim::small();
    let restores = |sim: &Sim| {
        sim.h()
            .requests()
            .iter()
            .filter(|r| {
                r.method == "POST"
                    && r.query
                        .as_deref()
                        .is_some_and(|q| q.contains("action=restore"))
            })
            .count()
    };
    let out = sim
        .vem()
        .args([
            "--json",
            "restore",
            "vm",
            "sql01",
            "--to-original",
            "--quick-rollback",
            "--dry-run",
        ])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["dry_run"], true);
    assert!(
        v["body"]
            .as_str()
            .is_some_and(|b| b.contains("<QuickRollback>true</QuickRollback>")),
        "{v}"
    );
    assert_eq!(restores(&sim), 0, "a dry run sends nothing");
    let out = sim
        .vem()
        .args(["restore", "vm", "sql01", "--to-original", "--wait"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("success"));
    assert_eq!(restores(&sim), 1);
    // Without --to-original nothing happens (exit 2).
    let out = sim
        .vem()
        .args(["restore", "vm", "sql01"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(2));
}
