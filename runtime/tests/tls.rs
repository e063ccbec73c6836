//! TLS: certificate pinning, CA bundles, system roots, and the explicit opt-out.

mod common;

use std::sync::Arc;

use common::*;
use emrest_runtime::{fingerprint_sha256, Error};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

struct Cert {
    der: CertificateDer<'static>,
    pem: String,
    key: Vec<u8>,
}

fn self_signed() -> Cert {
    let ck =
        rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_string(), "localhost".to_string()])
            .unwrap();
    Cert {
        der: ck.cert.der().clone(),
        pem: ck.cert.pem(),
        key: ck.key_pair.serialize_der(),
    }
}

async fn tls_entry_server(cert: &Cert) -> Server {
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(
        vec![cert.der.clone()],
        PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(cert.key.clone())),
    )
    .unwrap();
    let port = Arc::new(std::sync::Mutex::new(String::new()));
    let p = port.clone();
    let server = Server::start_tls(
        move |req: &Req| {
            if req.target == "/api/" {
                Reply::xml(200, entry_xml(&p.lock().unwrap(), &["v1_7"]))
            } else {
                Reply::new(404)
            }
        },
        config,
    )
    .await;
    *port.lock().unwrap() = server.base();
    server
}

#[tokio::test]
async fn pinned_fingerprint_right_and_wrong() {
    let cert = self_signed();
    let server = tls_entry_server(&cert).await;
    let fp = fingerprint_sha256(cert.der.as_ref());
    let hex: String = fp
        .iter()
        .map(|b| format!("{b:02X}"))
        .collect::<Vec<_>>()
        .join(":");

    // Right pin, as hex with colons and as raw bytes.
    for client in [
        Client::builder(server.base())
            .pin_certificate_sha256(&hex)
            .build()
            .unwrap(),
        Client::builder(server.base())
            .pin_certificate_sha256(fp)
            .build()
            .unwrap(),
    ] {
        client.entry_point().await.unwrap();
    }
    // Wrong pin.
    let mut other = fp;
    other[0] ^= 1;
    let err = Client::builder(server.base())
        .pin_certificate_sha256(other)
        .build()
        .unwrap()
        .entry_point()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(!err.is_retryable());
    // Malformed pin: a configuration error at build.
    let err = Client::builder(server.base())
        .pin_certificate_sha256("abc")
        .build()
        .unwrap_err();
    assert!(matches!(err, Error::Config { .. }), "{err}");
}

#[tokio::test]
async fn ca_bundle_and_default_verification() {
    let cert = self_signed();
    let server = tls_entry_server(&cert).await;
    // Verification is on by default: a self-signed certificate is refused.
    let err = Client::builder(server.base())
        .build()
        .unwrap()
        .entry_point()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    // Trusted through a CA bundle.
    Client::builder(server.base())
        .ca_bundle_pem(&cert.pem)
        .no_system_roots()
        .build()
        .unwrap()
        .entry_point()
        .await
        .unwrap();
    // Another certificate's bundle does not help.
    let other = self_signed();
    let err = Client::builder(server.base())
        .ca_bundle_pem(other.pem.as_bytes())
        .build()
        .unwrap()
        .entry_point()
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    // Garbage bundle: configuration error.
    assert!(matches!(
        Client::builder(server.base())
            .ca_bundle_pem("nope")
            .build()
            .unwrap_err(),
        Error::Config { .. }
    ));
}

#[tokio::test]
async fn danger_accept_invalid_certs_connects() {
    let cert = self_signed();
    let server = tls_entry_server(&cert).await;
    Client::builder(server.base())
        .danger_accept_invalid_certs()
        .build()
        .unwrap()
        .entry_point()
        .await
        .unwrap();
}
