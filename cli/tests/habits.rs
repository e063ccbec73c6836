//! Habits: completions and the man page from the command-line definitions, the output
//! formats (human values in tables, raw in JSON/CSV), `--since` forms, `--limit` paging.

mod support;

use serde_json::Value;
use support::{vem, Sim};

fn stdout(mut c: assert_cmd::Command, args: &[&str]) -> String {
    let out = c.args(args).output().expect("runs");
    assert!(
        out.status.success(),
        "vem {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn completions_and_man_page_know_every_command() {
    for shell in ["bash", "zsh", "fish"] {
        let s = stdout(vem(), &["completions", shell]);
        for word in ["check", "metrics", "repositories", "all-profiles", "output"] {
            assert!(s.contains(word), "{shell} completion lacks {word}");
        }
    }
    let bash = stdout(vem(), &["completions", "bash"]);
    let dir = support::tmp_dir("completions");
    let path = dir.join("vem.bash");
    std::fs::write(&path, &bash).expect("write");
    let ok = std::process::Command::new("bash")
        .arg("-n")
        .arg(&path)
        .status()
        .expect("bash runs");
    assert!(ok.success(), "bash -n refuses the script");
    let man = stdout(vem(), &["man"]);
    assert!(man.contains(".TH vem 1"), "{}", &man[..200.min(man.len())]);
    assert!(man.contains("check") && man.contains("metrics"));
    let bad = vem().args(["completions", "tcsh"]).output().expect("runs");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn output_formats_agree() {
    let sim = Sim::small();
    let json: Value = serde_json::from_str(&stdout(
        sim.vem(),
        &["--output", "json", "sessions", "--limit", "5"],
    ))
    .expect("JSON");
    let rows = json.as_array().expect("array");
    assert_eq!(rows.len(), 5);
    let jsonl = stdout(sim.vem(), &["--jsonl", "sessions", "--limit", "5"]);
    let lines: Vec<Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one object a line"))
        .collect();
    assert_eq!(&lines, rows);
    let csv = stdout(sim.vem(), &["--output", "csv", "sessions", "--limit", "5"]);
    let mut csv_lines = csv.lines();
    let header: Vec<&str> = csv_lines.next().expect("header").split(',').collect();
    let keys: Vec<&str> = rows[0]
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(header, keys);
    assert_eq!(csv_lines.count(), 5);
    // Raw in JSON, human in tables.
    let secs = rows[0]["duration_seconds"].as_i64().expect("seconds");
    let table = stdout(sim.vem(), &["sessions", "--limit", "5"]);
    assert!(table.lines().next().expect("header").contains("DURATION"));
    assert!(!table.contains(&format!(" {secs} ")), "{table}");
    let repos: Value =
        serde_json::from_str(&stdout(sim.vem(), &["--json", "repositories"])).expect("JSON");
    assert!(repos[0]["capacity"].is_number());
    assert!(stdout(sim.vem(), &["repositories"]).contains("iB"));
    // --json and --output conflict.
    let both = sim
        .vem()
        .args(["--json", "--output", "csv", "jobs"])
        .output()
        .expect("runs");
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn since_takes_periods_and_rfc3339() {
    let sim = Sim::small();
    let count = |since: &str| {
        let v: Value = serde_json::from_str(&stdout(
            sim.vem(),
            &["--json", "sessions", "--since", since, "--limit", "1000"],
        ))
        .expect("JSON");
        v.as_array().expect("array").len()
    };
    let day = count("24h");
    let week = count("7d");
    assert!(day >= 1 && week > day, "{day} {week}");
    let v: Value = serde_json::from_str(&stdout(
        sim.vem(),
        &[
            "--json",
            "sessions",
            "--since",
            "2000-01-01T00:00:00+02:00",
            "--limit",
            "1000",
        ],
    ))
    .expect("JSON");
    assert!(v.as_array().expect("array").len() >= week);
    let bad = sim
        .vem()
        .args(["sessions", "--since", "last tuesday"])
        .output()
        .expect("runs");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn limit_stops_paging_early() {
    let sim = Sim::small();
    sim.h().clear_requests();
    let out = stdout(
        sim.vem(),
        &[
            "--jsonl",
            "query",
            "BackupJobSession",
            "--page-size",
            "5",
            "--limit",
            "7",
        ],
    );
    assert_eq!(out.lines().count(), 7);
    let pages = sim
        .h()
        .requests()
        .iter()
        .filter(|r| r.path.to_ascii_lowercase().contains("query"))
        .count();
    // 50 sessions in pages of 5: two pages give 7 items, the other eight are not asked for.
    assert_eq!(pages, 2);
}
