//! HTTPS with the self-signed certificate, and the `em-sim` binary's output contract.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;

use emrest_sim::{spawn, SimConfig};
use rustls::pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_rustls::TlsConnector;

#[tokio::test]
async fn tls_serves_with_a_verifiable_self_signed_certificate() {
    let sim = spawn(SimConfig {
        tls: true,
        ..SimConfig::small()
    })
    .await
    .unwrap();
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    assert!(sim
        .cert_pem()
        .unwrap()
        .starts_with("-----BEGIN CERTIFICATE-----"));
    let der = sim.cert_der().unwrap().to_vec();
    let digest = ring::digest::digest(&ring::digest::SHA256, &der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    assert_eq!(sim.fingerprint().unwrap(), hex.join(":"));

    let mut roots = rustls::RootCertStore::empty();
    roots.add(CertificateDer::from(der)).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = TlsConnector::from(Arc::new(cfg));
    for name in ["localhost", "127.0.0.1"] {
        let tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
        let server_name = ServerName::try_from(name.to_string()).unwrap();
        let mut tls = connector.connect(server_name, tcp).await.unwrap();
        tls.write_all(
            format!("GET /api/ HTTP/1.1\r\nHost: {name}:9398\r\nConnection: close\r\n\r\n")
                .as_bytes(),
        )
        .await
        .unwrap();
        let mut out = String::new();
        let _ = tls.read_to_string(&mut out).await;
        assert!(out.starts_with("HTTP/1.1 200 OK"), "{out}");
        assert!(out.contains(&format!("https://{name}:9398/api/sessionMngr/?v=latest")));
    }
    // A client that does not trust the certificate fails the handshake.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let r = TlsConnector::from(Arc::new(cfg))
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await;
    assert!(r.is_err());
    sim.shutdown().await;
}

#[test]
fn binary_prints_the_url_and_fingerprint() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_em-sim"))
        .args(["--port", "0", "--tls", "--size", "small"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let second = lines.next().unwrap().unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert!(
        first.starts_with("listening on https://127.0.0.1:"),
        "{first}"
    );
    assert!(first.ends_with("/api/"), "{first}");
    let fp = second.strip_prefix("sha256 fingerprint: ").unwrap();
    assert_eq!(fp.len(), 95);
    assert!(fp
        .split(':')
        .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit())));
}

#[test]
fn binary_rejects_bad_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_em-sim"))
        .args(["--size", "huge"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--size"));
}
