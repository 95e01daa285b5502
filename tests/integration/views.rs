//! The resource views (fds, net, env, maps, threads) on captured /proc
//! trees, including the hostile ones.

use serde_json::{Value, json};

use crate::common::{assert_ok, fixture, fixture_copy, json, proctor_at, stderr, stdout};

fn view(root: &std::path::Path, args: &[&str]) -> Value {
    let o = proctor_at(root, args);
    assert_ok(&o, &format!("{args:?}"));
    json(&o)
}

fn human(root: &std::path::Path, args: &[&str]) -> String {
    let o = proctor_at(root, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", stderr(&o));
    assert!(!o.stdout.contains(&0x1b), "raw ESC in {args:?}");
    stdout(&o)
}

#[test]
fn fds_rows_types_and_summary() {
    let v = view(&fixture("v1-basic"), &["fds", "4242", "--json"]);
    assert_eq!(v["pid"], 4242);
    assert_eq!(v["count"], 19);
    assert_eq!(v["soft_limit"], 20000);
    assert_eq!(v["deleted"], 1);
    assert_eq!(v["by_type"]["socket"], 6);
    // Directories are told apart with --long (or --type dir) only.
    assert_eq!(v["by_type"]["dir"], serde_json::Value::Null);
    assert_eq!(v["dirs_marked"], false);
    assert_eq!(v["by_type"]["char_device"], 2);
    let rows = v["fds"].as_array().unwrap();
    assert_eq!(rows.len(), 19);
    assert_eq!(
        rows[0],
        json!({"fd": 0, "type": "char_device", "anon_kind": null, "target": "/dev/null", "deleted": false, "mode": null, "flags": null, "pos": null})
    );
    assert_eq!(rows[6]["type"], "file");
    assert_eq!(rows[7]["deleted"], true);
    assert_eq!(rows[10]["anon_kind"], "eventpoll");
    assert_eq!(rows[13]["target"], "socket:[5507]");

    let s = view(
        &fixture("v1-basic"),
        &[
            "fds", "4242", "--type", "socket", "--type", "pipe", "--json",
        ],
    );
    assert_eq!(s["count"], 19, "the summary counts every descriptor");
    let kinds: Vec<&str> = s["fds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 8);
    assert!(kinds.iter().all(|k| *k == "socket" || *k == "pipe"));

    let h = human(&fixture("v1-basic"), &["fds", "4242"]);
    assert!(h.contains("19 of 20000 descriptors"), "{h}");
    assert!(
        h.contains("/tmp/proctor-fx/data/scratch.tmp (deleted)  DEL"),
        "{h}"
    );
    assert!(h.contains("anon:eventpoll"), "{h}");
}

#[test]
fn fds_long_reads_fdinfo() {
    let v = view(&fixture("v1-basic"), &["fds", "4242", "--long", "--json"]);
    let r4 = &v["fds"][4];
    assert_eq!(r4["target"], "/tmp/proctor-fx/data/out.log");
    assert_eq!(r4["mode"], "w");
    assert_eq!(r4["pos"], 32768);
    assert_eq!(r4["flags"], json!(["append", "cloexec"]));
    let h = human(&fixture("v1-basic"), &["fds", "4242", "--long"]);
    assert!(h.contains("MODE") && h.contains("append,cloexec"), "{h}");
}

#[test]
fn fds_count_on_a_fixture_lists_the_directory() {
    let o = proctor_at(&fixture("v1-basic"), &["fds", "4242", "--count"]);
    assert_eq!(stdout(&o), "19\n");
    let v = view(&fixture("v1-basic"), &["fds", "4242", "--count", "--json"]);
    assert_eq!(v, json!({"pid": 4242, "count": 19}));
}

#[test]
fn fds_bad_type_and_conflicts() {
    let o = proctor_at(&fixture("v1-basic"), &["fds", "4242", "--type", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown descriptor type"),
        "{}",
        stderr(&o)
    );
    let o = proctor_at(&fixture("v1-basic"), &["fds", "4242", "--count", "--long"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn block_devices_are_told_from_character_devices_by_name() {
    let t = fixture_copy("v1-basic");
    std::fs::create_dir_all(t.path().join("sys/class/block/vda")).unwrap();
    let fd = t.path().join("proc/4242/fd/12");
    std::fs::remove_file(&fd).unwrap();
    std::os::unix::fs::symlink("/dev/vda", &fd).unwrap();
    let v = view(t.path(), &["fds", "4242", "--json"]);
    assert_eq!(v["fds"][12]["type"], "block_device");
    assert_eq!(v["by_type"]["block_device"], 1);
    assert_eq!(v["by_type"]["char_device"], 1);
}

#[test]
fn hostile_paths_in_fds() {
    let v = view(&fixture("hostile"), &["fds", "4242", "--json"]);
    let t3 = v["fds"][3]["target"].as_str().unwrap();
    assert!(t3.contains("odd\nname\u{1b}]0;pwned\u{7}.txt"), "{t3:?}");
    let h = human(&fixture("hostile"), &["fds", "4242"]);
    assert!(h.contains("odd\\nname\\e]0;pwned\\x07.txt"), "{h}");
    assert!(!h.as_bytes().contains(&0x07));
}

#[test]
fn zombie_and_kernel_thread_views_say_why() {
    for (pid, what) in [("4300", "zombie"), ("2", "kernel thread")] {
        for cmd in ["fds", "env", "maps"] {
            let o = proctor_at(&fixture("v1-basic"), &[cmd, pid]);
            assert_eq!(o.status.code(), Some(2), "{cmd} {pid}");
            let e = stderr(&o);
            assert!(e.starts_with(&format!("error: {what}")), "{cmd} {pid}: {e}");
            assert!(e.contains("hint:"), "{e}");
        }
    }
}

#[test]
fn net_joins_fds_to_the_tables() {
    let v = view(&fixture("v1-basic"), &["net", "4242", "--json"]);
    assert_eq!(v["count"], 6);
    assert_eq!(v["by_protocol"], json!({"tcp": 3, "udp": 1, "unix": 2}));
    assert_eq!(v["by_state"], json!({"ESTABLISHED": 2, "LISTEN": 1}));
    assert_eq!(
        v["listening"],
        json!(["tcp 127.0.0.1:38123", "udp 127.0.0.1:38124"])
    );
    let socks = v["sockets"].as_array().unwrap();
    let est: Vec<&Value> = socks
        .iter()
        .filter(|s| s["state"] == "ESTABLISHED")
        .collect();
    assert_eq!(est.len(), 2);
    let client = est.iter().find(|s| s["fd"] == 14).unwrap();
    assert_eq!(client["local"], "127.0.0.1:57398");
    assert_eq!(client["remote"], "127.0.0.1:38123");
    assert_eq!(client["inode"], 5508);
    // The capture script's own sockets (inodes 5023-5026) are in the table
    // but are not this process's.
    assert!(socks.iter().all(|s| s["inode"].as_u64().unwrap() >= 5507));

    let l = view(
        &fixture("v1-basic"),
        &["net", "4242", "--listening", "--json"],
    );
    assert_eq!(l["sockets"].as_array().unwrap().len(), 2);
    let u = view(
        &fixture("v1-basic"),
        &["net", "4242", "--proto", "unix", "--json"],
    );
    assert!(
        u["sockets"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["proto"] == "unix")
    );
    assert_eq!(u["sockets"].as_array().unwrap().len(), 2);
    let e = view(
        &fixture("v1-basic"),
        &["net", "4242", "--state", "established", "--json"],
    );
    assert_eq!(e["sockets"].as_array().unwrap().len(), 2);

    let o = proctor_at(&fixture("v1-basic"), &["net", "4242", "--state", "bogus"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("unknown socket state 'bogus'")
            && stderr(&o).contains("hint: use one of")
    );
}

#[test]
fn net_close_wait_note() {
    let t = fixture_copy("v1-basic");
    let p = t.path().join("proc/4242/net/tcp");
    let s = std::fs::read_to_string(&p).unwrap();
    let s: String = s
        .lines()
        .map(|l| {
            if l.contains(" 5509 ") {
                l.replacen(" 01 ", " 08 ", 1)
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&p, s + "\n").unwrap();
    let v = view(
        t.path(),
        &["net", "4242", "--state", "CLOSE_WAIT", "--json"],
    );
    assert_eq!(v["close_wait"], 1);
    assert_eq!(v["sockets"].as_array().unwrap().len(), 1);
    assert_eq!(v["sockets"][0]["fd"], 15);
    let h = human(t.path(), &["net", "4242"]);
    assert!(
        h.contains("1 in CLOSE_WAIT: the peer closed and this process never called close()"),
        "{h}"
    );
}

#[test]
fn env_masks_and_reveals() {
    let v = view(&fixture("v1-basic"), &["env", "4242", "--json"]);
    assert_eq!(v["count"], 6);
    assert_eq!(v["vars"]["DB_PASSWORD"], "****");
    assert_eq!(v["vars"]["HOME"], "/home/app");
    assert_eq!(v["masked"], json!(["DB_PASSWORD"]));
    let r = view(&fixture("v1-basic"), &["env", "4242", "--reveal", "--json"]);
    assert_eq!(r["vars"]["DB_PASSWORD"], "hunter2");
    assert_eq!(r["masked"], json!([]));
    let f = view(&fixture("v1-basic"), &["env", "4242", "home", "--json"]);
    assert_eq!(f["vars"], json!({"HOME": "/home/app"}));
    let h = human(&fixture("v1-basic"), &["env", "4242"]);
    let lines: Vec<&str> = h.lines().collect();
    assert!(
        lines[0].contains("6 variables, 1 masked as **** (--reveal to show)"),
        "{h}"
    );
    assert!(
        lines[1].contains("the environment the process started with"),
        "{h}"
    );
    assert_eq!(
        &lines[2..],
        [
            "APP_ENV=staging",
            "DB_PASSWORD=****",
            "HOME=/home/app",
            "HOSTNAME=web-7f9c6d5b8-x2k4q",
            "LANG=C.UTF-8",
            "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        ]
    );
}

#[test]
fn env_hostile_entries_are_shown_never_fatal() {
    let t = fixture_copy("v1-basic");
    std::fs::write(
        t.path().join("proc/4242/environ"),
        b"Z=\x1b]0;pwned\x07\nline\0NOEQ\0EMPTY=\0A=1\0A=2\0BIN=\xff\xfe\0URL=https://u:p4ss@host/x\0",
    )
    .unwrap();
    let v = view(t.path(), &["env", "4242", "--json"]);
    assert_eq!(v["vars"]["Z"], "\u{1b}]0;pwned\u{7}\nline");
    assert_eq!(v["vars"]["EMPTY"], "");
    assert_eq!(v["vars"]["A"], "1");
    assert_eq!(v["vars"]["BIN"], "\\xff\\xfe");
    assert_eq!(v["vars"]["URL"], "https://u:****@host/x");
    assert_eq!(v["duplicates"], json!(["A"]));
    assert_eq!(v["without_equals"], json!(["NOEQ"]));
    let h = human(t.path(), &["env", "4242"]);
    assert!(h.contains("Z=\\e]0;pwned\\x07\\nline\n"), "{h}");
    assert!(h.contains("A=1\nA=2\n"), "{h}");
    assert!(h.contains("NOEQ  (no '=' in this entry)"), "{h}");
    assert!(h.contains("set more than once"), "{h}");
}

#[test]
fn maps_totals_kinds_and_sorting() {
    let root = fixture("maps");
    let v = view(&root, &["maps", "4444", "--json"]);
    assert_eq!(v["mapping_count"], 115);
    assert_eq!(v["max_map_count"], 65530);
    // Totals from the captured smaps_rollup.
    let rollup = std::fs::read_to_string(root.join("proc/4444/smaps_rollup")).unwrap();
    let kb = |k: &str| -> u64 {
        rollup
            .lines()
            .find(|l| l.starts_with(&format!("{k}:")))
            .unwrap()
            .split_whitespace()
            .nth(1)
            .unwrap()
            .parse::<u64>()
            .unwrap()
            * 1024
    };
    assert_eq!(v["total"]["rss_bytes"], kb("Rss"));
    assert_eq!(v["total"]["pss_bytes"], kb("Pss"));
    assert_eq!(v["total"]["swap_bytes"], kb("Swap"));
    assert_eq!(v["total_source"], "smaps_rollup");
    // Every mapping is listed, and their RSS adds up to the smaps file's.
    let smaps = std::fs::read_to_string(root.join("proc/4444/smaps")).unwrap();
    let rss_sum: u64 = smaps
        .lines()
        .filter(|l| l.starts_with("Rss:"))
        .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap() * 1024)
        .sum();
    let rows = v["mappings"].as_array().unwrap();
    assert_eq!(rows.len(), 115);
    assert_eq!(
        rows.iter()
            .map(|r| r["rss_bytes"].as_u64().unwrap())
            .sum::<u64>(),
        rss_sum
    );
    assert_eq!(v["by_kind"]["heap"]["mappings"], 1);
    assert_eq!(v["by_kind"]["shared_memory"]["mappings"], 4);
    let kinds_total: u64 = v["by_kind"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| k["mappings"].as_u64().unwrap())
        .sum();
    assert_eq!(kinds_total, 115);
    // The hostile file name: raw ESC and BEL in the kernel's text.
    let evil = rows
        .iter()
        .find(|r| r["path"].as_str().unwrap().contains("evil"))
        .unwrap();
    assert_eq!(
        evil["path"],
        "/tmp/capm/data/evil\u{1b}]0;pwned\u{7}\\012name.bin"
    );
    assert_eq!(evil["perms"], "r--s");
    assert_eq!(evil["size_bytes"], 65536);

    let top = view(
        &root,
        &["maps", "4444", "--sort", "rss", "--top", "3", "--json"],
    );
    let r: Vec<u64> = top["mappings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["rss_bytes"].as_u64().unwrap())
        .collect();
    assert_eq!(r.len(), 3);
    assert!(r[0] >= r[1] && r[1] >= r[2]);
    assert_eq!(
        r[0],
        rows.iter()
            .map(|m| m["rss_bytes"].as_u64().unwrap())
            .max()
            .unwrap()
    );

    let h = human(&root, &["maps", "4444"]);
    assert!(h.contains("115 mappings of vm.max_map_count 65530"), "{h}");
    assert!(h.contains("evil\\e]0;pwned\\x07\\\\012name.bin"), "{h}");
    let o = proctor_at(&root, &["maps", "4444", "--top", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn threads_rows_and_groups() {
    let v = view(
        &fixture("v1-basic"),
        &["threads", "4242", "--json", "--sort", "tid"],
    );
    assert_eq!(v["count"], 4);
    let tids: Vec<i64> = v["threads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tid"].as_i64().unwrap())
        .collect();
    assert_eq!(tids, [3164, 3165, 3166, 4242]);
    assert_eq!(v["threads"][0]["name"], "pool-1-thread-1");
    assert_eq!(v["threads"][3]["voluntary_ctxt_switches"], 49);
    assert_eq!(
        v["groups"][0],
        json!({"pattern": "pool-#-thread-#", "count": 2})
    );
    assert_eq!(v["states"], json!({"S": 4}));
    let n = view(
        &fixture("v1-basic"),
        &["threads", "4242", "--json", "--sort", "name"],
    );
    assert_eq!(n["threads"][3]["name"], "worker-7");
}

#[test]
fn hostile_thread_names() {
    let t = fixture_copy("v1-basic");
    let stat = t.path().join("proc/4242/task/3166/stat");
    let s = std::fs::read(&stat).unwrap();
    let close = s.iter().rposition(|&c| c == b')').unwrap();
    let mut new = b"3166 (w\x1b[2J\n)\xff".to_vec();
    new.extend_from_slice(&s[close..]);
    std::fs::write(&stat, new).unwrap();
    let v = view(t.path(), &["threads", "4242", "--json", "--sort", "tid"]);
    assert_eq!(v["threads"][2]["name"], "w\u{1b}[2J\n)\\xff");
    let h = human(t.path(), &["threads", "4242", "--sort", "tid"]);
    assert!(h.contains("w\\e[2J\\n)\\xff"), "{h}");
}
