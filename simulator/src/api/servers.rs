//! `/backupServers`: servers, their sub-lists and credentials.

use axum::http::{header, Method, StatusCode};
use emrest_runtime::Node;

use super::{body, get_only, no_such, not_found, task_reply, unknown_action};
use crate::build::{el, entity_list, l, links, plain, ref_list, shell, NodeExt, Vars, L};
use crate::data::{Credentials, Server};
use crate::http::Req;
use crate::render::{ApiError, ApiResult, Reply};
use crate::sim::Sim;
use crate::util::Kind;

const REF_LINKS: &[L] = &[
    l("Down", Some("JobReferenceList"), "{self}/jobs", None),
    l(
        "Down",
        Some("RepositoryReferenceList"),
        "{self}/repositories",
        None,
    ),
    l("Down", Some("CredentialsList"), "{self}/credentials", None),
    l(
        "Alternate",
        Some("BackupServer"),
        "{self}?format=Entity",
        Some("self"),
    ),
];

/// Entity links (sample `backupservers_id.1.xml`; managed servers, external repositories
/// and passwords are not simulated, so their links are not offered).
const ENTITY_LINKS: &[L] = &[
    l(
        "Alternate",
        Some("BackupServerReference"),
        "{self}",
        Some("self"),
    ),
    l("Edit", Some("BackupServerReference"), "{self}", None),
    l("Delete", Some("BackupServerReference"), "{self}", None),
    l("Down", Some("JobReferenceList"), "{self}/jobs", None),
    l(
        "Down",
        Some("RepositoryReferenceList"),
        "{self}/repositories",
        None,
    ),
    l("Down", Some("CredentialsList"), "{self}/credentials", None),
    l("Create", None, "{self}/credentials?action=create", None),
    l("VeeamZip", None, "{self}?action=veeamzip", None),
    l("QuickBackup", None, "{self}?action=quickbackup", None),
    l("Start", None, "{self}?action=collect", None),
];

const CRED_LINKS: &[L] = &[
    l(
        "Up",
        Some("BackupServer"),
        "{server}?format=Entity",
        Some("server"),
    ),
    l("Edit", Some("Credentials"), "{self}", None),
    l("Delete", Some("Credentials"), "{self}", None),
];

/// Path of server `s`.
pub fn path(sim: &Sim, s: u32) -> String {
    let mut path = String::from("/backupServers/");
    path.push_str(&sim.data.id(Kind::Server, s));
    path
}

fn vars(sim: &Sim, req: &Req, s: u32) -> Vars {
    Vars::new().set(
        "self",
        req.url(&path(sim, s)),
        Some(&sim.data.servers[s as usize].name),
    )
}

/// Reference of server `s`.
pub fn reference(sim: &Sim, req: &Req, s: u32) -> Node {
    let srv = &sim.data.servers[s as usize];
    shell(
        "EntityRef",
        "BackupServerReference",
        &req.url(&path(sim, s)),
        &srv.name,
        &sim.data.uid("BackupServer", Kind::Server, s),
        links(REF_LINKS, &vars(sim, req, s)),
    )
}

/// Entity of server `s`.
pub fn entity(sim: &Sim, req: &Req, s: u32) -> Node {
    let srv = &sim.data.servers[s as usize];
    shell(
        "BackupServer",
        "BackupServer",
        &req.url(&format!("{}?format=Entity", path(sim, s))),
        &srv.name,
        &sim.data.uid("BackupServer", Kind::Server, s),
        links(ENTITY_LINKS, &vars(sim, req, s)),
    )
    .t("Description", srv.description.clone())
    .num("Port", srv.port as i64)
    .t("Version", srv.version.clone())
    .num("WcfPort", srv.wcf_port as i64)
    .t("VbrCertificateThumbprint", srv.thumbprint.clone())
}

/// Live server indices.
pub fn live(sim: &Sim) -> Vec<u32> {
    (0..sim.data.servers.len() as u32)
        .filter(|s| !sim.data.servers[*s as usize].deleted)
        .collect()
}

fn find(sim: &Sim, id: &str) -> Result<u32, ApiError> {
    sim.data
        .find(Kind::Server, id, sim.data.servers.len())
        .filter(|s| !sim.data.servers[*s as usize].deleted)
        .ok_or_else(|| no_such("Backup server", id))
}

fn cred_path(sim: &Sim, c: u32) -> String {
    let cr = &sim.data.credentials[c as usize];
    format!(
        "{}/credentials/{}",
        path(sim, cr.server),
        sim.data.id(Kind::Credentials, c)
    )
}

fn cred_node(sim: &Sim, req: &Req, c: u32) -> Node {
    let cr = &sim.data.credentials[c as usize];
    let v = Vars::new()
        .set("self", req.url(&cred_path(sim, c)), None)
        .set(
            "server",
            req.url(&path(sim, cr.server)),
            Some(&sim.data.servers[cr.server as usize].name),
        );
    plain(
        "CredentialsInfo",
        "Credentials",
        &req.url(&cred_path(sim, c)),
        links(CRED_LINKS, &v),
    )
    .t("Id", sim.data.id(Kind::Credentials, c))
    .t("Username", cr.username.clone())
    .t("Description", cr.description.clone())
    .t("Password", "")
}

fn required(spec: &Node, name: &str) -> Result<String, ApiError> {
    spec.scalar(name)
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .ok_or_else(|| ApiError::bad_request(format!("{name} is required.")))
}

/// Routes `/backupServers...`.
pub fn route(sim: &mut Sim, req: &Req, rest: &[&str]) -> ApiResult {
    match rest {
        [] => match req.method {
            Method::GET => {
                get_only(req)?;
                let ids = live(sim);
                Ok(Reply::ok(if req.entity() {
                    entity_list(
                        "BackupServers",
                        ids.iter().map(|s| entity(sim, req, *s)).collect(),
                    )
                } else {
                    ref_list(ids.iter().map(|s| reference(sim, req, *s)).collect())
                }))
            }
            Method::POST => match req.action().as_deref() {
                Some("create") => {
                    req.require_admin()?;
                    let spec = body(req)?;
                    let name = required(&spec, "DnsNameOrIpAddress")?;
                    required(&spec, "Username")?;
                    let port = match spec.scalar("Port") {
                        None => 9392,
                        Some(p) => p.trim().parse().map_err(|_| {
                            ApiError::bad_request(format!("Port: `{p}` is not a port number."))
                        })?,
                    };
                    sim.data.servers.push(Server {
                        name,
                        description: spec.scalar("Description").unwrap_or("").to_string(),
                        port,
                        version: "13.0.1.1071".into(),
                        wcf_port: 9405,
                        thumbprint: String::new(),
                        deleted: false,
                    });
                    let s = (sim.data.servers.len() - 1) as u32;
                    sim.count("backupServers", sim.data.id(Kind::Server, s), "create");
                    Ok(Reply::Empty(
                        StatusCode::CREATED,
                        vec![(header::LOCATION, req.url(&path(sim, s)))],
                    ))
                }
                a => Err(unknown_action(a)),
            },
            _ => Err(ApiError::method_not_allowed()),
        },
        [id] => {
            let s = find(sim, id)?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(if req.entity() {
                        entity(sim, req, s)
                    } else {
                        reference(sim, req, s)
                    }))
                }
                Method::PUT => {
                    req.require_admin()?;
                    let spec = body(req)?;
                    if let Some(p) = spec.scalar("Port") {
                        let p: u16 = p.trim().parse().map_err(|_| {
                            ApiError::bad_request(format!("Port: `{p}` is not a port number."))
                        })?;
                        sim.data.servers[s as usize].port = p;
                    }
                    if let Some(d) = spec.scalar("Description") {
                        sim.data.servers[s as usize].description = d.to_string();
                    }
                    sim.count("backupServers", sim.data.id(Kind::Server, s), "edit");
                    Ok(Reply::no_content())
                }
                Method::DELETE => {
                    req.require_admin()?;
                    sim.data.servers[s as usize].deleted = true;
                    sim.count("backupServers", sim.data.id(Kind::Server, s), "delete");
                    Ok(Reply::no_content())
                }
                Method::POST => {
                    let a = req.action();
                    let (op, msg): (&'static str, &str) = match a.as_deref() {
                        Some("collect") => ("CollectingBackupServer", "Data collection started."),
                        Some("veeamzip") => ("VeeamZip", "VeeamZIP started."),
                        Some("quickbackup") => ("QuickBackup", "Quick backup started."),
                        other => return Err(unknown_action(other)),
                    };
                    req.require_admin()?;
                    if op != "CollectingBackupServer" {
                        body(req)?;
                    }
                    let action: &'static str = match op {
                        "VeeamZip" => "veeamzip",
                        "QuickBackup" => "quickbackup",
                        _ => "collect",
                    };
                    sim.count("backupServers", sim.data.id(Kind::Server, s), action);
                    task_reply(sim, req, op, true, msg, vec![])
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [id, "jobs"] => {
            let s = find(sim, id)?;
            get_only(req)?;
            let ids = super::jobs::live(sim, Some(s));
            Ok(Reply::ok(super::jobs::list(sim, req, &ids)))
        }
        [id, "repositories"] => {
            let s = find(sim, id)?;
            get_only(req)?;
            let ids: Vec<u32> = (0..sim.data.repos.len() as u32)
                .filter(|r| sim.data.repos[*r as usize].server == s)
                .collect();
            Ok(Reply::ok(super::restore::repo_list(sim, req, &ids)))
        }
        [id, "credentials"] => {
            let s = find(sim, id)?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    let mut n = el("CredentialsInfoList");
                    for c in 0..sim.data.credentials.len() as u32 {
                        let cr = &sim.data.credentials[c as usize];
                        if cr.server == s && !cr.deleted {
                            let mut item = cred_node(sim, req, c);
                            item.json_group = Some("CredentialsInfos");
                            n.children.push(item);
                        }
                    }
                    Ok(Reply::ok(n))
                }
                Method::POST => match req.action().as_deref() {
                    Some("create") => {
                        req.require_admin()?;
                        let spec = body(req)?;
                        let username = required(&spec, "Username")?;
                        required(&spec, "Password")?;
                        sim.data.credentials.push(Credentials {
                            server: s,
                            username,
                            description: spec.scalar("Description").unwrap_or("").to_string(),
                            deleted: false,
                        });
                        let c = (sim.data.credentials.len() - 1) as u32;
                        sim.count("credentials", sim.data.id(Kind::Credentials, c), "create");
                        Ok(Reply::Empty(
                            StatusCode::CREATED,
                            vec![(header::LOCATION, req.url(&cred_path(sim, c)))],
                        ))
                    }
                    a => Err(unknown_action(a)),
                },
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        [id, "credentials", cid] => {
            let s = find(sim, id)?;
            let c = sim
                .data
                .find(Kind::Credentials, cid, sim.data.credentials.len())
                .filter(|c| {
                    let cr = &sim.data.credentials[*c as usize];
                    cr.server == s && !cr.deleted
                })
                .ok_or_else(|| no_such("Credentials", cid))?;
            match req.method {
                Method::GET => {
                    get_only(req)?;
                    Ok(Reply::ok(cred_node(sim, req, c)))
                }
                Method::PUT => {
                    req.require_admin()?;
                    let spec = body(req)?;
                    let cr = &mut sim.data.credentials[c as usize];
                    if let Some(u) = spec.scalar("Username").filter(|u| !u.trim().is_empty()) {
                        cr.username = u.to_string();
                    }
                    if let Some(d) = spec.scalar("Description") {
                        cr.description = d.to_string();
                    }
                    sim.count("credentials", sim.data.id(Kind::Credentials, c), "edit");
                    Ok(Reply::no_content())
                }
                Method::DELETE => {
                    req.require_admin()?;
                    sim.data.credentials[c as usize].deleted = true;
                    sim.count("credentials", sim.data.id(Kind::Credentials, c), "delete");
                    Ok(Reply::no_content())
                }
                _ => Err(ApiError::method_not_allowed()),
            }
        }
        _ => Err(not_found()),
    }
}
