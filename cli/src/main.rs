//! `vem`: the command-line tool for Veeam Backup Enterprise Manager administrators, built on
//! emrest's client generated from `spec/em.toml`.
//!
//! Exit codes: 0 success, 1 error, 2 usage, 3 a task or job that finished failed.

mod args;
mod check;
mod conn;
mod decode;
mod demo;
mod doctor;
mod error;
mod everyday;
mod exposition;
mod fanout;
mod files;
mod generic;
mod habits;
mod listing;
mod metrics;
mod output;
mod plugin;
mod profiles;
mod query;
mod range;
mod spec;
mod tasks;
mod trust;
mod x509;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::error::{CliError, Result, EXIT_ERROR, EXIT_OK, EXIT_USAGE};
use crate::output::Out;

fn main() -> ExitCode {
    let mut cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.use_stderr() && is_check(std::env::args()) => {
            // A monitoring plugin's usage error is UNKNOWN, exit 3.
            let first = e.to_string();
            let first = first.lines().next().unwrap_or("bad arguments");
            let first = first.trim_start_matches("error: ");
            output::print_text(&format!("UNKNOWN: {first} (vem check --help)\n"));
            return ExitCode::from(plugin::Status::Unknown.code());
        }
        Err(e) => {
            let _ = e.print();
            // --help and --version are not errors.
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { EXIT_OK });
        }
    };
    let out = Out::new(cli.global.mode(), cli.global.no_color);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            output::note(format!("vem: cannot start the async runtime: {e}"));
            return ExitCode::from(EXIT_ERROR);
        }
    };
    let profiles = match select_profiles(&mut cli.global) {
        Ok(p) => p,
        Err(e) if matches!(cli.command, Command::Check(_)) => {
            output::print_text(&format!("UNKNOWN: {}\n", e.line()));
            return ExitCode::from(plugin::Status::Unknown.code());
        }
        Err(e) => {
            output::note(format!("vem: {}", e.line()));
            return ExitCode::from(e.code);
        }
    };
    if let Command::Check(a) = &cli.command {
        return ExitCode::from(rt.block_on(check::check_main(&cli.global, a, profiles.as_deref())));
    }
    let res = match (&cli.command, profiles) {
        (Command::Metrics(a), p) => rt.block_on(metrics::metrics_cmd(&cli.global, a, p)),
        (cmd, Some(p)) if fanout::is_listing(cmd) => fanout::listing_all(&cli.global, &out, &p),
        (_, Some(_)) => Err(CliError::usage(
            "--all-profiles works with listings (jobs, sessions, servers, repositories, \
             restore-points, tasks, query), checks and metrics",
        )),
        (_, None) => rt.block_on(run(cli, out)),
    };
    match res {
        Ok(()) => ExitCode::from(EXIT_OK),
        Err(e) => {
            output::note(format!("vem: {}", e.line()));
            ExitCode::from(e.code)
        }
    }
}

/// Applies `--profile`, or reads every profile for `--all-profiles`.
fn select_profiles(g: &mut args::Global) -> Result<Option<Vec<profiles::Profile>>> {
    if g.all_profiles {
        let all = profiles::load(g.config.as_deref())?;
        if all.is_empty() {
            return Err(CliError::usage(
                "--all-profiles: the config file has no profiles",
            ));
        }
        return Ok(Some(all));
    }
    if let Some(name) = g.profile.clone() {
        let all = profiles::load(g.config.as_deref())?;
        *g = profiles::find(&all, &name)?.apply(g);
    }
    Ok(None)
}

/// True when the command line asks for `vem check`.
fn is_check(mut args: impl Iterator<Item = String>) -> bool {
    args.any(|a| a == "check")
}

async fn run(cli: Cli, out: Out) -> Result<()> {
    let g = &cli.global;
    // Commands that need no server.
    match &cli.command {
        Command::Decode(a) => return decode::decode_cmd(&out, a),
        Command::Api { what } => return generic::api_cmd(&out, what),
        Command::Demo => return demo::demo_cmd(g, &out).await,
        Command::Call(a) => return generic::call_cmd(g, &out, a).await,
        Command::Query(a) => return generic::query_cmd(g, &out, a).await,
        Command::Check(_) => return Ok(()),
        Command::Completions { shell } => return habits::completions_cmd(*shell),
        Command::Man => return habits::man_cmd(),
        Command::Doctor => return doctor::doctor_cmd(g, &out).await,
        Command::Trust { host, yes } => {
            return trust::trust_cmd(g, &out, host.as_deref(), *yes).await
        }
        Command::Metrics(a) => return metrics::metrics_cmd(g, a, None).await,
        _ => {}
    }
    let em = conn::logon(g).await?;
    let res = everyday::run(g, &out, &em, &cli.command).await;
    // Always leave the logon session, whatever happened; its failure matters less.
    if let Err(e) = em.logoff().await {
        if res.is_ok() {
            return Err(CliError::from(e));
        }
    }
    res
}
