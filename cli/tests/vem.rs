//! End-to-end tests of the `vem` binary against an em-sim spawned in the test process.
//! The password always comes through VEM_PASSWORD, never a flag.

use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::Value;

const PASSWORD: &str = "admin";

/// A simulator on its own runtime, alive while this value lives.
struct Sim {
    handle: Option<emrest_sim::SimHandle>,
    rt: tokio::runtime::Runtime,
}

impl Sim {
    fn start(config: emrest_sim::SimConfig) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let handle = rt
            .block_on(emrest_sim::spawn(config))
            .expect("em-sim starts");
        Sim {
            handle: Some(handle),
            rt,
        }
    }

    /// The small data set, history ending now, jobs that run three polls.
    fn small() -> Sim {
        Sim::start(emrest_sim::SimConfig {
            anchor: now(),
            session_ticks: 3,
            ..emrest_sim::SimConfig::small()
        })
    }

    fn h(&self) -> &emrest_sim::SimHandle {
        self.handle.as_ref().expect("running")
    }

    fn url(&self) -> String {
        self.h().url()
    }

    /// `vem` with the connection in the environment.
    fn vem(&self) -> Command {
        let mut c = vem();
        c.env("VEM_SERVER", self.url())
            .env("VEM_USER", "admin")
            .env("VEM_PASSWORD", PASSWORD);
        c
    }

    /// Runs `vem ARGS --json` and parses standard output.
    fn json(&self, args: &[&str]) -> Value {
        let out = self.vem().args(args).arg("--json").output().expect("runs");
        assert!(
            out.status.success(),
            "vem {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "vem {args:?}: not JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    fn job_id(&self, name: &str) -> String {
        self.h().job_id(name).expect("job exists")
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _guard = self.rt.enter();
        drop(self.handle.take());
    }
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(emrest_sim::DEFAULT_ANCHOR)
}

/// `vem` with a clean environment for its own variables.
fn vem() -> Command {
    let mut c = Command::cargo_bin("vem").expect("binary built");
    c.env_remove("VEM_SERVER")
        .env_remove("VEM_USER")
        .env_remove("VEM_PASSWORD")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120));
    c
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vem-tests");
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir.join(format!("{}-{name}", std::process::id()))
}

fn array(v: &Value) -> &Vec<Value> {
    v.as_array().unwrap_or_else(|| panic!("not an array: {v}"))
}

// ---------------------------------------------------------------------------------------
// demo

#[test]
fn demo_walks_every_flow() {
    vem()
        .arg("demo")
        .assert()
        .success()
        .stdout(predicate::str::contains("all 8 steps worked"))
        .stdout(predicate::str::contains("LAST RESULT"))
        .stdout(predicate::str::contains("Stopped Success"))
        .stdout(predicate::str::contains("page 1 of"))
        .stdout(predicate::str::contains("unmounted"))
        .stdout(predicate::str::contains("logged off"));
}

// ---------------------------------------------------------------------------------------
// everyday commands, table and JSON

#[test]
fn jobs_table_and_json() {
    let sim = Sim::small();
    sim.vem()
        .arg("jobs")
        .assert()
        .success()
        .stdout(predicate::str::starts_with("NAME"))
        .stdout(predicate::str::contains("LAST RESULT"))
        .stdout(predicate::str::contains("SQL Backup"))
        // Not a terminal (and NO_COLOR): no colour codes.
        .stdout(predicate::str::contains("\u{1b}").not());
    let jobs = sim.json(&["jobs"]);
    let jobs = array(&jobs);
    assert_eq!(jobs.len(), sim.h().jobs().len());
    let by = |name: &str| {
        jobs.iter()
            .find(|j| j["name"] == name)
            .unwrap_or_else(|| panic!("{name} listed"))
            .clone()
    };
    assert_eq!(by("SQL Backup")["last_result"], "Success");
    assert_eq!(by("Exchange Backup")["last_result"], "Failed");
    assert_eq!(by("SQL Backup")["type"], "Backup");
    for key in [
        "name",
        "type",
        "platform",
        "schedule",
        "last_result",
        "next_run",
        "uid",
    ] {
        assert!(jobs[0].get(key).is_some(), "{key}");
    }
    // --json is global: before the command too.
    let before: Value = serde_json::from_slice(
        &sim.vem()
            .args(["--json", "jobs"])
            .output()
            .expect("runs")
            .stdout,
    )
    .expect("JSON");
    assert_eq!(array(&before).len(), jobs.len());
}

#[test]
fn job_show_by_name_and_id() {
    let sim = Sim::small();
    sim.vem()
        .args(["job", "SQL Backup"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Job \"SQL Backup\""))
        .stdout(predicate::str::contains("Start"));
    let id = sim.job_id("SQL Backup");
    let j = sim.json(&["job", &id, "show"]);
    assert_eq!(j["Name"], "SQL Backup");
    assert_eq!(j["JobType"], "Backup");
    let by_uid = sim.json(&["job", &format!("urn:veeam:Job:{id}")]);
    assert_eq!(by_uid["Name"], "SQL Backup");
    sim.vem()
        .args(["job", "No Such Job"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("no job named `No Such Job`"));
}

#[test]
fn job_start_and_wait() {
    let sim = Sim::small();
    let id = sim.job_id("SQL Backup");
    sim.vem()
        .args(["job", "SQL Backup", "start"])
        .assert()
        .success()
        .stdout(predicate::str::contains("task task-"));
    assert_eq!(sim.h().job_starts(&id), 1);
    sim.vem()
        .args(["job", "SQL Backup", "start", "--wait"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Stopped Success"));
    assert_eq!(sim.h().job_starts(&id), 2);
    let done = sim.json(&["job", "SQL Backup", "start", "--wait"]);
    assert_eq!(done["task"]["State"], "Finished");
    assert_eq!(done["session"]["Result"], "Success");
    assert_eq!(done["session"]["State"], "Stopped");
}

#[test]
fn failed_job_exits_3() {
    let sim = Sim::small();
    let id = sim.job_id("SQL Backup");
    assert!(sim
        .h()
        .set_job_next_result(&id, emrest_sim::JobResult::Failed));
    sim.vem()
        .args(["job", "SQL Backup", "start", "--wait"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("finished Failed"));
}

#[test]
fn retry_stop_toggle_and_clone() {
    // Started jobs run long enough to be stopped by a second vem.
    let sim = Sim::start(emrest_sim::SimConfig {
        session_ticks: 50,
        ..emrest_sim::SimConfig::small()
    });
    // Exchange Backup's last run failed: retry is allowed.
    sim.vem()
        .args(["job", "Exchange Backup", "retry"])
        .assert()
        .success()
        .stdout(predicate::str::contains("RetryJob"));
    // Stopping a job that does not run is a failed task (exit 3); a running one stops.
    sim.vem()
        .args(["job", "SQL Backup", "stop", "--wait"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains("not running"));
    sim.vem()
        .args(["job", "SQL Backup", "start"])
        .assert()
        .success();
    sim.vem()
        .args(["job", "SQL Backup", "stop", "--wait"])
        .assert()
        .success();
    let before = sim.json(&["job", "SQL Backup"])["ScheduleEnabled"].clone();
    sim.vem()
        .args(["job", "SQL Backup", "toggle-schedule", "--wait"])
        .assert()
        .success();
    let after = sim.json(&["job", "SQL Backup"])["ScheduleEnabled"].clone();
    assert_ne!(before, after);
    sim.vem()
        .args([
            "job",
            "SQL Backup",
            "clone",
            "--name",
            "SQL Backup Copy",
            "--wait",
        ])
        .assert()
        .success()
        .stderr(predicate::str::contains("cloning into repository"));
    assert!(sim.h().job_id("SQL Backup Copy").is_some());
}

#[test]
fn a_dry_run_shows_exactly_what_the_same_command_sends() {
    // For each typed action: the `--dry-run` request, then the request em-sim receives when
    // the same command runs for real. Verb, URL, content type and body must be equal.
    let sim = Sim::small();
    let actions: &[&[&str]] = &[
        &["job", "SQL Backup", "start"],
        &["job", "SQL Backup", "stop"],
        &["job", "SQL Backup", "retry"],
        &["job", "Exchange Backup", "toggle-schedule"],
        &[
            "job",
            "SQL Backup",
            "clone",
            "--name",
            "Copy & <1>",
            "--repository",
            "urn:veeam:Repository:x",
        ],
        &[
            "restore",
            "vm",
            "sql01",
            "--to-original",
            "--quick-rollback",
        ],
    ];
    for wire in ["xml", "json"] {
        for args in actions {
            let mut dry = vec!["--wire", wire, "--dry-run"];
            dry.extend_from_slice(args);
            let shown = sim.json(&dry);
            assert_eq!(shown["dry_run"], true, "{args:?}");
            let before = sim.h().requests().len();
            // The real run may be refused by em-sim (a retry of a job that did not fail);
            // what matters is the request it sent.
            let _ = sim
                .vem()
                .args(["--wire", wire])
                .args(*args)
                .output()
                .expect("runs");
            let sent: Vec<_> = sim.h().requests()[before..]
                .iter()
                .filter(|r| r.method != "GET" && !r.path.ends_with("sessionMngr/"))
                .filter(|r| r.method != "DELETE" || !r.path.contains("logonSessions"))
                .cloned()
                .collect();
            let got = sent
                .first()
                .unwrap_or_else(|| panic!("{wire} {args:?}: nothing sent"));
            let url = url::Url::parse(shown["url"].as_str().unwrap()).unwrap();
            assert_eq!(
                (got.method.as_str(), got.path.as_str(), got.query.as_deref()),
                (shown["method"].as_str().unwrap(), url.path(), url.query()),
                "{wire} {args:?}"
            );
            assert_eq!(
                got.content_type.as_deref(),
                shown["content_type"].as_str(),
                "{wire} {args:?}"
            );
            assert_eq!(
                got.body.as_deref(),
                shown["body"].as_str(),
                "{wire} {args:?}: body"
            );
        }
    }
}

#[test]
fn dry_run_sends_nothing() {
    let sim = Sim::small();
    let id = sim.job_id("SQL Backup");
    sim.vem()
        .args(["job", "SQL Backup", "start", "--dry-run"])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "POST {}jobs/{id}?action=start",
            sim.url()
        )))
        .stdout(predicate::str::contains("(no body)"));
    sim.vem()
        .args([
            "--dry-run",
            "job",
            "SQL Backup",
            "clone",
            "--name",
            "N1",
            "--repository",
            "urn:veeam:Repository:x",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("action=clone"))
        .stdout(predicate::str::contains("<JobName>N1</JobName>"))
        .stdout(predicate::str::contains(
            "<RepositoryUid>urn:veeam:Repository:x</RepositoryUid>",
        ));
    let j = sim.json(&[
        "--wire",
        "json",
        "--dry-run",
        "job",
        "SQL Backup",
        "clone",
        "--name",
        "N2",
        "--repository",
        "R",
    ]);
    assert_eq!(j["method"], "POST");
    assert!(
        j["body"]
            .as_str()
            .unwrap_or("")
            .contains("\"JobName\":\"N2\""),
        "{j}"
    );
    assert_eq!(sim.h().job_starts(&id), 0);
    assert!(sim.h().actions().is_empty(), "{:?}", sim.h().actions());
}

#[test]
fn sessions_with_typed_filters() {
    let sim = Sim::small();
    sim.vem()
        .args(["sessions", "--limit", "5"])
        .assert()
        .success()
        .stdout(predicate::str::starts_with("JOB"));
    let all = sim.json(&["sessions", "--limit", "7"]);
    assert_eq!(array(&all).len(), 7);
    let failed = sim.json(&["sessions", "--result", "failed", "--limit", "50"]);
    assert!(!array(&failed).is_empty());
    assert!(array(&failed).iter().all(|s| s["result"] == "Failed"));
    let sql = sim.json(&[
        "sessions",
        "--job",
        "SQL Backup",
        "--state",
        "Stopped",
        "--limit",
        "4",
    ]);
    assert_eq!(array(&sql).len(), 4);
    assert!(array(&sql)
        .iter()
        .all(|s| s["job"] == "SQL Backup" && s["state"] == "Stopped"));
    // Newest first.
    let times: Vec<&str> = array(&sql)
        .iter()
        .map(|s| s["started"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted);
    let day = sim.json(&["sessions", "--since", "24h", "--limit", "100"]);
    let week = sim.json(&["sessions", "--since", "7d", "--limit", "100"]);
    assert!(!array(&day).is_empty());
    assert!(array(&week).len() > array(&day).len());
    sim.vem()
        .args(["sessions", "--state", "Exploded"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Starting"));
    sim.vem()
        .args(["sessions", "--since", "yesterday-ish"])
        .assert()
        .code(2);
    // The job's own sessions.
    let own = sim.json(&["job", "Exchange Backup", "sessions", "--limit", "3"]);
    assert!(array(&own).iter().all(|s| s["job"] == "Exchange Backup"));
}

#[test]
fn servers_and_repositories() {
    let sim = Sim::small();
    sim.vem()
        .arg("servers")
        .assert()
        .success()
        .stdout(predicate::str::contains("VERSION"));
    let servers = sim.json(&["servers"]);
    assert_eq!(array(&servers).len(), 2);
    assert!(array(&servers)[0]["port"].is_number());
    sim.vem()
        .arg("repositories")
        .assert()
        .success()
        .stdout(predicate::str::contains("FREE %"))
        .stdout(predicate::str::contains("TiB").or(predicate::str::contains("GiB")));
    let repos = sim.json(&["repositories"]);
    assert_eq!(array(&repos).len(), 4);
    for r in array(&repos) {
        let cap = r["capacity"].as_i64().expect("bytes as a number");
        let free = r["free_space"].as_i64().expect("bytes as a number");
        assert!(cap >= free && free >= 0, "{r}");
        assert!(r["backup_server"].is_string(), "{r}");
    }
}

#[test]
fn restore_points_of_a_vm() {
    let sim = Sim::small();
    let any = sim.json(&["query", "VmRestorePoint", "--entities", "--limit", "1"]);
    let vm = array(&any)[0]["VmDisplayName"]
        .as_str()
        .expect("a VM name")
        .to_string();
    sim.vem()
        .args(["restore-points", &vm])
        .assert()
        .success()
        .stdout(predicate::str::contains(vm.as_str()))
        .stdout(predicate::str::contains("ALGORITHM"));
    let points = sim.json(&["restore-points", &vm, "--limit", "2"]);
    assert!(!array(&points).is_empty() && array(&points).len() <= 2);
    assert!(array(&points).iter().all(|p| p["vm"] == vm.as_str()));
    let none = sim.json(&["restore-points", "no-such-vm"]);
    assert!(array(&none).is_empty());
}

#[test]
fn tasks_and_task_wait() {
    let sim = Sim::start(emrest_sim::SimConfig {
        task_polls: 3,
        ..emrest_sim::SimConfig::small()
    });
    // Tasks belong to a logon session: a fresh vem has none.
    assert!(array(&sim.json(&["tasks"])).is_empty());
    sim.vem().arg("tasks").assert().success().stdout("(none)\n");
    let t = sim.json(&["job", "SQL Backup", "start"]);
    assert_eq!(t["State"], "Running");
    let id = t["TaskId"].as_str().expect("task id").to_string();
    // Another logon session cannot see it (EM scopes tasks to the session): EM's 404, exit 1.
    sim.vem()
        .args(["task", &id])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("HTTP 404"))
        .stderr(predicate::str::contains(format!("/tasks/{id}")));
    // The task itself is fine in its own session: it was hidden, not lost.
    assert!(sim
        .h()
        .requests()
        .iter()
        .any(|r| r.status == 404 && r.path.ends_with(&format!("/tasks/{id}"))));
    sim.vem()
        .args([
            "call",
            "Job",
            &sim.job_id("Exchange Backup"),
            "Start",
            "--wait",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains("Finished"));
    sim.vem().args(["task", "a/b"]).assert().code(2);
}

#[test]
fn query_any_type() {
    let sim = Sim::small();
    let refs = sim.json(&["query", "Job", "--filter", "JobType==Backup"]);
    assert_eq!(array(&refs).len(), 3);
    assert!(array(&refs).iter().all(|r| r["Type"] == "JobReference"));
    let ents = sim.json(&[
        "query",
        "job",
        "--entities",
        "--sort-asc",
        "Name",
        "--page-size",
        "1",
    ]);
    let names: Vec<&str> = array(&ents)
        .iter()
        .map(|j| j["Name"].as_str().unwrap_or(""))
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert_eq!(names.len(), sim.h().jobs().len());
    sim.vem()
        .args(["query", "Repository", "--entities"])
        .assert()
        .success()
        .stdout(predicate::str::contains("Capacity"));
    sim.vem()
        .args(["query", "BackupServer"])
        .assert()
        .success()
        .stdout(predicate::str::contains("BackupServerReference"));
    let limited = sim.json(&[
        "query",
        "BackupJobSession",
        "--limit",
        "3",
        "--page-size",
        "2",
    ]);
    assert_eq!(array(&limited).len(), 3);
    sim.vem()
        .args(["query", "Nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("query types"));
    sim.vem()
        .args(["query", "Job", "--filter", "(((broken"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("HTTP 400"));
}

// ---------------------------------------------------------------------------------------
// the generic command

#[test]
fn call_reaches_operations_by_rel() {
    let sim = Sim::small();
    let id = sim.job_id("SQL Backup");
    // A typed GET through a link the server offered.
    let refs = sim.json(&["call", "Job", &id, "Down", "--method", "backup_sessions"]);
    assert!(!array(&refs["Refs"]).is_empty(), "{refs}");
    // --dry-run prints even a GET without sending it.
    sim.vem()
        .args([
            "call",
            "Job",
            "SQL Backup",
            "Down",
            "--method",
            "backup_sessions",
            "--dry-run",
        ])
        .assert()
        .success()
        .stdout(predicate::str::contains(format!(
            "GET {}jobs/{id}/backupSessions",
            sim.url()
        )));
    // Several Down links: the choice is asked for.
    sim.vem()
        .args(["call", "Job", &id, "Down"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--method"))
        .stderr(predicate::str::contains("backup_sessions"));
    // An action with a task answer.
    sim.vem()
        .args(["call", "Job", &id, "Start", "--wait"])
        .assert()
        .success();
    assert_eq!(sim.h().job_starts(&id), 1);
    // By URL, and by the verb as --method.
    let url = format!("{}jobs/{id}?format=Entity", sim.url());
    let up = sim.json(&["call", "Job", &url, "Up", "--method", "GET"]);
    assert_eq!(up["Type"], "BackupServerReference");
    // Another type: a backup server's data collection (Start → Task).
    let servers = sim.json(&["servers"]);
    let server_uid = array(&servers)[0]["uid"].as_str().expect("uid").to_string();
    let server_id = server_uid.rsplit(':').next().expect("id").to_string();
    sim.vem()
        .args(["call", "BackupServer", &server_id, "Start", "--wait"])
        .assert()
        .success()
        .stdout(predicate::str::contains("success"));
    // An operation the type does not have, a type the spec does not have.
    sim.vem()
        .args(["call", "Job", &id, "Failover"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Start (start)"));
    sim.vem()
        .args(["call", "Nope", &id, "Start"])
        .assert()
        .code(2);
}

#[test]
fn call_with_a_body() {
    let sim = Sim::small();
    let id = sim.job_id("SQL Backup");
    // The operation needs a body.
    sim.vem()
        .args(["call", "Job", &id, "Clone"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--body"));
    // A documented sample as the body, only printed.
    sim.vem()
        .args(["call", "Job", &id, "Clone", "--body"])
        .arg(fixture("job_clone_spec.xml"))
        .arg("--dry-run")
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "<JobName>Oracle Backup 01</JobName>",
        ));
    assert!(sim.h().actions().is_empty());
    // A real clone with a body written for this simulator.
    let repos = sim.json(&["repositories"]);
    let repo = array(&repos)[0]["uid"].as_str().expect("uid").to_string();
    let body = tmp("clone.xml");
    std::fs::write(
        &body,
        format!(
            r#"<JobCloneSpec xmlns="http://www.veeam.com/ent/v1.0"><BackupJobCloneInfo><JobName>Cloned by call</JobName><FolderName>Cloned by call</FolderName><RepositoryUid>{repo}</RepositoryUid></BackupJobCloneInfo></JobCloneSpec>"#
        ),
    )
    .expect("write body");
    sim.vem()
        .args(["call", "Job", &id, "Clone", "--wait", "--body"])
        .arg(&body)
        .assert()
        .success();
    assert!(sim.h().job_id("Cloned by call").is_some());
    // A body of the wrong type is refused before anything is sent.
    sim.vem()
        .args(["call", "Job", &id, "Clone", "--body"])
        .arg(fixture("task_finished.xml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("JobCloneSpec"));
}

#[test]
fn api_methods_match_the_generator() {
    let spec = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/em.toml");
    let ir = emrest_codegen::load_path(&spec).expect("spec checks");
    let want = emrest_codegen::methods_table(&ir);
    let tsv = vem()
        .args(["api", "methods", "--tsv"])
        .output()
        .expect("runs");
    assert!(tsv.status.success());
    let tsv = String::from_utf8(tsv.stdout).expect("UTF-8");
    // vem prints the generator's table unchanged ...
    assert_eq!(tsv, want);
    // ... and that table agrees with sources that do not come from the generator.
    // 1. Rows checked by hand against the EM reference (em-api/REFERENCE.md).
    for row in [
        "Job\tStart\tstart\tPOST\t/jobs/{ID}?action=start\t-\tTask\ttask",
        "Job\tClone\tclone_job\tPOST\t/jobs/{ID}?action=clone\tJobCloneSpec\tTask\ttask",
        "LogonSession\tDelete\tlogoff_session\tDELETE\t/logonSessions/{ID}\t-\t-\tsync",
    ] {
        assert!(tsv.lines().any(|l| l == row), "missing or changed: {row}");
    }
    // 2. EM's own method list (a copy of em-api/methods.tsv): wherever it documents a path,
    // vem's verb for that path is one EM documents for it, or spec/DEVIATIONS.md says why not.
    let deviations = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../spec/DEVIATIONS.md"),
    )
    .expect("spec/DEVIATIONS.md");
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/em-docs/methods.tsv"),
    )
    .expect("EM method list");
    let documented: Vec<(String, String)> = docs
        .lines()
        .skip(1)
        .filter_map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            Some((f.get(1)?.to_string(), doc_path(f.get(2)?)))
        })
        .collect();
    let mut checked = 0;
    for line in tsv.lines() {
        let f: Vec<&str> = line.split('\t').collect();
        assert_eq!(f.len(), 8, "{line}");
        let path = doc_path(f[4]);
        let verbs: Vec<&str> = documented
            .iter()
            .filter(|(_, p)| *p == path)
            .map(|(v, _)| v.as_str())
            .collect();
        if !verbs.is_empty() {
            let explained = deviations.contains(&format!("`{} {}`", f[3], f[4]));
            assert!(
                verbs.contains(&f[3]) || explained,
                "{line}: EM documents {verbs:?}"
            );
            checked += 1;
        }
    }
    assert!(
        checked > 400,
        "only {checked} rows were checked against EM's list"
    );
    let rows = {
        let out = vem()
            .args(["api", "methods", "--json"])
            .output()
            .expect("runs");
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        v
    };
    assert_eq!(array(&rows).len(), want.lines().count());
    let mut keys: Vec<String> = array(&rows)[0]
        .as_object()
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    keys.sort();
    let mut want_keys = [
        "type", "rel", "method", "verb", "path", "request", "response", "mode",
    ]
    .map(String::from);
    want_keys.sort();
    assert_eq!(keys, want_keys);
    vem()
        .args(["api", "methods", "Job"])
        .assert()
        .success()
        .stdout(predicate::str::contains("clone_job"))
        .stdout(predicate::str::contains("toggle_schedule_enabled"));
    vem()
        .args(["api", "types"])
        .assert()
        .success()
        .stdout(predicate::str::contains("EntityRef"));
    vem().args(["api", "methods", "Nope"]).assert().code(2);
}

/// A path as EM's method list writes it, for comparison: without the `format=Entity` view
/// switch, every `{PARAM}` alike, in lower case.
fn doc_path(path: &str) -> String {
    let path = path
        .replace("?format=Entity&", "?")
        .replace("?format=Entity", "")
        .replace("&format=Entity", "");
    let mut out = String::new();
    let mut in_param = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_param = true;
                out.push_str("{}");
            }
            '}' => in_param = false,
            _ if in_param => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

// ---------------------------------------------------------------------------------------
// decode

#[test]
fn decode_documented_samples() {
    for (file, root, key) in [
        ("job.xml", "Job", "JobType"),
        ("job_references.xml", "EntityReferences", "Refs"),
        ("task_finished.xml", "Task", "TaskId"),
        ("logon_session.xml", "LogonSession", "SessionId"),
        ("backup_job_session.xml", "BackupJobSession", "JobName"),
        ("repository.xml", "Repository", "Capacity"),
        ("backup_server.xml", "BackupServer", "Port"),
        ("job_clone_spec.xml", "JobCloneSpec", "BackupJobCloneInfo"),
    ] {
        let out = vem()
            .arg("decode")
            .arg(fixture(file))
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: Value = serde_json::from_slice(&out.stdout).expect("JSON");
        assert!(v.get(key).is_some(), "{file} ({root}): no {key} in {v}");
        // Back to XML, and that XML decodes to the same JSON.
        let xml = vem()
            .arg("decode")
            .arg(fixture(file))
            .args(["--format", "xml"])
            .output()
            .expect("runs");
        assert!(xml.status.success());
        let text = String::from_utf8_lossy(&xml.stdout).to_string();
        assert!(
            text.starts_with(&format!("<{root}")) || text.contains(&format!("<{root} ")),
            "{text}"
        );
        let again = vem()
            .args(["decode", "-"])
            .write_stdin(xml.stdout.clone())
            .output()
            .expect("runs");
        assert_eq!(again.stdout, out.stdout, "{file}: XML round trip");
        // The JSON decodes too (by its Type member, or with --type).
        let path = tmp(&format!("{file}.json"));
        std::fs::write(&path, &out.stdout).expect("write");
        let j = vem()
            .arg("decode")
            .arg(&path)
            .args(["--type", root])
            .output()
            .expect("runs");
        assert!(
            j.status.success(),
            "{file}: {}",
            String::from_utf8_lossy(&j.stderr)
        );
        assert_eq!(j.stdout, out.stdout, "{file}: JSON round trip");
    }
}

#[test]
fn decode_refuses_garbage() {
    vem()
        .arg("decode")
        .arg(fixture("garbage.txt"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not an EM document"));
    vem()
        .arg("decode")
        .arg(fixture("truncated_job.xml"))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not an EM document"));
    vem()
        .args(["decode", "-"])
        .write_stdin("<Unknown xmlns=\"http://www.veeam.com/ent/v1.0\"/>")
        .assert()
        .code(1)
        .stderr(predicate::str::contains(
            "`Unknown` is not a representation",
        ));
    vem()
        .args(["decode", "-"])
        .write_stdin("<Job><ScheduleEnabled>perhaps</ScheduleEnabled></Job>")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("not a valid Job"));
    vem()
        .args(["decode", "-"])
        .write_stdin("{\"Foo\": 1}")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("--type"));
    vem()
        .args(["decode", "/no/such/file.xml"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot read"));
    vem()
        .args(["decode", "-"])
        .write_stdin(vec![0xff, 0xfe, 0x00, 0x41])
        .assert()
        .code(1);
}

// ---------------------------------------------------------------------------------------
// connection, errors and exit codes

#[test]
fn wrong_password_is_one_clear_line() {
    let sim = Sim::small();
    let secret = "Wr0ng-Secret-Passw0rd";
    let out = sim
        .vem()
        .env("VEM_PASSWORD", secret)
        .arg("jobs")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("vem: logon refused"), "{stderr}");
    assert!(stderr.contains("HTTP 401"), "{stderr}");
    assert!(!stderr.contains(secret) && !String::from_utf8_lossy(&out.stdout).contains(secret));
}

#[test]
fn expired_sessions_are_renewed() {
    // Sessions expire after 300 ms of idleness; waiting on a job polls slower than that.
    let sim = Sim::start(emrest_sim::SimConfig {
        idle_timeout: Duration::from_millis(300),
        session_ticks: 6,
        ..emrest_sim::SimConfig::small()
    });
    sim.vem()
        .args(["job", "SQL Backup", "start", "--wait"])
        .assert()
        .success();
    let reqs = sim.h().requests();
    let refused = reqs
        .iter()
        .position(|r| r.status == 401 && r.has_session_token);
    let refused = refused.expect("some request met an expired session");
    assert!(
        reqs[refused..]
            .iter()
            .any(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr")),
        "logged on again"
    );
    // Expired from outside, between two commands: each vem logs on anew.
    sim.h().expire_all_sessions();
    sim.vem().arg("servers").assert().success();
}

/// A TLS failure carries one piece of advice, in vem's terms: its flags, not the runtime's
/// builder methods.
#[test]
fn a_tls_error_carries_exactly_one_hint() {
    let sim = Sim::start(emrest_sim::SimConfig {
        tls: true,
        ..emrest_sim::SimConfig::small()
    });
    let out = sim.vem().arg("servers").output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).expect("utf-8");
    assert!(err.contains("TLS"), "{err}");
    assert_eq!(err.matches("not trusted").count(), 1, "one hint: {err}");
    assert_eq!(err.matches("--ca-file").count(), 1, "{err}");
    assert_eq!(err.matches("--pin-sha256").count(), 1, "{err}");
    assert!(!err.contains("ClientBuilder"), "no builder methods: {err}");
}

#[test]
fn tls_needs_trust() {
    let sim = Sim::start(emrest_sim::SimConfig {
        tls: true,
        ..emrest_sim::SimConfig::small()
    });
    assert!(sim.url().starts_with("https://"));
    sim.vem()
        .arg("servers")
        .assert()
        .code(1)
        .stderr(predicate::str::contains("TLS"))
        .stderr(predicate::str::contains("--ca-file"))
        .stderr(predicate::str::contains("--pin-sha256"));
    let pem = tmp("ca.pem");
    std::fs::write(&pem, sim.h().cert_pem().expect("pem")).expect("write pem");
    sim.vem()
        .args(["servers", "--ca-file"])
        .arg(&pem)
        .assert()
        .success();
    let fp = sim.h().fingerprint().expect("fingerprint").to_string();
    sim.vem()
        .args(["servers", "--pin-sha256", &fp])
        .assert()
        .success();
    let wrong = "00".repeat(32);
    sim.vem()
        .args(["servers", "--pin-sha256", &wrong])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("TLS"));
    sim.vem()
        .args(["servers", "--pin-sha256", "not-hex"])
        .assert()
        .code(2);
    sim.vem()
        .args(["servers", "--insecure"])
        .assert()
        .success()
        .stderr(predicate::str::contains("warning: --insecure"));
    sim.vem()
        .args(["servers", "--insecure", "--pin-sha256", &fp])
        .assert()
        .code(2);
}

#[test]
fn wire_json_works_too() {
    let sim = Sim::start(emrest_sim::SimConfig {
        json_casing: emrest_sim::Casing::Camel,
        ..emrest_sim::SimConfig::small()
    });
    let jobs = sim.json(&["--wire", "json", "jobs"]);
    assert_eq!(array(&jobs).len(), sim.h().jobs().len());
    sim.vem()
        .args(["--wire", "json", "job", "SQL Backup", "start", "--wait"])
        .assert()
        .success();
    assert!(sim.h().requests().iter().all(|r| r
        .accept
        .as_deref()
        .unwrap_or("application/json")
        .contains("json")));
}

#[test]
fn usage_errors_exit_2() {
    vem().assert().code(2);
    vem().arg("bogus").assert().code(2);
    vem().args(["jobs", "--bogus"]).assert().code(2);
    vem().args(["--password", "x", "jobs"]).assert().code(2);
    vem()
        .arg("jobs")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("VEM_SERVER"));
    vem()
        .args(["jobs", "--server", "127.0.0.1:9"])
        .env("VEM_USER", "admin")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("VEM_PASSWORD"));
    vem()
        .args(["jobs", "--server", "ftp://x/"])
        .assert()
        .code(2);
    vem()
        .args(["sessions", "--limit", "-1", "--server", "x"])
        .assert()
        .code(2);
    vem()
        .arg("--help")
        .assert()
        .success()
        .stdout(predicate::str::contains("Exit codes"));
    vem().arg("--version").assert().success();
}

#[test]
fn connection_refused_is_exit_1() {
    // Nothing listens on port 9 of loopback.
    vem()
        .args([
            "servers",
            "--server",
            "http://127.0.0.1:9/api/",
            "--user",
            "admin",
        ])
        .env("VEM_PASSWORD", PASSWORD)
        .assert()
        .code(1)
        .stderr(predicate::str::contains("cannot connect"));
}

#[test]
fn odd_arguments_do_not_panic() {
    let sim = Sim::small();
    // Each odd argument gets the exit code its outcome calls for (0 done, 1 refused by the
    // server or not found, 2 usage) and a message saying why, never a panic.
    for (args, code, says) in [
        (vec!["job", ""], 1, "no job named ``"),
        (vec!["job", "ä/../../x"], 1, "no job named `ä/../../x`"),
        (vec!["restore-points", "\"; DROP"], 0, "no restore points"),
        (
            vec!["sessions", "--job", "\"quoted\" name,with;grammar"],
            0,
            "",
        ),
        (vec!["task", "task-999999"], 1, "HTTP 404"),
        (vec!["task", "a/b"], 2, "is not an ID"),
        (
            vec!["call", "Job", "..", "Start"],
            1,
            "does not offer a `Start` link",
        ),
        (
            vec![
                "call",
                "Job",
                "https://elsewhere.invalid/api/jobs/x",
                "Start",
            ],
            1,
            "HTTP 404",
        ),
        (vec!["query", "Job", "--filter", ""], 0, ""),
        (
            vec!["--timeout", "0s", "job", "SQL Backup", "start", "--wait"],
            1,
            "timed out",
        ),
    ] {
        let out = sim.vem().args(&args).output().expect("runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}

// ---------------------------------------------------------------------------------------
// the README

/// Splits a shell command line into words: single quotes literal, double quotes with `\"`
/// and `\\`, no expansion.
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                for c in chars.by_ref() {
                    if c == '\'' {
                        break;
                    }
                    cur.push(c);
                }
            }
            '"' => {
                in_word = true;
                while let Some(c) = chars.next() {
                    match c {
                        '"' => break,
                        '\\' if matches!(chars.peek(), Some('"') | Some('\\')) => {
                            cur.push(chars.next().unwrap_or('\\'))
                        }
                        c => cur.push(c),
                    }
                }
            }
            '#' if !in_word => break,
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        words.push(cur);
    }
    words
}

/// Every `vem …` line of the README's `sh` blocks.
fn readme_vem_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let mut out = Vec::new();
    let mut in_sh = false;
    for line in readme.lines() {
        let t = line.trim();
        if t.starts_with("```") {
            in_sh = !in_sh && t == "```sh";
            continue;
        }
        if in_sh && t.starts_with("vem ") {
            out.push(t.to_string());
        }
    }
    out
}

#[test]
fn readme_starts_with_the_setup_commands() {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let first_block: Vec<&str> = readme
        .split("```sh")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .map(|b| b.lines().map(str::trim).filter(|l| !l.is_empty()).collect())
        .unwrap_or_default();
    assert_eq!(
        first_block,
        ["cargo run -p vem -- demo", "cargo test --workspace"]
    );
    let ci = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.ci/run"))
        .expect(".ci/run");
    assert!(ci.contains("cargo test --workspace"));
}

#[test]
fn readme_vem_commands_work_as_written() {
    let cmds = readme_vem_commands();
    assert!(cmds.len() >= 20, "{cmds:?}");
    // The README's examples run against the default data set, history ending now.
    let sim = Sim::start(emrest_sim::SimConfig {
        anchor: now(),
        session_ticks: 3,
        ..emrest_sim::SimConfig::default()
    });
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    for line in &cmds {
        let words = shell_words(line);
        assert_eq!(words[0], "vem");
        let out = sim
            .vem()
            .current_dir(&root)
            .args(&words[1..])
            .output()
            .expect("runs");
        assert!(
            out.status.success(),
            "README command failed: {line}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            !stdout.trim().is_empty(),
            "README command printed nothing: {line}"
        );
        assert_ne!(
            stdout.trim(),
            "(none)",
            "README command found nothing: {line}"
        );
    }
    assert!(sim.h().job_starts(&sim.job_id("SQL Backup")) >= 1);
}

#[test]
fn shell_words_split_like_sh() {
    assert_eq!(
        shell_words(r#"vem job "SQL Backup" --x 'a;b==c' "q\"d" # note"#),
        ["vem", "job", "SQL Backup", "--x", "a;b==c", "q\"d"]
    );
}

/// `--tenant` logs on as a Cloud Connect tenant: the name and password travel in a
/// `LoginSpec` body, not as HTTP Basic, and the session is the tenant's (its `/cloud`, no
/// jobs). The same account through Basic, or a wrong password, is refused.
#[test]
fn a_tenant_logs_on_with_a_login_spec() {
    let sim = Sim::small();
    let cloud = format!("{}cloud", sim.url());
    let tenant = |password: &str| {
        let mut c = sim.vem();
        c.env("VEM_USER", "tenant").env("VEM_PASSWORD", password);
        c
    };
    let out = tenant("tenant-secret")
        .args([
            "--tenant",
            "--json",
            "call",
            "CloudConnectService",
            &cloud,
            "Down",
        ])
        .args(["--method", "hardware_plans"])
        .output()
        .expect("runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(out.status.success(), "{stderr}");
    let plans: Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(
        plans["Refs"].as_array().is_some_and(|r| !r.is_empty()),
        "{stdout}"
    );
    assert!(!stdout.contains("tenant-secret") && !stderr.contains("tenant-secret"));
    let logons: Vec<_> = sim
        .h()
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
        .collect();
    assert_eq!(logons.len(), 1);
    assert!(!logons[0].has_authorization, "no Basic credentials");
    let body = logons[0].body.as_deref().unwrap_or_default();
    assert!(
        body.contains("TenantCredentials") && body.contains("tenant"),
        "{body}"
    );

    // The tenant's session has no jobs; Basic with the tenant's account, or a wrong
    // password, is refused at logon.
    tenant("tenant-secret")
        .args(["--tenant", "jobs"])
        .assert()
        .failure()
        .stderr(predicate::str::contains("does not offer"));
    for (args, password) in [
        (&["jobs"][..], "tenant-secret"),
        (&["--tenant", "jobs"][..], "wrong"),
    ] {
        tenant(password)
            .args(args)
            .assert()
            .failure()
            .stderr(predicate::str::contains("logon refused"));
    }
}
