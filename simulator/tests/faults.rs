//! Fault injection: each kind on a schedule, counted, reproducible; off by default.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use emrest_runtime::Node;
use emrest_sim::{
    spawn, Burst, FaultKind, Faults, Latency, SimConfig, SimHandle, Trickle, Trigger,
};
use reqwest::{Client, StatusCode};

fn client() -> Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    // No pooling: a broken connection must not be reused by the next request.
    Client::builder().pool_max_idle_per_host(0).build().unwrap()
}

/// The body as an XML tree, if it is well-formed.
fn parse_xml(body: &[u8]) -> Option<Node> {
    emrest_sim::render::parse_xml(std::str::from_utf8(body).ok()?)
}

fn at(n: &[u64]) -> Trigger {
    Trigger::At(n.to_vec())
}

/// A small simulator with `faults`, and a token logged on with request 1.
async fn sim_with(faults: Faults) -> (SimHandle, Client, String) {
    let sim = spawn(SimConfig {
        faults,
        ..SimConfig::small()
    })
    .await
    .unwrap();
    let http = client();
    let r = http
        .post(format!("{}sessionMngr/?v=latest", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED, "request 1 is the logon");
    let token = r.headers()["x-restsvcsessionid"]
        .to_str()
        .unwrap()
        .to_string();
    (sim, http, token)
}

async fn get(
    http: &Client,
    sim: &SimHandle,
    token: &str,
    path: &str,
) -> reqwest::Result<reqwest::Response> {
    http.get(format!("{}{path}", sim.url()))
        .header("X-RestSvcSessionId", token)
        .send()
        .await
}

async fn start_job(
    http: &Client,
    sim: &SimHandle,
    token: &str,
    job: &str,
) -> reqwest::Result<reqwest::Response> {
    http.post(format!("{}jobs/{job}?action=start", sim.url()))
        .header("X-RestSvcSessionId", token)
        .header("Content-Length", "0")
        .send()
        .await
}

fn count(sim: &SimHandle, k: FaultKind) -> u64 {
    sim.fault_counts().get(&k).copied().unwrap_or(0)
}

#[tokio::test]
async fn faults_are_off_by_default_and_can_be_switched_on() {
    let (sim, http, token) = sim_with(Faults::none()).await;
    assert!(sim.faults().is_off());
    for _ in 0..20 {
        let r = get(&http, &sim, &token, "jobs").await.unwrap();
        assert_eq!(r.status(), 200);
        r.bytes().await.unwrap();
    }
    assert!(sim.fault_counts().is_empty());
    assert!(sim.fault_log().is_empty());
    // Request numbers go on: the 22nd request is the first after switching on.
    sim.set_faults(Faults {
        http_503: Burst {
            trigger: at(&[23]),
            length: 1,
        },
        ..Faults::none()
    });
    let statuses = [
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
    ];
    assert_eq!(statuses, [200, 503, 200]);
    assert_eq!(count(&sim, FaultKind::Http503), 1);
    sim.set_faults(Faults::none());
    assert!(sim.faults().is_off());
}

#[tokio::test]
async fn error_bursts_answer_error_documents_without_processing() {
    let (sim, http, token) = sim_with(Faults {
        http_500: Burst {
            trigger: at(&[3]),
            length: 2,
        },
        http_503: Burst {
            trigger: at(&[6]),
            length: 3,
        },
        ..Faults::none()
    })
    .await;
    let job = sim.job_id("SQL Backup").unwrap();
    let mut statuses = Vec::new();
    for i in 2..=10 {
        let r = if i == 4 {
            // A start hit by the burst is not executed.
            start_job(&http, &sim, &token, &job).await.unwrap()
        } else {
            get(&http, &sim, &token, "jobs").await.unwrap()
        };
        let s = r.status().as_u16();
        if s >= 500 {
            let body = r.text().await.unwrap();
            let node = parse_xml(body.as_bytes()).unwrap();
            assert_eq!(node.name, "Error");
            assert_eq!(node.attr("StatusCode"), Some(s.to_string().as_str()));
        }
        statuses.push(s);
    }
    assert_eq!(statuses, [200, 500, 500, 200, 503, 503, 503, 200, 200]);
    assert_eq!(sim.job_starts(&job), 0);
    assert_eq!(count(&sim, FaultKind::Http500), 2);
    assert_eq!(count(&sim, FaultKind::Http503), 3);
    // The refused requests are recorded with the status they got.
    let recorded: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(recorded[1..], statuses[..]);
}

#[tokio::test]
async fn reset_before_processing_executes_nothing() {
    let (sim, http, token) = sim_with(Faults {
        reset_before: at(&[2]),
        ..Faults::none()
    })
    .await;
    let job = sim.job_id("SQL Backup").unwrap();
    let err = start_job(&http, &sim, &token, &job).await.unwrap_err();
    assert!(!err.is_connect(), "{err:?}");
    assert_eq!(sim.job_starts(&job), 0);
    assert_eq!(count(&sim, FaultKind::ResetBefore), 1);
    let last = sim.requests().pop().unwrap();
    assert_eq!((last.method.as_str(), last.status), ("POST", 0));
    // The server goes on serving.
    assert_eq!(
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        200
    );
}

#[tokio::test]
async fn reset_after_processing_executes_the_action_once_and_answers_nothing() {
    let (sim, http, token) = sim_with(Faults {
        reset_after: at(&[2]),
        ..Faults::none()
    })
    .await;
    let job = sim.job_id("SQL Backup").unwrap();
    let err = start_job(&http, &sim, &token, &job).await.unwrap_err();
    assert!(!err.is_connect(), "{err:?}");
    assert_eq!(
        sim.job_starts(&job),
        1,
        "the start ran, its answer was lost"
    );
    assert_eq!(count(&sim, FaultKind::ResetAfter), 1);
    let log = sim.fault_log();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].seq, 2);
    assert_eq!(log[0].method, "POST");
    assert_eq!(log[0].query.as_deref(), Some("action=start"));
}

#[tokio::test]
async fn truncated_bodies_promise_more_than_they_send() {
    let (sim, http, token) = sim_with(Faults {
        truncated_body: at(&[2]),
        ..Faults::none()
    })
    .await;
    let r = get(&http, &sim, &token, "jobs").await.unwrap();
    assert_eq!(r.status(), 200);
    let declared = r.content_length().unwrap();
    assert!(declared > 100);
    let err = r.bytes().await.unwrap_err();
    assert!(
        err.is_body() || err.is_decode() || err.is_request(),
        "{err:?}"
    );
    assert_eq!(count(&sim, FaultKind::TruncatedBody), 1);
    let ok = get(&http, &sim, &token, "jobs").await.unwrap();
    assert_eq!(ok.content_length(), Some(declared));
    ok.bytes().await.unwrap();
}

#[tokio::test]
async fn malformed_bodies_do_not_parse() {
    let (sim, http, token) = sim_with(Faults {
        malformed_body: Trigger::Every(1),
        ..Faults::none()
    })
    .await;
    for path in [
        "jobs",
        "repositories",
        "jobs?format=Entity",
        "backupServers",
    ] {
        let r = get(&http, &sim, &token, path).await.unwrap();
        assert_eq!(r.status(), 200);
        let body = r.bytes().await.unwrap();
        assert!(
            parse_xml(&body).is_none(),
            "{path}: {}",
            String::from_utf8_lossy(&body)
        );
    }
    let r = http
        .get(format!("{}jobs", sim.url()))
        .header("X-RestSvcSessionId", &token)
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let body = r.bytes().await.unwrap();
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());
    // The logon's answer (request 1) was broken too.
    assert_eq!(count(&sim, FaultKind::MalformedBody), 6);
}

#[tokio::test]
async fn wrong_content_types_do_not_match_the_body() {
    let (sim, http, token) = sim_with(Faults {
        wrong_content_type: Trigger::Every(1),
        ..Faults::none()
    })
    .await;
    for _ in 0..6 {
        let r = get(&http, &sim, &token, "jobs").await.unwrap();
        let ct = r.headers()["content-type"].to_str().unwrap().to_string();
        assert!(!ct.contains("application/xml"), "{ct}");
        assert!(ct.contains("json") || ct.contains("html"), "{ct}");
        assert!(parse_xml(&r.bytes().await.unwrap()).is_some());
    }
    assert_eq!(count(&sim, FaultKind::WrongContentType), 7);
}

#[tokio::test]
async fn session_expiry_makes_the_request_a_401() {
    let (sim, http, token) = sim_with(Faults {
        session_expiry: at(&[3]),
        ..Faults::none()
    })
    .await;
    assert_eq!(
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        200
    );
    assert_eq!(sim.logon_count(), 1);
    assert_eq!(
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        401
    );
    assert_eq!(sim.logon_count(), 0);
    assert_eq!(
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        401
    );
    assert_eq!(count(&sim, FaultKind::SessionExpiry), 1);
}

#[tokio::test]
async fn trickled_and_delayed_answers_arrive_whole_but_slowly() {
    let (sim, http, token) = sim_with(Faults::none()).await;
    let normal = get(&http, &sim, &token, "jobs?format=Entity")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    sim.set_faults(Faults {
        trickle: Trickle {
            trigger: Trigger::Every(1),
            chunk: normal.len() / 10 + 1,
            interval: Duration::from_millis(20),
        },
        ..Faults::none()
    });
    let t = Instant::now();
    let slow = get(&http, &sim, &token, "jobs?format=Entity")
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    assert!(
        t.elapsed() >= Duration::from_millis(150),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(slow, normal);
    assert_eq!(count(&sim, FaultKind::Trickle), 1);
    sim.set_faults(Faults {
        latency: Latency {
            trigger: Trigger::Every(1),
            fixed: Duration::from_millis(120),
            jitter: Duration::from_millis(30),
        },
        ..Faults::none()
    });
    let t = Instant::now();
    assert_eq!(
        get(&http, &sim, &token, "jobs").await.unwrap().status(),
        200
    );
    let took = t.elapsed();
    assert!(took >= Duration::from_millis(120), "{took:?}");
    assert_eq!(count(&sim, FaultKind::Latency), 1);
}

#[tokio::test]
async fn decisions_depend_on_the_seed_and_the_request_number_only() {
    async fn run(seed: u64) -> Vec<(u64, FaultKind)> {
        let (sim, http, token) = sim_with(Faults::none()).await;
        sim.set_faults(Faults {
            seed,
            reset_after: Trigger::Rate(0.3),
            malformed_body: Trigger::Rate(0.3),
            ..Faults::none()
        });
        for _ in 0..30 {
            if let Ok(r) = get(&http, &sim, &token, "repositories").await {
                let _ = r.bytes().await;
            }
        }
        sim.fault_log().iter().map(|f| (f.seq, f.kind)).collect()
    }
    let a = run(7).await;
    assert!(!a.is_empty());
    assert_eq!(a, run(7).await);
    assert_ne!(a, run(8).await);
}

#[tokio::test]
async fn query_count_matches_the_query_service() {
    let (sim, http, token) = sim_with(Faults::none()).await;
    for job in ["SQL Backup", "Exchange Backup"] {
        // 1. The query service: with one item per page, the page count is the match count.
        let filter = format!("JobName==\"{job}\"");
        let r = get(
            &http,
            &sim,
            &token,
            &format!(
                "query?type=BackupJobSession&filter={}&pageSize=1",
                filter.replace('"', "%22").replace(' ', "%20")
            ),
        )
        .await
        .unwrap();
        let node = parse_xml(&r.bytes().await.unwrap()).unwrap();
        let pages: usize = node
            .child("PagingInfo")
            .and_then(|p| p.attr("PagesCount"))
            .unwrap()
            .parse()
            .unwrap();
        // 2. Another route to the same facts: the job's own session collection.
        let id = sim.job_id(job).expect("job exists");
        let r = get(&http, &sim, &token, &format!("jobs/{id}/backupSessions"))
            .await
            .unwrap();
        let listed = parse_xml(&r.bytes().await.unwrap())
            .unwrap()
            .children_named("Ref")
            .count();
        assert!(listed > 0, "{job} has sessions");
        assert_eq!(pages, listed, "{job}: query service vs the job's sessions");
        // 3. The helper under test agrees with both.
        assert_eq!(
            sim.query_count("BackupJobSession", Some(&filter)),
            Ok(listed)
        );
    }
    assert_eq!(sim.query_count("Job", None), Ok(sim.jobs().len()));
    assert!(sim.query_count("Nope", None).is_err());
    assert!(sim.query_count("Job", Some("Nope==1")).is_err());
}

#[test]
fn binary_takes_fault_flags() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_em-sim"))
        .args([
            "--size",
            "small",
            "--faults",
            "realistic",
            "--fault-seed",
            "3",
            "--fault-500",
            "at:1",
            "--fault-500-burst",
            "2",
            "--fault-expire",
            "off",
            "--latency-ms",
            "1",
            "--trickle-bytes",
            "64",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let first = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let url = first.strip_prefix("listening on ").unwrap().to_string();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let statuses: Vec<u16> = rt.block_on(async {
        let http = client();
        let mut v = Vec::new();
        for _ in 0..2 {
            v.push(http.get(&url).send().await.unwrap().status().as_u16());
        }
        v
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(statuses, [500, 500]);
    for bad in [
        ["--fault-500", "2.0"],
        ["--fault-reset-after", "every:x"],
        ["--faults", "chaos"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_em-sim"))
            .args(bad)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(bad[0]),
            "{bad:?}"
        );
    }
}

#[tokio::test]
async fn resets_break_tls_connections_too() {
    let sim = spawn(SimConfig {
        tls: true,
        faults: Faults {
            reset_after: at(&[2]),
            ..Faults::none()
        },
        ..SimConfig::small()
    })
    .await
    .unwrap();
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = Client::builder()
        .pool_max_idle_per_host(0)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    let ok = http.get(sim.url()).send().await.unwrap();
    assert_eq!(ok.status(), 200);
    ok.bytes().await.unwrap();
    let err = http.get(sim.url()).send().await.unwrap_err();
    assert!(!err.is_connect(), "{err:?}");
    assert_eq!(count(&sim, FaultKind::ResetAfter), 1);
    assert_eq!(http.get(sim.url()).send().await.unwrap().status(), 200);
}
