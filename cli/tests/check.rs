//! `vem check`: the monitoring-plugin output (status line, perfdata, long output, exit
//! code) against em-sim, including outages that must be UNKNOWN (exit 3).

mod support;

use std::time::Duration;

use support::{closed_port, vem, Sim};

/// One run of a check: exit code, status line, long-output lines.
struct Plugin {
    code: i32,
    status: String,
    summary: String,
    perf: Vec<PerfItem>,
    long: Vec<String>,
}

#[derive(Debug)]
struct PerfItem {
    label: String,
    value: f64,
    uom: String,
    warn: String,
    crit: String,
    min: String,
    max: String,
}

/// Parses perfdata as the plugin guidelines define it: space-separated
/// `'label'=value[UOM];warn;crit;min;max`, labels quoted with `''` for a quote.
fn parse_perf(s: &str) -> Vec<PerfItem> {
    let mut items = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let (label, after) = if let Some(r) = rest.strip_prefix('\'') {
            let mut label = String::new();
            let mut chars = r.char_indices();
            let end = loop {
                match chars.next() {
                    Some((i, '\'')) => {
                        if r[i + 1..].starts_with('\'') {
                            label.push('\'');
                            chars.next();
                        } else {
                            break i + 1;
                        }
                    }
                    Some((_, c)) => label.push(c),
                    None => panic!("unterminated label in {s:?}"),
                }
            };
            (label, &r[end..])
        } else {
            let eq = rest.find('=').expect("label=");
            (rest[..eq].to_string(), &rest[eq..])
        };
        let after = after
            .strip_prefix('=')
            .unwrap_or_else(|| panic!("no = in {s:?}"));
        let end = after.find(' ').unwrap_or(after.len());
        let fields: Vec<&str> = after[..end].split(';').collect();
        let v = fields[0];
        let num_end = v
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-'))
            .unwrap_or(v.len());
        let get = |i: usize| fields.get(i).copied().unwrap_or("").to_string();
        items.push(PerfItem {
            label,
            value: v[..num_end]
                .parse()
                .unwrap_or_else(|_| panic!("value {v:?}")),
            uom: v[num_end..].to_string(),
            warn: get(1),
            crit: get(2),
            min: get(3),
            max: get(4),
        });
        rest = after[end..].trim_start();
    }
    items
}

fn run(mut cmd: assert_cmd::Command, args: &[&str]) -> Plugin {
    let out = cmd.arg("check").args(args).output().expect("runs");
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let mut lines = text.lines();
    let first = lines.next().unwrap_or_else(|| {
        panic!(
            "no output; stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let (head, perf) = match first.split_once(" | ") {
        Some((h, p)) => (h, parse_perf(p)),
        None => (first, Vec::new()),
    };
    let (status, summary) = head
        .split_once(": ")
        .unwrap_or_else(|| panic!("status line {first:?}"));
    assert!(
        ["OK", "WARNING", "CRITICAL", "UNKNOWN"].contains(&status),
        "status line {first:?}"
    );
    let code = out.status.code().expect("exit code");
    let expected = match status {
        "OK" => 0,
        "WARNING" => 1,
        "CRITICAL" => 2,
        _ => 3,
    };
    assert_eq!(code, expected, "exit code of {first:?}");
    assert!(
        !text.contains("panicked"),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Plugin {
        code,
        status: status.to_string(),
        summary: summary.to_string(),
        perf,
        long: lines.map(str::to_string).collect(),
    }
}

fn perf<'a>(p: &'a Plugin, label: &str) -> &'a PerfItem {
    p.perf
        .iter()
        .find(|i| i.label == label)
        .unwrap_or_else(|| panic!("no perfdata {label}: {:?}", p.perf))
}

#[test]
fn jobs_failed_last_run_is_critical_and_a_good_one_ok() {
    let sim = Sim::small();
    let all = run(sim.vem(), &["jobs", "--since", "24h"]);
    // em-sim's second job's last run failed.
    assert_eq!(all.status, "CRITICAL", "{}", all.summary);
    assert!(all.summary.contains("Exchange Backup"), "{}", all.summary);
    assert_eq!(perf(&all, "failed").value, 1.0);
    let jobs = perf(&all, "jobs").value as usize;
    assert_eq!(jobs, sim.h().jobs().len());
    assert_eq!(all.long.len(), jobs, "one long-output line a job");
    assert!(
        all.long[0].starts_with("[CRITICAL] Exchange Backup"),
        "{:?}",
        all.long
    );
    let sql = run(sim.vem(), &["jobs", "--name", "sql*"]);
    assert_eq!(sql.code, 0, "{}", sql.summary);
    assert_eq!(perf(&sql, "jobs").value, 1.0);
    let none = run(sim.vem(), &["jobs", "--name", "no such job"]);
    assert_eq!(none.status, "UNKNOWN");
    let types = run(sim.vem(), &["jobs", "--type", "Replica"]);
    assert!(
        types.long.iter().all(|l| l.contains("(Replica)")),
        "{:?}",
        types.long
    );
    assert!(!types.long.is_empty());
}

#[test]
fn a_successful_retry_clears_the_failed_run() {
    let sim = Sim::small();
    let before = run(sim.vem(), &["jobs", "--name", "Exchange Backup"]);
    assert_eq!(before.status, "CRITICAL");
    let out = sim
        .vem()
        .args(["job", "Exchange Backup", "retry", "--wait"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let after = run(sim.vem(), &["jobs", "--name", "Exchange Backup"]);
    assert_eq!(after.status, "OK", "{} {:?}", after.summary, after.long);
    assert!(after.long[0].contains("retry"), "{:?}", after.long);
}

#[test]
fn jobs_without_a_run_are_their_own_state() {
    let sim = Sim::small();
    // A window that starts in the future holds no run.
    let later = "2999-01-01T00:00:00Z";
    let w = run(sim.vem(), &["jobs", "--since", later]);
    assert_eq!(w.status, "WARNING", "{}", w.summary);
    assert!(w.summary.contains("without a run"), "{}", w.summary);
    assert_eq!(perf(&w, "no_run").value, perf(&w, "jobs").value);
    let c = run(
        sim.vem(),
        &["jobs", "--since", later, "--no-run", "critical"],
    );
    assert_eq!(c.code, 2);
    let o = run(sim.vem(), &["jobs", "--since", later, "--no-run", "ok"]);
    assert_eq!(o.code, 0);
}

#[test]
fn repositories_in_percent_and_bytes() {
    let sim = Sim::small();
    let ok = run(
        sim.vem(),
        &["repositories", "--warning", "100%", "--critical", "100%"],
    );
    assert_eq!(ok.status, "OK", "{}", ok.summary);
    assert!(!ok.perf.is_empty());
    for p in &ok.perf {
        assert_eq!(p.uom, "B", "{p:?}");
        assert_eq!(p.min, "0");
        let max: f64 = p.max.parse().expect("capacity");
        assert!(p.value <= max, "{p:?}");
        // 100% of the capacity, in bytes.
        assert_eq!(p.warn, p.max, "{p:?}");
    }
    let w = run(
        sim.vem(),
        &["repositories", "--warning", "1%", "--critical", "100%"],
    );
    assert_eq!(w.status, "WARNING");
    let c = run(sim.vem(), &["repositories", "--critical", "1KiB"]);
    assert_eq!(c.status, "CRITICAL");
    assert!(c.perf.iter().all(|p| p.crit == "1024"), "{:?}", c.perf);
    // `@` ranges alert inside: nothing is used between 0 and 1 byte.
    let inside = run(
        sim.vem(),
        &["repositories", "--warning", "@0:1B", "--critical", "@0:1B"],
    );
    assert_eq!(inside.status, "OK", "{}", inside.summary);
    let bad = run(sim.vem(), &["repositories", "--warning", "90:80%"]);
    assert_eq!(bad.status, "UNKNOWN");
    assert!(bad.summary.contains("above"), "{}", bad.summary);
}

#[test]
fn long_running_sessions() {
    let sim = Sim::start(emrest_sim::SimConfig {
        anchor: support::now(),
        // A started job stays Working for many requests.
        session_ticks: 1000,
        ..emrest_sim::SimConfig::small()
    });
    let idle = run(sim.vem(), &["sessions", "--running-longer-than", "8h"]);
    assert_eq!(idle.status, "OK", "{}", idle.summary);
    assert_eq!(perf(&idle, "running").value, 0.0);
    let out = sim
        .vem()
        .args(["job", "SQL Backup", "start"])
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::thread::sleep(Duration::from_millis(2100));
    let fine = run(sim.vem(), &["sessions", "--running-longer-than", "1h"]);
    assert_eq!(fine.status, "OK", "{}", fine.summary);
    assert_eq!(perf(&fine, "running").value, 1.0);
    let long = run(sim.vem(), &["sessions", "--running-longer-than", "1s"]);
    assert_eq!(long.status, "WARNING", "{}", long.summary);
    assert!(long.summary.contains("SQL Backup"), "{}", long.summary);
    let l = perf(&long, "longest");
    assert_eq!((l.uom.as_str(), l.warn.as_str()), ("s", "1"));
    assert!(l.value >= 2.0, "{l:?}");
    let crit = run(
        sim.vem(),
        &[
            "sessions",
            "--running-longer-than",
            "1s",
            "--critical-longer-than",
            "1s",
        ],
    );
    assert_eq!(crit.status, "CRITICAL");
}

#[test]
fn backup_servers_report_their_freshness() {
    let sim = Sim::small();
    let ok = run(sim.vem(), &["backup-servers"]);
    assert_eq!(ok.status, "OK", "{}", ok.summary);
    assert_eq!(perf(&ok, "servers").value, 2.0);
    assert_eq!(ok.long.len(), 2);
    let stale = run(sim.vem(), &["backup-servers", "--stale", "1s"]);
    assert_eq!(stale.status, "WARNING", "{}", stale.summary);
}

#[test]
fn outages_are_unknown() {
    // Nothing listens.
    let port = closed_port();
    let mut c = vem();
    c.env("VEM_SERVER", format!("http://127.0.0.1:{port}/api/"))
        .env("VEM_USER", "admin")
        .env("VEM_PASSWORD", "admin");
    let p = run(c, &["jobs"]);
    assert_eq!(p.status, "UNKNOWN");
    assert!(!p.summary.is_empty());
    // A wrong password.
    let sim = Sim::small();
    let mut c = sim.vem();
    c.env("VEM_PASSWORD", "wrong-secret");
    let p = run(c, &["repositories"]);
    assert_eq!(p.status, "UNKNOWN");
    assert!(p.summary.contains("logon"), "{}", p.summary);
    assert!(!p.summary.contains("wrong-secret"));
    // EM answers 503 to everything.
    sim.h().set_faults(emrest_sim::Faults {
        http_503: emrest_sim::Burst {
            trigger: emrest_sim::Trigger::parse("every:1").expect("trigger"),
            length: 1,
        },
        ..emrest_sim::Faults::none()
    });
    let p = run(sim.vem(), &["--max-time", "5s", "backup-servers"]);
    assert_eq!(p.status, "UNKNOWN", "{}", p.summary);
    // EM is too slow for --max-time.
    sim.h().set_faults(emrest_sim::Faults {
        latency: emrest_sim::Latency {
            trigger: emrest_sim::Trigger::parse("every:1").expect("trigger"),
            fixed: Duration::from_secs(3),
            jitter: Duration::ZERO,
        },
        ..emrest_sim::Faults::none()
    });
    let started = std::time::Instant::now();
    let p = run(sim.vem(), &["--max-time", "2s", "jobs"]);
    assert_eq!(p.status, "UNKNOWN", "{}", p.summary);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn usage_errors_are_unknown_too() {
    let sim = Sim::small();
    for args in [
        &["jobs", "--no-run", "maybe"][..],
        &["jobs", "--bogus"],
        &["jobs", "--since", "yesterday-ish"],
        &["sessions", "--running-longer-than", "8y"],
        &["repositories", "--warning", "lots"],
    ] {
        let p = run(sim.vem(), args);
        assert_eq!(p.status, "UNKNOWN", "{args:?}");
    }
}
