//! `vem trust [HOST]`: fetches the server's certificate, shows it with its SHA-256
//! fingerprint, and (with `--profile`) writes the pin into that profile of the config file
//! after confirmation.

use std::io::IsTerminal;
use std::path::Path;

use crate::args::Global;
use crate::conn::server_url;
use crate::doctor::{colon_hex, fetch_certificate};
use crate::error::{CliError, Result};
use crate::output::Out;
use crate::x509::describe;

/// `vem trust`.
pub async fn trust_cmd(g: &Global, out: &Out, host: Option<&str>, yes: bool) -> Result<()> {
    let raw = host
        .or(g.server.as_deref())
        .ok_or_else(|| CliError::usage("no server: give HOST, --server, or --profile NAME"))?;
    let url =
        url::Url::parse(&server_url(raw)?).map_err(|e| CliError::usage(format!("`{raw}`: {e}")))?;
    if url.scheme() != "https" {
        return Err(CliError::usage(format!(
            "`{raw}` is plain http: there is no certificate to trust"
        )));
    }
    let host = url.host_str().unwrap_or("").to_string();
    let port = url.port_or_known_default().unwrap_or(9398);
    let addr = tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port))
        .await
        .map_err(|e| CliError::error(format!("`{host}` does not resolve: {e}")))?
        .next()
        .ok_or_else(|| CliError::error(format!("`{host}` has no address")))?;
    let der = fetch_certificate(&host, addr).await?;
    let fp = colon_hex(&emrest::runtime::fingerprint_sha256(&der));
    match describe(&der) {
        Some(i) => {
            out.line(format!("subject:     {}", i.subject));
            out.line(format!("issuer:      {}", i.issuer));
            out.line(format!("valid:       {} to {}", i.not_before, i.not_after));
        }
        None => out.line("certificate: (vem cannot read its fields)"),
    }
    out.line(format!("SHA-256:     {fp}"));
    out.line(format!("pin:         --pin-sha256 {fp}"));
    out.line(format!("profile:     pin_sha256 = \"{fp}\""));
    let Some(profile) = g.profile.as_deref() else {
        out.line("(give --profile NAME to write the pin into a profile)");
        return Ok(());
    };
    let path = match &g.config {
        Some(p) => p.clone(),
        None => crate::profiles::default_path()
            .ok_or_else(|| CliError::usage("no config file: pass --config"))?,
    };
    if !yes {
        if !std::io::stdin().is_terminal() {
            return Err(CliError::usage(format!(
                "not writing the pin into profile `{profile}` without confirmation: pass --yes"
            )));
        }
        let answer = prompt(&format!(
            "Check the fingerprint with EM's administrator. Write the pin into profile `{profile}` of {}? [y/N] ",
            path.display()
        ))?;
        if !matches!(answer.trim(), "y" | "Y" | "yes") {
            out.line("nothing written");
            return Ok(());
        }
    }
    write_pin(&path, profile, &fp)?;
    out.line(format!(
        "wrote pin_sha256 into profile `{profile}` of {}",
        path.display()
    ));
    Ok(())
}

fn prompt(q: &str) -> Result<String> {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = write!(err, "{q}");
    let _ = err.flush();
    let mut s = String::new();
    std::io::stdin()
        .read_line(&mut s)
        .map_err(|e| CliError::usage(format!("cannot read the answer: {e}")))?;
    Ok(s)
}

/// Sets `pin_sha256` in the section of `profile`, keeping every other line as it was; the
/// result is read back before the file is replaced (atomically).
pub fn write_pin(path: &Path, profile: &str, fp: &str) -> Result<()> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::error(format!("cannot read {}: {e}", path.display())))?;
    let new = with_pin(&text, profile, fp).ok_or_else(|| {
        CliError::error(format!(
            "{}: no [profiles.{profile}] section to write into",
            path.display()
        ))
    })?;
    let profiles = crate::profiles::parse(&new, path)?;
    let ok = profiles
        .iter()
        .any(|p| p.name == profile && p.pin_sha256.as_deref() == Some(fp));
    if !ok {
        return Err(CliError::error(format!(
            "{}: the edited file would not hold the pin; edit it by hand: pin_sha256 = \"{fp}\"",
            path.display()
        )));
    }
    crate::metrics::write_atomic(path, &new)
}

/// The text with `pin_sha256 = "fp"` set in `[profiles.NAME]`, or `None` without it.
pub fn with_pin(text: &str, profile: &str, fp: &str) -> Option<String> {
    let headers = [
        format!("[profiles.{profile}]"),
        format!("[profiles.\"{profile}\"]"),
        format!("[profiles.'{profile}']"),
    ];
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| headers.iter().any(|h| l.trim() == h))?;
    let end = lines[start + 1..]
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .map_or(lines.len(), |i| start + 1 + i);
    let pin = format!("pin_sha256 = \"{fp}\"");
    let mut out: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    match (start + 1..end).find(|&i| {
        let t = lines[i].trim_start();
        t.strip_prefix("pin_sha256")
            .is_some_and(|r| r.trim_start().starts_with('='))
    }) {
        Some(i) => out[i] = pin,
        None => out.insert(start + 1, pin),
    }
    let mut s = out.join("\n");
    s.push('\n');
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pin_goes_into_its_section_only() {
        let text = "# mine\n[profiles.a]\nserver = \"a\"\n\n[profiles.b]\nserver = \"b\"\npin_sha256 = \"OLD\"\n";
        let a = with_pin(text, "a", "AA").unwrap();
        assert_eq!(
            a,
            "# mine\n[profiles.a]\npin_sha256 = \"AA\"\nserver = \"a\"\n\n[profiles.b]\nserver = \"b\"\npin_sha256 = \"OLD\"\n"
        );
        let b = with_pin(text, "b", "BB").unwrap();
        assert!(
            b.contains("pin_sha256 = \"BB\"") && !b.contains("OLD"),
            "{b}"
        );
        assert!(b.contains("[profiles.a]\nserver = \"a\"\n"), "{b}");
        assert!(with_pin(text, "c", "CC").is_none());
    }
}
