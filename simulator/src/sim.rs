//! The simulator's mutable state: the data set plus logon sessions, tasks, the request log and
//! the action counters, and the clock that moves running sessions forward.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use crate::data::{Data, RestorePoint, R_FAILED, R_NONE, S_STOPPED};
use crate::util::{b64_encode, guid, Kind};

/// What a logged-on account may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Portal Administrator: everything.
    Admin,
    /// Restore Operator: reads and restores; job, server and security changes are 403.
    RestoreOperator,
    /// A Cloud Connect tenant (logged on with a `LoginSpec`): its session offers only the
    /// entry point, `/cloud` and its own deletion (REFERENCE.md §2.4); changes are 403.
    Tenant,
}

/// A logon session.
#[derive(Debug, Clone)]
pub struct Logon {
    /// `SessionId` GUID (also the id in `/logonSessions/{ID}`).
    pub id: String,
    /// `UserName` as typed at logon.
    pub user: String,
    /// Role.
    pub role: Role,
    /// Last request.
    pub last: Instant,
}

/// A link a task shows once finished; `path` is relative to `/api` so that it is rebuilt with
/// the Host of the polling request.
#[derive(Debug, Clone)]
pub struct TaskLink {
    /// Relation.
    pub rel: &'static str,
    /// Path below `/api` (with query, if any).
    pub path: String,
    /// Target type.
    pub ty: Option<&'static str>,
    /// Target name.
    pub name: Option<String>,
}

/// An asynchronous task (`task-N`).
#[derive(Debug, Clone)]
pub struct Task {
    /// Number N of `task-N`.
    pub n: u64,
    /// Logon session that created it.
    pub logon: String,
    /// `Operation`.
    pub operation: &'static str,
    /// Polls (`GET /tasks/{ID}`) left before it reports `Finished`.
    pub polls_left: u32,
    /// `Result/@Success`.
    pub success: bool,
    /// `Result/Message`.
    pub message: String,
    /// Links shown once finished.
    pub links: Vec<TaskLink>,
}

impl Task {
    /// Whether the task reports `Finished`.
    pub fn finished(&self) -> bool {
        self.polls_left == 0
    }
}

/// One received request, as recorded for tests (no secrets: token and credentials are only
/// reported as present or absent).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordedRequest {
    /// HTTP method.
    pub method: String,
    /// Path as received (before slash normalisation).
    pub path: String,
    /// Raw query string, if any.
    pub query: Option<String>,
    /// `Accept` header.
    pub accept: Option<String>,
    /// `Content-Type` header.
    pub content_type: Option<String>,
    /// Whether a session token was sent (header or cookie).
    pub has_session_token: bool,
    /// Whether an `Authorization` header was sent.
    pub has_authorization: bool,
    /// The body received (UTF-8, invalid sequences replaced), if it was not empty.
    pub body: Option<String>,
    /// Status answered.
    pub status: u16,
}

/// One executed state-changing action (counted once per request that performed it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecutedAction {
    /// Resource family (`jobs`, `backupSessions`, `vmRestorePoints`, ...).
    pub resource: &'static str,
    /// Resource id (GUID, or the path of a file).
    pub id: String,
    /// Action (`start`, `stop`, `retry`, `clone`, `edit`, `delete`, `restore`, ...).
    pub action: &'static str,
}

/// Tunables of the simulated behaviour.
#[derive(Debug, Clone)]
pub struct Behaviour {
    /// Idle timeout of logon sessions.
    pub idle_timeout: Duration,
    /// Polls a task stays `Running` before `Finished`.
    pub task_polls: u32,
    /// Authenticated requests a started job session stays `Working`.
    pub session_ticks: u32,
    /// Answer as a newer EM would: representations carry attributes and elements the spec
    /// does not declare (see [`crate::api::newer`]).
    pub newer_content: bool,
    /// Answer 404 to the entry point, as a gateway that exposes only the logon service does.
    pub no_entry_point: bool,
}

/// The whole state.
#[derive(Debug)]
pub struct Sim {
    /// Data set.
    pub data: Data,
    /// Behaviour tunables.
    pub behaviour: Behaviour,
    anchor: i64,
    started: Instant,
    /// Logon sessions by token.
    pub logons: HashMap<String, Logon>,
    next_logon: u64,
    /// Tasks by number.
    pub tasks: BTreeMap<u64, Task>,
    next_task: u64,
    /// Request log.
    pub requests: Vec<RecordedRequest>,
    /// Executed actions.
    pub actions: Vec<ExecutedAction>,
    /// Running job sessions.
    pub running: Vec<u32>,
    /// Running restore sessions.
    pub running_restores: Vec<u32>,
    /// The body of the last job edit (`PUT /jobs/{ID}`), as received.
    pub last_job_edit: Option<Vec<u8>>,
    /// Resources of the generic layer.
    pub store: crate::store::Store,
}

impl Sim {
    /// A new state over `data`; the simulated clock starts at `anchor` (Unix seconds).
    pub fn new(data: Data, behaviour: Behaviour, anchor: i64) -> Sim {
        Sim {
            data,
            behaviour,
            anchor,
            started: Instant::now(),
            logons: HashMap::new(),
            next_logon: 0,
            tasks: BTreeMap::new(),
            next_task: 0,
            requests: Vec::new(),
            actions: Vec::new(),
            running: Vec::new(),
            running_restores: Vec::new(),
            last_job_edit: None,
            store: crate::store::Store::default(),
        }
    }

    /// The moment the simulated clock started (Unix seconds): a fixed time for values that
    /// must not change between two readings of the same resource.
    pub fn anchor(&self) -> i64 {
        self.anchor
    }

    /// Simulated now (Unix seconds).
    pub fn now(&self) -> i64 {
        self.anchor + self.started.elapsed().as_secs() as i64
    }

    /// Creates a logon session; returns (token, session id).
    pub fn logon(&mut self, user: &str, role: Role) -> (String, String) {
        let n = self.next_logon;
        self.next_logon += 1;
        let id = guid(self.data.seed, Kind::Logon, n);
        // Like EM: base64 of a GUID string, different from the SessionId.
        let secret = guid(
            self.data.seed ^ 0x7E57_0000 ^ self.started.elapsed().as_nanos() as u64,
            Kind::Logon,
            n,
        );
        let token = b64_encode(secret.as_bytes());
        self.logons.insert(
            token.clone(),
            Logon {
                id: id.clone(),
                user: user.to_string(),
                role,
                last: Instant::now(),
            },
        );
        (token, id)
    }

    /// The live logon session of `token` (refreshing its idle timer), removing it if expired.
    pub fn touch(&mut self, token: &str) -> Option<Logon> {
        let timeout = self.behaviour.idle_timeout;
        let expired = match self.logons.get_mut(token) {
            None => return None,
            Some(l) if l.last.elapsed() >= timeout => true,
            Some(l) => {
                l.last = Instant::now();
                return Some(l.clone());
            }
        };
        if expired {
            self.logons.remove(token);
        }
        None
    }

    /// Token of the logon session with id `id`.
    pub fn token_of(&self, id: &str) -> Option<String> {
        self.logons
            .iter()
            .find(|(_, l)| l.id.eq_ignore_ascii_case(id))
            .map(|(t, _)| t.clone())
    }

    /// Creates a task for logon session `logon`; returns its number.
    pub fn new_task(
        &mut self,
        logon: &str,
        operation: &'static str,
        success: bool,
        message: impl Into<String>,
        links: Vec<TaskLink>,
    ) -> u64 {
        self.next_task += 1;
        let n = self.next_task;
        self.tasks.insert(
            n,
            Task {
                n,
                logon: logon.to_string(),
                operation,
                polls_left: self.behaviour.task_polls,
                success,
                message: message.into(),
                links,
            },
        );
        n
    }

    /// Records an executed action.
    pub fn count(&mut self, resource: &'static str, id: String, action: &'static str) {
        self.actions.push(ExecutedAction {
            resource,
            id,
            action,
        });
    }

    /// Starts a job run now; returns the session index.
    pub fn start_session(&mut self, job: u32, is_retry: bool) -> u32 {
        let now = self.now();
        let vms: Vec<u32> = self.data.jobs[job as usize]
            .includes
            .iter()
            .filter_map(|i| i.vm)
            .collect();
        let s = self.data.push_session(job, now, 0, R_NONE, is_retry, &vms);
        self.data.sessions[s as usize].ticks_left = self.behaviour.session_ticks;
        self.running.push(s);
        s
    }

    /// Ends a running session with `result`.
    pub fn finish_session(&mut self, s: u32, result: u8) {
        let now = self.now();
        let Some(sess) = self.data.sessions.get_mut(s as usize) else {
            return;
        };
        if sess.state == S_STOPPED {
            return;
        }
        sess.state = S_STOPPED;
        sess.result = result;
        sess.progress = 100;
        sess.end = now.max(sess.start + 1);
        sess.ticks_left = 0;
        let job = sess.job;
        let (first_task, ntasks, start) = (sess.first_task, sess.ntasks, sess.start);
        self.running.retain(|x| *x != s);
        if let Some(j) = self.data.jobs.get_mut(job as usize) {
            j.last_result = result;
        }
        // A successful backup run makes a restore point.
        if result != R_FAILED {
            if let Some(b) = self.data.backups.iter().position(|b| b.job == job) {
                let first_vrp = self.data.vrp_vm.len() as u32;
                for t in 0..ntasks as u32 {
                    let vm = self.data.task_vm[(first_task + t) as usize];
                    self.data.vrp_vm.push(vm);
                }
                self.data
                    .session_rp
                    .insert(s, self.data.restore_points.len() as u32);
                self.data.restore_points.push(RestorePoint {
                    session: s,
                    backup: b as u32,
                    time: start + 40,
                    first_vrp,
                    nvm: ntasks,
                    full: false,
                });
            }
        }
    }

    /// One step of simulated time: called once per authenticated request.
    pub fn tick(&mut self) {
        let mut done = Vec::new();
        for s in &self.running {
            if let Some(sess) = self.data.sessions.get_mut(*s as usize) {
                sess.ticks_left = sess.ticks_left.saturating_sub(1);
                sess.progress = sess.progress.saturating_add(30).min(99);
                if sess.ticks_left == 0 {
                    done.push(*s);
                }
            }
        }
        for s in done {
            let job = self.data.sessions[s as usize].job;
            let result = self.data.jobs[job as usize].next_result;
            self.finish_session(s, result);
        }
        let now = self.now();
        let mut still = Vec::new();
        for r in std::mem::take(&mut self.running_restores) {
            if let Some(rs) = self.data.restore_sessions.get_mut(r as usize) {
                rs.ticks_left = rs.ticks_left.saturating_sub(1);
                if rs.ticks_left == 0 {
                    rs.state = S_STOPPED;
                    rs.result = crate::data::R_SUCCESS;
                    rs.end = now.max(rs.start + 1);
                } else {
                    still.push(r);
                }
            }
        }
        self.running_restores = still;
    }
}
