//! In-process requests, without HTTP: the same dispatch and rendering as a served request,
//! for benchmarks of em-sim's own cost (`benches/render_page.rs`).

use axum::http::Method;

use crate::data::{Data, Size};
use crate::http::{parse_query, Caller, Req};
use crate::render::{write, Casing, Format, Reply};
use crate::sim::{Behaviour, Role, Sim};

/// A simulator state answering requests in-process as an administrator.
#[derive(Debug)]
pub struct InProcess {
    sim: Sim,
    caller: Caller,
}

impl InProcess {
    /// A state over the data set `size` (seed 1, the default anchor).
    pub fn new(size: Size) -> Result<InProcess, String> {
        crate::spec::load()?;
        let data = Data::generate(size, 1, crate::DEFAULT_ANCHOR);
        let behaviour = Behaviour {
            idle_timeout: std::time::Duration::from_secs(900),
            task_polls: 1,
            session_ticks: 10,
            newer_content: false,
            no_entry_point: false,
        };
        let mut sim = Sim::new(data, behaviour, crate::DEFAULT_ANCHOR);
        let (token, _) = sim.logon("admin", Role::Admin);
        let logon = sim
            .touch(&token)
            .ok_or_else(|| "the logon session just created is missing".to_string())?;
        Ok(InProcess {
            sim,
            caller: Caller { token, logon },
        })
    }

    /// Answers `GET /api{path_and_query}` in XML (`json: None`) or JSON: the status and the
    /// rendered body.
    pub fn get(&mut self, path_and_query: &str, json: Option<Casing>) -> (u16, String) {
        let (p, q) = path_and_query
            .split_once('?')
            .unwrap_or((path_and_query, ""));
        let segs: Vec<String> = p
            .split('/')
            .filter(|s| !s.is_empty())
            .map(|s| crate::util::pct_decode(s, false))
            .collect();
        let fmt = json.map(Format::Json).unwrap_or(Format::Xml);
        let req = Req {
            method: Method::GET,
            lsegs: segs.iter().map(|s| s.to_ascii_lowercase()).collect(),
            segs,
            query: parse_query(q),
            base: "http://127.0.0.1:9398/api".into(),
            fmt,
            body: Default::default(),
            token: Some(self.caller.token.clone()),
            authorization: None,
            caller: Some(self.caller.clone()),
        };
        match crate::api::serve(&mut self.sim, &req) {
            Ok(Reply::Doc(s, node, _)) => (s.as_u16(), write(&node, fmt)),
            Ok(Reply::Typed(s, repr, _)) => (s.as_u16(), crate::typed::write(&*repr, fmt)),
            Ok(Reply::Written(s, _, body)) => (s.as_u16(), body),
            Ok(other) => (other.status().as_u16(), String::new()),
            Err(e) => (
                e.status.as_u16(),
                crate::typed::write(&crate::typed::error_body(&e), fmt),
            ),
        }
    }
}
