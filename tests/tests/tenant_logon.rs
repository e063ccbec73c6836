//! Logon with a body instead of HTTP Basic (REFERENCE.md §2.4): a standalone Cloud Connect
//! tenant, a Cloud Director organization administrator, and a VMware SSO token, each a
//! `LoginSpec`, end to end against em-sim in XML and JSON; re-logon after expiry resends the
//! body; secrets never show.

use emrest::runtime::{Format, SecretString};
use emrest::*;
use emrest_sim::{SimConfig, SimHandle};

async fn sim() -> SimHandle {
    emrest_sim::spawn(SimConfig::small())
        .await
        .expect("em-sim starts")
}

fn client(sim: &SimHandle, format: Format) -> Client {
    Client::builder(sim.url()).format(format).build().unwrap()
}

fn tenant(password: &str) -> LoginSpec {
    LoginSpec {
        tenant_credentials: Some(TenantCredentials {
            username: Some("tenant".into()),
            password: Some(SecretString::new(password)),
            ..Default::default()
        }),
        ..Default::default()
    }
}

fn logon_posts(sim: &SimHandle) -> Vec<emrest_sim::RecordedRequest> {
    sim.requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.to_ascii_lowercase().contains("sessionmngr"))
        .collect()
}

async fn tenant_logon(format: Format) {
    let sim = sim().await;
    let spec = tenant("tenant-secret");
    assert!(!format!("{spec:?}").contains("tenant-secret"), "{spec:?}");
    let em = client(&sim, format).logon_with(&spec).await.unwrap();

    // The logon carried the body, not Basic credentials.
    let posts = logon_posts(&sim);
    assert_eq!(posts.len(), 1);
    assert!(!posts[0].has_authorization);
    let body = posts[0].body.as_deref().unwrap_or_default();
    assert!(body.contains("TenantCredentials"), "{body}");
    let want = match format {
        Format::Xml => "application/xml",
        Format::Json => "application/json",
    };
    assert_eq!(posts[0].content_type.as_deref(), Some(want));

    // A tenant's session offers the entry point, `/cloud` and its own deletion only.
    let links = em.links();
    let mut rels: Vec<(&str, Option<&str>)> = links
        .0
        .iter()
        .map(|l| (&*l.rel, l.type_.as_deref()))
        .collect();
    rels.sort();
    assert_eq!(
        rels,
        [
            ("Delete", Some("LogonSession")),
            ("Down", Some("CloudConnectService")),
            ("Up", Some("EnterpriseManager")),
        ]
    );
    em.cloud_connect_service()
        .await
        .expect("the tenant reads its /cloud");
    // Jobs are not the tenant's: the link is not there, so the call says so.
    assert!(matches!(em.jobs().await, Err(Error::LinkNotOffered { .. })));

    // After an expiry the session logs on again with the same body.
    sim.expire_all_sessions();
    sim.clear_requests();
    em.cloud_connect_service()
        .await
        .expect("the call survives the expiry");
    let again = logon_posts(&sim);
    assert_eq!(again.len(), 1, "exactly one new logon");
    assert_eq!(again[0].body, posts[0].body, "the same body");
    assert!(!again[0].has_authorization);
    assert!(!format!("{em:?}").contains("tenant-secret"), "{em:?}");
}

#[tokio::test]
async fn a_standalone_tenant_logs_on_with_a_login_spec_in_xml() {
    tenant_logon(Format::Xml).await;
}

#[tokio::test]
async fn a_standalone_tenant_logs_on_with_a_login_spec_in_json() {
    tenant_logon(Format::Json).await;
}

#[tokio::test]
async fn a_wrong_tenant_password_is_refused_without_showing_it() {
    let sim = sim().await;
    let err = client(&sim, Format::Xml)
        .logon_with(&tenant("not-the-password"))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, Error::LogonRefused { status: 401, .. }),
        "{err:?}"
    );
    let text = format!("{err} {err:?}");
    assert!(!text.contains("not-the-password"), "{text}");
}

#[tokio::test]
async fn an_organization_administrator_and_an_sso_token_log_on_too() {
    let sim = sim().await;
    let org = LoginSpec {
        v_cloud_organization_credentials: Some(VCloudOrganizationCredentials {
            organization_name: Some("Fabrikam".into()),
            login: Some("orgadmin".into()),
            password: Some(SecretString::new("orgadmin")),
            ..Default::default()
        }),
        ..Default::default()
    };
    let em = client(&sim, Format::Json).logon_with(&org).await.unwrap();
    assert!(em.cloud_connect_service().await.is_ok());

    let sso = LoginSpec {
        v_mware_sso_token: Some(SecretString::new("sso-admin")),
        ..Default::default()
    };
    assert!(!format!("{sso:?}").contains("sso-admin"), "{sso:?}");
    let admin = client(&sim, Format::Xml).logon_with(&sso).await.unwrap();
    assert!(
        !admin.jobs().await.unwrap().ref_.is_empty(),
        "an SSO administrator sees the jobs"
    );
    let bad = LoginSpec {
        v_mware_sso_token: Some(SecretString::new("expired-token")),
        ..Default::default()
    };
    assert!(matches!(
        client(&sim, Format::Xml).logon_with(&bad).await,
        Err(Error::LogonRefused { .. })
    ));
}
