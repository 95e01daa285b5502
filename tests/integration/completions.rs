//! `proctor completions SHELL` and `proctor manpage`: the scripts of every
//! shell parse (`bash -n`, `zsh -n`, `fish --no-execute`) and complete
//! every command that `proctor --help` lists (bash and fish run the
//! completion); a man page per command, each rendering without a groff
//! warning and naming every option its `--help` shows. The lists come from
//! `--help`, never from the generator: a command added to clap must appear
//! in both. The installed package is smoke-tested by pkg/smoke.sh (CI).

use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{TempDir, assert_ok, assert_usage_error, proctor, require, stderr, stdout};

/// The commands `proctor --help` lists (hidden ones are not listed), `help`
/// left out (it has no page, and the generators drop it).
fn commands() -> Vec<String> {
    let o = proctor(&["--help"]);
    assert_ok(&o, "proctor --help");
    let help = stdout(&o);
    let list: Vec<String> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command's line starts with two spaces and its name; wrapped
        // descriptions are indented further.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect();
    for known in ["inspect", "top", "doctor", "completions", "manpage"] {
        assert!(list.iter().any(|c| c == known), "{known} not in {list:?}");
    }
    assert!(!list.iter().any(|c| c == "demo-child"), "{list:?}");
    list
}

/// The long options `proctor COMMAND --help` shows (`--once`, ...).
fn options_of(command: Option<&str>) -> Vec<String> {
    let mut args: Vec<&str> = command.into_iter().collect();
    args.push("--help");
    let o = proctor(&args);
    assert_ok(&o, &format!("{args:?}"));
    let mut opts: Vec<String> = stdout(&o)
        .lines()
        .filter_map(|l| {
            // `  -h, --help`, `      --sort <KEY>`: an option's own line.
            let t = l.trim_start();
            if !t.starts_with('-') {
                return None;
            }
            t.split([',', ' '])
                .find(|w| w.starts_with("--") && w.len() > 2)
                .map(str::to_string)
        })
        .collect();
    opts.sort();
    opts.dedup();
    assert!(opts.contains(&"--help".to_string()), "{args:?}: {opts:?}");
    opts
}

/// The script of `shell`, checked: exit 0, nothing on stderr.
fn script(shell: &str) -> String {
    let o = proctor(&["completions", shell]);
    assert_ok(&o, &format!("completions {shell}"));
    let s = stdout(&o);
    assert!(s.len() > 1000, "{shell}: {s}");
    s
}

/// Run `prog args` (stdin closed); its status, stdout and stderr.
fn run(prog: &str, args: &[&str]) -> (bool, String, String) {
    let o = Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .env("HOME", std::env::temp_dir())
        .output()
        .unwrap_or_else(|e| panic!("run {prog}: {e}"));
    (o.status.success(), stdout(&o), stderr(&o))
}

fn have(prog: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {prog}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_string()
}

#[test]
fn bash_script_parses_and_completes_every_command() {
    let cmds = commands();
    let s = script("bash");
    let dir = TempDir::new("compl-bash");
    let file = write(dir.path(), "proctor.bash", &s);
    let (ok, _, err) = run("bash", &["-n", &file]);
    assert!(ok, "bash -n: {err}");
    // What `proctor <TAB>` offers, and `proctor top --so<TAB>`.
    let complete = |words: &str, cword: usize| {
        let prog = format!(
            "source {file}; complete -p proctor >/dev/null || exit 9; \
             COMP_WORDS=({words}); COMP_CWORD={cword}; \
             _proctor proctor \"${{COMP_WORDS[$COMP_CWORD]}}\" \"${{COMP_WORDS[$COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\""
        );
        let (ok, out, err) = run("bash", &["-c", &prog]);
        assert!(ok, "bash completion of {words}: {err}");
        out
    };
    let offered = complete("proctor ''", 1);
    for c in &cmds {
        assert!(
            offered.lines().any(|l| l == c),
            "{c} not offered: {offered}"
        );
    }
    assert!(!offered.contains("demo-child"), "{offered}");
    let sort = complete("proctor top --so", 2);
    assert_eq!(sort.trim(), "--sort", "{sort}");
}

#[test]
fn zsh_script_parses_and_names_every_command() {
    let cmds = commands();
    let s = script("zsh");
    assert!(s.starts_with("#compdef proctor"), "{}", &s[..40]);
    for c in &cmds {
        assert!(s.contains(&format!("'{c}:")), "zsh: {c} missing");
    }
    if !require("zsh (apt-get install zsh)", have("zsh")) {
        return;
    }
    let dir = TempDir::new("compl-zsh");
    let file = write(dir.path(), "_proctor", &s);
    let (ok, _, err) = run("zsh", &["-n", &file]);
    assert!(ok && err.is_empty(), "zsh -n: {err}");
}

#[test]
fn fish_script_parses_and_completes_every_command() {
    let cmds = commands();
    let s = script("fish");
    if !require("fish (apt-get install fish)", have("fish")) {
        return;
    }
    let dir = TempDir::new("compl-fish");
    let file = write(dir.path(), "proctor.fish", &s);
    let (ok, _, err) = run("fish", &["--no-execute", &file]);
    assert!(ok && err.is_empty(), "fish --no-execute: {err}");
    let (ok, out, err) = run(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {file}; complete -C'proctor '"),
        ],
    );
    assert!(ok, "fish complete: {err}");
    let offered: Vec<&str> = out.lines().filter_map(|l| l.split('\t').next()).collect();
    for c in &cmds {
        assert!(
            offered.contains(&c.as_str()),
            "fish: {c} not offered: {out}"
        );
    }
    let (_, sort, _) = run(
        "fish",
        &[
            "--no-config",
            "-c",
            &format!("source {file}; complete -C'proctor top --so'"),
        ],
    );
    assert!(sort.starts_with("--sort"), "{sort}");
}

#[test]
fn bad_shell_is_a_usage_error() {
    assert_usage_error(
        &["completions", "tcsh"],
        "invalid value 'tcsh'",
        "proctor --help",
    );
    let o = proctor(&["completions"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}

/// Render a page with groff as `man` does, warnings on; the text.
fn render(page: &Path) -> String {
    let o = Command::new("groff")
        .args(["-ww", "-man", "-Tutf8", "-rLL=400n", "-P-cbou"])
        .arg(page)
        .env("LC_ALL", "C.UTF-8")
        .output()
        .expect("run groff");
    assert!(
        o.status.success(),
        "groff {}: {}",
        page.display(),
        stderr(&o)
    );
    assert!(
        o.stderr.is_empty(),
        "groff warnings for {}: {}",
        page.display(),
        stderr(&o)
    );
    // groff may print `\-` as a minus sign and a hyphen as U+2010.
    String::from_utf8_lossy(&o.stdout).replace(['\u{2212}', '\u{2010}'], "-")
}

#[test]
fn a_man_page_per_command_renders_and_names_its_options() {
    if !require("groff (apt-get install groff-base)", have("groff")) {
        return;
    }
    let cmds = commands();
    let dir = TempDir::new("manpages");
    let out = dir.path().join("pkg");
    // No /proc needed: a packaging build may run anywhere.
    let o = proctor(&[
        "manpage",
        "--out",
        out.to_str().unwrap(),
        "--proc-root",
        "/nonexistent",
    ]);
    assert_ok(&o, "manpage --out");
    let mut want: Vec<String> = vec![out.join("man1/proctor.1").display().to_string()];
    want.extend(cmds.iter().map(|c| {
        out.join(format!("man1/proctor-{c}.1"))
            .display()
            .to_string()
    }));
    for f in ["proctor.bash", "_proctor", "proctor.fish"] {
        want.push(out.join("completions").join(f).display().to_string());
    }
    let listed: Vec<String> = stdout(&o).lines().map(str::to_string).collect();
    assert_eq!(listed.len(), want.len(), "{listed:?}");
    for w in &want {
        assert!(listed.contains(w), "{w} not written: {listed:?}");
    }
    // Each page renders, names its command, and every option of its --help.
    let pages = std::iter::once(None).chain(cmds.iter().map(|c| Some(c.as_str())));
    for command in pages {
        let name = command.map_or("proctor".to_string(), |c| format!("proctor-{c}"));
        let text = render(&out.join(format!("man1/{name}.1")));
        assert!(text.contains("NAME"), "{name}: {text}");
        assert!(text.contains(&format!("{name} - ")), "{name}: {text}");
        for opt in options_of(command) {
            assert!(text.contains(&opt), "{name}: {opt} missing from the page");
        }
        if command.is_none() {
            for c in &cmds {
                assert!(text.contains(&format!("proctor-{c}(1)")), "proctor.1: {c}");
            }
        }
    }
    // Completion files are the scripts `completions` prints.
    let bash = std::fs::read_to_string(out.join("completions/proctor.bash")).unwrap();
    assert_eq!(bash, script("bash"));
}

#[test]
fn manpage_prints_one_page_or_says_which_exist() {
    let o = proctor(&["manpage"]);
    assert_ok(&o, "manpage");
    let page = stdout(&o);
    assert!(
        page.contains(".TH proctor 1 "),
        "{}",
        &page[..200.min(page.len())]
    );
    let o = proctor(&["manpage", "top"]);
    assert_ok(&o, "manpage top");
    let top = stdout(&o);
    assert!(
        top.contains(".TH proctor-top 1 "),
        "{}",
        &top[..200.min(top.len())]
    );
    assert!(top.contains("\\-\\-once"));
    assert_usage_error(&["manpage", "nope"], "no command 'nope'", "top");
    // A directory that cannot be made: one line and a hint, exit 2.
    let dir = TempDir::new("manpage-bad");
    let file = dir.path().join("a-file");
    std::fs::write(&file, "x").unwrap();
    let bad = file.join("sub");
    assert_usage_error(
        &["manpage", "--out", bad.to_str().unwrap()],
        "cannot write",
        "--out",
    );
}
