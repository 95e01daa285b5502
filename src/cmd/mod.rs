//! One home per command: each file (or folder) resolves its target, reads
//! through the reader, judges with `analysis`, renders with `render`, and
//! returns its output; `context` is what they share.

pub mod context;
pub mod demo;
pub mod doctor;
pub mod env;
pub mod fds;
pub mod inspect;
pub mod maps;
pub mod net;
pub mod oom;
pub mod record;
pub mod report;
pub mod serve;
pub mod target;
pub mod threads;
pub mod top;
pub mod watch;
pub mod watch_cgroup;
pub mod who;
