//! Connecting: the server URL, TLS options, the password (environment or prompt, never a
//! flag) and the logon.

use std::io::IsTerminal;
use std::time::Duration;

use emrest::runtime::{parse_fingerprint, Format, SecretString, WaitOptions};

use crate::args::{Global, Wire};
use crate::error::{CliError, Result};
use crate::output::note;

/// Environment variable holding the password.
pub const PASSWORD_ENV: &str = "VEM_PASSWORD";

/// The API URL for what the user typed: a host (`em`, `em:9398`) becomes
/// `https://em:9398/api/`; a URL without a path gets `/api/`.
pub fn server_url(raw: &str) -> Result<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(CliError::usage("--server is empty"));
    }
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let mut url = url::Url::parse(&with_scheme)
        .map_err(|e| CliError::usage(format!("--server `{raw}` is not a host or URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(CliError::usage(format!(
            "--server `{raw}` must be an https:// URL or a host name"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(CliError::usage(
            "--server must not carry credentials: use --user and VEM_PASSWORD",
        ));
    }
    let authority = raw.split(['/', '?', '#']).next().unwrap_or("");
    let port_given = authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    if !raw.contains("://") && !port_given {
        let _ = url.set_port(Some(9398));
    }
    if url.path() == "/" || url.path().is_empty() {
        url.set_path("/api/");
    }
    Ok(url.to_string())
}

/// Parses `90s`, `10m`, `2h`, `7d`, `1w` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| CliError::usage(format!("`{s}` is not a duration like 90s, 10m, 24h, 7d")))?;
    let mult = match unit.trim() {
        "" | "s" => 1,
        "m" | "min" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        _ => {
            return Err(CliError::usage(format!(
                "`{s}` is not a duration like 90s, 10m, 24h, 7d"
            )))
        }
    };
    n.checked_mul(mult)
        .map(Duration::from_secs)
        .ok_or_else(|| CliError::usage(format!("duration `{s}` is too long")))
}

/// Builds the client from the global options; with `limit`, no connection attempt or call takes longer.
pub fn client_within(g: &Global, limit: Option<Duration>) -> Result<emrest::Client> {
    let server = g.server.as_deref().ok_or_else(|| {
        CliError::usage("no server: pass --server HOST or set VEM_SERVER (try `vem demo`)")
    })?;
    let url = server_url(server)?;
    let mut b = emrest::Client::builder(&url).format(match g.wire {
        Wire::Xml => Format::Xml,
        Wire::Json => Format::Json,
    });
    if g.insecure && (g.ca_file.is_some() || g.pin_sha256.is_some()) {
        return Err(CliError::usage(
            "--insecure cannot be combined with --ca-file or --pin-sha256",
        ));
    }
    if let Some(path) = &g.ca_file {
        let pem = std::fs::read(path).map_err(|e| {
            CliError::error(format!("cannot read --ca-file {}: {e}", path.display()))
        })?;
        b = b.ca_bundle_pem(pem);
    }
    if let Some(hex) = &g.pin_sha256 {
        let fp = parse_fingerprint(hex)
            .map_err(|e| CliError::usage(format!("--pin-sha256: {e} (expected 64 hex digits)")))?;
        b = b.pin_certificate_sha256(fp);
    }
    if g.insecure {
        note(format!(
            "vem: warning: --insecure: the certificate of {url} is NOT verified; anyone on the \
             network path can read your password and session"
        ));
        b = b.danger_accept_invalid_certs();
    }
    if let Some(t) = limit {
        b = b
            .connect_timeout(t.min(Duration::from_secs(10)))
            .request_timeout(t)
            .call_timeout(t);
    }
    Ok(b.build()?)
}

/// The password: `VEM_PASSWORD`, or a prompt without echo on a terminal.
pub fn password(user: &str, server: &str) -> Result<SecretString> {
    if let Some(p) = std::env::var_os(PASSWORD_ENV) {
        let p = p
            .into_string()
            .map_err(|_| CliError::usage(format!("{PASSWORD_ENV} is not valid UTF-8")))?;
        if !p.is_empty() {
            return Ok(SecretString::new(p));
        }
    }
    if !std::io::stdin().is_terminal() {
        return Err(CliError::usage(format!(
            "no password: set {PASSWORD_ENV} (vem never takes a password as a flag) or run vem in a terminal to be asked"
        )));
    }
    let p = rpassword::prompt_password(format!("Password for {user} on {server}: "))
        .map_err(|e| CliError::usage(format!("cannot read the password: {e}")))?;
    Ok(SecretString::new(p))
}

/// Logs on with the global options.
pub async fn logon(g: &Global) -> Result<emrest::Session> {
    logon_within(g, None).await
}

/// Logs on; with `limit`, every call of the session is bounded by it.
pub async fn logon_within(g: &Global, limit: Option<Duration>) -> Result<emrest::Session> {
    Account::read(g, limit)?.logon(g).await
}

/// What a logon needs, read once (a long-running `vem metrics --listen` logs on again
/// for every scrape without asking again).
pub struct Account {
    /// The client.
    pub client: emrest::Client,
    /// The account name.
    pub user: String,
    password: SecretString,
}

impl Account {
    /// Reads the server, account and password of the global options.
    pub fn read(g: &Global, limit: Option<Duration>) -> Result<Account> {
        let client = client_within(g, limit)?;
        let user = g
            .user
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .ok_or_else(|| CliError::usage("no user: pass --user or set VEM_USER"))?
            .to_string();
        let password = match (&g.password_source, &g.profile) {
            (Some(src), profile) => src.read(profile.as_deref().unwrap_or("?"))?,
            (None, _) => password(&user, client.base_url())?,
        };
        Ok(Account {
            client,
            user,
            password,
        })
    }

    /// Logs on.
    pub async fn logon(&self, g: &Global) -> Result<emrest::Session> {
        let em = if g.tenant {
            let spec = emrest::LoginSpec {
                tenant_credentials: Some(emrest::TenantCredentials {
                    username: Some(self.user.as_str().into()),
                    password: Some(self.password.clone()),
                    ..Default::default()
                }),
                ..Default::default()
            };
            self.client.logon_with(&spec).await?
        } else {
            self.client
                .logon(self.user.clone(), self.password.clone())
                .await?
        };
        let deadline = parse_duration(&g.timeout)?;
        em.set_wait_options(WaitOptions::default().with_deadline(deadline));
        Ok(em)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_urls() {
        assert_eq!(server_url("em").unwrap(), "https://em:9398/api/");
        assert_eq!(server_url("em:443").unwrap(), "https://em/api/");
        assert_eq!(
            server_url("https://em.corp:9398/api/").unwrap(),
            "https://em.corp:9398/api/"
        );
        assert_eq!(
            server_url("http://127.0.0.1:8080").unwrap(),
            "http://127.0.0.1:8080/api/"
        );
        assert!(server_url("ftp://em/").is_err());
        assert!(server_url("https://u:pw@em/")
            .unwrap_err()
            .line()
            .contains("credentials"));
        assert!(!server_url("https://u:pw@em/")
            .unwrap_err()
            .line()
            .contains("pw@"));
        assert!(server_url("").is_err());
        assert_eq!(server_url("[::1]").unwrap(), "https://[::1]:9398/api/");
        assert_eq!(server_url("[::1]:9").unwrap(), "https://[::1]:9/api/");
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_duration("10m").unwrap(), Duration::from_secs(600));
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert!(parse_duration("h").is_err());
        assert!(parse_duration("5y").is_err());
        assert!(parse_duration("99999999999999999999d").is_err());
    }
}
