//! The `env` view: variables sorted by name, secrets masked by default.
//!
//! Masking rules: a value is replaced by `****` when its name looks secret
//! (case-insensitive: PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN, API_KEY,
//! APIKEY, ACCESS_KEY, PRIVATE, CREDENTIAL, AUTH, COOKIE, SESSION,
//! SIGNATURE, DSN, CONNECTION_STRING, or ending in _KEY or _PASS or _PWD);
//! in every other value, the password of a URL (`scheme://user:pass@host`)
//! is replaced by `****`. False positives are preferred to leaks;
//! `--reveal` shows everything.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::parse::cmdline::split_nul;
use crate::text::Text;

pub const MASK: &str = "****";

const SECRET_WORDS: [&str; 16] = [
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "PRIVATE",
    "CREDENTIAL",
    "AUTH",
    "COOKIE",
    "SESSION",
    "SIGNATURE",
    "DSN",
    "CONNECTION_STRING",
];

/// Whether a variable name looks like it holds a secret.
pub fn is_secret_name(name: &[u8]) -> bool {
    let up = name.to_ascii_uppercase();
    let has = |w: &str| up.windows(w.len()).any(|x| x == w.as_bytes());
    SECRET_WORDS.iter().any(|w| has(w))
        || up.ends_with(b"_KEY")
        || up.ends_with(b"_PASS")
        || up.ends_with(b"_PWD")
}

/// Mask URL passwords (`scheme://user:pass@host` -> `scheme://user:****@host`)
/// anywhere in a value. Returns the new value and whether anything changed.
pub fn mask_url_passwords(v: &[u8]) -> (Vec<u8>, bool) {
    let mut out = Vec::with_capacity(v.len());
    let mut changed = false;
    let mut i = 0;
    while i < v.len() {
        let Some(rel) = v[i..].windows(3).position(|w| w == b"://") else {
            out.extend_from_slice(&v[i..]);
            break;
        };
        let auth_start = i + rel + 3;
        out.extend_from_slice(&v[i..auth_start]);
        // The userinfo ends at the last '@' before whitespace, ',' or ';'.
        // Real passwords contain '/', '?' and '#' unencoded, so those do
        // not end it (over-masking a URL is safer than leaking one).
        let auth_end = v[auth_start..]
            .iter()
            .position(|&c| matches!(c, b',' | b';') || c.is_ascii_whitespace())
            .map_or(v.len(), |p| auth_start + p);
        let auth = &v[auth_start..auth_end];
        match auth.iter().rposition(|&c| c == b'@') {
            Some(at) => {
                let userinfo = &auth[..at];
                match userinfo.iter().position(|&c| c == b':') {
                    Some(colon) if colon + 1 < userinfo.len() => {
                        out.extend_from_slice(&userinfo[..=colon]);
                        out.extend_from_slice(MASK.as_bytes());
                        out.extend_from_slice(&auth[at..]);
                        changed = true;
                    }
                    _ => out.extend_from_slice(auth),
                }
            }
            None => out.extend_from_slice(auth),
        }
        i = auth_end;
    }
    (out, changed)
}

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
    pub note: &'static str,
    /// Set when `environ` was longer than proctor reads of it (filled by
    /// the caller, which did the read): `{shown_bytes, total_bytes}`.
    pub truncated: Option<crate::reader::Truncated>,
}

pub const NOTE: &str = "this is the environment the process started with (/proc/PID/environ); changes it made later are not visible";

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
            Some(v) if is_secret_name(name) && !v.is_empty() => {
                (Some(MASK.as_bytes().to_vec()), true)
            }
            Some(v) => {
                let (m, changed) = mask_url_passwords(v);
                (Some(m), changed)
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
        note: NOTE,
        truncated: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for n in [
            "DB_PASSWORD",
            "db_passwd",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_API_KEY",
            "SSH_PRIVATE",
            "OAUTH_CLIENT",
            "SESSION_ID",
            "COOKIE_SALT",
            "SENTRY_DSN",
            "MYSQL_PWD",
            "SMTP_PASS",
            "SIGNING_KEY",
            "AZURE_CREDENTIALS",
        ] {
            assert!(is_secret_name(n.as_bytes()), "{n}");
        }
        for n in [
            "PATH",
            "HOME",
            "PWD",
            "OLDPWD",
            "LANG",
            "KEYBOARD",
            "DATABASE_URL",
            "HOSTNAME",
        ] {
            assert!(!is_secret_name(n.as_bytes()), "{n}");
        }
    }

    #[test]
    fn url_passwords() {
        let (m, c) = mask_url_passwords(b"postgres://app:hunter2@db:5432/main");
        assert_eq!(m, b"postgres://app:****@db:5432/main");
        assert!(c);
        let (m, c) = mask_url_passwords(b"redis://:s3cr3t@cache:6379,amqp://u:p@mq/vhost");
        assert_eq!(m, b"redis://:****@cache:6379,amqp://u:****@mq/vhost");
        assert!(c);
        let (m, c) = mask_url_passwords(b"https://example.com/path?x=1");
        assert_eq!(m, b"https://example.com/path?x=1");
        assert!(!c);
        // Unencoded '#', '/' and '?' in passwords.
        assert_eq!(
            mask_url_passwords(b"postgres://app:s3cr#t@db:5432/app").0,
            b"postgres://app:****@db:5432/app"
        );
        assert_eq!(
            mask_url_passwords(b"mongodb://u:pa/ss@h1/db").0,
            b"mongodb://u:****@h1/db"
        );
        assert_eq!(mask_url_passwords(b"x://u:p?w@h").0, b"x://u:****@h");
        assert_eq!(mask_url_passwords(b"no url here").0, b"no url here");
        assert_eq!(mask_url_passwords(b"http://").0, b"http://");
        assert_eq!(mask_url_passwords(b"x://a:@h").0, b"x://a:@h");
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
