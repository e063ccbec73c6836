//! `vem doctor`: walks the connection step by step (name, TCP, TLS, entry point, logon,
//! rights) and says, one line a step, what it found and what to do when a step fails.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use emrest::runtime::DateTime;
use emrest::{Job, SessionOps};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};

use crate::args::Global;
use crate::conn::{client_within, password, server_url};
use crate::error::{CliError, Result};
use crate::output::Out;
use crate::x509::{describe, CertInfo};

/// Time allowed to each network step.
const STEP: Duration = Duration::from_secs(10);

/// How a step went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Fine.
    Ok,
    /// Works, but worth a look.
    Warn,
    /// Broken: the following steps cannot run or will fail.
    Fail,
    /// Not run.
    Skip,
}

/// The report being written.
struct Steps<'a> {
    out: &'a Out,
    failed: usize,
}

impl Steps<'_> {
    fn say(&mut self, v: Verdict, step: &str, found: impl AsRef<str>, todo: Option<String>) {
        let tag = match v {
            Verdict::Ok => "[ ok ]",
            Verdict::Warn => "[warn]",
            Verdict::Fail => "[FAIL]",
            Verdict::Skip => "[skip]",
        };
        if v == Verdict::Fail {
            self.failed += 1;
        }
        self.out.line(format!("{tag} {step}: {}", found.as_ref()));
        if let Some(t) = todo {
            self.out.line(format!("       → {t}"));
        }
    }
}

/// The SHA-256 fingerprint as upper-case hex pairs joined by colons.
pub fn colon_hex(fp: &[u8; 32]) -> String {
    fp.iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Accepts any certificate and keeps the server's leaf, to show it (nothing is sent over
/// this connection).
#[derive(Debug)]
struct Recorder {
    leaf: Mutex<Option<Vec<u8>>>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for Recorder {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut l) = self.leaf.lock() {
            *l = Some(end_entity.as_ref().to_vec());
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// The server's certificate (DER), read over a TLS handshake that trusts anything.
pub async fn fetch_certificate(host: &str, addr: SocketAddr) -> Result<Vec<u8>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let recorder = Arc::new(Recorder {
        leaf: Mutex::new(None),
        provider: Arc::clone(&provider),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| CliError::error(format!("TLS setup: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(recorder.clone())
        .with_no_client_auth();
    let name = ServerName::try_from(
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
    )
    .map_err(|e| CliError::error(format!("`{host}` is not a TLS server name: {e}")))?;
    let tcp = tokio::time::timeout(STEP, tokio::net::TcpStream::connect(addr))
        .await
        .map_err(|_| CliError::error(format!("no TCP connection to {addr} within 10 s")))?
        .map_err(|e| CliError::error(format!("cannot connect to {addr}: {e}")))?;
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tls = tokio::time::timeout(STEP, connector.connect(name, tcp))
        .await
        .map_err(|_| CliError::error("no TLS handshake within 10 s"))?
        .map_err(|e| CliError::error(format!("TLS handshake failed: {e}")))?;
    drop(tls);
    let leaf = recorder.leaf.lock().ok().and_then(|l| l.clone());
    leaf.ok_or_else(|| CliError::error("the server sent no certificate"))
}

/// `vem doctor`.
pub async fn doctor_cmd(g: &Global, out: &Out) -> Result<()> {
    let mut s = Steps { out, failed: 0 };
    let raw = g.server.as_deref().ok_or_else(|| {
        CliError::usage("no server: pass --server HOST or set VEM_SERVER (or --profile NAME)")
    })?;
    let url_text = server_url(raw)?;
    let url = url::Url::parse(&url_text)
        .map_err(|e| CliError::usage(format!("--server `{raw}`: {e}")))?;
    let host = url.host_str().unwrap_or("").to_string();
    let port = url.port_or_known_default().unwrap_or(9398);
    s.say(Verdict::Ok, "server", format!("API URL {url_text}"), None);

    // Name resolution.
    let t0 = Instant::now();
    let lookup = tokio::time::timeout(
        STEP,
        tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port)),
    )
    .await;
    let addrs: Vec<SocketAddr> = match lookup {
        Ok(Ok(a)) => a.collect(),
        Ok(Err(e)) => {
            s.say(
                Verdict::Fail,
                "name resolution",
                format!("`{host}` does not resolve: {e}"),
                Some("check the host name and the DNS (or give the IP address)".into()),
            );
            return finish(&s);
        }
        Err(_) => {
            s.say(
                Verdict::Fail,
                "name resolution",
                format!("no answer for `{host}` within 10 s"),
                Some("check the DNS servers of this machine".into()),
            );
            return finish(&s);
        }
    };
    let Some(&addr) = addrs.first() else {
        s.say(
            Verdict::Fail,
            "name resolution",
            format!("`{host}` has no address"),
            None,
        );
        return finish(&s);
    };
    s.say(
        Verdict::Ok,
        "name resolution",
        format!(
            "{host} → {} ({} ms)",
            addrs
                .iter()
                .map(|a| a.ip().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            t0.elapsed().as_millis()
        ),
        None,
    );

    // TCP.
    let t0 = Instant::now();
    match tokio::time::timeout(STEP, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => s.say(
            Verdict::Ok,
            "TCP",
            format!("connected to {addr} in {} ms", t0.elapsed().as_millis()),
            None,
        ),
        Ok(Err(e)) => {
            s.say(
                Verdict::Fail,
                "TCP",
                format!("{addr}: {e}"),
                Some(format!(
                    "nothing listens on port {port}: is the Veeam Backup Enterprise Manager \
                     service running, and is {port} its REST API port (9398 https, 9399 http)?"
                )),
            );
            return finish(&s);
        }
        Err(_) => {
            s.say(
                Verdict::Fail,
                "TCP",
                format!("no connection to {addr} within 10 s"),
                Some("a firewall drops the connection, or the host is down".into()),
            );
            return finish(&s);
        }
    }

    // TLS.
    let mut pin_line = None;
    if url.scheme() == "https" {
        match fetch_certificate(&host, addr).await {
            Ok(der) => {
                let fp = colon_hex(&emrest::runtime::fingerprint_sha256(&der));
                let info = describe(&der);
                let now = DateTime::now_utc().unix_seconds().unwrap_or(0);
                let (v, what) = match &info {
                    Some(CertInfo {
                        subject,
                        issuer,
                        not_after,
                        not_after_unix,
                        ..
                    }) => {
                        let left = not_after_unix.map(|t| t - now).unwrap_or(0);
                        let v = if left < 0 {
                            Verdict::Fail
                        } else if left < 30 * 86_400 {
                            Verdict::Warn
                        } else {
                            Verdict::Ok
                        };
                        let when = if left < 0 {
                            format!("EXPIRED {not_after}")
                        } else {
                            format!("valid until {not_after} ({} days)", left / 86_400)
                        };
                        (v, format!("subject {subject}; issuer {issuer}; {when}"))
                    }
                    None => (Verdict::Warn, "a certificate vem cannot read".to_string()),
                };
                s.say(
                    v,
                    "TLS certificate",
                    format!("{what}; SHA-256 {fp}"),
                    (v == Verdict::Fail).then(|| {
                        "renew EM's certificate (EM's configuration, or the IIS binding of port 9398)"
                            .to_string()
                    }),
                );
                pin_line = Some(fp);
            }
            Err(e) => {
                s.say(
                    Verdict::Fail,
                    "TLS",
                    e.line(),
                    Some(format!(
                        "is port {port} a TLS port? EM's REST API speaks https on 9398 and http on 9399"
                    )),
                );
                return finish(&s);
            }
        }
    } else {
        s.say(
            Verdict::Warn,
            "TLS",
            "plain http: the password and the session cross the network in clear",
            Some("use EM's https port (9398)".into()),
        );
    }

    // Entry point, with the trust the user configured.
    let client = match client_within(g, Some(Duration::from_secs(30))) {
        Ok(c) => c,
        Err(e) => {
            s.say(Verdict::Fail, "client", e.line(), None);
            return finish(&s);
        }
    };
    match client.entry_point().await {
        Ok(node) => {
            let versions: Vec<String> = node
                .child("SupportedVersions")
                .map(|v| {
                    v.children
                        .iter()
                        .filter_map(|c| c.attr("Name").map(str::to_string))
                        .collect()
                })
                .unwrap_or_default();
            let v = if versions.is_empty() {
                Verdict::Warn
            } else {
                Verdict::Ok
            };
            s.say(
                v,
                "entry point",
                format!(
                    "{} answers; API versions {}",
                    node.name,
                    if versions.is_empty() {
                        "not listed".to_string()
                    } else {
                        versions.join(", ")
                    }
                ),
                None,
            );
        }
        Err(e) => {
            let tls = matches!(e, emrest::Error::Tls { .. });
            let todo = if tls {
                pin_line.as_ref().map(|fp| {
                    format!(
                        "the certificate is not trusted here: pass --pin-sha256 {fp}, or put \
                         `pin_sha256 = \"{fp}\"` into the profile, or pass --ca-file with the CA \
                         that signed it"
                    )
                })
            } else {
                Some("is this the EM REST API (https://EM:9398/api/)?".to_string())
            };
            // One piece of advice: the step's own (with the pin) when it has one.
            let line = match &todo {
                Some(_) if tls => crate::error::one_line(&crate::error::tls_failure(&e)),
                _ => CliError::from(e).line(),
            };
            s.say(Verdict::Fail, "entry point", line, todo);
            return finish(&s);
        }
    }
    if let Some(fp) = &pin_line {
        let how = if g.insecure {
            "not checked (--insecure)"
        } else if g.pin_sha256.is_some() {
            "pinned"
        } else if g.ca_file.is_some() {
            "trusted through --ca-file"
        } else {
            "trusted by this system's CA store"
        };
        s.say(
            Verdict::Ok,
            "trust",
            format!("{how}; to pin it: --pin-sha256 {fp} (profile line: pin_sha256 = \"{fp}\")"),
            None,
        );
    }

    // Logon.
    let Some(user) = g.user.clone().filter(|u| !u.trim().is_empty()) else {
        s.say(
            Verdict::Skip,
            "logon",
            "no account: pass --user or set VEM_USER",
            None,
        );
        return finish(&s);
    };
    let pw = match &g.password_source {
        Some(src) => src.read(g.profile.as_deref().unwrap_or("?")),
        None => password(&user, client.base_url()),
    };
    let pw = match pw {
        Ok(p) => p,
        Err(e) => {
            s.say(Verdict::Skip, "logon", e.line(), None);
            return finish(&s);
        }
    };
    let em = match client.logon(user.clone(), pw).await {
        Ok(em) => {
            s.say(
                Verdict::Ok,
                "logon",
                format!(
                    "logged on as {user} (API {})",
                    em.version().unwrap_or("version not said")
                ),
                None,
            );
            em
        }
        Err(e) => {
            let todo = match &e {
                emrest::Error::LogonRefused { status: 401, .. } => Some(
                    "EM refused the account or the password (401): check the password, the \
                     account format (DOMAIN\\user or user@domain) and that the account is in an \
                     EM role (Portal Administrator, Portal User or Restore Operator)"
                        .to_string(),
                ),
                emrest::Error::LogonRefused { status: 403, .. } => Some(
                    "EM knows the account but it may not use the REST API (403): give it an EM \
                     role, and check EM's licence"
                        .to_string(),
                ),
                _ => None,
            };
            s.say(Verdict::Fail, "logon", CliError::from(e).line(), todo);
            return finish(&s);
        }
    };

    // Rights.
    match em.jobs().await {
        Ok(list) => s.say(
            Verdict::Ok,
            "rights",
            format!("can list jobs ({} visible)", list.ref_.len()),
            None,
        ),
        Err(e) => s.say(
            Verdict::Fail,
            "rights",
            format!("cannot list jobs: {}", CliError::from(e).line()),
            Some("the account's EM role does not allow reading jobs".into()),
        ),
    }
    match em.query::<Job>().entities().page_size(1).first_page().await {
        Ok(page) => match page.items.first() {
            Some(job) => {
                match job.start(&em).request() {
                    Ok(req) => s.say(
                        Verdict::Ok,
                        "rights",
                        format!(
                            "EM offers the Start link (dry run on \"{}\": would send {} {}; \
                             nothing sent); EM checks the role's right only when a start is sent \
                             (a Restore Operator gets 403)",
                            job.name.as_deref().unwrap_or("?"),
                            req.verb.as_str(),
                            req.url
                        ),
                        None,
                    ),
                    Err(_) => s.say(
                        Verdict::Warn,
                        "rights",
                        "EM offers no Start link on jobs: the role cannot start them (Restore Operator?)",
                        None,
                    ),
                }
            }
            None => s.say(Verdict::Skip, "rights", "no job to try a start on", None),
        },
        Err(e) => s.say(
            Verdict::Warn,
            "rights",
            format!("the query service refused: {}", CliError::from(e).line()),
            None,
        ),
    }
    let _ = em.logoff().await;
    finish(&s)
}

fn finish(s: &Steps<'_>) -> Result<()> {
    if s.failed == 0 {
        Ok(())
    } else {
        Err(CliError::error(format!(
            "{} step(s) failed (see above)",
            s.failed
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_as_pins() {
        let mut fp = [0u8; 32];
        fp[0] = 0xab;
        fp[31] = 0x01;
        let s = colon_hex(&fp);
        assert!(s.starts_with("AB:00:") && s.ends_with(":01"), "{s}");
        assert_eq!(s.len(), 95);
        assert_eq!(emrest::runtime::parse_fingerprint(&s).unwrap(), fp);
    }
}
