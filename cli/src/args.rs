//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Mode;

const AFTER_HELP: &str = "\
Connection: --server (or VEM_SERVER) is the EM host or its API URL (`em.corp.example` means
https://em.corp.example:9398/api/); --user (or VEM_USER) the account (`CORP\\svc-backup`). The
password is read from VEM_PASSWORD, or asked for without echo on a terminal; it is never a flag.

Exit codes: 0 success, 1 error, 2 usage, 3 a task or job that finished failed.

Try it without an Enterprise Manager: `vem demo`.";

/// vem: the command-line tool for Veeam Backup Enterprise Manager (REST API 1.7).
#[derive(Debug, Parser)]
#[command(name = "vem", version, about, after_help = AFTER_HELP, max_term_width = 100)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: Global,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Options accepted before or after the command.
#[derive(Debug, Clone, Args)]
pub struct Global {
    /// EM server: a host name (`em.corp.example`) or the API URL (`https://em:9398/api/`).
    #[arg(long, env = "VEM_SERVER", global = true, value_name = "HOST|URL")]
    pub server: Option<String>,
    /// Account to log on with (`DOMAIN\user` or `user@domain`). The password comes from
    /// VEM_PASSWORD or a prompt.
    #[arg(long, env = "VEM_USER", global = true)]
    pub user: Option<String>,
    /// Log on as a Cloud Connect tenant: `--user` is the tenant's name, and the credentials
    /// travel in a `LoginSpec` body (`TenantCredentials`) instead of HTTP Basic.
    #[arg(long, env = "VEM_TENANT", global = true)]
    pub tenant: bool,
    /// Trust the CA certificates of this PEM file (besides the system's).
    #[arg(long, value_name = "PEM", global = true)]
    pub ca_file: Option<PathBuf>,
    /// Accept exactly the server certificate with this SHA-256 fingerprint (hex; colons allowed).
    #[arg(long, value_name = "HEX", global = true)]
    pub pin_sha256: Option<String>,
    /// Do not verify the server's certificate (prints a warning; anyone on the path can read
    /// the password).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Format on the wire.
    #[arg(long, value_enum, default_value_t = Wire::Xml, global = true)]
    pub wire: Wire,
    /// Print JSON for scripts instead of tables (a listing prints one JSON array, streamed
    /// as it pages). Same as `--output json`.
    #[arg(long, global = true, conflicts_with_all = ["jsonl", "output"])]
    pub json: bool,
    /// Print JSON Lines: one compact JSON object per line. Same as `--output jsonl`.
    #[arg(long, global = true, conflicts_with = "output")]
    pub jsonl: bool,
    /// Output format: tables for people (human sizes and durations), or JSON, JSON Lines or
    /// CSV with raw values.
    #[arg(long, value_enum, global = true, value_name = "FORMAT")]
    pub output: Option<Mode>,
    /// For actions: wait until the task (and the job session it started) has finished.
    #[arg(long, global = true)]
    pub wait: bool,
    /// For actions: print the request that would be sent (verb, URL, body) and send nothing.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// Longest wait for a task or job, like `90s`, `10m`, `2h`.
    #[arg(long, value_name = "DURATION", default_value = "30m", global = true)]
    pub timeout: String,
    /// Config file with named profiles (default: $XDG_CONFIG_HOME/vem/config.toml).
    #[arg(long, value_name = "PATH", env = "VEM_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    /// Connect with this profile of the config file (its server, account, trust and
    /// password source replace --server, --user, --pin-sha256, --ca-file).
    #[arg(
        long,
        value_name = "NAME",
        global = true,
        conflicts_with = "all_profiles"
    )]
    pub profile: Option<String>,
    /// Run a listing, a check or `metrics` against every profile of the config file
    /// (four at a time), with a `server` column or label; a server that fails is reported
    /// without hiding the others.
    #[arg(long, global = true)]
    pub all_profiles: bool,
    /// Where the password of the chosen profile comes from (set from the profile).
    #[arg(skip)]
    pub password_source: Option<crate::profiles::PasswordSource>,
    /// Never colour the output (NO_COLOR in the environment does the same).
    #[arg(long, global = true)]
    pub no_color: bool,
}

impl Global {
    /// The output format the flags ask for.
    pub fn mode(&self) -> Mode {
        match (self.output, self.jsonl, self.json) {
            (Some(m), _, _) => m,
            (None, true, _) => Mode::Jsonl,
            (None, false, true) => Mode::Json,
            _ => Mode::Table,
        }
    }
}

/// Wire format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Wire {
    /// XML, EM's native format.
    Xml,
    /// JSON (PascalCase member names, as EM up to v12 writes them; camelCase answers are read too).
    Json,
}

/// Output format of `vem decode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DocFormat {
    /// JSON (PascalCase member names).
    Json,
    /// EM XML.
    Xml,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List jobs: name, type, platform, schedule, last result, next run.
    Jobs,
    /// Show a job or run one of its actions.
    Job {
        /// Job name, or its ID / UID.
        job: String,
        /// What to do (default: show).
        #[command(subcommand)]
        action: Option<JobAction>,
    },
    /// List backup job sessions through the query service (newest first).
    Sessions(SessionsArgs),
    /// List backup servers.
    Servers,
    /// List repositories with capacity and free space.
    Repositories,
    /// List the restore points of a VM (newest first).
    RestorePoints {
        /// VM name.
        vm: String,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// List the tasks of this logon session.
    Tasks,
    /// Show a task of this logon session; with --wait, wait until it has finished. (EM shows
    /// a task only to the logon session that started it: to wait for an action, give the
    /// action --wait.)
    Task {
        /// Task ID (`task-7`) or its URL.
        id: String,
    },
    /// Run a query-service query over any queryable type.
    Query(QueryArgs),
    /// Call any operation of the spec: fetch TARGET, follow its REL link.
    Call(CallArgs),
    /// What the spec offers.
    Api {
        /// What to list.
        #[command(subcommand)]
        what: ApiWhat,
    },
    /// Decode an EM XML or JSON document into its typed representation.
    Decode(DecodeArgs),
    /// Start an embedded EM simulator and walk the main flows against it.
    Demo,
    /// Monitoring-plugin checks for Nagios, Icinga, Centreon: one status line
    /// `OK|WARNING|CRITICAL|UNKNOWN: summary | perfdata`, long output after it, exit code
    /// 0/1/2/3. Thresholds use the plugin range syntax (`10`, `10:`, `~:10`, `10:20`,
    /// `@10:20`).
    Check(CheckArgs),
    /// Prometheus metrics (text format 0.0.4) of jobs, repositories and backup servers:
    /// printed once, written to a file for node_exporter's textfile collector, or served.
    Metrics(MetricsArgs),
    /// Print a shell completion script (`vem completions bash > /etc/bash_completion.d/vem`).
    Completions {
        /// The shell.
        #[arg(value_enum)]
        shell: Shell,
    },
    /// Print the man page (roff: `vem man > vem.1; man ./vem.1`).
    Man,
    /// Walk the connection step by step (name, TCP, TLS certificate and pin, entry point,
    /// logon, rights) and say what to do where a step fails.
    Doctor,
    /// Browse the guest file system of a VM's restore point (mounted for the listing and
    /// unmounted afterwards).
    Files {
        /// VM name.
        vm: String,
        /// Directory or file (`C:/Documents`); default: the volumes.
        path: Option<String>,
        /// Which restore point: `latest` or the newest at or before a date.
        #[arg(long, value_name = "latest|DATE", default_value = "latest")]
        point: String,
    },
    /// Restore from a restore point.
    Restore {
        /// What to restore.
        #[command(subcommand)]
        what: RestoreWhat,
    },
    /// Fetch the server's certificate and show its SHA-256 fingerprint; with --profile,
    /// write the pin into that profile after confirmation.
    Trust {
        /// Host or URL (default: --server or the profile's server).
        host: Option<String>,
        /// Write without asking.
        #[arg(long)]
        yes: bool,
    },
}

/// `vem restore …`.
#[derive(Debug, Subcommand)]
pub enum RestoreWhat {
    /// Restore guest files for download into a local directory (mount, find, restore,
    /// download, unmount; the mount is removed even when a step fails or on Ctrl-C).
    File {
        /// VM name.
        vm: String,
        /// Files on the guest (`C:/Documents/Invoice1.docx`).
        #[arg(required = true)]
        paths: Vec<String>,
        /// Which restore point: `latest` or the newest at or before a date.
        #[arg(long, value_name = "latest|DATE", default_value = "latest")]
        point: String,
        /// Local directory to write the files into.
        #[arg(long, value_name = "DIR")]
        to: PathBuf,
    },
    /// Restore a whole VM from a restore point to its original location (over the VM:
    /// try it with --dry-run first; --wait waits for the restore task).
    Vm {
        /// VM name.
        vm: String,
        /// Which restore point: `latest` or the newest at or before a date.
        #[arg(long, value_name = "latest|DATE", default_value = "latest")]
        point: String,
        /// Restore to the original location (required: the only target vem offers).
        #[arg(long, required = true)]
        to_original: bool,
        /// Restore only the changed blocks (EM's Quick Rollback).
        #[arg(long)]
        quick_rollback: bool,
        /// Power the VM on afterwards.
        #[arg(long)]
        power_on: bool,
        /// Keep the original VM (EM renames it).
        #[arg(long)]
        keep_original: bool,
    },
}

/// Shells with completion scripts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    /// bash.
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// `vem metrics`.
#[derive(Debug, Args)]
pub struct MetricsArgs {
    /// Serve `/metrics` on this address (`127.0.0.1:9798`): one EM round per scrape; when EM
    /// does not answer, `veeam_em_up 0` with the last good values.
    #[arg(long, value_name = "ADDR", conflicts_with = "textfile")]
    pub listen: Option<String>,
    /// Write the metrics to this file atomically (temporary file, then rename), for
    /// node_exporter's textfile collector.
    #[arg(long, value_name = "PATH")]
    pub textfile: Option<PathBuf>,
    /// Longest EM round of one scrape.
    #[arg(long, value_name = "DURATION", default_value = "30s")]
    pub scrape_timeout: String,
    /// Job runs are looked for in this last period (`7d`) or since an RFC 3339 time.
    #[arg(long, value_name = "PERIOD|DATE", default_value = "7d")]
    pub since: String,
}

/// `vem check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Give up after this long with UNKNOWN (keep it below the monitoring system's own
    /// plugin timeout).
    #[arg(long, value_name = "DURATION", default_value = "50s")]
    pub max_time: String,
    /// What to check.
    #[command(subcommand)]
    pub what: CheckWhat,
}

/// The checks.
#[derive(Debug, Subcommand)]
pub enum CheckWhat {
    /// Each job's effective last result in the window: CRITICAL for Failed, WARNING for
    /// Warning; a retry that succeeded counts for the run it retried; a scheduled job
    /// without a run is --no-run.
    Jobs {
        /// The window: a period (`24h`, `7d`) or an RFC 3339 time.
        #[arg(long, value_name = "PERIOD|DATE", default_value = "24h")]
        since: String,
        /// Only jobs whose name matches this pattern (`*` and `?`, any case).
        #[arg(long, value_name = "PATTERN")]
        name: Option<String>,
        /// Only jobs of these types (Backup, Replica, BackupCopy…; repeat or comma-separate).
        #[arg(long = "type", value_name = "TYPE", value_delimiter = ',')]
        type_: Vec<String>,
        /// State of a scheduled job that has no run in the window.
        #[arg(long, value_name = "STATE", default_value = "warning")]
        no_run: String,
    },
    /// Used space of each repository, in percent (`80%`) or bytes (`500GiB`); perfdata in
    /// bytes.
    Repositories {
        /// Warning range of the used space.
        #[arg(long, value_name = "RANGE", default_value = "80%")]
        warning: Option<String>,
        /// Critical range of the used space.
        #[arg(long, value_name = "RANGE", default_value = "90%")]
        critical: Option<String>,
        /// Only repositories whose name matches this pattern (`*` and `?`, any case).
        #[arg(long, value_name = "PATTERN")]
        name: Option<String>,
    },
    /// Job sessions that are still running: WARNING past --running-longer-than.
    Sessions {
        /// Warning when a session has run longer than this (`8h`, `90m`).
        #[arg(long, value_name = "DURATION", default_value = "8h")]
        running_longer_than: String,
        /// Critical when a session has run longer than this.
        #[arg(long, value_name = "DURATION")]
        critical_longer_than: Option<String>,
    },
    /// The backup servers EM manages: WARNING for a server with jobs whose newest job
    /// session is older than --stale (EM's REST API has no connection-state field).
    BackupServers {
        /// Longest silence of a server with jobs.
        #[arg(long, value_name = "DURATION", default_value = "48h")]
        stale: String,
    },
}

/// Actions on one job.
#[derive(Debug, Subcommand)]
pub enum JobAction {
    /// Show the job (the default).
    Show,
    /// Start the job.
    Start,
    /// Stop the job.
    Stop,
    /// Retry the job (EM accepts it only when the last run failed).
    Retry,
    /// Clone the job.
    Clone {
        /// Name of the new job.
        #[arg(long)]
        name: String,
        /// Folder of the new job's backup files (default: the new name).
        #[arg(long)]
        folder: Option<String>,
        /// UID of the repository for the new job (default: the first repository of the
        /// job's backup server).
        #[arg(long, value_name = "UID")]
        repository: Option<String>,
        /// Description of the new job.
        #[arg(long)]
        description: Option<String>,
    },
    /// Enable the job's schedule if disabled, disable it if enabled.
    ToggleSchedule,
    /// List the job's recent sessions.
    Sessions {
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
    },
}

/// `vem sessions`.
#[derive(Debug, Args)]
pub struct SessionsArgs {
    /// Only sessions of this job (by name).
    #[arg(long)]
    pub job: Option<String>,
    /// Only sessions in this state (Starting, Stopping, Working, Pausing, Resuming, Stopped).
    #[arg(long)]
    pub state: Option<String>,
    /// Only sessions with this result (Success, Warning, Failed, None).
    #[arg(long)]
    pub result: Option<String>,
    /// Only sessions started in this last period (`90m`, `24h`, `7d`) or since a UTC date-time
    /// (`2025-02-19T06:00:00Z`).
    #[arg(long, value_name = "PERIOD|DATE")]
    pub since: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
}

/// `vem query`.
#[derive(Debug, Args)]
pub struct QueryArgs {
    /// Query type (`Job`, `BackupJobSession`, `Repository`…; `vem api types` lists them).
    pub type_: String,
    /// Filter in EM's grammar: `JobType==Backup;Name=="SQL Backup"` (`;` AND, `,` OR).
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Sort ascending by this field.
    #[arg(long, value_name = "FIELD", conflicts_with = "sort_desc")]
    pub sort_asc: Option<String>,
    /// Sort descending by this field.
    #[arg(long, value_name = "FIELD")]
    pub sort_desc: Option<String>,
    /// Return whole entities instead of references.
    #[arg(long)]
    pub entities: bool,
    /// Items per page asked from the server (pages are followed lazily).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: Option<u32>,
    /// Stop after this many items.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

/// `vem call`.
#[derive(Debug, Args)]
pub struct CallArgs {
    /// Spec type of TARGET (`Job`, `BackupServer`, `VmRestorePoint`…).
    pub type_: String,
    /// The representation: its URL (`https://em:9398/api/jobs/…?format=Entity`, or a path
    /// below the API root), its ID or UID (put into the type's URL form), or — for queryable
    /// types — its name.
    pub target: String,
    /// Relation of the link to follow (`Start`, `Down`, `Edit`…).
    pub rel: String,
    /// Which of several REL operations: its method name (`backup_sessions`) or HTTP verb.
    #[arg(long, value_name = "M")]
    pub method: Option<String>,
    /// Request body (XML or JSON file) for operations that take one.
    #[arg(long, value_name = "FILE")]
    pub body: Option<PathBuf>,
    /// Where to write downloaded content (default: standard output).
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `vem api …`.
#[derive(Debug, Subcommand)]
pub enum ApiWhat {
    /// Every operation: type, rel, method, verb, path, request, response, mode.
    Methods {
        /// Only the operations of this type.
        #[arg(value_name = "TYPE")]
        type_: Option<String>,
        /// Tab-separated, exactly as `emrest-codegen methods` prints it.
        #[arg(long)]
        tsv: bool,
    },
    /// Every representation: type, root element, URL form, query name.
    Types,
}

/// `vem decode`.
#[derive(Debug, Args)]
pub struct DecodeArgs {
    /// The document (`-` for standard input).
    pub file: PathBuf,
    /// Output: JSON, or the document encoded back to XML.
    #[arg(long, value_enum, default_value_t = DocFormat::Json)]
    pub format: DocFormat,
    /// Decode as this spec type instead of choosing by root element (needed for JSON
    /// documents without a `Type` member).
    #[arg(long = "type", value_name = "TYPE")]
    pub type_: Option<String>,
    /// Print, on standard error, every element or attribute path no typed field took, and
    /// exit 1 when there is any.
    #[arg(long)]
    pub strict: bool,
}
