//! Repositories, backups, restore points, VM restore points (restore, mounts, guest files)
//! and restore sessions.

use axum::http::{Method, StatusCode};
use emrest_runtime::Node;

use super::{body, get_only, no_such, not_found, only, task_reply, tl, unknown_action};
use crate::build::{
    el, entity_list, l, link, links, links_node, plain, ref_list, shell, NodeExt, Vars, L,
};
use crate::data::{
    Mount, RestoreSession, ALGORITHMS, POINT_TYPES, RESULTS, R_NONE, SESSION_STATES, S_STOPPED,
    S_WORKING,
};
use crate::filter::Paging;
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::{iso, name_time, pct_encode_path, sql_time, Kind};

const REPO_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("Repository"),
        "{self}?format=Entity",
        Some("self"),
    ),
];
/// Sample `repositories_id.1.xml`.
const REPO_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("RepositoryReference"),
        "{self}",
        Some("self"),
    ),
    l("Down", Some("BackupReferenceList"), "{self}/backups", None),
    l(
        "Down",
        Some("ReplicaReferenceList"),
        "{self}/replicas",
        None,
    ),
];
const BACKUP_REF_LINKS: &[L] = &[
    l("Up", Some("RepositoryReference"), "{repo}", Some("repo")),
    l(
        "Alternate",
        Some("Backup"),
        "{self}?format=Entity",
        Some("self"),
    ),
    l(
        "Down",
        Some("RestorePointReferenceList"),
        "{self}/restorePoints",
        None,
    ),
];
const BACKUP_LINKS: &[L] = &[
    l("Up", Some("RepositoryReference"), "{repo}", Some("repo")),
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Alternate", Some("BackupReference"), "{self}", Some("self")),
    l(
        "Down",
        Some("RestorePointReferenceList"),
        "{self}/restorePoints",
        None,
    ),
];
const RP_REF_LINKS: &[L] = &[
    l("Up", Some("BackupReference"), "{backup}", Some("backup")),
    l(
        "Alternate",
        Some("RestorePoint"),
        "{self}?format=Entity",
        Some("self"),
    ),
    l(
        "Down",
        Some("VmRestorePointReferenceList"),
        "{self}/vmRestorePoints",
        None,
    ),
];
const RP_LINKS: &[L] = &[
    l("Up", Some("BackupReference"), "{backup}", Some("backup")),
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("RestorePointReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Down",
        Some("VmRestorePointReferenceList"),
        "{self}/vmRestorePoints",
        None,
    ),
];
const VRP_REF_LINKS: &[L] = &[
    l("Up", Some("RestorePointReference"), "{rp}", Some("rp")),
    l(
        "Alternate",
        Some("VmRestorePoint"),
        "{self}?format=Entity",
        Some("self"),
    ),
];
/// Sample in `get_query_vmrestorepoint` (backup files are not simulated).
const VRP_LINKS: &[L] = &[
    l("Restore", None, "{self}?action=restore", None),
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l("Up", Some("RestorePointReference"), "{rp}", Some("rp")),
    l(
        "Alternate",
        Some("VmRestorePointReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Down",
        Some("VmRestorePointMountList"),
        "{self}/mounts",
        None,
    ),
    l("Create", Some("VmRestorePointMount"), "{self}/mounts", None),
];
const MOUNT_LINKS: &[L] = &[
    l(
        "Up",
        Some("VmRestorePoint"),
        "{vrp}?format=Entity",
        Some("vrp"),
    ),
    l("Delete", None, "{self}", None),
    l("Down", Some("FileSystemEntries"), "{self}/C:/", None),
];
const RS_REF_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("RestoreSession"),
        "{self}?format=Entity",
        Some("self"),
    ),
];
/// Sample `scenario_1_click_restore.9.xml`.
const RS_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServerReference"),
        "{server}",
        Some("server"),
    ),
    l(
        "Alternate",
        Some("RestoreSessionReference"),
        "{self}",
        Some("self"),
    ),
    l(
        "Related",
        Some("VmRestorePointReference"),
        "{vrp}",
        Some("vrp"),
    ),
];

fn server_var(sim: &Sim, req: &Req, v: Vars, server: u32) -> Vars {
    v.set(
        "server",
        req.url(&super::servers::path(sim, server)),
        Some(&sim.data.servers[server as usize].name),
    )
}

// ---- repositories ----

fn repo_path(sim: &Sim, r: u32) -> String {
    format!("/repositories/{}", sim.data.id(Kind::Repo, r))
}

fn repo_vars(sim: &Sim, req: &Req, r: u32) -> Vars {
    let repo = &sim.data.repos[r as usize];
    let v = Vars::new().set("self", req.url(&repo_path(sim, r)), Some(&repo.name));
    server_var(sim, req, v, repo.server)
}

/// Reference of repository `r`.
pub fn repo_ref(sim: &Sim, req: &Req, r: u32) -> Node {
    let repo = &sim.data.repos[r as usize];
    shell(
        "EntityRef",
        "RepositoryReference",
        &req.url(&repo_path(sim, r)),
        &repo.name,
        &sim.data.uid("Repository", Kind::Repo, r),
        links(REPO_REF_LINKS, &repo_vars(sim, req, r)),
    )
}

/// Entity of repository `r`.
pub fn repo_entity(sim: &Sim, req: &Req, r: u32) -> Node {
    let repo = &sim.data.repos[r as usize];
    shell(
        "Repository",
        "Repository",
        &req.url(&format!("{}?format=Entity", repo_path(sim, r))),
        &repo.name,
        &sim.data.uid("Repository", Kind::Repo, r),
        links(REPO_LINKS, &repo_vars(sim, req, r)),
    )
    .num("Capacity", repo.capacity)
    .num("FreeSpace", repo.free)
    .t("Kind", repo.kind)
}

/// A repository list.
pub fn repo_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list(
            "Repositories",
            ids.iter().map(|r| repo_entity(sim, req, *r)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|r| repo_ref(sim, req, *r)).collect())
    }
}

// ---- backups ----

fn backup_path(sim: &Sim, b: u32) -> String {
    format!("/backups/{}", sim.data.id(Kind::Backup, b))
}

fn backup_vars(sim: &Sim, req: &Req, b: u32) -> Vars {
    let bk = &sim.data.backups[b as usize];
    let job = &sim.data.jobs[bk.job as usize];
    let v = Vars::new()
        .set("self", req.url(&backup_path(sim, b)), Some(&job.name))
        .set(
            "repo",
            req.url(&repo_path(sim, bk.repo)),
            Some(&sim.data.repos[bk.repo as usize].name),
        );
    server_var(sim, req, v, job.server)
}

/// Reference of backup `b`.
pub fn backup_ref(sim: &Sim, req: &Req, b: u32) -> Node {
    let job = &sim.data.jobs[sim.data.backups[b as usize].job as usize];
    shell(
        "EntityRef",
        "BackupReference",
        &req.url(&backup_path(sim, b)),
        &job.name,
        &sim.data.uid("Backup", Kind::Backup, b),
        links(BACKUP_REF_LINKS, &backup_vars(sim, req, b)),
    )
}

/// Entity of backup `b`.
pub fn backup_entity(sim: &Sim, req: &Req, b: u32) -> Node {
    let job = &sim.data.jobs[sim.data.backups[b as usize].job as usize];
    shell(
        "Backup",
        "Backup",
        &req.url(&format!("{}?format=Entity", backup_path(sim, b))),
        &job.name,
        &sim.data.uid("Backup", Kind::Backup, b),
        links(BACKUP_LINKS, &backup_vars(sim, req, b)),
    )
    .t("Platform", crate::data::PLATFORMS[job.platform as usize])
    .t("BackupType", "Standard")
}

// ---- restore points ----

/// Path of restore point `p`.
pub fn rp_path(sim: &Sim, p: u32) -> String {
    let mut path = String::from("/restorePoints/");
    path.push_str(&sim.data.id(Kind::RestorePoint, p));
    path
}

/// Name of restore point `p` (SQL-style date).
pub fn rp_name(sim: &Sim, p: u32) -> String {
    sql_time(sim.data.restore_points[p as usize].time)
}

fn rp_server(sim: &Sim, p: u32) -> u32 {
    let b = sim.data.restore_points[p as usize].backup;
    sim.data.jobs[sim.data.backups[b as usize].job as usize].server
}

fn rp_vars(sim: &Sim, req: &Req, p: u32) -> Vars {
    let b = sim.data.restore_points[p as usize].backup;
    let job = &sim.data.jobs[sim.data.backups[b as usize].job as usize];
    let v = Vars::new()
        .set("self", req.url(&rp_path(sim, p)), Some(&rp_name(sim, p)))
        .set("backup", req.url(&backup_path(sim, b)), Some(&job.name));
    server_var(sim, req, v, rp_server(sim, p))
}

/// Reference of restore point `p`.
pub fn rp_ref(sim: &Sim, req: &Req, p: u32) -> Node {
    shell(
        "EntityRef",
        "RestorePointReference",
        &req.url(&rp_path(sim, p)),
        &rp_name(sim, p),
        &sim.data.uid("RestorePoint", Kind::RestorePoint, p),
        links(RP_REF_LINKS, &rp_vars(sim, req, p)),
    )
}

/// Entity of restore point `p`.
pub fn rp_entity(sim: &Sim, req: &Req, p: u32) -> Node {
    shell(
        "RestorePoint",
        "RestorePoint",
        &req.url(&format!("{}?format=Entity", rp_path(sim, p))),
        &rp_name(sim, p),
        &sim.data.uid("RestorePoint", Kind::RestorePoint, p),
        links(RP_LINKS, &rp_vars(sim, req, p)),
    )
    .t(
        "BackupDateUTC",
        iso(sim.data.restore_points[p as usize].time),
    )
}

fn rp_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list(
            "RestorePoints",
            ids.iter().map(|p| rp_entity(sim, req, *p)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|p| rp_ref(sim, req, *p)).collect())
    }
}

// ---- VM restore points ----

/// Path of VM restore point `v`.
pub fn vrp_path(sim: &Sim, v: u32) -> String {
    format!("/vmRestorePoints/{}", sim.data.id(Kind::VmRestorePoint, v))
}

/// Name of VM restore point `v`: `vm@yyyy-MM-dd HH:mm:ss`.
pub fn vrp_name(sim: &Sim, v: u32) -> String {
    let p = sim.data.vrp_point(v);
    let vm = &sim.data.vms[sim.data.vrp_vm[v as usize] as usize];
    format!(
        "{}@{}",
        vm.name,
        name_time(sim.data.restore_points[p as usize].time)
    )
}

fn vrp_vars(sim: &Sim, req: &Req, v: u32) -> Vars {
    let p = sim.data.vrp_point(v);
    let vars = Vars::new()
        .set("self", req.url(&vrp_path(sim, v)), Some(&vrp_name(sim, v)))
        .set("rp", req.url(&rp_path(sim, p)), Some(&rp_name(sim, p)));
    server_var(sim, req, vars, rp_server(sim, p))
}

/// Reference of VM restore point `v`.
pub fn vrp_ref(sim: &Sim, req: &Req, v: u32) -> Node {
    let vm = &sim.data.vms[sim.data.vrp_vm[v as usize] as usize];
    shell(
        "EntityRef",
        "VmRestorePointReference",
        &req.url(&vrp_path(sim, v)),
        &vrp_name(sim, v),
        &sim.data.uid("VmRestorePoint", Kind::VmRestorePoint, v),
        links(VRP_REF_LINKS, &vrp_vars(sim, req, v)),
    )
    .a("VmDisplayName", vm.name.clone())
}

/// Entity of VM restore point `v`.
pub fn vrp_entity(sim: &Sim, req: &Req, v: u32) -> Node {
    let p = sim.data.vrp_point(v);
    let rp = &sim.data.restore_points[p as usize];
    let vm = &sim.data.vms[sim.data.vrp_vm[v as usize] as usize];
    shell(
        "VmRestorePoint",
        "VmRestorePoint",
        &req.url(&format!("{}?format=Entity", vrp_path(sim, v))),
        &vrp_name(sim, v),
        &sim.data.uid("VmRestorePoint", Kind::VmRestorePoint, v),
        links(VRP_LINKS, &vrp_vars(sim, req, v)),
    )
    .a("VmDisplayName", vm.name.clone())
    .t("CreationTimeUTC", iso(rp.time))
    .t("VmName", vm.name.clone())
    .t("Algorithm", ALGORITHMS[if rp.full { 0 } else { 2 }])
    .t("PointType", POINT_TYPES[usize::from(!rp.full)])
    .t("HierarchyObjRef", vm.hier_ref.clone())
}

fn vrp_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list(
            "VmRestorePoints",
            ids.iter().map(|v| vrp_entity(sim, req, *v)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|v| vrp_ref(sim, req, *v)).collect())
    }
}

// ---- restore sessions ----

fn rs_path(sim: &Sim, r: u32) -> String {
    format!("/restoreSessions/{}", sim.data.id(Kind::RestoreSession, r))
}

fn rs_vars(sim: &Sim, req: &Req, r: u32) -> Vars {
    let rs = &sim.data.restore_sessions[r as usize];
    let v = Vars::new()
        .set("self", req.url(&rs_path(sim, r)), Some(&rs.name))
        .set(
            "vrp",
            req.url(&vrp_path(sim, rs.vrp)),
            Some(&vrp_name(sim, rs.vrp)),
        );
    server_var(sim, req, v, rp_server(sim, sim.data.vrp_point(rs.vrp)))
}

/// Reference of restore session `r`.
pub fn rs_ref(sim: &Sim, req: &Req, r: u32) -> Node {
    let rs = &sim.data.restore_sessions[r as usize];
    shell(
        "EntityRef",
        "RestoreSessionReference",
        &req.url(&rs_path(sim, r)),
        &rs.name,
        &sim.data.uid("RestoreSession", Kind::RestoreSession, r),
        links(RS_REF_LINKS, &rs_vars(sim, req, r)),
    )
}

/// Entity of restore session `r`.
pub fn rs_entity(sim: &Sim, req: &Req, r: u32) -> Node {
    let rs = &sim.data.restore_sessions[r as usize];
    let vm = &sim.data.vms[sim.data.vrp_vm[rs.vrp as usize] as usize];
    let stopped = rs.state == S_STOPPED;
    shell(
        "RestoreSession",
        "RestoreSession",
        &req.url(&format!("{}?format=Entity", rs_path(sim, r))),
        &rs.name,
        &sim.data.uid("RestoreSession", Kind::RestoreSession, r),
        links(RS_LINKS, &rs_vars(sim, req, r)),
    )
    .a("VmDisplayName", vm.name.clone())
    .t("JobType", rs.kind)
    .t("CreationTimeUTC", iso(rs.start))
    .ot("EndTimeUTC", stopped.then(|| iso(rs.end)))
    .t("State", SESSION_STATES[rs.state as usize])
    .t("Result", RESULTS[rs.result as usize])
    .num("Progress", if stopped { 100 } else { 50 })
    .t("RestoredObjRef", vm.hier_ref.clone())
}

/// Starts a restore session for VM restore point `v`; returns its index.
pub fn start_restore_session(sim: &mut Sim, v: u32, kind: &'static str) -> u32 {
    let now = sim.now();
    let vm = &sim.data.vms[sim.data.vrp_vm[v as usize] as usize];
    let prefix = if kind == "FileLevelRestore" {
        "FLR"
    } else {
        "Restore"
    };
    let name = format!("{prefix}_[{}]@{}", vm.name, name_time(now));
    sim.data.restore_sessions.push(RestoreSession {
        vrp: v,
        kind,
        name,
        start: now,
        end: 0,
        state: S_WORKING,
        result: R_NONE,
        ticks_left: sim.behaviour.session_ticks,
    });
    let r = (sim.data.restore_sessions.len() - 1) as u32;
    sim.running_restores.push(r);
    r
}

fn rs_link(sim: &Sim, r: u32) -> crate::sim::TaskLink {
    tl(
        "Related",
        format!("{}?format=Entity", rs_path(sim, r)),
        Some("RestoreSession"),
        Some(sim.data.restore_sessions[r as usize].name.clone()),
    )
}

// ---- guest file system (mounts and catalog browsing) ----

/// A simulated guest directory: (path, sub-directories, files with sizes).
type Dir = (
    &'static str,
    &'static [&'static str],
    &'static [(&'static str, i64)],
);

const TREE: &[Dir] = &[
    ("C:", &["Documents", "Windows"], &[("bootmgr", 8_192)]),
    (
        "C:/Documents",
        &["Reports"],
        &[
            ("Invoice1.docx", 16_896),
            ("Invoice2.docx", 16_384),
            ("offers.docx", 52_224),
        ],
    ),
    (
        "C:/Documents/Reports",
        &[],
        &[("q1.xlsx", 12_083), ("q2.xlsx", 9_830)],
    ),
    ("C:/Windows", &[], &[("win.ini", 92)]),
];

fn norm(path: &str) -> String {
    path.trim_matches('/').replace('\\', "/")
}

fn fs_dir(path: &str) -> Option<&'static Dir> {
    let p = norm(path);
    let p = if p.is_empty() { "C:".to_string() } else { p };
    TREE.iter().find(|d| d.0.eq_ignore_ascii_case(&p))
}

fn fs_file(path: &str) -> Option<(String, i64)> {
    let p = norm(path);
    let (dir, name) = p.rsplit_once('/')?;
    let d = fs_dir(dir)?;
    d.2.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(n, s)| (format!("{}/{n}", d.0), *s))
}

/// A `FileSystemEntries` listing of `path` below the URL prefix `prefix` (a mount or a
/// catalog `guestfs` URL); `action` is listAll, listDirs or listFiles.
pub fn fs_listing(req: &Req, prefix: &str, path: &str, modified: i64) -> Result<Node, ApiError> {
    let d = fs_dir(path).ok_or_else(|| no_such("Directory", path))?;
    let action = req.action().unwrap_or_else(|| "listall".into());
    let (dirs, files) = match action.as_str() {
        "listall" => (true, true),
        "listdirs" => (true, false),
        "listfiles" => (false, true),
        other => return Err(unknown_action(Some(other))),
    };
    let mut entries: Vec<Node> = Vec::new();
    if dirs {
        for sub in d.1 {
            let p = format!("{}/{sub}", d.0);
            let href = req.url(&format!("{prefix}/{}", pct_encode_path(&p)));
            let mut n = plain(
                "DirectoryEntry",
                "DirectoryEntry",
                &href,
                links_node(vec![link("Down", &href, Some("FileSystemEntries"), None)]),
            )
            .t("Path", p.clone())
            .t("Name", *sub);
            n.json_group = Some("DirectoryEntries");
            entries.push(n);
        }
    }
    if files {
        for (name, size) in d.2 {
            let p = format!("{}/{name}", d.0);
            let href = req.url(&format!("{prefix}/{}", pct_encode_path(&p)));
            let mut n = plain(
                "FileEntry",
                "FileEntry",
                &href,
                links_node(vec![link(
                    "Restore",
                    &format!("{href}?action=restore"),
                    None,
                    None,
                )]),
            )
            .t("Path", p.clone())
            .t("Name", *name)
            .num("Size", *size)
            .t("Owner", "Administrators")
            .t("ModifiedDateUTC", iso(modified));
            n.json_group = Some("FileEntries");
            entries.push(n);
        }
    }
    let paged = req.param("pageSize").is_some() || req.param("page").is_some();
    let size = req
        .param("pageSize")
        .map(|s| s.parse::<usize>().ok().filter(|n| *n > 0))
        .unwrap_or(Some(entries.len().max(1)))
        .ok_or_else(|| ApiError::bad_request("Parameter [pageSize] must be a positive integer."))?;
    let page = req
        .param("page")
        .map(|s| s.parse::<usize>().ok().filter(|n| *n > 0))
        .unwrap_or(Some(1))
        .ok_or_else(|| ApiError::bad_request("Parameter [page] must be a positive integer."))?;
    let p = Paging::new(entries.len(), size, page);
    let here = req.url(&format!("{prefix}/{}", pct_encode_path(d.0)));
    let mut up = Vec::new();
    if let Some((parent, _)) = d.0.rsplit_once('/') {
        up.push(link(
            "Up",
            &req.url(&format!("{prefix}/{}", pct_encode_path(parent))),
            Some("DirectoryEntry"),
            None,
        ));
    }
    let mut files_n = el("Files");
    files_n.array = true;
    let mut dirs_n = el("Directories");
    dirs_n.array = true;
    for mut e in entries.drain(p.start..p.end) {
        e.json_group = None;
        if e.name == "FileEntry" {
            files_n.children.push(e);
        } else {
            dirs_n.children.push(e);
        }
    }
    let mut out = el("FileSystemEntries")
        .ch(links_node(up))
        .ch(files_n)
        .ch(dirs_n);
    if paged {
        let href = |n: usize| format!("{here}?action={action}&pageSize={}&page={n}", p.size);
        let mut pl = vec![link("First", &href(1), None, None)];
        if p.page > 1 {
            pl.push(link(
                "Previous",
                &href((p.page - 1).min(p.pages)),
                None,
                None,
            ));
        }
        if p.page < p.pages {
            pl.push(link("Next", &href(p.page + 1), None, None));
        }
        pl.push(link("Last", &href(p.pages), None, None));
        out = out.ch(el("PagingInfo")
            .a("PageNum", p.page.to_string())
            .a("PageSize", p.size.to_string())
            .a("PagesCount", p.pages.to_string())
            .ch(links_node(pl)));
    }
    Ok(out)
}

/// Deterministic content of a guest file: exactly its listed size (all are below 64 KiB).
fn file_bytes(path: &str, size: i64) -> Vec<u8> {
    let line = format!("emrest-sim content of {path}\n");
    line.bytes()
        .cycle()
        .take(size.clamp(0, 65_536) as usize)
        .collect()
}

/// The guest files of a mount at the URL prefix `prefix` (`…/mounts/{ID}`), `path` the
/// original-case file path below it: a directory's `FileSystemEntries` (GET), a file's bytes
/// (`?action=download`), or the mount kind's own file restore (`restore`, given the download
/// path and the file's path).
pub fn guest_files(
    sim: &mut Sim,
    req: &Req,
    prefix: &str,
    path: &str,
    modified: i64,
    restore: impl FnOnce(&mut Sim, String, &str) -> ApiResult,
) -> ApiResult {
    match (req.method.clone(), req.action().as_deref()) {
        (Method::GET, Some("download")) => {
            let (p, size) = fs_file(path).ok_or_else(|| no_such("File", path))?;
            Ok(Reply::Bytes(
                StatusCode::OK,
                "application/octet-stream",
                file_bytes(&p, size),
            ))
        }
        (Method::GET, _) => {
            if fs_file(path).is_some() {
                return Err(ApiError::bad_request("Use ?action=download to get a file."));
            }
            // No operation of the spec lists a mount's directory (a client GETs a root's
            // `Href`), so the listing is shaped here: the links the spec declares, no others
            // (a file restores from its own kind of mount only).
            let mut node = fs_listing(req, prefix, path, modified)?;
            if let Some(t) = crate::spec::get().ty("FileSystemEntries") {
                super::conform::shape(sim, req, t, &mut node, 0);
            }
            Ok(Reply::ok(node))
        }
        (Method::POST, Some("restore")) => {
            let (p, _) = fs_file(path).ok_or_else(|| no_such("File", path))?;
            let dl = format!("{prefix}/{}", pct_encode_path(&p));
            restore(sim, dl, &p)
        }
        (Method::POST, a) => Err(unknown_action(a)),
        _ => Err(ApiError::method_not_allowed()),
    }
}

/// The `FSRoots` of a mount at the URL prefix `prefix`: its one volume, `C:`.
pub fn fs_roots(req: &Req, prefix: &str) -> Node {
    let mut roots = el("FSRoots");
    roots.array = true;
    let root_href = req.url(&format!("{prefix}/C:/"));
    roots.children.push(
        plain(
            "DirectoryEntry",
            "DirectoryEntry",
            &root_href,
            links_node(vec![]),
        )
        .t("Path", "C:/")
        .t("Name", "C:"),
    );
    roots
}

/// Guest-file restore shared by mounts and the catalog: `ForDirectDownload` gives a task with a
/// `Download` link, anything else a restore session.
pub fn file_restore(
    sim: &mut Sim,
    req: &Req,
    v: u32,
    download_path: String,
    file: &str,
    operation: &'static str,
) -> ApiResult {
    // No body (the catalog's documented form) means: to the original location.
    let direct = if req.body.is_empty() {
        false
    } else {
        let spec = body(req)?;
        let direct = spec.child("ForDirectDownload").is_some();
        if !direct && spec.child("ToOriginalLocation").is_none() {
            return Err(ApiError::bad_request(
                "FileRestoreSpec: ToOriginalLocation or ForDirectDownload is required.",
            ));
        }
        direct
    };
    sim.count(
        "vmRestorePoints",
        format!("{}/{file}", sim.data.id(Kind::VmRestorePoint, v)),
        "restoreFile",
    );
    if direct {
        let link = tl(
            "Download",
            format!("{download_path}?action=download"),
            None,
            None,
        );
        task_reply(sim, req, operation, true, "Ok", vec![link])
    } else {
        let r = start_restore_session(sim, v, "FileLevelRestore");
        let link = rs_link(sim, r);
        task_reply(
            sim,
            req,
            operation,
            true,
            "Restore operations started successfully.",
            vec![link],
        )
    }
}

fn find(sim: &Sim, kind: Kind, id: &str, len: usize, what: &str) -> Result<u32, ApiError> {
    sim.data
        .find(kind, id, len)
        .ok_or_else(|| no_such(what, id))
}

fn entity_or_ref(req: &Req, e: impl FnOnce() -> Node, r: impl FnOnce() -> Node) -> ApiResult {
    get_only(req)?;
    Ok(Reply::ok(if req.entity() { e() } else { r() }))
}

/// Routes the restore families (`segs` includes the first segment).
pub fn route(sim: &mut Sim, req: &Req, segs: &[&str]) -> ApiResult {
    let s: &Sim = sim;
    match segs {
        ["repositories"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.repos.len() as u32).collect();
            Ok(Reply::ok(repo_list(s, req, &ids)))
        }
        ["repositories", id] => {
            let r = find(s, Kind::Repo, id, s.data.repos.len(), "Repository")?;
            entity_or_ref(req, || repo_entity(s, req, r), || repo_ref(s, req, r))
        }
        ["repositories", id, "backups"] => {
            let r = find(s, Kind::Repo, id, s.data.repos.len(), "Repository")?;
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.backups.len() as u32)
                .filter(|b| s.data.backups[*b as usize].repo == r)
                .collect();
            Ok(Reply::ok(backup_list(s, req, &ids)))
        }
        ["repositories", id, "replicas"] => {
            let r = find(s, Kind::Repo, id, s.data.repos.len(), "Repository")?;
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.replicas.len() as u32)
                .filter(|x| s.data.jobs[s.data.replicas[*x as usize].job as usize].repo == r)
                .collect();
            Ok(Reply::ok(super::replicas::replica_list(s, req, &ids)))
        }
        ["backups"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.backups.len() as u32).collect();
            Ok(Reply::ok(backup_list(s, req, &ids)))
        }
        ["backups", id] => {
            let b = find(s, Kind::Backup, id, s.data.backups.len(), "Backup")?;
            entity_or_ref(req, || backup_entity(s, req, b), || backup_ref(s, req, b))
        }
        ["backups", id, "restorepoints"] => {
            let b = find(s, Kind::Backup, id, s.data.backups.len(), "Backup")?;
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.restore_points.len() as u32)
                .filter(|p| s.data.restore_points[*p as usize].backup == b)
                .collect();
            Ok(Reply::ok(rp_list(s, req, &ids)))
        }
        ["restorepoints"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.restore_points.len() as u32).collect();
            Ok(Reply::ok(rp_list(s, req, &ids)))
        }
        ["restorepoints", id] => {
            let p = find(
                s,
                Kind::RestorePoint,
                id,
                s.data.restore_points.len(),
                "Restore point",
            )?;
            entity_or_ref(req, || rp_entity(s, req, p), || rp_ref(s, req, p))
        }
        ["restorepoints", id, "vmrestorepoints"] => {
            let p = find(
                s,
                Kind::RestorePoint,
                id,
                s.data.restore_points.len(),
                "Restore point",
            )?;
            get_only(req)?;
            let rp = &s.data.restore_points[p as usize];
            let ids: Vec<u32> = (rp.first_vrp..rp.first_vrp + rp.nvm as u32).collect();
            Ok(Reply::ok(vrp_list(s, req, &ids)))
        }
        ["vmrestorepoints"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.vrp_vm.len() as u32).collect();
            Ok(Reply::ok(vrp_list(s, req, &ids)))
        }
        ["vmrestorepoints", id] => {
            let v = find(
                s,
                Kind::VmRestorePoint,
                id,
                s.data.vrp_vm.len(),
                "VM restore point",
            )?;
            match req.method {
                Method::GET => entity_or_ref(req, || vrp_entity(s, req, v), || vrp_ref(s, req, v)),
                Method::POST => match req.action().as_deref() {
                    Some("restore") => {
                        body(req)?;
                        sim.count(
                            "vmRestorePoints",
                            sim.data.id(Kind::VmRestorePoint, v),
                            "restore",
                        );
                        let r = start_restore_session(sim, v, "Restore");
                        let link = rs_link(sim, r);
                        task_reply(
                            sim,
                            req,
                            "StartVMRestore",
                            true,
                            "Restore operations started successfully.",
                            vec![link],
                        )
                    }
                    a => Err(unknown_action(a)),
                },
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        ["vmrestorepoints", id, "mounts"] => {
            let v = find(
                s,
                Kind::VmRestorePoint,
                id,
                s.data.vrp_vm.len(),
                "VM restore point",
            )?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    let mut n = el("VmRestorePointMounts");
                    for m in s.data.mounts.iter().filter(|m| m.vrp == v) {
                        let mut item = mount_node(s, req, v, m.id);
                        item.json_group = Some("VmRestorePointMounts");
                        n.children.push(item);
                    }
                    Ok(Reply::ok(n))
                }
                Method::POST => {
                    if req.action().is_some() {
                        return Err(unknown_action(req.action().as_deref()));
                    }
                    if !req.body.is_empty() {
                        body(req)?;
                    }
                    let next = sim
                        .data
                        .mounts
                        .iter()
                        .filter(|m| m.vrp == v)
                        .map(|m| m.id)
                        .max()
                        .unwrap_or(0)
                        + 1;
                    sim.data.mounts.push(Mount { vrp: v, id: next });
                    let vid = sim.data.id(Kind::VmRestorePoint, v);
                    sim.count("vmRestorePoints", vid.clone(), "mount");
                    let link = tl(
                        "Related",
                        format!("{}/mounts/{next}", vrp_path(sim, v)),
                        Some("VmRestorePointMount"),
                        Some(format!("{vid}@{next}")),
                    );
                    task_reply(sim, req, "MountRestorePoint", true, "Ok", vec![link])
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        ["vmrestorepoints", id, "mounts", mid, rest @ ..] => {
            let v = find(
                s,
                Kind::VmRestorePoint,
                id,
                s.data.vrp_vm.len(),
                "VM restore point",
            )?;
            let m: u32 = mid
                .parse()
                .ok()
                .filter(|m| s.data.mounts.iter().any(|x| x.vrp == v && x.id == *m))
                .ok_or_else(|| no_such("Mount", mid))?;
            let prefix = format!("{}/mounts/{m}", vrp_path(s, v));
            if rest.is_empty() {
                return match req.method {
                    Method::GET => {
                        get_only(req)?;
                        Ok(Reply::ok(mount_node(s, req, v, m)))
                    }
                    Method::DELETE => {
                        sim.data.mounts.retain(|x| !(x.vrp == v && x.id == m));
                        sim.count(
                            "vmRestorePoints",
                            format!("{}@{m}", sim.data.id(Kind::VmRestorePoint, v)),
                            "unmount",
                        );
                        Ok(Reply::no_content())
                    }
                    _ => Err(ApiError::method_not_allowed()),
                };
            }
            // Original-case file path (segments after the mount id).
            let path = req.segs.get(4..).map(|p| p.join("/")).unwrap_or_default();
            let modified = s.data.restore_points[s.data.vrp_point(v) as usize].time;
            guest_files(sim, req, &prefix, &path, modified, |sim, dl, p| {
                file_restore(sim, req, v, dl, p, "FileRestoreFromMountPoint")
            })
        }
        ["restoresessions"] => {
            get_only(req)?;
            let ids: Vec<u32> = (0..s.data.restore_sessions.len() as u32).collect();
            Ok(Reply::ok(if req.entity() {
                entity_list(
                    "RestoreSessions",
                    ids.iter().map(|r| rs_entity(s, req, *r)).collect(),
                )
            } else {
                ref_list(ids.iter().map(|r| rs_ref(s, req, *r)).collect())
            }))
        }
        ["restoresessions", id] => {
            let r = find(
                s,
                Kind::RestoreSession,
                id,
                s.data.restore_sessions.len(),
                "Restore session",
            )?;
            entity_or_ref(req, || rs_entity(s, req, r), || rs_ref(s, req, r))
        }
        _ => {
            let _ = only;
            Err(not_found())
        }
    }
}

fn backup_list(sim: &Sim, req: &Req, ids: &[u32]) -> Node {
    if req.entity() {
        entity_list(
            "Backups",
            ids.iter().map(|b| backup_entity(sim, req, *b)).collect(),
        )
    } else {
        ref_list(ids.iter().map(|b| backup_ref(sim, req, *b)).collect())
    }
}

fn mount_node(sim: &Sim, req: &Req, v: u32, m: u32) -> Node {
    let href = req.url(&format!("{}/mounts/{m}", vrp_path(sim, v)));
    let vars = Vars::new().set("self", href.clone(), None).set(
        "vrp",
        req.url(&vrp_path(sim, v)),
        Some(&vrp_name(sim, v)),
    );
    let roots = fs_roots(req, &format!("{}/mounts/{m}", vrp_path(sim, v)));
    plain(
        "VmRestorePointMount",
        "VmRestorePointMount",
        &href,
        links(MOUNT_LINKS, &vars),
    )
    .t(
        "VmRestorePointUid",
        sim.data.uid("VmRestorePoint", Kind::VmRestorePoint, v),
    )
    .ch(roots)
}
