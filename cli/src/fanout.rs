//! `--all-profiles` for listings: vem runs itself once per profile (four at a time) with
//! `--profile NAME --output jsonl`, then prints one listing with a `server` column. A
//! profile that fails is reported on standard error with its reason; the others' rows are
//! printed all the same, and the exit code is 1.

use std::process::{Command, Stdio};

use serde_json::{Map, Value as Json};

use crate::args::{Command as Cmd, Global};
use crate::error::{one_line, CliError, Result};
use crate::listing::Listing;
use crate::output::{col, note, Cell, Col, Out};
use crate::profiles::Profile;

/// At most this many servers are asked at once.
pub const PARALLEL: usize = 4;

/// True for the commands `--all-profiles` runs as listings.
pub fn is_listing(c: &Cmd) -> bool {
    matches!(
        c,
        Cmd::Jobs
            | Cmd::Sessions(_)
            | Cmd::Servers
            | Cmd::Repositories
            | Cmd::RestorePoints { .. }
            | Cmd::Tasks
            | Cmd::Query(_)
    )
}

/// The command line of this run without `--all-profiles` and the output options.
fn own_args() -> Vec<String> {
    let mut out = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--all-profiles" | "--json" | "--jsonl" => {}
            "--output" | "--profile" => {
                args.next();
            }
            s if s.starts_with("--output=") || s.starts_with("--profile=") => {}
            _ => out.push(a),
        }
    }
    out
}

/// What one profile's run gave: its rows, or why it failed.
type Outcome = std::result::Result<Vec<Map<String, Json>>, String>;

fn run_one(profile: &str, args: &[String]) -> Outcome {
    let exe = std::env::current_exe().map_err(|e| format!("cannot find vem itself: {e}"))?;
    let out = Command::new(exe)
        .args(["--profile", profile, "--output", "jsonl"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run vem: {e}"))?;
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        let err = String::from_utf8_lossy(&out.stderr);
        let reason = err
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .map(|l| one_line(l.trim_start_matches("vem: ")))
            .unwrap_or_else(|| format!("vem exited with {}", out.status));
        return Err(reason);
    }
    let mut rows = Vec::new();
    for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
        match serde_json::from_str::<Json>(line) {
            Ok(Json::Object(m)) => rows.push(m),
            Ok(other) => {
                let mut m = Map::new();
                m.insert("value".into(), other);
                rows.push(m);
            }
            Err(e) => return Err(format!("unreadable output: {e}")),
        }
    }
    Ok(rows)
}

/// A JSON value as a table cell (nested values as compact JSON).
fn cell(v: &Json) -> Cell {
    match v {
        Json::Null => Cell::none(),
        Json::String(s) => Cell::text(s.clone()),
        Json::Bool(_) | Json::Number(_) => Cell {
            text: v.to_string(),
            json: v.clone(),
            style: None,
        },
        other => Cell {
            text: other.to_string(),
            json: other.clone(),
            style: None,
        },
    }
}

/// Runs the listing of this command line against every profile.
pub fn listing_all(_g: &Global, out: &Out, profiles: &[Profile]) -> Result<()> {
    let args = own_args();
    let mut outcomes: Vec<(String, Outcome)> = Vec::new();
    for chunk in profiles.chunks(PARALLEL) {
        let done: Vec<(String, Outcome)> = std::thread::scope(|s| {
            let handles: Vec<_> = chunk
                .iter()
                .map(|p| {
                    let args = &args;
                    s.spawn(move || (p.name.clone(), run_one(&p.name, args)))
                })
                .collect();
            handles
                .into_iter()
                .zip(chunk)
                .map(|(h, p)| {
                    h.join()
                        .unwrap_or_else(|_| (p.name.clone(), Err("vem panicked".into())))
                })
                .collect()
        });
        outcomes.extend(done);
    }
    // Columns: `server`, then every key in first-seen order.
    let mut keys: Vec<String> = Vec::new();
    for (_, o) in &outcomes {
        for row in o.iter().flatten() {
            for k in row.keys() {
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
    }
    let mut cols: Vec<Col> = vec![col("server", "SERVER")];
    cols.extend(keys.iter().map(|k| col(k.clone(), k.to_uppercase())));
    let mut listing = Listing::new(*out, cols);
    let mut failed = Vec::new();
    for (server, o) in &outcomes {
        match o {
            Ok(rows) => {
                for r in rows {
                    let mut cells = vec![Cell::text(server.clone())];
                    cells.extend(keys.iter().map(|k| r.get(k).map_or_else(Cell::none, cell)));
                    listing.push(cells);
                }
            }
            Err(reason) => failed.push(format!("{server}: {reason}")),
        }
    }
    listing.finish();
    for f in &failed {
        note(format!("vem: {f}"));
    }
    if failed.is_empty() {
        Ok(())
    } else {
        Err(CliError::error(format!(
            "{} of {} server(s) failed",
            failed.len(),
            outcomes.len()
        )))
    }
}
