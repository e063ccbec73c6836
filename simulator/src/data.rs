//! The simulated site: a deterministic, seeded data set kept compact so that the `large` size
//! (≥100,000 job sessions and many more task sessions) starts fast and stays small in memory.
//!
//! Records refer to each other by index; GUIDs are derived from (seed, kind, index) by
//! [`crate::util::guid`] and decoded back without lookup tables. Task sessions and VM restore
//! points are not stored one by one: a job session owns a range of task-session indices
//! (`first_task..first_task+ntasks`), and only the VM of each task is kept (`task_vm`).

use std::collections::HashMap;

use crate::util::{guid, hash, Kind};

/// Result values in declaration order (`None` while running; the query service compares by
/// index, so `Result>Success` selects warnings and failures).
pub const RESULTS: &[&str] = &["None", "Success", "Warning", "Failed"];
/// Result index: none.
pub const R_NONE: u8 = 0;
/// Result index: success.
pub const R_SUCCESS: u8 = 1;
/// Result index: warning.
pub const R_WARNING: u8 = 2;
/// Result index: failed.
pub const R_FAILED: u8 = 3;

/// Job session states in declaration order.
pub const SESSION_STATES: &[&str] = &[
    "Starting", "Stopping", "Working", "Pausing", "Resuming", "Stopped",
];
/// State index: working.
pub const S_WORKING: u8 = 2;
/// State index: stopped.
pub const S_STOPPED: u8 = 5;

/// Task session states in declaration order.
pub const TASK_STATES: &[&str] = &["InProgress", "Pending", "Completed"];

/// Job types in declaration order.
pub const JOB_TYPES: &[&str] = &["Backup", "Replica", "BackupCopy", "ImmediateBackupCopy"];
/// Platforms in declaration order.
pub const PLATFORMS: &[&str] = &["VMware", "HyperV", "vCloud", "CustomPlatform"];
/// Restore point algorithms in declaration order.
pub const ALGORITHMS: &[&str] = &[
    "Full",
    "ReversedIncremental",
    "Incremental",
    "SyntheticFull",
];
/// VM restore point types in declaration order.
pub const POINT_TYPES: &[&str] = &["Full", "Increment", "ReverseIncrement"];

/// Kind of job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobType {
    /// Backup job.
    Backup = 0,
    /// Replication job.
    Replica = 1,
    /// Backup copy job (periodic).
    BackupCopy = 2,
}

impl JobType {
    /// The XML name.
    pub fn name(self) -> &'static str {
        JOB_TYPES[self as usize]
    }
}

/// Size of the generated data set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Size {
    /// For unit tests: 2 servers, 5 jobs, 50 job sessions.
    Small,
    /// A realistic site: 3 servers, 40 jobs, ~3,600 job sessions.
    #[default]
    Default,
    /// For benchmarks: 5 servers, 200 jobs, 116,000 job sessions (104,400 backup), ~500,000 task sessions.
    Large,
}

/// A backup server.
#[derive(Debug, Clone)]
pub struct Server {
    /// DNS name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Port (9392).
    pub port: u16,
    /// B&R version.
    pub version: String,
    /// WCF port.
    pub wcf_port: u16,
    /// Certificate thumbprint.
    pub thumbprint: String,
    /// Removed by `DELETE`.
    pub deleted: bool,
}

/// A backup repository.
#[derive(Debug, Clone)]
pub struct Repo {
    /// Owning server.
    pub server: u32,
    /// Name.
    pub name: String,
    /// Capacity in bytes.
    pub capacity: i64,
    /// Free space in bytes.
    pub free: i64,
    /// Kind (`WindowsLocal`, ...).
    pub kind: &'static str,
}

/// A virtual machine of the protected infrastructure.
#[derive(Debug, Clone)]
pub struct Vm {
    /// Name.
    pub name: String,
    /// Server whose infrastructure it is in.
    pub server: u32,
    /// `urn:VMware:Vm:<root>.vm-N`.
    pub hier_ref: String,
}

/// An object in a job.
#[derive(Debug, Clone)]
pub struct Include {
    /// GUID index (`Kind::Include`).
    pub id: u32,
    /// Hierarchy reference.
    pub hier_ref: String,
    /// Name.
    pub name: String,
    /// VM index, when it is a known VM.
    pub vm: Option<u32>,
}

/// A job.
#[derive(Debug, Clone)]
pub struct Job {
    /// Owning server.
    pub server: u32,
    /// Name.
    pub name: String,
    /// Type.
    pub jtype: JobType,
    /// Platform index into [`PLATFORMS`].
    pub platform: u8,
    /// Description.
    pub description: String,
    /// Whether a schedule is configured.
    pub schedule_configured: bool,
    /// Whether the schedule is enabled.
    pub schedule_enabled: bool,
    /// Next scheduled run.
    pub next_run: Option<i64>,
    /// Target repository.
    pub repo: u32,
    /// Objects in the job.
    pub includes: Vec<Include>,
    /// Result of the last finished session (index into [`RESULTS`]).
    pub last_result: u8,
    /// Result the next run will end with.
    pub next_result: u8,
    /// Removed by `DELETE`.
    pub deleted: bool,
}

/// A backup or replica job session.
#[derive(Debug, Clone)]
pub struct Session {
    /// Job index.
    pub job: u32,
    /// Start (Unix seconds).
    pub start: i64,
    /// End (Unix seconds), 0 while running.
    pub end: i64,
    /// State index into [`SESSION_STATES`].
    pub state: u8,
    /// Result index into [`RESULTS`].
    pub result: u8,
    /// Progress percent.
    pub progress: u8,
    /// Started by a retry.
    pub is_retry: bool,
    /// First task-session index.
    pub first_task: u32,
    /// Number of task sessions.
    pub ntasks: u16,
    /// Requests left before a running session stops.
    pub ticks_left: u32,
}

/// A backup (the chain of one job on a repository).
#[derive(Debug, Clone)]
pub struct Backup {
    /// Job index.
    pub job: u32,
    /// Repository index.
    pub repo: u32,
}

/// A restore point (one job run).
#[derive(Debug, Clone)]
pub struct RestorePoint {
    /// Session that made it.
    pub session: u32,
    /// Backup index.
    pub backup: u32,
    /// Creation time.
    pub time: i64,
    /// First VM restore point index.
    pub first_vrp: u32,
    /// Number of VM restore points.
    pub nvm: u16,
    /// Full (true) or incremental.
    pub full: bool,
}

/// A replica (the replicas of one replication job).
#[derive(Debug, Clone)]
pub struct Replica {
    /// Job index.
    pub job: u32,
}

/// A VM replica point.
#[derive(Debug, Clone)]
pub struct ReplicaPoint {
    /// Replica index.
    pub replica: u32,
    /// VM index.
    pub vm: u32,
    /// Creation time.
    pub time: i64,
}

/// A restore session.
#[derive(Debug, Clone)]
pub struct RestoreSession {
    /// VM restore point index.
    pub vrp: u32,
    /// `JobType` of the session (`Restore`, `FileLevelRestore`).
    pub kind: &'static str,
    /// Name.
    pub name: String,
    /// Start.
    pub start: i64,
    /// End, 0 while running.
    pub end: i64,
    /// State index.
    pub state: u8,
    /// Result index.
    pub result: u8,
    /// Requests left before it stops.
    pub ticks_left: u32,
}

/// A cloud failover plan.
#[derive(Debug, Clone)]
pub struct CloudPlan {
    /// Name.
    pub name: String,
    /// Server index.
    pub server: u32,
    /// Tenant name.
    pub tenant: String,
    /// Description.
    pub description: String,
    /// VM names.
    pub vms: Vec<String>,
}

/// An Enterprise Manager account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Name (`DOMAIN\user`).
    pub name: String,
    /// `User` or `Group`.
    pub account_type: &'static str,
    /// Restore scope: all VMs.
    pub allow_restore_all_vms: bool,
    /// Roles.
    pub roles: Vec<&'static str>,
    /// Removed.
    pub deleted: bool,
}

/// A credentials record of a backup server.
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Server index.
    pub server: u32,
    /// User name.
    pub username: String,
    /// Description.
    pub description: String,
    /// Removed.
    pub deleted: bool,
}

/// A mounted VM restore point.
#[derive(Debug, Clone)]
pub struct Mount {
    /// VM restore point index.
    pub vrp: u32,
    /// Mount number within the restore point (1, 2, ...).
    pub id: u32,
}

/// The whole data set.
#[derive(Debug, Clone)]
pub struct Data {
    /// Seed used for GUIDs and values.
    pub seed: u64,
    /// Backup servers.
    pub servers: Vec<Server>,
    /// Repositories.
    pub repos: Vec<Repo>,
    /// VMs.
    pub vms: Vec<Vm>,
    /// Jobs.
    pub jobs: Vec<Job>,
    /// Job sessions (backup, backup copy and replica), in creation order.
    pub sessions: Vec<Session>,
    /// Indices into `sessions` of the replica job sessions and of the others (backup and
    /// backup copy), in creation order: kept by [`Data::push_session`] so that listing one
    /// kind does not walk every session (a job's type never changes).
    pub sessions_by_kind: [Vec<u32>; 2],
    /// VM of each task session (indexed by task-session index).
    pub task_vm: Vec<u32>,
    /// Backups.
    pub backups: Vec<Backup>,
    /// Restore points.
    pub restore_points: Vec<RestorePoint>,
    /// VM of each VM restore point (indexed by VM restore point index).
    pub vrp_vm: Vec<u32>,
    /// Session → restore point.
    pub session_rp: HashMap<u32, u32>,
    /// Replicas.
    pub replicas: Vec<Replica>,
    /// VM replica points.
    pub replica_points: Vec<ReplicaPoint>,
    /// Restore sessions.
    pub restore_sessions: Vec<RestoreSession>,
    /// Cloud failover plans.
    pub plans: Vec<CloudPlan>,
    /// Accounts.
    pub accounts: Vec<Account>,
    /// Credentials.
    pub credentials: Vec<Credentials>,
    /// Mounts.
    pub mounts: Vec<Mount>,
    /// Next include GUID index.
    pub next_include: u32,
}

struct Params {
    servers: usize,
    repos_per_server: usize,
    vms: usize,
    backup_jobs: usize,
    copy_jobs: usize,
    replica_jobs: usize,
    days: usize,
    vms_per_job: (usize, usize),
    rp_per_job: usize,
    plans: usize,
}

fn params(size: Size) -> Params {
    match size {
        Size::Small => Params {
            servers: 2,
            repos_per_server: 2,
            vms: 8,
            backup_jobs: 3,
            copy_jobs: 1,
            replica_jobs: 1,
            days: 10,
            vms_per_job: (2, 3),
            rp_per_job: 3,
            plans: 1,
        },
        Size::Default => Params {
            servers: 3,
            repos_per_server: 3,
            vms: 150,
            backup_jobs: 30,
            copy_jobs: 4,
            replica_jobs: 6,
            days: 90,
            vms_per_job: (2, 8),
            rp_per_job: 7,
            plans: 2,
        },
        Size::Large => Params {
            servers: 5,
            repos_per_server: 4,
            vms: 1500,
            backup_jobs: 160,
            copy_jobs: 20,
            replica_jobs: 20,
            days: 580,
            vms_per_job: (1, 8),
            rp_per_job: 7,
            plans: 3,
        },
    }
}

const VM_STEMS: &[&str] = &[
    "dc", "sql", "exch", "file", "web", "app", "crm", "erp", "print", "mail", "db", "build",
];
const JOB_STEMS: &[&str] = &[
    "SQL Backup",
    "Exchange Backup",
    "Fileserver Backup",
    "Web Farm Backup",
    "CRM Backup",
    "Domain Controllers",
    "ERP Backup",
    "Build Servers",
];
const REPO_KINDS: &[&str] = &["WindowsLocal", "LinuxLocal", "CifsShare", "Nfs"];

/// Seconds between history sessions of one job.
const DAY: i64 = 86_400;

impl Data {
    /// Generates the data set for `size` and `seed`; history ends at `anchor` (Unix seconds).
    pub fn generate(size: Size, seed: u64, anchor: i64) -> Data {
        let p = params(size);
        let h = |parts: &[u64]| hash(seed, parts);
        let mut d = Data {
            seed,
            servers: Vec::new(),
            repos: Vec::new(),
            vms: Vec::new(),
            jobs: Vec::new(),
            sessions: Vec::new(),
            sessions_by_kind: [Vec::new(), Vec::new()],
            task_vm: Vec::new(),
            backups: Vec::new(),
            restore_points: Vec::new(),
            vrp_vm: Vec::new(),
            session_rp: HashMap::new(),
            replicas: Vec::new(),
            replica_points: Vec::new(),
            restore_sessions: Vec::new(),
            plans: Vec::new(),
            accounts: Vec::new(),
            credentials: Vec::new(),
            mounts: Vec::new(),
            next_include: 0,
        };
        for s in 0..p.servers {
            d.servers.push(Server {
                name: format!("vbr{:02}.tech.local", s + 1),
                description: format!("Backup server {}", s + 1),
                port: 9392,
                version: "13.0.1.1071".into(),
                wcf_port: 9405,
                thumbprint: format!(
                    "{:016X}{:016X}{:08X}",
                    h(&[1, s as u64]),
                    h(&[2, s as u64]),
                    h(&[5, s as u64]) as u32
                ),
                deleted: false,
            });
            for r in 0..p.repos_per_server {
                let cap = (2 + (h(&[3, s as u64, r as u64]) % 30) as i64) << 40;
                let free = cap / 100 * (10 + (h(&[4, s as u64, r as u64]) % 80) as i64);
                d.repos.push(Repo {
                    server: s as u32,
                    name: if r == 0 {
                        "Default Backup Repository".into()
                    } else {
                        format!("Backup Volume {r:02}")
                    },
                    capacity: cap,
                    free,
                    kind: REPO_KINDS[(s + r) % REPO_KINDS.len()],
                });
            }
        }
        for v in 0..p.vms {
            let server = (v % p.servers) as u32;
            let stem = VM_STEMS[v % VM_STEMS.len()];
            d.vms.push(Vm {
                name: format!("{stem}{:02}", v / VM_STEMS.len() + 1),
                server,
                hier_ref: format!(
                    "urn:VMware:Vm:{}.vm-{}",
                    guid(seed, Kind::HierarchyRoot, server as u64),
                    1000 + v
                ),
            });
        }
        // Jobs: backup jobs first, then backup copy jobs, then replica jobs.
        let njobs = p.backup_jobs + p.copy_jobs + p.replica_jobs;
        for j in 0..njobs {
            let (jtype, name) = if j < p.backup_jobs {
                let stem = JOB_STEMS[j % JOB_STEMS.len()];
                let n = j / JOB_STEMS.len();
                (
                    JobType::Backup,
                    if n == 0 {
                        stem.to_string()
                    } else {
                        format!("{stem} {}", n + 1)
                    },
                )
            } else if j < p.backup_jobs + p.copy_jobs {
                (
                    JobType::BackupCopy,
                    format!("Backup Copy Job {}", j - p.backup_jobs + 1),
                )
            } else {
                (
                    JobType::Replica,
                    format!("Replication Job {}", j - p.backup_jobs - p.copy_jobs + 1),
                )
            };
            let server = (j % p.servers) as u32;
            let server_vms: Vec<u32> = (0..p.vms as u32)
                .filter(|v| d.vms[*v as usize].server == server)
                .collect();
            let (lo, hi) = p.vms_per_job;
            let n = lo + (h(&[10, j as u64]) as usize % (hi - lo + 1));
            let mut includes = Vec::new();
            for k in 0..n.min(server_vms.len()) {
                let vm = server_vms[(j * 3 + k) % server_vms.len()];
                if includes.iter().any(|i: &Include| i.vm == Some(vm)) {
                    continue;
                }
                let id = d.next_include;
                d.next_include += 1;
                includes.push(Include {
                    id,
                    hier_ref: d.vms[vm as usize].hier_ref.clone(),
                    name: d.vms[vm as usize].name.clone(),
                    vm: Some(vm),
                });
            }
            let repos: Vec<u32> = (0..d.repos.len() as u32)
                .filter(|r| d.repos[*r as usize].server == server)
                .collect();
            let repo = repos[(j + usize::from(jtype == JobType::BackupCopy)) % repos.len()];
            let scheduled = h(&[11, j as u64]) % 10 != 0;
            d.jobs.push(Job {
                server,
                name,
                jtype,
                platform: 0,
                description: format!(
                    "Created by TECH\\Administrator at 3/{}/2024 10:00 AM.",
                    j % 28 + 1
                ),
                schedule_configured: scheduled,
                schedule_enabled: scheduled,
                next_run: scheduled.then_some(anchor + 18 * 3600 + (j as i64 % 12) * 600),
                repo,
                includes,
                last_result: R_NONE,
                next_result: R_SUCCESS,
                deleted: false,
            });
            if jtype != JobType::Replica {
                d.backups.push(Backup {
                    job: j as u32,
                    repo,
                });
            } else {
                d.replicas.push(Replica { job: j as u32 });
            }
        }
        // History: one run per job per day, ordered by day.
        for day in 0..p.days {
            for j in 0..njobs {
                let start = anchor - (p.days - day) as i64 * DAY
                    + 18 * 3600
                    + (j as i64 % 12) * 600
                    + (h(&[20, day as u64, j as u64]) % 240) as i64;
                let roll = h(&[21, day as u64, j as u64]) % 100;
                let mut result = match roll {
                    0..=84 => R_SUCCESS,
                    85..=94 => R_WARNING,
                    _ => R_FAILED,
                };
                // The second job's last run failed, so `retry` is possible out of the box.
                if j == 1 && day + 1 == p.days {
                    result = R_FAILED;
                }
                if j == 0 && day + 1 == p.days {
                    result = R_SUCCESS;
                }
                let dur = 300 + (h(&[22, day as u64, j as u64]) % 3000) as i64;
                let vms: Vec<u32> = d.jobs[j].includes.iter().filter_map(|i| i.vm).collect();
                d.push_session(j as u32, start, start + dur, result, false, &vms);
                d.jobs[j].last_result = result;
            }
        }
        // Restore points: the last successful runs of each backup and backup copy job.
        for (b, backup) in d.backups.clone().iter().enumerate() {
            let job = backup.job;
            let mut picked: Vec<u32> = (0..d.sessions.len() as u32)
                .rev()
                .filter(|s| {
                    let s = &d.sessions[*s as usize];
                    s.job == job && s.result != R_FAILED
                })
                .take(p.rp_per_job)
                .collect();
            picked.reverse();
            for (k, s) in picked.into_iter().enumerate() {
                let sess = d.sessions[s as usize].clone();
                let first_vrp = d.vrp_vm.len() as u32;
                for t in 0..sess.ntasks as u32 {
                    let vm = d.task_vm[(sess.first_task + t) as usize];
                    d.vrp_vm.push(vm);
                }
                d.session_rp.insert(s, d.restore_points.len() as u32);
                d.restore_points.push(RestorePoint {
                    session: s,
                    backup: b as u32,
                    time: sess.start + 40,
                    first_vrp,
                    nvm: sess.ntasks,
                    full: k == 0,
                });
            }
        }
        // Replica points: the last three runs of each replication job, per VM.
        for (r, replica) in d.replicas.clone().iter().enumerate() {
            let job = &d.jobs[replica.job as usize];
            for back in (1..=3).rev() {
                for inc in &job.includes {
                    if let Some(vm) = inc.vm {
                        d.replica_points.push(ReplicaPoint {
                            replica: r as u32,
                            vm,
                            time: anchor - back * DAY + 19 * 3600,
                        });
                    }
                }
            }
        }
        // Two finished restore sessions.
        for k in 0..2u32.min(d.vrp_vm.len() as u32) {
            let vm = &d.vms[d.vrp_vm[k as usize] as usize];
            let start = anchor - DAY * (k as i64 + 2) + 9 * 3600;
            d.restore_sessions.push(RestoreSession {
                vrp: k,
                kind: if k == 0 {
                    "FileLevelRestore"
                } else {
                    "Restore"
                },
                name: format!(
                    "{}@{}",
                    if k == 0 {
                        format!("FLR_[{}]", vm.name)
                    } else {
                        format!("Restore_[{}]", vm.name)
                    },
                    crate::util::name_time(start)
                ),
                start,
                end: start + 600,
                state: S_STOPPED,
                result: R_SUCCESS,
                ticks_left: 0,
            });
        }
        for k in 0..p.plans {
            let server = (k % p.servers) as u32;
            let vms = d
                .vms
                .iter()
                .filter(|v| v.server == server)
                .take(2)
                .map(|v| v.name.clone())
                .collect();
            d.plans.push(CloudPlan {
                name: format!("Tenant {} Failover Plan", (b'A' + k as u8) as char),
                server,
                tenant: format!("Tenant {}", (b'A' + k as u8) as char),
                description: "Cloud failover plan for full site failover".into(),
                vms,
            });
        }
        d.accounts.push(Account {
            name: "BUILTIN\\Administrators".into(),
            account_type: "Group",
            allow_restore_all_vms: true,
            roles: vec!["Portal Administrator"],
            deleted: false,
        });
        d.accounts.push(Account {
            name: "TECH\\operator".into(),
            account_type: "User",
            allow_restore_all_vms: false,
            roles: vec!["Restore Operator"],
            deleted: false,
        });
        for s in 0..p.servers as u32 {
            d.credentials.push(Credentials {
                server: s,
                username: "TECH\\svc-backup".into(),
                description: "Service account for guest processing".into(),
                deleted: false,
            });
            d.credentials.push(Credentials {
                server: s,
                username: "root".into(),
                description: "Linux guests".into(),
                deleted: false,
            });
        }
        d
    }

    /// Appends a session with one task per VM; returns its index.
    pub fn push_session(
        &mut self,
        job: u32,
        start: i64,
        end: i64,
        result: u8,
        is_retry: bool,
        vms: &[u32],
    ) -> u32 {
        let first_task = self.task_vm.len() as u32;
        self.task_vm.extend_from_slice(vms);
        let running = end == 0;
        self.sessions.push(Session {
            job,
            start,
            end,
            state: if running { S_WORKING } else { S_STOPPED },
            result,
            progress: if running { 0 } else { 100 },
            is_retry,
            first_task,
            ntasks: vms.len() as u16,
            ticks_left: 0,
        });
        let idx = (self.sessions.len() - 1) as u32;
        let replica = self.is_replica_session(idx);
        self.sessions_by_kind[usize::from(replica)].push(idx);
        idx
    }

    /// GUID of object `idx` of `kind`.
    pub fn id(&self, kind: Kind, idx: u32) -> String {
        guid(self.seed, kind, idx as u64)
    }

    /// `urn:veeam:<Type>:<guid>`.
    pub fn uid(&self, ty: &str, kind: Kind, idx: u32) -> String {
        let mut uid = String::with_capacity(11 + ty.len() + 36);
        uid.push_str("urn:veeam:");
        uid.push_str(ty);
        uid.push(':');
        uid.push_str(&self.id(kind, idx));
        uid
    }

    /// Index of the object of `kind` with GUID `text`, if it exists (below `len`).
    pub fn find(&self, kind: Kind, text: &str, len: usize) -> Option<u32> {
        crate::util::guid_index(self.seed, kind, text)
            .filter(|i| (*i as usize) < len)
            .map(|i| i as u32)
    }

    /// The session owning task session `t`.
    pub fn task_session(&self, t: u32) -> u32 {
        let i = self.sessions.partition_point(|s| s.first_task <= t);
        i.saturating_sub(1) as u32
    }

    /// The restore point owning VM restore point `v`.
    pub fn vrp_point(&self, v: u32) -> u32 {
        let i = self.restore_points.partition_point(|r| r.first_vrp <= v);
        i.saturating_sub(1) as u32
    }

    /// Whether session `s` is of a replication job.
    pub fn is_replica_session(&self, s: u32) -> bool {
        self.jobs[self.sessions[s as usize].job as usize].jtype == JobType::Replica
    }

    /// Result of task session `t` (derived from its session and a hash).
    pub fn task_result(&self, t: u32) -> u8 {
        let s = &self.sessions[self.task_session(t) as usize];
        let slot = t - s.first_task;
        match s.result {
            R_NONE => R_NONE,
            R_SUCCESS => R_SUCCESS,
            r => {
                if slot
                    == (hash(self.seed, &[30, s.first_task as u64]) % s.ntasks.max(1) as u64) as u32
                {
                    r
                } else {
                    R_SUCCESS
                }
            }
        }
    }

    /// Size in bytes written by task session `t`.
    pub fn task_size(&self, t: u32) -> i64 {
        if self.task_result(t) == R_FAILED {
            0
        } else {
            ((hash(self.seed, &[31, t as u64]) % 60_000) as i64 + 500) << 20
        }
    }

    /// (start, end) of task session `t`; end 0 while running.
    pub fn task_times(&self, t: u32) -> (i64, i64) {
        let s = &self.sessions[self.task_session(t) as usize];
        let slot = (t - s.first_task) as i64;
        let start = s.start + 20 + slot * 7;
        let end = if s.end == 0 {
            0
        } else {
            (s.end - (s.ntasks as i64 - slot) * 3).max(start + 1)
        };
        (start, end)
    }

    /// Whether a job is visible (not deleted).
    pub fn job_alive(&self, j: u32) -> bool {
        self.jobs.get(j as usize).is_some_and(|j| !j.deleted)
    }

    /// Catalog VMs: names of VMs that have VM restore points, sorted, deduplicated.
    pub fn catalog_vms(&self) -> Vec<u32> {
        let mut seen = vec![false; self.vms.len()];
        for v in &self.vrp_vm {
            if let Some(s) = seen.get_mut(*v as usize) {
                *s = true;
            }
        }
        let mut out: Vec<u32> = (0..self.vms.len() as u32)
            .filter(|v| seen[*v as usize])
            .collect();
        out.sort_by(|a, b| self.vms[*a as usize].name.cmp(&self.vms[*b as usize].name));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANCHOR: i64 = 1_748_736_000; // 2025-06-01T00:00:00Z

    #[test]
    fn small_has_the_promised_shape() {
        let d = Data::generate(Size::Small, 1, ANCHOR);
        assert_eq!(d.servers.len(), 2);
        assert_eq!(d.jobs.len(), 5);
        assert_eq!(d.sessions.len(), 50);
        assert!(d.jobs.iter().any(|j| j.jtype == JobType::BackupCopy));
        assert!(d.jobs.iter().any(|j| j.jtype == JobType::Replica));
        assert!(!d.restore_points.is_empty());
        assert!(!d.vrp_vm.is_empty());
        assert!(!d.replica_points.is_empty());
        assert_eq!(d.plans.len(), 1);
        assert!(!d.catalog_vms().is_empty());
        assert_eq!(d.jobs[1].last_result, R_FAILED);
        assert_eq!(d.jobs[0].last_result, R_SUCCESS);
        // Task-session → session mapping is consistent.
        for (i, s) in d.sessions.iter().enumerate() {
            for t in s.first_task..s.first_task + s.ntasks as u32 {
                assert_eq!(d.task_session(t), i as u32);
            }
        }
        for (i, r) in d.restore_points.iter().enumerate() {
            for v in r.first_vrp..r.first_vrp + r.nvm as u32 {
                assert_eq!(d.vrp_point(v), i as u32);
            }
        }
    }

    #[test]
    fn generation_is_deterministic() {
        let a = Data::generate(Size::Small, 42, ANCHOR);
        let b = Data::generate(Size::Small, 42, ANCHOR);
        let c = Data::generate(Size::Small, 43, ANCHOR);
        assert_eq!(a.id(Kind::Job, 3), b.id(Kind::Job, 3));
        assert_ne!(a.id(Kind::Job, 3), c.id(Kind::Job, 3));
        assert_eq!(a.task_vm, b.task_vm);
        assert_eq!(
            a.sessions.iter().map(|s| s.result).collect::<Vec<_>>(),
            b.sessions.iter().map(|s| s.result).collect::<Vec<_>>()
        );
    }

    #[test]
    fn large_meets_the_volume() {
        let d = Data::generate(Size::Large, 1, ANCHOR);
        let backup_sessions = (0..d.sessions.len() as u32)
            .filter(|s| !d.is_replica_session(*s))
            .count();
        assert!(backup_sessions >= 100_000, "{backup_sessions}");
        let backup_tasks: usize = d
            .sessions
            .iter()
            .filter(|s| d.jobs[s.job as usize].jtype != JobType::Replica)
            .map(|s| s.ntasks as usize)
            .sum();
        assert!(backup_tasks >= 100_000, "{backup_tasks}");
    }
}
