//! TLS against em-sim's self-signed certificate, through the generated client: refused by
//! default with a message naming the fix, accepted with the CA bundle or the right pin,
//! refused with a wrong pin, accepted by anything only under the explicitly named option.

use emrest::*;
use emrest_sim::{SimConfig, SimHandle};

async fn tls_sim() -> SimHandle {
    emrest_sim::spawn(SimConfig {
        tls: true,
        ..SimConfig::small()
    })
    .await
    .expect("em-sim starts with TLS")
}

#[tokio::test]
async fn refused_by_default_with_the_fix_named() {
    let sim = tls_sim().await;
    assert!(sim.url().starts_with("https://127.0.0.1:"));
    let err = Client::builder(sim.url())
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .expect_err("a self-signed certificate is not trusted by default");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("CA bundle") || text.contains("ca_bundle"),
        "names the CA bundle fix: {text}"
    );
    assert!(text.contains("pin"), "names the pinning fix: {text}");
    // The fix in the runtime's terms (its builder methods), not a front end's flags; a front
    // end that names its own gets the failure without it.
    assert!(
        text.contains("ClientBuilder::pin_certificate_sha256"),
        "{text}"
    );
    assert!(
        !text.contains("--ca-file") && !text.contains("vem"),
        "{text}"
    );
    let bare = err.tls_failure().expect("a TLS error");
    assert!(
        bare.contains("127.0.0.1") && !bare.contains("ClientBuilder"),
        "{bare}"
    );
    assert!(sim.requests().is_empty(), "no request reached the server");
}

#[tokio::test]
async fn accepted_with_the_ca_bundle() {
    let sim = tls_sim().await;
    let pem = sim
        .cert_pem()
        .expect("TLS sim has a certificate")
        .to_string();
    let em = Client::builder(sim.url())
        .ca_bundle_pem(pem)
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .expect("trusted through the bundle");
    assert!(!em.jobs().await.unwrap().ref_.is_empty());
}

#[tokio::test]
async fn accepted_with_the_right_pin_and_refused_with_a_wrong_one() {
    let sim = tls_sim().await;
    let fp = sim.fingerprint().expect("fingerprint").to_string();
    let em = Client::builder(sim.url())
        .pin_certificate_sha256(&fp)
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .expect("the pinned certificate is accepted");
    em.logoff().await.unwrap();

    let mut wrong = fp.clone();
    let last = wrong.pop().unwrap();
    wrong.push(if last == '0' { '1' } else { '0' });
    let err = Client::builder(sim.url())
        .pin_certificate_sha256(&wrong)
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .expect_err("a wrong pin is refused");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
}

#[tokio::test]
async fn anything_goes_only_when_named() {
    let sim = tls_sim().await;
    let em = Client::builder(sim.url())
        .danger_accept_invalid_certs()
        .build()
        .unwrap()
        .logon("admin", "admin")
        .await
        .expect("verification off by name");
    em.jobs().await.unwrap();
}
