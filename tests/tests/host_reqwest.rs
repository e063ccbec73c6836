//! A host program that uses emrest must keep its own reqwest clients working: a plain
//! `reqwest::Client`, built before any emrest client exists (so nothing has installed a
//! process-wide rustls crypto provider), must not panic, and both clients talk to em-sim
//! over loopback, over HTTP and HTTPS, in one binary.
//!
//! This file is its own test binary on purpose: no other test can install a process default
//! provider before it runs.

use emrest::*;
use emrest_sim::SimConfig;

#[tokio::test]
async fn a_plain_reqwest_client_works_next_to_an_emrest_client() {
    assert!(
        rustls_default_is_unset(),
        "precondition: nothing installed a process-wide crypto provider yet"
    );
    // The host's own client first: this is what panicked ("No provider set").
    let plain = reqwest::Client::new();
    let sim = emrest_sim::spawn(SimConfig::small())
        .await
        .expect("em-sim starts");
    let em = Client::builder(sim.url())
        .build()
        .expect("emrest client builds")
        .logon("admin", "admin")
        .await
        .expect("emrest logs on");
    let jobs = em.jobs().await.expect("emrest lists jobs");
    assert!(!jobs.ref_.is_empty());

    // The host's client reaches the same server: EM answers an anonymous GET of the
    // entry point (`/api/`) with its links.
    let res = plain
        .get(sim.url())
        .send()
        .await
        .expect("the plain client sends");
    assert_eq!(res.status().as_u16(), 200);
    let body = res.text().await.expect("body");
    assert!(body.contains("EnterpriseManager"), "{body}");
    assert!(
        rustls_default_is_unset(),
        "emrest installed no process-wide provider behind the host's back"
    );
}

#[tokio::test]
async fn both_clients_speak_tls_to_the_same_server() {
    let sim = emrest_sim::spawn(SimConfig {
        tls: true,
        ..SimConfig::small()
    })
    .await
    .expect("em-sim starts with TLS");
    let pem = sim.cert_pem().expect("certificate").to_string();
    let plain = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(pem.as_bytes()).expect("PEM"))
        .build()
        .expect("the plain client builds with a root of its own");
    let em = Client::builder(sim.url())
        .ca_bundle_pem(pem)
        .build()
        .expect("emrest client builds")
        .logon("admin", "admin")
        .await
        .expect("emrest logs on over TLS");
    assert!(!em.jobs().await.expect("jobs").ref_.is_empty());
    let res = plain
        .get(sim.url())
        .send()
        .await
        .expect("the plain client speaks TLS");
    assert_eq!(res.status().as_u16(), 200);
}

/// True while no process-wide rustls crypto provider is installed.
fn rustls_default_is_unset() -> bool {
    rustls::crypto::CryptoProvider::get_default().is_none()
}
