//! One integration-test binary (faster to build than one per file).
//! Modules: `fixtures` (captured /proc trees), `live` (real processes),
//! `bad_input` (errors, exit codes, hostile targets), `views` (fds, net,
//! env, maps, threads on fixtures), `views_live` (the same on real processes).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::too_many_lines)]

mod bad_input;
mod bounded;
mod common;
mod doctor;
mod fixtures;
mod followups;
mod forged_sockets;
mod hardening;
mod honesty;
mod hostile_misc;
mod live;
mod masking;
mod review;
mod snapshots;
mod timing;
mod top;
mod top_collect;
mod top_tui;
mod views;
mod views_live;
mod watch;
