//! `em-sim`: runs the Enterprise Manager simulator until interrupted.
//!
//! First stdout line: `listening on http(s)://ADDR:PORT/api/`; with `--tls` the second line is
//! `sha256 fingerprint: AA:BB:...` (SHA-256 of the certificate's DER, upper-case hex pairs
//! joined by colons).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use emrest_sim::{spawn, Casing, SimConfig, Size};

const USAGE: &str = "usage: em-sim [--port N] [--bind ADDR] [--tls] [--json-casing pascal|camel] \
[--size small|default|large] [--idle-timeout SECONDS] [--seed N] [--task-polls N] \
[--session-ticks N] [--anchor now|UNIX_SECONDS] [--cert-out FILE]";

fn parse(args: &[String]) -> Result<(SimConfig, Option<String>), String> {
    let mut cfg = SimConfig::default();
    let mut cert_out = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| it.next().cloned())
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match flag {
            "--port" => cfg.port = value(flag)?.parse().map_err(|_| "--port: not a port")?,
            "--bind" => {
                cfg.bind = value(flag)?
                    .parse()
                    .map_err(|_| "--bind: not an IP address")?
            }
            "--tls" => cfg.tls = true,
            "--json-casing" => {
                cfg.json_casing = match value(flag)?.to_ascii_lowercase().as_str() {
                    "pascal" => Casing::Pascal,
                    "camel" => Casing::Camel,
                    other => return Err(format!("--json-casing: unknown `{other}`")),
                }
            }
            "--size" => {
                cfg.size = match value(flag)?.to_ascii_lowercase().as_str() {
                    "small" => Size::Small,
                    "default" => Size::Default,
                    "large" => Size::Large,
                    other => return Err(format!("--size: unknown `{other}`")),
                }
            }
            "--idle-timeout" => {
                let s: u64 = value(flag)?
                    .parse()
                    .map_err(|_| "--idle-timeout: not a number of seconds")?;
                cfg.idle_timeout = Duration::from_secs(s);
            }
            "--seed" => cfg.seed = value(flag)?.parse().map_err(|_| "--seed: not a number")?,
            "--task-polls" => {
                cfg.task_polls = value(flag)?
                    .parse()
                    .map_err(|_| "--task-polls: not a number")?
            }
            "--session-ticks" => {
                cfg.session_ticks = value(flag)?
                    .parse()
                    .map_err(|_| "--session-ticks: not a number")?
            }
            "--anchor" => {
                let v = value(flag)?;
                cfg.anchor = if v == "now" {
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map(|d| d.as_secs() as i64 / 3600 * 3600)
                        .unwrap_or(emrest_sim::DEFAULT_ANCHOR)
                } else {
                    v.parse().map_err(|_| "--anchor: `now` or Unix seconds")?
                };
            }
            "--cert-out" => cert_out = Some(value(flag)?),
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok((cfg, cert_out))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (cfg, cert_out) = match parse(&args) {
        Ok(x) => x,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("em-sim: {e}");
            }
            eprintln!("{USAGE}");
            return if e.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("em-sim: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        let sim = match spawn(cfg).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("em-sim: cannot start: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut out = std::io::stdout();
        let _ = writeln!(out, "listening on {}", sim.url());
        if let Some(fp) = sim.fingerprint() {
            let _ = writeln!(out, "sha256 fingerprint: {fp}");
        }
        let _ = out.flush();
        if let (Some(path), Some(pem)) = (cert_out, sim.cert_pem()) {
            if let Err(e) = std::fs::write(&path, pem) {
                eprintln!("em-sim: cannot write {path}: {e}");
            }
        }
        let _ = tokio::signal::ctrl_c().await;
        sim.shutdown().await;
        ExitCode::SUCCESS
    })
}
