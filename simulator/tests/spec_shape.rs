//! The spec drives what the query service accepts and how it orders enums (issue 11: the
//! hand-typed field lists and enum orders had drifted from `spec/em.toml`).

mod support;

use emrest_codegen::ir::Ty;
use emrest_sim::{spawn, SimConfig};

#[tokio::test]
async fn every_spec_query_field_is_accepted() {
    let ir = support::spec();
    let sim = spawn(SimConfig::small()).await.expect("simulator starts");
    let mut checked = 0;
    for t in &ir.types {
        let Some(q) = &t.query else { continue };
        // Only the query types a hand-written family serves answer counts.
        if sim.query_count(&q.name, None).is_err() {
            continue;
        }
        for (f, ty) in &q.fields {
            let value = match ty {
                Ty::Bool => "true".to_string(),
                Ty::Int | Ty::Long | Ty::Double => "1".into(),
                Ty::DateTime => "2025-01-01T00:00:00Z".into(),
                Ty::Enum(e) => ir
                    .enums
                    .iter()
                    .find(|x| &x.name == e)
                    .and_then(|x| x.values.first())
                    .map(|(v, _)| v.clone())
                    .unwrap_or_default(),
                _ => "\"x\"".into(),
            };
            let filter = format!("{f}!={value}");
            let r = sim.query_count(&q.name, Some(&filter));
            assert!(r.is_ok(), "{}: {filter}: {r:?}", q.name);
            checked += 1;
        }
    }
    assert!(checked > 50, "only {checked} fields checked");
}

#[tokio::test]
async fn results_compare_in_the_spec_order() {
    let ir = support::spec();
    let order: Vec<&str> = ir
        .enums
        .iter()
        .find(|e| e.name == "JobResult")
        .expect("JobResult")
        .values
        .iter()
        .map(|(v, _)| v.as_str())
        .collect();
    assert_eq!(order, ["Success", "Warning", "Failed", "None"]);
    let sim = spawn(SimConfig::small()).await.expect("simulator starts");
    // Start a job: its new session runs, with result None.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let http = reqwest::Client::new();
    let logon = http
        .post(format!("{}sessionMngr/?v=latest", sim.url()))
        .basic_auth("admin", Some("admin"))
        .send()
        .await
        .expect("logon");
    let token = logon.headers()["x-restsvcsessionid"]
        .to_str()
        .expect("token")
        .to_string();
    let job = sim.job_id("SQL Backup").expect("job");
    let r = http
        .post(format!("{}jobs/{job}?action=start", sim.url()))
        .header("X-RestSvcSessionId", &token)
        .send()
        .await
        .expect("start");
    assert_eq!(r.status(), 202);
    let n = |f: &str| sim.query_count("BackupJobSession", Some(f)).expect(f);
    // None is last: the running session is above Failed, and Success is the lowest.
    assert_eq!(n("Result==None"), 1);
    assert_eq!(n("Result>Failed"), 1);
    assert_eq!(n("Result<Warning"), n("Result==Success"));
    assert!(n("Result<Warning") > 0);
}
