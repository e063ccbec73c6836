//! `em-sim`: runs the Enterprise Manager simulator until interrupted.
//!
//! First stdout line: `listening on http(s)://ADDR:PORT/api/`; with `--tls` the second line is
//! `sha256 fingerprint: AA:BB:...` (SHA-256 of the certificate's DER, upper-case hex pairs
//! joined by colons).

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use emrest_sim::{spawn, Casing, Faults, SimConfig, Size, Trigger};

const USAGE: &str = "usage: em-sim [--port N] [--bind ADDR] [--tls] [--json-casing pascal|camel] \
[--size small|default|large] [--idle-timeout SECONDS] [--seed N] [--task-polls N] \
[--session-ticks N] [--anchor now|UNIX_SECONDS] [--cert-out FILE] [--newer-content] [--no-entry-point]
       [--faults none|realistic] [--fault-seed N]
       [--fault-500 T] [--fault-500-burst N] [--fault-503 T] [--fault-503-burst N]
       [--fault-latency T] [--latency-ms N] [--latency-jitter-ms N]
       [--fault-reset-before T] [--fault-reset-after T] [--fault-truncate T]
       [--fault-malformed T] [--fault-content-type T] [--fault-expire T]
       [--fault-trickle T] [--trickle-bytes N] [--trickle-interval-ms N]
  T (trigger): a rate 0.0-1.0, every:N, at:N,M,... (request numbers) or off";

fn trigger(flag: &str, v: String) -> Result<Trigger, String> {
    Trigger::parse(&v).map_err(|e| format!("{flag}: {e}"))
}

fn number<T: std::str::FromStr>(flag: &str, v: String) -> Result<T, String> {
    v.trim()
        .parse()
        .map_err(|_| format!("{flag}: not a whole number"))
}

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
            "--newer-content" => cfg.newer_content = true,
            "--no-entry-point" => cfg.no_entry_point = true,
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
            "--faults" => {
                let seed = cfg.faults.seed;
                cfg.faults = match value(flag)?.to_ascii_lowercase().as_str() {
                    "none" | "off" => Faults {
                        seed,
                        ..Faults::none()
                    },
                    "realistic" => Faults::realistic(seed),
                    other => return Err(format!("--faults: unknown preset `{other}`")),
                }
            }
            "--fault-seed" => cfg.faults.seed = number(flag, value(flag)?)?,
            "--fault-500" => cfg.faults.http_500.trigger = trigger(flag, value(flag)?)?,
            "--fault-500-burst" => cfg.faults.http_500.length = number(flag, value(flag)?)?,
            "--fault-503" => cfg.faults.http_503.trigger = trigger(flag, value(flag)?)?,
            "--fault-503-burst" => cfg.faults.http_503.length = number(flag, value(flag)?)?,
            "--fault-latency" => cfg.faults.latency.trigger = trigger(flag, value(flag)?)?,
            "--latency-ms" => {
                cfg.faults.latency.fixed = Duration::from_millis(number(flag, value(flag)?)?)
            }
            "--latency-jitter-ms" => {
                cfg.faults.latency.jitter = Duration::from_millis(number(flag, value(flag)?)?)
            }
            "--fault-reset-before" => cfg.faults.reset_before = trigger(flag, value(flag)?)?,
            "--fault-reset-after" => cfg.faults.reset_after = trigger(flag, value(flag)?)?,
            "--fault-truncate" => cfg.faults.truncated_body = trigger(flag, value(flag)?)?,
            "--fault-malformed" => cfg.faults.malformed_body = trigger(flag, value(flag)?)?,
            "--fault-content-type" => cfg.faults.wrong_content_type = trigger(flag, value(flag)?)?,
            "--fault-expire" => cfg.faults.session_expiry = trigger(flag, value(flag)?)?,
            "--fault-trickle" => cfg.faults.trickle.trigger = trigger(flag, value(flag)?)?,
            "--trickle-bytes" => cfg.faults.trickle.chunk = number(flag, value(flag)?)?,
            "--trickle-interval-ms" => {
                cfg.faults.trickle.interval = Duration::from_millis(number(flag, value(flag)?)?)
            }
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
        let faults = !sim.faults().is_off();
        if faults {
            eprintln!("em-sim: fault injection is on: {:?}", sim.faults());
        }
        let _ = tokio::signal::ctrl_c().await;
        if faults {
            let counts: Vec<String> = sim
                .fault_counts()
                .iter()
                .map(|(k, n)| format!("{k}={n}"))
                .collect();
            eprintln!("em-sim: injected faults: {}", counts.join(" "));
        }
        sim.shutdown().await;
        ExitCode::SUCCESS
    })
}
