//! What the end-to-end tests of vem's monitoring commands share: an em-sim on its own
//! runtime, and `vem` with the connection in the environment (the password only ever
//! through VEM_PASSWORD).

#![allow(dead_code)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use assert_cmd::Command;

/// A simulator on its own runtime, alive while this value lives.
pub struct Sim {
    handle: Option<emrest_sim::SimHandle>,
    rt: tokio::runtime::Runtime,
}

impl Sim {
    /// A simulator with this configuration.
    pub fn start(config: emrest_sim::SimConfig) -> Sim {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("runtime");
        let handle = rt
            .block_on(emrest_sim::spawn(config))
            .expect("em-sim starts");
        Sim {
            handle: Some(handle),
            rt,
        }
    }

    /// The small data set, history ending now, jobs that run three polls.
    pub fn small() -> Sim {
        Sim::start(emrest_sim::SimConfig {
            anchor: now(),
            session_ticks: 3,
            ..emrest_sim::SimConfig::small()
        })
    }

    /// The handle.
    pub fn h(&self) -> &emrest_sim::SimHandle {
        self.handle.as_ref().expect("running")
    }

    /// The API URL.
    pub fn url(&self) -> String {
        self.h().url()
    }

    /// `vem` with the connection in the environment.
    pub fn vem(&self) -> Command {
        let mut c = vem();
        c.env("VEM_SERVER", self.url())
            .env("VEM_USER", "admin")
            .env("VEM_PASSWORD", "admin");
        c
    }

    /// Stops the simulator now (its port is closed afterwards).
    pub fn stop(mut self) {
        let _guard = self.rt.enter();
        if let Some(h) = self.handle.take() {
            self.rt.block_on(h.shutdown());
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _guard = self.rt.enter();
        drop(self.handle.take());
    }
}

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(emrest_sim::DEFAULT_ANCHOR)
}

/// `vem` with a clean environment for its own variables.
pub fn vem() -> Command {
    let mut c = Command::cargo_bin("vem").expect("binary built");
    c.env_remove("VEM_SERVER")
        .env_remove("VEM_USER")
        .env_remove("VEM_PASSWORD")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("VEM_CONFIG")
        .env("NO_COLOR", "1")
        .timeout(Duration::from_secs(120));
    c
}

/// A fresh scratch directory for one test.
pub fn tmp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("vem-tests")
        .join(format!("{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

/// A local port nothing listens on (bound, then released).
pub fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}
