//! `vem check`: monitoring-plugin checks of job results, repository space, long-running
//! sessions and backup servers. Whatever goes wrong before a state is known (no server,
//! no logon, a timeout, a bad option) is UNKNOWN with the reason, exit 3.

use std::collections::HashMap;
use std::time::Duration;

use emrest::runtime::{DateTime, Filter};
use emrest::{BackupJobSession, BackupServer, Job, JobType, ReplicaJobSession, Repository};
use emrest::{SessionOps, SessionState};
use futures::{StreamExt, TryStreamExt};

use crate::args::{CheckArgs, CheckWhat, Global};
use crate::conn::parse_duration;
use crate::error::{CliError, Result};
use crate::everyday::{parse_enum, parse_since, up_name};
use crate::output::{human_bytes, human_duration, real_time, short_time};
use crate::plugin::{Perf, Report, Status, Thresholds};
use crate::profiles::Profile;
use crate::range::Range;

/// Runs a check (on every profile given, four at a time) and prints its report; returns
/// the exit code.
pub async fn check_main(g: &Global, a: &CheckArgs, profiles: Option<&[Profile]>) -> u8 {
    let report = match profiles {
        None => match check_report(g, a).await {
            Ok(r) => r,
            Err(e) => Report::unknown(e.line()),
        },
        Some(ps) => {
            let reports: Vec<(String, Report)> = futures::stream::iter(ps)
                .map(|p| async move {
                    let r = match check_report(&p.apply(g), a).await {
                        Ok(r) => r,
                        Err(e) => Report::unknown(e.line()),
                    };
                    (p.name.clone(), r)
                })
                .buffered(4)
                .collect()
                .await;
            merge(reports)
        }
    };
    crate::output::print_text(&report.render());
    report.status.code()
}

/// One report of the reports of several servers: the worst state, each server's state on
/// the status line, perfdata labels and long output prefixed with the server's name.
pub fn merge(reports: Vec<(String, Report)>) -> Report {
    let mut status = Status::Ok;
    let mut perf = Vec::new();
    let mut long = Vec::new();
    let mut parts = Vec::new();
    for (server, r) in reports {
        status = status.worst(r.status);
        parts.push(if r.status == Status::Ok {
            format!("{server} OK")
        } else {
            format!("{server} {}: {}", r.status.word(), r.summary)
        });
        long.push(format!("[{server}] {}: {}", r.status.word(), r.summary));
        long.extend(r.long.into_iter().map(|l| format!("[{server}] {l}")));
        perf.extend(r.perf.into_iter().map(|mut p| {
            p.label = format!("{server}/{}", p.label);
            p
        }));
    }
    Report {
        status,
        summary: format!("{} server(s): {}", parts.len(), parts.join("; ")),
        perf,
        long,
    }
}

/// The report of one check against the server of `g`, bounded by `--max-time`.
pub async fn check_report(g: &Global, a: &CheckArgs) -> Result<Report> {
    let max = parse_duration(&a.max_time)?;
    let plan = Plan::new(&a.what)?;
    let work = async {
        let em = crate::conn::logon_within(g, Some(max)).await?;
        let r = plan.run(&em).await;
        let _ = em.logoff().await;
        r
    };
    match tokio::time::timeout(max, work).await {
        Ok(r) => r,
        Err(_) => Err(CliError::error(format!(
            "no answer from EM within --max-time {}",
            a.max_time
        ))),
    }
}

/// A check with its options read and checked (before anything is sent).
pub enum Plan {
    /// `check jobs`.
    Jobs {
        /// Start of the window.
        since: DateTime,
        /// Job-name pattern.
        name: Option<String>,
        /// Job types kept (empty: all).
        types: Vec<JobType>,
        /// State of a scheduled job without a run in the window.
        no_run: Status,
    },
    /// `check repositories`.
    Repositories {
        /// Warning threshold.
        warn: Option<Limit>,
        /// Critical threshold.
        crit: Option<Limit>,
        /// Repository-name pattern.
        name: Option<String>,
    },
    /// `check sessions`.
    Sessions {
        /// Warning: running longer than this.
        warn: Duration,
        /// Critical: running longer than this.
        crit: Option<Duration>,
    },
    /// `check backup-servers`.
    BackupServers {
        /// Warning: no new job session from a server with jobs for this long.
        stale: Duration,
    },
}

impl Plan {
    /// Reads the options of `what`.
    pub fn new(what: &CheckWhat) -> Result<Plan> {
        Ok(match what {
            CheckWhat::Jobs {
                since,
                name,
                type_,
                no_run,
            } => Plan::Jobs {
                since: parse_since(since)?,
                name: name.clone(),
                types: type_
                    .iter()
                    .map(|t| parse_enum::<JobType>("type", t, JobType::VALUES))
                    .collect::<Result<_>>()?,
                no_run: Status::parse(no_run)
                    .map_err(|e| CliError::usage(format!("--no-run: {e}")))?,
            },
            CheckWhat::Repositories {
                warning,
                critical,
                name,
            } => Plan::Repositories {
                warn: warning.as_deref().map(Limit::parse).transpose()?,
                crit: critical.as_deref().map(Limit::parse).transpose()?,
                name: name.clone(),
            },
            CheckWhat::Sessions {
                running_longer_than,
                critical_longer_than,
            } => Plan::Sessions {
                warn: parse_duration(running_longer_than)?,
                crit: critical_longer_than
                    .as_deref()
                    .map(parse_duration)
                    .transpose()?,
            },
            CheckWhat::BackupServers { stale } => Plan::BackupServers {
                stale: parse_duration(stale)?,
            },
        })
    }

    /// Runs the check on a logged-on session.
    pub async fn run(&self, em: &emrest::Session) -> Result<Report> {
        match self {
            Plan::Jobs {
                since,
                name,
                types,
                no_run,
            } => check_jobs(em, since, name.as_deref(), types, *no_run).await,
            Plan::Repositories { warn, crit, name } => {
                check_repositories(em, warn.as_ref(), crit.as_ref(), name.as_deref()).await
            }
            Plan::Sessions { warn, crit } => check_sessions(em, *warn, *crit).await,
            Plan::BackupServers { stale } => check_servers(em, *stale).await,
        }
    }
}

/// A used-space threshold: a range in percent (`80%`) or in bytes (`500GiB`, `2TB:`,
/// a bare number is bytes); each end of a range may carry its own unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limit {
    /// The range, in percent or bytes.
    pub range: Range,
    /// True for percent.
    pub percent: bool,
}

impl Limit {
    /// Parses `80%`, `@10:20%`, `500GiB`, `1.5TB:`, `1000000`.
    pub fn parse(s: &str) -> Result<Limit> {
        let t = s.trim();
        if let Some(body) = t.strip_suffix('%') {
            let range = Range::parse(body).map_err(CliError::usage)?;
            return Ok(Limit {
                range,
                percent: true,
            });
        }
        // Each end may carry its own unit: the ends are turned into bytes, then read as a
        // plain range.
        let (at, body) = match t.strip_prefix('@') {
            Some(b) => ("@", b),
            None => ("", t),
        };
        let ends: Vec<String> = body
            .splitn(2, ':')
            .map(|end| match end {
                "" | "~" => Ok(end.to_string()),
                e => in_bytes(e).map(crate::range::num),
            })
            .collect::<Result<_>>()?;
        let range = Range::parse(&format!("{at}{}", ends.join(":"))).map_err(CliError::usage)?;
        Ok(Limit {
            range,
            percent: false,
        })
    }

    /// The range in bytes for a repository of `capacity` bytes.
    pub fn bytes(&self, capacity: i64) -> Range {
        if self.percent {
            self.range.scaled(capacity as f64 / 100.0)
        } else {
            self.range
        }
    }
}

/// `500GiB`, `1.5TB`, `1000` (bytes) as a number of bytes.
fn in_bytes(s: &str) -> Result<f64> {
    const UNITS: [(&str, f64); 11] = [
        ("PiB", 1125899906842624.0),
        ("TiB", 1099511627776.0),
        ("GiB", 1073741824.0),
        ("MiB", 1048576.0),
        ("KiB", 1024.0),
        ("PB", 1e15),
        ("TB", 1e12),
        ("GB", 1e9),
        ("MB", 1e6),
        ("KB", 1e3),
        ("B", 1.0),
    ];
    let t = s.trim();
    let (num, k) = UNITS
        .iter()
        .find_map(|(u, k)| {
            t.len()
                .checked_sub(u.len())
                .filter(|&i| t.is_char_boundary(i) && t[i..].eq_ignore_ascii_case(u))
                .map(|i| (&t[..i], *k))
        })
        .unwrap_or((t, 1.0));
    match num.trim().parse::<f64>() {
        Ok(v) if v.is_finite() => Ok((v * k).round()),
        _ => Err(CliError::usage(format!(
            "`{s}` is not a size: use a percentage (80%) or bytes (500GiB, 2TB, 1000000)"
        ))),
    }
}

/// Case-insensitive glob: `*` any run of characters, `?` one character.
pub fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.to_lowercase().chars().collect();
    let t: Vec<char> = text.to_lowercase().chars().collect();
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

/// One run of a job, from a backup or a replica job session.
#[derive(Debug, Clone)]
pub struct Run {
    /// Start.
    pub created: Option<DateTime>,
    /// End (sentinel dates read as none).
    pub ended: Option<DateTime>,
    /// Not stopped yet.
    pub running: bool,
    /// Result word (`Success`, `Warning`, `Failed`, `None`).
    pub result: String,
    /// A retry of an earlier run.
    pub is_retry: bool,
    /// Failure message.
    pub message: Option<String>,
}

impl Run {
    fn from_backup(s: &BackupJobSession) -> Run {
        Run {
            created: real_time(Some(&s.creation_time_utc)).cloned(),
            ended: real_time(s.end_time_utc.as_ref()).cloned(),
            running: s.state.as_ref() != Some(&SessionState::Stopped),
            result: s.result.as_ref().map(|r| r.to_string()).unwrap_or_default(),
            is_retry: s.is_retry,
            message: s
                .failure_message
                .as_deref()
                .filter(|m| !m.trim().is_empty())
                .map(String::from),
        }
    }

    fn from_replica(s: &ReplicaJobSession) -> Run {
        Run {
            created: real_time(Some(&s.creation_time_utc)).cloned(),
            ended: real_time(s.end_time_utc.as_ref()).cloned(),
            running: !s
                .state
                .as_deref()
                .is_some_and(|st| st.eq_ignore_ascii_case("Stopped")),
            result: s.result.as_deref().unwrap_or_default().to_string(),
            is_retry: s.is_retry,
            message: None,
        }
    }
}

/// True for jobs that run continuously or follow other jobs (backup copy and the like):
/// a session still open is how they work, not a run that never finished.
pub fn continuous(t: Option<&JobType>) -> bool {
    matches!(
        t,
        Some(
            JobType::BackupCopy
                | JobType::ImmediateBackupCopy
                | JobType::Copy
                | JobType::BackupSync
        )
    )
}

/// The state of one job over the window, from its runs (newest first): the newest finished
/// run decides, so a retry that succeeded stands for the failed run it retried.
pub fn job_state(
    job: &Job,
    runs: &[Run],
    since: &DateTime,
    no_run: Status,
) -> (Status, &'static str, String) {
    let not_scheduled =
        job.schedule_configured == Some(false) || job.schedule_enabled == Some(false);
    let Some(newest) = runs.first() else {
        if not_scheduled {
            return (
                Status::Ok,
                "unscheduled",
                format!("no run since {} (not scheduled)", short_time(since)),
            );
        }
        return (
            no_run,
            "no_run",
            format!("no run since {}", short_time(since)),
        );
    };
    let Some(done) = runs.iter().find(|r| !r.running) else {
        let how = if continuous(job.job_type.as_ref()) {
            "running (continuous)"
        } else {
            "running"
        };
        return (
            Status::Ok,
            "running",
            format!(
                "{how} since {}",
                newest.created.as_ref().map(short_time).unwrap_or_default()
            ),
        );
    };
    let at = done
        .ended
        .as_ref()
        .or(done.created.as_ref())
        .map(|t| format!(" at {}", short_time(t)))
        .unwrap_or_default();
    let retried = if done.is_retry {
        let failed_before = runs
            .iter()
            .skip_while(|r| !std::ptr::eq(*r, done))
            .skip(1)
            .take_while(|r| r.is_retry || !r.result.eq_ignore_ascii_case("Success"))
            .count();
        format!(" (retry, after {failed_before} unsuccessful run(s))")
    } else {
        String::new()
    };
    let running_now = if newest.running && !std::ptr::eq(newest, done) {
        "; a new run is going on"
    } else {
        ""
    };
    let msg = done
        .message
        .as_deref()
        .map(|m| format!(": {m}"))
        .unwrap_or_default();
    let (status, key) = match done.result.to_ascii_lowercase().as_str() {
        "success" => (Status::Ok, "success"),
        "warning" => (Status::Warning, "warning"),
        "failed" => (Status::Critical, "failed"),
        _ => (Status::Warning, "warning"),
    };
    let word = if done.result.is_empty() || done.result.eq_ignore_ascii_case("None") {
        "stopped without a result".to_string()
    } else {
        done.result.clone()
    };
    (
        status,
        key,
        format!("{word}{at}{retried}{running_now}{msg}"),
    )
}

async fn check_jobs(
    em: &emrest::Session,
    since: &DateTime,
    name: Option<&str>,
    types: &[JobType],
    no_run: Status,
) -> Result<Report> {
    let jobs: Vec<Job> = em
        .query::<Job>()
        .entities()
        .page_size(500)
        .stream()
        .try_collect()
        .await?;
    let jobs: Vec<Job> = jobs
        .into_iter()
        .filter(|j| name.is_none_or(|p| j.name.as_deref().is_some_and(|n| glob(p, n))))
        .filter(|j| types.is_empty() || j.job_type.as_ref().is_some_and(|t| types.contains(t)))
        .collect();
    if jobs.is_empty() {
        return Ok(Report::unknown(format!(
            "no job matches{}{}",
            name.map(|n| format!(" --name {n}")).unwrap_or_default(),
            if types.is_empty() { "" } else { " --type" }
        )));
    }
    let window = BackupJobSession::CREATION_TIME.ge(since.clone());
    let mut runs: HashMap<String, Vec<Run>> = HashMap::new();
    let backup = em
        .query::<BackupJobSession>()
        .entities()
        .filter(window.clone())
        .sort_desc(BackupJobSession::CREATION_TIME)
        .page_size(500)
        .stream();
    futures::pin_mut!(backup);
    while let Some(s) = backup.try_next().await? {
        if let Some(uid) = &s.job_uid {
            runs.entry(uid.to_ascii_lowercase())
                .or_default()
                .push(Run::from_backup(&s));
        }
    }
    if jobs.iter().any(|j| j.job_type == Some(JobType::Replica)) {
        // Replica sessions have no typed query fields in the spec; the backup-session
        // field's filter text is the same.
        let replica = em
            .query::<ReplicaJobSession>()
            .entities()
            .filter(Filter::raw(window.to_query(
                &<emrest::Api as emrest::runtime::Api>::INFO.query.filter,
            )))
            .page_size(500)
            .stream();
        futures::pin_mut!(replica);
        while let Some(s) = replica.try_next().await? {
            if let Some(uid) = &s.job_uid {
                runs.entry(uid.to_ascii_lowercase())
                    .or_default()
                    .push(Run::from_replica(&s));
            }
        }
    }
    for list in runs.values_mut() {
        // Newest first, whatever order the pages came in (RFC 3339 UTC sorts as text).
        list.sort_by(|a, b| {
            let key = |r: &Run| r.created.as_ref().and_then(DateTime::unix_seconds);
            key(b).cmp(&key(a))
        });
    }
    let mut status = Status::Ok;
    let mut counts: Vec<(&'static str, usize)> = [
        "success",
        "warning",
        "failed",
        "no_run",
        "running",
        "unscheduled",
    ]
    .iter()
    .map(|k| (*k, 0))
    .collect();
    let mut lines: Vec<(Status, String)> = Vec::new();
    let mut names: HashMap<&'static str, Vec<String>> = HashMap::new();
    for j in &jobs {
        let key = j.uid.as_deref().unwrap_or("").to_ascii_lowercase();
        let list = runs.get(&key).map(Vec::as_slice).unwrap_or(&[]);
        let (st, k, text) = job_state(j, list, since, no_run);
        status = status.worst(st);
        if let Some(c) = counts.iter_mut().find(|(n, _)| *n == k) {
            c.1 += 1;
        }
        let name = j.name.as_deref().unwrap_or("?");
        if st != Status::Ok {
            names.entry(k).or_default().push(name.to_string());
        }
        lines.push((
            st,
            format!(
                "[{}] {name} ({}): {text}",
                st.word(),
                j.job_type
                    .as_ref()
                    .map(|t| t.to_string())
                    .unwrap_or_default()
            ),
        ));
    }
    // Problems first, worst first.
    lines.sort_by_key(|(s, _)| std::cmp::Reverse(s.rank()));
    let count = |k: &str| counts.iter().find(|(n, _)| *n == k).map_or(0, |c| c.1);
    let mut summary = format!("{} job(s) since {}", jobs.len(), short_time(since));
    let mut parts = Vec::new();
    for (k, what) in [
        ("failed", "failed"),
        ("warning", "warning"),
        ("no_run", "without a run"),
    ] {
        if let Some(list) = names.get(k) {
            parts.push(format!("{} {what} ({})", list.len(), name_list(list)));
        }
    }
    if parts.is_empty() {
        summary.push_str(&format!(
            ": {} success, {} running, {} unscheduled",
            count("success"),
            count("running"),
            count("unscheduled")
        ));
    } else {
        summary.push_str(": ");
        summary.push_str(&parts.join(", "));
    }
    let mut perf = vec![Perf::new("jobs", jobs.len() as f64, "")];
    for (k, n) in &counts {
        perf.push(Perf::new(*k, *n as f64, ""));
    }
    Ok(Report {
        status,
        summary,
        perf,
        long: lines.into_iter().map(|(_, l)| l).collect(),
    })
}

/// At most five names, then how many more.
fn name_list(names: &[String]) -> String {
    let mut s = names.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if names.len() > 5 {
        s.push_str(&format!(" and {} more", names.len() - 5));
    }
    s
}

async fn check_repositories(
    em: &emrest::Session,
    warn: Option<&Limit>,
    crit: Option<&Limit>,
    name: Option<&str>,
) -> Result<Report> {
    let repos: Vec<Repository> = em
        .repository_entities()
        .await?
        .repository
        .into_iter()
        .filter(|r| name.is_none_or(|p| r.name.as_deref().is_some_and(|n| glob(p, n))))
        .collect();
    if repos.is_empty() {
        return Ok(Report::unknown("no repository matches"));
    }
    let mut names: HashMap<String, usize> = HashMap::new();
    for r in &repos {
        *names
            .entry(r.name.as_deref().unwrap_or_default().to_string())
            .or_default() += 1;
    }
    let mut status = Status::Ok;
    let mut perf = Vec::new();
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    for r in &repos {
        let name = r.name.as_deref().unwrap_or("?").to_string();
        // Two repositories of the same name on different servers get the server's name.
        let label = if names.get(&name).copied().unwrap_or(0) > 1 {
            match up_name(r.links.as_ref(), "BackupServerReference") {
                Some(s) => format!("{s}/{name}"),
                None => name.clone(),
            }
        } else {
            name.clone()
        };
        // Capacity and free space are required by EM's schema; a capacity of 0 (a
        // repository EM cannot measure) is UNKNOWN below.
        let (cap, free) = (r.capacity, r.free_space);
        let used = cap.saturating_sub(free).max(0);
        let t = Thresholds {
            warn: warn.map(|l| l.bytes(cap)),
            crit: crit.map(|l| l.bytes(cap)),
        };
        let st = if cap <= 0 {
            Status::Unknown
        } else {
            t.status(used as f64)
        };
        status = status.worst(st);
        let pct = if cap > 0 {
            used as f64 * 100.0 / cap as f64
        } else {
            0.0
        };
        let text = format!(
            "{label}: {pct:.1}% used ({} of {}, {} free)",
            human_bytes(used),
            human_bytes(cap),
            human_bytes(free)
        );
        if st != Status::Ok {
            problems.push(format!("{label} {pct:.0}% used"));
        }
        lines.push(format!("[{}] {text}", st.word()));
        perf.push(Perf {
            label: label.clone(),
            value: used as f64,
            uom: "B",
            thresholds: t,
            min: Some(0.0),
            max: Some(cap as f64),
        });
    }
    let summary = if problems.is_empty() {
        format!("{} repositories within their thresholds", repos.len())
    } else {
        format!(
            "{} of {} repositories above their thresholds: {}",
            problems.len(),
            repos.len(),
            problems.join(", ")
        )
    };
    Ok(Report {
        status,
        summary,
        perf,
        long: lines,
    })
}

async fn check_sessions(
    em: &emrest::Session,
    warn: Duration,
    crit: Option<Duration>,
) -> Result<Report> {
    let now = DateTime::now_utc()
        .unix_seconds()
        .ok_or_else(|| CliError::error("cannot read the clock"))?;
    let stream = em
        .query::<BackupJobSession>()
        .entities()
        .filter(BackupJobSession::STATE.ne(SessionState::Stopped))
        .page_size(500)
        .stream();
    futures::pin_mut!(stream);
    let mut running: Vec<(String, i64)> = Vec::new();
    while let Some(s) = stream.try_next().await? {
        let Some(start) = real_time(Some(&s.creation_time_utc)).and_then(DateTime::unix_seconds)
        else {
            continue;
        };
        running.push((
            s.job_name.as_deref().unwrap_or("?").to_string(),
            (now - start).max(0),
        ));
    }
    running.sort_by_key(|(_, secs)| std::cmp::Reverse(*secs));
    let t = Thresholds {
        warn: Some(Range::parse(&warn.as_secs().to_string()).map_err(CliError::usage)?),
        crit: crit
            .map(|c| Range::parse(&c.as_secs().to_string()).map_err(CliError::usage))
            .transpose()?,
    };
    let mut status = Status::Ok;
    let mut lines = Vec::new();
    let mut long_ones = Vec::new();
    for (job, secs) in &running {
        let st = t.status(*secs as f64);
        status = status.worst(st);
        if st != Status::Ok {
            long_ones.push(format!("{job} ({})", human_duration(*secs)));
        }
        lines.push(format!(
            "[{}] {job}: running for {}",
            st.word(),
            human_duration(*secs)
        ));
    }
    let longest = running.first().map_or(0, |(_, s)| *s);
    let summary = if long_ones.is_empty() {
        format!(
            "{} session(s) running, none longer than {}",
            running.len(),
            human_duration(warn.as_secs() as i64)
        )
    } else {
        format!(
            "{} of {} running session(s) longer than {}: {}",
            long_ones.len(),
            running.len(),
            human_duration(warn.as_secs() as i64),
            long_ones.join(", ")
        )
    };
    let mut longest_perf = Perf::new("longest", longest as f64, "s");
    longest_perf.thresholds = t;
    Ok(Report {
        status,
        summary,
        perf: vec![Perf::new("running", running.len() as f64, ""), longest_perf],
        long: lines,
    })
}

async fn check_servers(em: &emrest::Session, stale: Duration) -> Result<Report> {
    let servers: Vec<BackupServer> = em.backup_server_entities().await?.backup_server;
    if servers.is_empty() {
        return Ok(Report::unknown("EM manages no backup server"));
    }
    let now = DateTime::now_utc()
        .unix_seconds()
        .ok_or_else(|| CliError::error("cannot read the clock"))?;
    let stale_secs = i64::try_from(stale.as_secs()).unwrap_or(i64::MAX);
    let mut status = Status::Ok;
    let mut lines = Vec::new();
    let mut problems = Vec::new();
    let mut perf = vec![Perf::new("servers", servers.len() as f64, "")];
    for s in &servers {
        let name = s.name.clone().unwrap_or_else(|| "?".into());
        let Some(uid) = s.uid.clone() else {
            status = status.worst(Status::Unknown);
            lines.push(format!("[UNKNOWN] {name}: EM gives it no UID"));
            continue;
        };
        let jobs = em
            .query::<Job>()
            .filter(Job::BACKUP_SERVER_UID.eq(uid.clone()))
            .page_size(1)
            .first_page()
            .await?;
        let newest = em
            .query::<BackupJobSession>()
            .entities()
            .filter(BackupJobSession::BACKUP_SERVER_UID.eq(uid))
            .sort_desc(BackupJobSession::CREATION_TIME)
            .page_size(1)
            .first_page()
            .await?;
        let last = newest
            .items
            .first()
            .and_then(|x| real_time(Some(&x.creation_time_utc)).cloned());
        let version = s
            .version
            .clone()
            .unwrap_or_else(|| "version unknown".into());
        let (st, text) = match (&last, jobs.items.is_empty()) {
            (_, true) => (Status::Ok, format!("{version}, no jobs")),
            (None, false) => (
                Status::Warning,
                format!("{version}: EM holds no job session from it (is it connected?)"),
            ),
            (Some(t), false) => {
                let age = t.unix_seconds().map_or(i64::MAX, |s| (now - s).max(0));
                perf.push(Perf {
                    label: format!("{name} last session age"),
                    value: age as f64,
                    uom: "s",
                    thresholds: Thresholds {
                        warn: Range::parse(&stale_secs.to_string()).ok(),
                        crit: None,
                    },
                    min: Some(0.0),
                    max: None,
                });
                if age > stale_secs {
                    (
                        Status::Warning,
                        format!(
                            "{version}: no new job session for {} (EM may have lost its connection)",
                            human_duration(age)
                        ),
                    )
                } else {
                    (
                        Status::Ok,
                        format!("{version}, newest job session {} ago", human_duration(age)),
                    )
                }
            }
        };
        status = status.worst(st);
        if st != Status::Ok {
            problems.push(format!("{name}: {text}"));
        }
        lines.push(format!("[{}] {name}: {text}", st.word()));
    }
    let summary = if problems.is_empty() {
        format!("{} backup server(s) reporting to EM", servers.len())
    } else {
        format!(
            "{} of {} backup server(s) silent: {}",
            problems.len(),
            servers.len(),
            problems.join("; ")
        )
    };
    Ok(Report {
        status,
        summary,
        perf,
        long: lines,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob("sql*", "SQL Backup"));
        assert!(glob("*backup", "SQL Backup"));
        assert!(glob("S?L Backup", "sql backup"));
        assert!(glob("*", ""));
        assert!(!glob("sql", "SQL Backup"));
        assert!(!glob("?", ""));
        assert!(glob("a*b*c", "aXXbYYc"));
        assert!(!glob("a*b*c", "aXXbYY"));
    }

    #[test]
    fn limits_in_percent_and_bytes() {
        let l = Limit::parse("80%").unwrap();
        assert!(l.percent);
        assert_eq!(l.bytes(1000).to_string(), "800");
        let b = Limit::parse("2GiB:").unwrap();
        assert!(!b.percent);
        assert_eq!(b.bytes(1).start, Some(2147483648.0));
        assert_eq!(Limit::parse("1000").unwrap().range.end, Some(1000.0));
        assert_eq!(Limit::parse("1.5kb").unwrap().range.end, Some(1500.0));
        assert!(Limit::parse("lots").is_err());
        assert!(Limit::parse("90:80%").is_err());
        let both = Limit::parse("@1KiB:2KB").unwrap().range;
        assert_eq!(
            (both.start, both.end, both.inside),
            (Some(1024.0), Some(2000.0), true)
        );
        assert_eq!(Limit::parse("~:1MB").unwrap().range.end, Some(1e6));
        assert!(Limit::parse("2TB:1TB").is_err());
    }

    fn job(kind: JobType, scheduled: bool) -> Job {
        Job {
            name: Some("J".into()),
            job_type: Some(kind),
            schedule_configured: Some(true),
            schedule_enabled: Some(scheduled),
            ..Default::default()
        }
    }

    fn run(t: &str, result: &str, retry: bool, running: bool) -> Run {
        Run {
            created: Some(DateTime(t.into())),
            ended: (!running).then(|| DateTime(t.into())),
            running,
            result: result.into(),
            is_retry: retry,
            message: None,
        }
    }

    #[test]
    fn a_successful_retry_stands_for_the_failed_run() {
        let since = DateTime("2025-01-01T00:00:00Z".into());
        let j = job(JobType::Backup, true);
        let runs = [
            run("2025-01-02T01:00:00Z", "Success", true, false),
            run("2025-01-02T00:00:00Z", "Failed", false, false),
        ];
        let (st, k, text) = job_state(&j, &runs, &since, Status::Warning);
        assert_eq!((st, k), (Status::Ok, "success"), "{text}");
        assert!(text.contains("retry"), "{text}");
        // A failed retry is still a failure.
        let runs = [
            run("2025-01-02T01:00:00Z", "Failed", true, false),
            run("2025-01-02T00:00:00Z", "Failed", false, false),
        ];
        assert_eq!(
            job_state(&j, &runs, &since, Status::Warning).0,
            Status::Critical
        );
    }

    #[test]
    fn no_run_and_running_states() {
        let since = DateTime("2025-01-01T00:00:00Z".into());
        let j = job(JobType::Backup, true);
        assert_eq!(job_state(&j, &[], &since, Status::Critical).1, "no_run");
        assert_eq!(
            job_state(&j, &[], &since, Status::Critical).0,
            Status::Critical
        );
        let off = job(JobType::Backup, false);
        assert_eq!(job_state(&off, &[], &since, Status::Critical).0, Status::Ok);
        let copy = job(JobType::BackupCopy, true);
        let open = [run("2025-01-02T00:00:00Z", "None", false, true)];
        let (st, _, text) = job_state(&copy, &open, &since, Status::Warning);
        assert_eq!(st, Status::Ok);
        assert!(text.contains("continuous"), "{text}");
        // A run going on does not hide the last finished result.
        let runs = [
            run("2025-01-03T00:00:00Z", "None", false, true),
            run("2025-01-02T00:00:00Z", "Warning", false, false),
        ];
        let (st, _, text) = job_state(&j, &runs, &since, Status::Ok);
        assert_eq!(st, Status::Warning);
        assert!(text.contains("new run"), "{text}");
    }
}
