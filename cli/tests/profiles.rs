//! Named profiles and `--all-profiles` against two em-sims, one of them stopped: each
//! server's failure is reported without hiding the other's results.

mod support;

use std::path::{Path, PathBuf};

use serde_json::Value;
use support::{tmp_dir, vem, Sim};

/// Writes a config file with a profile per (name, url, password source line).
fn config(dir: &Path, profiles: &[(&str, String, &str)]) -> PathBuf {
    let mut text = String::new();
    for (name, url, pw) in profiles {
        text.push_str(&format!(
            "[profiles.{name}]\nserver = \"{url}\"\nuser = \"admin\"\n{pw}\n\n"
        ));
    }
    let path = dir.join("config.toml");
    std::fs::write(&path, text).expect("config written");
    path
}

fn two_sims(dir: &Path) -> (Sim, Sim, PathBuf) {
    let a = Sim::small();
    let b = Sim::small();
    let cfg = config(
        dir,
        &[
            ("alpha", a.url(), "password_env = \"VEM_TEST_PW_ALPHA\""),
            ("beta", b.url(), "password_command = \"printf admin\""),
        ],
    );
    (a, b, cfg)
}

fn run(cfg: &Path, args: &[&str]) -> (i32, String, String) {
    let out = vem()
        .env("VEM_TEST_PW_ALPHA", "admin")
        .arg("--config")
        .arg(cfg)
        .args(args)
        .output()
        .expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

fn servers_in(rows: &Value) -> Vec<String> {
    let mut s: Vec<String> = rows
        .as_array()
        .expect("array")
        .iter()
        .map(|r| r["server"].as_str().expect("server column").to_string())
        .collect();
    s.dedup();
    s
}

#[test]
fn one_profile_by_name_and_from_the_default_place() {
    let dir = tmp_dir("profile-one");
    let (a, _b, cfg) = two_sims(&dir);
    let (code, out, err) = run(&cfg, &["--profile", "alpha", "--json", "servers"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(v.as_array().map(Vec::len), Some(2));
    let (code, _, err) = run(&cfg, &["--profile", "gamma", "servers"]);
    assert_eq!(code, 2);
    assert!(err.contains("alpha") && err.contains("beta"), "{err}");
    // $XDG_CONFIG_HOME/vem/config.toml without --config; the profile's password command.
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(xdg.join("vem")).expect("dir");
    config(
        &xdg.join("vem"),
        &[("lab", a.url(), "password_command = [\"printf\", \"admin\"]")],
    );
    let out = vem()
        .env("XDG_CONFIG_HOME", &xdg)
        .args(["--profile", "lab", "--jsonl", "repositories"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 4);
    // A password in the file is refused, and not repeated.
    std::fs::write(
        dir.join("bad.toml"),
        format!(
            "[profiles.x]\nserver = \"{}\"\npassword = \"hunter2\"\n",
            a.url()
        ),
    )
    .expect("write");
    let (code, _, err) = run(&dir.join("bad.toml"), &["--profile", "x", "servers"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("password_env") && !err.contains("hunter2"),
        "{err}"
    );
}

#[test]
fn all_profiles_listing_reports_the_server_that_is_down() {
    let dir = tmp_dir("profile-all");
    let (_a, b, cfg) = two_sims(&dir);
    let (code, out, err) = run(&cfg, &["--all-profiles", "--json", "repositories"]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(servers_in(&v), ["alpha", "beta"]);
    assert_eq!(v.as_array().map(Vec::len), Some(8));
    assert!(v[0]["free_space"].is_number(), "raw values: {}", v[0]);
    b.stop();
    let (code, out, err) = run(&cfg, &["--all-profiles", "--json", "repositories"]);
    assert_eq!(code, 1);
    let v: Value = serde_json::from_str(&out).expect("JSON");
    assert_eq!(servers_in(&v), ["alpha"], "alpha's rows are still printed");
    assert!(err.contains("beta:"), "{err}");
    let (code, out, _) = run(&cfg, &["--all-profiles", "sessions", "--limit", "3"]);
    assert_eq!(code, 1);
    assert!(out.starts_with("SERVER"), "{out}");
    assert_eq!(out.lines().filter(|l| l.starts_with("alpha")).count(), 3);
}

#[test]
fn all_profiles_checks_and_metrics() {
    let dir = tmp_dir("profile-check");
    let (_a, b, cfg) = two_sims(&dir);
    let (code, out, _) = run(&cfg, &["--all-profiles", "check", "backup-servers"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("'alpha/servers'=2"), "{out}");
    b.stop();
    let (code, out, _) = run(&cfg, &["--all-profiles", "check", "backup-servers"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.starts_with("UNKNOWN: 2 server(s): alpha OK; beta UNKNOWN"),
        "{out}"
    );
    assert!(out.contains("[alpha] [OK] vbr01"), "{out}");
    // The failed job of alpha outranks beta's UNKNOWN.
    let (code, out, _) = run(&cfg, &["--all-profiles", "check", "jobs"]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("[beta] UNKNOWN"), "{out}");
    let (code, out, _) = run(&cfg, &["--all-profiles", "metrics"]);
    assert_eq!(code, 1);
    let scrape =
        prometheus_parse::Scrape::parse(out.lines().map(|l| Ok(l.to_string()))).expect("parses");
    let up: Vec<(String, f64)> = scrape
        .samples
        .iter()
        .filter(|s| s.metric == "veeam_em_up")
        .map(|s| {
            let v = match s.value {
                prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
                _ => panic!("not a gauge"),
            };
            (s.labels.get("server").expect("server label").to_string(), v)
        })
        .collect();
    assert_eq!(up, [("alpha".to_string(), 1.0), ("beta".to_string(), 0.0)]);
    assert_eq!(out.matches("# TYPE veeam_em_up gauge").count(), 1);
    assert!(
        scrape
            .samples
            .iter()
            .any(|s| s.metric == "veeam_em_job_last_result"
                && s.labels.get("server") == Some("alpha"))
    );
}
