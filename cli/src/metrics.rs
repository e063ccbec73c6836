//! `vem metrics`: EM's jobs, repositories and backup servers as Prometheus metrics,
//! printed once, written atomically for node_exporter's textfile collector, or served on
//! `/metrics` (one EM round per scrape, bounded in time, the last good values kept when EM
//! does not answer).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use emrest::runtime::DateTime;
use emrest::{BackupJobSession, Job, SessionOps, SessionState};
use futures::{StreamExt, TryStreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::args::{Global, MetricsArgs};
use crate::conn::{parse_duration, Account};
use crate::error::{CliError, Result};
use crate::everyday::parse_since;
use crate::exposition::{render, Family, CONTENT_TYPE};
use crate::output::{note, print_text, real_time};
use crate::profiles::Profile;

/// Value of `veeam_em_job_last_result` for each result word.
fn result_code(r: &str) -> f64 {
    match r.to_ascii_lowercase().as_str() {
        "success" => 0.0,
        "warning" => 1.0,
        "failed" => 2.0,
        _ => -1.0,
    }
}

fn secs(t: Option<&DateTime>) -> Option<f64> {
    real_time(t)
        .and_then(DateTime::unix_seconds)
        .map(|s| s as f64)
}

/// The `Name` of the representation's `Up` link of type `ty`, or empty.
fn up_name(links: Option<&emrest::Links>, ty: &str) -> String {
    crate::everyday::up_name(links, ty).unwrap_or_default()
}

/// One EM round: the data families (without `veeam_em_up` and the scrape gauges).
pub async fn collect(em: &emrest::Session, since: &DateTime) -> Result<Vec<Family>> {
    let servers = em.backup_server_entities().await?.backup_server;
    let mut info = Family::gauge(
        "veeam_em_backup_server_info",
        "A backup server managed by Enterprise Manager (value 1), with its version.",
    );
    for s in &servers {
        info.push(
            vec![
                (
                    "backup_server",
                    s.name.as_deref().unwrap_or_default().into(),
                ),
                ("version", s.version.as_deref().unwrap_or_default().into()),
            ],
            1.0,
        );
    }

    let repos = em.repository_entities().await?.repository;
    let mut cap = Family::gauge(
        "veeam_em_repository_capacity_bytes",
        "Capacity of a backup repository in bytes.",
    );
    let mut free = Family::gauge(
        "veeam_em_repository_free_bytes",
        "Free space of a backup repository in bytes.",
    );
    for r in &repos {
        let labels = vec![
            (
                "backup_server",
                up_name(r.links.as_ref(), "BackupServerReference"),
            ),
            ("repository", r.name.as_deref().unwrap_or_default().into()),
        ];
        cap.push(labels.clone(), r.capacity as f64);
        free.push(labels, r.free_space as f64);
    }

    let jobs: Vec<Job> = em
        .query::<Job>()
        .entities()
        .page_size(500)
        .stream()
        .try_collect()
        .await?;
    // The newest finished and any running backup session of each job in the window.
    let mut last: HashMap<String, BackupJobSession> = HashMap::new();
    let mut running: HashMap<String, usize> = HashMap::new();
    let stream = em
        .query::<BackupJobSession>()
        .entities()
        .filter(BackupJobSession::CREATION_TIME.ge(since.clone()))
        .sort_desc(BackupJobSession::CREATION_TIME)
        .page_size(500)
        .stream();
    futures::pin_mut!(stream);
    while let Some(s) = stream.try_next().await? {
        let Some(uid) = s.job_uid.as_deref().map(str::to_ascii_lowercase) else {
            continue;
        };
        if s.state.as_ref() != Some(&SessionState::Stopped) {
            *running.entry(uid).or_default() += 1;
        } else {
            last.entry(uid).or_insert(s);
        }
    }
    let mut result = Family::gauge(
        "veeam_em_job_last_result",
        "Result of the job's newest finished run in the window: 0 Success, 1 Warning, 2 Failed, -1 none.",
    );
    let mut start = Family::gauge(
        "veeam_em_job_last_run_start_timestamp_seconds",
        "Start of the job's newest finished run (unix seconds).",
    );
    let mut end = Family::gauge(
        "veeam_em_job_last_run_end_timestamp_seconds",
        "End of the job's newest finished run (unix seconds).",
    );
    let mut dur = Family::gauge(
        "veeam_em_job_last_run_duration_seconds",
        "Duration of the job's newest finished run in seconds.",
    );
    let mut next = Family::gauge(
        "veeam_em_job_next_run_timestamp_seconds",
        "Next scheduled run of the job (unix seconds).",
    );
    let mut sched = Family::gauge(
        "veeam_em_job_schedule_enabled",
        "1 when the job's schedule is enabled, else 0.",
    );
    let mut run_now = Family::gauge(
        "veeam_em_job_running_sessions",
        "Sessions of the job that have not stopped.",
    );
    for j in &jobs {
        let labels = vec![
            (
                "backup_server",
                up_name(j.links.as_ref(), "BackupServerReference"),
            ),
            ("job", j.name.as_deref().unwrap_or_default().into()),
            (
                "job_kind",
                j.job_type
                    .as_ref()
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
            ),
        ];
        let uid = j.uid.as_deref().unwrap_or("").to_ascii_lowercase();
        match last.get(&uid) {
            Some(s) => {
                let word = s.result.as_ref().map(|r| r.to_string()).unwrap_or_default();
                result.push(labels.clone(), result_code(&word));
                let a = secs(Some(&s.creation_time_utc));
                let b = secs(s.end_time_utc.as_ref());
                if let Some(a) = a {
                    start.push(labels.clone(), a);
                }
                if let Some(b) = b {
                    end.push(labels.clone(), b);
                }
                if let (Some(a), Some(b)) = (a, b) {
                    dur.push(labels.clone(), (b - a).max(0.0));
                }
            }
            None => result.push(labels.clone(), -1.0),
        }
        if let Some(n) = secs(j.next_run.as_ref()) {
            next.push(labels.clone(), n);
        }
        if let Some(e) = j.schedule_enabled {
            sched.push(labels.clone(), if e { 1.0 } else { 0.0 });
        }
        run_now.push(labels, running.get(&uid).copied().unwrap_or(0) as f64);
    }
    Ok(vec![
        info, cap, free, result, start, end, dur, next, sched, run_now,
    ])
}

/// The data of the last good round, and when it was taken.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    /// Families of the last good round.
    pub families: Vec<Family>,
    /// Unix seconds of the last good round.
    pub at: Option<f64>,
}

/// One EM server to scrape: its connection, its `server` label (with several profiles)
/// and its cache.
pub struct Target {
    /// The connection options.
    pub g: Global,
    /// Its label value (`None` for a single server: no `server` label).
    pub server: Option<String>,
    /// The account, or why it could not be read.
    pub account: std::result::Result<Account, String>,
    /// The last good values.
    pub cache: tokio::sync::Mutex<Cache>,
}

impl Target {
    /// A target for the connection of `g`.
    pub fn new(g: Global, server: Option<String>, limit: Duration) -> Target {
        let account = Account::read(&g, Some(limit)).map_err(|e| e.line());
        Target {
            g,
            server,
            account,
            cache: tokio::sync::Mutex::new(Cache::default()),
        }
    }
}

/// One scrape of a target: an EM round bounded by `limit`; on failure the cached families
/// with `veeam_em_up 0`. Returns the families and the error, if any.
pub async fn scrape(
    t: &Target,
    since: &DateTime,
    limit: Duration,
) -> (Vec<Family>, Option<CliError>) {
    let t0 = Instant::now();
    // One EM round at a time per server; a scrape that waited for another makes its own.
    let mut cache = t.cache.lock().await;
    let round = async {
        let account = t.account.as_ref().map_err(|e| CliError::usage(e.clone()))?;
        let em = account.logon(&t.g).await?;
        let r = collect(&em, since).await;
        let _ = em.logoff().await;
        r
    };
    let res = match tokio::time::timeout(limit, round).await {
        Ok(r) => r,
        Err(_) => Err(CliError::error(format!(
            "EM did not answer within {}s",
            limit.as_secs()
        ))),
    };
    let err = match res {
        Ok(f) => {
            cache.families = f;
            cache.at = DateTime::now_utc().unix_seconds().map(|s| s as f64);
            None
        }
        Err(e) => Some(e),
    };
    let mut families = cache.families.clone();
    let mut up = Family::gauge(
        "veeam_em_up",
        "1 when the last scrape reached Enterprise Manager and logged on, else 0.",
    );
    up.push(Vec::new(), if err.is_none() { 1.0 } else { 0.0 });
    let mut took = Family::gauge(
        "veeam_em_scrape_duration_seconds",
        "Time the last scrape of Enterprise Manager took, in seconds.",
    );
    took.push(Vec::new(), t0.elapsed().as_secs_f64());
    let mut good = Family::gauge(
        "veeam_em_last_success_timestamp_seconds",
        "When Enterprise Manager last answered a scrape (unix seconds); the other values are from then.",
    );
    if let Some(at) = cache.at {
        good.push(Vec::new(), at);
    }
    families.insert(0, up);
    families.insert(1, took);
    families.insert(2, good);
    if let Some(server) = &t.server {
        families = families
            .into_iter()
            .map(|f| f.with_label("server", server))
            .collect();
    }
    let err = err.map(|e| match &t.server {
        Some(s) => CliError {
            code: e.code,
            message: format!("{s}: {}", e.message),
        },
        None => e,
    });
    (families, err)
}

/// Scrapes every target (four at a time) into one exposition; the errors of those that
/// failed.
pub async fn scrape_all(
    targets: &[Target],
    since: &DateTime,
    limit: Duration,
) -> (String, Vec<CliError>) {
    // The futures are made first: a stream holding the closure would not be `Send`.
    let rounds: Vec<_> = targets.iter().map(|t| scrape(t, since, limit)).collect();
    let results: Vec<(Vec<Family>, Option<CliError>)> =
        futures::stream::iter(rounds).buffered(4).collect().await;
    let mut families = Vec::new();
    let mut errors = Vec::new();
    for (f, e) in results {
        families.extend(f);
        errors.extend(e);
    }
    (render(&families), errors)
}

/// Writes `text` to `path` atomically: a temporary file beside it, then a rename.
pub fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let name = path.file_name().ok_or_else(|| {
        CliError::usage(format!("--textfile {}: not a file name", path.display()))
    })?;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
    let tmp_name = format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id());
    let tmp = match dir {
        Some(d) => d.join(&tmp_name),
        None => Path::new(&tmp_name).to_path_buf(),
    };
    let fail = |what: &str, e: std::io::Error| {
        let _ = std::fs::remove_file(&tmp);
        CliError::error(format!("cannot {what} {}: {e}", path.display()))
    };
    std::fs::write(&tmp, text).map_err(|e| fail("write", e))?;
    std::fs::rename(&tmp, path).map_err(|e| fail("rename into", e))?;
    Ok(())
}

/// `vem metrics`, against the server of `g` or every profile given.
pub async fn metrics_cmd(
    g: &Global,
    a: &MetricsArgs,
    profiles: Option<Vec<Profile>>,
) -> Result<()> {
    let limit = parse_duration(&a.scrape_timeout)?;
    parse_since(&a.since)?;
    let targets: Vec<Target> = match profiles {
        None => {
            // A single server's options and password are checked before anything else.
            let account = Account::read(g, Some(limit))?;
            vec![Target {
                g: g.clone(),
                server: None,
                account: Ok(account),
                cache: tokio::sync::Mutex::new(Cache::default()),
            }]
        }
        Some(ps) => ps
            .iter()
            .map(|p| Target::new(p.apply(g), Some(p.name.clone()), limit))
            .collect(),
    };
    if let Some(addr) = &a.listen {
        return serve(targets, &a.since, addr, limit).await;
    }
    let since = parse_since(&a.since)?;
    let (text, errors) = scrape_all(&targets, &since, limit).await;
    match &a.textfile {
        Some(p) => write_atomic(p, &text)?,
        None => {
            print_text(&text);
        }
    }
    // The output says veeam_em_up 0; the exit code and standard error say why.
    let mut errors = errors.into_iter();
    match errors.next() {
        None => Ok(()),
        Some(first) => {
            for e in errors {
                note(format!("vem: {}", e.line()));
            }
            Err(first)
        }
    }
}

/// Serves `/metrics` until the process is stopped.
async fn serve(targets: Vec<Target>, since: &str, addr: &str, limit: Duration) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::error(format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| CliError::error(format!("cannot listen on {addr}: {e}")))?;
    note(format!("vem: serving metrics on http://{local}/metrics"));
    let shared = Arc::new((targets, since.to_string()));
    loop {
        let (sock, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                note(format!("vem: accept failed: {e}"));
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let (targets, since) = &*shared;
            let _ = tokio::time::timeout(
                limit + Duration::from_secs(15),
                answer(sock, targets, since, limit),
            )
            .await;
        });
    }
}

/// Answers one HTTP request: `GET /metrics`, `GET /`, else 404/405.
async fn answer(
    mut sock: tokio::net::TcpStream,
    targets: &[Target],
    since: &str,
    limit: Duration,
) -> std::io::Result<()> {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    // The request head only; a request body (there should be none) is not read.
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && !head.windows(2).any(|w| w == b"\n\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut buf))
            .await
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "slow request"))??;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
        if head.len() > 16 * 1024 {
            return reply(
                &mut sock,
                "431 Request Header Fields Too Large",
                "text/plain",
                "too large\n",
            )
            .await;
        }
    }
    let line = String::from_utf8_lossy(&head);
    let mut words = line.lines().next().unwrap_or("").split_whitespace();
    let (method, target) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    match (method, path) {
        ("GET", "/metrics") => {
            let since = parse_since(since).map_err(|e| std::io::Error::other(e.line()))?;
            let (text, errors) = scrape_all(targets, &since, limit).await;
            for e in errors {
                note(format!("vem: scrape failed: {}", e.line()));
            }
            reply(&mut sock, "200 OK", CONTENT_TYPE, &text).await
        }
        ("GET", "/") => {
            reply(
                &mut sock,
                "200 OK",
                "text/plain; charset=utf-8",
                "vem metrics: see /metrics\n",
            )
            .await
        }
        ("GET", _) => reply(&mut sock, "404 Not Found", "text/plain", "not found\n").await,
        _ => {
            reply(
                &mut sock,
                "405 Method Not Allowed",
                "text/plain",
                "only GET\n",
            )
            .await
        }
    }
}

async fn reply(
    sock: &mut tokio::net::TcpStream,
    status: &str,
    content_type: &str,
    body: &str,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await?;
    sock.write_all(body.as_bytes()).await?;
    sock.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_codes() {
        assert_eq!(result_code("Success"), 0.0);
        assert_eq!(result_code("warning"), 1.0);
        assert_eq!(result_code("Failed"), 2.0);
        assert_eq!(result_code("None"), -1.0);
    }

    #[test]
    fn textfile_is_replaced_whole() {
        let dir = std::env::temp_dir().join(format!("vem-metrics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("veeam.prom");
        write_atomic(&p, "a 1\n").unwrap();
        write_atomic(&p, "b 2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "b 2\n");
        // No temporary file is left beside it.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(write_atomic(&dir.join("no/such/dir/x.prom"), "x").is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
