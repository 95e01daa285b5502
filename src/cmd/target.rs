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

/// TARGET as given and how to pick among several matches: what every
/// per-process command resolves and opens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetSpec {
    /// A PID, `self`, or a name.
    pub text: String,
    pub pick: Pick,
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

/// Bytes of a candidate's command line kept for listing an ambiguous
/// match (the list shows 100 characters): thousands of matches must not
/// each hold a 64 KiB command line.
const LISTED_CMDLINE: usize = 1024;

/// proctor's own family, never matched by command line: its parent chain
/// (bounded) and their command lines, and its process group.
struct Family {
    ancestors: Vec<i32>,
    ancestor_cmdlines: Vec<Vec<u8>>,
    pgrp: Option<i32>,
}

fn family_of(fs: &ProcFs, pid: i32) -> Family {
    let stat = |p: i32| fs.stat_raw(p).and_then(|b| parse::stat::parse(&b).ok());
    let mut out = Family {
        ancestors: Vec::new(),
        ancestor_cmdlines: Vec::new(),
        pgrp: stat(pid).and_then(|s| s.pgrp),
    };
    let mut cur = pid;
    for _ in 0..64 {
        let Some(ppid) = stat(cur).map(|s| s.ppid) else {
            break;
        };
        if ppid <= 1 || out.ancestors.contains(&ppid) {
            break;
        }
        out.ancestors.push(ppid);
        if let Some(c) = fs.cmdline_raw(ppid).filter(|c| !c.is_empty()) {
            out.ancestor_cmdlines.push(c);
        }
        cur = ppid;
    }
    out
}

impl Family {
    /// Whether `pid` (command line `cmd`) is one of proctor's own: an
    /// ancestor, or a process of proctor's process group that is a copy of
    /// an ancestor not yet exec'd. `sh -c "(proctor inspect NAME; ...) |
    /// cat"` forks the shell for each side of the pipe: until the copy
    /// exec's `cat`, it carries NAME in its command line, and it is no
    /// ancestor of proctor. Other processes of the group stay candidates
    /// (`sleep 1000 NAME & proctor inspect NAME` in a script shares its
    /// process group).
    fn owns(&self, fs: &ProcFs, pid: i32, cmd: &[u8]) -> bool {
        if self.ancestors.contains(&pid) {
            return true;
        }
        if !self.ancestor_cmdlines.iter().any(|c| c == cmd) {
            return false;
        }
        let pgrp = fs
            .stat_raw(pid)
            .and_then(|b| parse::stat::parse(&b).ok())
            .and_then(|s| s.pgrp);
        pgrp.is_some() && pgrp == self.pgrp
    }
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
    let listed = |mut c: Vec<u8>| {
        c.truncate(LISTED_CMDLINE);
        c
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
                cmdline: listed(cmd),
                start: start_of(pid),
            });
        }
    }
    if found.is_empty() {
        // proctor's own ancestors (`sh -c 'proctor inspect NAME | head'`)
        // and the shell's copies in its process group carry NAME in their
        // command line: never match them by it (see [`Family::owns`]).
        // Nor another proctor run (`proctor watch NAME` in a second
        // terminal), whose command line carries NAME too. Command lines are
        // read up to CMDLINE_READ_CAP: a match needs only a prefix.
        let family = family_of(fs, me);
        let own_name = fs.comm(me);
        for &pid in &pids {
            if pid == me || family.ancestors.contains(&pid) {
                continue;
            }
            if own_name.is_some() && fs.comm(pid) == own_name {
                continue;
            }
            let Some(cmd) = fs.cmdline_raw(pid) else {
                continue;
            };
            let joined: Vec<u8> = split_nul(&cmd).join(&b' ');
            if joined.windows(needle.len()).any(|w| w == needle) && !family.owns(fs, pid, &cmd) {
                let n = fs.comm(pid).unwrap_or_default();
                found.push(Candidate {
                    pid,
                    name: n,
                    cmdline: listed(cmd),
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
                let cut = c.cmdline.len() >= LISTED_CMDLINE;
                let (masked, _) = crate::analysis::secrets::mask_nul_args(&c.cmdline, cut);
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
