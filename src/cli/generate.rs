//! `proctor completions SHELL` and `proctor manpage [COMMAND | --out DIR]`:
//! the shell completion scripts (clap_complete) and the man pages
//! (clap_mangen), generated from the clap definitions of [`super::args`],
//! so a command or option added there is in them without a word written
//! here. It lives in `cli` because it needs clap's `Command`, and clap
//! lives only in `cli`; no `cmd` module is involved (these commands read
//! nothing of /proc or /sys, and `cli` runs them without checking the
//! roots).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

use super::args::{Cli, ShellArg};
use crate::cmd::context::Output;
use crate::error::{CliError, ExitCode};

/// The man pages' section (user commands).
const SECTION: &str = "1";
/// The man pages' manual name, in their header.
const MANUAL: &str = "proctor manual";

/// What `completions` or `manpage` asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Generate {
    /// One shell's completion script, to stdout.
    Completions(ShellArg),
    /// One man page, to stdout: `proctor.1`, or COMMAND's.
    Manpage(Option<String>),
    /// Every man page and completion script, written under DIR.
    Files(PathBuf),
}

impl Generate {
    /// Generate what was asked for: the text to print, or the files
    /// written (their paths listed, one a line).
    pub fn run(&self) -> Result<Output, CliError> {
        let stdout = match self {
            Generate::Completions(shell) => text(completion(*shell)),
            Generate::Manpage(command) => text(man_page(command.as_deref())?),
            Generate::Files(dir) => write_files(dir)?
                .iter()
                .map(|p| {
                    format!(
                        "{}\n",
                        crate::text::neutralize_controls(&p.display().to_string())
                    )
                })
                .collect(),
        };
        Ok(Output {
            stdout,
            code: ExitCode::Ok,
        })
    }
}

/// Generated text: clap's generators write UTF-8 (every help string is a
/// Rust `str`).
fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// The whole command line as clap sees it, built (subcommands named
/// `proctor-top`, ...), without the `help` subcommand (it has no page).
fn command() -> clap::Command {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    cmd
}

/// The command line without its hidden subcommands (`demo-child`):
/// clap_complete offers hidden commands, and an internal mode must not be
/// completed. Made from the definitions before clap builds them (a built
/// command already has its `--help`, which building again would add twice).
fn without_hidden() -> clap::Command {
    let defined = Cli::command();
    let mut visible = clap::Command::new("proctor")
        .version(env!("CARGO_PKG_VERSION"))
        .propagate_version(true)
        .disable_help_subcommand(true)
        .args(defined.get_arguments().cloned())
        .subcommands(
            defined
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .cloned(),
        );
    if let Some(about) = defined.get_about() {
        visible = visible.about(about.clone());
    }
    visible
}

/// The file name of each shell's script in a completions directory, as
/// the shells look them up: bash-completion by the command's name, zsh by
/// `_` and the name, fish by the name and `.fish`.
pub fn completion_file(shell: ShellArg) -> &'static str {
    match shell {
        ShellArg::Bash => "proctor.bash",
        ShellArg::Zsh => "_proctor",
        ShellArg::Fish => "proctor.fish",
    }
}

/// The completion script of `shell`.
pub fn completion(shell: ShellArg) -> Vec<u8> {
    let shell = match shell {
        ShellArg::Bash => clap_complete::Shell::Bash,
        ShellArg::Zsh => clap_complete::Shell::Zsh,
        ShellArg::Fish => clap_complete::Shell::Fish,
    };
    let mut cmd = without_hidden();
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "proctor", &mut buf);
    buf
}

/// Every visible command, with its page's file name (`proctor.1`,
/// `proctor-top.1`, ...) and its roff text, `proctor` first. Hidden
/// commands (`demo-child`) have none.
pub fn man_pages() -> Result<Vec<(String, Vec<u8>)>, CliError> {
    let root = command();
    let mut pages = vec![page(&root)?];
    for sub in root.get_subcommands().filter(|s| !s.is_hide_set()) {
        pages.push(page(sub)?);
    }
    Ok(pages)
}

/// One command's man page: its file name and roff text.
fn page(cmd: &clap::Command) -> Result<(String, Vec<u8>), CliError> {
    let man = clap_mangen::Man::new(cmd.clone())
        .section(SECTION)
        .manual(MANUAL)
        .source(format!("proctor {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    man.render(&mut buf)
        .map_err(|e| CliError::new(format!("cannot render the man page: {e}")))?;
    Ok((man.get_filename(), buf))
}

/// The man page of `command` (`top`), or `proctor.1` for none; an unknown
/// command is a usage error listing the known ones.
fn man_page(command: Option<&str>) -> Result<Vec<u8>, CliError> {
    let want = match command {
        None => format!("proctor.{SECTION}"),
        Some(c) => format!("proctor-{c}.{SECTION}"),
    };
    let pages = man_pages()?;
    let names: Vec<String> = pages
        .iter()
        .skip(1)
        .filter_map(|(f, _)| {
            f.strip_prefix("proctor-")?
                .strip_suffix(".1")
                .map(str::to_string)
        })
        .collect();
    match pages.into_iter().find(|(f, _)| *f == want) {
        Some((_, text)) => Ok(text),
        None => Err(CliError::new(format!(
            "no command '{}'",
            crate::text::escape_for_terminal(command.unwrap_or_default().as_bytes())
        ))
        .hint(format!("one of: {}", names.join(", ")))),
    }
}

/// Write every man page to `DIR/man1/` and every completion script to
/// `DIR/completions/` (directories created); the paths written.
fn write_files(dir: &Path) -> Result<Vec<PathBuf>, CliError> {
    let man_dir = dir.join(format!("man{SECTION}"));
    let comp_dir = dir.join("completions");
    let mut files: Vec<(PathBuf, Vec<u8>)> = man_pages()?
        .into_iter()
        .map(|(name, text)| (man_dir.join(name), text))
        .collect();
    for shell in [ShellArg::Bash, ShellArg::Zsh, ShellArg::Fish] {
        files.push((comp_dir.join(completion_file(shell)), completion(shell)));
    }
    for d in [&man_dir, &comp_dir] {
        std::fs::create_dir_all(d).map_err(|e| write_error(d, &e))?;
    }
    for (path, bytes) in &files {
        std::fs::File::create(path)
            .and_then(|mut f| f.write_all(bytes).and_then(|()| f.flush()))
            .map_err(|e| write_error(path, &e))?;
    }
    Ok(files.into_iter().map(|(p, _)| p).collect())
}

/// A file or directory of `--out` that could not be written.
fn write_error(path: &Path, e: &std::io::Error) -> CliError {
    CliError::new(format!(
        "cannot write {}: {e}",
        crate::text::escape_for_terminal(path.as_os_str().as_encoded_bytes())
    ))
    .hint("give --out a directory you may write to, e.g. --out target/pkg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_page_per_visible_command() {
        let pages = man_pages().unwrap();
        let names: Vec<&str> = pages.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names[0], "proctor.1");
        for want in [
            "proctor-top.1",
            "proctor-inspect.1",
            "proctor-completions.1",
        ] {
            assert!(names.contains(&want), "{want} missing from {names:?}");
        }
        assert!(!names.iter().any(|n| n.contains("demo-child")), "{names:?}");
        assert!(!names.contains(&"proctor-help.1"), "{names:?}");
        let top = String::from_utf8(man_page(Some("top")).unwrap()).unwrap();
        assert!(top.starts_with(".ie \\n(.g .ds Aq"), "{top}");
        assert!(top.contains("\\-\\-once"), "{top}");
        let e = man_page(Some("nope")).unwrap_err();
        assert_eq!(e.message, "no command 'nope'");
        assert!(e.hint.unwrap().contains("top"));
    }

    #[test]
    fn completions_name_every_command() {
        for shell in [ShellArg::Bash, ShellArg::Zsh, ShellArg::Fish] {
            let script = String::from_utf8(completion(shell)).unwrap();
            for sub in ["inspect", "top", "report", "manpage"] {
                assert!(script.contains(sub), "{shell:?}: {sub} missing");
            }
            assert!(!script.contains("demo-child"), "{shell:?}: hidden command");
        }
    }
}
