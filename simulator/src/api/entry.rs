//! Entry point (`GET /api/`), logon (`POST /sessionMngr/?v=`) and logon sessions.

use axum::http::{header, HeaderName, Method, StatusCode};
use emrest_runtime::Node;

use super::{get_only, not_found, only};
use crate::build::{el, link, links_node, plain, NodeExt};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::{Logon, Role, Sim};
use crate::util::b64_decode;

/// API versions the simulator supports, oldest first.
pub const VERSIONS: &[&str] = &["v1_5", "v1_6", "v1_7"];

/// `GET /api/`.
pub fn entry(req: &Req) -> ApiResult {
    get_only(req)?;
    let mut versions = el("SupportedVersions");
    for v in VERSIONS {
        versions.children.push(
            el("SupportedVersion")
                .a("Name", *v)
                .ch(links_node(vec![link(
                    "Create",
                    &req.url(&format!("/sessionMngr/?v={v}")),
                    Some("LogonSession"),
                    None,
                )])),
        );
    }
    // JSON: "SupportedVersions": {"SupportedVersions": [...]}.
    for c in &mut versions.children {
        c.json_group = Some("SupportedVersions");
    }
    let node = el("EnterpriseManager")
        .ch(links_node(vec![
            link(
                "Down",
                &req.url("/logonSessions"),
                Some("LogonSessionList"),
                None,
            ),
            link(
                "Create",
                &req.url("/sessionMngr/?v=latest"),
                Some("LogonSession"),
                None,
            ),
        ]))
        .ch(versions);
    Ok(Reply::ok(node))
}

/// The session links of REFERENCE.md §2.2: (rel, type, path, admin only).
const SESSION_LINKS: &[(&str, Option<&str>, &str, bool)] = &[
    ("Up", Some("EnterpriseManager"), "/", false),
    (
        "Down",
        Some("BackupServerReferenceList"),
        "/backupServers",
        false,
    ),
    (
        "Down",
        Some("ManagedServerReferenceList"),
        "/managedServers",
        false,
    ),
    ("Down", Some("JobReferenceList"), "/jobs", false),
    (
        "Down",
        Some("FailoverPlanReferenceList"),
        "/failoverPlans",
        false,
    ),
    (
        "Down",
        Some("HierarchyRootReferenceList"),
        "/hierarchyRoots",
        false,
    ),
    (
        "Down",
        Some("RepositoryReferenceList"),
        "/repositories",
        false,
    ),
    ("Down", Some("BackupReferenceList"), "/backups", false),
    (
        "Down",
        Some("RestorePointReferenceList"),
        "/restorePoints",
        false,
    ),
    (
        "Down",
        Some("VmRestorePointReferenceList"),
        "/vmRestorePoints",
        false,
    ),
    (
        "Down",
        Some("VAppRestorePointReferenceList"),
        "/vAppRestorePoints",
        false,
    ),
    ("Down", Some("ReplicaReferenceList"), "/replicas", false),
    (
        "Down",
        Some("VmReplicaPointReferenceList"),
        "/vmReplicaPoints",
        false,
    ),
    (
        "Down",
        Some("CatalogVmReferenceList"),
        "/catalog/vms",
        false,
    ),
    (
        "Down",
        Some("BackupJobSessionReferenceList"),
        "/backupSessions",
        false,
    ),
    (
        "Down",
        Some("RestoreSessionReferenceList"),
        "/restoreSessions",
        false,
    ),
    (
        "Down",
        Some("ReplicaJobSessionReferenceList"),
        "/replicaSessions",
        false,
    ),
    (
        "Down",
        Some("BackupTaskSessionReferenceList"),
        "/backupTaskSessions",
        false,
    ),
    (
        "Down",
        Some("ReplicaTaskSessionReferenceList"),
        "/replicaTaskSessions",
        false,
    ),
    (
        "Down",
        Some("EnterpriseSecuritySettings"),
        "/security",
        true,
    ),
    (
        "Down",
        Some("WanAcceleratorReferenceList"),
        "/wanAccelerators",
        false,
    ),
    (
        "Down",
        Some("BackupFileReferenceList"),
        "/backupFiles",
        false,
    ),
    (
        "Down",
        Some("ExternalRepositoryReferenceList"),
        "/externalRepositories",
        false,
    ),
    ("Down", Some("TaskList"), "/tasks", false),
    ("Down", Some("QueryService"), "/querySvc", false),
    ("Down", Some("LookupService"), "/lookupSvc", false),
    ("Down", Some("Report"), "/reports/summary", false),
    (
        "Down",
        Some("BackupServerList"),
        "/backupServers?format=Entity",
        false,
    ),
    (
        "Down",
        Some("ManagedServerList"),
        "/managedServers?format=Entity",
        false,
    ),
    ("Create", None, "/backupServers?action=create", true),
    ("Down", Some("JobList"), "/jobs?format=Entity", false),
    (
        "Down",
        Some("FailoverPlanList"),
        "/failoverPlans?format=Entity",
        false,
    ),
    (
        "Down",
        Some("HierarchyRootList"),
        "/hierarchyRoots?format=Entity",
        false,
    ),
    (
        "Down",
        Some("RepositoryList"),
        "/repositories?format=Entity",
        false,
    ),
    ("Down", Some("BackupList"), "/backups?format=Entity", false),
    (
        "Down",
        Some("RestorePointList"),
        "/restorePoints?format=Entity",
        false,
    ),
    (
        "Down",
        Some("VmRestorePointList"),
        "/vmRestorePoints?format=Entity",
        false,
    ),
    (
        "Down",
        Some("VAppRestorePointList"),
        "/vAppRestorePoints?format=Entity",
        false,
    ),
    (
        "Down",
        Some("ReplicaList"),
        "/replicas?format=Entity",
        false,
    ),
    (
        "Down",
        Some("VmReplicaPointList"),
        "/vmReplicaPoints?format=Entity",
        false,
    ),
    (
        "Down",
        Some("CatalogVmList"),
        "/catalog/vms?format=Entity",
        false,
    ),
    (
        "Down",
        Some("BackupJobSessionList"),
        "/backupSessions?format=Entity",
        false,
    ),
    (
        "Down",
        Some("RestoreSessionList"),
        "/restoreSessions?format=Entity",
        false,
    ),
    (
        "Down",
        Some("ReplicaJobSessionList"),
        "/replicaSessions?format=Entity",
        false,
    ),
    (
        "Down",
        Some("BackupTaskSessionList"),
        "/backupTaskSessions?format=Entity",
        false,
    ),
    (
        "Down",
        Some("ReplicaTaskSessionList"),
        "/replicaTaskSessions?format=Entity",
        false,
    ),
    (
        "Down",
        Some("WanAcceleratorList"),
        "/wanAccelerators?format=Entity",
        false,
    ),
    (
        "Down",
        Some("BackupFileList"),
        "/backupFiles?format=Entity",
        false,
    ),
    (
        "Down",
        Some("ExternalRepositoryList"),
        "/externalRepositories?format=Entity",
        false,
    ),
    ("Down", Some("VCloudService"), "/vCloud", false),
    ("Down", Some("AgentsService"), "/agents", false),
    (
        "Down",
        Some("VSphereSelfService"),
        "/selfService/vSphere",
        false,
    ),
    ("Down", Some("NasService"), "/nas", false),
];

/// The `LogonSession` representation.
pub fn logon_node(req: &Req, l: &Logon) -> Node {
    let href = req.url(&format!("/logonSessions/{}", l.id));
    let mut ls: Vec<Node> = if l.role == Role::Tenant {
        vec![
            link("Up", &req.url("/"), Some("EnterpriseManager"), None),
            link(
                "Down",
                &req.url("/cloud"),
                Some("CloudConnectService"),
                None,
            ),
        ]
    } else {
        SESSION_LINKS
            .iter()
            .filter(|(_, _, _, admin)| !admin || l.role == Role::Admin)
            .map(|(rel, ty, path, _)| link(rel, &req.url(path), *ty, None))
            .collect()
    };
    ls.push(link("Delete", &href, Some("LogonSession"), None));
    plain("LogonSession", "LogonSession", &href, links_node(ls))
        .t("UserName", l.user.clone())
        .t("SessionId", l.id.clone())
}

/// Checks `DOMAIN\user`, `user@domain` or `user` with a password; returns the role.
pub fn check_credentials(user: &str, password: &str) -> Option<Role> {
    let bare = user.rsplit('\\').next().unwrap_or(user);
    let bare = bare.split('@').next().unwrap_or(bare);
    match (bare.to_ascii_lowercase().as_str(), password) {
        ("admin", "admin") => Some(Role::Admin),
        ("operator", "operator") => Some(Role::RestoreOperator),
        _ => None,
    }
}

/// The account a `LoginSpec` body logs on (REFERENCE.md §2.4): the standalone tenant
/// `tenant`/`tenant-secret`, the Cloud Director organization administrator `orgadmin`/`orgadmin` of
/// any organization (both tenants), or the SSO token `sso-admin` (an administrator).
pub fn login_spec(spec: &Node) -> Option<(String, Role)> {
    // A JSON body has no root name (`parse_body` calls it `root`); an XML one must be a
    // `LoginSpec`.
    if spec.name != "root" && !spec.name.eq_ignore_ascii_case("LoginSpec") {
        return None;
    }
    let text = |n: &Node, k: &str| n.child(k).map(|c| c.text().to_string());
    if let Some(t) = spec.child("TenantCredentials") {
        return match (text(t, "Username")?.as_str(), text(t, "Password")?.as_str()) {
            ("tenant", "tenant-secret") => Some(("tenant".into(), Role::Tenant)),
            _ => None,
        };
    }
    if let Some(o) = spec.child("VCloudOrganizationCredentials") {
        let org = text(o, "OrganizationName").filter(|s| !s.is_empty())?;
        return match (text(o, "Login")?.as_str(), text(o, "Password")?.as_str()) {
            ("orgadmin", "orgadmin") => Some((format!("{org}\\orgadmin"), Role::Tenant)),
            _ => None,
        };
    }
    match text(spec, "VMwareSSOToken")?.as_str() {
        "sso-admin" => Some(("sso-admin".into(), Role::Admin)),
        _ => None,
    }
}

/// `POST /api/sessionMngr/?v=...`.
pub fn logon(sim: &mut Sim, req: &Req) -> ApiResult {
    only(req, Method::POST)?;
    let version = match req.param("v") {
        None => "v1_7".to_string(),
        Some(v) if v.eq_ignore_ascii_case("latest") => "v1_7".to_string(),
        Some(v) => match VERSIONS.iter().find(|x| x.eq_ignore_ascii_case(v)) {
            Some(x) => x.to_string(),
            None => {
                return Err(ApiError::bad_request(format!(
                    "Version [{v}] is not supported. Supported versions: {}.",
                    VERSIONS.join(", ")
                )))
            }
        },
    };
    let denied = || {
        let mut e = ApiError::unauthorized("Authentication failed: bad user name or password.");
        e.challenge = true;
        e
    };
    let (user, role) = match req.authorization.as_deref() {
        Some(auth) => {
            let (scheme, b64) = auth.trim().split_once(' ').ok_or_else(denied)?;
            if !scheme.eq_ignore_ascii_case("basic") {
                return Err(denied());
            }
            let raw = b64_decode(b64.trim()).ok_or_else(denied)?;
            let text = String::from_utf8(raw).map_err(|_| denied())?;
            let (user, password) = text.split_once(':').ok_or_else(denied)?;
            let role = check_credentials(user, password).ok_or_else(denied)?;
            (user.to_string(), role)
        }
        // No Basic credentials: a `LoginSpec` body (tenant, organization or SSO logon).
        None if !req.body.is_empty() => login_spec(&super::body(req)?).ok_or_else(denied)?,
        None => return Err(denied()),
    };
    let _ = version; // every supported version sees the same resources
    let (token, id) = sim.logon(&user, role);
    let logon = sim.touch(&token).ok_or_else(denied)?;
    let node = logon_node(req, &logon);
    let headers: Vec<(HeaderName, String)> = vec![
        (HeaderName::from_static("x-restsvcsessionid"), token.clone()),
        (
            header::SET_COOKIE,
            format!("X-RestSvcSessionId={token}; Path=/api;"),
        ),
        (header::LOCATION, req.url(&format!("/logonSessions/{id}"))),
    ];
    Ok(Reply::Doc(StatusCode::CREATED, node, headers))
}

/// `/logonSessions[/{ID}]`.
pub fn logon_sessions(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    let caller = req.caller.as_ref().ok_or_else(not_found)?;
    match rest {
        [] => {
            get_only(req)?;
            let mut n = el("LogonSessions");
            let mut item = logon_node(req, &caller.logon);
            item.json_group = Some("LogonSessions");
            n.children.push(item);
            Ok(Reply::ok(n))
        }
        [id] => {
            let token = sim
                .token_of(id)
                .filter(|t| *t == caller.token || req.is_admin())
                .ok_or_else(|| super::no_such("Logon session", id))?;
            match req.method {
                Method::GET if req.action().is_none() => {
                    let l = sim.logons.get(&token).cloned().ok_or_else(not_found)?;
                    Ok(Reply::ok(logon_node(req, &l)))
                }
                Method::DELETE => {
                    sim.logons.remove(&token);
                    Ok(Reply::no_content())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        _ => Err(not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn account_forms() {
        assert_eq!(check_credentials("admin", "admin"), Some(Role::Admin));
        assert_eq!(check_credentials("TECH\\admin", "admin"), Some(Role::Admin));
        assert_eq!(
            check_credentials("Admin@tech.local", "admin"),
            Some(Role::Admin)
        );
        assert_eq!(
            check_credentials("operator", "operator"),
            Some(Role::RestoreOperator)
        );
        assert_eq!(check_credentials("admin", "nope"), None);
        assert_eq!(check_credentials("", ""), None);
    }
}
