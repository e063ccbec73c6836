//! `vem demo`: an embedded EM simulator and a walk through the main flows.

use crate::args::Global;
use crate::error::{CliError, Result};
use crate::output::Out;

/// `vem demo`.
pub async fn demo_cmd(_g: &Global, _out: &Out) -> Result<()> {
    Err(CliError::error(
        "the demo needs the embedded simulator, which is not built in yet",
    ))
}
