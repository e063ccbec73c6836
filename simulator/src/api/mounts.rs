//! Mounts of VM replica points and agent restore points. The generic layer creates, lists
//! and removes them (they are stored resources); what is hand-written is what a mount holds:
//! its root volume (`FSRoots`), the directory listings at the roots' `Href`s, and the restore
//! of a file, as for a VM restore point's mount ([`super::restore::guest_files`]). A file of
//! each kind of mount offers only its own kind's `Restore`.

use axum::http::Method;

use super::restore::{fs_roots, guest_files};
use super::{body, no_such, not_found, task_reply, tl};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::spec::Template;
use crate::store::key_of;
use crate::util::Kind;

/// One kind of mount: its URL form and how its actions are recorded.
struct MountKind {
    /// The mount's URL form in the spec.
    form: &'static str,
    /// The resource its file restores are recorded against.
    resource: &'static str,
}

const REPLICA: MountKind = MountKind {
    form: "/vmReplicaPoints/{ID}/mounts/{ID}",
    resource: "vmReplicaPoints",
};

const AGENT: MountKind = MountKind {
    form: "/agents/agentRestorePoints/{ID}/mounts/{ID}",
    resource: "agentRestorePoints",
};

/// Routes `…/mounts/{ID}` and the guest files below it (`segs` lower-cased, from the first
/// segment); other requests are declined to the generic layer.
pub fn route(sim: &mut Sim, req: &Req, segs: &[&str]) -> ApiResult {
    let (kind, at) = match segs {
        ["vmreplicapoints", _, "mounts", _, ..] => (&REPLICA, 1),
        ["agents", "agentrestorepoints", _, "mounts", _, ..] => (&AGENT, 2),
        _ => return Err(not_found()),
    };
    // Original-case ids and file path.
    let point = req.segs[at].clone();
    let mount = req.segs[at + 2].clone();
    let path = req.segs[at + 3..].join("/");
    let t = Template::parse(kind.form);
    let key = key_of(&t, t.vars()).ok_or_else(not_found)?;
    super::generic::ensure(sim, &key);
    let ids = [point.clone(), mount.clone()];
    if sim.store.find(&key, &ids).is_none() {
        return Err(no_such("Mount", &mount));
    }
    let prefix = t.fill(kind.form, &ids).ok_or_else(not_found)?;
    if path.is_empty() {
        // The mount itself: the generic representation with its root volume.
        if req.method != Method::GET || req.action().is_some() {
            return Err(ApiError::method_not_allowed());
        }
        let mut out = super::generic::answer(sim, req).unwrap_or_else(|| Err(not_found()))?;
        if let Reply::Doc(_, node, _) = &mut out {
            node.children.push(fs_roots(req, &prefix));
        }
        return Ok(out);
    }
    let modified = match kind.resource {
        "vmReplicaPoints" => sim
            .data
            .find(Kind::VmReplicaPoint, &point, sim.data.replica_points.len())
            .map(|p| sim.data.replica_points[p as usize].time),
        _ => None,
    }
    .unwrap_or_else(|| sim.anchor() - 86_400);
    guest_files(sim, req, &prefix, &path, modified, |sim, dl, file| {
        point_file_restore(sim, req, kind, &point, dl, file)
    })
}

/// The file restore of a replica or agent mount: with `ForDirectDownload` a finished task
/// whose `Download` link gets the file (as sample
/// `post_vmreplicapoints_id_mountpoints_id_filepath_actionrestore.4.xml` shows), else a task
/// restoring it to the original location; either way the restore is recorded.
fn point_file_restore(
    sim: &mut Sim,
    req: &Req,
    kind: &MountKind,
    point: &str,
    download_path: String,
    file: &str,
) -> ApiResult {
    let spec = body(req)?;
    let direct = spec.child("ForDirectDownload").is_some();
    if !direct && spec.child("ToOriginalLocation").is_none() {
        return Err(ApiError::bad_request(
            "FileRestoreSpec: ToOriginalLocation or ForDirectDownload is required.",
        ));
    }
    sim.count(kind.resource, format!("{point}/{file}"), "restoreFile");
    if direct {
        let link = tl(
            "Download",
            format!("{download_path}?action=download"),
            None,
            None,
        );
        task_reply(
            sim,
            req,
            "FileRestoreFromMountPoint",
            true,
            "Ok",
            vec![link],
        )
    } else {
        task_reply(
            sim,
            req,
            "FileRestoreFromMountPoint",
            true,
            format!("Restore of {file} to its original location finished."),
            vec![],
        )
    }
}
