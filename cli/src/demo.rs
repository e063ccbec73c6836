//! `vem demo`: starts an embedded EM simulator on a free loopback port, logs on, and walks
//! the main flows with the same code as the real commands, printing what it does.

use std::time::{SystemTime, UNIX_EPOCH};

use emrest::runtime::{follow_related, Page};
use emrest::{
    BackupJobSession, FileSystemEntries, JobResult, JobType, SessionOps, VmRestorePoint,
    VmRestorePointMount,
};

use crate::args::{Command, Global, JobAction, Wire};
use crate::error::{CliError, Result};
use crate::everyday::{self, parse_since, sessions_table};
use crate::output::{col, rcol, Cell, Out, Table};
use crate::tasks;

/// The simulator's administrator account.
const USER: &str = "admin";
const PASSWORD: &str = "admin";

struct Walk<'a> {
    out: &'a Out,
    step: usize,
}

impl Walk<'_> {
    fn step(&mut self, title: &str, equivalent: &str) {
        self.step += 1;
        let head = format!("\n== {}. {title}", self.step);
        let head = if self.out.colour {
            console::Style::new()
                .bold()
                .cyan()
                .apply_to(head)
                .to_string()
        } else {
            head
        };
        self.out.line(head);
        if !equivalent.is_empty() {
            let cmd = format!("   $ {equivalent}");
            self.out.line(if self.out.colour {
                console::Style::new().dim().apply_to(cmd).to_string()
            } else {
                cmd
            });
        }
    }
}

/// `vem demo`.
pub async fn demo_cmd(g: &Global, out: &Out) -> Result<()> {
    // Tables for people, whatever --json says: the demo is a walk-through.
    let out = &out.tables();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(emrest_sim::DEFAULT_ANCHOR);
    let config = emrest_sim::SimConfig {
        // History up to now, so "the last day" means the last day.
        anchor: now,
        // A started job runs for a few polls, not the default ten.
        session_ticks: 4,
        task_polls: 1,
        ..emrest_sim::SimConfig::default()
    };
    let sim = emrest_sim::spawn(config)
        .await
        .map_err(|e| CliError::error(format!("cannot start the embedded simulator: {e}")))?;
    let url = sim.url();
    out.line(format!(
        "vem demo: an embedded Enterprise Manager simulator (em-sim) is listening on {url}"
    ));
    out.line(format!(
        "Every step below is what vem does against a real EM; the command that does it is shown under each title\n(with VEM_SERVER={url} VEM_USER={USER} VEM_PASSWORD=… in the environment)."
    ));
    let mut w = Walk { out, step: 0 };
    let res = walk(g, out, &mut w, &url).await;
    sim.shutdown().await;
    match res {
        Ok(()) => {
            out.line(format!(
                "\nvem demo: all {} steps worked. Point vem at your EM with --server (see `vem --help`).",
                w.step
            ));
            Ok(())
        }
        Err(e) => Err(CliError {
            code: e.code,
            message: format!("demo step {} failed: {}", w.step, e.message),
        }),
    }
}

async fn walk(g: &Global, out: &Out, w: &mut Walk<'_>, url: &str) -> Result<()> {
    let g = Global {
        server: Some(url.to_string()),
        user: Some(USER.to_string()),
        ca_file: None,
        pin_sha256: None,
        insecure: false,
        json: false,
        wait: true,
        dry_run: false,
        ..g.clone()
    };

    w.step(
        "Log on (version negotiated from the entry point)",
        "vem servers   # every command logs on first",
    );
    let client = emrest::Client::builder(url)
        .format(match g.wire {
            Wire::Xml => emrest::runtime::Format::Xml,
            Wire::Json => emrest::runtime::Format::Json,
        })
        .build()?;
    let em = client.logon(USER, PASSWORD).await?;
    out.line(format!(
        "   logged on as {} with API {} over {}",
        em.user(),
        em.version().unwrap_or("(server default)"),
        em.format()
            .media_type(&<emrest::Api as emrest::runtime::Api>::INFO.media)
    ));

    let res = flows(&g, out, w, &em).await;
    w.step(
        "Log off (the session deletes itself through its own link)",
        "",
    );
    em.logoff().await?;
    out.line("   logged off");
    res
}

async fn flows(g: &Global, out: &Out, w: &mut Walk<'_>, em: &emrest::Session) -> Result<()> {
    w.step("Backup servers", "vem servers");
    everyday::run(g, out, em, &Command::Servers).await?;

    w.step("Repositories: capacity and free space", "vem repositories");
    everyday::run(g, out, em, &Command::Repositories).await?;

    w.step("Jobs, with the last result of each", "vem jobs");
    everyday::run(g, out, em, &Command::Jobs).await?;

    let jobs = em.job_entities().await?.job;
    let job = jobs
        .iter()
        .find(|j| {
            j.job_type == Some(JobType::Backup)
                && j.links
                    .as_ref()
                    .is_some_and(|l| l.find("Start", None, None).is_ok())
        })
        .ok_or_else(|| CliError::error("the simulator offers no backup job to start"))?;
    let name = job.name.as_deref().unwrap_or_default().to_string();
    w.step(
        &format!("Start job \"{name}\", wait for its task and then its session"),
        &format!("vem job \"{name}\" start --wait"),
    );
    everyday::run(
        g,
        out,
        em,
        &Command::Job {
            job: name.clone(),
            action: Some(JobAction::Start),
        },
    )
    .await?;

    w.step(
        "Failed sessions of the last day, through the query service, one per page",
        "vem sessions --result Failed --since 24h",
    );
    let since = parse_since("24h")?;
    let query = em
        .query::<BackupJobSession>()
        .entities()
        .filter(
            BackupJobSession::RESULT.eq(JobResult::Failed)
                & BackupJobSession::CREATION_TIME.ge(since),
        )
        .sort_desc(BackupJobSession::CREATION_TIME)
        .page_size(1);
    out.line(format!("   GET {}", query.url()?));
    let mut page: Page<BackupJobSession> = query.first_page().await?;
    let mut failed = Vec::new();
    loop {
        out.line(format!(
            "   page {} of {}: {} session(s)",
            page.page_num,
            page.pages_count.max(1),
            page.items.len()
        ));
        failed.extend(page.items.iter().cloned());
        match page.next(em).await? {
            Some(next) if failed.len() < 20 => page = next,
            _ => break,
        }
    }
    out.table(&sessions_table(&failed));

    browse(out, w, em).await?;
    Ok(())
}

async fn browse(out: &Out, w: &mut Walk<'_>, em: &emrest::Session) -> Result<()> {
    let page = em
        .query::<VmRestorePoint>()
        .entities()
        .sort_desc(VmRestorePoint::CREATION_TIME)
        .page_size(1)
        .first_page()
        .await?;
    let vrp = page
        .items
        .into_iter()
        .next()
        .ok_or_else(|| CliError::error("the simulator has no VM restore point"))?;
    let vm = vrp
        .vm_display_name
        .clone()
        .or_else(|| vrp.vm_name.clone())
        .unwrap_or_default();
    w.step(
        "Browse a restore point: the newest VM restore point, mounted, its guest files listed",
        &format!("vem restore-points {vm}"),
    );
    out.line(format!(
        "   VM \"{vm}\": restore point of {} ({})",
        crate::output::short_time(&vrp.creation_time_utc),
        vrp.point_type
            .as_ref()
            .map(|t| t.to_string())
            .unwrap_or_default()
    ));
    let offered: Vec<String> = vrp
        .links
        .as_ref()
        .map(|l| l.iter().map(|l| l.rel.to_string()).collect())
        .unwrap_or_default();
    out.line(format!("   it offers: {}", offered.join(", ")));
    let task = vrp.mount(em).await?;
    let task = tasks::wait_with_spinner(em, &task, "the mount").await?;
    out.line(format!("   {}", tasks::describe(&task)));
    let mount: VmRestorePointMount = follow_related(em, &task).await?;
    let roots = mount.fs_roots.clone().unwrap_or_default();
    out.line(format!(
        "   mounted: {} volume(s): {}",
        roots.len(),
        roots
            .iter()
            .filter_map(|r| r.path.clone().or_else(|| r.name.clone()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    if let Some(href) = roots.iter().find_map(|r| r.href.clone()) {
        let listing: FileSystemEntries = em.get(&href).await?;
        let mut t = Table::new(vec![
            col("kind", "KIND"),
            col("path", "PATH"),
            rcol("size", "SIZE"),
            col("modified", "MODIFIED (UTC)"),
        ]);
        for d in listing.directories.iter().flatten() {
            t.push(vec![
                Cell::text("dir"),
                Cell::opt(d.path.clone().or_else(|| d.name.clone())),
            ]);
        }
        for f in listing.files.iter().flatten() {
            t.push(vec![
                Cell::text("file"),
                Cell::opt(f.path.clone().or_else(|| f.name.clone())),
                Cell::bytes(Some(f.size)),
                Cell::time(Some(&f.modified_date_utc)),
            ]);
        }
        out.table(&t);
    }
    mount.unmount(em).await?;
    out.line("   unmounted");
    Ok(())
}
