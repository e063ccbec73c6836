//! Soak test (#7): 16 concurrent workers drive the generated client against em-sim with every
//! fault enabled at realistic rates, for a bounded number of iterations and a bounded time,
//! in three phases: XML, JSON with PascalCase properties (EM v12) and JSON with camelCase
//! (v13), each against its own em-sim.
//!
//! Workers share four logon sessions (four workers each), so a session expiry is met by
//! several callers at once. Each worker owns one backup job: only it starts that job, so the
//! job's counters in em-sim are the worker's alone. An iteration is one of
//!
//! - reads: the jobs collection, a job entity through its `Alternate` link, the job's
//!   sessions, the repositories;
//! - an action: `Start` on the owned job, the task waited to its end, then `Related` to the
//!   job session it created;
//! - paging: the owned job's sessions through the query service, 7 per page, to the end
//!   (half with the lazy stream, half page by page through the `Next` links).
//!
//! A share of the iterations (one in four) is cancelled: its future is dropped after a
//! random 1–120 ms, wherever it is (mid-request, mid-retry, mid-wait, mid-re-logon); half
//! the cancelled actions are cut 1–30 ms into their task wait instead. A task whose wait
//! was cancelled stays the worker's to observe later.
//!
//! Asserted, per phase: no panic anywhere; no action executed twice (em-sim's executed-start
//! counter and the start requests it received, against the starts the workers called); no
//! lost result (every start that returned a task was observed to its end, cancelled waits
//! included; every completed query read each page once: as many items as em-sim counts for
//! the filter, no UID twice); afterwards every session still works; once the client is
//! dropped no connection stays open at em-sim and the runtime has no more live tasks than
//! before the client existed. At the end: every kind of fault was injected, and bounded
//! memory (VmHWM; a missing `/proc` fails the test). Printed: requests, faults by kind,
//! retries, re-logons, cancellations, connections, outcomes.
//!
//! `EMREST_SOAK_SEED=N` picks another fault seed (default 7); `EMREST_SOAK_VERBOSE=1` prints
//! one message of each kind of error the workers saw. Run with `--nocapture` to see figures.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emrest::runtime::{Casing, Error, Format, RetryPolicy, WaitOptions};
use emrest::*;
use emrest_sim::{FaultKind, Faults, SimConfig, SimHandle};
use futures::TryStreamExt;

const WORKERS: usize = 16;
const SESSIONS: usize = 4;
/// Iterations per worker and phase.
const ITERATIONS: usize = 24;
/// No iteration of a phase starts after this; the test fails if the workers are not back
/// by `HANG_LIMIT`.
const TIME_BUDGET: Duration = Duration::from_secs(20);
const HANG_LIMIT: Duration = Duration::from_secs(50);
/// One iteration in `CANCEL_ONE_IN` is dropped after 1 to `CANCEL_MAX_MS` milliseconds.
const CANCEL_ONE_IN: u64 = 4;
const CANCEL_MAX_MS: u64 = 120;
const PAGE_SIZE: u32 = 7;
/// Bound on the test process's peak resident memory (em-sim included).
const MAX_HWM_MB: u64 = 300;
/// Attempts the test itself makes at something that failed (a wait, a read, a query).
const PATIENCE: usize = 8;

static PANICS: AtomicU64 = AtomicU64::new(0);
static RETRIES: AtomicU64 = AtomicU64::new(0);
static RELOGONS: AtomicU64 = AtomicU64::new(0);

/// Counts the runtime's own retry and re-logon events (figures only, never asserted: the
/// wording of log messages is not an API).
struct Counter;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for Counter {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if !event.metadata().target().starts_with("emrest_runtime") {
            return;
        }
        struct Msg(String);
        impl tracing::field::Visit for Msg {
            fn record_debug(&mut self, f: &tracing::field::Field, v: &dyn std::fmt::Debug) {
                if f.name() == "message" {
                    self.0 = format!("{v:?}");
                }
            }
        }
        let mut m = Msg(String::new());
        event.record(&mut m);
        if m.0.starts_with("retrying") {
            RETRIES.fetch_add(1, Ordering::Relaxed);
        } else if m.0.contains("logging on again") && !m.0.contains("failed") {
            RELOGONS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// What the workers saw.
#[derive(Default, Debug)]
struct Tally {
    iterations: u64,
    reads_ok: u64,
    reads_failed: u64,
    starts_called: u64,
    starts_ok: u64,
    starts_failed: u64,
    tasks_finished: u64,
    tasks_failed: u64,
    tasks_lost_with_session: u64,
    tasks_unresolved: u64,
    related_ok: u64,
    related_failed: u64,
    queries_completed: u64,
    queries_failed: u64,
    /// Iterations dropped mid-flight, and how many of them were actions.
    cancelled: u64,
    cancelled_actions: u64,
    /// Tasks whose wait was cancelled and that were observed to their end later.
    resumed_waits: u64,
    pages_read: u64,
    items_read: u64,
    /// Start calls and successful starts per job id.
    calls: BTreeMap<String, (u64, u64)>,
    errors: BTreeMap<String, u64>,
    /// The first message of each kind of error.
    samples: BTreeMap<String, String>,
    problems: Vec<String>,
}

impl Tally {
    fn error(&mut self, what: &str, e: &Error) {
        let k = format!("{what}: {}", kind(e));
        self.samples
            .entry(k.clone())
            .or_insert_with(|| e.to_string().chars().take(240).collect());
        *self.errors.entry(k).or_default() += 1;
    }
}

fn kind(e: &Error) -> String {
    match e {
        Error::Transport { kind, .. } => format!("transport ({kind})"),
        Error::Http { status, .. } => format!("HTTP {status}"),
        Error::Decode { .. } => "decode".into(),
        Error::Timeout { .. } => "timeout".into(),
        Error::TaskFailed { .. } => "task failed".into(),
        other => {
            let s = other.to_string();
            s.chars().take(60).collect()
        }
    }
}

/// Peak resident memory of this process (VmHWM), in MB; an error says why it is unknown.
fn vm_hwm_mb() -> Result<u64, String> {
    let s = std::fs::read_to_string("/proc/self/status")
        .map_err(|e| format!("cannot read /proc/self/status: {e}"))?;
    let line = s
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .ok_or("/proc/self/status has no VmHWM line")?;
    let kb: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .ok_or_else(|| format!("unreadable VmHWM line: {line}"))?;
    Ok(kb / 1024)
}

/// A started task not yet observed to its end (its wait was cancelled or not begun).
#[derive(Clone)]
struct Pending {
    task: Task,
    job: Job,
    /// The job's session count before the start, when known.
    before: Option<usize>,
    /// The wait was cancelled at least once.
    resumed: bool,
}

struct Worker {
    n: usize,
    em: Session,
    job_id: String,
    job: Option<Job>,
    pending: Option<Pending>,
    /// Cancel the next action's task wait after this long.
    cancel_wait: Option<Duration>,
    rng: u64,
    tally: Tally,
    sim: Arc<SimHandle>,
}

impl Worker {
    /// The owned job's entity (fetched once, retried: its links do not change).
    async fn job(&mut self) -> Option<Job> {
        if self.job.is_none() {
            for _ in 0..PATIENCE {
                let r = async {
                    let refs = self.em.jobs().await?;
                    let r = refs
                        .ref_
                        .iter()
                        .find(|r| {
                            r.href
                                .as_deref()
                                .is_some_and(|h| h.to_ascii_lowercase().contains(&self.job_id))
                        })
                        .cloned()
                        .ok_or_else(|| Error::LinkNotOffered {
                            rel: "Ref".into(),
                            type_: "EntityReferences".into(),
                            link_type: None,
                        })?;
                    r.alternate(&self.em).await
                }
                .await;
                match r {
                    Ok(j) => {
                        self.job = Some(j);
                        break;
                    }
                    Err(e) => self.tally.error("owned job", &e),
                }
            }
        }
        self.job.clone()
    }

    async fn reads(&mut self, i: usize) {
        let em = &self.em;
        let r: Result<(), Error> = async {
            let refs = em.jobs().await?;
            if refs.ref_.is_empty() {
                return Err(Error::LinkNotOffered {
                    rel: "Ref".into(),
                    type_: "EntityReferences".into(),
                    link_type: None,
                });
            }
            let r = &refs.ref_[(self.n + i) % refs.ref_.len()];
            let job = r.alternate(em).await?;
            if job.name != r.name {
                self.tally
                    .problems
                    .push(format!("alternate of {:?} is {:?}", r.name, job.name));
            }
            if job.job_type == Some(JobType::Backup) {
                job.backup_sessions(em).await?;
            }
            em.repositories().await?;
            Ok(())
        }
        .await;
        match r {
            Ok(()) => self.tally.reads_ok += 1,
            Err(e) => {
                self.tally.reads_failed += 1;
                self.tally.error("read", &e);
            }
        }
    }

    /// Number of the owned job's sessions, as the client sees them (for tasks whose logon
    /// session expired under them).
    async fn session_count(&mut self, job: &Job) -> Option<usize> {
        for _ in 0..PATIENCE {
            match job.backup_sessions(&self.em).await {
                Ok(l) => return Some(l.ref_.len()),
                Err(e) => self.tally.error("job sessions", &e),
            }
        }
        None
    }

    /// A number from 0 to `n - 1` (xorshift; deterministic per worker and seed).
    fn random(&mut self, n: u64) -> u64 {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % n
    }

    async fn action(&mut self) {
        // A task left by a cancelled wait is observed first.
        self.observe_pending().await;
        let Some(job) = self.job().await else {
            self.tally.problems.push(format!(
                "worker {}: could not read its job; no start",
                self.n
            ));
            return;
        };
        let before = self.session_count(&job).await;
        self.tally.starts_called += 1;
        self.tally.calls.entry(self.job_id.clone()).or_default().0 += 1;
        let task = match job.start(&self.em).await {
            Ok(t) => t,
            Err(e) => {
                // Maybe executed (reset after processing): reported, never re-sent.
                self.tally.starts_failed += 1;
                self.tally.error("start", &e);
                return;
            }
        };
        // From here on the task is the worker's until observed, even if this is cancelled.
        self.tally.starts_ok += 1;
        self.tally.calls.entry(self.job_id.clone()).or_default().1 += 1;
        self.pending = Some(Pending {
            task,
            job,
            before,
            resumed: false,
        });
        match self.cancel_wait.take() {
            Some(d) => {
                if tokio::time::timeout(d, self.observe_pending())
                    .await
                    .is_err()
                {
                    // The wait was dropped mid-flight; the task stays pending.
                    self.tally.cancelled += 1;
                    self.tally.cancelled_actions += 1;
                    if let Some(p) = self.pending.as_mut() {
                        p.resumed = true;
                    }
                }
            }
            None => self.observe_pending().await,
        }
    }

    /// Observes the pending task, if any, to its end. Every way out that ends the
    /// observation clears `pending` and counts the outcome in the same step (no await in
    /// between), so a cancellation can neither lose a task nor count one twice.
    async fn observe_pending(&mut self) {
        let Some(p) = self.pending.clone() else {
            return;
        };
        let Pending {
            task,
            job,
            before,
            resumed,
        } = p;
        let mut done = None;
        let mut lost = false;
        for _ in 0..PATIENCE {
            match task.wait(&self.em).await {
                Ok(t) => {
                    done = Some(t);
                    break;
                }
                Err(Error::TaskFailed { .. }) => {
                    // Finished without success (the job was still running): an end.
                    self.end_pending(resumed);
                    self.tally.tasks_failed += 1;
                    return;
                }
                Err(e @ Error::TaskLost { .. }) => {
                    // Tasks belong to the logon session; a session that expired under the
                    // wait took its tasks with it, and the re-logon's session has none.
                    self.tally.error("task wait", &e);
                    lost = true;
                    break;
                }
                Err(e) => self.tally.error("task wait", &e),
            }
        }
        if lost {
            // Observe the end through the job instead: the start made a new session.
            let after = self.session_count(&job).await;
            self.end_pending(resumed);
            match (before, after) {
                (Some(b), Some(a)) if a > b => self.tally.tasks_lost_with_session += 1,
                _ => {
                    self.tally.tasks_unresolved += 1;
                    self.tally.problems.push(format!(
                        "worker {}: task lost with its session and no new job session ({before:?} → {after:?})",
                        self.n
                    ));
                }
            }
            return;
        }
        self.end_pending(resumed);
        let Some(done) = done else {
            self.tally.tasks_unresolved += 1;
            self.tally
                .problems
                .push(format!("worker {}: task never observed to its end", self.n));
            return;
        };
        if done.state != TaskState::Finished {
            self.tally
                .problems
                .push(format!("worker {}: wait ended in {:?}", self.n, done.state));
        }
        self.tally.tasks_finished += 1;
        for attempt in 0..PATIENCE {
            match done.backup_job_session(&self.em).await {
                Ok(s) => {
                    self.tally.related_ok += 1;
                    if s.job_name != job.name {
                        self.tally.problems.push(format!(
                            "related session of {:?} belongs to {:?}",
                            job.name, s.job_name
                        ));
                    }
                    break;
                }
                Err(e) => {
                    self.tally.error("related", &e);
                    if attempt + 1 == PATIENCE {
                        self.tally.related_failed += 1;
                    }
                }
            }
        }
    }

    /// The pending task's observation ended.
    fn end_pending(&mut self, resumed: bool) {
        self.pending = None;
        if resumed {
            self.tally.resumed_waits += 1;
        }
    }

    /// The owned job's sessions through the query service, to the end. A query that fails
    /// half-way is counted as failed and started again (up to three times); a completed one
    /// must have read every page exactly once.
    async fn paging(&mut self, by_pages: bool) {
        let Some(uid) = self.job().await.and_then(|j| j.uid) else {
            return;
        };
        let filter = format!("JobUid==\"{uid}\"");
        for _ in 0..3 {
            // Only this worker starts its job, so the count cannot move during the query.
            let expected = self
                .sim
                .query_count("BackupJobSession", Some(&filter))
                .expect("em-sim counts");
            let query = self
                .em
                .query::<BackupJobSession>()
                .entities()
                .filter(BackupJobSession::JOB_UID.eq(uid.clone()))
                .page_size(PAGE_SIZE);
            let mut uids: Vec<String> = Vec::new();
            let mut pages = 0u64;
            let r: Result<(), Error> = if by_pages {
                async {
                    let mut page = query.first_page().await?;
                    let count = page.pages_count;
                    let mut expect_num = 1;
                    loop {
                        pages += 1;
                        if page.page_num != expect_num || page.pages_count != count {
                            self.tally.problems.push(format!(
                                "page {} of {} where {expect_num} of {count} was due",
                                page.page_num, page.pages_count
                            ));
                        }
                        uids.extend(
                            page.items
                                .iter()
                                .filter_map(|s| s.uid.as_deref().map(String::from)),
                        );
                        match page.next(&self.em).await? {
                            Some(next) => {
                                page = next;
                                expect_num += 1;
                            }
                            None => break,
                        }
                    }
                    if expect_num != count {
                        self.tally
                            .problems
                            .push(format!("paging stopped at page {expect_num} of {count}"));
                    }
                    Ok(())
                }
                .await
            } else {
                let stream = query.stream();
                futures::pin_mut!(stream);
                async {
                    while let Some(s) = stream.try_next().await? {
                        uids.push(s.uid.map(String::from).unwrap_or_default());
                    }
                    Ok(())
                }
                .await
            };
            match r {
                Ok(()) => {
                    if !by_pages {
                        pages = uids.len().div_ceil(PAGE_SIZE as usize) as u64;
                    }
                    let unique: HashSet<&String> = uids.iter().collect();
                    if uids.len() != expected || unique.len() != uids.len() {
                        self.tally.problems.push(format!(
                            "worker {}: query read {} items ({} distinct), em-sim counts {expected}",
                            self.n,
                            uids.len(),
                            unique.len()
                        ));
                    }
                    self.tally.queries_completed += 1;
                    self.tally.pages_read += pages;
                    self.tally.items_read += uids.len() as u64;
                    return;
                }
                Err(e) => {
                    self.tally.queries_failed += 1;
                    self.tally.error("query", &e);
                }
            }
        }
    }
}

async fn logon(client: &Client) -> Session {
    let mut last = None;
    for _ in 0..PATIENCE {
        match client.logon("admin", "admin").await {
            Ok(s) => return s,
            Err(e) => last = Some(e),
        }
    }
    panic!("cannot log on: {last:?}");
}

/// One phase of the soak: a wire format and, for JSON, the casing of em-sim and client.
#[derive(Debug, Clone, Copy)]
struct Phase {
    name: &'static str,
    format: Format,
    casing: Casing,
    sim_casing: emrest_sim::Casing,
}

const PHASES: [Phase; 3] = [
    Phase {
        name: "XML",
        format: Format::Xml,
        casing: Casing::Pascal,
        sim_casing: emrest_sim::Casing::Pascal,
    },
    Phase {
        name: "JSON PascalCase",
        format: Format::Json,
        casing: Casing::Pascal,
        sim_casing: emrest_sim::Casing::Pascal,
    },
    Phase {
        name: "JSON camelCase",
        format: Format::Json,
        casing: Casing::Camel,
        sim_casing: emrest_sim::Casing::Camel,
    },
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_under_every_fault_with_cancellation() {
    use tracing_subscriber::layer::SubscriberExt;
    use tracing_subscriber::Layer;
    // `Counter` sees the runtime's DEBUG events only.
    let _ = tracing::subscriber::set_global_default(
        tracing_subscriber::registry().with(
            Counter.with_filter(
                tracing_subscriber::filter::Targets::new()
                    .with_target("emrest_runtime", tracing::Level::DEBUG),
            ),
        ),
    );
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        hook(info);
    }));
    let seed: u64 = std::env::var("EMREST_SOAK_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(7);
    let mut all_faults: BTreeMap<FaultKind, u64> = BTreeMap::new();
    for (i, p) in PHASES.iter().enumerate() {
        for (k, v) in phase(*p, seed + i as u64).await {
            *all_faults.entry(k).or_default() += v;
        }
    }
    // Over the phases the run met every kind of fault.
    for k in FaultKind::ALL {
        assert!(
            all_faults.get(&k).copied().unwrap_or(0) > 0,
            "no {k} fault was injected"
        );
    }
    let hwm = vm_hwm_mb()
        .unwrap_or_else(|e| panic!("the memory bound cannot be checked without Linux /proc: {e}"));
    println!("soak: VmHWM {hwm} MB after the three phases (bound {MAX_HWM_MB} MB)");
    assert!(hwm < MAX_HWM_MB, "VmHWM {hwm} MB over {MAX_HWM_MB} MB");
}

/// Runs one phase against its own em-sim, asserts everything that holds per phase and
/// returns the faults injected.
async fn phase(p: Phase, seed: u64) -> BTreeMap<FaultKind, u64> {
    RETRIES.store(0, Ordering::Relaxed);
    RELOGONS.store(0, Ordering::Relaxed);
    let metrics = tokio::runtime::Handle::current().metrics();
    let sim = Arc::new(
        emrest_sim::spawn(SimConfig {
            task_polls: 2,
            session_ticks: 20,
            json_casing: p.sim_casing,
            ..SimConfig::default()
        })
        .await
        .expect("em-sim starts"),
    );
    // em-sim's own long-lived tasks start when its server first runs.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let tasks_before_client = metrics.num_alive_tasks();
    let backup_jobs: Vec<String> = sim
        .jobs()
        .into_iter()
        .filter(|j| j.job_type == "Backup")
        .map(|j| j.id.to_ascii_lowercase())
        .collect();
    assert!(backup_jobs.len() >= WORKERS, "one backup job per worker");

    let client = Client::builder(sim.url())
        .format(p.format)
        .json_casing(p.casing)
        .request_timeout(Duration::from_secs(3))
        .call_timeout(Duration::from_secs(15))
        .retry_policy(RetryPolicy {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(200),
        })
        .wait_options(WaitOptions {
            initial_interval: Duration::from_millis(5),
            max_interval: Duration::from_millis(50),
            deadline: Duration::from_secs(10),
        })
        .build()
        .expect("client builds");
    // The initial logons happen before the faults start, so that every later logon
    // em-sim sees is a re-logon.
    let mut sessions = Vec::new();
    for _ in 0..SESSIONS {
        sessions.push(logon(&client).await);
    }
    let initial_logon_posts = sim
        .requests()
        .iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
        .count();
    let faults = Faults::realistic(seed);
    sim.set_faults(faults.clone());

    let started = Instant::now();
    let stop_at = started + TIME_BUDGET;
    let tallies = Arc::new(Mutex::new(Vec::new()));
    let mut handles = Vec::new();
    for n in 0..WORKERS {
        let mut w = Worker {
            n,
            em: sessions[n % SESSIONS].clone(),
            job_id: backup_jobs[n].clone(),
            job: None,
            pending: None,
            cancel_wait: None,
            rng: (seed << 8) ^ (n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            tally: Tally::default(),
            sim: sim.clone(),
        };
        let tallies = tallies.clone();
        handles.push(tokio::spawn(async move {
            for i in 0..ITERATIONS {
                if Instant::now() >= stop_at {
                    break;
                }
                let mut cancel_after = (w.random(CANCEL_ONE_IN) == 0)
                    .then(|| Duration::from_millis(1 + w.random(CANCEL_MAX_MS)));
                let is_action = i % 4 == 0;
                if is_action && cancel_after.is_some() && w.random(2) == 0 {
                    // Half the cancelled actions are cut in their task wait instead.
                    cancel_after = None;
                    w.cancel_wait = Some(Duration::from_millis(1 + w.random(30)));
                }
                let iteration = async {
                    match i % 4 {
                        0 => w.action().await,
                        2 => w.paging((i / 4) % 2 == 1).await,
                        _ => w.reads(i).await,
                    }
                };
                let completed = match cancel_after {
                    // Dropping the future cancels it wherever it is.
                    Some(d) => tokio::time::timeout(d, iteration).await.is_ok(),
                    None => {
                        iteration.await;
                        true
                    }
                };
                if !completed {
                    w.tally.cancelled += 1;
                    if is_action {
                        w.tally.cancelled_actions += 1;
                    }
                    if let Some(p) = w.pending.as_mut() {
                        p.resumed = true;
                    }
                }
                w.tally.iterations += 1;
            }
            // A task whose wait was cancelled last is observed now, without cancelling.
            w.observe_pending().await;
            tallies.lock().unwrap().push(w.tally);
        }));
    }
    let mut join_panics = 0;
    let joined = tokio::time::timeout(HANG_LIMIT, async {
        for h in handles {
            if let Err(e) = h.await {
                if e.is_panic() {
                    join_panics += 1;
                }
            }
        }
    })
    .await;
    let elapsed = started.elapsed();
    sim.set_faults(Faults::none());
    assert!(
        joined.is_ok(),
        "{}: workers still running after {HANG_LIMIT:?}: a call hung",
        p.name
    );

    // ---- Gather.
    let mut t = Tally::default();
    for w in tallies.lock().unwrap().drain(..) {
        t.iterations += w.iterations;
        t.reads_ok += w.reads_ok;
        t.reads_failed += w.reads_failed;
        t.starts_called += w.starts_called;
        t.starts_ok += w.starts_ok;
        t.starts_failed += w.starts_failed;
        t.tasks_finished += w.tasks_finished;
        t.tasks_failed += w.tasks_failed;
        t.tasks_lost_with_session += w.tasks_lost_with_session;
        t.tasks_unresolved += w.tasks_unresolved;
        t.related_ok += w.related_ok;
        t.related_failed += w.related_failed;
        t.queries_completed += w.queries_completed;
        t.queries_failed += w.queries_failed;
        t.cancelled += w.cancelled;
        t.cancelled_actions += w.cancelled_actions;
        t.resumed_waits += w.resumed_waits;
        t.pages_read += w.pages_read;
        t.items_read += w.items_read;
        for (k, v) in w.calls {
            let e = t.calls.entry(k).or_default();
            e.0 += v.0;
            e.1 += v.1;
        }
        for (k, v) in w.errors {
            *t.errors.entry(k).or_default() += v;
        }
        for (k, v) in w.samples {
            t.samples.entry(k).or_insert(v);
        }
        t.problems.extend(w.problems);
    }
    let requests = sim.requests();
    let counts = sim.fault_counts();
    let log = sim.fault_log();
    // Starts per job as em-sim saw them: received (every start request that reached it,
    // including those answered 401, 500/503 or dropped) and executed.
    let is_start = |r: &&emrest_sim::RecordedRequest, job: &str| {
        r.method == "POST"
            && r.path
                .to_ascii_lowercase()
                .ends_with(&format!("/jobs/{job}"))
            && r.query
                .as_deref()
                .is_some_and(|q| q.to_ascii_lowercase().contains("action=start"))
    };
    let mut dup_problems = Vec::new();
    let (mut received_total, mut executed_total) = (0, 0);
    for job in &backup_jobs {
        let (calls, ok) = t.calls.get(job).copied().unwrap_or((0, 0));
        let received: Vec<_> = requests.iter().filter(|r| is_start(r, job)).collect();
        let refused_401 = received.iter().filter(|r| r.status == 401).count() as u64;
        let accepted = received.iter().filter(|r| r.status == 202).count() as u64;
        let executed = sim.job_starts(job) as u64;
        received_total += received.len();
        executed_total += executed;
        if executed > calls {
            dup_problems.push(format!(
                "job {job}: executed {executed} starts for {calls} calls"
            ));
        }
        if executed < ok {
            dup_problems.push(format!(
                "job {job}: {ok} starts returned a task, {executed} ran"
            ));
        }
        if received.len() as u64 - refused_401 > calls {
            dup_problems.push(format!(
                "job {job}: {} start requests ({refused_401} refused with 401) for {calls} calls: re-sent",
                received.len()
            ));
        }
        if accepted != executed {
            dup_problems.push(format!(
                "job {job}: {accepted} starts answered 202, {executed} counted executed"
            ));
        }
    }
    let sessionmngr: Vec<_> = requests
        .iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
        .collect();
    let relogon_posts = sessionmngr.len() - initial_logon_posts;
    let relogons_created =
        sessionmngr.iter().filter(|r| r.status == 201).count() - initial_logon_posts;
    let expiries = counts.get(&FaultKind::SessionExpiry).copied().unwrap_or(0) as usize;
    // A logon that em-sim carried out but whose answer was broken on the way: the client
    // has to log on again, legitimately.
    let broken_logons = log
        .iter()
        .filter(|f| {
            f.method == "POST"
                && f.path.to_ascii_lowercase().contains("sessionmngr")
                && matches!(
                    f.kind,
                    FaultKind::ResetAfter
                        | FaultKind::TruncatedBody
                        | FaultKind::MalformedBody
                        | FaultKind::WrongContentType
                        | FaultKind::Trickle
                )
        })
        .count();
    let gets = requests.iter().filter(|r| r.method == "GET").count();

    // ---- Print.
    println!(
        "soak {}: {WORKERS} workers, {SESSIONS} shared sessions, seed {seed}, {elapsed:.1?}",
        p.name
    );
    println!(
        "  requests: {} received by em-sim ({gets} GET), {} iterations",
        requests.len(),
        t.iterations
    );
    let faults_line: Vec<String> = FaultKind::ALL
        .iter()
        .map(|k| format!("{k}={}", counts.get(k).copied().unwrap_or(0)))
        .collect();
    println!(
        "  faults injected: {} ({})",
        counts.values().sum::<u64>(),
        faults_line.join(" ")
    );
    println!(
        "  retries: {} (runtime retry events)",
        RETRIES.load(Ordering::Relaxed)
    );
    println!(
        "  re-logons: {relogon_posts} logon POSTs after the {initial_logon_posts} initial ones, {relogons_created} created a session; {} runtime re-logon events; {expiries} sessions expired, {broken_logons} logon answers broken",
        RELOGONS.load(Ordering::Relaxed)
    );
    println!("  reads: {} ok, {} failed", t.reads_ok, t.reads_failed);
    println!(
        "  starts: {} called, {} returned a task, {} failed or ambiguous; em-sim received {received_total}, executed {executed_total}",
        t.starts_called, t.starts_ok, t.starts_failed
    );
    println!(
        "  tasks: {} finished, {} finished unsuccessfully, {} lost with an expired session (end seen on the job), {} unresolved; related session {} ok, {} failed",
        t.tasks_finished,
        t.tasks_failed,
        t.tasks_lost_with_session,
        t.tasks_unresolved,
        t.related_ok,
        t.related_failed
    );
    println!(
        "  queries: {} completed ({} pages, {} items), {} failed and restarted",
        t.queries_completed, t.pages_read, t.items_read, t.queries_failed
    );
    println!(
        "  cancelled: {} iterations dropped mid-flight ({} actions); {} task waits cancelled and resumed to the end; {} logons abandoned by a cancelled caller",
        t.cancelled,
        t.cancelled_actions,
        t.resumed_waits,
        relogons_created.saturating_sub(expiries + broken_logons)
    );
    println!(
        "  panics: {} (hook) + {join_panics} (joined)",
        PANICS.load(Ordering::SeqCst)
    );
    println!("  errors seen by the workers:");
    for (k, v) in &t.errors {
        println!("    {v:5}  {k}");
        if std::env::var_os("EMREST_SOAK_VERBOSE").is_some() {
            println!(
                "           e.g. {}",
                t.samples.get(k).map_or("", String::as_str)
            );
        }
    }
    for p in t.problems.iter().chain(&dup_problems) {
        println!("  PROBLEM: {p}");
    }

    // ---- Assert.
    assert_eq!(PANICS.load(Ordering::SeqCst), 0, "{}: panics", p.name);
    assert_eq!(join_panics, 0, "worker panics");
    assert!(
        dup_problems.is_empty(),
        "duplicated actions: {dup_problems:#?}"
    );
    assert!(
        t.problems.is_empty(),
        "lost or wrong results: {:#?}",
        t.problems
    );
    assert_eq!(t.tasks_unresolved, 0);
    assert_eq!(
        t.starts_ok,
        t.tasks_finished + t.tasks_failed + t.tasks_lost_with_session,
        "every start that returned a task was observed to its end"
    );
    // Non-owned jobs were never started.
    for j in sim.jobs() {
        if !backup_jobs[..WORKERS].contains(&j.id.to_ascii_lowercase()) {
            assert_eq!(sim.job_starts(&j.id), 0, "{}", j.name);
        }
    }
    // One re-logon per expired session, shared by the session's four workers (plus those
    // whose answer was broken on the way back, and those a cancelled caller was driving:
    // em-sim created the session, the answer was dropped with the call, and the next
    // caller logs on again).
    assert!(
        relogons_created <= expiries + broken_logons + t.cancelled as usize,
        "{relogons_created} re-logons for {expiries} expiries, {broken_logons} broken logon answers and {} cancelled calls",
        t.cancelled
    );
    // The run got work done, and cancelled some of it.
    assert!(t.queries_completed > 0 && t.tasks_finished > 0 && t.reads_ok > 0);
    assert!(t.cancelled > 0, "no iteration was cancelled");
    assert!(
        t.resumed_waits > 0,
        "no task wait was cancelled and resumed"
    );

    // ---- Afterwards: every session still works, and nothing is left behind.
    for (i, em) in sessions.iter().enumerate() {
        let mut last = None;
        let ok = async {
            for _ in 0..PATIENCE {
                match em.jobs().await {
                    Ok(j) => return !j.ref_.is_empty(),
                    Err(e) => last = Some(e.to_string()),
                }
            }
            false
        }
        .await;
        assert!(ok, "{}: session {i} no longer works: {last:?}", p.name);
    }
    drop(sessions);
    drop(client);
    let settle = Instant::now();
    while (sim.connections().open > 0 || metrics.num_alive_tasks() > tasks_before_client)
        && settle.elapsed() < Duration::from_secs(5)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let conns = sim.connections();
    let tasks_after = metrics.num_alive_tasks();
    println!(
        "  connections: {} accepted, peak {} open, {} open after the client was dropped; live tokio tasks {tasks_before_client} before the client, {tasks_after} after",
        conns.accepted, conns.peak_open, conns.open
    );
    assert_eq!(conns.open, 0, "{}: connections leaked: {conns:?}", p.name);
    assert!(
        tasks_after <= tasks_before_client,
        "{}: tasks leaked: {tasks_after} alive, {tasks_before_client} before the client",
        p.name
    );
    counts
}
