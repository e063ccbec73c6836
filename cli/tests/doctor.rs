//! `vem doctor` against em-sim: over TLS with and without trust, a wrong password, a
//! closed port, plain http. One line a step; exit 1 when a step failed.

mod support;

use support::{closed_port, vem, Sim};

fn doctor(mut c: assert_cmd::Command, extra: &[&str]) -> (i32, String) {
    let out = c.arg("doctor").args(extra).output().expect("runs");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).expect("utf-8"),
    )
}

#[test]
fn tls_certificate_is_shown_with_the_pin_to_trust_it() {
    let sim = Sim::start(emrest_sim::SimConfig {
        tls: true,
        ..emrest_sim::SimConfig::small()
    });
    let fp = sim.h().fingerprint().expect("fingerprint").to_string();
    let (code, out) = doctor(sim.vem(), &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("[ ok ] TCP"), "{out}");
    let cert = out
        .lines()
        .find(|l| l.contains("TLS certificate"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(cert.contains(&fp), "{cert}");
    assert!(
        cert.contains("subject CN=") && cert.contains("valid until"),
        "{cert}"
    );
    assert!(out.contains("[FAIL] entry point"), "{out}");
    let entry = out
        .lines()
        .find(|l| l.contains("entry point"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(!entry.contains("ClientBuilder"), "{entry}");
    assert_eq!(out.matches("not trusted").count(), 1, "one hint: {out}");
    assert!(out.contains(&format!("--pin-sha256 {fp}")), "{out}");
    assert!(out.contains(&format!("pin_sha256 = \"{fp}\"")), "{out}");
    assert!(!out.contains("[ ok ] logon"));
    // With the pin every step passes.
    let (code, out) = doctor(sim.vem(), &["--pin-sha256", &fp]);
    assert_eq!(code, 0, "{out}");
    for step in ["entry point", "trust", "logon", "rights"] {
        assert!(out.contains(&format!("[ ok ] {step}")), "{step}: {out}");
    }
    assert!(out.contains("v1_7"), "{out}");
    assert!(!out.contains("[FAIL]"), "{out}");
}

#[test]
fn failures_say_what_to_do() {
    let sim = Sim::small();
    let mut c = sim.vem();
    c.env("VEM_PASSWORD", "not-the-password");
    let (code, out) = doctor(c, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("[warn] TLS: plain http"), "{out}");
    assert!(out.contains("[ ok ] entry point"), "{out}");
    assert!(out.contains("[FAIL] logon"), "{out}");
    assert!(out.contains("(401)") && out.contains("EM role"), "{out}");
    assert!(!out.contains("not-the-password"));
    let mut c = vem();
    c.env(
        "VEM_SERVER",
        format!("http://127.0.0.1:{}/api/", closed_port()),
    );
    let (code, out) = doctor(c, &[]);
    assert_eq!(code, 1);
    assert!(out.contains("[FAIL] TCP"), "{out}");
    assert!(out.contains("→ nothing listens"), "{out}");
    assert!(
        !out.contains("entry point"),
        "later steps are not run: {out}"
    );
}

#[test]
fn trust_writes_the_pin_into_the_profile() {
    let sim = Sim::start(emrest_sim::SimConfig {
        tls: true,
        ..emrest_sim::SimConfig::small()
    });
    let fp = sim.h().fingerprint().expect("fingerprint").to_string();
    let dir = support::tmp_dir("trust");
    let cfg = dir.join("config.toml");
    let original = format!(
        "# lab EM\n[profiles.lab]\nserver = \"{}\"\nuser = \"admin\"\npassword_env = \"VEM_TEST_LAB_PW\"\n",
        sim.url()
    );
    std::fs::write(&cfg, &original).expect("write");
    let run = |args: &[&str]| {
        vem()
            .env("VEM_TEST_LAB_PW", "admin")
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .output()
            .expect("runs")
    };
    // Untrusted at first.
    assert_eq!(run(&["--profile", "lab", "servers"]).status.code(), Some(1));
    // Without a terminal and without --yes nothing is written.
    let out = run(&["--profile", "lab", "trust"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&fp));
    assert_eq!(std::fs::read_to_string(&cfg).expect("read"), original);
    let out = run(&["--profile", "lab", "trust", "--yes"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let now = std::fs::read_to_string(&cfg).expect("read");
    assert!(now.starts_with("# lab EM\n[profiles.lab]\n"), "{now}");
    assert!(now.contains(&format!("pin_sha256 = \"{fp}\"")), "{now}");
    // Now the profile connects.
    let out = run(&["--profile", "lab", "servers"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Without a profile, trust only shows the pin.
    let out = vem().args(["trust", &sim.url()]).output().expect("runs");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("--pin-sha256 {fp}")));
}
