//! The `env` view: variables sorted by name, secrets masked by default.
//!
//! Masking (rules in [`crate::analysis::secrets`]): a value is replaced by
//! `****` when its name looks secret ([`secrets::is_secret_name`]: on name
//! components, so `DB_PASSWORD` and `GITHUB_TOKEN` are masked but
//! `AUTHOR` and `SESSIONS_DIR` are not); every other value goes through
//! the value rules (URL credentials, secret query keys and options, token
//! shapes). False positives are preferred to leaks; `--reveal` shows
//! everything.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::secrets;
use crate::parse::cmdline::split_nul;
use crate::text::Text;

pub const MASK: &str = "****";

#[derive(Debug, Clone, Serialize)]
pub struct EnvVar {
    pub name: Text,
    /// None for an entry without `=`.
    pub value: Option<Text>,
    pub masked: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvReport {
    pub pid: i32,
    /// Entries in /proc/PID/environ.
    pub count: u64,
    /// NAME -> value, after the pattern filter; masked values are `****`.
    /// A name set twice keeps its first value (what getenv() returns).
    pub vars: BTreeMap<String, String>,
    /// Names whose value (or a URL password in it) was masked.
    pub masked: Vec<String>,
    /// Names that appear more than once.
    pub duplicates: Vec<Text>,
    /// Entries without `=`.
    pub without_equals: Vec<Text>,
    /// Every entry shown, in name order (duplicates included).
    pub entries: Vec<EnvVar>,
    pub revealed: bool,
    pub note: StartEnvironmentNote,
    /// Set when `environ` was longer than proctor reads of it (filled by
    /// the caller, which did the read): `{shown_bytes, total_bytes}`.
    pub truncated: Option<crate::reader::Truncated>,
}

/// The note every environment report carries: it is the environment the
/// process started with (its words, and the JSON string, are in
/// `render::views`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StartEnvironmentNote;

pub fn build(pid: i32, environ: &[u8], pattern: Option<&str>, reveal: bool) -> EnvReport {
    let raw = split_nul(environ);
    let count = raw.iter().filter(|i| !i.is_empty()).count() as u64;
    let pat = pattern.map(|p| p.to_ascii_lowercase().into_bytes());
    let mut entries: Vec<EnvVar> = Vec::new();
    let mut seen: BTreeMap<Vec<u8>, u32> = BTreeMap::new();
    for item in raw.iter().filter(|i| !i.is_empty()) {
        let (name, value) = match item.iter().position(|&c| c == b'=') {
            Some(eq) => (&item[..eq], Some(&item[eq + 1..])),
            None => (&item[..], None),
        };
        *seen.entry(name.to_vec()).or_default() += 1;
        if let Some(p) = &pat {
            if !name
                .to_ascii_lowercase()
                .windows(p.len().max(1))
                .any(|w| w == &p[..])
                && !p.is_empty()
            {
                continue;
            }
        }
        let (value, masked) = match value {
            None => (None, false),
            Some(v) if reveal => (Some(v.to_vec()), false),
            Some(v) if secrets::is_secret_name(name) && !v.is_empty() => {
                (Some(MASK.as_bytes().to_vec()), true)
            }
            Some(v) => {
                let (m, n) = secrets::mask_value(v);
                (Some(m), n > 0)
            }
        };
        entries.push(EnvVar {
            name: Text(name.to_vec()),
            value: value.map(Text),
            masked,
        });
    }
    // Stable: duplicates keep their order of appearance.
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    let mut vars = BTreeMap::new();
    let mut masked = Vec::new();
    let mut without_equals = Vec::new();
    for e in &entries {
        match &e.value {
            Some(v) => {
                let k = e.name.to_json_string();
                if e.masked && !masked.contains(&k) {
                    masked.push(k.clone());
                }
                vars.entry(k).or_insert_with(|| v.to_json_string());
            }
            None => without_equals.push(e.name.clone()),
        }
    }
    let duplicates = seen
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .map(|(k, _)| Text(k))
        .collect();
    EnvReport {
        pid,
        count,
        vars,
        masked,
        duplicates,
        without_equals,
        entries,
        revealed: reveal,
        note: StartEnvironmentNote,
        truncated: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_on_components_and_values_by_shape() {
        let env = b"AUTHOR=me\0SESSIONS_DIR=/var/s\0AUTHORIZED_KEYS=/k\0GIT_TOKEN=t\0SSH_AUTH_SOCK=/run/a\0HOOK=https://hooks.slack.com/services/T0/B0/xyz\0GH=ghp_0123456789abcdefghijXYZ\0OPTS=-Ddb.password=pw -Xmx1g\0";
        let r = build(1, env, None, false);
        assert_eq!(r.vars["AUTHOR"], "me");
        assert_eq!(r.vars["SESSIONS_DIR"], "/var/s");
        assert_eq!(r.vars["AUTHORIZED_KEYS"], "/k");
        assert_eq!(r.vars["SSH_AUTH_SOCK"], "/run/a");
        assert_eq!(r.vars["GIT_TOKEN"], MASK);
        assert_eq!(r.vars["HOOK"], "https://hooks.slack.com/services/****");
        assert_eq!(r.vars["GH"], "ghp_****");
        assert_eq!(r.vars["OPTS"], "-Ddb.password=**** -Xmx1g");
        assert_eq!(r.masked, ["GH", "GIT_TOKEN", "HOOK", "OPTS"]);
    }

    #[test]
    fn builds_sorted_masked_and_tolerant() {
        let env = b"PATH=/bin\0DB_PASSWORD=hunter2\0DATABASE_URL=postgres://u:pw@db/x\0NOEQUALS\0EMPTY=\0A=1\0A=2\0BIN=\xff\x1b[31m\0\0";
        let r = build(1, env, None, false);
        assert_eq!(r.count, 8);
        let names: Vec<String> = r.entries.iter().map(|e| e.name.to_json_string()).collect();
        assert_eq!(
            names,
            [
                "A",
                "A",
                "BIN",
                "DATABASE_URL",
                "DB_PASSWORD",
                "EMPTY",
                "NOEQUALS",
                "PATH"
            ]
        );
        assert_eq!(r.vars["DB_PASSWORD"], MASK);
        assert_eq!(r.vars["DATABASE_URL"], "postgres://u:****@db/x");
        assert_eq!(r.vars["A"], "1", "first value wins, as getenv()");
        assert_eq!(r.vars["EMPTY"], "");
        assert_eq!(r.vars["BIN"], "\\xff\u{1b}[31m");
        assert_eq!(r.masked, ["DATABASE_URL", "DB_PASSWORD"]);
        assert_eq!(r.duplicates, [Text::new(b"A".to_vec())]);
        assert_eq!(r.without_equals, [Text::new(b"NOEQUALS".to_vec())]);

        let all = build(1, env, None, true);
        assert_eq!(all.vars["DB_PASSWORD"], "hunter2");
        assert_eq!(all.vars["DATABASE_URL"], "postgres://u:pw@db/x");
        assert!(all.masked.is_empty());

        let f = build(1, env, Some("pass"), false);
        assert_eq!(f.entries.len(), 1);
        assert_eq!(f.vars.keys().collect::<Vec<_>>(), ["DB_PASSWORD"]);
        assert_eq!(f.count, 8);
    }
}
