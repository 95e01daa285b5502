//! Property tests for every parser in this module (proptest).
//!
//! For each parser: arbitrary bytes never panic; where the format has a
//! clear round trip (stat, status, limits, fdinfo, net lines, smaps,
//! cgroup, host files, statm, schedstat, uptime, status masks, cmdline),
//! records generated in the kernel's format parse to the values
//! generated, and a record with one corrupted number never yields a value
//! for that field. The hostile cases are fixed seeds:
//! names with `)`, newlines and spaces in stat's comm; a unix socket name
//! holding a newline and a fake record; a 1 MiB line.
//!
//! Cases: 1024 per property, or PROPTEST_CASES (`.ci/run` raises it for a
//! bounded time). All of them together take a few seconds in a debug build
//! (`cargo test --lib parse::props`).

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::test_runner::Config;

use super::*;

/// 1024 cases per property (all of them take a few seconds in a debug
/// build), or PROPTEST_CASES when set (CI raises it); no regression files
/// written into the source tree.
fn config() -> Config {
    let d = Config::default();
    Config {
        cases: if std::env::var_os("PROPTEST_CASES").is_some() {
            d.cases
        } else {
            1024
        },
        failure_persistence: None,
        ..d
    }
}

/// Bytes a hostile process would choose: mostly the separators parsers
/// split on, plus anything.
fn hostile_byte() -> impl Strategy<Value = u8> {
    prop_oneof![
        3 => prop::sample::select(vec![
            b'(', b')', b':', b' ', b'\n', b'\t', b'\0', 0xff, b'[', b']', b'-', b'=', b'@',
            b'0', b'9', b'a', b'f', b'k', b'B',
        ]),
        1 => any::<u8>(),
    ]
}

fn hostile_bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(hostile_byte(), 0..max)
}

/// Text of an unsigned field made invalid: every form here must be
/// rejected by a parser of decimal fields.
fn corrupt_decimal(n: u64, how: u8) -> String {
    match how % 7 {
        0 => format!("{n}x"),
        1 => format!("x{n}"),
        2 => format!("-{}", n.max(1)),
        3 => format!("{n}0000000000000000000000"),
        4 => format!("+{n}"),
        5 => format!("{n}.5"),
        _ => "18446744073709551616".to_string(),
    }
}

/// Every parser of this module (and the procfs-core parser proctor uses
/// for `io`) on the same bytes: none may panic.
fn every_parser(b: &[u8]) {
    let wanted: net::InodeSet = (0..64).chain([u64::MAX]).collect();
    let _ = stat::parse(b);
    let _ = status::parse(b);
    let _ = status::parse_switches(b);
    let _ = status::effective_uid(b);
    let _ = limits::find(b, "Max open files");
    let _ = cgroup::parse(b);
    let lines = cgroup::parse(b);
    let _ = cgroup::v1_memory_path(&lines);
    let _ = cgroup::v2_path(&lines);
    let _ = workload::of_lines(&lines);
    let _ = workload::from_cgroup_path(b);
    let _ = workload::from_cgroup_path(&cgroup::normalize(b));
    let _ = workload::pod_dir(b);
    let _ = workload::container_log(b);
    for proto in [
        net::Proto::Tcp,
        net::Proto::Tcp6,
        net::Proto::Udp,
        net::Proto::Udp6,
        net::Proto::Raw,
        net::Proto::Raw6,
    ] {
        let _ = net::parse_inet(b, proto, &wanted);
    }
    let _ = net::parse_unix(b, &wanted);
    for line in b.split(|&c| c == b'\n') {
        let _ = net::inet_line_inode(line);
        let _ = net::inet_line_state(line);
        let _ = net::unix_line_inode(line);
        let _ = net::parse_unix_line(line, &wanted);
        let _ = net::parse_netlink_line(line, &wanted);
    }
    let _ = net::parse_listen_counters(b);
    let _ = fdinfo::parse(b);
    let _ = fdlink::classify(b, None, &HashSet::new());
    let _ = fdlink::classify(b, Some(true), &HashSet::new());
    let _ = cmdline::split_nul(b);
    let _ = cmdline::count_nul(b);
    let _ = flat_keyed(b, "oom_kill");
    let _ = kmsg::record(b);
    let _ = kmsg::unescape(b);
    let _ = kmsg::oom_kills(b.split(|&c| c == b'\n'));
    for prefix in [
        &b"3,1,2,-;Out of memory: Killed process "[..],
        b"6,1,2,-;oom-kill:constraint=CONSTRAINT_MEMCG,",
        b"6,1,2,-;memory: usage ",
    ] {
        let mut rec = prefix.to_vec();
        rec.extend_from_slice(b);
        let _ = kmsg::oom_kills([rec.as_slice(), rec.as_slice()]);
    }
    let _ = parse_single_u64(b);
    let _ = parse_max_or_u64(b);
    let _ = host::meminfo(b);
    let _ = host::loadavg(b);
    let _ = host::psi(b);
    let _ = host::file_nr(b);
    let _ = host::cpu_list_count(b);
    let _ = host::stat_cpu_count(b);
    let _ = host::cpu_stat(b);
    let _ = host::uptime(b);
    let _ = host::kernel_version(b);
    let _ = statm::resident_bytes(b, 4096);
    let _ = statm::resident_bytes(b, u64::MAX);
    let _ = schedstat::run_time_ns(b);
    let _ = status::sig_ign(b);
    let _ = status::total_switches(b);
    let _ = status::shared_bytes(b);
    let _ = limits::nofile_soft(b);
    let _ = flat_keyed_checked(b, "oom_kill");
    let _ = cgroupfs::oom_counts(b);
    let _ = cgroupfs::inactive_file(b, true);
    let _ = cgroupfs::inactive_file(b, false);
    let _ = cgroupfs::throttling(b);
    let _ = cgroupfs::cpu_max(b);
    let _ = cgroupfs::cfs_quota(b, b);
    let _ = entry_number(b);
    let _ = smaps::header_path_start(b);
    let _ = smaps::parse_rollup(b);
    let _ = smaps::parse_smaps(b);
    let mut out = Vec::new();
    let _ = diag::parse_chunk(b, &wanted, &mut out);
    let mut inodes = Vec::new();
    let _ = diag::parse_inodes_chunk(b, u32::MAX, &mut inodes);
    let _ = http::scan(b, 8192);
    let _ = http::scan(b, b.len() / 2);
    use procfs_core::FromRead;
    let _ = procfs_core::process::Io::from_read(b);
}

// ------------------------------------------------------------- no panic

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(b in hostile_bytes(600)) {
        every_parser(&b);
    }

    #[test]
    fn truly_random_bytes_never_panic(b in vec(any::<u8>(), 0..600)) {
        every_parser(&b);
    }

    /// Captured files with a few bytes changed, cut or inserted.
    #[test]
    fn mutated_captured_files_never_panic(
        seed in 0usize..SEEDS.len(),
        edits in vec((any::<prop::sample::Index>(), 0u8..3, hostile_byte()), 0..8),
    ) {
        let mut b = SEEDS[seed].to_vec();
        for (at, how, byte) in edits {
            if b.is_empty() {
                break;
            }
            let i = at.index(b.len());
            match how {
                0 => b[i] = byte,
                1 => b.truncate(i),
                _ => b.insert(i, byte),
            }
        }
        every_parser(&b);
    }

    /// Netlink buffers: a well-formed header of any length and type, then
    /// anything.
    #[test]
    fn netlink_buffers_never_panic(
        len in 0u32..400,
        kind in prop::sample::select(vec![2u16, 3, 20, 0, 0xffff]),
        body in vec(any::<u8>(), 0..400),
    ) {
        let mut b = len.to_ne_bytes().to_vec();
        b.extend_from_slice(&kind.to_ne_bytes());
        b.extend_from_slice(&[0; 10]);
        b.extend_from_slice(&body);
        let wanted: net::InodeSet = (0..1000).collect();
        let mut out = Vec::new();
        let _ = diag::parse_chunk(&b, &wanted, &mut out);
        let mut inodes = Vec::new();
        let _ = diag::parse_inodes_chunk(&b, 1 << 8, &mut inodes);
    }
}

pub(super) const SEEDS: [&[u8]; 15] = [
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/io"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/smaps_rollup"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/stat"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/status"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/limits"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/cgroup"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/net/tcp"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/4242/net/unix"),
    include_bytes!("../../tests/fixtures/v1-basic/proc/meminfo"),
    b"0.52 1.25 2.00 3/412 98765\n",
    b"some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n",
    b"pos:\t0\nflags:\t02100002\nmnt_id:\t15\nino:\t1234\n",
    include_bytes!("../../tests/fixtures/v1-basic/proc/uptime"),
    // statm and schedstat of a bash on Linux 6.18.
    b"1284 1044 785 193 0 303 0\n",
    b"43445117 17142263 145\n",
];

/// A 1 MiB line, alone and inside each file's shape: parsed (or refused)
/// without a panic, and where the line is a name, the name is kept whole.
#[test]
fn a_one_mib_line() {
    let big = vec![b'x'; 1 << 20];
    every_parser(&big);
    let mut spaced = big.clone();
    for i in (0..spaced.len()).step_by(7) {
        spaced[i] = b' ';
    }
    every_parser(&spaced);
    let mut colons = big.clone();
    for i in (0..colons.len()).step_by(5) {
        colons[i] = b':';
    }
    every_parser(&colons);

    // stat: a 1 MiB name (no kernel allows it; a crafted --proc-root does).
    let mut line = b"42 (".to_vec();
    line.extend_from_slice(&big);
    line.extend_from_slice(&stat_tail(&StatRec::plain()));
    let s = stat::parse(&line).unwrap();
    assert_eq!(s.comm.len(), 1 << 20);
    assert_eq!(s.utime, StatRec::plain().utime);

    // unix: a 1 MiB socket name on a wanted record (no kernel name is
    // longer than 108 bytes: kept to that, never held whole).
    let mut t = UNIX_HEADER.to_vec();
    t.extend_from_slice(b"0000000000000000: 00000002 00000000 00010000 0001 01 77 @");
    t.extend_from_slice(&big);
    t.push(b'\n');
    let wanted: net::InodeSet = [77].into_iter().collect();
    let u = net::parse_unix(&t, &wanted);
    assert_eq!(u.len(), 1);
    assert!(u[0].listening);
    assert!(u[0].path.starts_with(b"@xxx"));
    assert!(u[0].path.len() <= 108, "{}", u[0].path.len());

    // status: a 1 MiB name line, then the values.
    let mut st = b"Name:\t".to_vec();
    st.extend_from_slice(&big);
    st.extend_from_slice(b"\nVmRSS:\t    1024 kB\nThreads:\t3\n");
    let s = status::parse(&st).unwrap();
    assert_eq!(s.name.map(|n| n.len()), Some(1 << 20));
    assert_eq!(s.vm_rss, Some(1 << 20));
    assert_eq!(s.threads, Some(3));

    // smaps: a 1 MiB path.
    let mut sm = b"7f0000000000-7f0000001000 r--p 00000000 fd:01 12 ".to_vec();
    sm.extend_from_slice(&big);
    sm.extend_from_slice(b"\nSize:                  4 kB\nRss:                   4 kB\n");
    let m = smaps::parse_smaps(&sm);
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].path.len(), 1 << 20);
    assert_eq!(m[0].rss, Some(4096));
}

// ------------------------------------------------------------------ stat

#[derive(Debug, Clone)]
struct StatRec {
    pid: i32,
    comm: Vec<u8>,
    state: u8,
    ppid: i32,
    flags: u64,
    utime: u64,
    stime: u64,
    nice: i64,
    num_threads: u64,
    starttime: u64,
    vsize: u64,
    rss: u64,
    exit_code: u64,
}

impl StatRec {
    fn plain() -> StatRec {
        StatRec {
            pid: 42,
            comm: b"x".to_vec(),
            state: b'S',
            ppid: 1,
            flags: 4194304,
            utime: 7,
            stime: 3,
            nice: 0,
            num_threads: 1,
            starttime: 91424,
            vsize: 2330624,
            rss: 256,
            exit_code: 0,
        }
    }
}

/// Fields 3..=52 of a stat line as the kernel prints them, from `) `.
fn stat_fields(r: &StatRec) -> Vec<String> {
    let mut f: Vec<String> = (3..=52).map(|n| (n * 11).to_string()).collect();
    let mut set = |n: usize, v: String| f[n - 3] = v;
    set(3, char::from(r.state).to_string());
    set(4, r.ppid.to_string());
    set(9, r.flags.to_string());
    set(14, r.utime.to_string());
    set(15, r.stime.to_string());
    set(19, r.nice.to_string());
    set(20, r.num_threads.to_string());
    set(22, r.starttime.to_string());
    set(23, r.vsize.to_string());
    set(24, r.rss.to_string());
    set(52, r.exit_code.to_string());
    f
}

fn stat_tail(r: &StatRec) -> Vec<u8> {
    format!(") {}\n", stat_fields(r).join(" ")).into_bytes()
}

fn stat_line(r: &StatRec, fields: &[String]) -> Vec<u8> {
    let mut b = format!("{} (", r.pid).into_bytes();
    b.extend_from_slice(&r.comm);
    b.extend_from_slice(format!(") {}\n", fields.join(" ")).as_bytes());
    b
}

fn stat_rec() -> impl Strategy<Value = StatRec> {
    (
        (
            0..i32::MAX,
            prop_oneof![
                // Hostile names: `)`, newlines, spaces, `(`, fake fields.
                3 => hostile_bytes(40),
                1 => Just(b") S 1 1 1 0 -1 4194304".to_vec()),
                1 => Just(b"a) b\n) S (\xff".to_vec()),
                1 => Just(b"))))".to_vec()),
                1 => Just(b" \n ".to_vec()),
            ],
            prop::sample::select(b"RSDZTtXIPWK".to_vec()),
            0..i32::MAX,
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        ),
        (
            -i64::MAX..=i64::MAX,
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
            any::<u64>(),
        ),
    )
        .prop_map(
            |(
                (pid, comm, state, ppid, flags, utime, stime),
                (nice, num_threads, starttime, vsize, rss, exit_code),
            )| StatRec {
                pid,
                comm,
                state,
                ppid,
                flags,
                utime,
                stime,
                nice,
                num_threads,
                starttime,
                vsize,
                rss,
                exit_code,
            },
        )
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn stat_round_trip(r in stat_rec()) {
        let s = stat::parse(&stat_line(&r, &stat_fields(&r))).unwrap();
        prop_assert_eq!(s.pid, r.pid);
        prop_assert_eq!(&s.comm, &r.comm);
        prop_assert_eq!(s.state, r.state);
        prop_assert_eq!(s.ppid, r.ppid);
        prop_assert_eq!(s.flags, r.flags);
        // Field 7 is the filler (7 * 11) in these lines.
        prop_assert_eq!(s.tty_nr, Some(77));
        prop_assert_eq!(s.utime, r.utime);
        prop_assert_eq!(s.stime, r.stime);
        prop_assert_eq!(s.nice, r.nice);
        prop_assert_eq!(s.num_threads, r.num_threads);
        prop_assert_eq!(s.starttime, r.starttime);
        prop_assert_eq!(s.vsize, r.vsize);
        prop_assert_eq!(s.rss_pages, r.rss);
        prop_assert_eq!(s.exit_code, Some(r.exit_code));
    }

    /// One corrupted number: the line is refused, naming that field (every
    /// field proctor reads from stat is required), or for the optional
    /// exit code, no exit code.
    #[test]
    fn stat_corrupted_number_is_never_a_value(
        r in stat_rec(),
        which in prop::sample::select(vec![
            (4, "ppid"), (9, "flags"), (14, "utime"), (15, "stime"), (19, "nice"),
            (20, "num_threads"), (22, "starttime"), (23, "vsize"), (24, "rss"), (52, "exit_code"),
        ]),
        how in any::<u8>(),
    ) {
        let (n, name) = which;
        // Signed fields legitimately carry a sign.
        let how = if matches!(n, 4 | 19) && how % 7 == 2 { 0 } else { how };
        let mut f = stat_fields(&r);
        f[n - 3] = corrupt_decimal(11, how);
        let parsed = stat::parse(&stat_line(&r, &f));
        if n == 52 {
            prop_assert_eq!(parsed.unwrap().exit_code, None);
        } else {
            prop_assert_eq!(parsed.map(|_| ()), Err(ParseFail { field: name }));
        }
    }
}

// ---------------------------------------------------------------- status

#[derive(Debug, Clone)]
struct StatusRec {
    name: Vec<u8>,
    state: u8,
    ppid: u32,
    uid: [u32; 4],
    /// kB: VmPeak, VmSize, VmHWM, VmRSS, RssAnon, RssFile, RssShmem, VmSwap.
    kb: [u64; 8],
    threads: u64,
    vol: u64,
    nonvol: u64,
}

const KB_KEYS: [&str; 8] = [
    "VmPeak", "VmSize", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmSwap",
];

/// The lines of a status file as the kernel writes them; `kb_text` and
/// `plain_text` override a value's text (for corruption).
fn status_text(r: &StatusRec, over: Option<(&str, &str)>) -> Vec<u8> {
    let v = |key: &str, default: String| match over {
        Some((k, t)) if k == key => t.to_string(),
        _ => default,
    };
    let mut b = b"Name:\t".to_vec();
    b.extend_from_slice(&r.name);
    b.extend_from_slice(b"\nUmask:\t0022\n");
    let mut s = format!(
        "State:\t{} (sleeping)\nTgid:\t1\nNgid:\t0\nPid:\t1\n",
        r.state as char
    );
    s += &format!("PPid:\t{}\nTracerPid:\t0\n", v("PPid", r.ppid.to_string()));
    s += &format!(
        "Uid:\t{}\nGid:\t0\t0\t0\t0\nFDSize:\t64\nGroups:\t0 \n",
        v("Uid", r.uid.map(|u| u.to_string()).join("\t"))
    );
    for (k, n) in KB_KEYS.iter().zip(r.kb) {
        s += &format!("{k}:\t{:>8} kB\n", v(k, n.to_string()));
    }
    s += &format!("Threads:\t{}\n", v("Threads", r.threads.to_string()));
    s += &format!(
        "voluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n",
        v("voluntary_ctxt_switches", r.vol.to_string()),
        v("nonvoluntary_ctxt_switches", r.nonvol.to_string())
    );
    b.extend_from_slice(s.as_bytes());
    b
}

fn status_rec() -> impl Strategy<Value = StatusRec> {
    (
        // The kernel escapes `\n` in this file's name (as `\n`): any other
        // byte appears raw.
        vec(
            hostile_byte().prop_filter("no newline", |c| *c != b'\n'),
            0..40,
        ),
        prop::sample::select(b"RSDZTtXI".to_vec()),
        0..=i32::MAX as u32,
        any::<[u32; 4]>(),
        any::<[u64; 8]>().prop_map(|a| a.map(|v| v >> 10)),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(
            |(name, state, ppid, uid, kb, threads, vol, nonvol)| StatusRec {
                name,
                state,
                ppid,
                uid,
                kb,
                threads,
                vol,
                nonvol,
            },
        )
}

fn kb_fields(s: &status::Status) -> [Option<u64>; 8] {
    [
        s.vm_peak,
        s.vm_size,
        s.vm_hwm,
        s.vm_rss,
        s.rss_anon,
        s.rss_file,
        s.rss_shmem,
        s.vm_swap,
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn status_round_trip(r in status_rec()) {
        let text = status_text(&r, None);
        let s = status::parse(&text).unwrap();
        prop_assert_eq!(s.name.as_deref(), Some(&r.name[..]));
        prop_assert_eq!(s.state, Some(r.state));
        prop_assert_eq!(s.ppid, Some(r.ppid as i32));
        prop_assert_eq!(s.uid, Some(r.uid));
        prop_assert_eq!(kb_fields(&s), r.kb.map(|k| Some(k * 1024)));
        prop_assert_eq!(s.threads, Some(r.threads));
        prop_assert_eq!(s.voluntary_ctxt_switches, Some(r.vol));
        prop_assert_eq!(s.nonvoluntary_ctxt_switches, Some(r.nonvol));
        prop_assert_eq!(status::effective_uid(&text), Some(r.uid[1]));
        let sw = status::parse_switches(&text);
        prop_assert_eq!(sw.voluntary_ctxt_switches, Some(r.vol));
        prop_assert_eq!(sw.nonvoluntary_ctxt_switches, Some(r.nonvol));
    }

    /// A corrupted number is never a value: that field is None (the rest
    /// still parse).
    #[test]
    fn status_corrupted_number_is_never_a_value(
        r in status_rec(),
        key in prop::sample::select(vec![
            "VmPeak", "VmSize", "VmHWM", "VmRSS", "RssAnon", "RssFile", "RssShmem", "VmSwap",
            "PPid", "Threads", "voluntary_ctxt_switches", "nonvoluntary_ctxt_switches",
        ]),
        how in any::<u8>(),
    ) {
        let bad = corrupt_decimal(5, how);
        let s = status::parse(&status_text(&r, Some((key, &bad)))).unwrap();
        let got = match key {
            "PPid" => s.ppid.map(|p| p as u64),
            "Threads" => s.threads,
            "voluntary_ctxt_switches" => s.voluntary_ctxt_switches,
            "nonvoluntary_ctxt_switches" => s.nonvoluntary_ctxt_switches,
            k => kb_fields(&s)[KB_KEYS.iter().position(|x| *x == k).unwrap()],
        };
        prop_assert_eq!(got, None, "{} = {:?}", key, bad);
        // Another field is unaffected.
        prop_assert_eq!(s.uid, Some(r.uid));
    }

    #[test]
    fn status_corrupted_uid_is_never_a_value(r in status_rec(), how in any::<u8>()) {
        let mut ids = r.uid.map(|u| u.to_string());
        ids[(how % 4) as usize] = corrupt_decimal(7, how / 4);
        let text = status_text(&r, Some(("Uid", &ids.join("\t"))));
        prop_assert_eq!(status::parse(&text).unwrap().uid, None);
        prop_assert_eq!(status::effective_uid(&text), None);
    }
}

// ---------------------------------------------------------------- limits

const LIMIT_ROWS: [(&str, &str); 16] = [
    ("Max cpu time", "seconds"),
    ("Max file size", "bytes"),
    ("Max data size", "bytes"),
    ("Max stack size", "bytes"),
    ("Max core file size", "bytes"),
    ("Max resident set", "bytes"),
    ("Max processes", "processes"),
    ("Max open files", "files"),
    ("Max locked memory", "bytes"),
    ("Max address space", "bytes"),
    ("Max file locks", "locks"),
    ("Max pending signals", "signals"),
    ("Max msgqueue size", "bytes"),
    ("Max nice priority", ""),
    ("Max realtime priority", ""),
    ("Max realtime timeout", "us"),
];

fn limit_text(v: Option<u64>) -> String {
    v.map_or_else(|| "unlimited".to_string(), |n| n.to_string())
}

fn limits_file(
    values: &[(Option<u64>, Option<u64>)],
    over: Option<(usize, bool, &str)>,
) -> Vec<u8> {
    let mut s = format!(
        "{:<26}{:<21}{:<21}{:<10}\n",
        "Limit", "Soft Limit", "Hard Limit", "Units"
    );
    for (i, ((name, unit), (soft, hard))) in LIMIT_ROWS.iter().zip(values).enumerate() {
        let (mut a, mut b) = (limit_text(*soft), limit_text(*hard));
        if let Some((row, hard_col, t)) = over {
            if row == i {
                if hard_col {
                    b = t.to_string();
                } else {
                    a = t.to_string();
                }
            }
        }
        s += &format!("{name:<26}{a:<21}{b:<21}{unit:<10}\n");
    }
    s.into_bytes()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn limits_round_trip(values in vec((any::<Option<u64>>(), any::<Option<u64>>()), 16)) {
        let b = limits_file(&values, None);
        for ((name, _), (soft, hard)) in LIMIT_ROWS.iter().zip(&values) {
            prop_assert_eq!(
                limits::find(&b, name),
                Some(limits::Limit { soft: *soft, hard: *hard }),
                "{}", name
            );
        }
    }

    #[test]
    fn limits_corrupted_number_is_never_a_value(
        values in vec((any::<Option<u64>>(), any::<Option<u64>>()), 16),
        row in 0usize..16,
        hard in any::<bool>(),
        how in any::<u8>(),
    ) {
        let bad = if how % 8 == 7 { "unlimitedx".to_string() } else { corrupt_decimal(1024, how) };
        let b = limits_file(&values, Some((row, hard, &bad)));
        prop_assert_eq!(limits::find(&b, LIMIT_ROWS[row].0), None);
    }
}

// ---------------------------------------------------------------- fdinfo

proptest! {
    #![proptest_config(config())]

    #[test]
    fn listen_counters_round_trip(
        before in vec(any::<u32>(), 0..5), o in any::<u64>(), d in any::<u64>(), how in any::<u8>(),
        corrupt in any::<bool>(),
    ) {
        let names: Vec<String> = (0..before.len()).map(|i| format!("Key{i}")).collect();
        let vals: Vec<String> = before.iter().map(u32::to_string).collect();
        let ov = if corrupt { corrupt_decimal(o, how) } else { o.to_string() };
        let b = format!(
            "TcpExt: {} ListenOverflows ListenDrops\nTcpExt: {} {ov} {d}\nIpExt: A\nIpExt: 1\n",
            names.join(" "),
            vals.join(" ")
        );
        let c = net::parse_listen_counters(b.as_bytes());
        prop_assert_eq!(c.overflows, (!corrupt).then_some(o));
        prop_assert_eq!(c.drops, Some(d));
    }

    #[test]
    fn netlink_line_round_trip(proto in 0u32..32, inode in 1u64..u64::MAX, pid in any::<u32>()) {
        let line = format!("ffff8f2b4a2c9000 {proto:<3} {pid:<10} 00000000 0        0        0     2        0        {inode}");
        let wanted: net::InodeSet = [inode].into_iter().collect();
        let s = net::parse_netlink_line(line.as_bytes(), &wanted);
        prop_assert_eq!(s, Some(net::NetlinkSocket { inode, protocol: proto }));
        prop_assert_eq!(net::parse_netlink_line(line.as_bytes(), &net::InodeSet::default()), None);
    }

    #[test]
    fn fdinfo_round_trip(pos in any::<u64>(), flags in any::<u64>(), mnt in any::<u64>()) {
        let flags = flags >> 1;
        let b = format!("pos:\t{pos}\nflags:\t0{flags:o}\nmnt_id:\t{mnt}\nino:\t1234\n");
        prop_assert_eq!(
            fdinfo::parse(b.as_bytes()),
            fdinfo::FdInfo { pos: Some(pos), flags: Some(flags), mnt_id: Some(mnt), invalid: 0 }
        );
    }

    #[test]
    fn fdinfo_corrupted_number_is_never_a_value(
        pos in any::<u64>(), which in 0u8..3, how in any::<u8>(),
    ) {
        let bad = if which == 1 && how % 8 == 7 { "0128".to_string() } else { corrupt_decimal(17, how) };
        let f = |i: u8, good: String| if i == which { bad.clone() } else { good };
        let b = format!(
            "pos:\t{}\nflags:\t{}\nmnt_id:\t{}\n",
            f(0, pos.to_string()),
            f(1, "02".to_string()),
            f(2, "15".to_string())
        );
        let i = fdinfo::parse(b.as_bytes());
        let got = [i.pos, i.flags, i.mnt_id][which as usize];
        prop_assert_eq!(got, None, "{:?}", bad);
    }
}

// ------------------------------------------------------------ net: inet

fn inet_socket() -> impl Strategy<Value = net::InetSocket> {
    (
        prop::sample::select(vec![
            net::Proto::Tcp,
            net::Proto::Tcp6,
            net::Proto::Udp,
            net::Proto::Udp6,
            net::Proto::Raw,
            net::Proto::Raw6,
        ]),
        1..u64::MAX,
        any::<[u8; 16]>(),
        any::<[u8; 16]>(),
        any::<(u16, u16, u8, u32, u32)>(),
    )
        .prop_map(|(proto, inode, a, b, (pa, pb, state, tx, rx))| {
            let ip = |x: [u8; 16]| {
                if proto.is_v6() {
                    IpAddr::V6(Ipv6Addr::from(x))
                } else {
                    IpAddr::V4(Ipv4Addr::new(x[0], x[1], x[2], x[3]))
                }
            };
            net::InetSocket {
                proto,
                inode,
                local: SocketAddr::new(ip(a), pa),
                remote: SocketAddr::new(ip(b), pb),
                state,
                tx_queue: u64::from(tx),
                rx_queue: u64::from(rx),
                backlog: None,
            }
        })
}

/// An address as /proc/net/{tcp,tcp6,...} prints it: each 32-bit word of
/// the network-order address as a native-endian integer, `%08X`.
fn proc_addr(a: &SocketAddr) -> String {
    let ip = match a.ip() {
        IpAddr::V4(v4) => format!("{:08X}", u32::from_ne_bytes(v4.octets())),
        IpAddr::V6(v6) => {
            let o = v6.octets();
            (0..4)
                .map(|i| {
                    let w: [u8; 4] = o[i * 4..i * 4 + 4].try_into().unwrap();
                    format!("{:08X}", u32::from_ne_bytes(w))
                })
                .collect()
        }
    };
    format!("{ip}:{:04X}", a.port())
}

/// Column texts of a table line: sl, local, remote, st, queues, tr/tm,
/// retrnsmt, uid, timeout, inode, rest.
fn inet_cols(s: &net::InetSocket, sl: usize) -> Vec<String> {
    vec![
        format!("{sl:4}:"),
        proc_addr(&s.local),
        proc_addr(&s.remote),
        format!("{:02X}", s.state),
        format!("{:08X}:{:08X}", s.tx_queue, s.rx_queue),
        "00:00000000".into(),
        "00000000".into(),
        "    0".into(),
        "       0".into(),
        s.inode.to_string(),
        "1 0000000000000000 100 0 0 10 0".into(),
    ]
}

const INET_HEADER: &str = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n";

proptest! {
    #![proptest_config(config())]

    /// Generated sockets of one protocol, among lines of sockets not
    /// wanted: exactly the wanted ones come back, with their values.
    #[test]
    fn inet_round_trip(mut socks in vec(inet_socket(), 1..12), others in vec(inet_socket(), 0..6)) {
        let proto = socks[0].proto;
        for s in socks.iter_mut() {
            let same = inet_socket_as(s, proto);
            *s = same;
        }
        // Distinct inodes; the unwanted lines use others.
        let mut seen = HashSet::new();
        socks.retain(|s| seen.insert(s.inode));
        let wanted: net::InodeSet = socks.iter().map(|s| s.inode).collect();
        let mut t = INET_HEADER.to_string();
        for (i, s) in socks.iter().enumerate() {
            t += &inet_cols(s, i).join(" ");
            t.push('\n');
            if let Some(o) = others.get(i) {
                if !wanted.contains(&o.inode) {
                    t += &inet_cols(&inet_socket_as(o, proto), 100 + i).join(" ");
                    t.push('\n');
                }
            }
        }
        let got = net::parse_inet(t.as_bytes(), proto, &wanted);
        prop_assert_eq!(&got, &socks);
        for line in t.lines().skip(1) {
            let inode = net::inet_line_inode(line.as_bytes()).unwrap();
            prop_assert!(inode > 0);
        }
    }

    /// One corrupted number in a wanted line: the line yields no socket
    /// (never one with a made-up value in that column).
    #[test]
    fn inet_corrupted_number_is_never_a_value(
        s in inet_socket(),
        col in prop::sample::select(vec![1usize, 2, 3, 4, 9]),
        how in any::<u8>(),
    ) {
        let mut c = inet_cols(&s, 0);
        let wanted: net::InodeSet = [s.inode].into_iter().collect();
        c[col] = match (col, how % 4) {
            // local/remote: a bad hex digit in the address or the port
            (1 | 2, 0) => c[col].replacen(|ch: char| ch.is_ascii_hexdigit(), "g", 1),
            (1 | 2, 1) => format!("{}Z", c[col]),
            (1 | 2, 2) => c[col].replace(':', ""),
            (1 | 2, _) => format!("{}:{}", &c[col][..c[col].len() - 5], "1FFFF"),
            // state
            (3, 0) => "0x1".into(),
            (3, 1) => "1FF".into(),
            (3, 2) => "+A".into(),
            (3, _) => "G1".into(),
            // queues: tx or rx
            (4, 0) => format!("{}:0000000Z", &c[col][..8]),
            (4, 1) => format!("Z0000000:{}", &c[col][9..]),
            (4, 2) => format!("{}:", &c[col][..8]),
            (4, _) => format!("{}:11112222333344445", &c[col][..8]),
            // inode
            (_, h) => corrupt_decimal(s.inode, h),
        };
        let t = format!("{INET_HEADER}{}\n", c.join(" "));
        let got = net::parse_inet(t.as_bytes(), s.proto, &wanted);
        prop_assert!(got.is_empty(), "column {} = {:?}: {:?}", col, c[col], got);
    }
}

fn inet_socket_as(s: &net::InetSocket, proto: net::Proto) -> net::InetSocket {
    let fix = |a: SocketAddr| {
        let ip = match (a.ip(), proto.is_v6()) {
            (IpAddr::V4(v4), true) => IpAddr::V6(v4.to_ipv6_mapped()),
            (IpAddr::V6(v6), false) => {
                let o = v6.octets();
                IpAddr::V4(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
            }
            (ip, _) => ip,
        };
        SocketAddr::new(ip, a.port())
    };
    net::InetSocket {
        proto,
        local: fix(s.local),
        remote: fix(s.remote),
        ..s.clone()
    }
}

// ------------------------------------------------------------ net: unix

const UNIX_HEADER: &[u8] = b"Num       RefCount Protocol Flags    Type St Inode Path\n";

#[derive(Debug, Clone)]
struct UnixRec {
    inode: u64,
    flags: u32,
    sock_type: u16,
    state: u8,
    path: Vec<u8>,
}

fn unix_line(r: &UnixRec, slot: u64) -> Vec<u8> {
    let mut b = format!(
        "{slot:016x}: 00000002 00000000 {:08X} {:04X} {:02X} {:5}",
        r.flags, r.sock_type, r.state, r.inode
    )
    .into_bytes();
    if !r.path.is_empty() {
        b.push(b' ');
        b.extend_from_slice(&r.path);
    }
    b.push(b'\n');
    b
}

fn unix_rec(path: impl Strategy<Value = Vec<u8>>) -> impl Strategy<Value = UnixRec> {
    (
        1..u64::MAX,
        prop::sample::select(vec![0u32, 0x10000]),
        prop::sample::select(vec![1u16, 2, 5]),
        1u8..5,
        path,
    )
        .prop_map(|(inode, flags, sock_type, state, path)| UnixRec {
            inode,
            flags,
            sock_type,
            state,
            path,
        })
}

/// Names the kernel prints: a path or `@abstract`; never a NUL (printed
/// as `@`); no newline here (see the hostile tests for those).
fn unix_name() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        3 => vec(hostile_byte().prop_filter("no NUL or newline", |c| *c != 0 && *c != b'\n'), 1..60)
            .prop_map(|mut v| { if v[0] == b' ' { v[0] = b'/'; } v }),
    ]
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn unix_round_trip(recs in vec(unix_rec(unix_name()), 1..12)) {
        let mut seen = HashSet::new();
        let recs: Vec<UnixRec> = recs.into_iter().filter(|r| seen.insert(r.inode)).collect();
        let mut t = UNIX_HEADER.to_vec();
        for (i, r) in recs.iter().enumerate() {
            t.extend_from_slice(&unix_line(r, 0xffff_8880_0000_0000 + i as u64 * 0x40));
        }
        let wanted: net::InodeSet = recs.iter().map(|r| r.inode).collect();
        let got = net::parse_unix(&t, &wanted);
        prop_assert_eq!(got.len(), recs.len());
        for (g, r) in got.iter().zip(&recs) {
            prop_assert_eq!(g.inode, r.inode);
            prop_assert_eq!(g.sock_type, r.sock_type);
            prop_assert_eq!(g.state, r.state);
            prop_assert_eq!(g.listening, r.flags & 0x10000 != 0);
            prop_assert_eq!(&g.path, &r.path);
        }
    }

    /// A name holding newlines (whose continuation lines do not look like
    /// records) is kept whole, and the records after it are intact.
    #[test]
    fn unix_names_with_newlines(
        a in unix_rec(vec(hostile_byte().prop_filter("no NUL", |c| *c != 0), 1..60)),
        b in unix_rec(unix_name()),
    ) {
        prop_assume!(a.inode != b.inode);
        let mut t = UNIX_HEADER.to_vec();
        t.extend_from_slice(&unix_line(&a, 0x10));
        t.extend_from_slice(&unix_line(&b, 0x20));
        let lines_look_like_records = a
            .path
            .split(|&c| c == b'\n')
            .skip(1)
            .any(|l| net::unix_line_inode(l).is_some() || l.iter().position(|&c| c == b':').is_some_and(|i| i > 0 && l[..i].iter().all(u8::is_ascii_hexdigit)));
        prop_assume!(!lines_look_like_records);
        // A trailing newline in a name is ambiguous with the line's end.
        prop_assume!(a.path.last() != Some(&b'\n') && a.path.first() != Some(&b' '));
        let wanted: net::InodeSet = [a.inode, b.inode].into_iter().collect();
        let got = net::parse_unix(&t, &wanted);
        prop_assert_eq!(got.len(), 2);
        prop_assert_eq!(&got[0].path, &a.path);
        prop_assert_eq!(got[1].inode, b.inode);
        prop_assert_eq!(&got[1].path, &b.path);
    }

    #[test]
    fn unix_corrupted_inode_is_never_a_value(r in unix_rec(unix_name()), how in any::<u8>()) {
        let line = unix_line(&r, 1);
        let text = String::from_utf8_lossy(&line).into_owned();
        let cols: Vec<&str> = text.split_whitespace().collect();
        let bad = corrupt_decimal(r.inode, how);
        let mut t = UNIX_HEADER.to_vec();
        t.extend_from_slice(
            format!("{} {} {} {} {} {} {}\n", cols[0], cols[1], cols[2], cols[3], cols[4], cols[5], bad)
                .as_bytes(),
        );
        let wanted: net::InodeSet = [r.inode].into_iter().collect();
        prop_assert!(net::parse_unix(&t, &wanted).is_empty());
    }
}

/// The forged-socket attack of issue 9: an unprivileged process binds an
/// abstract socket whose name holds a newline and a whole fake record
/// naming the victim's socket inode as a LISTEN socket on
/// /run/docker.sock. The victim's inode comes back once, never as that
/// listener, wherever the attacker's record sits.
#[test]
fn unix_forged_record_in_a_name() {
    let victim = 4242_u64;
    let fake = format!(
        "@x\n0000000000000000: 00000002 00000000 00010000 0001 01 {victim} /run/docker.sock"
    );
    let attacker = UnixRec {
        inode: 999,
        flags: 0,
        sock_type: 1,
        state: 1,
        path: fake.into_bytes(),
    };
    let real = UnixRec {
        inode: victim,
        flags: 0,
        sock_type: 1,
        state: 3,
        path: Vec::new(),
    };
    for order in [[&attacker, &real], [&real, &attacker]] {
        let mut t = UNIX_HEADER.to_vec();
        for (i, r) in order.iter().enumerate() {
            t.extend_from_slice(&unix_line(r, 0x100 + i as u64));
        }
        for wanted in [vec![victim], vec![victim, 999]] {
            let wanted: net::InodeSet = wanted.into_iter().collect();
            let got = net::parse_unix(&t, &wanted);
            let v: Vec<&net::UnixSocket> = got.iter().filter(|s| s.inode == victim).collect();
            assert_eq!(v.len(), 1, "{got:?}");
            assert!(!v[0].listening, "{got:?}");
            assert!(!v[0].path.windows(6).any(|w| w == b"docker"), "{got:?}");
        }
    }
}

// ------------------------------------------------------------------ smaps

fn mapping() -> impl Strategy<Value = smaps::Mapping> {
    (
        (0u64..1 << 47, 1u64..1 << 20),
        (
            prop::sample::select(vec![b'r', b'-']),
            prop::sample::select(vec![b'w', b'-']),
            prop::sample::select(vec![b'x', b'-']),
            prop::sample::select(vec![b'p', b's']),
        ),
        any::<u64>(),
        any::<u64>(),
        prop_oneof![
            1 => Just(Vec::new()),
            1 => Just(b"[heap]".to_vec()),
            3 => vec(hostile_byte().prop_filter("no newline", |c| *c != b'\n'), 1..50)
                .prop_map(|mut v| { if v[0] == b' ' { v[0] = b'/'; } v }),
        ],
        any::<[u64; 5]>().prop_map(|a| a.map(|v| v >> 10)),
    )
        .prop_map(
            |((start, pages), (r, w, x, p), offset, inode, path, kb)| smaps::Mapping {
                start,
                end: start + pages * 4096,
                perms: [r, w, x, p],
                offset,
                dev: b"fd:01".to_vec(),
                inode,
                path,
                size: Some(kb[0] * 1024),
                rss: Some(kb[1] * 1024),
                pss: Some(kb[2] * 1024),
                swap: Some(kb[3] * 1024),
                anonymous: Some(kb[4] * 1024),
            },
        )
}

const SMAPS_KEYS: [&str; 5] = ["Size", "Rss", "Pss", "Swap", "Anonymous"];

fn smaps_block(m: &smaps::Mapping, over: Option<(&str, &str)>) -> Vec<u8> {
    let mut b = format!(
        "{:x}-{:x} {} {:08x} fd:01 {:<26}",
        m.start,
        m.end,
        String::from_utf8_lossy(&m.perms),
        m.offset,
        m.inode
    )
    .into_bytes();
    if !m.path.is_empty() {
        b.push(b' ');
        b.extend_from_slice(&m.path);
    }
    b.push(b'\n');
    let vals = [m.size, m.rss, m.pss, m.swap, m.anonymous].map(|v| v.unwrap_or(0));
    for (k, v) in SMAPS_KEYS.iter().zip(vals) {
        let t = match over {
            Some((key, t)) if key == *k => t.to_string(),
            _ => (v / 1024).to_string(),
        };
        b.extend_from_slice(format!("{:<16}{t:>8} kB\n", format!("{k}:")).as_bytes());
        if *k == "Pss" {
            b.extend_from_slice(b"Shared_Clean:          0 kB\nPrivate_Dirty:         0 kB\n");
        }
    }
    b.extend_from_slice(b"VmFlags: rd mr mw me ac sd \n");
    b
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn smaps_round_trip(maps in vec(mapping(), 0..10)) {
        let mut t = Vec::new();
        for m in &maps {
            t.extend_from_slice(&smaps_block(m, None));
        }
        let got = smaps::parse_smaps(&t);
        prop_assert_eq!(got.len(), maps.len());
        for (g, m) in got.iter().zip(&maps) {
            // The path column starts after padding: leading spaces of a
            // name cannot be told from it (generated names never start
            // with one); the rest is kept whole.
            prop_assert_eq!(g, m);
        }
    }

    #[test]
    fn smaps_rollup_round_trip(kb in any::<[u64; 5]>()) {
        let kb = kb.map(|v| v >> 10);
        let mut t = b"00400000-7fff00000000 ---p 00000000 00:00 0                          [rollup]\n".to_vec();
        for (k, v) in SMAPS_KEYS.iter().zip(kb) {
            t.extend_from_slice(format!("{:<16}{v:>8} kB\n", format!("{k}:")).as_bytes());
        }
        let r = smaps::parse_rollup(&t).unwrap();
        for (k, v) in SMAPS_KEYS.iter().zip(kb) {
            prop_assert_eq!(r.values.get(*k).copied(), Some(v * 1024));
        }
        prop_assert!(r.invalid.is_empty());
    }

    #[test]
    fn smaps_rollup_corrupted_number_is_never_a_value(
        kb in any::<[u64; 5]>(), which in 0usize..5, how in any::<u8>(),
    ) {
        let mut t = b"00400000-7fff00000000 ---p 00000000 00:00 0                          [rollup]\n".to_vec();
        for (i, (k, v)) in SMAPS_KEYS.iter().zip(kb.map(|v| v >> 10)).enumerate() {
            let text = if i == which { corrupt_decimal(v, how) } else { v.to_string() };
            t.extend_from_slice(format!("{:<16}{text:>8} kB\n", format!("{k}:")).as_bytes());
        }
        // That key is unknown (listed as invalid), never a made-up value;
        // the others stand.
        let r = smaps::parse_rollup(&t).unwrap();
        let key = SMAPS_KEYS[which];
        prop_assert_eq!(r.values.get(key), None);
        prop_assert!(r.invalid.iter().any(|k| k == key), "{:?}", r.invalid);
        prop_assert_eq!(r.values.len(), 4);
    }
}

proptest! {
    #![proptest_config(config())]

    /// smaps: a corrupted size is never a value: that field of that
    /// mapping is unknown (None); the mapping itself stands.
    #[test]
    fn smaps_corrupted_number_is_never_a_value(
        m in mapping(), which in 0usize..5, how in any::<u8>(),
    ) {
        let key = SMAPS_KEYS[which];
        let bad = corrupt_decimal(12, how);
        let got = smaps::parse_smaps(&smaps_block(&m, Some((key, &bad))));
        prop_assert_eq!(got.len(), 1);
        let g = &got[0];
        let vals = [g.size, g.rss, g.pss, g.swap, g.anonymous];
        prop_assert_eq!(vals[which], None, "{} = {:?}", key, bad);
    }
}

// ---------------------------------------------------------------- cgroup

fn cgroup_line() -> impl Strategy<Value = cgroup::CgroupLine> {
    (
        any::<u32>(),
        prop::sample::subsequence(
            vec!["cpu", "cpuacct", "memory", "pids", "name=systemd", "blkio"],
            0..3,
        ),
        vec(
            hostile_byte().prop_filter("no newline", |c| *c != b'\n'),
            0..40,
        ),
    )
        .prop_map(|(hierarchy, c, path)| cgroup::CgroupLine {
            hierarchy,
            controllers: c.into_iter().map(str::to_string).collect(),
            path,
        })
}

fn cgroup_text(lines: &[cgroup::CgroupLine]) -> Vec<u8> {
    let mut b = Vec::new();
    for l in lines {
        b.extend_from_slice(format!("{}:{}:", l.hierarchy, l.controllers.join(",")).as_bytes());
        b.extend_from_slice(&l.path);
        b.push(b'\n');
    }
    b
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cgroup_round_trip(lines in vec(cgroup_line(), 0..8)) {
        prop_assert_eq!(cgroup::parse(&cgroup_text(&lines)), lines);
    }

    #[test]
    fn cgroup_corrupted_id_is_never_a_value(l in cgroup_line(), how in any::<u8>()) {
        let mut t = format!("{}:{}:", corrupt_decimal(u64::from(l.hierarchy), how), l.controllers.join(","))
            .into_bytes();
        t.extend_from_slice(&l.path);
        prop_assert!(cgroup::parse(&t).is_empty());
    }
}

// ------------------------------------------------------------ host files

proptest! {
    #![proptest_config(config())]

    #[test]
    fn meminfo_round_trip(kb in any::<[u64; 4]>(), corrupt in 0usize..5, how in any::<u8>()) {
        let kb = kb.map(|v| v >> 10);
        let keys = ["MemTotal", "MemAvailable", "SwapTotal", "SwapFree"];
        let mut t = String::new();
        for (i, (k, v)) in keys.iter().zip(kb).enumerate() {
            let text = if i == corrupt { corrupt_decimal(v, how) } else { v.to_string() };
            t += &format!("{:<16}{text:>8} kB\nBuffers:          12345 kB\n", format!("{k}:"));
        }
        let m = host::meminfo(t.as_bytes());
        let got = [m.total, m.available, m.swap_total, m.swap_free];
        for i in 0..4 {
            let want = if i == corrupt { None } else { Some(kb[i] * 1024) };
            prop_assert_eq!(got[i], want, "{}", keys[i]);
        }
    }

    #[test]
    fn loadavg_round_trip(h in any::<[u32; 3]>(), run in 0u32..1000, total in 1u32..100000) {
        let t = format!(
            "{}.{:02} {}.{:02} {}.{:02} {run}/{total} 4242\n",
            h[0] / 100, h[0] % 100, h[1] / 100, h[1] % 100, h[2] / 100, h[2] % 100
        );
        let l = host::loadavg(t.as_bytes()).unwrap();
        prop_assert_eq!([l.one, l.five, l.fifteen], h.map(|v| f64::from(v) / 100.0));
    }

    #[test]
    fn loadavg_corrupted_number_is_never_a_value(which in 0usize..3, bad in prop::sample::select(vec!["1.2x", "x", "nan", "inf", "1..2", "-"])) {
        let mut f = ["0.52", "1.25", "2.00"];
        f[which] = bad;
        let t = format!("{} 3/412 98765\n", f.join(" "));
        prop_assert_eq!(host::loadavg(t.as_bytes()), None);
    }

    #[test]
    fn psi_round_trip(h in any::<[u16; 6]>(), drop_one in 0usize..7) {
        let v = |x: u16| format!("{}.{:02}", x / 100, x % 100);
        let some = format!("some avg10={} avg60={} avg300={} total=123", v(h[0]), v(h[1]), v(h[2]));
        let mut full = format!("full avg10={} avg60={} avg300={} total=45", v(h[3]), v(h[4]), v(h[5]));
        // One corrupted value in `full` (drop_one < 3): that line is not a value.
        if drop_one < 3 {
            let key = ["avg10", "avg60", "avg300"][drop_one];
            full = full.replacen(&format!("{key}={}", v(h[3 + drop_one])), &format!("{key}=1.2x"), 1);
        }
        let p = host::psi(format!("{some}\n{full}\n").as_bytes());
        let line = |a: u16, b: u16, c: u16| host::PsiLine {
            avg10: f64::from(a) / 100.0,
            avg60: f64::from(b) / 100.0,
            avg300: f64::from(c) / 100.0,
        };
        prop_assert_eq!(p.some, Some(line(h[0], h[1], h[2])));
        let want = if drop_one < 3 { None } else { Some(line(h[3], h[4], h[5])) };
        prop_assert_eq!(p.full, want);
    }

    #[test]
    fn file_nr_round_trip(a in any::<u64>(), f in any::<u64>(), m in any::<u64>(), which in 0usize..4, how in any::<u8>()) {
        let mut cols = [a.to_string(), f.to_string(), m.to_string()];
        if which < 3 {
            cols[which] = corrupt_decimal(3, how);
        }
        let got = host::file_nr(format!("{}\t{}\t{}\n", cols[0], cols[1], cols[2]).as_bytes());
        if which < 3 {
            prop_assert_eq!(got, None);
        } else {
            prop_assert_eq!(got, Some(host::FileNr { allocated: a.saturating_sub(f), max: m }));
        }
    }

    #[test]
    fn cpu_list_round_trip(ranges in vec((0u64..64, 0u64..8), 1..6)) {
        let mut lo = 0u64;
        let mut parts = Vec::new();
        let mut n = 0usize;
        for (gap, width) in ranges {
            let a = lo + gap;
            let b = a + width;
            parts.push(if width == 0 { a.to_string() } else { format!("{a}-{b}") });
            n += (width + 1) as usize;
            lo = b + 2;
        }
        prop_assert_eq!(host::cpu_list_count(format!("{}\n", parts.join(",")).as_bytes()), Some(n));
    }

    #[test]
    fn cpu_list_corrupted_number_is_never_a_value(a in 0u64..64, how in any::<u8>()) {
        let t = format!("0-{}\n", corrupt_decimal(a, how));
        prop_assert_eq!(host::cpu_list_count(t.as_bytes()), None);
    }

    #[test]
    fn single_numbers_and_flat_keyed(n in any::<u64>(), how in any::<u8>()) {
        prop_assert_eq!(parse_single_u64(format!("{n}\n").as_bytes()), Ok(n));
        prop_assert_eq!(parse_max_or_u64(format!("{n}\n").as_bytes()), Ok(Some(n)));
        prop_assert!(parse_single_u64(corrupt_decimal(n, how).as_bytes()).is_err());
        prop_assert!(parse_max_or_u64(corrupt_decimal(n, how).as_bytes()).is_err());
        let ev = format!("oom 1\noom_kill {n}\noom_group_kill 0\n");
        prop_assert_eq!(flat_keyed(ev.as_bytes(), "oom_kill"), Some(n));
        let ev = format!("oom 1\noom_kill {}\n", corrupt_decimal(n, how));
        prop_assert_eq!(flat_keyed(ev.as_bytes(), "oom_kill"), None);
    }
}

// ------------------------------------- statm, schedstat, uptime, status bits

proptest! {
    #![proptest_config(config())]

    /// statm as the kernel writes it (seven `%lu` joined by single spaces):
    /// the resident field in bytes, or None once it overflows.
    #[test]
    fn statm_round_trip(f in any::<[u64; 7]>(), page in prop::sample::select(vec![4096u64, 16384, 65536])) {
        let t = format!("{}\n", f.map(|v| v.to_string()).join(" "));
        prop_assert_eq!(statm::resident_pages(t.as_bytes()), Some(f[1]));
        prop_assert_eq!(statm::resident_bytes(t.as_bytes(), page), f[1].checked_mul(page));
    }

    #[test]
    fn statm_corrupted_number_is_never_a_value(f in any::<[u64; 7]>(), how in any::<u8>()) {
        let mut cols = f.map(|v| v.to_string());
        cols[1] = corrupt_decimal(f[1], how);
        let t = format!("{}\n", cols.join(" "));
        prop_assert_eq!(statm::resident_pages(t.as_bytes()), None);
    }

    /// schedstat: `%llu %llu %lu`.
    #[test]
    fn schedstat_round_trip(run in any::<u64>(), wait in any::<u64>(), slices in any::<u64>(), how in any::<u8>()) {
        let t = format!("{run} {wait} {slices}\n");
        prop_assert_eq!(schedstat::run_time_ns(t.as_bytes()), Some(run));
        let t = format!("{} {wait} {slices}\n", corrupt_decimal(run, how));
        prop_assert_eq!(schedstat::run_time_ns(t.as_bytes()), None);
    }

    /// uptime: `%lu.%02lu %lu.%02lu` (seconds and hundredths).
    #[test]
    fn uptime_round_trip(up in 0u64..(1 << 40), up_cs in 0u64..100, idle in 0u64..(1 << 40), idle_cs in 0u64..100) {
        let t = format!("{up}.{up_cs:02} {idle}.{idle_cs:02}\n");
        let want: f64 = format!("{up}.{up_cs:02}").parse().unwrap();
        prop_assert_eq!(host::uptime(t.as_bytes()), Some(want));
    }

    #[test]
    fn uptime_corrupted_number_is_never_a_value(
        bad in prop::sample::select(vec!["1.2x", "x", "nan", "NaN", "inf", "-inf", "1..2", "-", "-0.5", "", "\u{ff}1.0"]),
        idle in 0u64..100_000,
    ) {
        let t = format!("{bad} {idle}.00\n");
        let got = host::uptime(t.as_bytes());
        // An empty first field makes the idle time the first one: the
        // only case where a number comes out, and it is the next number.
        if bad.is_empty() {
            prop_assert_eq!(got, Some(idle as f64));
        } else {
            prop_assert_eq!(got, None);
        }
    }

    /// SigIgn as the kernel writes it (`%016llx`), among the other masks.
    #[test]
    fn sig_ign_round_trip(mask in any::<u64>(), other in any::<u64>()) {
        let t = format!("SigPnd:\t{other:016x}\nSigBlk:\t{other:016x}\nSigIgn:\t{mask:016x}\nSigCgt:\t{other:016x}\n");
        prop_assert_eq!(status::sig_ign(t.as_bytes()), Some(mask));
        let t = format!("SigIgn:\t{mask:016x}z\n");
        prop_assert_eq!(status::sig_ign(t.as_bytes()), None);
    }

    #[test]
    fn total_switches_round_trip(v in any::<u64>(), n in any::<u64>(), corrupt in 0usize..3, how in any::<u8>()) {
        let mut cols = [v.to_string(), n.to_string()];
        if corrupt < 2 {
            cols[corrupt] = corrupt_decimal(3, how);
        }
        let t = format!("Threads:\t1\nvoluntary_ctxt_switches:\t{}\nnonvoluntary_ctxt_switches:\t{}\n", cols[0], cols[1]);
        let want = (corrupt == 2).then(|| v.saturating_add(n));
        prop_assert_eq!(status::total_switches(t.as_bytes()), want);
    }

    /// A release as uname(2) gives it: `MAJOR.MINOR.PATCH[-anything]`.
    #[test]
    fn kernel_version_round_trip(
        major in any::<u64>(),
        minor in any::<u64>(),
        patch in any::<u32>(),
        suffix in "(-[a-z0-9.+-]{0,20})?",
    ) {
        let r = format!("{major}.{minor}.{patch}{suffix}");
        prop_assert_eq!(host::kernel_version(r.as_bytes()), (major, minor));
    }

    /// /proc entry names: a PID, descriptor or thread number comes back;
    /// one with any other byte added is no number.
    #[test]
    fn entry_number_round_trip(n in 0i32..=i32::MAX, extra in hostile_byte()) {
        prop_assert_eq!(entry_number(n.to_string().as_bytes()), Some(n));
        if !extra.is_ascii_digit() {
            let mut b = n.to_string().into_bytes();
            b.push(extra);
            prop_assert_eq!(entry_number(&b), None);
        }
    }

    #[test]
    fn flat_keyed_checked_round_trip(n in any::<u64>(), how in any::<u8>()) {
        let ev = format!("oom 1\noom_kill {n}\noom_group_kill 0\n");
        prop_assert_eq!(flat_keyed_checked(ev.as_bytes(), "oom_kill"), Ok(Some(n)));
        let ev = format!("oom 1\noom_kill {}\n", corrupt_decimal(n, how));
        prop_assert!(flat_keyed_checked(ev.as_bytes(), "oom_kill").is_err());
        prop_assert_eq!(flat_keyed_checked(b"oom 1\noom_group_kill 0\n", "oom_kill"), Ok(None));
    }
}

// --------------------------------------------------------------- cmdline

proptest! {
    #![proptest_config(config())]

    #[test]
    fn cmdline_round_trip(args in vec(vec(any::<u8>().prop_filter("no NUL", |c| *c != 0), 0..30), 0..10)) {
        let mut b = Vec::new();
        for a in &args {
            b.extend_from_slice(a);
            b.push(0);
        }
        prop_assert_eq!(cmdline::split_nul(&b), args.clone());
        // environ entries: empty ones (a run of NULs) are not counted.
        prop_assert_eq!(cmdline::count_nul(&b), args.iter().filter(|a| !a.is_empty()).count());
    }
}

// -------------------------------------------------------------- workload

/// A cgroup path from the layouts the workload parser knows, with its
/// pieces (separators, prefixes, ids cut short or too long) shuffled in.
fn workload_piece() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "kubepods",
            "kubepods.slice",
            "kubelet.slice",
            "kubelet-kubepods.slice",
            "burstable",
            "besteffort",
            "kubepods-burstable.slice",
            "kubepods-besteffort.slice",
            "docker",
            "system.slice",
            "user.slice",
            "nginx.service",
            "x.scope",
            "..",
            ".",
            "",
            "pod",
            "kubepods-pod",
            ":",
            "::",
            "cri-containerd:",
            ".slice",
        ])
        .prop_map(str::to_string),
        (
            "[a-f0-9_-]{0,70}",
            prop::sample::select(vec![
                "pod",
                "kubepods-burstable-pod",
                "cri-containerd-",
                "crio-conmon-",
                "crio-",
                "docker-",
                "libpod-",
                "",
                ":cri-containerd:",
            ]),
            prop::sample::select(vec!["", ".scope", ".slice", ".service"])
        )
            .prop_map(|(mid, pre, suf)| format!("{pre}{mid}{suf}")),
    ]
}

fn uid_strategy() -> impl Strategy<Value = String> {
    "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
}

/// A name the kernel escaped as /dev/kmsg does: bytes below 0x20, 0x7f
/// and above, and the backslash, as `\xNN`.
fn kmsg_escape(b: &[u8]) -> String {
    let mut s = String::new();
    for &c in b {
        if !(0x20..0x7f).contains(&c) || c == b'\\' {
            s.push_str(&format!("\\x{c:02x}"));
        } else {
            s.push(char::from(c));
        }
    }
    s
}

// ------------------------------------------------------ cgroup files

proptest! {
    #![proptest_config(config())]

    #[test]
    fn workload_pieces_never_panic(parts in vec(workload_piece(), 0..12), raw in hostile_bytes(200)) {
        let p = parts.join("/");
        let _ = workload::from_cgroup_path(p.as_bytes());
        let mut b = p.into_bytes();
        b.extend_from_slice(&raw);
        let _ = workload::from_cgroup_path(&b);
        let _ = workload::from_cgroup_path(&cgroup::normalize(&b));
    }

    #[test]
    fn workload_round_trip(
        uid in uid_strategy(),
        id in "[0-9a-f]{64}",
        layout in 0u8..4,
        class in 0u8..3,
        ups in 0usize..4,
    ) {
        let (q, qos) = [("", workload::Qos::Guaranteed), ("burstable", workload::Qos::Burstable),
            ("besteffort", workload::Qos::BestEffort)][usize::from(class)];
        let u_ = uid.replace('-', "_");
        let dotdot = "/..".repeat(ups);
        let (path, runtime) = match layout {
            0 if q.is_empty() => (format!("/kubepods/pod{uid}/{id}"), None),
            0 => (format!("/kubepods/{q}/pod{uid}/{id}"), None),
            1 if q.is_empty() => (format!("/kubepods.slice/kubepods-pod{u_}.slice/crio-{id}.scope"), Some("cri-o")),
            1 => (format!("/kubepods.slice/kubepods-{q}.slice/kubepods-{q}-pod{u_}.slice/crio-{id}.scope"), Some("cri-o")),
            2 if q.is_empty() => (format!("/system.slice/containerd.service/kubepods-pod{u_}.slice:cri-containerd:{id}"), Some("containerd")),
            2 => (format!("/system.slice/containerd.service/kubepods-{q}-pod{u_}.slice:cri-containerd:{id}"), Some("containerd")),
            _ if q.is_empty() => (format!("/kubepods.slice/kubepods-pod{u_}.slice/cri-containerd-{id}.scope"), Some("containerd")),
            _ => (format!("/kubepods.slice/kubepods-{q}.slice/kubepods-{q}-pod{u_}.slice/docker-{id}.scope"), Some("docker")),
        };
        let runtime = if layout == 3 && !q.is_empty() { Some("docker") } else { runtime };
        let want = workload::Workload::Kubernetes {
            pod_uid: uid.clone(),
            container_id: Some(id.clone()),
            qos,
            runtime,
            role: workload::PodRole::Container,
        };
        let full = format!("{dotdot}{path}");
        prop_assert_eq!(workload::from_cgroup_path(&cgroup::normalize(full.as_bytes())), want.clone());
        prop_assert_eq!(workload::from_cgroup_path(full.as_bytes()), want);
        // One hex digit short or one more: never a container.
        let short = full.replacen(&id, &id[1..], 1);
        let long = full.replacen(&id, &format!("{id}a"), 1);
        for bad in [short, long] {
            let got = workload::from_cgroup_path(bad.as_bytes());
            let is_container = matches!(
                &got,
                workload::Workload::Kubernetes { container_id: Some(_), .. } | workload::Workload::Container { .. }
            );
            prop_assert!(!is_container, "{} -> {:?}", bad, got);
        }
    }

    /// Any name (any bytes, up to the 64 a comm could ever be), any cgroup
    /// path without a comma: both records of a kill round-trip, the name
    /// and the cgroup exact.
    #[test]
    fn kmsg_oom_kill_round_trip(
        name in vec(any::<u8>(), 0..64),
        cg in "/[a-z0-9_./-]{0,40}",
        pid in 1..i32::MAX,
        uid in any::<u32>(),
        anon in any::<u64>(),
        file in any::<u64>(),
        adj in -1000i64..=1000,
        usec in any::<u64>(),
    ) {
        let n = kmsg_escape(&name);
        let summary = format!(
            "6,7,{usec},-;oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,oom_memcg={cg},task_memcg={cg},task={n},pid={pid},uid={uid}"
        );
        let kill = format!(
            "3,8,{usec},-;Memory cgroup out of memory: Killed process {pid} ({n}) total-vm:1kB, anon-rss:{anon}kB, file-rss:{file}kB, shmem-rss:0kB, UID:{uid} pgtables:4kB oom_score_adj:{adj}"
        );
        let log = kmsg::oom_kills([summary.as_bytes(), kill.as_bytes()]);
        prop_assert_eq!(log.kills.len(), 1);
        let k = &log.kills[0];
        prop_assert_eq!(k.pid, Some(pid));
        prop_assert_eq!(k.uid, Some(uid));
        prop_assert_eq!(k.name.as_deref(), Some(name.as_slice()));
        prop_assert_eq!(k.task_memcg.as_deref(), Some(cg.as_bytes()));
        prop_assert_eq!(k.oom_memcg.as_deref(), Some(cg.as_bytes()));
        prop_assert_eq!(k.anon_rss_kb, Some(anon));
        prop_assert_eq!(k.file_rss_kb, Some(file));
        prop_assert_eq!(k.oom_score_adj, Some(adj));
        prop_assert_eq!(k.usec, usec);
    }

    /// A corrupted PID in the summary never yields a kill with a made-up PID.
    #[test]
    fn kmsg_corrupt_pid_is_malformed(pid in any::<u32>(), how in any::<u8>()) {
        let bad = corrupt_decimal(u64::from(pid), how);
        let summary = format!(
            "6,7,1,-;oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),cpuset=/,mems_allowed=0,global_oom,task_memcg=/,task=x,pid={bad},uid=0"
        );
        let log = kmsg::oom_kills([summary.as_bytes()]);
        prop_assert!(log.kills.is_empty());
        prop_assert_eq!(log.malformed, 1);
    }

    #[test]
    fn cgroup_files_round_trip(
        periods in any::<u64>(), throttled in any::<u64>(), ns in any::<u64>(),
        kills in any::<u64>(), group in any::<u64>(), quota in proptest::option::of(any::<u64>()),
        period in 1..u64::MAX, v1 in any::<bool>(),
    ) {
        let stat = if v1 {
            format!("nr_periods {periods}\nnr_throttled {throttled}\nthrottled_time {ns}\nnr_bursts 0\n")
        } else {
            format!("usage_usec 1\nnr_periods {periods}\nnr_throttled {throttled}\nthrottled_usec {ns}\n")
        };
        let t = cgroupfs::throttling(stat.as_bytes()).unwrap().unwrap();
        prop_assert_eq!(t.nr_periods, periods);
        prop_assert_eq!(t.nr_throttled, throttled);
        prop_assert_eq!(t.throttled_ns, if v1 { ns } else { ns.saturating_mul(1000) });
        let ev = format!("low 0\noom 9\noom_kill {kills}\noom_group_kill {group}\n");
        let c = cgroupfs::oom_counts(ev.as_bytes()).unwrap();
        prop_assert_eq!((c.oom_kill, c.oom_group_kill), (Some(kills), Some(group)));
        let q = quota.map_or("max".to_string(), |q| q.to_string());
        let m = cgroupfs::cpu_max(format!("{q} {period}\n").as_bytes()).unwrap();
        prop_assert_eq!((m.quota_us, m.period_us), (quota, period));
        // One corrupted number is never a value.
        let bad = format!("nr_periods {periods}\nnr_throttled {throttled}x\nthrottled_time 0\n");
        prop_assert!(cgroupfs::throttling(bad.as_bytes()).is_err());
        let bad = format!("oom_kill {kills}x\n");
        prop_assert!(cgroupfs::oom_counts(bad.as_bytes()).is_err());
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Every CPU line of PROC/stat as the kernel prints it reads back whole;
    /// a corrupted number loses that CPU (noted), never gives it a value.
    #[test]
    fn cpu_stat_round_trip(cores in vec(any::<[u64; 10]>(), 1..12), which in any::<usize>(), how in any::<u8>()) {
        let line = |name: &str, v: &[u64; 10]| {
            let nums: Vec<String> = v.iter().map(u64::to_string).collect();
            format!("{name} {}\n", nums.join(" "))
        };
        let mut t = line("cpu ", &cores[0]);
        for (i, c) in cores.iter().enumerate() {
            t.push_str(&line(&format!("cpu{i}"), c));
        }
        t.push_str("intr 1 2 3\nctxt 5\nbtime 7\n");
        let s = host::cpu_stat(t.as_bytes());
        prop_assert!(!s.invalid);
        prop_assert_eq!(s.all.map(|a| a.steal), Some(cores[0][7]));
        prop_assert_eq!(s.cores.len(), cores.len());
        for (i, (n, c)) in s.cores.iter().enumerate() {
            prop_assert_eq!(*n as usize, i);
            prop_assert_eq!([c.user, c.nice, c.system, c.idle, c.iowait, c.irq, c.softirq, c.steal], <[u64; 8]>::try_from(&cores[i][..8]).unwrap());
        }
        let bad = which % cores.len();
        let mut t = String::new();
        for (i, c) in cores.iter().enumerate() {
            if i == bad {
                t.push_str(&format!("cpu{i} {} 1 2 3 4 5 6 7\n", corrupt_decimal(c[0], how)));
            } else {
                t.push_str(&line(&format!("cpu{i}"), c));
            }
        }
        let s = host::cpu_stat(t.as_bytes());
        prop_assert!(s.invalid);
        prop_assert!(s.cores.iter().all(|&(n, _)| n as usize != bad));
        prop_assert_eq!(s.cores.len(), cores.len() - 1);
    }
}

// `proctor who`: its TARGET argument, the port columns of a net table
// line, and mountinfo's mount points never panic; a generated port lookup
// parses to its values; a generated table line yields its ports.
proptest! {
    #![proptest_config(config())]

    #[test]
    fn who_target_never_panics(s in ".{0,64}", b in vec(any::<u8>(), 0..256)) {
        let _ = who::parse_target(&s);
        let _ = who::parse_target(&String::from_utf8_lossy(&b));
        let _ = who::inet_line_ports(&b);
        let _ = who::mount_points(&b);
        let _ = super::mountinfo::unescape(&b);
        let pts = who::mount_points(&b);
        let _ = who::mount_of(&b, &pts);
    }

    #[test]
    fn who_port_round_trip(port in 1u16.., v4 in any::<[u8; 4]>(), udp in any::<bool>(),
                           local in any::<u16>(), remote in any::<u16>()) {
        let t = if udp { "udp" } else { "tcp" };
        let ip = Ipv4Addr::from(v4);
        let q = match who::parse_target(&format!("{t}:{ip}:{port}")) {
            Ok(who::WhoTarget::Port(q)) => q,
            other => return Err(TestCaseError::fail(format!("{other:?}"))),
        };
        prop_assert_eq!(q.port, port);
        prop_assert_eq!(q.addr, Some(IpAddr::V4(ip)));
        let too_big = format!(":{}", u32::from(port) + 65536);
        let refused = matches!(who::parse_target(&too_big), Err(who::TargetError::PortOutOfRange(_)));
        prop_assert!(refused);
        let line = format!("  3: 0100007F:{local:04X} 0200007F:{remote:04X} 01 00000000:00000000 00:00000000 00000000  0 0 42 1");
        prop_assert_eq!(who::inet_line_ports(line.as_bytes()), Some((local, remote)));
    }
}
