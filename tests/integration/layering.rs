//! The layering of `src/`, kept true by a test: every file of a layer is
//! read, comments and string literals are blanked out, every `use` tree
//! is flattened and every `crate::`/`super::`/`self::` path is resolved
//! from the file's module (inline `mod x { .. }` blocks included), and no
//! path may reach a layer the rules below forbid:
//!
//! - `analysis` (judgement) uses none of `render`, `cli`, `cmd`;
//! - `cmd` (one home per command) never uses `cli`;
//! - `parse` (pure parsers) uses none of `reader`, `analysis`, `render`,
//!   `cmd`, `cli`;
//! - `reader` (I/O) uses none of `analysis`, `render`, `cmd`, `cli`, and
//!   never escapes text for a terminal (`escape_for_terminal`,
//!   `escape_into`, `neutralize_controls`);
//! - `render` (words) uses none of `cmd`, `cli`, and of `reader` only the
//!   plain data types in [`RENDER_READER_TYPES`] (render formats what the
//!   reader returned: a scan, the host's numbers; it never reads);
//! - `store` (the history file: SQLite I/O) uses none of `analysis`,
//!   `render`, `cmd`, `cli`, `reader`: it writes and reads back plain data.
//!
//! A second rule keeps every word a person reads in `render`: no string
//! literal of `analysis` (outside `#[cfg(test)]` code and attributes; byte
//! strings are patterns, not words) holds a sentence, taken as two words
//! of two letters or more side by side ("is mounted", "did not"). Values
//! (`"permission_denied"`, `"fds.near_limit"`, `"{:x}"`) pass.

use std::path::{Path, PathBuf};

/// The reader types `render` may name: data the reader returns, formatted
/// for people. Anything else of the reader (`ProcFs`, `Process`,
/// `Scanner`, its functions) would be render doing I/O.
const RENDER_READER_TYPES: &[&str] =
    &["CgroupVersion", "HostFacts", "Missing", "Scan", "Truncated"];

/// The terminal escapers of `crate::text`: never called by the reader.
const ESCAPERS: &[&str] = &["escape_for_terminal", "escape_into", "neutralize_controls"];

/// Top-level modules each layer must not use.
fn forbidden(layer: &str) -> &'static [&'static str] {
    match layer {
        "analysis" => &["render", "cli", "cmd"],
        "cmd" => &["cli"],
        "parse" => &["reader", "analysis", "render", "cmd", "cli"],
        "reader" => &["analysis", "render", "cmd", "cli"],
        "render" => &["cmd", "cli"],
        "store" => &["analysis", "render", "cmd", "cli", "reader"],
        _ => &[],
    }
}

const LAYERS: [&str; 6] = ["analysis", "cmd", "parse", "reader", "render", "store"];

/// One use of something a layer must not use.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Violation {
    /// Relative to the crate root: `src/analysis/leak.rs`.
    file: String,
    line: usize,
    /// What the rule forbids: `crate::render`, `escape_for_terminal`.
    forbidden: String,
    /// The path as resolved from the crate root.
    path: String,
}

/// `src/cmd/top/tui.rs` -> `[cmd, top, tui]`; `mod.rs` is its folder.
fn module_of(rel: &Path) -> Vec<String> {
    let mut parts: Vec<String> = rel
        .iter()
        .skip(1) // "src"
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if let Some(last) = parts.pop() {
        let stem = last.trim_end_matches(".rs");
        if stem != "mod" && stem != "lib" && stem != "main" {
            parts.push(stem.to_string());
        }
    }
    parts
}

/// The source with comments (doc comments too), string, byte-string,
/// raw-string and char literals replaced by spaces; lines are kept.
fn blank_comments_and_literals(src: &str) -> String {
    lex(src).0
}

/// A string literal of the source (raw or not), for the sentence rule.
#[derive(Debug)]
struct Literal {
    /// Where its opening quote (or `r`) is in the blanked code, in chars.
    at: usize,
    /// Its text between the delimiters, escapes as written.
    text: String,
    /// `b".."`, `br".."`: bytes matched, never words shown.
    bytes: bool,
}

/// The blanked source (see [`blank_comments_and_literals`]) and its
/// string literals.
fn lex(src: &str) -> (String, Vec<Literal>) {
    let c: Vec<char> = src.chars().collect();
    let mut out: Vec<char> = Vec::with_capacity(src.len());
    let mut lits = Vec::new();
    let blank = |out: &mut Vec<char>, ch: char| out.push(if ch == '\n' { '\n' } else { ' ' });
    let ident = |ch: char| ch.is_alphanumeric() || ch == '_';
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
            continue;
        }
        if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    blank(&mut out, ' ');
                    blank(&mut out, ' ');
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    blank(&mut out, ' ');
                    blank(&mut out, ' ');
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    blank(&mut out, c[i]);
                    i += 1;
                }
            }
            continue;
        }
        // Raw strings: r"..", r#".."#, br#".."# (not part of an identifier).
        let prev_ident =
            i > 0 && ident(c[i - 1]) && !(c[i - 1] == 'b' && (i < 2 || !ident(c[i - 2])));
        if c[i] == 'r' && !prev_ident {
            let mut j = i + 1;
            while j < c.len() && c[j] == '#' {
                j += 1;
            }
            if c.get(j) == Some(&'"') {
                let hashes = j - i - 1;
                let mut k = j + 1;
                while k < c.len() {
                    if c[k] == '"' && (k + 1..k + 1 + hashes).all(|h| c.get(h) == Some(&'#')) {
                        k += 1 + hashes;
                        break;
                    }
                    k += 1;
                }
                lits.push(Literal {
                    at: out.len(),
                    text: c[(j + 1).min(c.len())
                        ..k.saturating_sub(1 + hashes).max(j + 1).min(c.len())]
                        .iter()
                        .collect(),
                    bytes: i > 0 && c[i - 1] == 'b',
                });
                for &ch in &c[i..k.min(c.len())] {
                    blank(&mut out, ch);
                }
                i = k;
                continue;
            }
        }
        if c[i] == '"' {
            let mut k = i + 1;
            while k < c.len() && c[k] != '"' {
                k += if c[k] == '\\' { 2 } else { 1 };
            }
            lits.push(Literal {
                at: out.len(),
                text: c[i + 1..k.min(c.len())].iter().collect(),
                bytes: i > 0 && c[i - 1] == 'b' && !(i > 1 && ident(c[i - 2])),
            });
            for &ch in &c[i..(k + 1).min(c.len())] {
                blank(&mut out, ch);
            }
            i = k + 1;
            continue;
        }
        // A char literal ('x', '\n', '\u{1F600}'), not a lifetime ('a).
        if c[i] == '\'' {
            let end = if next == Some('\\') {
                (i + 3..c.len()).find(|&k| c[k] == '\'')
            } else if c.get(i + 2) == Some(&'\'') {
                Some(i + 2)
            } else {
                None
            };
            if let Some(e) = end {
                for &ch in &c[i..=e] {
                    blank(&mut out, ch);
                }
                i = e + 1;
                continue;
            }
        }
        out.push(c[i]);
        i += 1;
    }
    (out.into_iter().collect(), lits)
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Ident(String),
    /// `::`
    Path,
    Punct(char),
}

fn tokenize(code: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = code.chars().collect();
    let mut toks = Vec::new();
    let (mut i, mut line) = (0, 1);
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch.is_alphabetic() || ch == '_' {
            let start = i;
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_') {
                i += 1;
            }
            toks.push((Tok::Ident(c[start..i].iter().collect()), line));
        } else if ch.is_ascii_digit() {
            while i < c.len() && (c[i].is_alphanumeric() || c[i] == '_' || c[i] == '.') {
                i += 1;
            }
        } else if ch == ':' && c.get(i + 1) == Some(&':') {
            toks.push((Tok::Path, line));
            i += 2;
        } else {
            toks.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    toks
}

/// Flatten the use tree starting at `toks[*i]` (after `use`) into paths,
/// each with the line it starts on; `*i` ends past the tree.
fn use_tree(
    toks: &[(Tok, usize)],
    i: &mut usize,
    prefix: &[String],
    out: &mut Vec<(Vec<String>, usize)>,
) {
    let mut path = prefix.to_vec();
    let line = toks.get(*i).map_or(0, |t| t.1);
    while let Some((t, _)) = toks.get(*i) {
        match t {
            Tok::Ident(w) if w == "as" => {
                // `x as y`: the alias does not change what is used.
                *i += 2;
            }
            Tok::Ident(w) => {
                path.push(w.clone());
                *i += 1;
            }
            Tok::Path => *i += 1,
            Tok::Punct('*') => {
                path.push("*".into());
                *i += 1;
            }
            Tok::Punct('{') => {
                *i += 1;
                loop {
                    match toks.get(*i) {
                        None => return,
                        Some((Tok::Punct('}'), _)) => {
                            *i += 1;
                            return;
                        }
                        Some((Tok::Punct(','), _)) => *i += 1,
                        Some(_) => use_tree(toks, i, &path, out),
                    }
                }
            }
            _ => break,
        }
    }
    // `use a::{self, b}`: `self` names `a`.
    if path.last().is_some_and(|s| s == "self") && path.len() > prefix.len() && !prefix.is_empty() {
        path.pop();
    }
    out.push((path, line));
}

/// The path from the crate root, or `None` for an external crate or a
/// name in scope (`std::..`, `serde::..`, `Foo::bar`).
fn resolve(path: &[String], module: &[String]) -> Option<Vec<String>> {
    let mut at: Vec<String>;
    let mut rest = path;
    match path.first().map(String::as_str) {
        Some("crate") => {
            at = Vec::new();
            rest = &path[1..];
        }
        Some("super") | Some("self") => {
            at = module.to_vec();
            while let Some(first) = rest.first() {
                match first.as_str() {
                    "super" => {
                        at.pop()?;
                    }
                    "self" => {}
                    _ => break,
                }
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    at.extend(rest.iter().cloned());
    Some(at)
}

/// Every path of `code` (blanked) from the crate root, with its line:
/// those of `use` trees and those written in the code.
fn paths(code: &str, file_module: &[String]) -> Vec<(Vec<String>, usize)> {
    let toks = tokenize(code);
    let mut out = Vec::new();
    // Inline modules: (name, brace depth at which they close).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut i = 0;
    let module = |inline: &[(String, usize)]| {
        let mut m = file_module.to_vec();
        m.extend(inline.iter().map(|(n, _)| n.clone()));
        m
    };
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth = depth.saturating_sub(1);
                if inline.last().is_some_and(|(_, d)| *d == depth) {
                    inline.pop();
                }
            }
            Tok::Ident(w) if w == "mod" => {
                if let (Some((Tok::Ident(name), _)), Some((Tok::Punct('{'), _))) =
                    (toks.get(i + 1), toks.get(i + 2))
                {
                    inline.push((name.clone(), depth));
                }
            }
            Tok::Ident(w) if w == "use" => {
                let mut j = i + 1;
                let mut found = Vec::new();
                use_tree(&toks, &mut j, &[], &mut found);
                let m = module(&inline);
                for (p, line) in found {
                    if let Some(abs) = resolve(&p, &m) {
                        out.push((abs, line));
                    }
                }
                i = j;
                continue;
            }
            Tok::Ident(w)
                if matches!(w.as_str(), "crate" | "super" | "self")
                    && toks.get(i + 1).is_some_and(|t| t.0 == Tok::Path)
                    && !(i > 0 && toks[i - 1].0 == Tok::Path) =>
            {
                let line = toks[i].1;
                let mut p = vec![w.clone()];
                let mut j = i + 1;
                while let (Some((Tok::Path, _)), Some((Tok::Ident(seg), _))) =
                    (toks.get(j), toks.get(j + 1))
                {
                    p.push(seg.clone());
                    j += 2;
                }
                if let Some(abs) = resolve(&p, &module(&inline)) {
                    out.push((abs, line));
                }
                i = j;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    out
}

/// Every violation of the rules in one file's source.
fn check_source(rel: &str, src: &str) -> Vec<Violation> {
    let module = module_of(Path::new(rel));
    let Some(layer) = module.first().cloned() else {
        return Vec::new();
    };
    let code = blank_comments_and_literals(src);
    let mut found = Vec::new();
    let mut flag = |line: usize, forbidden: String, path: String| {
        found.push(Violation {
            file: rel.to_string(),
            line,
            forbidden,
            path,
        });
    };
    for (p, line) in paths(&code, &module) {
        let Some(top) = p.first() else { continue };
        let shown = format!("crate::{}", p.join("::"));
        if forbidden(&layer).contains(&top.as_str()) {
            flag(line, format!("crate::{top}"), shown.clone());
        }
        if layer == "render"
            && top == "reader"
            && !p
                .get(1)
                .is_some_and(|t| RENDER_READER_TYPES.contains(&t.as_str()))
        {
            flag(line, "crate::reader".into(), shown);
        }
    }
    if layer == "reader" {
        for (t, line) in tokenize(&code) {
            if let Tok::Ident(w) = t {
                if ESCAPERS.contains(&w.as_str()) {
                    flag(line, w.clone(), w);
                }
            }
        }
    }
    found
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Every violation under `src/`, sorted.
fn violations() -> Vec<Violation> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for layer in LAYERS {
        rust_files(&root.join("src").join(layer), &mut files);
    }
    assert!(files.len() > 30, "src/ not found under {}", root.display());
    let mut all = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(&f).unwrap();
        all.extend(check_source(&rel, &src));
    }
    all.sort();
    all
}

#[test]
fn layers_use_only_what_they_may() {
    let broken: Vec<String> = violations()
        .iter()
        .map(|v| {
            format!(
                "{}:{}: uses {} (forbidden: {})",
                v.file, v.line, v.path, v.forbidden
            )
        })
        .collect();
    assert!(
        broken.is_empty(),
        "layering broken (see the rules in tests/integration/layering.rs):\n{}",
        broken.join("\n")
    );
}

// The checker itself, on sources written for it.

fn forbidden_in(rel: &str, src: &str) -> Vec<String> {
    check_source(rel, src)
        .into_iter()
        .map(|v| format!("{}@{}", v.path, v.line))
        .collect()
}

#[test]
fn finds_paths_in_use_trees_and_code() {
    let src = "use crate::{text::Text, render::{units, style::Palette as P}};\n\
               use crate::cmd;\n\
               fn f() { let _ = crate::cli::args::bounds::MIN_INTERVAL; }\n\
               use crate::parse::stat;\n";
    assert_eq!(
        forbidden_in("src/analysis/x.rs", src),
        [
            "crate::render::units@1",
            "crate::render::style::Palette@1",
            "crate::cmd@2",
            "crate::cli::args::bounds::MIN_INTERVAL@3",
        ]
    );
}

#[test]
fn resolves_super_from_files_and_inline_modules() {
    // From src/analysis/findings.rs, super::super is the crate root.
    assert_eq!(
        forbidden_in(
            "src/analysis/findings.rs",
            "use super::super::render::units::iec;"
        ),
        ["crate::render::units::iec@1"]
    );
    // In src/cmd/top/tui.rs: super::super::super::cli is crate::cli.
    assert_eq!(
        forbidden_in(
            "src/cmd/top/tui.rs",
            "fn f() { super::super::super::cli::run(); }"
        ),
        ["crate::cli::run@1"]
    );
    // super::super in `mod tests` of src/parse/stat.rs is src/parse: fine.
    assert!(
        forbidden_in(
            "src/parse/stat.rs",
            "mod tests {\n use super::super::*;\n}\n"
        )
        .is_empty()
    );
    // After the inline module closes, super is the file's parent again.
    let src = "mod tests { use super::*; }\nuse super::super::reader::ProcFs;\n";
    assert_eq!(
        forbidden_in("src/parse/stat.rs", src),
        ["crate::reader::ProcFs@2"]
    );
    // self:: and external crates.
    assert!(
        forbidden_in(
            "src/render/x.rs",
            "use self::cli::x; use cli::y; use std::io;"
        )
        .is_empty()
    );
}

#[test]
fn ignores_comments_and_literals() {
    let src = "// use crate::cli;\n\
               /// [`crate::cmd::run`]\n\
               /* use crate::render; /* nested */ crate::cli */\n\
               const A: &str = \"crate::cli::x\";\n\
               const B: &str = r#\"crate::render \"# ;\n\
               const C: char = '\"';\n\
               fn f<'a>(x: &'a str) -> &'a str { x }\n\
               use crate::render::style;\n";
    assert_eq!(
        forbidden_in("src/analysis/x.rs", src),
        ["crate::render::style@8"]
    );
}

#[test]
fn render_may_name_reader_data_types_only() {
    let src = "use crate::reader::{HostFacts, Scan};\n\
               fn v(c: crate::reader::CgroupVersion) {}\n\
               use crate::reader::ProcFs;\n\
               fn g() { crate::reader::clock_ticks(); }\n";
    assert_eq!(
        forbidden_in("src/render/x.rs", src),
        ["crate::reader::ProcFs@3", "crate::reader::clock_ticks@4"]
    );
}

#[test]
fn reader_never_escapes() {
    let src = "use crate::text::*;\nfn f(b: &[u8]) -> String { escape_for_terminal(b) }\n\
               // escape_into in a comment is fine\n";
    assert_eq!(
        forbidden_in("src/reader/x.rs", src),
        ["escape_for_terminal@2"]
    );
}

/// Two words of two letters or more side by side: "is mounted", "did
/// not"; not "{} {}", "{f}: {}", "socket:[{inode}]".
fn is_sentence(text: &str) -> bool {
    let letters = |w: &str, from_end: bool| {
        let n = if from_end {
            w.chars()
                .rev()
                .take_while(char::is_ascii_alphabetic)
                .count()
        } else {
            w.chars().take_while(char::is_ascii_alphabetic).count()
        };
        n >= 2
    };
    let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
    words
        .windows(2)
        .any(|w| letters(w[0], true) && letters(w[1], false))
}

/// The spans (in chars of the blanked code) of `#[cfg(test)]` items and of
/// attributes (`#[serde(skip_serializing_if = "..")]`).
fn exempt_spans(code: &[char]) -> Vec<(usize, usize)> {
    let close = |from: usize, open: char, shut: char| -> usize {
        let mut depth = 0usize;
        for (k, &ch) in code.iter().enumerate().skip(from) {
            if ch == open {
                depth += 1;
            } else if ch == shut {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return k;
                }
            }
        }
        code.len()
    };
    let mut spans = Vec::new();
    let text: String = code.iter().collect();
    let chars_at = |byte: usize| text[..byte].chars().count();
    for (b, _) in text.match_indices("#[") {
        let at = chars_at(b);
        let end = close(at + 1, '[', ']');
        spans.push((at, end));
        let attr: String = code[at..end.min(code.len())]
            .iter()
            .filter(|c| !c.is_whitespace())
            .collect();
        if attr == "#[cfg(test)" {
            // The item it marks, to its closing brace.
            if let Some(open) = (end..code.len()).find(|&k| code[k] == '{' || code[k] == ';') {
                if code[open] == '{' {
                    spans.push((at, close(open, '{', '}')));
                }
            }
        }
    }
    spans
}

/// The sentences in one `analysis` file: (line, text).
fn sentences(rel: &str, src: &str) -> Vec<(usize, String)> {
    if !rel.starts_with("src/analysis/") {
        return Vec::new();
    }
    let (code, lits) = lex(src);
    let code: Vec<char> = code.chars().collect();
    let exempt = exempt_spans(&code);
    lits.into_iter()
        .filter(|l| !l.bytes && is_sentence(&l.text))
        .filter(|l| !exempt.iter().any(|(a, b)| (*a..=*b).contains(&l.at)))
        .map(|l| {
            let line = 1 + code[..l.at].iter().filter(|c| **c == '\n').count();
            (line, l.text)
        })
        .collect()
}

#[test]
fn analysis_writes_no_sentences() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src").join("analysis"), &mut files);
    assert!(
        files.len() > 10,
        "src/analysis not found under {}",
        root.display()
    );
    let mut found: Vec<(String, usize, String)> = Vec::new();
    for f in files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().into_owned();
        let src = std::fs::read_to_string(&f).unwrap();
        for (line, text) in sentences(&rel, &src) {
            found.push((rel.clone(), line, text));
        }
    }
    found.sort();
    let new: Vec<String> = found
        .iter()
        .map(|(f, l, t)| format!("{f}:{l}: \"{t}\""))
        .collect();
    assert!(
        new.is_empty(),
        "sentences in analysis (words belong in render: keep a typed value in analysis, word it in render):\n{}",
        new.join("\n")
    );
}

#[test]
fn finds_sentences_outside_tests_and_attributes() {
    let src = "#[derive(Serialize)]\n\
               struct S {\n\
               #[serde(skip_serializing_if = \"Option is_none\")]\n\
               x: Option<u8>,\n\
               }\n\
               fn f(k: &str) -> String { format!(\"{k} in status is not a valid number\") }\n\
               const ID: &str = \"permission_denied\";\n\
               const HEX: &str = \"{:x} {}\";\n\
               const PEM: &[u8] = b\"PRIVATE KEY-----\";\n\
               const RAW: &str = r#\"did not \"run\"\"#;\n\
               // a comment is no sentence\n\
               #[cfg(test)]\n\
               mod tests {\n\
               fn t() { assert_eq!(f(\"a\"), \"a in status is not a valid number\"); }\n\
               }\n\
               const AFTER: &str = \"run as root\";\n";
    let got: Vec<(usize, String)> = sentences("src/analysis/x.rs", src);
    assert_eq!(
        got,
        [
            (6, "{k} in status is not a valid number".to_string()),
            (10, "did not \"run\"".to_string()),
            (16, "run as root".to_string()),
        ]
    );
    // Only analysis is held to it.
    assert!(sentences("src/render/x.rs", src).is_empty());
    assert!(is_sentence("hidepid={} is mounted on {root}"));
    assert!(!is_sentence("{f}: {}"));
    assert!(!is_sentence("socket:[{inode}]"));
    assert!(!is_sentence("fds.near_limit"));
}
