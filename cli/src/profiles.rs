//! Named connection profiles from `$XDG_CONFIG_HOME/vem/config.toml` (or `--config`):
//! server, account, TLS trust, and where the password comes from (the name of an
//! environment variable or a command, never the password itself).
//!
//! ```toml
//! [profiles.prod]
//! server = "em.corp.example"
//! user = 'CORP\svc-backup'
//! pin_sha256 = "AB:CD:…"             # or ca_file = "/etc/ssl/corp-ca.pem"
//! password_env = "VEM_PROD_PASSWORD" # or password_command = "pass show em/prod"
//! # tenant = true                    # log on as a Cloud Connect tenant (`--tenant`)
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use emrest::runtime::SecretString;

use crate::args::Global;
use crate::error::{CliError, Result};

/// Where a profile's password comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordSource {
    /// The named environment variable.
    Env(String),
    /// The first line a command prints: a string (run by `sh -c`) or an argument list.
    Command(Vec<String>, bool),
}

impl PasswordSource {
    /// Reads the password; errors name the source, never the password.
    pub fn read(&self, profile: &str) -> Result<SecretString> {
        match self {
            PasswordSource::Env(name) => match std::env::var(name) {
                Ok(p) if !p.is_empty() => Ok(SecretString::new(p)),
                _ => Err(CliError::usage(format!(
                    "profile `{profile}`: the environment variable {name} (its password_env) is not set"
                ))),
            },
            PasswordSource::Command(argv, shell) => {
                let mut cmd = if *shell {
                    let mut c = Command::new("sh");
                    c.arg("-c").arg(&argv[0]);
                    c
                } else {
                    let mut c = Command::new(&argv[0]);
                    c.args(&argv[1..]);
                    c
                };
                let what = format!("profile `{profile}`: password_command `{}`", argv[0]);
                let out = cmd
                    .stdin(Stdio::null())
                    .stderr(Stdio::inherit())
                    .output()
                    .map_err(|e| CliError::error(format!("{what} cannot run: {e}")))?;
                if !out.status.success() {
                    return Err(CliError::error(format!("{what} failed ({})", out.status)));
                }
                let text = String::from_utf8(out.stdout)
                    .map_err(|_| CliError::error(format!("{what} printed no UTF-8")))?;
                let line = text.lines().next().unwrap_or("").to_string();
                if line.is_empty() {
                    return Err(CliError::error(format!("{what} printed nothing")));
                }
                Ok(SecretString::new(line))
            }
        }
    }
}

impl Default for PasswordSource {
    fn default() -> Self {
        PasswordSource::Env(crate::conn::PASSWORD_ENV.to_string())
    }
}

/// One profile.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Profile {
    /// Its name.
    pub name: String,
    /// Server (host or API URL).
    pub server: String,
    /// Account.
    pub user: Option<String>,
    /// SHA-256 pin of the server certificate.
    pub pin_sha256: Option<String>,
    /// CA file (relative paths are relative to the config file).
    pub ca_file: Option<PathBuf>,
    /// Do not verify the certificate.
    pub insecure: bool,
    /// Log on as a Cloud Connect tenant (`--tenant`).
    pub tenant: bool,
    /// Password source (`None`: VEM_PASSWORD or a prompt).
    pub password: Option<PasswordSource>,
}

impl Profile {
    /// The global options with this profile's connection in place of the command line's.
    pub fn apply(&self, g: &Global) -> Global {
        let mut g = g.clone();
        g.server = Some(self.server.clone());
        if self.user.is_some() {
            g.user = self.user.clone();
        }
        g.pin_sha256 = self.pin_sha256.clone();
        g.ca_file = self.ca_file.clone();
        g.insecure = self.insecure;
        g.tenant = self.tenant;
        g.profile = Some(self.name.clone());
        g.password_source = self.password.clone();
        g
    }
}

/// The default config file: `$XDG_CONFIG_HOME/vem/config.toml`, else
/// `$HOME/.config/vem/config.toml`.
pub fn default_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .filter(|v| !v.is_empty())
                .map(|h| PathBuf::from(h).join(".config"))
        })?;
    Some(base.join("vem").join("config.toml"))
}

/// Reads the profiles of the config file (`--config`, or the default path).
pub fn load(config: Option<&Path>) -> Result<Vec<Profile>> {
    let path = match config {
        Some(p) => p.to_path_buf(),
        None => default_path().ok_or_else(|| {
            CliError::usage("no config file: set XDG_CONFIG_HOME or HOME, or pass --config")
        })?,
    };
    let text = std::fs::read_to_string(&path).map_err(|e| {
        CliError::usage(format!(
            "cannot read the config file {}: {e}",
            path.display()
        ))
    })?;
    parse(&text, &path)
}

/// Parses a config file's text (`path` names it in messages and anchors relative paths).
pub fn parse(text: &str, path: &Path) -> Result<Vec<Profile>> {
    let at = path.display();
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| CliError::usage(format!("{at}: {}", e.message())))?;
    for key in table.keys() {
        if key != "profiles" {
            return Err(CliError::usage(format!(
                "{at}: unknown key `{key}` (profiles go under [profiles.NAME])"
            )));
        }
    }
    let Some(profiles) = table.get("profiles") else {
        return Ok(Vec::new());
    };
    let profiles = profiles
        .as_table()
        .ok_or_else(|| CliError::usage(format!("{at}: `profiles` must be a table")))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut out = Vec::new();
    for (name, v) in profiles {
        let t = v
            .as_table()
            .ok_or_else(|| CliError::usage(format!("{at}: profiles.{name} must be a table")))?;
        let here = format!("{at}: profiles.{name}");
        let s = |k: &str| -> Result<Option<String>> {
            match t.get(k) {
                None => Ok(None),
                Some(toml::Value::String(s)) => Ok(Some(s.clone())),
                Some(_) => Err(CliError::usage(format!("{here}.{k} must be a string"))),
            }
        };
        for key in t.keys() {
            match key.as_str() {
                "server" | "user" | "pin_sha256" | "ca_file" | "insecure" | "tenant"
                | "password_env" | "password_command" => {}
                "password" | "pass" | "secret" => {
                    return Err(CliError::usage(format!(
                        "{here}: a config file holds no password: name its environment variable \
                         (password_env) or a command that prints it (password_command)"
                    )))
                }
                other => {
                    return Err(CliError::usage(format!(
                        "{here}: unknown key `{other}` (server, user, pin_sha256, ca_file, \
                         insecure, tenant, password_env, password_command)"
                    )))
                }
            }
        }
        let server = s("server")?
            .filter(|v| !v.trim().is_empty())
            .ok_or_else(|| CliError::usage(format!("{here}: `server` is missing")))?;
        let flag = |k: &str| -> Result<bool> {
            match t.get(k) {
                None => Ok(false),
                Some(toml::Value::Boolean(b)) => Ok(*b),
                Some(_) => Err(CliError::usage(format!("{here}.{k} must be true or false"))),
            }
        };
        let (insecure, tenant) = (flag("insecure")?, flag("tenant")?);
        let command = match t.get("password_command") {
            None => None,
            Some(toml::Value::String(c)) if !c.trim().is_empty() => {
                Some(PasswordSource::Command(vec![c.clone()], true))
            }
            Some(toml::Value::Array(a)) if !a.is_empty() => {
                let argv: Option<Vec<String>> =
                    a.iter().map(|x| x.as_str().map(str::to_string)).collect();
                Some(PasswordSource::Command(
                    argv.ok_or_else(|| {
                        CliError::usage(format!("{here}.password_command: strings only"))
                    })?,
                    false,
                ))
            }
            Some(_) => {
                return Err(CliError::usage(format!(
                    "{here}.password_command must be a command line or a list of arguments"
                )))
            }
        };
        let env = s("password_env")?.map(PasswordSource::Env);
        if env.is_some() && command.is_some() {
            return Err(CliError::usage(format!(
                "{here}: give password_env or password_command, not both"
            )));
        }
        out.push(Profile {
            name: name.clone(),
            server,
            user: s("user")?,
            pin_sha256: s("pin_sha256")?,
            ca_file: s("ca_file")?.map(|p| dir.join(p)),
            insecure,
            tenant,
            password: env.or(command),
        });
    }
    Ok(out)
}

/// The profile named `name`.
pub fn find<'a>(profiles: &'a [Profile], name: &str) -> Result<&'a Profile> {
    profiles.iter().find(|p| p.name == name).ok_or_else(|| {
        CliError::usage(format!(
            "no profile `{name}` in the config file (profiles: {})",
            if profiles.is_empty() {
                "none".to_string()
            } else {
                profiles
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(text: &str) -> Result<Vec<Profile>> {
        parse(text, Path::new("/etc/vem/config.toml"))
    }

    #[test]
    fn profiles_are_read() {
        let v = p(r#"
[profiles.prod]
server = "em.corp"
user = 'CORP\svc'
pin_sha256 = "AB:CD"
password_env = "PROD_PW"

[profiles.lab]
server = "https://lab:9398/api/"
ca_file = "lab-ca.pem"
password_command = ["pass", "show", "em/lab"]
tenant = true
"#)
        .unwrap();
        assert_eq!(v.len(), 2);
        let prod = find(&v, "prod").unwrap();
        assert_eq!(prod.user.as_deref(), Some("CORP\\svc"));
        assert_eq!(prod.password, Some(PasswordSource::Env("PROD_PW".into())));
        assert!(!prod.tenant);
        let lab = find(&v, "lab").unwrap();
        assert!(lab.tenant);
        assert_eq!(
            lab.ca_file.as_deref(),
            Some(Path::new("/etc/vem/lab-ca.pem"))
        );
        assert_eq!(
            lab.password,
            Some(PasswordSource::Command(
                vec!["pass".into(), "show".into(), "em/lab".into()],
                false
            ))
        );
        assert!(find(&v, "nope").unwrap_err().line().contains("prod"));
    }

    #[test]
    fn passwords_never_live_in_the_file() {
        let e = p("[profiles.x]\nserver = \"em\"\npassword = \"hunter2\"\n").unwrap_err();
        assert!(e.line().contains("no password"), "{}", e.line());
        assert!(!e.line().contains("hunter2"));
    }

    #[test]
    fn mistakes_are_clear() {
        for (text, says) in [
            ("[profiles.x]\nuser = \"u\"\n", "`server` is missing"),
            ("[profiles.x]\nserver = 1\n", "must be a string"),
            (
                "[profiles.x]\nserver = \"em\"\nsrever = \"em\"\n",
                "unknown key",
            ),
            ("profile = 1\n", "unknown key"),
            (
                "[profiles.x]\nserver = \"em\"\ntenant = \"yes\"\n",
                "tenant must be true or false",
            ),
            ("[profiles.x\n", "config.toml"),
            (
                "[profiles.x]\nserver = \"em\"\npassword_env = \"A\"\npassword_command = \"b\"\n",
                "not both",
            ),
        ] {
            let e = p(text).unwrap_err();
            assert!(e.line().contains(says), "{text:?}: {}", e.line());
            assert_eq!(e.code, 2);
        }
    }

    #[test]
    fn password_sources() {
        let cmd = PasswordSource::Command(vec!["printf 's3cret\\nmore'".into()], true);
        assert_eq!(cmd.read("x").unwrap().expose(), "s3cret");
        let bad = PasswordSource::Command(vec!["exit 4".into()], true);
        assert!(bad.read("x").unwrap_err().line().contains("failed"));
        let missing = PasswordSource::Env("VEM_TEST_NO_SUCH_VARIABLE_42".into());
        assert!(missing.read("x").unwrap_err().line().contains("not set"));
    }
}
