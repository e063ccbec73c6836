//! `vem files VM [PATH]` and `vem restore file VM PATH… --to DIR`: a VM restore point's
//! guest file system, mounted for the command and unmounted afterwards, even when a step
//! fails or the user presses Ctrl-C.

use std::path::{Path, PathBuf};

use emrest::runtime::{Download, Links};
use emrest::VmRestorePointMount;
use emrest::{DirectoryEntry, FileEntry, FileRestoreSpec, FileSystemEntries, VmRestorePoint};

use crate::error::{CliError, Result};
use crate::everyday::{parse_since, vm_restore_points};
use crate::listing::Listing;
use crate::output::{col, note, rcol, short_time, Cell, Out};
use crate::tasks;

/// The restore point `point` (`latest`, or the newest created at or before a date) of `vm`.
pub async fn pick_point(em: &emrest::Session, vm: &str, point: &str) -> Result<VmRestorePoint> {
    let points = vm_restore_points(em, vm, 200).await?;
    if points.is_empty() {
        return Err(CliError::error(format!(
            "no restore point of a VM named `{vm}` (`vem restore-points {vm}`)"
        )));
    }
    if point.eq_ignore_ascii_case("latest") {
        return Ok(points.into_iter().next().unwrap_or_default());
    }
    let at = parse_since(point)?
        .unix_seconds()
        .ok_or_else(|| CliError::usage(format!("--point `{point}` is not a date")))?;
    points
        .into_iter()
        .find(|p| p.creation_time_utc.unix_seconds().is_some_and(|t| t <= at))
        .ok_or_else(|| CliError::error(format!("`{vm}` has no restore point at or before {point}")))
}

/// Mounts `point`, runs `body` on the mount, and removes the mount whatever happened
/// (an error, or Ctrl-C while `body` runs).
pub async fn with_mount<T>(
    em: &emrest::Session,
    point: &VmRestorePoint,
    body: impl AsyncFnOnce(&VmRestorePointMount) -> Result<T>,
) -> Result<T> {
    // Ctrl-C is caught from here on (the handler is installed now, not when first awaited),
    // so an interrupt while the mount is being made still removes it.
    let mut interrupt = Interrupt::new()?;
    let task = point.mount(em).await?;
    let task = tasks::wait_with_spinner(em, &task, "the mount").await?;
    if let Some(why) = tasks::failure(&task) {
        return Err(CliError::error(format!(
            "EM could not mount the restore point: {why}"
        )));
    }
    let mount: VmRestorePointMount = task.mount(em).await?;
    let res = tokio::select! {
        r = body(&mount) => r,
        _ = interrupt.recv() => Err(CliError::error("interrupted; the mount is removed")),
    };
    match mount.unmount(em).await {
        Ok(()) => res,
        Err(e) => {
            let msg = format!(
                "could not remove the mount ({}); remove it in EM's console",
                CliError::from(e).line()
            );
            match res {
                Ok(_) => Err(CliError::error(msg)),
                Err(first) => {
                    note(format!("vem: {msg}"));
                    Err(first)
                }
            }
        }
    }
}

/// Ctrl-C, caught.
struct Interrupt {
    #[cfg(unix)]
    sig: tokio::signal::unix::Signal,
}

impl Interrupt {
    fn new() -> Result<Interrupt> {
        #[cfg(unix)]
        {
            let sig = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())
                .map_err(|e| CliError::error(format!("cannot catch Ctrl-C: {e}")))?;
            Ok(Interrupt { sig })
        }
        #[cfg(not(unix))]
        {
            Ok(Interrupt {})
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            self.sig.recv().await;
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// One listing of a directory, its pages followed.
async fn list(em: &emrest::Session, href: &str) -> Result<(Vec<DirectoryEntry>, Vec<FileEntry>)> {
    let mut dirs = Vec::new();
    let mut files = Vec::new();
    let mut next = Some(href.to_string());
    let mut seen = 0;
    while let Some(h) = next.take() {
        let page: FileSystemEntries = em.get(&h).await?;
        dirs.extend(page.directories.unwrap_or_default());
        files.extend(page.files.unwrap_or_default());
        seen += 1;
        if seen > 10_000 {
            return Err(CliError::error("the listing's pages do not end"));
        }
        next = page
            .paging_info
            .and_then(|p| p.links)
            .and_then(|l: Links| l.all("Next").next().map(|l| l.href.to_string()));
    }
    Ok((dirs, files))
}

/// Splits `C:/Documents/x` (or `C:\Documents\x`) into its names.
fn parts(path: &str) -> Vec<String> {
    path.split(['/', '\\'])
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

fn same(a: Option<&str>, b: &str) -> bool {
    a.is_some_and(|a| a.trim_end_matches(['/', '\\']).eq_ignore_ascii_case(b))
}

/// What a path names on the mount.
enum Found {
    Dir(Vec<DirectoryEntry>, Vec<FileEntry>),
    File(FileEntry),
}

/// Finds `path` on the mount: from its roots down, directory by directory.
async fn find(em: &emrest::Session, mount: &VmRestorePointMount, path: &str) -> Result<Found> {
    let roots: Vec<DirectoryEntry> = mount.fs_roots.clone().unwrap_or_default();
    let names = parts(path);
    let Some((first, rest)) = names.split_first() else {
        return Ok(Found::Dir(roots, Vec::new()));
    };
    let root = roots
        .iter()
        .find(|r| same(r.name.as_deref(), first) || same(r.path.as_deref(), first))
        .ok_or_else(|| {
            CliError::error(format!(
                "no volume `{first}` on the restore point (volumes: {})",
                roots
                    .iter()
                    .filter_map(|r| r.name.clone().or_else(|| r.path.clone()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
    let mut href = root
        .href
        .clone()
        .ok_or_else(|| CliError::error(format!("volume `{first}` has no URL")))?;
    let mut here = first.clone();
    for (i, name) in rest.iter().enumerate() {
        let (dirs, files) = list(em, &href).await?;
        if let Some(d) = dirs.iter().find(|d| same(d.name.as_deref(), name)) {
            href = d
                .href
                .clone()
                .ok_or_else(|| CliError::error(format!("`{here}/{name}` has no URL")))?;
            here = format!("{here}/{name}");
            continue;
        }
        if i == rest.len() - 1 {
            if let Some(f) = files.into_iter().find(|f| same(f.name.as_deref(), name)) {
                return Ok(Found::File(f));
            }
        }
        return Err(CliError::error(format!("no `{name}` in `{here}`")));
    }
    let (dirs, files) = list(em, &href).await?;
    Ok(Found::Dir(dirs, files))
}

/// `vem files VM [PATH]`.
pub async fn files_cmd(
    out: &Out,
    em: &emrest::Session,
    vm: &str,
    path: Option<&str>,
    point: &str,
) -> Result<()> {
    let rp = pick_point(em, vm, point).await?;
    let path = path.unwrap_or("");
    with_mount(em, &rp, async |mount| {
        let mut l = Listing::new(
            *out,
            vec![
                col("kind", "KIND"),
                col("name", "NAME"),
                rcol("size", "SIZE"),
                col("modified", "MODIFIED (UTC)"),
                col("path", "PATH"),
            ],
        );
        match find(em, mount, path).await? {
            Found::Dir(dirs, files) => {
                for d in dirs {
                    l.push(vec![
                        Cell::text("dir"),
                        Cell::opt(d.name),
                        Cell::none(),
                        Cell::none(),
                        Cell::opt(d.path),
                    ]);
                }
                for f in files {
                    l.push(file_row(&f));
                }
            }
            Found::File(f) => {
                l.push(file_row(&f));
            }
        }
        l.finish();
        Ok(())
    })
    .await
}

fn file_row(f: &FileEntry) -> Vec<Cell> {
    let mut modified = Cell::time(Some(&f.modified_date_utc));
    modified.text = short_time(&f.modified_date_utc);
    vec![
        Cell::text("file"),
        Cell::opt(f.name.clone()),
        Cell::bytes(Some(f.size)),
        modified,
        Cell::opt(f.path.clone()),
    ]
}

/// `vem restore file VM PATH… --to DIR`: each file restored for direct download and
/// written into DIR under its own name.
pub async fn restore_files_cmd(
    out: &Out,
    em: &emrest::Session,
    vm: &str,
    paths: &[String],
    point: &str,
    to: &Path,
) -> Result<()> {
    if !to.is_dir() {
        return Err(CliError::usage(format!(
            "--to {}: not a directory",
            to.display()
        )));
    }
    let rp = pick_point(em, vm, point).await?;
    note(format!(
        "vem: restoring from the point of {}",
        short_time(&rp.creation_time_utc)
    ));
    with_mount(em, &rp, async |mount| {
        let mut written = Vec::new();
        for p in paths {
            let file = match find(em, mount, p).await? {
                Found::File(f) => f,
                Found::Dir(..) => {
                    return Err(CliError::usage(format!(
                        "`{p}` is a directory: give files (`vem files {vm} {p}` lists them)"
                    )))
                }
            };
            let spec = FileRestoreSpec {
                for_direct_download: Some(Default::default()),
                ..Default::default()
            };
            let task = file.restore(em, &spec).await?;
            let task = tasks::wait_with_spinner(em, &task, &format!("the restore of {p}")).await?;
            if let Some(why) = tasks::failure(&task) {
                return Err(CliError::error(format!("EM could not restore {p}: {why}")));
            }
            let d: Download = task.download(em).await?;
            let name = file
                .name
                .as_deref()
                .map(String::from)
                .or_else(|| parts(p).pop())
                .unwrap_or_else(|| "file".into());
            // The name is EM's: keep only its last component, so it cannot leave DIR.
            let name = parts(&name).pop().unwrap_or_else(|| "file".into());
            if name == ".." || name == "." {
                return Err(CliError::error(format!("EM named the file `{name}`")));
            }
            let dest: PathBuf = to.join(&name);
            std::fs::write(&dest, &d.bytes)
                .map_err(|e| CliError::error(format!("cannot write {}: {e}", dest.display())))?;
            written.push((p.clone(), dest, d.bytes.len()));
        }
        for (p, dest, n) in &written {
            if out.json {
                out.json_value(&serde_json::json!({
                    "path": p, "written": dest.display().to_string(), "bytes": n
                }));
            } else {
                out.line(format!("{p} → {} ({n} bytes)", dest.display()));
            }
        }
        Ok(())
    })
    .await
}

/// `vem restore vm VM --to-original`: the restore task of the point (printed and not sent
/// under `--dry-run`; waited for under `--wait`).
pub async fn restore_vm_cmd(
    g: &crate::args::Global,
    out: &Out,
    em: &emrest::Session,
    vm: &str,
    point: &str,
    spec: emrest::VmRestoreSpec,
) -> Result<()> {
    let rp = pick_point(em, vm, point).await?;
    let body = emrest::RestoreSpec {
        vm_restore_spec: Some(spec),
        ..Default::default()
    };
    let call = rp.restore(em, &body);
    if g.dry_run {
        return crate::generic::print_call(out, call);
    }
    let task = call.await?;
    let when = short_time(&rp.creation_time_utc);
    tasks::report_task(g, out, em, task, &format!("restore of {vm} from {when}")).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_split_both_ways() {
        assert_eq!(parts("C:/Documents/x.docx"), ["C:", "Documents", "x.docx"]);
        assert_eq!(parts("C:\\Documents\\"), ["C:", "Documents"]);
        assert!(parts("").is_empty());
        assert!(same(Some("C:/"), "c:"));
    }
}
