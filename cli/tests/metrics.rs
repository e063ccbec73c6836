//! `vem metrics`: the Prometheus text format, validated by an independent parser (the
//! `prometheus-parse` crate) plus checks of names, labels, HELP and TYPE; the textfile
//! written atomically; the `/metrics` server with its cache when EM goes away.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::{closed_port, now, tmp_dir, vem, Sim};

/// Validates `text` and returns the parsed samples.
fn validate(text: &str) -> prometheus_parse::Scrape {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("prometheus-parse reads it");
    // prometheus-parse skips lines it cannot read: every sample line must have become a
    // sample.
    let sample_lines: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .collect();
    assert_eq!(
        scrape.samples.len(),
        sample_lines.len(),
        "unread lines in:\n{text}"
    );
    assert!(text.ends_with('\n'));
    // Each family: `# HELP`, then `# TYPE`, then its samples, together, once.
    let mut seen: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    let mut lines = text.lines().peekable();
    while let Some(l) = lines.next() {
        if let Some(rest) = l.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().expect("name").to_string();
            assert!(!seen.contains(&name), "family {name} twice");
            let ty = lines.next().expect("TYPE after HELP");
            assert_eq!(ty, format!("# TYPE {name} gauge"), "TYPE of {name}");
            assert!(rest.len() > name.len() + 5, "HELP of {name} says nothing");
            seen.push(name.clone());
            current = Some(name);
            continue;
        }
        assert!(!l.starts_with('#'), "stray comment {l:?}");
        let name = l.split(['{', ' ']).next().expect("sample name");
        assert_eq!(
            Some(name),
            current.as_deref(),
            "sample outside its family: {l}"
        );
    }
    for s in &scrape.samples {
        assert!(s.metric.starts_with("veeam_em_"), "{}", s.metric);
        assert!(
            s.metric
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "{}",
            s.metric
        );
        assert!(
            s.labels.get("type").is_none(),
            "label `type` on {}",
            s.metric
        );
        assert!(
            scrape.docs.contains_key(&s.metric),
            "no HELP for {}",
            s.metric
        );
        if s.metric.contains("timestamp") || s.metric.contains("duration") {
            assert!(s.metric.ends_with("_seconds"), "{}", s.metric);
        }
        if s.metric.contains("capacity") || s.metric.contains("free") {
            assert!(s.metric.ends_with("_bytes"), "{}", s.metric);
        }
    }
    scrape
}

fn gauge(s: &prometheus_parse::Sample) -> f64 {
    match s.value {
        prometheus_parse::Value::Gauge(v) | prometheus_parse::Value::Untyped(v) => v,
        ref other => panic!("{} is not a gauge: {other:?}", s.metric),
    }
}

fn samples<'a>(s: &'a prometheus_parse::Scrape, name: &str) -> Vec<&'a prometheus_parse::Sample> {
    s.samples.iter().filter(|x| x.metric == name).collect()
}

#[test]
fn printed_metrics_are_valid_and_labelled() {
    let sim = Sim::small();
    let out = sim.vem().arg("metrics").output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("utf-8");
    let scrape = validate(&text);
    assert_eq!(gauge(samples(&scrape, "veeam_em_up")[0]), 1.0);
    assert!(gauge(samples(&scrape, "veeam_em_scrape_duration_seconds")[0]) >= 0.0);
    let jobs = sim.h().jobs().len();
    let results = samples(&scrape, "veeam_em_job_last_result");
    assert_eq!(results.len(), jobs);
    for r in &results {
        assert!(r.labels.get("job").is_some_and(|j| !j.is_empty()));
        assert!(r.labels.get("backup_server").is_some_and(|j| !j.is_empty()));
    }
    // em-sim's second job's last run failed, its first one's succeeded.
    let of = |job: &str| {
        results
            .iter()
            .find(|r| r.labels.get("job") == Some(job))
            .map(|r| gauge(r))
    };
    assert_eq!(of("Exchange Backup"), Some(2.0));
    assert_eq!(of("SQL Backup"), Some(0.0));
    // Times are unix seconds, not ages.
    let n = now() as f64;
    for name in [
        "veeam_em_job_last_run_start_timestamp_seconds",
        "veeam_em_job_last_run_end_timestamp_seconds",
    ] {
        let s = samples(&scrape, name);
        assert!(!s.is_empty(), "{name}");
        for x in s {
            let v = gauge(x);
            assert!(v > n - 11.0 * 86_400.0 && v <= n + 60.0, "{name} {v}");
        }
    }
    let caps = samples(&scrape, "veeam_em_repository_capacity_bytes");
    assert_eq!(caps.len(), 4);
    assert!(caps.iter().all(|c| gauge(c) > 0.0));
    assert_eq!(samples(&scrape, "veeam_em_backup_server_info").len(), 2);
}

#[test]
fn textfile_is_written_whole_and_says_down_when_em_is() {
    let sim = Sim::small();
    let dir = tmp_dir("textfile");
    let path = dir.join("veeam.prom");
    let out = sim
        .vem()
        .args(["metrics", "--textfile"])
        .arg(&path)
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let scrape = validate(&std::fs::read_to_string(&path).expect("written"));
    assert_eq!(gauge(samples(&scrape, "veeam_em_up")[0]), 1.0);
    let names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["veeam.prom"], "no temporary file is left");
    // EM unreachable: the file says so, the exit code too.
    let mut c = vem();
    c.env(
        "VEM_SERVER",
        format!("http://127.0.0.1:{}/api/", closed_port()),
    )
    .env("VEM_USER", "admin")
    .env("VEM_PASSWORD", "admin")
    .args(["metrics", "--textfile"])
    .arg(&path);
    let out = c.output().expect("runs");
    assert_eq!(out.status.code(), Some(1));
    let scrape = validate(&std::fs::read_to_string(&path).expect("written"));
    assert_eq!(gauge(samples(&scrape, "veeam_em_up")[0]), 0.0);
    assert!(samples(&scrape, "veeam_em_job_last_result").is_empty());
}

/// `vem metrics --listen` on a free port; returns the child and its address.
fn serve(sim: &Sim) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vem"))
        .args([
            "metrics",
            "--listen",
            "127.0.0.1:0",
            "--scrape-timeout",
            "5s",
        ])
        .env("VEM_SERVER", sim.url())
        .env("VEM_USER", "admin")
        .env("VEM_PASSWORD", "admin")
        .env("NO_COLOR", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vem starts");
    let mut err = BufReader::new(child.stderr.take().expect("piped"));
    let mut line = String::new();
    err.read_line(&mut line).expect("first line");
    let addr = line
        .trim()
        .strip_prefix("vem: serving metrics on http://")
        .and_then(|r| r.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    // Keep reading standard error so that vem never blocks on it.
    std::thread::spawn(move || {
        let _ = std::io::copy(&mut err, &mut std::io::sink());
    });
    (child, addr)
}

fn get(addr: &str, path: &str) -> (String, String) {
    let mut s = TcpStream::connect(addr).expect("connects");
    s.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    write!(s, "GET {path} HTTP/1.1\r\nHost: {addr}\r\n\r\n").expect("sends");
    let mut resp = String::new();
    s.read_to_string(&mut resp).expect("reads");
    let (head, body) = resp.split_once("\r\n\r\n").expect("head and body");
    (head.to_string(), body.to_string())
}

struct Kill(Child);

impl Drop for Kill {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn served_metrics_keep_the_last_good_values_when_em_goes_away() {
    let sim = Sim::small();
    let (child, addr) = serve(&sim);
    let _kill = Kill(child);
    let (head, body) = get(&addr, "/metrics");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4"),
        "{head}"
    );
    let first = validate(&body);
    assert_eq!(gauge(samples(&first, "veeam_em_up")[0]), 1.0);
    let logons = |sim: &Sim| {
        sim.h()
            .requests()
            .iter()
            .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
            .count()
    };
    let before = logons(&sim);
    let (_, again) = get(&addr, "/metrics");
    validate(&again);
    assert_eq!(logons(&sim), before + 1, "one EM round per scrape");
    assert_eq!(sim.h().logon_count(), 0, "each round logs off");
    let (head, _) = get(&addr, "/nope");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");
    sim.stop();
    let (head, body) = get(&addr, "/metrics");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let down = validate(&body);
    assert_eq!(gauge(samples(&down, "veeam_em_up")[0]), 0.0);
    assert_eq!(
        samples(&down, "veeam_em_job_last_result").len(),
        samples(&first, "veeam_em_job_last_result").len(),
        "the last good values are kept"
    );
    assert!(!samples(&down, "veeam_em_last_success_timestamp_seconds").is_empty());
}
