//! emrest-sim: a simulator of the Veeam Backup Enterprise Manager REST API (`/api/`, API 1.5–1.7)
//! on loopback, for tests, demos and benchmarks.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let sim = emrest_sim::spawn(emrest_sim::SimConfig::small()).await?;
//! println!("EM at {}", sim.url()); // http://127.0.0.1:PORT/api/
//! // ... drive it with any HTTP client: admin/admin, operator/operator ...
//! assert!(sim.requests().iter().all(|r| r.status < 500));
//! # Ok(()) }
//! ```
//!
//! Layout: [`data`] generates the seeded data set; `sim` holds the mutable state (logon
//! sessions, tasks, request log, action counters); `http` is the axum front; `api::*` are the
//! resource families (each builds its representations as `emrest_runtime::Node`s with its own
//! link tables); `render` is the single place where nodes become XML or JSON responses;
//! [`fault`] injects errors, delays, broken connections and expiries for reliability tests;
//! [`filter`] is the query grammar.

#![forbid(unsafe_code)]

mod api;
mod build;
mod conns;
pub mod data;
pub mod fault;
pub mod filter;
mod http;
#[doc(hidden)]
pub mod inproc;
pub mod mock;
mod page;
pub mod render;
mod sim;
pub mod spec;
pub mod store;
mod tls;
mod typed;
mod util;

use std::collections::BTreeMap;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub use conns::Connections;
pub use data::Size;
pub use fault::{Burst, FaultKind, Faults, InjectedFault, Latency, Trickle, Trigger};
pub use render::Casing;
pub use sim::{ExecutedAction, RecordedRequest};
pub use typed::untyped_answers;

use crate::conns::ConnCounter;
use crate::data::{Data, R_FAILED, R_SUCCESS, R_WARNING};
use crate::fault::{ConnCtl, FaultListener, FaultState};
use crate::http::Shared;
use crate::sim::{Behaviour, Sim};
use crate::util::Kind;

/// 2025-06-01T00:00:00Z: the default end of the generated history (keeps data deterministic).
pub const DEFAULT_ANCHOR: i64 = 1_748_736_000;

/// How to run the simulator.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Address to bind (default 127.0.0.1).
    pub bind: IpAddr,
    /// Port (0 = any free port).
    pub port: u16,
    /// Serve HTTPS with a fresh self-signed certificate.
    pub tls: bool,
    /// JSON property casing (v12 PascalCase or v13 camelCase).
    pub json_casing: Casing,
    /// Data-set size.
    pub size: Size,
    /// Logon-session idle timeout (EM: 15 minutes).
    pub idle_timeout: Duration,
    /// Seed of the data set.
    pub seed: u64,
    /// End of the generated history and start of the simulated clock (Unix seconds).
    pub anchor: i64,
    /// Polls (`GET /tasks/{ID}`) a new task answers `Running` before `Finished`.
    pub task_polls: u32,
    /// Authenticated requests a started job or restore session stays `Working`.
    pub session_ticks: u32,
    /// Fault injection (all off by default; see [`Faults`]).
    pub faults: Faults,
    /// Answer as a newer EM would, with undeclared attributes and elements in the
    /// representations (off by default; `--newer-content`).
    pub newer_content: bool,
    /// Answer 404 to the entry point `GET /api/` (a gateway exposing only `sessionMngr`);
    /// off by default; `--no-entry-point`.
    pub no_entry_point: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 0,
            tls: false,
            json_casing: Casing::Pascal,
            size: Size::Default,
            idle_timeout: Duration::from_secs(900),
            seed: 1,
            anchor: DEFAULT_ANCHOR,
            task_polls: 1,
            session_ticks: 10,
            faults: Faults::none(),
            newer_content: false,
            no_entry_point: false,
        }
    }
}

impl SimConfig {
    /// The `small` data set on a free loopback port (for unit tests).
    pub fn small() -> Self {
        SimConfig {
            size: Size::Small,
            ..SimConfig::default()
        }
    }
}

/// Result of a job run, for the test helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobResult {
    /// Success.
    Success,
    /// Warning.
    Warning,
    /// Failed.
    Failed,
}

impl JobResult {
    fn index(self) -> u8 {
        match self {
            JobResult::Success => R_SUCCESS,
            JobResult::Warning => R_WARNING,
            JobResult::Failed => R_FAILED,
        }
    }
}

/// A job as the test helpers see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobInfo {
    /// GUID (the `{ID}` of `/jobs/{ID}`).
    pub id: String,
    /// Name.
    pub name: String,
    /// `Backup`, `BackupCopy` or `Replica`.
    pub job_type: &'static str,
}

/// A running simulator; shuts down when dropped.
pub struct SimHandle {
    shared: Arc<Shared>,
    addr: SocketAddr,
    cert: Option<tls::Cert>,
    conns: Arc<ConnCounter>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<()>>,
    accept_loop: Option<tokio::task::AbortHandle>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .field("tls", &self.cert.is_some())
            .finish()
    }
}

/// Starts a simulator on the current tokio runtime.
pub async fn spawn(config: SimConfig) -> io::Result<SimHandle> {
    spec::load().map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
    let data = Data::generate(config.size, config.seed, config.anchor);
    let behaviour = Behaviour {
        idle_timeout: config.idle_timeout,
        task_polls: config.task_polls,
        session_ticks: config.session_ticks.max(1),
        newer_content: config.newer_content,
        no_entry_point: config.no_entry_point,
    };
    let shared = Arc::new(Shared {
        sim: Mutex::new(Sim::new(data, behaviour, config.anchor)),
        casing: config.json_casing,
        scheme: if config.tls { "https" } else { "http" },
        faults_on: AtomicBool::new(!config.faults.is_off()),
        fault: Mutex::new(FaultState::new(config.faults.clone())),
    });
    let tcp = tokio::net::TcpListener::bind(SocketAddr::new(config.bind, config.port)).await?;
    let addr = tcp.local_addr()?;
    // The fault layer breaks connections through the `ConnCtl` each connection carries.
    let app = http::router(shared.clone()).into_make_service_with_connect_info::<ConnCtl>();
    let conns = Arc::new(ConnCounter::default());
    let (tx, rx) = oneshot::channel::<()>();
    let signal = async move {
        let _ = rx.await;
    };
    let (cert, server, accept_loop) = if config.tls {
        let cert = tls::self_signed(&[config.bind.to_string()])?;
        let listener = tls::TlsListener::new(tcp, tls::acceptor(&cert)?)?;
        let accept_abort = listener.task.abort_handle();
        let listener = FaultListener(listener, conns.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await;
        });
        (Some(cert), server, Some(accept_abort))
    } else {
        let listener = FaultListener(tcp, conns.clone());
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(signal)
                .await;
        });
        (None, server, None)
    };
    Ok(SimHandle {
        shared,
        addr,
        cert,
        conns,
        shutdown: Some(tx),
        server: Some(server),
        accept_loop,
    })
}

impl SimHandle {
    /// Base URL of the API, ending in `/api/` (`http://127.0.0.1:PORT/api/`).
    pub fn url(&self) -> String {
        let scheme = if self.cert.is_some() { "https" } else { "http" };
        let host = match self.addr {
            SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
            SocketAddr::V4(a) => a.to_string(),
        };
        format!("{scheme}://{host}/api/")
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// PEM of the self-signed certificate (TLS only).
    pub fn cert_pem(&self) -> Option<&str> {
        self.cert.as_ref().map(|c| c.pem.as_str())
    }

    /// DER of the self-signed certificate (TLS only).
    pub fn cert_der(&self) -> Option<&[u8]> {
        self.cert.as_ref().map(|c| c.der.as_slice())
    }

    /// SHA-256 fingerprint of the certificate's DER, upper-case hex pairs joined by `:`
    /// (TLS only).
    pub fn fingerprint(&self) -> Option<&str> {
        self.cert.as_ref().map(|c| c.fingerprint.as_str())
    }

    /// Every request received so far, in order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.lock().requests.clone()
    }

    /// Forgets the recorded requests.
    pub fn clear_requests(&self) {
        self.shared.lock().requests.clear();
    }

    /// Every executed state-changing action so far, in order.
    pub fn actions(&self) -> Vec<ExecutedAction> {
        self.shared.lock().actions.clone()
    }

    /// How many times `action` ran on the resource with id `id` (GUID, case-insensitive).
    pub fn action_count(&self, id: &str, action: &str) -> usize {
        self.shared
            .lock()
            .actions
            .iter()
            .filter(|a| a.id.eq_ignore_ascii_case(id) && a.action.eq_ignore_ascii_case(action))
            .count()
    }

    /// The body of the last job edit em-sim received, as sent.
    pub fn last_job_edit(&self) -> Option<Vec<u8>> {
        self.shared.lock().last_job_edit.clone()
    }

    /// How many times job `job_id` was started.
    pub fn job_starts(&self, job_id: &str) -> usize {
        self.action_count(job_id, "start")
    }

    /// The live jobs.
    pub fn jobs(&self) -> Vec<JobInfo> {
        let sim = self.shared.lock();
        (0..sim.data.jobs.len() as u32)
            .filter(|j| sim.data.job_alive(*j))
            .map(|j| {
                let job = &sim.data.jobs[j as usize];
                JobInfo {
                    id: sim.data.id(Kind::Job, j),
                    name: job.name.clone(),
                    job_type: job.jtype.name(),
                }
            })
            .collect()
    }

    /// The id of the live job named `name` (case-insensitive).
    pub fn job_id(&self, name: &str) -> Option<String> {
        self.jobs()
            .into_iter()
            .find(|j| j.name.eq_ignore_ascii_case(name))
            .map(|j| j.id)
    }

    fn with_job(&self, job_id: &str, f: impl FnOnce(&mut data::Job)) -> bool {
        let mut sim = self.shared.lock();
        let n = sim.data.jobs.len();
        match sim.data.find(Kind::Job, job_id, n) {
            Some(j) => {
                f(&mut sim.data.jobs[j as usize]);
                true
            }
            None => false,
        }
    }

    /// Sets the last result of a job (what `retry` checks); false if there is no such job.
    pub fn set_job_last_result(&self, job_id: &str, result: JobResult) -> bool {
        self.with_job(job_id, |j| j.last_result = result.index())
    }

    /// Sets the result the job's next runs end with (default Success).
    pub fn set_job_next_result(&self, job_id: &str, result: JobResult) -> bool {
        self.with_job(job_id, |j| j.next_result = result.index())
    }

    /// Expires every logon session (the next request with their tokens gets 401).
    pub fn expire_all_sessions(&self) {
        self.shared.lock().logons.clear();
    }

    /// Number of live logon sessions.
    pub fn logon_count(&self) -> usize {
        self.shared.lock().logons.len()
    }

    /// Ends every running job and restore session now (job sessions with each job's next result).
    pub fn finish_running_sessions(&self) {
        let mut sim = self.shared.lock();
        for s in sim.running.clone() {
            let job = sim.data.sessions[s as usize].job;
            let r = sim.data.jobs[job as usize].next_result;
            sim.finish_session(s, r);
        }
        for r in std::mem::take(&mut sim.running_restores) {
            sim.data.restore_sessions[r as usize].ticks_left = 1;
            sim.running_restores.push(r);
        }
        sim.tick();
    }

    /// Replaces the fault configuration (the request counter and the fault counts go on).
    /// `Faults::none()` turns injection off.
    pub fn set_faults(&self, faults: Faults) {
        let on = !faults.is_off();
        self.shared.faults().config = faults;
        self.shared.faults_on.store(on, Ordering::SeqCst);
    }

    /// The fault configuration in force.
    pub fn faults(&self) -> Faults {
        self.shared.faults().config.clone()
    }

    /// Injected faults so far, by kind (kinds that never fired are absent).
    pub fn fault_counts(&self) -> BTreeMap<FaultKind, u64> {
        self.shared.faults().counts.clone()
    }

    /// Every injected fault so far, in order, with the request it hit.
    pub fn fault_log(&self) -> Vec<InjectedFault> {
        self.shared.faults().log.clone()
    }

    /// How many objects of query type `type_name` (`BackupJobSession`, `Job`, …) match
    /// `filter` (the query-service grammar) now, as an administrator would see them.
    pub fn query_count(&self, type_name: &str, filter: Option<&str>) -> Result<usize, String> {
        api::query::count(&mut self.shared.lock(), type_name, filter)
    }

    /// Connections accepted, open now, and most open at once (HTTP and HTTPS alike).
    pub fn connections(&self) -> Connections {
        self.conns.snapshot()
    }

    /// Number of job sessions (backup, backup copy and replica).
    pub fn session_count(&self) -> usize {
        self.shared.lock().data.sessions.len()
    }

    /// Stops the server and waits for it.
    pub async fn shutdown(mut self) {
        self.stop();
        if let Some(s) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(5), s).await;
        }
    }

    fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(a) = self.accept_loop.take() {
            a.abort();
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        self.stop();
        if let Some(s) = self.server.take() {
            // Graceful shutdown was signalled; do not leave keep-alive connections hanging.
            s.abort();
        }
    }
}
