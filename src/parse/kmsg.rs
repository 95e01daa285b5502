//! The kernel log as `/dev/kmsg` gives it (Documentation/ABI/testing/dev-kmsg):
//! one record per read, `PRI,SEQ,USEC,FLAGS[,...];MESSAGE\n`, then optional
//! continuation lines starting with a space (` KEY=VALUE`). The kernel
//! escapes every byte below 0x20, 0x7f and above, and the backslash itself
//! as `\xNN` in MESSAGE, so a record is one line.
//!
//! From the records, the OOM kills, in the two lines the kernel writes for
//! each (mm/oom_kill.c):
//!
//! - `oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/PATH,task_memcg=/PATH,task=NAME,pid=N,uid=N`
//!   (`,global_oom` instead of `,oom_memcg=PATH` when the whole host ran out);
//! - `Memory cgroup out of memory: Killed process N (NAME) total-vm:NkB, anon-rss:NkB, file-rss:NkB, shmem-rss:NkB, UID:N pgtables:NkB oom_score_adj:N`
//!   (`Out of memory: Killed process ...` for the host),
//!
//! and, before them in the same report, the cgroup's `memory: usage NkB,
//! limit NkB, failcnt N` and `Memory cgroup stats for /PATH:` (v1 and v2
//! print the same line; an unlimited cgroup's limit is PAGE_COUNTER_MAX,
//! about 2^53 kB). NAME is the victim's `comm`, which it chose: it may hold
//! `,pid=`, `) total-vm:` or anything else, so fields are found from the
//! kernel-written ends inward and the two lines of one kill (same PID,
//! adjacent) check each other. Pure and byte-wise: never panics.

use super::parse_u64;

/// One record's header and message (continuation lines dropped).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    pub seq: u64,
    /// Microseconds since boot (CLOCK_MONOTONIC at the time of the record).
    pub usec: u64,
    /// The message, still kmsg-escaped.
    pub text: &'a [u8],
}

/// The header and message of one record: None when the prefix is not
/// `PRI,SEQ,USEC,FLAGS;`.
pub fn record(b: &[u8]) -> Option<Record<'_>> {
    let semi = b.iter().position(|&c| c == b';')?;
    let mut fields = b[..semi].split(|&c| c == b',');
    let _pri = parse_u64(fields.next()?)?;
    let seq = parse_u64(fields.next()?)?;
    let usec = parse_u64(fields.next()?)?;
    fields.next()?;
    let rest = &b[semi + 1..];
    let end = rest.iter().position(|&c| c == b'\n').unwrap_or(rest.len());
    Some(Record {
        seq,
        usec,
        text: &rest[..end],
    })
}

/// Undo the kernel's `\xNN` escaping (anything else is kept as is).
pub fn unescape(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let (Some(h), Some(l)) = (
                b.get(i + 2).and_then(|&c| hex(c)),
                b.get(i + 3).and_then(|&c| hex(c)),
            )
        {
            out.push(h * 16 + l);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

fn hex(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// What limited the memory the kill freed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Constraint {
    /// A memory cgroup's limit (`CONSTRAINT_MEMCG`).
    Memcg,
    /// The whole host (`CONSTRAINT_NONE`).
    Host,
    /// A cpuset's memory nodes (`CONSTRAINT_CPUSET`).
    Cpuset,
    /// A NUMA memory policy (`CONSTRAINT_MEMORY_POLICY`).
    MemoryPolicy,
}

/// One OOM kill, from its two records (either may be missing: the ring
/// buffer wrapped between them, or a line was malformed). Names and paths
/// are unescaped bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomKill {
    pub seq: u64,
    pub usec: u64,
    pub pid: Option<i32>,
    pub name: Option<Vec<u8>>,
    pub uid: Option<u32>,
    pub constraint: Option<Constraint>,
    /// The cgroup whose limit was hit (None for a host-wide OOM).
    pub oom_memcg: Option<Vec<u8>>,
    /// The victim's own memory cgroup.
    pub task_memcg: Option<Vec<u8>>,
    pub total_vm_kb: Option<u64>,
    pub anon_rss_kb: Option<u64>,
    pub file_rss_kb: Option<u64>,
    pub shmem_rss_kb: Option<u64>,
    pub oom_score_adj: Option<i64>,
    /// The OOM cgroup's usage and limit when the kernel printed them
    /// (`memory: usage`); `limit_kb` None with `usage_kb` Some: no limit.
    pub usage_kb: Option<u64>,
    pub limit_kb: Option<u64>,
    /// The summary line was seen (`oom-kill:`), the kill line was seen.
    pub has_summary: bool,
    pub has_kill_line: bool,
}

/// The kills found in a run of records, oldest first, and how many OOM
/// lines could not be read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OomLog {
    pub kills: Vec<OomKill>,
    pub malformed: u64,
}

/// Limits at or above this many kB are "no limit" (PAGE_COUNTER_MAX in kB
/// is about 2^53).
const UNLIMITED_KB: u64 = 1 << 52;

/// The pending `memory: usage` of the report being printed.
#[derive(Default)]
struct Pending {
    usage: Option<(u64, Option<u64>)>,
    stats_for: Option<Vec<u8>>,
}

/// Every OOM kill in `records` (raw records, one per item, in log order).
pub fn oom_kills<'a>(records: impl IntoIterator<Item = &'a [u8]>) -> OomLog {
    let mut log = OomLog::default();
    let mut pending = Pending::default();
    for raw in records {
        let Some(r) = record(raw) else {
            continue;
        };
        let t = r.text;
        if contains(t, b" invoked oom-killer: ") {
            pending = Pending::default();
        } else if let Some(rest) = t.strip_prefix(b"memory: usage ") {
            pending.usage = usage_line(rest);
        } else if let Some(rest) = t.strip_prefix(b"Memory cgroup stats for ") {
            pending.stats_for = Some(unescape(rest.strip_suffix(b":").unwrap_or(rest)));
        } else if let Some(rest) = t.strip_prefix(b"oom-kill:") {
            match summary(rest) {
                Some(mut k) => {
                    k.seq = r.seq;
                    k.usec = r.usec;
                    if k.oom_memcg.is_some() && k.oom_memcg == pending.stats_for {
                        if let Some((u, l)) = pending.usage {
                            k.usage_kb = Some(u);
                            k.limit_kb = l;
                        }
                    }
                    log.kills.push(k);
                }
                None => log.malformed += 1,
            }
        } else if let Some(rest) = kill_line(t) {
            match killed(rest) {
                Some(kl) => join(&mut log.kills, kl, r),
                None => log.malformed += 1,
            }
        }
    }
    log
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    find(hay, needle).is_some()
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn rfind(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).rposition(|w| w == needle)
}

/// `NkB, limit NkB, failcnt N`: usage, and the limit (None when unlimited).
fn usage_line(b: &[u8]) -> Option<(u64, Option<u64>)> {
    let (usage, rest) = split_once(b, b"kB, limit ")?;
    let (limit, _) = split_once(rest, b"kB")?;
    let usage = parse_u64(usage)?;
    let limit = parse_u64(limit)?;
    Some((usage, (limit < UNLIMITED_KB).then_some(limit)))
}

fn split_once<'a>(b: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let i = find(b, sep)?;
    Some((&b[..i], &b[i + sep.len()..]))
}

/// The text after `Killed process ` of a kill line, if `t` is one.
fn kill_line(t: &[u8]) -> Option<&[u8]> {
    t.strip_prefix(b"Memory cgroup out of memory: Killed process ")
        .or_else(|| t.strip_prefix(b"Out of memory: Killed process "))
}

/// The kernel-written fields of the summary line; the task name and the
/// victim's cgroup are found from the right (`,pid=N,uid=N` ends the
/// line) and may be corrected by the kill line's name ([`join`]).
fn summary(b: &[u8]) -> Option<OomKill> {
    let (head, uid) = rsplit(b, b",uid=")?;
    let (head, pid) = rsplit(head, b",pid=")?;
    let mut k = OomKill {
        pid: parse_u64(pid).and_then(|p| i32::try_from(p).ok()),
        uid: parse_u64(uid).and_then(|u| u32::try_from(u).ok()),
        has_summary: true,
        ..OomKill::default()
    };
    k.pid?;
    let rest = head.strip_prefix(b"constraint=")?;
    let comma = rest.iter().position(|&c| c == b',')?;
    k.constraint = match &rest[..comma] {
        b"CONSTRAINT_MEMCG" => Some(Constraint::Memcg),
        b"CONSTRAINT_NONE" => Some(Constraint::Host),
        b"CONSTRAINT_CPUSET" => Some(Constraint::Cpuset),
        b"CONSTRAINT_MEMORY_POLICY" => Some(Constraint::MemoryPolicy),
        _ => None,
    };
    // The name: after the first `,task=` past `,task_memcg=` (or past the
    // OOM context when the victim's cgroup was not printed).
    let (ctx, name) = if let Some(i) = find(head, b",task_memcg=") {
        let after = &head[i + b",task_memcg=".len()..];
        let j = find(after, b",task=")?;
        k.task_memcg = Some(unescape(&after[..j]));
        (&head[..i], &after[j + b",task=".len()..])
    } else {
        let i = find(head, b",task=")?;
        (&head[..i], &head[i + b",task=".len()..])
    };
    k.name = Some(unescape(name));
    if let Some(i) = find(ctx, b",oom_memcg=") {
        k.oom_memcg = Some(unescape(&ctx[i + b",oom_memcg=".len()..]));
    } else if !ctx.ends_with(b",global_oom") {
        return None;
    }
    Some(k)
}

/// Split at the last `sep`: (before, after).
fn rsplit<'a>(b: &'a [u8], sep: &[u8]) -> Option<(&'a [u8], &'a [u8])> {
    let i = rfind(b, sep)?;
    Some((&b[..i], &b[i + sep.len()..]))
}

/// The fields of a kill line after `Killed process `.
fn killed(b: &[u8]) -> Option<OomKill> {
    let (pid, rest) = split_once(b, b" (")?;
    let (name, tail) = rsplit(rest, b") total-vm:")?;
    let kb = |key: &[u8]| -> Option<u64> {
        let (_, v) = split_once(tail, key)?;
        let end = v
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(v.len());
        v[end..].starts_with(b"kB").then(|| parse_u64(&v[..end]))?
    };
    let total_vm = {
        let end = tail
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(tail.len());
        parse_u64(&tail[..end]).filter(|_| tail[end..].starts_with(b"kB"))
    };
    let adj = split_once(tail, b"oom_score_adj:").and_then(|(_, v)| {
        let end = v
            .iter()
            .position(|&c| !(c.is_ascii_digit() || c == b'-'))
            .unwrap_or(v.len());
        super::parse_i64(&v[..end])
    });
    let uid = split_once(tail, b" UID:").and_then(|(_, v)| {
        let end = v
            .iter()
            .position(|c| !c.is_ascii_digit())
            .unwrap_or(v.len());
        parse_u64(&v[..end]).and_then(|u| u32::try_from(u).ok())
    });
    Some(OomKill {
        pid: Some(parse_u64(pid).and_then(|p| i32::try_from(p).ok())?),
        name: Some(unescape(name)),
        uid,
        total_vm_kb: total_vm,
        anon_rss_kb: kb(b"anon-rss:"),
        file_rss_kb: kb(b"file-rss:"),
        shmem_rss_kb: kb(b"shmem-rss:"),
        oom_score_adj: adj,
        has_kill_line: true,
        ..OomKill::default()
    })
}

/// Join a kill line to the summary just before it (same PID, no kill
/// line yet); else it is a kill of its own (its summary was lost).
fn join(kills: &mut Vec<OomKill>, kl: OomKill, r: Record<'_>) {
    if let Some(k) = kills.last_mut()
        && k.has_summary
        && !k.has_kill_line
        && k.pid == kl.pid
    {
        // The kill line's name is exact (found from the right of a field
        // the name cannot end); the summary's victim cgroup is re-cut
        // with it when the two disagree.
        if k.name != kl.name
            && let Some(name) = &kl.name
        {
            fix_task_memcg(k, name);
            k.name = kl.name.clone();
        }
        k.total_vm_kb = kl.total_vm_kb;
        k.anon_rss_kb = kl.anon_rss_kb;
        k.file_rss_kb = kl.file_rss_kb;
        k.shmem_rss_kb = kl.shmem_rss_kb;
        k.oom_score_adj = kl.oom_score_adj;
        k.uid = k.uid.or(kl.uid);
        k.has_kill_line = true;
        return;
    }
    let mut kl = kl;
    kl.seq = r.seq;
    kl.usec = r.usec;
    kl.constraint = if r.text.starts_with(b"Out of memory") {
        Some(Constraint::Host)
    } else {
        Some(Constraint::Memcg)
    };
    kills.push(kl);
}

/// With the true name known, the victim's cgroup is what precedes
/// `,task=NAME` at the end of the cgroup-and-name text.
fn fix_task_memcg(k: &mut OomKill, name: &[u8]) {
    let (Some(cg), Some(old)) = (&k.task_memcg, &k.name) else {
        return;
    };
    let mut joined = cg.clone();
    joined.extend_from_slice(b",task=");
    joined.extend_from_slice(old);
    let mut suffix = b",task=".to_vec();
    suffix.extend_from_slice(name);
    if let Some(cut) = joined.strip_suffix(suffix.as_slice()) {
        k.task_memcg = Some(cut.to_vec());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(s: &[u8]) -> Vec<&[u8]> {
        s.split(|&c| c == b'\n').filter(|l| !l.is_empty()).collect()
    }

    const CAPTURED: &[u8] = include_bytes!("../../tests/fixtures/kmsg/memcg-v1.kmsg");

    #[test]
    fn captured_memcg_kill() {
        let log = oom_kills(lines(CAPTURED));
        assert_eq!(log.malformed, 0);
        assert_eq!(log.kills.len(), 1);
        let k = &log.kills[0];
        assert_eq!(k.pid, Some(24490));
        assert_eq!(k.name.as_deref(), Some(&b"python3"[..]));
        assert_eq!(k.uid, Some(0));
        assert_eq!(k.constraint, Some(Constraint::Memcg));
        assert_eq!(k.oom_memcg.as_deref(), Some(&b"/proctor-oomcap-21228"[..]));
        assert_eq!(k.task_memcg.as_deref(), Some(&b"/proctor-oomcap-21228"[..]));
        assert_eq!(k.usec, 12_843_274_127);
        assert_eq!(k.seq, 13240);
        assert_eq!(k.total_vm_kb, Some(42264));
        assert_eq!(k.anon_rss_kb, Some(32512));
        assert_eq!(k.file_rss_kb, Some(6632));
        assert_eq!(k.shmem_rss_kb, Some(0));
        assert_eq!(k.oom_score_adj, Some(0));
        assert_eq!(k.usage_kb, Some(32768));
        assert_eq!(k.limit_kb, Some(32768));
        assert!(k.has_summary && k.has_kill_line);
    }

    #[test]
    fn global_oom_reconstructed() {
        let log = oom_kills(lines(include_bytes!(
            "../../tests/fixtures/kmsg/global.kmsg"
        )));
        assert_eq!(log.kills.len(), 1);
        let k = &log.kills[0];
        assert_eq!(k.constraint, Some(Constraint::Host));
        assert_eq!(k.oom_memcg, None);
        assert_eq!(k.usage_kb, None);
        assert_eq!(
            k.task_memcg.as_deref(),
            Some(&b"/user.slice/user-1000.slice/session-3.scope"[..])
        );
        assert_eq!(k.pid, Some(31337));
        assert_eq!(k.anon_rss_kb, Some(20_971_520));
    }

    #[test]
    fn hostile_name_with_separators() {
        // A name holding `,task=`, `,pid=` and `) total-vm:`, and a
        // newline and ESC escaped by the kernel.
        let name = br"a,pid=1) total-vm:\x0a\x1b";
        let mut s = b"6,1,100,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/cg,task_memcg=/cg/x,task=".to_vec();
        s.extend_from_slice(name);
        s.extend_from_slice(
            b",pid=77,uid=5\n3,2,101,-;Memory cgroup out of memory: Killed process 77 (",
        );
        s.extend_from_slice(name);
        s.extend_from_slice(b") total-vm:10kB, anon-rss:4kB, file-rss:2kB, shmem-rss:1kB, UID:5 pgtables:1kB oom_score_adj:-999\n");
        let log = oom_kills(lines(&s));
        assert_eq!(log.kills.len(), 1);
        let k = &log.kills[0];
        assert_eq!(k.pid, Some(77));
        assert_eq!(k.name.as_deref(), Some(&b"a,pid=1) total-vm:\n\x1b"[..]));
        assert_eq!(k.task_memcg.as_deref(), Some(&b"/cg/x"[..]));
        assert_eq!(k.oom_score_adj, Some(-999));
        assert_eq!(k.shmem_rss_kb, Some(1));
    }

    #[test]
    fn name_holding_task_is_recut_by_the_kill_line() {
        let s = b"6,1,100,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg=/cg,task_memcg=/cg,task=x,task=y,pid=9,uid=0\n3,2,101,-;Memory cgroup out of memory: Killed process 9 (x,task=y) total-vm:1kB, anon-rss:1kB, file-rss:1kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0\n";
        let k = &oom_kills(lines(s)).kills[0];
        assert_eq!(k.name.as_deref(), Some(&b"x,task=y"[..]));
        assert_eq!(k.task_memcg.as_deref(), Some(&b"/cg"[..]));
    }

    #[test]
    fn malformed_and_truncated() {
        let s = b"6,1,100,-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),task=x,pid=abc,uid=0\n3,2,101,-;Out of memory: Killed process 12 (x) total-vm:1kB, anon-rss:\ngarbage without a prefix\n3,3,102,-;Out of memory: Killed process 13 (y) total-vm:5kB, anon-rss:4kB, file-rss:0kB, shmem-rss:0kB, UID:0 pgtables:1kB oom_score_adj:0\n";
        let log = oom_kills(lines(s));
        assert_eq!(log.malformed, 1);
        // The truncated kill line still names its victim; its RSS is unknown.
        assert_eq!(log.kills.len(), 2);
        assert_eq!(log.kills[0].pid, Some(12));
        assert_eq!(log.kills[0].anon_rss_kb, None);
        assert_eq!(log.kills[0].constraint, Some(Constraint::Host));
        assert_eq!(log.kills[1].anon_rss_kb, Some(4));
    }

    #[test]
    fn unlimited_cgroup_limit() {
        assert_eq!(
            usage_line(b"10kB, limit 9007199254740988kB, failcnt 0"),
            Some((10, None))
        );
        assert_eq!(
            usage_line(b"10kB, limit 20kB, failcnt 0"),
            Some((10, Some(20)))
        );
    }

    #[test]
    fn unescape_kernel_escapes() {
        assert_eq!(unescape(br"a\x5cb\x0a\xzz\x"), b"a\\b\n\\xzz\\x");
    }

    #[test]
    fn record_prefix() {
        let r = record(b"6,13240,12843274127,-;hello\n SUBSYSTEM=x\n").unwrap();
        assert_eq!(
            (r.seq, r.usec, r.text),
            (13240, 12_843_274_127, &b"hello"[..])
        );
        assert_eq!(record(b"6,x,1,-;a"), None);
        assert_eq!(record(b"no prefix"), None);
        assert!(record(b"6,1,2,c,more;m").is_some());
    }
}
