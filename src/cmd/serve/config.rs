//! `serve --config FILE`: process-exporter-style matchers that group
//! processes by name, executable or command line, for hosts without
//! containers (docs/serve.md). TOML:
//!
//! ```toml
//! [[group]]
//! name = "java-{app}"          # the group label; {comm}, {exe} and named captures
//! comm = "java"                # exact process name (optional)
//! exe = "/usr/bin/java"        # exact executable path, or its file name (optional)
//! cmdline = 'app=(?P<app>\w+)' # regex over the arguments joined by spaces (optional)
//! ```
//!
//! Every condition given must hold; the first matcher that matches wins.
//! Only what a matcher's template selects becomes a label: a command line
//! reaches a label only through a capture the operator wrote.

use regex::{Regex, RegexBuilder};
use serde::Deserialize;

/// Matchers in one file, at most.
pub const MAX_MATCHERS: usize = 256;
/// The config file, at most.
pub const MAX_FILE: u64 = 1 << 20;
/// A group name made from a template, at most (bytes; cut at a char
/// boundary).
pub const MAX_NAME: usize = 128;
/// A compiled regex's size, at most.
const REGEX_SIZE: usize = 1 << 20;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    group: Vec<Raw>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: String,
    comm: Option<String>,
    exe: Option<String>,
    cmdline: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Matcher {
    name: Vec<Piece>,
    comm: Option<Vec<u8>>,
    exe: Option<Vec<u8>>,
    cmdline: Option<Regex>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Piece {
    Text(String),
    Comm,
    Exe,
    Capture(String),
}

/// The matchers of a config file, in order.
#[derive(Debug, Clone, Default)]
pub struct Matchers {
    list: Vec<Matcher>,
}

/// What a matcher looks at.
pub struct Candidate<'a> {
    pub comm: &'a [u8],
    /// None: not read (no matcher wants it) or unreadable.
    pub exe: Option<&'a [u8]>,
    /// NUL-separated, as the kernel gives it.
    pub cmdline: &'a [u8],
}

impl Matchers {
    /// Parse the file's text; an error says which matcher and why.
    pub fn parse(text: &str) -> Result<Matchers, String> {
        let f: File = toml::from_str(text).map_err(|e| {
            let first = e.message().lines().next().unwrap_or_default().to_string();
            match e.span() {
                Some(s) => format!("{first} (at byte {})", s.start),
                None => first,
            }
        })?;
        if f.group.len() > MAX_MATCHERS {
            return Err(format!(
                "{} matchers; at most {MAX_MATCHERS}",
                f.group.len()
            ));
        }
        let mut list = Vec::with_capacity(f.group.len());
        for (i, r) in f.group.into_iter().enumerate() {
            list.push(Matcher::new(r).map_err(|e| format!("group {}: {e}", i + 1))?);
        }
        Ok(Matchers { list })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// Whether some matcher looks at the executable (read only then).
    pub fn wants_exe(&self) -> bool {
        self.list
            .iter()
            .any(|m| m.exe.is_some() || m.name.contains(&Piece::Exe))
    }

    /// The group name of the first matcher that matches.
    pub fn name(&self, c: &Candidate<'_>) -> Option<String> {
        self.list.iter().find_map(|m| m.apply(c))
    }
}

impl Matcher {
    fn new(r: Raw) -> Result<Matcher, String> {
        if r.comm.is_none() && r.exe.is_none() && r.cmdline.is_none() {
            return Err("give at least one of comm, exe, cmdline".into());
        }
        let cmdline = match &r.cmdline {
            Some(p) => Some(
                RegexBuilder::new(p)
                    .size_limit(REGEX_SIZE)
                    .build()
                    .map_err(|e| format!("cmdline: {}", first_line(&e.to_string())))?,
            ),
            None => None,
        };
        let name = template(&r.name, cmdline.as_ref())?;
        Ok(Matcher {
            name,
            comm: r.comm.map(String::into_bytes),
            exe: r.exe.map(String::into_bytes),
            cmdline,
        })
    }

    fn apply(&self, c: &Candidate<'_>) -> Option<String> {
        if self.comm.as_deref().is_some_and(|want| want != c.comm) {
            return None;
        }
        if let Some(want) = &self.exe {
            let exe = c.exe?;
            let base = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
            if want.as_slice() != exe && want.as_slice() != base {
                return None;
            }
        }
        let joined: String;
        let caps = match &self.cmdline {
            Some(re) => {
                joined = join_args(c.cmdline);
                Some(re.captures(&joined)?)
            }
            None => None,
        };
        let mut out = String::new();
        for p in &self.name {
            match p {
                Piece::Text(t) => out.push_str(t),
                Piece::Comm => out.push_str(&String::from_utf8_lossy(c.comm)),
                Piece::Exe => {
                    let exe = c.exe.unwrap_or_default();
                    let base = exe.rsplit(|&b| b == b'/').next().unwrap_or(exe);
                    out.push_str(&String::from_utf8_lossy(base));
                }
                Piece::Capture(n) => {
                    if let Some(m) = caps.as_ref().and_then(|c| c.name(n)) {
                        out.push_str(m.as_str());
                    }
                }
            }
        }
        Some(cut(out))
    }
}

fn first_line(s: &str) -> String {
    s.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// The arguments joined by spaces (a trailing NUL dropped), invalid
/// UTF-8 as U+FFFD: what the regex sees and a capture can give.
fn join_args(b: &[u8]) -> String {
    let b = b.strip_suffix(b"\0").unwrap_or(b);
    let spaced: Vec<u8> = b.iter().map(|&c| if c == 0 { b' ' } else { c }).collect();
    String::from_utf8_lossy(&spaced).into_owned()
}

/// At most [`MAX_NAME`] bytes, cut at a character boundary.
fn cut(mut s: String) -> String {
    if s.len() > MAX_NAME {
        let mut at = MAX_NAME;
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        s.truncate(at);
    }
    s
}

/// `java-{app}` into pieces; `{{` and `}}` are braces.
fn template(t: &str, re: Option<&Regex>) -> Result<Vec<Piece>, String> {
    if t.is_empty() {
        return Err("name is empty".into());
    }
    let mut pieces = Vec::new();
    let mut text = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                text.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                text.push('}');
            }
            '{' => {
                let mut key = String::new();
                loop {
                    match chars.next() {
                        Some('}') => break,
                        Some(k) => key.push(k),
                        None => return Err(format!("name: unclosed {{ in '{t}'")),
                    }
                }
                if !text.is_empty() {
                    pieces.push(Piece::Text(std::mem::take(&mut text)));
                }
                pieces.push(match key.as_str() {
                    "comm" => Piece::Comm,
                    "exe" => Piece::Exe,
                    k if re.is_some_and(|r| r.capture_names().flatten().any(|n| n == k)) => {
                        Piece::Capture(k.to_string())
                    }
                    k => {
                        return Err(format!(
                            "name: {{{k}}} is neither comm, exe nor a named capture of cmdline"
                        ));
                    }
                });
            }
            '}' => return Err(format!("name: unmatched }} in '{t}'")),
            c => text.push(c),
        }
    }
    if !text.is_empty() {
        pieces.push(Piece::Text(text));
    }
    Ok(pieces)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cand<'a>(comm: &'a [u8], exe: Option<&'a [u8]>, cmdline: &'a [u8]) -> Candidate<'a> {
        Candidate { comm, exe, cmdline }
    }

    #[test]
    fn first_match_wins_with_captures_and_placeholders() {
        let m = Matchers::parse(
            r#"
[[group]]
name = "java-{app}"
comm = "java"
cmdline = 'app=(?P<app>[a-z]+)'

[[group]]
name = "{comm}@{exe}"
exe = "python3"

[[group]]
name = "any-java"
comm = "java"
"#,
        )
        .unwrap();
        assert!(m.wants_exe());
        let c = cand(b"java", None, b"java\0-Dapp=billing\0-jar\0x.jar\0");
        assert_eq!(m.name(&c).as_deref(), Some("java-billing"));
        // No capture: the second java matcher.
        let c = cand(b"java", None, b"java\0-jar\0x.jar\0");
        assert_eq!(m.name(&c).as_deref(), Some("any-java"));
        // exe by file name; needs the exe.
        let c = cand(b"worker", Some(b"/usr/bin/python3"), b"");
        assert_eq!(m.name(&c).as_deref(), Some("worker@python3"));
        let c = cand(b"worker", None, b"");
        assert_eq!(m.name(&c), None);
    }

    #[test]
    fn hostile_bytes_become_valid_utf8_and_names_are_capped() {
        let m = Matchers::parse("[[group]]\nname = \"x-{a}\"\ncmdline = '(?P<a>.+)'\n").unwrap();
        let long = vec![b'\xff'; 1000];
        let n = m.name(&cand(b"p", None, &long)).unwrap();
        assert!(n.len() <= MAX_NAME && n.starts_with("x-\u{fffd}"), "{n}");
        let n = m.name(&cand(b"p", None, b"ev\x1b[31m:)\xff")).unwrap();
        assert_eq!(n, "x-ev\x1b[31m:)\u{fffd}");
    }

    #[test]
    fn bad_configs_say_why() {
        let e = |t: &str| Matchers::parse(t).unwrap_err();
        assert!(e("[[group]]\nname = \"x\"\n").contains("at least one of"));
        assert!(e("[[group]]\nname = \"{nope}\"\ncomm = \"a\"\n").contains("{nope}"));
        assert!(e("[[group]]\nname = \"x\"\ncmdline = '('\n").starts_with("group 1: cmdline:"));
        assert!(e("[[group]]\nname = \"x\"\ncomm = \"a\"\ncolour = 1\n").contains("colour"));
        assert!(e("[[group]\n").contains("at byte"));
        let many = "[[group]]\nname = \"x\"\ncomm = \"a\"\n".repeat(MAX_MATCHERS + 1);
        assert!(e(&many).contains("at most 256"));
        assert!(Matchers::parse("").unwrap().is_empty());
    }

    mod props {
        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(500))]

            /// Any text: a config or an error, never a panic.
            #[test]
            fn any_text_parses_or_fails_cleanly(t in "\\PC{0,200}") {
                let _ = Matchers::parse(&t);
                let _ = Matchers::parse(&format!("[[group]]\nname = \"{{comm}}-x\"\ncmdline = '{t}'\n"));
            }

            /// Any process: a name of valid UTF-8 within the cap, or none.
            #[test]
            fn any_process_gets_a_bounded_name(
                comm in proptest::collection::vec(any::<u8>(), 0..20),
                cmdline in proptest::collection::vec(any::<u8>(), 0..400),
            ) {
                let m = Matchers::parse("[[group]]\nname = \"{comm}:{a}\"\ncmdline = '(?P<a>.*)'\n").unwrap();
                let n = m.name(&Candidate { comm: &comm, exe: None, cmdline: &cmdline }).unwrap();
                prop_assert!(n.len() <= MAX_NAME);
            }
        }
    }
}
