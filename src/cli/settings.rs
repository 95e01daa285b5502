//! The parsed arguments resolved, once and before any command runs, into
//! each command's plain settings (`cmd::*::Settings`): clap's types stop
//! here. Value enums become the domain's, TARGET a [`TargetSpec`], and
//! values that need checking beyond clap's (socket states) are checked.

use crate::analysis::net::{NetFilter, STATES, normalize_state};
use crate::cmd::{self, context::Ctx, context::Output, target::Pick, target::TargetSpec};
use crate::error::CliError;

use super::args::{Command, NetArgs, NetProto, TargetArgs, TopArgs, WatchArgs};
use super::generate::Generate;

/// One command with its settings.
#[derive(Debug, Clone)]
pub enum Settings {
    Inspect(cmd::inspect::Settings),
    Fds(cmd::fds::Settings),
    Net(cmd::net::Settings),
    Who(cmd::who::Settings),
    Env(cmd::env::Settings),
    Maps(cmd::maps::Settings),
    Threads(cmd::threads::Settings),
    Watch(cmd::watch::Settings),
    Top(cmd::top::Settings),
    Doctor(cmd::doctor::Settings),
    Oom(cmd::oom::Settings),
    Demo(cmd::demo::Settings),
    DemoChild(cmd::demo::ChildSettings),
    Serve(cmd::serve::Settings),
    Record(cmd::record::Settings),
    Report(cmd::report::Settings),
    /// `completions` and `manpage`: generated from clap's definitions in
    /// `cli` (no `cmd` module: clap stays in `cli`).
    Generate(super::generate::Generate),
}

impl Settings {
    /// The settings of the command `c` asks for; a usage error for a value
    /// clap could not check.
    pub fn resolve(c: &Command) -> Result<Settings, CliError> {
        Ok(match c {
            Command::Inspect(a) => Settings::Inspect(cmd::inspect::Settings {
                target: target(&a.target),
                thread_threshold: a.thread_threshold,
                close_wait_threshold: a.close_wait_threshold,
            }),
            Command::Fds(a) => Settings::Fds(cmd::fds::Settings {
                target: target(&a.target),
                types: a.types.clone(),
                count: a.count,
                long: a.long,
            }),
            Command::Net(a) => Settings::Net(cmd::net::Settings {
                target: target(&a.target),
                filter: net_filter(a)?,
            }),
            Command::Who(a) => Settings::Who(cmd::who::Settings {
                target: a.target.clone(),
                deleted: a.deleted,
                mount: a.mount,
            }),
            Command::Env(a) => Settings::Env(cmd::env::Settings {
                target: target(&a.target),
                pattern: a.pattern.clone(),
            }),
            Command::Maps(a) => Settings::Maps(cmd::maps::Settings {
                target: target(&a.target),
                sort: a.sort.into(),
                top: a.top.map(|t| usize::try_from(t).unwrap_or(usize::MAX)),
            }),
            Command::Threads(a) => Settings::Threads(cmd::threads::Settings {
                target: target(&a.target),
                sort: a.sort.into(),
            }),
            Command::Watch(a) => Settings::Watch(cmd::watch::Settings {
                target: watch_target(a)?,
                interval: a.interval,
                duration: a.duration,
                metrics: a.metrics.iter().map(|&m| m.into()).collect(),
            }),
            Command::Top(a) => Settings::Top(top_settings(a)),
            Command::Doctor(a) => Settings::Doctor(cmd::doctor::Settings {
                sample: a.sample,
                all: a.all,
            }),
            Command::Oom(a) => Settings::Oom(cmd::oom::Settings { since: a.since }),
            Command::Demo(a) => Settings::Demo(cmd::demo::Settings {
                scenario: a.scenario.map(Into::into),
                duration: a.duration,
                interval: a.interval,
                seed: a.seed,
            }),
            Command::DemoChild(a) => Settings::DemoChild(cmd::demo::ChildSettings {
                scenario: a.scenario.into(),
                lifetime: a.lifetime,
                seed: a.seed,
            }),
            Command::Serve(a) => Settings::Serve(cmd::serve::Settings {
                listen: a.listen,
                interval: a.interval,
                config: a.config.clone(),
                top_k: a.top_k,
                once: a.once,
                scans: a.scans.map(usize::from),
                record: a.record.clone().map(|output| cmd::serve::Record {
                    output,
                    retain: a.retain,
                    max_size: a.max_size,
                }),
            }),
            Command::Record(a) => {
                let pick = pick(a.newest, a.oldest);
                Settings::Record(cmd::record::Settings {
                    output: a.output.clone().unwrap_or_else(cmd::record::default_path),
                    interval: a.interval,
                    retain: a.retain,
                    max_size: a.max_size,
                    duration: a.duration,
                    targets: a
                        .targets
                        .iter()
                        .map(|t| TargetSpec {
                            text: t.clone(),
                            pick,
                        })
                        .collect(),
                })
            }
            Command::Report(a) => Settings::Report(cmd::report::Settings {
                file: a.file.clone().unwrap_or_else(cmd::record::default_path),
                since: a.since,
                until: a.until,
                pid: a.pid,
                workload: a.workload.clone(),
                plot: a.plot.clone(),
                metric: a.metric.map(Into::into),
                format: a.format.into(),
            }),
            Command::Completions(a) => Settings::Generate(Generate::Completions(a.shell)),
            Command::Manpage(a) => Settings::Generate(match &a.out {
                Some(dir) => Generate::Files(dir.clone()),
                None => Generate::Manpage(a.command.clone()),
            }),
        })
    }

    /// Run the command. Those that write as they go (watch, demo, top's
    /// table after an interrupted sample, report's exports, fds's rows)
    /// get `out`.
    pub fn run(&self, ctx: &Ctx, out: &mut dyn std::io::Write) -> Result<Output, CliError> {
        match self {
            Settings::Inspect(s) => cmd::inspect::run(ctx, s),
            Settings::Fds(s) => cmd::fds::run(ctx, s, out),
            Settings::Net(s) => cmd::net::run(ctx, s),
            Settings::Who(s) => cmd::who::run(ctx, s),
            Settings::Env(s) => cmd::env::run(ctx, s),
            Settings::Maps(s) => cmd::maps::run(ctx, s),
            Settings::Threads(s) => cmd::threads::run(ctx, s),
            Settings::Watch(s) => cmd::watch::run(ctx, s, out),
            Settings::Top(s) => cmd::top::run(ctx, s, out),
            Settings::Doctor(s) => cmd::doctor::run(ctx, s),
            Settings::Oom(s) => cmd::oom::run(ctx, s),
            Settings::Demo(s) => cmd::demo::run(ctx, s, out),
            Settings::DemoChild(s) => cmd::demo::child(s),
            Settings::Serve(s) => cmd::serve::run(ctx, s),
            Settings::Record(s) => cmd::record::run(ctx, s),
            Settings::Report(s) => cmd::report::run(ctx, s, out),
            Settings::Generate(g) => g.run(),
        }
    }
}

/// `top`'s settings (its own function: the dispatch stays short).
fn top_settings(a: &TopArgs) -> cmd::top::Settings {
    cmd::top::Settings {
        once: a.once,
        sort: a.sort.into(),
        reverse: a.reverse,
        limit: a.limit,
        filter: a.filter.clone(),
        tree: a.tree,
        sample: a.sample,
        interval: a.interval,
        replay: a
            .replay
            .clone()
            .map(|path| cmd::top::replay::Replay { path, at: a.at }),
        columns: a.columns.clone(),
        no_config: a.no_config,
        iterations: a.iterations,
        format: a.format.into(),
        no_header: a.no_header,
    }
}

/// `--newest`/`--oldest` as a [`Pick`].
fn pick(newest: bool, oldest: bool) -> Pick {
    if newest {
        Pick::Newest
    } else if oldest {
        Pick::Oldest
    } else {
        Pick::Only
    }
}

/// TARGET, and `--newest`/`--oldest` as a [`Pick`].
fn target(a: &TargetArgs) -> TargetSpec {
    TargetSpec {
        text: a.target.clone(),
        pick: pick(a.newest, a.oldest),
    }
}

/// `watch`'s target: `--cgroup PATH`, `pod:NAME`, `container:ID`, else a
/// process. `--newest`/`--oldest` choose among processes: with a workload
/// (one cgroup) they are a usage error, never silently ignored.
fn watch_target(a: &WatchArgs) -> Result<cmd::watch::WatchTarget, CliError> {
    use cmd::watch::WatchTarget;
    let workload = match (&a.cgroup, a.target.as_deref()) {
        (Some(path), _) => Some(WatchTarget::Cgroup(path.clone())),
        (None, Some(t)) => match (t.strip_prefix("pod:"), t.strip_prefix("container:")) {
            (Some(""), _) => {
                return Err(CliError::new("pod: needs the pod's name")
                    .hint("e.g. proctor watch pod:api-7d9, pod:payments/api-7d9 or pod:UID"));
            }
            (Some(name), _) => Some(WatchTarget::Pod(name.to_string())),
            (_, Some(id)) => Some(WatchTarget::Container(id.to_string())),
            _ => None,
        },
        (None, None) => None,
    };
    match workload {
        Some(_) if a.newest || a.oldest => Err(CliError::new(
            "--newest and --oldest choose among processes, not among cgroups",
        )
        .hint("a --cgroup, pod: or container: target is one cgroup: drop --newest/--oldest")),
        Some(w) => Ok(w),
        None => Ok(WatchTarget::Process(target(&TargetArgs {
            target: a.target.clone().unwrap_or_default(),
            newest: a.newest,
            oldest: a.oldest,
        }))),
    }
}

/// `net`'s filter: protocol families by name, and each `--state`
/// normalized (`close-wait` is CLOSE_WAIT) and known, else a usage error.
fn net_filter(a: &NetArgs) -> Result<NetFilter, CliError> {
    let mut states = Vec::new();
    for s in &a.state {
        let n = normalize_state(s);
        if !STATES.contains(&n.as_str()) {
            return Err(CliError::new(format!(
                "unknown socket state '{}'",
                crate::text::escape_for_terminal(s.as_bytes())
            ))
            .hint(format!("use one of: {}", STATES.join(", "))));
        }
        states.push(n);
    }
    let protos = a
        .proto
        .iter()
        .map(|p| match p {
            NetProto::Tcp => "tcp",
            NetProto::Udp => "udp",
            NetProto::Unix => "unix",
            NetProto::Raw => "raw",
        })
        .map(str::to_string)
        .collect();
    Ok(NetFilter {
        protos,
        states,
        listening: a.listening,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::watch::{DEFAULT_METRICS, Metric};
    use crate::cli::args::Cli;
    use clap::Parser;

    fn resolve(args: &[&str]) -> Result<Settings, CliError> {
        let cli = Cli::try_parse_from(args).unwrap();
        Settings::resolve(&cli.command)
    }

    #[test]
    fn target_and_pick() {
        let Ok(Settings::Env(s)) = resolve(&["proctor", "env", "nginx", "--oldest", "PATH"]) else {
            panic!("not env");
        };
        assert_eq!(s.target.text, "nginx");
        assert_eq!(s.target.pick, Pick::Oldest);
        assert_eq!(s.pattern.as_deref(), Some("PATH"));
        let Ok(Settings::Fds(s)) = resolve(&["proctor", "fds", "1", "--newest", "--type", "blk"])
        else {
            panic!("not fds");
        };
        assert_eq!(s.target.pick, Pick::Newest);
        assert_eq!(s.types, [crate::parse::fdlink::FdKind::BlockDevice]);
    }

    #[test]
    fn watch_metrics_default_and_alias() {
        let Ok(Settings::Watch(s)) = resolve(&["proctor", "watch", "1"]) else {
            panic!("not watch");
        };
        assert_eq!(s.metrics, DEFAULT_METRICS);
        let Ok(Settings::Watch(s)) =
            resolve(&["proctor", "watch", "1", "--metrics", "close-wait,maps"])
        else {
            panic!("not watch");
        };
        assert_eq!(s.metrics, [Metric::CloseWait, Metric::Maps]);
    }

    #[test]
    fn net_states_normalized_or_refused() {
        let Ok(Settings::Net(s)) = resolve(&[
            "proctor",
            "net",
            "1",
            "--state",
            "close-wait",
            "--proto",
            "udp",
            "--listening",
        ]) else {
            panic!("not net");
        };
        assert_eq!(s.filter.states, ["CLOSE_WAIT"]);
        assert_eq!(s.filter.protos, ["udp"]);
        assert!(s.filter.listening);
        let e = resolve(&["proctor", "net", "1", "--state", "bogus"]).unwrap_err();
        assert_eq!(e.message, "unknown socket state 'bogus'");
    }

    #[test]
    fn sorts_and_limits() {
        let Ok(Settings::Top(s)) = resolve(&["proctor", "top", "--sort", "fdpct", "--limit", "3"])
        else {
            panic!("not top");
        };
        assert_eq!(s.sort, crate::analysis::top::SortKey::Fdpct);
        assert_eq!(s.limit, Some(3));
        let Ok(Settings::Maps(s)) = resolve(&["proctor", "maps", "1", "--top", "7"]) else {
            panic!("not maps");
        };
        assert_eq!(s.sort, crate::analysis::maps::MapSort::Address);
        assert_eq!(s.top, Some(7));
        let Ok(Settings::Demo(s)) = resolve(&["proctor", "demo", "fd-leak"]) else {
            panic!("not demo");
        };
        assert_eq!(s.scenario, Some(crate::cmd::demo::Scenario::FdLeak));
    }
}
