//! The finding rules, one function each, grouped by resource (one file
//! per resource), and the two tables that list them. A rule not in a
//! table never runs: the tests below check that every entry has a unique
//! id and fires on an input made for it. See the parent module for what
//! adding a rule takes.

mod cpu;
mod fds;
mod host_limits;
mod host_memory;
mod memory;
mod sockets;
mod state;
mod threads;

use super::{HostRule, Rule, Severity};

/// Every per-process rule (`inspect`, and `doctor` for each process).
pub const PROCESS_RULES: &[Rule] = &[
    Rule::new("fds.near_limit", fds::near_limit),
    Rule::new("fds.deleted_open", fds::deleted_open),
    Rule::new("memory.near_cgroup_limit", memory::near_cgroup_limit),
    Rule::new("memory.oom_kills", memory::oom_kills),
    Rule::new("memory.swap_in_use", memory::swap_in_use),
    Rule::new("threads.high", threads::high),
    Rule::new("sockets.close_wait", sockets::close_wait),
    Rule::new("state.zombie", state::zombie),
    Rule::new("state.uninterruptible", state::uninterruptible),
    Rule::new("cpu.nonvoluntary_switches", cpu::nonvoluntary_switches),
];

/// Every host rule (`doctor`).
pub const HOST_RULES: &[HostRule] = &[
    HostRule::new("host.mem_available_low", host_memory::mem_available_low),
    HostRule::new("host.swap_in_use", host_memory::swap_in_use),
    HostRule::new("host.memory_pressure", host_memory::memory_pressure),
    HostRule::new("host.zombies", host_limits::zombies),
    HostRule::new("host.file_handles", host_limits::file_handles),
    HostRule::new("host.tasks_near_limit", host_limits::tasks_near_limit),
];

/// Critical at or over `critical`, warning at or over `warning`, else
/// nothing.
fn level(value: f64, warning: f64, critical: f64) -> Option<Severity> {
    if value >= critical {
        Some(Severity::Critical)
    } else if value >= warning {
        Some(Severity::Warning)
    } else {
        None
    }
}
