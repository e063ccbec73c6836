//! emrest: a typed client for the Veeam Backup Enterprise Manager (EM) REST API 1.7.
//!
//! Everything here is generated from `spec/em.toml` by [`generate_client!`]: one struct per
//! representation (fields in schema order), one enum per enumeration, one `async` method per
//! link a representation can offer (`job.start(&em)`), and the [`SessionOps`] trait for the
//! entry-point collections of a logon session (`em.jobs()`).
//!
//! ```no_run
//! use emrest::SessionOps;
//! # async fn run(password: &str) -> Result<(), emrest::Error> {
//! let client = emrest::Client::builder("https://em.example.com:9398/api/").build()?;
//! let em = client.logon("svc-backup@corp.example", password).await?;
//! for job_ref in em.jobs().await?.ref_ {
//!     let job = job_ref.alternate(&em).await?;
//!     if job.schedule_enabled == Some(true) {
//!         let task = job.start(&em).await?;
//!         task.wait(&em).await?;
//!     }
//! }
//! em.logoff().await?;
//! # Ok(()) }
//! ```

#![deny(missing_docs)]

pub use emrest_macros::{generate_client, Resource};
pub use emrest_runtime as runtime;
pub use emrest_runtime::{Error, Link, Links, Result};

generate_client!("../spec/em.toml");
// The spec of `#[derive(Resource)]` without `spec = …`: this crate's.
emrest_macros::default_resource_spec!("../spec/em.toml");
#[doc(hidden)]
pub use emrest_macros::__derive_resource_with;
