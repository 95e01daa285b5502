//! Target resolution, shared by every per-process command: a PID, `self`,
//! or a name (exact process name first, else a substring of the command
//! line, like `pgrep -f`). proctor never matches itself by name.

use crate::error::CliError;
use crate::parse::{self, cmdline::split_nul};
use crate::reader::ProcFs;
use crate::text::escape_for_terminal;

/// How to choose among several matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// Several matches are an error listing them.
    Only,
    Newest,
    Oldest,
}

/// The largest PID Linux can hand out (PID_MAX_LIMIT on 64-bit).
pub const PID_MAX_LIMIT: i64 = 4_194_304;

#[derive(Debug, Clone)]
struct Candidate {
    pid: i32,
    name: Vec<u8>,
    cmdline: Vec<u8>,
    start: u64,
}

/// Resolve TARGET to a PID. Errors are user errors (exit 2) with a hint.
pub fn resolve(fs: &ProcFs, target: &str, pick: Pick) -> Result<i32, CliError> {
    let t = target.trim();
    if t.is_empty() {
        return Err(CliError::new("empty target").hint("give a PID, `self`, or a process name"));
    }
    if t == "self" {
        return Ok(fs.self_pid());
    }
    let numeric = t.strip_prefix(['-', '+']).unwrap_or(t);
    if !numeric.is_empty() && numeric.bytes().all(|b| b.is_ascii_digit()) {
        let v: Option<i64> = t.parse().ok();
        return match v {
            Some(p) if p <= 0 => Err(CliError::new(format!(
                "invalid PID '{t}': a PID is a positive integer"
            ))
            .hint("give a PID such as 1234, `self`, or a process name")),
            Some(p) if p <= PID_MAX_LIMIT => Ok(p as i32),
            _ => Err(CliError::new(format!(
                "invalid PID '{t}': PIDs on Linux are at most {PID_MAX_LIMIT}"
            ))
            .hint("check the number; list processes with `ps -e`")),
        };
    }
    by_name(fs, t, pick)
}

/// The chain of parents of `pid` (bounded).
fn ancestors_of(fs: &ProcFs, pid: i32) -> Vec<i32> {
    let mut out = Vec::new();
    let mut cur = pid;
    for _ in 0..64 {
        let Some(ppid) = fs
            .stat_raw(cur)
            .and_then(|b| parse::stat::parse(&b).ok())
            .map(|s| s.ppid)
        else {
            break;
        };
        if ppid <= 1 || out.contains(&ppid) {
            break;
        }
        out.push(ppid);
        cur = ppid;
    }
    out
}

fn by_name(fs: &ProcFs, name: &str, pick: Pick) -> Result<i32, CliError> {
    let me = fs.self_pid();
    let pids = fs.pids()?;
    let needle = name.as_bytes();
    let start_of = |pid: i32| {
        fs.stat_raw(pid)
            .and_then(|b| parse::stat::parse(&b).ok())
            .map(|s| s.starttime)
            .unwrap_or(0)
    };
    let mut found: Vec<Candidate> = Vec::new();
    for &pid in &pids {
        if pid == me {
            continue;
        }
        if fs.comm(pid).as_deref() == Some(needle) {
            let cmd = fs.cmdline_raw(pid).unwrap_or_default();
            found.push(Candidate {
                pid,
                name: needle.to_vec(),
                cmdline: cmd,
                start: start_of(pid),
            });
        }
    }
    if found.is_empty() {
        // proctor's own ancestors (`sh -c 'proctor inspect NAME | head'`)
        // carry NAME in their command line: never match them by it.
        // Nor another proctor run (`proctor watch NAME` in a second
        // terminal), whose command line carries NAME too.
        let ancestors = ancestors_of(fs, me);
        let own_name = fs.comm(me);
        for &pid in &pids {
            if pid == me || ancestors.contains(&pid) {
                continue;
            }
            if own_name.is_some() && fs.comm(pid) == own_name {
                continue;
            }
            let Some(cmd) = fs.cmdline_raw(pid) else {
                continue;
            };
            let joined: Vec<u8> = split_nul(&cmd).join(&b' ');
            if joined.windows(needle.len()).any(|w| w == needle) {
                let n = fs.comm(pid).unwrap_or_default();
                found.push(Candidate {
                    pid,
                    name: n,
                    cmdline: cmd,
                    start: start_of(pid),
                });
            }
        }
    }
    match (found.len(), pick) {
        (0, _) => Err(CliError::new(format!("no process matches '{}'", escape_for_terminal(needle)))
            .hint("give a PID, or check the name with `ps -e` (names match exactly, else as part of the command line)")),
        (1, _) => Ok(found[0].pid),
        (_, Pick::Newest) => Ok(found.iter().max_by_key(|c| (c.start, c.pid)).map_or(0, |c| c.pid)),
        (_, Pick::Oldest) => Ok(found.iter().min_by_key(|c| (c.start, c.pid)).map_or(0, |c| c.pid)),
        (n, Pick::Only) => {
            found.sort_by_key(|c| c.pid);
            let mut lines = vec![format!("  {:>7}  {:<16}  COMMAND", "PID", "NAME")];
            for c in found.iter().take(20) {
                // Secrets masked, always: an error message is not the place to reveal them.
                let (masked, _) = crate::analysis::secrets::mask_nul_args(&c.cmdline, false);
                let cmd = split_nul(&masked).join(&b' ');
                let mut cmd = escape_for_terminal(&cmd);
                if cmd.chars().count() > 100 {
                    cmd = cmd.chars().take(99).collect::<String>() + "…";
                }
                lines.push(format!("  {:>7}  {:<16}  {}", c.pid, escape_for_terminal(&c.name), cmd));
            }
            if n > 20 {
                lines.push(format!("  ... and {} more", n - 20));
            }
            Err(CliError::new(format!("{n} processes match '{}'", escape_for_terminal(needle)))
                .detail(lines)
                .hint("name one by PID, or add --newest or --oldest to pick one"))
        }
    }
}
