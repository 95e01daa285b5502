//! One integration-test binary (faster to build than one per file).
//! Modules: `fixtures` (captured /proc trees), `live` (real processes),
//! `bad_input` (errors, exit codes, hostile targets).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod bad_input;
mod common;
mod fixtures;
mod live;
