//! Plots of recorded series (`proctor report FILE --plot out.svg|out.png`):
//! each series' line over time, the leak trend as a dashed line labelled
//! `trend +R/h`, the limit as a horizontal line labelled `limit N`, the
//! time axis in UTC, a legend.
//!
//! The entry point is [`draw`]: give it a [`Plot`] (build its series with
//! [`PlotSeries::new`] and [`label`], with [`process_points`] or
//! [`workload_points`] from a recorded history) and a path ending in
//! `.svg` or `.png`. Its errors map to the CLI's one line, hint and exit 2
//! through [`PlotError::to_cli`]. For example, `--metric fds --pid 4242`:
//!
//! ```ignore
//! let p = history.processes.iter().find(|p| p.pid == 4242)?;
//! let mut s = PlotSeries::new(
//!     format!("{} {}", p.pid, plot::label(&p.comm)),
//!     plot::process_points(p, &history.scans, ProcMetric::Fds, clock_ticks),
//! );
//! s.trend = Some(((t0, v0), (t1, v1))); // the detector's fit, if a leak
//! s.limit = p.series(ProcMetric::FdLimit).at(p.last).flatten().map(|l| l as f64);
//! let (title, unit) = plot::process_words(ProcMetric::Fds);
//! let plot = Plot { title: title.into(), y_label: unit.into(), series: vec![s] };
//! plot::draw(&plot, path).map_err(|e| e.to_cli())?;
//! ```
//!
//! Bounds: at most [`MAX_SERIES`] series are drawn (the caption says how
//! many were left out), each thinned to at most [`MAX_POINTS`] points by
//! keeping the lowest and the highest value of each bucket of consecutive
//! points (a spike survives thinning). Labels are made of bytes from
//! /proc (a process's name is chosen by whoever started it): they are
//! made visible here (control and invisible characters as escapes,
//! invalid UTF-8 replaced, at most [`MAX_LABEL`] characters), and the SVG
//! backend of plotters escapes `<`, `>`, `&`, `"` and `'` in text and
//! attributes.
//!
//! PNG text is drawn with an embedded subset of DejaVu Sans (26 KiB,
//! printable ASCII and Latin-1; licence in assets/fonts/LICENSE: the
//! Bitstream Vera licence, which allows redistributing a modified copy
//! under another name), so no system font or fontconfig is needed. The
//! PNG is encoded with the `png` crate from plotters' RGB buffer.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::error::{CliError, ExitCode};
use crate::store::{ProcMetric, ProcessHistory, ScanInfo, WorkloadHistory, WorkloadMetric};

/// At most this many series on one plot.
pub const MAX_SERIES: usize = 8;
/// At most this many points drawn per series.
pub const MAX_POINTS: usize = 2_000;
/// Labels (legend entries, title) are cut to this many characters.
pub const MAX_LABEL: usize = 80;

/// The size of the picture, pixels.
const SIZE: (u32, u32) = (1200, 600);

/// The embedded font (see the module's documentation and
/// assets/fonts/LICENSE).
static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-subset.ttf");
static FONT_ONCE: Once = Once::new();

/// One line on the plot.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlotSeries {
    /// Shown in the legend (made visible and cut when drawn; build it with
    /// [`label`] from /proc bytes).
    pub label: String,
    /// (Unix milliseconds, value in the plot's unit: bytes, descriptors).
    /// Need not be sorted; non-finite values are skipped.
    pub points: Vec<(i64, f64)>,
    /// The leak trend: its two ends, drawn dashed in the series' colour.
    pub trend: Option<((i64, f64), (i64, f64))>,
    /// The limit, drawn as a horizontal red line.
    pub limit: Option<f64>,
}

impl PlotSeries {
    pub fn new(label: String, points: Vec<(i64, f64)>) -> PlotSeries {
        PlotSeries {
            label,
            points,
            trend: None,
            limit: None,
        }
    }
}

/// What to draw.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Plot {
    pub title: String,
    /// The values' unit: `bytes` (the axis is then scaled to KiB, MiB, GiB
    /// ...), or a plain word shown as the axis name (`descriptors`,
    /// `threads`, `seconds`).
    pub y_label: String,
    pub series: Vec<PlotSeries>,
}

/// Why a plot was not written.
#[derive(Debug)]
pub enum PlotError {
    /// The path ends in neither `.svg` nor `.png`.
    Format { path: PathBuf },
    /// No series, or no series with a finite point.
    Empty,
    /// Writing the file failed.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// plotters failed to lay out or draw (it should not).
    Draw(String),
}

impl std::fmt::Display for PlotError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlotError::Format { path } => {
                write!(f, "cannot plot to {}: unknown picture format", shown(path))
            }
            PlotError::Empty => write!(f, "nothing to plot: no recorded value in the window"),
            PlotError::Io { path, source } => {
                write!(f, "cannot write the plot {}: {source}", shown(path))
            }
            PlotError::Draw(d) => write!(f, "cannot draw the plot: {d}"),
        }
    }
}

impl std::error::Error for PlotError {}

impl PlotError {
    /// What to do about it.
    pub fn hint(&self) -> &'static str {
        match self {
            PlotError::Format { .. } => "name the file with .svg or .png, e.g. --plot out.svg",
            PlotError::Empty => {
                "widen the window (--since, --until), or choose another --metric or --pid"
            }
            PlotError::Io { .. } => "write it to a writable place, e.g. --plot /tmp/out.svg",
            PlotError::Draw(_) => "try the other format (.svg or .png)",
        }
    }

    /// The CLI's error: one line, the hint, exit 2.
    pub fn to_cli(&self) -> CliError {
        CliError::new(crate::text::neutralize_controls(&self.to_string()).into_owned())
            .hint(self.hint())
            .code(ExitCode::Error)
    }
}

fn shown(p: &Path) -> String {
    crate::text::escape_for_terminal(std::os::unix::ffi::OsStrExt::as_bytes(p.as_os_str()))
}

/// A label from bytes read from /proc (a process name, a workload): lossy
/// UTF-8, control and invisible characters as visible escapes, at most
/// [`MAX_LABEL`] characters.
pub fn label(bytes: &[u8]) -> String {
    visible(&String::from_utf8_lossy(bytes))
}

fn visible(s: &str) -> String {
    let s = crate::text::neutralize_controls(s);
    if s.chars().count() <= MAX_LABEL {
        return s.into_owned();
    }
    let mut out: String = s.chars().take(MAX_LABEL - 1).collect();
    out.push('…');
    out
}

/// A process metric's plot title and unit (the [`Plot`]'s `title` and
/// `y_label`, in the units of [`process_points`]).
pub fn process_words(m: ProcMetric) -> (&'static str, &'static str) {
    match m {
        ProcMetric::State => ("state", "state"),
        ProcMetric::Rss => ("resident memory", "bytes"),
        ProcMetric::Fds => ("open descriptors", "descriptors"),
        ProcMetric::Threads => ("threads", "threads"),
        ProcMetric::Cpu => ("CPU time", "seconds"),
        ProcMetric::Switches => ("context switches", "switches"),
        ProcMetric::ReadBytes => ("storage read", "bytes"),
        ProcMetric::WriteBytes => ("storage written", "bytes"),
        ProcMetric::FdLimit => ("descriptor limit", "descriptors"),
    }
}

/// A workload metric's plot title and unit (in the units of
/// [`workload_points`]).
pub fn workload_words(m: WorkloadMetric) -> (&'static str, &'static str) {
    match m {
        WorkloadMetric::Memory => ("memory usage", "bytes"),
        WorkloadMetric::WorkingSet => ("memory working set", "bytes"),
        WorkloadMetric::MemoryLimit => ("memory limit", "bytes"),
        WorkloadMetric::OomKills => ("OOM kills", "kills"),
        WorkloadMetric::Pids => ("tasks", "tasks"),
        WorkloadMetric::PidsMax => ("task limit", "tasks"),
        WorkloadMetric::Cpu => ("CPU time", "seconds"),
        WorkloadMetric::Throttled => ("CPU throttled time", "seconds"),
        WorkloadMetric::TcpEstablished => ("TCP established", "sockets"),
        WorkloadMetric::TcpCloseWait => ("TCP close-wait", "sockets"),
        WorkloadMetric::TcpListen => ("TCP listening", "sockets"),
    }
}

/// A recorded process's series as plot points in the plot's unit: bytes
/// for `rss` (recorded in KiB), seconds for `cpu` (recorded in clock
/// ticks, `clock_ticks` per second), else the recorded count. One point
/// per scan the process lived in (`first..=last`); a scan where the value
/// could not be read has no point.
pub fn process_points(
    p: &ProcessHistory,
    scans: &[ScanInfo],
    m: ProcMetric,
    clock_ticks: u64,
) -> Vec<(i64, f64)> {
    let factor = match m {
        ProcMetric::Rss => 1024.0,
        ProcMetric::Cpu => 1.0 / clock_ticks.max(1) as f64,
        _ => 1.0,
    };
    let s = p.series(m);
    (p.first..=p.last)
        .filter_map(|i| {
            let t = scans.get(i as usize)?.t_ms;
            let v = s.at(i).flatten()?;
            Some((t, v as f64 * factor))
        })
        .collect()
}

/// A recorded workload's series as plot points: bytes as recorded, CPU
/// and throttled time in seconds (recorded in nanoseconds), else counts.
/// One point per scan from its first recorded value on where the value
/// was read (a workload has no lifetime of its own in the store).
pub fn workload_points(
    w: &WorkloadHistory,
    scans: &[ScanInfo],
    m: WorkloadMetric,
) -> Vec<(i64, f64)> {
    let factor = match m {
        WorkloadMetric::Cpu | WorkloadMetric::Throttled => 1e-9,
        _ => 1.0,
    };
    let Some(s) = w.series(m) else {
        return Vec::new();
    };
    let Some(&(first, _)) = s.points.first() else {
        return Vec::new();
    };
    scans
        .iter()
        .enumerate()
        .skip(first as usize)
        .filter_map(|(i, scan)| {
            let v = s.at(u32::try_from(i).ok()?).flatten()?;
            Some((scan.t_ms, v as f64 * factor))
        })
        .collect()
}

/// Keep at most `max` points: when there are more, consecutive points are
/// put in buckets and each bucket keeps its lowest and highest point, in
/// time order.
pub fn thin(points: &[(i64, f64)], max: usize) -> Vec<(i64, f64)> {
    let max = max.max(2);
    if points.len() <= max {
        return points.to_vec();
    }
    let bucket = points.len().div_ceil(max / 2);
    let mut out = Vec::with_capacity(max);
    for chunk in points.chunks(bucket) {
        let lo = (0..chunk.len()).fold(0, |a, i| if chunk[i].1 < chunk[a].1 { i } else { a });
        let hi = (0..chunk.len()).fold(0, |a, i| if chunk[i].1 > chunk[a].1 { i } else { a });
        let (a, b) = (lo.min(hi), lo.max(hi));
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    out
}

/// The y axis: the divisor of the values and the unit's name.
struct YAxis {
    div: f64,
    unit: String,
    bytes: bool,
}

impl YAxis {
    fn new(y_label: &str, top: f64) -> YAxis {
        if y_label != "bytes" {
            return YAxis {
                div: 1.0,
                unit: visible(y_label),
                bytes: false,
            };
        }
        const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
        let mut i = 0;
        let mut div = 1.0;
        while top / div >= 1024.0 && i < UNITS.len() - 1 {
            div *= 1024.0;
            i += 1;
        }
        YAxis {
            div,
            unit: UNITS[i].to_string(),
            bytes: true,
        }
    }

    /// A value in the axis' unit, with the unit for bytes: `1.5 GiB`,
    /// `1,200` is `1200`.
    fn value(&self, v: f64) -> String {
        if self.bytes {
            return crate::render::units::iec(v.max(0.0).round() as u64);
        }
        number(v)
    }

    /// The rate per hour: `+12.0 MiB/h`, `-3/h`.
    fn rate(&self, per_h: f64) -> String {
        let sign = if per_h < 0.0 { "-" } else { "+" };
        format!("{sign}{}/h", self.value(per_h.abs()))
    }
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 || v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Unix milliseconds as UTC: (`2026-12-05`, `03:00:10`).
fn utc(ms: i64) -> (String, String) {
    let secs = u64::try_from(ms.div_euclid(1000)).unwrap_or(0);
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    let s = humantime::format_rfc3339_seconds(t).to_string();
    (
        s.get(..10).unwrap_or_default().to_string(),
        s.get(11..19).unwrap_or_default().to_string(),
    )
}

/// A time axis label: `HH:MM:SS` over less than 30 minutes, `HH:MM` over
/// less than two days, else `MM-DD HH:MM`.
fn time_label(ms: i64, span_ms: i64) -> String {
    let (d, t) = utc(ms);
    if span_ms < 30 * 60_000 {
        t
    } else if span_ms < 2 * 86_400_000 {
        t.get(..5).unwrap_or_default().to_string()
    } else {
        format!(
            "{} {}",
            d.get(5..).unwrap_or_default(),
            t.get(..5).unwrap_or_default()
        )
    }
}

/// Tick times on a round step (1 s to 1 day) giving at most 8 ticks,
/// aligned on the step in UTC.
fn time_ticks(x0: i64, x1: i64) -> Vec<i64> {
    const STEPS_S: [i64; 17] = [
        1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
    ];
    let span = (x1 - x0).max(1);
    let step = STEPS_S
        .iter()
        .map(|s| s * 1000)
        .find(|st| span / st < 8)
        .unwrap_or_else(|| (span / 7 / 86_400_000 + 1) * 86_400_000);
    let first = x0.div_euclid(step) * step + if x0.rem_euclid(step) == 0 { 0 } else { step };
    (0..)
        .map(|k| first + k * step)
        .take_while(|&t| t <= x1)
        .take(16)
        .collect()
}

/// What is drawn, prepared: the series cleaned, sorted and thinned.
struct Prepared {
    series: Vec<PlotSeries>,
    left_out: usize,
    x: (i64, i64),
    y: (f64, f64),
    axis: YAxis,
    /// Limits above the y range (shown in the legend only).
    off_scale: Vec<bool>,
}

fn prepare(plot: &Plot) -> Result<Prepared, PlotError> {
    let mut series: Vec<PlotSeries> = plot
        .series
        .iter()
        .map(|s| {
            let mut pts: Vec<(i64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| p.1.is_finite())
                .collect();
            pts.sort_by_key(|p| p.0);
            PlotSeries {
                label: visible(&s.label),
                points: thin(&pts, MAX_POINTS),
                trend: s
                    .trend
                    .filter(|(a, b)| a.1.is_finite() && b.1.is_finite() && b.0 != a.0),
                limit: s.limit.filter(|l| l.is_finite()),
            }
        })
        .filter(|s| !s.points.is_empty())
        .collect();
    if series.is_empty() {
        return Err(PlotError::Empty);
    }
    let left_out = series.len().saturating_sub(MAX_SERIES);
    series.truncate(MAX_SERIES);
    let pts = || series.iter().flat_map(|s| s.points.iter());
    let (mut x0, mut x1) = (i64::MAX, i64::MIN);
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for &(t, v) in pts() {
        (x0, x1) = (x0.min(t), x1.max(t));
        (y0, y1) = (y0.min(v), y1.max(v));
    }
    if x0 == x1 {
        (x0, x1) = (x0 - 30_000, x1 + 30_000);
    }
    // A limit up to 4 times the highest value is drawn (how close the
    // series came is the point); a farther one would flatten the data and
    // is named in the legend only.
    let data_top = y1;
    let off_scale: Vec<bool> = series
        .iter()
        .map(|s| s.limit.is_some_and(|l| l > 4.0 * data_top.max(1.0)))
        .collect();
    for (s, off) in series.iter().zip(&off_scale) {
        if let (Some(l), false) = (s.limit, off) {
            (y0, y1) = (y0.min(l), y1.max(l));
        }
    }
    y0 = y0.min(0.0);
    if y1 <= y0 {
        y1 = y0 + 1.0;
    }
    let axis = YAxis::new(&plot.y_label, y1.abs().max(y0.abs()));
    Ok(Prepared {
        series,
        left_out,
        x: (x0, x1),
        y: (y0 / axis.div, y1 * 1.05 / axis.div),
        axis,
        off_scale,
    })
}

/// The series' colours, in order (red is the limits').
const COLOURS: [RGBColor; MAX_SERIES] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];
const LIMIT: RGBColor = RGBColor(214, 39, 40);

/// Draw `plot` to `path`: SVG when it ends in `.svg`, PNG when `.png`
/// (either case), else [`PlotError::Format`]. The file is written whole
/// (beside it, then renamed over it) or not at all.
pub fn draw(plot: &Plot, path: &Path) -> Result<(), PlotError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let svg = match ext.as_deref() {
        Some("svg") => true,
        Some("png") => false,
        _ => {
            return Err(PlotError::Format {
                path: path.to_path_buf(),
            });
        }
    };
    let prepared = prepare(plot)?;
    FONT_ONCE.call_once(|| {
        // A font that does not load leaves text undrawn (an error below),
        // never a panic; it is a fixed file, tested.
        let _ = plotters::style::register_font("sans-serif", FontStyle::Normal, FONT);
    });
    let bytes = if svg {
        let mut s = String::new();
        {
            let root = SVGBackend::with_string(&mut s, SIZE).into_drawing_area();
            chart(&root, plot, &prepared)?;
        }
        s.into_bytes()
    } else {
        let mut rgb = vec![0u8; (SIZE.0 * SIZE.1 * 3) as usize];
        {
            let root = BitMapBackend::with_buffer(&mut rgb, SIZE).into_drawing_area();
            chart(&root, plot, &prepared)?;
        }
        encode_png(&rgb).map_err(|e| PlotError::Draw(e.to_string()))?
    };
    write_file(path, &bytes)
}

fn encode_png(rgb: &[u8]) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, SIZE.0, SIZE.1);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header()?;
    w.write_image_data(rgb)?;
    w.finish()?;
    Ok(out)
}

/// Write beside the target, then rename over it: a failed write leaves no
/// half picture (and an older file at `path` as it was).
fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PlotError> {
    let io = |source| PlotError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".partial-{}", std::process::id()));
    let tmp = PathBuf::from(tmp);
    let written = std::fs::File::create(&tmp).and_then(|mut f| {
        f.write_all(bytes)?;
        f.sync_all()
    });
    let done = written.and_then(|()| std::fs::rename(&tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done.map_err(io)
}

fn draw_err<E: std::fmt::Debug>(e: E) -> PlotError {
    PlotError::Draw(format!("{e:?}"))
}

fn chart<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    plot: &Plot,
    p: &Prepared,
) -> Result<(), PlotError> {
    root.fill(&WHITE).map_err(draw_err)?;
    let mut title = visible(&plot.title);
    if p.left_out > 0 {
        let _ = write!(title, " ({} more series not drawn)", p.left_out);
    }
    let span = p.x.1 - p.x.0;
    let (d0, _) = utc(p.x.0);
    let (d1, _) = utc(p.x.1);
    let x_desc = if d0 == d1 {
        format!("UTC, {d0}")
    } else {
        format!("UTC, {d0} to {d1}")
    };
    let mut c = ChartBuilder::on(root)
        .caption(title, ("sans-serif", 22))
        .margin(14)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(
            (p.x.0..p.x.1).with_key_points(time_ticks(p.x.0, p.x.1)),
            p.y.0..p.y.1,
        )
        .map_err(draw_err)?;
    let xfmt = |ms: &i64| time_label(*ms, span);
    let yfmt = |v: &f64| number(*v);
    c.configure_mesh()
        .x_labels(8)
        .y_labels(8)
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .x_desc(x_desc)
        .y_desc(p.axis.unit.clone())
        .label_style(("sans-serif", 14))
        .draw()
        .map_err(draw_err)?;
    for (i, s) in p.series.iter().enumerate() {
        series(&mut c, s, COLOURS[i % COLOURS.len()], p, p.off_scale[i])?;
    }
    c.configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .label_font(("sans-serif", 14))
        .draw()
        .map_err(draw_err)?;
    root.present().map_err(draw_err)
}

type Chart<'a, DB> = ChartContext<
    'a,
    DB,
    Cartesian2d<
        plotters::coord::combinators::WithKeyPoints<plotters::coord::types::RangedCoordi64>,
        plotters::coord::types::RangedCoordf64,
    >,
>;

fn series<DB: DrawingBackend>(
    c: &mut Chart<'_, DB>,
    s: &PlotSeries,
    colour: RGBColor,
    p: &Prepared,
    off_scale: bool,
) -> Result<(), PlotError> {
    let div = p.axis.div;
    let style = colour.stroke_width(2);
    c.draw_series(LineSeries::new(
        s.points.iter().map(|&(t, v)| (t, v / div)),
        style,
    ))
    .map_err(draw_err)?
    .label(s.label.clone())
    .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    if let Some((a, b)) = s.trend {
        let per_h = (b.1 - a.1) / (b.0 - a.0) as f64 * 3_600_000.0;
        let dashed = colour.stroke_width(2);
        c.draw_series(DashedLineSeries::new(
            [(a.0, a.1 / div), (b.0, b.1 / div)],
            8,
            5,
            dashed,
        ))
        .map_err(draw_err)?
        .label(format!("trend {}", p.axis.rate(per_h)))
        .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 8, y)], dashed));
    }
    if let Some(l) = s.limit {
        let name = if off_scale {
            format!("limit {} (above the plot)", p.axis.value(l))
        } else {
            format!("limit {}", p.axis.value(l))
        };
        let line: Vec<(i64, f64)> = if off_scale {
            Vec::new()
        } else {
            vec![(p.x.0, l / div), (p.x.1, l / div)]
        };
        let limit = LIMIT.stroke_width(2);
        c.draw_series(LineSeries::new(line, limit))
            .map_err(draw_err)?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], limit));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thinning_keeps_spikes_and_bounds() {
        let mut pts: Vec<(i64, f64)> = (0..10_000).map(|i| (i, 1.0)).collect();
        pts[5_001].1 = 99.0;
        pts[7_000].1 = -5.0;
        let t = thin(&pts, MAX_POINTS);
        assert!(t.len() <= MAX_POINTS, "{}", t.len());
        assert!(t.len() >= MAX_POINTS / 2);
        assert!(t.contains(&(5_001, 99.0)));
        assert!(t.contains(&(7_000, -5.0)));
        assert!(t.windows(2).all(|w| w[0].0 < w[1].0));
        let few = thin(&pts[..10], MAX_POINTS);
        assert_eq!(few, pts[..10].to_vec());
    }

    #[test]
    fn labels_are_visible_and_bounded() {
        assert_eq!(label(b"a\x1b[31mb\xff"), "a\\e[31mb\u{fffd}");
        let long = label(&[b'x'; 500]);
        assert_eq!(long.chars().count(), MAX_LABEL);
        assert!(long.ends_with('…'));
    }

    #[test]
    fn units_and_rates_in_words() {
        let a = YAxis::new("bytes", 3.0 * 1024.0 * 1024.0);
        assert_eq!(a.unit, "MiB");
        assert_eq!(a.div, 1024.0 * 1024.0);
        assert_eq!(a.rate(12.0 * 1024.0 * 1024.0), "+12.0 MiB/h");
        assert_eq!(a.value(1024.0 * 1024.0 * 1024.0), "1.00 GiB");
        let d = YAxis::new("descriptors", 500.0);
        assert_eq!((d.div, d.unit.as_str()), (1.0, "descriptors"));
        assert_eq!(d.rate(-3.0), "-3/h");
        assert_eq!(d.rate(1.5), "+1.50/h");
    }

    #[test]
    fn time_labels_in_utc() {
        // 2026-12-05 03:00:10 UTC.
        let ms = 1_796_439_610_000;
        assert_eq!(utc(ms), ("2026-12-05".into(), "03:00:10".into()));
        assert_eq!(time_label(ms, 60_000), "03:00:10");
        assert_eq!(time_label(ms, 3_600_000), "03:00");
        assert_eq!(time_label(ms, 3 * 86_400_000), "12-05 03:00");
    }

    #[test]
    fn time_ticks_are_round() {
        let t0 = 1_796_439_610_000; // 03:00:10
        let ticks = time_ticks(t0, t0 + 7_140_000);
        assert_eq!(ticks.first(), Some(&(t0 + 890_000))); // 03:15
        assert!(ticks.windows(2).all(|w| w[1] - w[0] == 900_000));
        assert!(ticks.len() <= 8);
        assert_eq!(time_ticks(t0, t0 + 60_000).len(), 7); // every 10 s
        let days = time_ticks(t0, t0 + 30 * 86_400_000);
        assert!(!days.is_empty() && days.len() <= 8, "{days:?}");
    }

    #[test]
    fn every_metric_has_words() {
        for m in ProcMetric::ALL {
            assert!(!process_words(m).0.is_empty());
        }
        for m in WorkloadMetric::ALL {
            assert!(!workload_words(m).0.is_empty());
        }
        // Bytes are the metrics whose points are in bytes.
        assert_eq!(process_words(ProcMetric::Rss).1, "bytes");
        assert_eq!(workload_words(WorkloadMetric::WorkingSet).1, "bytes");
        assert_eq!(process_words(ProcMetric::Cpu).1, "seconds");
    }

    #[test]
    fn the_font_loads() {
        assert!(plotters::style::register_font("proctor-test", FontStyle::Normal, FONT).is_ok());
    }
}
