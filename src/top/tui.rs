//! The interactive `top`.
use crate::cli::{Output, TopArgs};
use crate::commands::Ctx;
use crate::error::CliError;

pub fn run(_ctx: &Ctx, _a: &TopArgs, _out: &mut dyn std::io::Write) -> Result<Output, CliError> {
    Err(CliError::new("interactive top is not built yet"))
}
