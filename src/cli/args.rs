//! Every clap definition and value parser of the command line, and the
//! bounds of every duration option (checked before any command runs).

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::analysis::maps::MapSort;
use crate::analysis::threads::ThreadSort;
use crate::analysis::top::SortKey;
use crate::analysis::watch::{DEFAULT_METRICS, Metric};
use crate::cmd::demo::Scenario;
use crate::cmd::top::TopFormat;
use crate::error::CliError;
use crate::parse::fdlink::FdKind;
use crate::render::style::ColorChoice;

/// A clap value enum of the command line mirroring a domain enum variant
/// for variant (same names, so clap's kebab-case values are the domain's),
/// with the conversions both ways: a variant added to the domain enum and
/// not here fails to compile instead of silently not being offered.
macro_rules! value_enum {
    (
        $(#[$meta:meta])*
        $arg:ident => $domain:ident {
            $( $(#[$vmeta:meta])* $variant:ident, )*
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
        pub enum $arg {
            $( $(#[$vmeta])* $variant, )*
        }

        impl From<$arg> for $domain {
            fn from(a: $arg) -> Self {
                match a {
                    $( $arg::$variant => $domain::$variant, )*
                }
            }
        }

        impl From<$domain> for $arg {
            fn from(d: $domain) -> Self {
                match d {
                    $( $domain::$variant => $arg::$variant, )*
                }
            }
        }
    };
}

value_enum! {
    /// `--color WHEN`.
    ColorArg => ColorChoice {
        Auto,
        Always,
        Never,
    }
}

value_enum! {
    /// `watch --metrics`.
    MetricArg => Metric {
        Rss,
        Pss,
        Fds,
        Threads,
        Sockets,
        #[value(name = "close_wait", alias = "close-wait")]
        CloseWait,
        Maps,
        #[value(name = "working_set", alias = "working-set")]
        WorkingSet,
        Tasks,
    }
}

value_enum! {
    /// `top --sort KEY`.
    SortKeyArg => SortKey {
        Pid,
        User,
        Name,
        State,
        Cpu,
        Rss,
        Threads,
        Fds,
        /// Descriptors as a share of the soft limit.
        Fdpct,
        /// Context switches per second.
        Csw,
        Cmdline,
        /// Cumulative CPU time (TIME+).
        Time,
        /// RSS against MemTotal (%MEM).
        Mem,
        Virt,
        /// RssFile + RssShmem.
        Shr,
        Nice,
        /// Start time.
        Start,
        Tty,
        /// The cgroup's workload.
        Workload,
        /// Storage bytes read per second.
        #[value(name = "io_read", alias = "io-read")]
        IoRead,
        /// Storage bytes written per second.
        #[value(name = "io_write", alias = "io-write")]
        IoWrite,
    }
}

value_enum! {
    /// `top --format`.
    TopFormatArg => TopFormat {
        /// Aligned columns for people.
        Table,
        /// RFC 4180 CSV with a header row, raw values.
        Csv,
        /// Tab-separated, tabs and newlines in fields escaped.
        Tsv,
    }
}

value_enum! {
    /// `maps --sort`.
    MapSortArg => MapSort {
        Address,
        Rss,
        Size,
        Pss,
        Swap,
    }
}

value_enum! {
    /// `threads --sort`.
    ThreadSortArg => ThreadSort {
        /// Most CPU time first.
        Cpu,
        /// Most context switches (voluntary + nonvoluntary) first.
        Switches,
        /// By name, then TID.
        Name,
        /// By thread ID.
        Tid,
    }
}

value_enum! {
    /// The scenario of `demo` and `demo-child`.
    ScenarioArg => Scenario {
        FdLeak,
        MemoryLeak,
        ThreadLeak,
        SocketLeak,
        FdLeakSlow,
        ThreadLeakChurn,
        GcSawtooth,
        WarmupPlateau,
        Steady,
        CacheWarmup,
        CacheFillStop,
        LateLoad,
        CronBurst,
        PoolCycle,
        ThreadBurst,
        Wander,
    }
}

/// `fds --type`: the descriptor kinds' own names and short forms
/// ([`FdKind`]'s `FromStr`).
fn parse_fd_kind(s: &str) -> Result<FdKind, String> {
    s.parse()
}

#[derive(Debug, Parser)]
#[command(
    name = "proctor",
    version,
    about = "The process doctor for Linux: reads /proc, interprets it, says what is wrong",
    propagate_version = true
)]
pub struct Cli {
    /// Where procfs is mounted (a host's /proc mounted elsewhere, or a fixture tree)
    #[arg(
        long,
        global = true,
        env = "PROCTOR_PROC_ROOT",
        default_value = "/proc",
        value_name = "DIR"
    )]
    pub proc_root: PathBuf,
    /// Where sysfs is mounted (for cgroup limits)
    #[arg(
        long,
        global = true,
        env = "PROCTOR_SYS_ROOT",
        default_value = "/sys",
        value_name = "DIR"
    )]
    pub sys_root: PathBuf,
    /// The kubelet's pod log directories, for pod and container names (a DaemonSet mounts /var/log/pods elsewhere); its sibling `containers` maps container ids to names
    #[arg(
        long,
        global = true,
        env = "PROCTOR_PODS_DIR",
        default_value = "/var/log/pods",
        value_name = "DIR"
    )]
    pub pods_dir: PathBuf,
    /// Machine-readable output on stdout: one JSON document (watch and demo: JSON Lines)
    #[arg(long, global = true)]
    pub json: bool,
    /// Colour: only on a terminal by default; NO_COLOR and TERM=dumb turn it off
    #[arg(long, global = true, value_enum, default_value_t = ColorArg::Auto, value_name = "WHEN")]
    pub color: ColorArg,
    /// Show secrets in command lines and environments instead of **** (inspect, top, env)
    #[arg(long, global = true)]
    pub reveal: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// One report of everything about a process, interpreted, with findings
    Inspect(InspectArgs),
    /// Open file descriptors: one row each, by type, against the limit (lsof -p)
    Fds(FdsArgs),
    /// Sockets with addresses and TCP states, in the process's own network namespace (ss -p)
    Net(NetArgs),
    /// Which processes hold a port (every network namespace), a file, anything under a directory or on a mount, or deleted files still open (lsof -i, fuser, lsof +L1)
    Who(WhoArgs),
    /// Environment the process started with, secrets masked (cat /proc/PID/environ)
    Env(EnvArgs),
    /// Memory mappings with RSS, PSS and swap each, totals by kind (pmap -x)
    Maps(MapsArgs),
    /// Threads with state, CPU time and context switches, grouped by name (ps -L)
    Threads(ThreadsArgs),
    /// Sample a process and detect leaks statistically, with time to exhaustion
    Watch(WatchArgs),
    /// Every process ranked by CPU, memory, descriptors against their limit, threads (interactive on a terminal)
    Top(TopArgs),
    /// Find every process in trouble on this host, and the host's own problems, with the next command to run
    Doctor(DoctorArgs),
    /// OOM kills from the kernel log, newest first: victim, RSS, memory cgroup, its limit or the whole host
    Oom(OomArgs),
    /// Run a leaking (or healthy) child process and watch it: see the detector work
    Demo(DemoArgs),
    /// The demo's child process (internal)
    #[command(hide = true)]
    DemoChild(DemoChildArgs),
    /// Node agent for Prometheus: every workload's processes, limits and leak verdicts at /metrics
    Serve(ServeArgs),
    /// Keep a history of every process (or only TARGETs) in a SQLite file, for `report` and `top --replay`
    Record(RecordArgs),
    /// What happened in a recorded window, worst first: leaks, OOM kills, top consumers, processes that came and went
    Report(ReportArgs),
    /// Print the shell completion script for bash, zsh or fish
    Completions(CompletionsArgs),
    /// Print a man page (proctor.1, or COMMAND's), or write every man page and completion script to a directory
    Manpage(ManpageArgs),
}

impl Command {
    /// Whether the command reads /proc or /sys (`completions` and
    /// `manpage` only print what clap's definitions say): only those
    /// have their roots checked.
    pub fn reads_proc(&self) -> bool {
        !matches!(self, Command::Completions(_) | Command::Manpage(_))
    }
}

/// `completions SHELL`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ShellArg {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
#[command(
    after_help = "Load it in the running shell: bash `source <(proctor completions bash)`; \
                  zsh `source <(proctor completions zsh)` (after compinit); \
                  fish `proctor completions fish | source`"
)]
pub struct CompletionsArgs {
    /// The shell whose completion script to print
    #[arg(value_enum)]
    pub shell: ShellArg,
}

#[derive(Debug, Args)]
pub struct ManpageArgs {
    /// The command whose page to print (`top` prints proctor-top.1); none: proctor.1
    #[arg(value_name = "COMMAND", conflicts_with = "out")]
    pub command: Option<String>,
    /// Write every man page to DIR/man1/ (proctor.1, proctor-top.1, ...) and the completion scripts to DIR/completions/ (proctor.bash, _proctor, proctor.fish), for packaging; prints the paths written
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Record only these processes (PIDs, `self`, names or parts of command lines); none: the whole host
    #[arg(allow_hyphen_values = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// The history file (created if missing); default /var/lib/proctor/history.db as root, else under $XDG_STATE_HOME
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Time between scans (100ms to 1h)
    #[arg(long, default_value = "10s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub interval: std::time::Duration,
    /// Drop what is older than this, while recording (1m to 366d)
    #[arg(long, default_value = "24h", value_parser = parse_duration, allow_hyphen_values = true)]
    pub retain: std::time::Duration,
    /// Keep the file under this size, dropping the oldest scans first (at least 1MiB)
    #[arg(long, default_value = "500MiB", value_name = "SIZE", value_parser = parse_size)]
    pub max_size: u64,
    /// Stop after this long (default: until Ctrl-C or SIGTERM)
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
    pub duration: Option<std::time::Duration>,
    /// When a TARGET matches several processes, pick the most recently started
    #[arg(long, conflicts_with = "oldest")]
    pub newest: bool,
    /// When a TARGET matches several processes, pick the oldest
    #[arg(long)]
    pub oldest: bool,
}

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The history file (`proctor record`); default /var/lib/proctor/history.db as root, else under $XDG_STATE_HOME
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Start of the window: 1h (before the end of the recording), '2026-12-05 03:00' (UTC) or @UNIX
    #[arg(long, value_name = "TIME", value_parser = parse_time, allow_hyphen_values = true)]
    pub since: Option<crate::store::read::TimeSpec>,
    /// End of the window (same forms as --since); default the end of the recording
    #[arg(long, value_name = "TIME", value_parser = parse_time, allow_hyphen_values = true)]
    pub until: Option<crate::store::read::TimeSpec>,
    /// Only the processes that had this PID (every life of it in the window)
    #[arg(long, conflicts_with = "workload")]
    pub pid: Option<i32>,
    /// Only the processes of workloads whose name contains this
    #[arg(long, value_name = "NAME")]
    pub workload: Option<String>,
    /// Draw a series over time to FILE (.svg or .png): the leaking series by default, or --metric
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// With --plot: what to draw (rss, fds, threads, cpu, switches, read, write; working_set, memory, pids of workloads)
    #[arg(long, value_name = "METRIC", value_enum, requires = "plot")]
    pub metric: Option<PlotMetricArg>,
    /// The output: text (default), json (as --json), openmetrics (for promtool tsdb create-blocks-from openmetrics) or csv
    #[arg(long, value_enum, default_value = "text")]
    pub format: ReportFormatArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormatArg {
    Text,
    Json,
    Openmetrics,
    Csv,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlotMetricArg {
    Rss,
    Fds,
    Threads,
    Cpu,
    Switches,
    Read,
    Write,
    #[value(name = "working_set", alias = "working-set")]
    WorkingSet,
    Memory,
    Pids,
}

impl From<PlotMetricArg> for crate::cmd::report::PlotMetric {
    fn from(m: PlotMetricArg) -> Self {
        use crate::cmd::report::PlotMetric as P;
        use crate::store::{ProcMetric, WorkloadMetric};
        match m {
            PlotMetricArg::Rss => P::Process(ProcMetric::Rss),
            PlotMetricArg::Fds => P::Process(ProcMetric::Fds),
            PlotMetricArg::Threads => P::Process(ProcMetric::Threads),
            PlotMetricArg::Cpu => P::Process(ProcMetric::Cpu),
            PlotMetricArg::Switches => P::Process(ProcMetric::Switches),
            PlotMetricArg::Read => P::Process(ProcMetric::ReadBytes),
            PlotMetricArg::Write => P::Process(ProcMetric::WriteBytes),
            PlotMetricArg::WorkingSet => P::Workload(WorkloadMetric::WorkingSet),
            PlotMetricArg::Memory => P::Workload(WorkloadMetric::Memory),
            PlotMetricArg::Pids => P::Workload(WorkloadMetric::Pids),
        }
    }
}

impl From<ReportFormatArg> for crate::cmd::report::Format {
    fn from(f: ReportFormatArg) -> Self {
        use crate::cmd::report::Format as F;
        match f {
            ReportFormatArg::Text => F::Text,
            ReportFormatArg::Json => F::Json,
            ReportFormatArg::Openmetrics => F::OpenMetrics,
            ReportFormatArg::Csv => F::Csv,
        }
    }
}

/// A time in a recording (`--since`, `--until`, `--at`): a duration back
/// from the end of the recording (`1h`, `90s`, `2h30m`), a UTC date and
/// time (`2026-12-05 03:00`, `2026-12-05T03:00:10Z`; the date is never
/// guessed), or `@SECONDS` (Unix time).
pub fn parse_time(s: &str) -> Result<crate::store::read::TimeSpec, String> {
    use crate::store::read::TimeSpec;
    let t = s.trim();
    let hint =
        "use e.g. 1h (before the end of the recording), '2026-12-05 03:00' (UTC) or @1764903600";
    if let Some(secs) = t.strip_prefix('@') {
        let v: f64 = secs
            .parse()
            .map_err(|_| format!("'{s}' is not a time: {hint}"))?;
        if !v.is_finite() || v.abs() > 1e13 {
            return Err(format!("'{s}' is out of range: {hint}"));
        }
        return Ok(TimeSpec::At((v * 1000.0) as i64));
    }
    if t.contains('-') && t.len() >= 10 {
        let mut x = t.replace('T', " ");
        if x.ends_with('Z') || x.ends_with('z') {
            x.pop();
        }
        // Minutes only: add the seconds.
        if x.len() == 16 {
            x.push_str(":00");
        }
        if x.len() == 10 {
            x.push_str(" 00:00:00");
        }
        let at = humantime::parse_rfc3339_weak(&x)
            .map_err(|_| format!("'{s}' is not a time: {hint}"))?;
        let ms = at
            .duration_since(std::time::UNIX_EPOCH)
            .map_err(|_| format!("'{s}' is before 1970: {hint}"))?
            .as_millis();
        return Ok(TimeSpec::At(i64::try_from(ms).unwrap_or(i64::MAX)));
    }
    let d = parse_duration(t).map_err(|_| format!("'{s}' is not a time: {hint}"))?;
    Ok(TimeSpec::BeforeEnd(
        i64::try_from(d.as_millis()).unwrap_or(i64::MAX),
    ))
}

/// A size: `500MiB`, `2GiB`, `100MB`, `4096` (bytes). At least 1 MiB.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a size: use e.g. 500MiB, 2GiB or 100MB"))?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kib" => 1024.0,
        "kb" => 1e3,
        "m" | "mib" => 1024.0 * 1024.0,
        "mb" => 1e6,
        "g" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "gb" => 1e9,
        "t" | "tib" => 1024f64.powi(4),
        "tb" => 1e12,
        _ => {
            return Err(format!(
                "'{s}' has an unknown unit: use B, KiB, MiB, GiB or TiB"
            ));
        }
    };
    let v = n * mult;
    if !v.is_finite() || v > 1e18 {
        return Err(format!("'{s}' is too large"));
    }
    if v < 1024.0 * 1024.0 {
        return Err(format!("'{s}' is too small: give at least 1MiB"));
    }
    Ok(v as u64)
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to serve /metrics on; 127.0.0.1 by default: any other address is your choice
    #[arg(long, default_value = "127.0.0.1:9256", value_name = "ADDR:PORT", value_parser = parse_listen)]
    pub listen: std::net::SocketAddr,
    /// Time between scans of /proc (100ms to 1h); a scrape never scans
    #[arg(long, default_value = "15s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub interval: std::time::Duration,
    /// Matchers that group processes by name, executable or command line (TOML; docs/serve.md)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Processes exported one by one: the N closest to a limit, besides every leaking one (0 to 100)
    #[arg(long, default_value_t = 20, value_name = "N", value_parser = parse_top_k)]
    pub top_k: usize,
    /// Scan twice 0.5 s apart, print the metrics in Prometheus text format and exit
    #[arg(long)]
    pub once: bool,
    /// Also keep the history in FILE, as `proctor record` does, from the same scans
    #[arg(long, value_name = "FILE", conflicts_with = "once")]
    pub record: Option<PathBuf>,
    /// With --record: drop what is older than this (1m to 366d)
    #[arg(long, default_value = "24h", value_parser = parse_duration, allow_hyphen_values = true, requires = "record")]
    pub retain: std::time::Duration,
    /// With --record: keep the file under this size (at least 1MiB)
    #[arg(long, default_value = "500MiB", value_name = "SIZE", value_parser = parse_size, requires = "record")]
    pub max_size: u64,
    /// With --once: this many scans --interval apart (tests)
    #[arg(long, hide = true, requires = "once", value_parser = clap::value_parser!(u16).range(1..=1000))]
    pub scans: Option<u16>,
}

/// `--listen`: an address and port, said plainly when it is not one.
fn parse_listen(s: &str) -> Result<std::net::SocketAddr, String> {
    s.trim().parse().map_err(|_| {
        format!(
            "'{s}' is not an address and port: use e.g. 127.0.0.1:9256, 0.0.0.0:9256 or [::1]:9256"
        )
    })
}

/// `--top-k`: 0 to [`crate::cmd::serve::MAX_TOP_K`].
fn parse_top_k(s: &str) -> Result<usize, String> {
    let max = crate::cmd::serve::MAX_TOP_K;
    match s.trim().parse::<i64>() {
        Ok(n) if (0..=max as i64).contains(&n) => usize::try_from(n).map_err(|e| e.to_string()),
        Ok(n) => Err(format!("{n} is out of range: give 0 to {max} processes")),
        Err(_) => Err(format!("'{s}' is not a number of processes")),
    }
}

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// A PID, `self`, a name (exact process name, else part of the command line), `pod:NAME` (a pod by name, namespace/name or UID) or `container:ID` (a container id, or its unique prefix of at least 12 hex digits)
    #[arg(
        allow_hyphen_values = true,
        value_name = "TARGET",
        required_unless_present = "cgroup",
        conflicts_with = "cgroup"
    )]
    pub target: Option<String>,
    /// When several processes match, pick the most recently started
    #[arg(long, conflicts_with = "oldest")]
    pub newest: bool,
    /// When several processes match, pick the oldest
    #[arg(long)]
    pub oldest: bool,
    /// Watch a cgroup instead of a process: a path as in /proc/PID/cgroup, or its directory under SYS/fs/cgroup
    #[arg(long, value_name = "PATH")]
    pub cgroup: Option<PathBuf>,
    /// Time between samples (250ms, 1s, 2m; a bare number is seconds; 10ms to 1h)
    #[arg(long, default_value = "1s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub interval: std::time::Duration,
    /// Stop after this long (default: until Ctrl-C; at most 7 days)
    #[arg(long, value_parser = parse_duration, allow_hyphen_values = true)]
    pub duration: Option<std::time::Duration>,
    /// Metrics to watch, comma-separated
    #[arg(long, value_enum, value_delimiter = ',', default_values_t = DEFAULT_METRICS.map(MetricArg::from))]
    pub metrics: Vec<MetricArg>,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Print the table once and exit (the default when stdout is not a terminal)
    #[arg(long)]
    pub once: bool,
    /// Column to sort by (numbers largest first)
    #[arg(long, value_enum, default_value_t = SortKeyArg::Cpu, value_name = "KEY")]
    pub sort: SortKeyArg,
    /// Reverse the sort order
    #[arg(long)]
    pub reverse: bool,
    /// Show only the first N rows (--once)
    #[arg(long, value_name = "N", value_parser = parse_limit, allow_hyphen_values = true)]
    pub limit: Option<usize>,
    /// Only processes whose name, command line or user contains TEXT (or PID TEXT)
    #[arg(long, value_name = "TEXT")]
    pub filter: Option<String>,
    /// Show processes as a tree (children under their parent)
    #[arg(long)]
    pub tree: bool,
    /// --once: scan twice this far apart for current CPU%, CSW/s and fd growth (default: averages since each process started; 10ms to 1 day)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub sample: Option<std::time::Duration>,
    /// Time between refreshes of the interactive view (10ms to 1h)
    #[arg(long, default_value = "1s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub interval: std::time::Duration,
    /// Show a recording of `proctor record` instead of the live host (keys t/T step through time)
    #[arg(long, value_name = "FILE", conflicts_with = "sample")]
    pub replay: Option<std::path::PathBuf>,
    /// --replay: the time to show (default: just before the last OOM kill recorded, else the end): 5m before the end, '2026-12-05 03:00' (UTC) or @UNIX
    #[arg(long, value_name = "TIME", requires = "replay", value_parser = parse_time, allow_hyphen_values = true)]
    pub at: Option<crate::store::read::TimeSpec>,
    /// Columns to show, in order (pid,user,name,cpu,mem,time,...), or +COL/-COL to add to or remove from the defaults; overrides the config file. Names: pid user name state cpu rss threads fds fdpct csw cmdline time mem virt shr nice start tty workload io_read io_write
    #[arg(long, value_name = "LIST", allow_hyphen_values = true)]
    pub columns: Option<String>,
    /// Ignore the config file ($XDG_CONFIG_HOME/proctor/top.toml, else ~/.config/proctor/top.toml)
    #[arg(long)]
    pub no_config: bool,
    /// Batch mode: print N tables (implies --once), one per --interval, rates between consecutive scans (like top -b -n N)
    #[arg(long, value_name = "N", value_parser = parse_iterations, conflicts_with_all = ["replay", "sample"])]
    pub iterations: Option<u32>,
    /// Output format (csv and tsv imply --once): table, csv or tsv (raw values: bytes, seconds, numbers)
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = TopFormatArg::Table, conflicts_with = "replay")]
    pub format: TopFormatArg,
    /// --format csv|tsv: no header row
    #[arg(long)]
    pub no_header: bool,
}

/// `--iterations`: 1 to 1,000,000.
fn parse_iterations(s: &str) -> Result<u32, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if (1..=1_000_000).contains(&n) => u32::try_from(n).map_err(|_| "too large".into()),
        Ok(n) => Err(format!("{n} iterations: give 1 to 1000000")),
        Err(_) => Err(format!("'{s}' is not a number of iterations")),
    }
}

/// `--limit`: a positive whole number, said plainly when it is not.
fn parse_limit(s: &str) -> Result<usize, String> {
    match s.trim().parse::<i64>() {
        Ok(n) if n >= 1 => usize::try_from(n).map_err(|_| "too large".to_string()),
        Ok(n) => Err(format!("{n} rows is not a limit; give at least 1")),
        Err(_) => Err(format!("'{s}' is not a number of rows")),
    }
}

/// Parse a duration: `250ms`, `1s`, `2m`, `1h30m`, or a bare number of
/// seconds (`5`, `0.5`). Only the syntax: the bounds of each option are
/// checked by [`check_durations`], with a hint of its own.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    if t.starts_with('-') {
        return Err(format!(
            "'{s}' is negative: use a positive duration such as 500ms, 1s or 2m"
        ));
    }
    if let Ok(secs) = t.parse::<f64>() {
        if !secs.is_finite() || secs < 0.0 {
            return Err(format!("invalid duration '{s}'"));
        }
        return Duration::try_from_secs_f64(secs)
            .map_err(|_| format!("'{s}' is too long: use a duration such as 500ms, 1s, 2m or 1h"));
    }
    humantime::parse_duration(t)
        .map_err(|_| format!("invalid duration '{s}': use a duration such as 250ms, 1s, 2m or 1h"))
}

/// Bounds of every duration option (the README's "Durations" table).
/// Values outside are usage errors: an interval below the floor is a busy
/// loop over /proc, and past the ceilings the deadline arithmetic could
/// overflow while the command would look frozen anyway.
pub mod bounds {
    use std::time::Duration;

    /// Shortest `--interval` (watch, demo, top).
    pub const MIN_INTERVAL: Duration = Duration::from_millis(10);
    /// Longest `--interval`.
    pub const MAX_INTERVAL: Duration = Duration::from_secs(3600);
    /// `serve --interval` at least (a node agent, not a busy loop).
    pub const MIN_SERVE_INTERVAL: Duration = Duration::from_millis(100);
    /// Shortest `--sample` (doctor, top): two scans closer than this give
    /// rates made of clock-tick noise.
    pub const MIN_SAMPLE: Duration = Duration::from_millis(10);
    /// Longest `--sample`.
    pub const MAX_SAMPLE: Duration = Duration::from_secs(24 * 3600);
    /// Longest `--duration` (watch, demo).
    pub const MAX_DURATION: Duration = Duration::from_secs(7 * 24 * 3600);
    /// Longest `oom --since` (ten years: past any uptime).
    pub const MAX_SINCE: Duration = Duration::from_secs(10 * 365 * 86_400);
}

fn human(d: Duration) -> String {
    const CENTURY: u64 = 100 * 365 * 86_400;
    if d.as_secs() > CENTURY {
        "over 100 years".to_string()
    } else {
        humantime::format_duration(d).to_string()
    }
}

/// "`--OPTION VALUE` is too short: the shortest is BOUND" (or long).
fn out_of_bounds(option: &str, value: Duration, min: Duration, max: Duration) -> Option<String> {
    let (what, edge, bound) = if value < min {
        ("short", "shortest", min)
    } else if value > max {
        ("long", "longest", max)
    } else {
        return None;
    };
    Some(format!(
        "{option} {} is too {what}: the {edge} is {}",
        human(value),
        human(bound)
    ))
}

/// `--interval`: between [`bounds::MIN_INTERVAL`] and [`bounds::MAX_INTERVAL`].
fn check_interval(interval: Duration) -> Result<(), CliError> {
    let hint = "use e.g. --interval 250ms or --interval 1s";
    if interval.is_zero() {
        return Err(CliError::new("the interval must be greater than zero").hint(hint));
    }
    match out_of_bounds(
        "--interval",
        interval,
        bounds::MIN_INTERVAL,
        bounds::MAX_INTERVAL,
    ) {
        Some(m) if interval < bounds::MIN_INTERVAL => Err(CliError::new(m).hint(format!(
            "{hint}; a shorter interval only re-reads /proc in a busy loop"
        ))),
        Some(m) => Err(CliError::new(m).hint(format!("{hint}; at most --interval 1h"))),
        None => Ok(()),
    }
}

/// `--duration` of a watch or demo: at most [`bounds::MAX_DURATION`], and
/// long enough for two samples.
fn check_duration(d: Duration, interval: Duration, hint: &str) -> Result<(), CliError> {
    if let Some(m) = out_of_bounds("--duration", d, Duration::ZERO, bounds::MAX_DURATION) {
        return Err(CliError::new(m).hint(hint));
    }
    // Both are bounded here: no overflow (checked all the same).
    if interval.checked_mul(2).is_none_or(|two| d < two) {
        return Err(CliError::new(format!(
            "a {} watch at a {} interval takes fewer than two samples",
            human(d),
            human(interval)
        ))
        .hint("a trend needs samples: make --duration at least a few intervals long (e.g. --duration 30s --interval 1s)"));
    }
    Ok(())
}

/// `--sample` of doctor or top: between [`bounds::MIN_SAMPLE`] and
/// [`bounds::MAX_SAMPLE`]; `hint` suggests a value for the command.
fn check_sample(sample: Duration, hint: &str) -> Result<(), CliError> {
    if sample.is_zero() {
        return Err(CliError::new("--sample must be greater than zero").hint(hint));
    }
    match out_of_bounds("--sample", sample, bounds::MIN_SAMPLE, bounds::MAX_SAMPLE) {
        Some(m) => Err(CliError::new(m).hint(hint)),
        None => Ok(()),
    }
}

/// Every duration option of `cmd` within its bounds ([`bounds`]), checked
/// before anything runs; a clear usage error (exit 2) for each bad value.
pub fn check_durations(cmd: &Command) -> Result<(), CliError> {
    match cmd {
        Command::Watch(a) => {
            check_interval(a.interval)?;
            if let Some(d) = a.duration {
                check_duration(
                    d,
                    a.interval,
                    "use at most --duration 7d; without --duration, watch runs until Ctrl-C",
                )?;
            }
        }
        Command::Demo(a) => {
            check_interval(a.interval)?;
            check_duration(
                a.duration,
                a.interval,
                "use e.g. --duration 20s (at most 7d)",
            )?;
        }
        Command::Top(a) => {
            check_interval(a.interval)?;
            if let Some(s) = a.sample {
                check_sample(
                    s,
                    "use e.g. --sample 1s: two scans that far apart give current rates (at most 1 day)",
                )?;
            }
        }
        Command::Doctor(a) => {
            if let Some(s) = a.sample {
                check_sample(
                    s,
                    "use e.g. --sample 5s: fast growers are found between two scans that far apart (at most 1 day)",
                )?;
            }
        }
        Command::Oom(a) => {
            if let Some(d) = a.since {
                check_since(d)?;
            }
        }
        Command::Serve(a) => {
            check_serve_interval(a.interval)?;
            check_retain(a.retain)?;
        }
        Command::Record(a) => check_record(a)?,
        _ => {}
    }
    Ok(())
}

/// `--retain` (record, serve --record): 1 minute to 366 days.
fn check_retain(d: Duration) -> Result<(), CliError> {
    match out_of_bounds(
        "--retain",
        d,
        Duration::from_secs(60),
        Duration::from_secs(366 * 86_400),
    ) {
        Some(m) => Err(CliError::new(m).hint("use e.g. --retain 24h or --retain 7d")),
        None => Ok(()),
    }
}

/// `record --interval`, `--retain`, `--duration`.
fn check_record(a: &RecordArgs) -> Result<(), CliError> {
    let hint = "use e.g. --interval 10s (250ms for a few TARGETs)";
    if let Some(m) = out_of_bounds(
        "--interval",
        a.interval,
        bounds::MIN_SERVE_INTERVAL,
        bounds::MAX_INTERVAL,
    ) {
        return Err(CliError::new(m).hint(hint));
    }
    check_retain(a.retain)?;
    if let Some(d) = a.duration {
        if let Some(m) = out_of_bounds("--duration", d, a.interval, bounds::MAX_DURATION) {
            return Err(CliError::new(m).hint("use e.g. --duration 1h, at least one --interval"));
        }
    }
    Ok(())
}

/// `serve --interval`: between [`bounds::MIN_SERVE_INTERVAL`] and
/// [`bounds::MAX_INTERVAL`].
fn check_serve_interval(interval: Duration) -> Result<(), CliError> {
    let hint = "use e.g. --interval 15s (Prometheus scrapes the latest scan; scanning faster than it scrapes only costs CPU)";
    match out_of_bounds(
        "--interval",
        interval,
        bounds::MIN_SERVE_INTERVAL,
        bounds::MAX_INTERVAL,
    ) {
        Some(m) => Err(CliError::new(m).hint(hint)),
        None => Ok(()),
    }
}

/// `oom --since`: more than zero, at most [`bounds::MAX_SINCE`].
fn check_since(d: Duration) -> Result<(), CliError> {
    let hint = "use e.g. --since 1h or --since 2d";
    if d.is_zero() {
        return Err(CliError::new("--since must be greater than zero").hint(hint));
    }
    match out_of_bounds("--since", d, Duration::ZERO, bounds::MAX_SINCE) {
        Some(m) => Err(CliError::new(m).hint(hint)),
        None => Ok(()),
    }
}

#[derive(Debug, Args)]
pub struct DoctorArgs {
    /// Also scan twice this far apart and report fast growers (fds, threads, RSS) as leak suspects (10ms to 1 day)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub sample: Option<std::time::Duration>,
    /// Also list info-level findings (by default only warnings and above, plus a count)
    #[arg(long)]
    pub all: bool,
}

#[derive(Debug, Args)]
pub struct OomArgs {
    /// Only kills this recent (e.g. 1h, 30m, 2d; at most 10 years)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration, allow_hyphen_values = true)]
    pub since: Option<std::time::Duration>,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The scenario to run; without one, the list is printed
    #[arg(value_enum)]
    pub scenario: Option<ScenarioArg>,
    /// How long to watch (at most 7 days)
    #[arg(long, default_value = "20s", value_parser = parse_duration, allow_hyphen_values = true)]
    pub duration: std::time::Duration,
    /// Time between samples (10ms to 1h)
    #[arg(long, default_value = "250ms", value_parser = parse_duration, allow_hyphen_values = true)]
    pub interval: std::time::Duration,
    /// The seed of the child's noise (the same seed, the same run)
    #[arg(long, hide = true, default_value_t = crate::cmd::demo::DEFAULT_SEED)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct DemoChildArgs {
    #[arg(value_enum)]
    pub scenario: ScenarioArg,
    /// Seconds after which the child exits by itself
    #[arg(long, default_value_t = 120)]
    pub lifetime: u64,
    /// The seed of the child's noise
    #[arg(long, default_value_t = crate::cmd::demo::DEFAULT_SEED)]
    pub seed: u64,
}

/// TARGET and how to pick among several matches; shared by every
/// per-process command.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// A PID, `self`, or a name (exact process name, else part of the command line)
    #[arg(allow_hyphen_values = true, value_name = "TARGET")]
    pub target: String,
    /// When several processes match, pick the most recently started
    #[arg(long, conflicts_with = "oldest")]
    pub newest: bool,
    /// When several processes match, pick the oldest
    #[arg(long)]
    pub oldest: bool,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Thread count from which a thread explosion is reported
    #[arg(long, default_value_t = 1000, value_name = "N")]
    pub thread_threshold: u64,
    /// CLOSE_WAIT sockets from which a socket leak is reported
    #[arg(long, default_value_t = 20, value_name = "N")]
    pub close_wait_threshold: u64,
}

#[derive(Debug, Args)]
pub struct FdsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only descriptors of this type (repeatable): file, dir, socket, pipe,
    /// anon_inode, char_device, block_device, memfd, other
    #[arg(long = "type", value_name = "TYPE", value_parser = parse_fd_kind)]
    pub types: Vec<FdKind>,
    /// Print only the number of open descriptors (the cheapest read the kernel offers)
    #[arg(long, conflicts_with_all = ["types", "long"])]
    pub count: bool,
    /// Add open mode, flags and file position from fdinfo (one more read per descriptor)
    #[arg(long)]
    pub long: bool,
}

/// `proctor who`.
#[derive(Debug, Args)]
#[command(
    after_help = "Examples:\n  proctor who :8080            sockets on port 8080 (local or remote), in every network namespace\n  proctor who 127.0.0.1:8080   the same, on that address (a listener on 0.0.0.0 answers there too)\n  proctor who udp:53           UDP only (tcp:PORT, [::1]:PORT, PORT/tcp also work)\n  proctor who /var/log/app.log processes holding the file (descriptors, cwd, root, program, mapped)\n  proctor who /srv/data        anything under the directory\n  proctor who --mount /srv     anything on the mount holding /srv (fuser -m)\n  proctor who --deleted        deleted files still open, largest first, with the space they hold\n\nExit status: 0 something matched, 1 nothing matched, 2 a bad argument, 3 nothing matched but some processes could not be read."
)]
pub struct WhoArgs {
    /// A port (:8080, 127.0.0.1:8080, [::1]:8080, tcp:8080, udp:53, 8080/tcp) or a path
    #[arg(
        value_name = "PORT|PATH",
        required_unless_present = "deleted",
        conflicts_with = "deleted"
    )]
    pub target: Option<String>,
    /// Every deleted file still held open on the host, with its size, largest first (lsof +L1)
    #[arg(long)]
    pub deleted: bool,
    /// With a PATH: anything on the mount holding PATH (fuser -m)
    #[arg(long, requires = "target")]
    pub mount: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NetProto {
    Tcp,
    Udp,
    Unix,
    Raw,
}

#[derive(Debug, Args)]
pub struct NetArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only this protocol family (repeatable; tcp and udp include IPv6)
    #[arg(long, value_enum, value_name = "PROTO")]
    pub proto: Vec<NetProto>,
    /// Only sockets in this state (repeatable), e.g. ESTABLISHED, CLOSE_WAIT, LISTEN, UNCONN
    #[arg(long, value_name = "STATE")]
    pub state: Vec<String>,
    /// Only listening sockets (TCP LISTEN, bound UDP, listening unix sockets)
    #[arg(long)]
    pub listening: bool,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Only variables whose name contains this (case-insensitive)
    #[arg(value_name = "PATTERN")]
    pub pattern: Option<String>,
}

#[derive(Debug, Args)]
pub struct MapsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Order of the mappings (largest first for sizes)
    #[arg(long, value_enum, default_value_t = MapSortArg::Address)]
    pub sort: MapSortArg,
    /// Show only the first N mappings
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub top: Option<u64>,
}

#[derive(Debug, Args)]
pub struct ThreadsArgs {
    #[command(flatten)]
    pub target: TargetArgs,
    /// Order of the threads
    #[arg(long, value_enum, default_value_t = ThreadSortArg::Cpu)]
    pub sort: ThreadSortArg,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn clap_definition_is_valid() {
        Cli::command().debug_assert();
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("1s"), Ok(Duration::from_secs(1)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("5"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("0.5"), Ok(Duration::from_millis(500)));
        assert!(parse_duration("-1s").unwrap_err().contains("negative"));
        assert!(
            parse_duration("soon")
                .unwrap_err()
                .contains("invalid duration")
        );
        assert!(parse_duration("").is_err());
        assert!(parse_duration("1e30").unwrap_err().contains("too long"));
        assert!(parse_duration("NaN").is_err());
        assert!(parse_duration("inf").is_err());
    }

    fn bounds_error(args: &[&str]) -> Option<String> {
        let cli = Cli::try_parse_from(args).ok()?;
        check_durations(&cli.command).err().map(|e| e.message)
    }

    #[test]
    fn every_duration_option_is_bounded() {
        let cases: &[&[&str]] = &[
            &["proctor", "watch", "1", "--interval", "1ns"],
            &["proctor", "watch", "1", "--interval", "9ms"],
            &["proctor", "watch", "1", "--interval", "1e19"],
            &["proctor", "watch", "1", "--interval", "2h"],
            &["proctor", "watch", "1", "--duration", "8d"],
            &["proctor", "watch", "1", "--duration", "1e19"],
            &["proctor", "demo", "steady", "--interval", "1e19"],
            &["proctor", "demo", "steady", "--interval", "1us"],
            &["proctor", "demo", "steady", "--duration", "1e19"],
            &["proctor", "top", "--interval", "1ns"],
            &["proctor", "top", "--once", "--interval", "1e19"],
            &["proctor", "top", "--once", "--sample", "1e19"],
            &["proctor", "top", "--once", "--sample", "1ms"],
            &["proctor", "doctor", "--sample", "1e19"],
            &["proctor", "doctor", "--sample", "5ms"],
            &["proctor", "doctor", "--sample", "0"],
            &["proctor", "oom", "--since", "0"],
            &["proctor", "oom", "--since", "1e19"],
        ];
        for args in cases {
            assert!(bounds_error(args).is_some(), "{args:?} accepted");
        }
        let fine: &[&[&str]] = &[
            &[
                "proctor",
                "watch",
                "1",
                "--interval",
                "10ms",
                "--duration",
                "7d",
            ],
            &["proctor", "watch", "1", "--interval", "1h"],
            &["proctor", "demo", "steady"],
            &["proctor", "top", "--interval", "1h", "--sample", "1d"],
            &["proctor", "doctor", "--sample", "10ms"],
            &["proctor", "oom", "--since", "1h"],
        ];
        for args in fine {
            assert_eq!(bounds_error(args), None, "{args:?}");
        }
    }
}
