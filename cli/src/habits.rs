//! Shell completions and the man page, both generated from the command-line definitions.

use clap::CommandFactory;

use crate::args::{Cli, Shell};
use crate::error::{CliError, Result};
use crate::output::print_text;

/// `vem completions SHELL`: the completion script on standard output.
pub fn completions_cmd(shell: Shell) -> Result<()> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    let sh = match shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(sh, &mut cmd, "vem", &mut buf);
    let text = String::from_utf8(buf)
        .map_err(|_| CliError::error("the completion script is not UTF-8"))?;
    print_text(&text);
    Ok(())
}

/// `vem man`: the man page (roff) on standard output.
pub fn man_cmd() -> Result<()> {
    let mut buf = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut buf)
        .map_err(|e| CliError::error(format!("cannot write the man page: {e}")))?;
    let text = String::from_utf8(buf).map_err(|_| CliError::error("the man page is not UTF-8"))?;
    print_text(&text);
    Ok(())
}
