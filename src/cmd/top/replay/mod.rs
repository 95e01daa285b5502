//! `top --replay FILE [--at TIME]`: the `top` table on a recording of
//! `proctor record`, at one scan, with the rates between it and the scan
//! before (as live `top` measures them between two scans). With `--once`,
//! `--json` or stdout not a terminal, one table (or JSON document) at
//! `--at`; else the interactive view with keys to step through time
//! (`tui`, fed by [`player::Player`] instead of the collector).
//!
//! Without `--at` the replay opens where a post-mortem starts: at the last
//! scan before the last OOM kill recorded (the victim still in the table),
//! or at the end of the recording when none was.

mod player;

pub use crate::analysis::replay::Recorded;
pub use player::{Moment, Player};

use std::path::PathBuf;

use crate::analysis::replay::{JsonReplay, OomRef};
use crate::analysis::top::{self as model, JsonRow, RateBasis};
use crate::cmd::context::{Ctx, Output};
use crate::error::{CliError, ExitCode};
use crate::reader::UserNames;
use crate::render;
use crate::store::read::TimeSpec;

use super::{Settings, arrange};

/// What `--replay` asks.
#[derive(Debug, Clone)]
pub struct Replay {
    pub path: PathBuf,
    /// `--at`; None: the default position (see the module's comment).
    pub at: Option<TimeSpec>,
}

/// Open the file and find the position to show first, with the OOM kill
/// that chose it (no `--at`).
pub fn open(r: &Replay) -> Result<(Player, usize, Option<OomRef>), CliError> {
    let mut p = Player::open(&r.path).map_err(player_error)?;
    let (i, kill) = match r.at {
        None => {
            let (i, k) = p.default_index();
            let kill = k.map(|(at_ms, pid, name)| OomRef {
                at_ms,
                pid,
                name: crate::text::Text(name),
            });
            (i, kill)
        }
        Some(t) => p
            .index_at(t.resolve(p.span().1))
            .map(|i| (i, None))
            .map_err(|e| match e {
                player::PlayerError::Outside(at, first, last) => {
                    CliError::new(render::replay::outside(p.path(), at, first, last))
                        .hint(render::replay::outside_hint())
                }
                e => player_error(e),
            })?,
    };
    Ok((p, i, kill))
}

fn player_error(e: player::PlayerError) -> CliError {
    match e {
        player::PlayerError::Store(e) => crate::cmd::record::store_error(&e),
        player::PlayerError::Empty(path) => {
            CliError::new(render::replay::empty(&path)).hint(render::replay::empty_hint())
        }
        player::PlayerError::Outside(at, first, last) => {
            CliError::new(format!("{at} is outside the recording ({first} to {last})"))
        }
    }
}

/// One table (or JSON document) at the asked scan.
pub fn once(ctx: &Ctx, a: &Settings, r: &Replay) -> Result<Output, CliError> {
    let (mut p, i, kill) = open(r)?;
    let (columns, _) = super::config::columns(a)?;
    let m = p.show(i);
    let mut users = UserNames::default();
    let (mut rows, basis) = model::rows(&m.cur, m.prev.as_ref(), m.ticks, |u| {
        users.get(u).map(<[u8]>::to_vec)
    });
    if let Some(f) = &a.filter {
        rows.retain(|r| model::matches(r, f));
    }
    model::sort(&mut rows, a.sort, a.reverse);
    let (ordered, depth) = arrange(&rows, a.tree, a.limit);
    // A file read only in part is said, and exits 3 (incomplete).
    let code = if m.damage.is_empty() {
        ExitCode::Ok
    } else {
        ExitCode::Incomplete
    };
    let (first, last) = p.span();
    if ctx.json {
        let doc = JsonReplay {
            file: crate::text::Text(
                std::os::unix::ffi::OsStrExt::as_bytes(p.path().as_os_str()).to_vec(),
            ),
            at_ms: m.t_ms,
            at: render::replay::rfc3339(m.t_ms),
            scan: p.pos() + 1,
            scans: p.scans(),
            first_ms: first,
            last_ms: last,
            rates_over_seconds: match basis {
                RateBasis::Interval(s) => Some((s * 1000.0).round() / 1000.0),
                RateBasis::Lifetime => None,
            },
            started: m.started.iter().map(|s| s.0).collect(),
            exited: m.exited.iter().map(|s| s.0).collect(),
            before_oom_kill: kill,
            damage: m.damage.iter().map(|(p, d)| format!("{p}: {d}")).collect(),
            rows: ordered
                .iter()
                .map(|r| JsonRow::new(r, basis, &columns))
                .collect(),
        };
        return Ok(Output {
            stdout: render::to_json(&doc) + "\n",
            code,
        });
    }
    let pos = render::replay::Position {
        path: p.path(),
        t_ms: m.t_ms,
        index: p.pos(),
        count: p.scans(),
        span: (first, last),
        interval_ms: m.interval_ms,
    };
    let mut s = render::replay::position_line(&pos);
    s.push('\n');
    if let Some(k) = &kill {
        s.push_str(&render::replay::before_oom(k, m.interval_ms < 1000));
        s.push('\n');
    }
    if let Some(d) = render::replay::damage_line(&m.damage) {
        s.push_str(&ctx.palette.warning(&d));
        s.push('\n');
    }
    s.push_str(&render::replay::host_line(&m.host));
    s.push('\n');
    s.push_str(&render::replay::changes_line(
        &m.started,
        &m.exited,
        m.prev.is_none(),
    ));
    s.push('\n');
    s.push_str(&render::top::table(
        &ordered,
        &columns,
        a.tree.then_some(&depth[..]),
        None,
    ));
    s.push_str(&render::replay::footer(&m.cur, ordered.len(), basis));
    s.push('\n');
    Ok(Output { stdout: s, code })
}
