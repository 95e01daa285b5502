//! `doctor`.
use crate::cli::{DoctorArgs, Output};
use crate::commands::Ctx;
use crate::error::CliError;

pub fn run(_ctx: &Ctx, _a: &DoctorArgs, _out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    Err(CliError::new("doctor is not built yet"))
}
