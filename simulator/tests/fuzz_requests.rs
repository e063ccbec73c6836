//! Property test of request handling: random paths, queries, filters, headers and bodies sent
//! over real loopback HTTP to one spawned em-sim. Every request must be answered (no panic,
//! no dropped connection) with a documented status, and every error with an `Error` body.
//!
//! Bounded: a fixed number of cases (`FUZZ_CASES`, default 300), each one request with a
//! 10 s read timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use emrest_sim::{spawn, SimConfig};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

/// Statuses EM documents for its REST API (no fault injection here, so no 500/503).
const DOCUMENTED: &[u16] = &[200, 201, 202, 204, 400, 401, 403, 404, 405];

/// Path words em-sim knows, mixed with hostile ones.
const WORDS: &[&str] = &[
    "api",
    "jobs",
    "backupServers",
    "backupSessions",
    "replicaSessions",
    "backupTaskSessions",
    "repositories",
    "backups",
    "restorePoints",
    "vmRestorePoints",
    "mounts",
    "restoreSessions",
    "replicas",
    "vmReplicaPoints",
    "cloud",
    "cloudFailoverPlans",
    "catalog",
    "vms",
    "guestfs",
    "security",
    "accounts",
    "tasks",
    "task-1",
    "task-99999999999999999999",
    "query",
    "querySvc",
    "sessionMngr",
    "logonSessions",
    "includes",
    "credentials",
    "agents",
    "nas",
    "cdp",
    "0",
    "1",
    "-1",
    "..",
    ".",
    "%zz",
    "%C3%A9",
    "%FF%FE",
    "%00",
    "é",
    "日本",
    "C:",
    "Invoice1.docx",
];

const PARAMS: &[&str] = &[
    "action", "type", "filter", "format", "pageSize", "page", "sortAsc", "sortDesc", "v",
];

const VALUES: &[&str] = &[
    "start",
    "stop",
    "retry",
    "clone",
    "restore",
    "download",
    "listAll",
    "browse",
    "failover",
    "create",
    "Entity",
    "Entities",
    "Job",
    "BackupJobSession",
    "VmRestorePoint",
    "RestoreSession",
    "Task",
    "latest",
    "v1_5",
    "0",
    "-5",
    "99999999999999999999",
    "é",
    "%zz",
    "%C3",
];

const FIELDS: &[&str] = &[
    "Name",
    "CreationTime",
    "CreationTime",
    "CreationTimeUTC",
    "EndTime",
    "Result",
    "State",
    "JobType",
    "VmDisplayName",
    "Uid",
    "é",
    "",
];

const OPS: &[&str] = &["==", "!=", "<", "<=", ">", ">=", "=", "<>", ""];

const FILTER_VALUES: &[&str] = &[
    "\"2025-08-15T06:00-1é:\"",
    "2025-08-15T06:00:00Z",
    "2025-08-15T06:00+01:00",
    "2025-08-15T06:00+é",
    "2025-08-1é",
    "\"SQL Backup\"",
    "\"unterminated",
    "\"a\"\"b\"",
    "Success",
    "Failed",
    "é",
    "(",
    ")",
    "",
    "12",
    "1e999",
];

/// One comparison `Field op value`; values include date-times with random tails (offsets,
/// fractions, garbage, non-ASCII).
fn comparison() -> impl Strategy<Value = String> {
    let tail = prop_oneof![
        // four-byte offsets with a character boundary anywhere, and the usual shapes
        "[-+]([0-9][éü][:0-9]|[éü][0-9:]{2}|[0-9]{2}:?[0-9]{2}|[0-9]{1,2}[éü日:]{0,2})",
        "[.:Z]\\PC{0,3}"
    ];
    let time = tail.prop_map(|t| format!("\"2025-08-15T06:00{t}\""));
    let value = prop_oneof![
        prop::sample::select(FILTER_VALUES).prop_map(str::to_string),
        time,
    ];
    let field = prop_oneof![
        prop::sample::select(FIELDS),
        prop::sample::select(&["CreationTime", "EndTime"][..]),
    ];
    (field, prop::sample::select(OPS), value).prop_map(|(f, o, v)| format!("{f}{o}{v}"))
}

/// A filter: one comparison, or several joined by `;`, `,` and parentheses at random.
fn filter() -> impl Strategy<Value = String> {
    let joined = prop::collection::vec(
        (
            comparison(),
            prop::sample::select(&[";", ",", "(", ")", " ", ""][..]),
        ),
        1..4,
    )
    .prop_map(|parts| parts.into_iter().map(|(a, j)| format!("{a}{j}")).collect());
    prop_oneof![2 => comparison(), 1 => joined]
}

/// Any short text, non-ASCII included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(VALUES).prop_map(str::to_string),
        "\\PC{0,12}",
        filter(),
    ]
}

/// Percent-encodes everything but unreserved characters and `%` (so that broken escapes such
/// as `%zz` reach the server as they are).
fn enc(s: &str) -> String {
    let mut out = String::new();
    for &b in s.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~%".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: Vec<String>,
    query: Vec<(String, String)>,
    accept: Option<&'static str>,
    content_type: Option<&'static str>,
    auth: usize,
    body: Vec<u8>,
}

/// A query-service request with a generated filter, as admin (where filter bugs live).
fn query_case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(
            &[
                "Job",
                "BackupJobSession",
                "BackupJobSession",
                "BackupJobSession",
                "BackupTaskSession",
                "RestoreSession",
                "VmRestorePoint",
                "Task",
                "é",
            ][..],
        ),
        filter(),
        prop::option::of(prop::sample::select(
            &["application/json", "application/xml"][..],
        )),
    )
        .prop_map(|(ty, f, accept)| Case {
            method: "GET",
            path: vec!["query".into()],
            query: vec![("type".into(), ty.into()), ("filter".into(), f)],
            accept,
            content_type: None,
            auth: 2,
            body: Vec::new(),
        })
}

fn case() -> impl Strategy<Value = Case> {
    prop_oneof![3 => any_case(), 1 => query_case()]
}

fn any_case() -> impl Strategy<Value = Case> {
    let seg = prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(str::to_string),
        1 => "\\PC{0,8}",
    ];
    let param = (
        prop_oneof![
            4 => prop::sample::select(PARAMS).prop_map(str::to_string),
            1 => "\\PC{0,6}",
        ],
        text(),
    );
    let body = prop_oneof![
        Just(Vec::new()),
        prop::collection::vec(any::<u8>(), 0..64),
        prop::sample::select(
            &[
                "<BackupJobCloneSpec/>",
                "<?xml version=\"1.0\"?><Job><Name>é</Name>",
                "<a><b></a>",
                "{\"Name\":",
                "{\"Name\":\"x\",\"Id\":1}",
                "[]",
                "null",
                "<CreateObjectInJobSpec><HierarchyObjRef>é</HierarchyObjRef></CreateObjectInJobSpec>",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    (
        prop::sample::select(&["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"][..]),
        prop::collection::vec(seg, 0..5),
        prop::collection::vec(param, 0..4),
        prop::option::of(prop::sample::select(
            &[
                "application/xml",
                "application/json",
                "text/html",
                "*/*",
                "application/json; charset=é",
            ][..],
        )),
        prop::option::of(prop::sample::select(
            &["application/xml", "application/json", "text/plain"][..],
        )),
        0usize..4,
        body,
    )
        .prop_map(
            |(method, path, query, accept, content_type, auth, body)| Case {
                method,
                path,
                query,
                accept,
                content_type,
                auth,
                body,
            },
        )
}

/// Sends `case` as one HTTP/1.1 request and returns (status, body).
fn send(addr: SocketAddr, case: &Case, tokens: &[String]) -> Result<(u16, String), String> {
    let mut target = String::from("/api");
    // Most cases stay below /api; some leave it.
    for (i, s) in case.path.iter().enumerate() {
        if i == 0 && s == "api" {
            continue;
        }
        target.push('/');
        target.push_str(&enc(s));
    }
    if !case.query.is_empty() {
        target.push('?');
        let q: Vec<String> = case
            .query
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect();
        target.push_str(&q.join("&"));
    }
    let mut head = format!(
        "{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Length: {}\r\n",
        case.method,
        target,
        addr,
        case.body.len()
    );
    if let Some(a) = case.accept {
        head.push_str(&format!("Accept: {a}\r\n"));
    }
    if let Some(c) = case.content_type {
        head.push_str(&format!("Content-Type: {c}\r\n"));
    }
    match case.auth {
        0 => {}
        1 => head.push_str("X-RestSvcSessionId: bm90LWEtdG9rZW4=\r\n"),
        n => head.push_str(&format!("X-RestSvcSessionId: {}\r\n", tokens[n - 2])),
    }
    head.push_str("\r\n");
    let mut stream = TcpStream::connect(addr).map_err(|e| format!("connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(&case.body))
        .map_err(|e| format!("write: {e}"))?;
    let mut raw = Vec::new();
    stream
        .read_to_end(&mut raw)
        .map_err(|e| format!("read (connection dropped?): {e}"))?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let status: u16 = text
        .strip_prefix("HTTP/1.1 ")
        .and_then(|r| r.get(..3))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("no status line in {:?}", text.get(..80)))?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Ok((status, body))
}

/// Logs on over raw HTTP and returns the session token.
fn logon(addr: SocketAddr, basic: &str) -> String {
    let mut s = TcpStream::connect(addr).expect("connect");
    write!(
        s,
        "POST /api/sessionMngr/?v=latest HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nAuthorization: Basic {basic}\r\nContent-Length: 0\r\n\r\n"
    )
    .expect("write logon");
    let mut raw = String::new();
    s.read_to_string(&mut raw).expect("read logon");
    raw.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("x-restsvcsessionid")
                .then(|| v.trim().to_string())
        })
        .expect("logon answers a token")
}

#[test]
fn any_request_gets_a_documented_answer() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sim = rt
        .block_on(spawn(SimConfig::small()))
        .expect("simulator starts");
    let addr = sim.addr();
    // admin:admin and operator:operator
    let tokens = vec![
        logon(addr, "YWRtaW46YWRtaW4="),
        logon(addr, "b3BlcmF0b3I6b3BlcmF0b3I="),
    ];
    let cases = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let result = runner.run(&case(), |c| {
        let (status, body) = send(addr, &c, &tokens).map_err(TestCaseError::fail)?;
        prop_assert!(
            DOCUMENTED.contains(&status),
            "undocumented status {status} for {c:?}: {body}"
        );
        if status >= 400 {
            let is_error = body.contains("<Error ") || body.contains("\"StatusCode\"");
            prop_assert!(is_error, "{status} without an Error body for {c:?}: {body}");
        }
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    // Every request was answered and logged with its status.
    assert!(sim.requests().iter().all(|r| r.status != 0));
}

#[test]
fn the_issue_11_filter_is_a_400_not_a_dropped_connection() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sim = rt
        .block_on(spawn(SimConfig::small()))
        .expect("simulator starts");
    let addr = sim.addr();
    let tokens = vec![logon(addr, "YWRtaW46YWRtaW4=")];
    let c = Case {
        method: "GET",
        path: vec!["query".into()],
        query: vec![
            ("type".into(), "BackupJobSession".into()),
            (
                "filter".into(),
                "CreationTime>=\"2025-08-15T06:00-1é:\"".into(),
            ),
        ],
        accept: None,
        content_type: None,
        auth: 2,
        body: Vec::new(),
    };
    let (status, body) = send(addr, &c, &tokens).expect("answered");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("<Error "), "{body}");
}
