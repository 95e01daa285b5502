//! Smaller hostile inputs: a cgroup path that climbs out of the cgroup
//! mount, and a DEL byte in a command line.

use crate::common::*;

/// `/proc/PID/cgroup` naming `/../../../../outside` must not make proctor
/// read limits from outside --sys-root.
#[test]
fn a_cgroup_path_with_dotdot_stays_under_the_sys_root() {
    let t = fixture_copy("v1-basic");
    // Where a path climbing four levels from SYS/fs/cgroup/memory lands.
    let outside = t.path().join("outside");
    std::fs::create_dir_all(&outside).expect("mkdir");
    let abc = t
        .path()
        .join("sys/fs/cgroup/memory/kubepods/burstable/pod1234/abc");
    for f in std::fs::read_dir(&abc).expect("fixture cgroup") {
        let f = f.expect("entry");
        std::fs::copy(f.path(), outside.join(f.file_name())).expect("copy");
    }
    std::fs::write(outside.join("memory.limit_in_bytes"), "4096\n").expect("write");
    replace_in_file(
        &t.path().join("proc/4242/cgroup"),
        "4:memory:/kubepods/burstable/pod1234/abc",
        "4:memory:/../../../../outside",
    );
    let o = proctor_at(t.path(), &["inspect", "4242", "--json"]);
    let v = json(&o);
    let cg = &v["cgroup"];
    assert_ne!(
        cg["memory_limit_bytes"], 4096,
        "read outside the sys root: {cg}"
    );
    let text = v.to_string();
    assert!(!text.contains("\"/../"), "{text}");
    // The normalised path is not under the mount: unavailable, with why.
    let un = v["unavailable"].to_string();
    assert!(un.contains("cgroup"), "{un}");
}

/// DEL (0x7f) is escaped in JSON like the other control characters.
#[test]
fn a_del_byte_never_reaches_json_raw() {
    let t = fixture_copy("v1-basic");
    std::fs::write(t.path().join("proc/4242/cmdline"), b"app\0--x=\x7f\x1b\0").expect("write");
    for args in [
        &["inspect", "4242", "--json"][..],
        &["top", "--once", "--json"],
    ] {
        let o = proctor_at(t.path(), args);
        assert!(
            !o.stdout.contains(&0x7f),
            "{args:?}: raw DEL in {}",
            stdout(&o)
        );
        assert!(stdout(&o).contains("\\u007f"), "{args:?}: {}", stdout(&o));
    }
    let o = proctor_at(t.path(), &["inspect", "4242"]);
    assert!(!o.stdout.contains(&0x7f), "raw DEL on the terminal");
}
