//! The error of a `vem` run: one line for people, and the documented exit code.

use std::fmt;

/// Exit code: success.
pub const EXIT_OK: u8 = 0;
/// Exit code: an error (connection, TLS, HTTP, decoding, a missing object…).
pub const EXIT_ERROR: u8 = 1;
/// Exit code: the command line was wrong (unknown command or option, bad value, missing input).
pub const EXIT_USAGE: u8 = 2;
/// Exit code: a task or job that vem waited for (or showed) finished failed.
pub const EXIT_FAILED: u8 = 3;

/// Why a run failed, with its exit code.
#[derive(Debug)]
pub struct CliError {
    /// Exit code ([`EXIT_ERROR`], [`EXIT_USAGE`] or [`EXIT_FAILED`]).
    pub code: u8,
    /// One line, without the `vem:` prefix.
    pub message: String,
}

impl CliError {
    /// An error (exit 1).
    pub fn error(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_ERROR,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_USAGE,
            message: message.into(),
        }
    }

    /// A task or job that finished failed (exit 3).
    pub fn failed(message: impl Into<String>) -> Self {
        CliError {
            code: EXIT_FAILED,
            message: message.into(),
        }
    }

    /// The message as printed: one line, whatever the sources said.
    pub fn line(&self) -> String {
        one_line(&self.message)
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.line())
    }
}

/// Joins the lines of `s` with spaces and squeezes runs of whitespace.
pub fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl From<emrest::Error> for CliError {
    fn from(e: emrest::Error) -> Self {
        use emrest::Error as E;
        match &e {
            E::TaskFailed { .. } => CliError::failed(e.to_string()),
            E::LogonRefused { url, status, .. } => CliError::error(format!(
                "logon refused by {url} (HTTP {status}); check --user/VEM_USER and VEM_PASSWORD"
            )),
            E::Http { status: 401, .. } => CliError::error(format!(
                "{e} (the session was refused even after logging on again)"
            )),
            // The runtime's own advice names builder methods: vem gives its flags instead.
            E::Tls { .. } => CliError::error(format!("{}. {TLS_HINT}", tls_failure(&e))),
            E::Transport {
                kind: emrest::runtime::TransportKind::Connect,
                ..
            } => CliError::error(format!("{e} (is --server/VEM_SERVER right?)")),
            _ => CliError::error(e.to_string()),
        }
    }
}

/// What vem advises on a TLS failure.
const TLS_HINT: &str = "The server's certificate is not trusted: pass --ca-file PEM (the CA \
     that signed it) or --pin-sha256 HEX (its SHA-256 fingerprint); --insecure turns checking off";

/// A TLS error as vem shows it without advice (`TLS: URL: what failed`): the runtime's
/// message without the runtime's advice, for vem to give its own.
pub fn tls_failure(e: &emrest::Error) -> String {
    match e.tls_failure() {
        Some(failure) => format!("TLS: {failure}"),
        None => e.to_string(),
    }
}

/// Result of vem's commands.
pub type Result<T, E = CliError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_squeezes() {
        assert_eq!(one_line("a\n  b\r\n\tc "), "a b c");
    }

    #[test]
    fn task_failed_is_exit_3() {
        let e: CliError = emrest::Error::TaskFailed {
            operation: "StartJob".into(),
            message: "boom".into(),
        }
        .into();
        assert_eq!(e.code, EXIT_FAILED);
        assert!(e.line().contains("boom"));
    }
}
