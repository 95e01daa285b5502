//! Secret masking for everything proctor shows from a command line or an
//! environment. Pure: bytes in, bytes out, never a panic, on any input
//! (command lines and environments are arbitrary bytes, not UTF-8).
//!
//! What is masked (each secret is replaced by `****`; what is not secret
//! stays readable):
//!
//! - URL credentials: `scheme://user:PASS@host` (the userinfo ends at the
//!   last `@` before whitespace or the next URL, so `,` `;` `/` `?` `#`
//!   in a password are masked too); a user with no password that looks
//!   like a token (`https://TOKEN@github.com`: a known token prefix, or 16+
//!   characters mixing letters and digits, with no `/?#`).
//! - `NAME=VALUE` where NAME looks secret (see [`is_secret_name`]):
//!   `--password=X`, `-Ddb.password=X`, `PGPASSWORD=X`, query strings
//!   (`?token=X&...`, `&api_key=X`), `password=X` in a connection string.
//!   As a whole argument the value runs to the end of the argument; inside
//!   a longer text, to whitespace, `&`, `;` or a quote.
//! - `--NAME VALUE` (the next argument, or the next word in a text) where
//!   NAME looks secret: `--password X`, `--token X`, `-password X`. A next
//!   argument starting with `--` is an option, not a value, and is shown.
//! - Token shapes anywhere: GitHub (`ghp_` `gho_` `ghu_` `ghs_` `ghr_`
//!   `github_pat_`), GitLab `glpat-`, Slack `xox[abposr]-`, npm `npm_`,
//!   Stripe `sk_live_`/`rk_live_`, OpenAI `sk-proj-`/`sk-` (40+
//!   characters), Anthropic `sk-ant-`, Google `AIza`, AWS access key ids
//!   (`AKIA`/`ASIA` + 16 upper-case letters or digits), Slack and Discord
//!   webhook paths, JWTs (`eyJ...` in three base64url parts),
//!   `Authorization:` header values, `Bearer` tokens, and the body of a
//!   PEM private key. The prefix of a token is kept (`ghp_****`).
//! - A command line cut short (at a read cap) is masked as if the cut
//!   argument went on: a URL or token that reaches the cut is masked.
//!
//! False positives are preferred to leaks; `--reveal` shows everything.

/// What replaces a secret.
pub const MASK: &[u8] = b"****";

/// Masking passes until nothing changes: one pass is enough for every
/// real input; later passes make the result idempotent when one mask
/// exposes another shape (a boundary created by `****`).
const MAX_PASSES: usize = 4;

/// Name components that make a name secret wherever they end a component
/// (`PGPASSWORD`, `CLIENTSECRET`, `ACCESSTOKEN`), also in the plural.
const STRONG: [&[u8]; 9] = [
    b"password",
    b"passwd",
    b"passphrase",
    b"secret",
    b"token",
    b"credential",
    b"apikey",
    b"privatekey",
    b"accesskey",
];

/// Components that make a name secret only as a whole component
/// (`BASIC_AUTH`, but not `AUTHOR` or `AUTHORIZED_KEYS`).
const WEAK: [&[u8]; 8] = [
    b"auth",
    b"oauth",
    b"cookie",
    b"cookies",
    b"signature",
    b"sig",
    b"dsn",
    b"private",
];

/// A last component that says the value is where a secret is, not the
/// secret (`POSTGRES_PASSWORD_FILE=/run/secrets/db`, `--token-path`,
/// `SSH_AUTH_SOCK`, `--password-stdin`): such a value is shown (the value
/// rules still apply to it).
const LOCATION: [&[u8]; 9] = [
    b"file",
    b"files",
    b"path",
    b"dir",
    b"directory",
    b"sock",
    b"socket",
    b"stdin",
    b"fd",
];

/// Lower-cased components of a name, split at every byte that is not an
/// ASCII letter or digit and at camelCase humps (`keyStorePassword` ->
/// key, store, password).
fn components(name: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut prev_lower = false;
    for &b in name {
        if !b.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        cur.push(b.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Whether a name contains (case-insensitively) a fragment of a keyword:
/// most names do not, and need no split into components.
fn mentions_a_keyword(name: &[u8]) -> bool {
    let at = |i: usize, f: &[u8]| {
        name.get(i..i + f.len())
            .is_some_and(|x| x.eq_ignore_ascii_case(f))
    };
    // Dispatch on the first letter: this runs for every NAME=VALUE and
    // option of every command line `top` shows.
    (0..name.len()).any(|i| match name[i].to_ascii_lowercase() {
        b'p' => at(i, b"pass") || at(i, b"pwd") || at(i, b"private"),
        b's' => at(i, b"secret") || at(i, b"sig") || at(i, b"session"),
        b't' => at(i, b"token"),
        b'c' => at(i, b"credential") || at(i, b"cookie") || at(i, b"conn"),
        b'k' => at(i, b"key"),
        b'a' => at(i, b"auth"),
        b'd' => at(i, b"dsn"),
        _ => false,
    })
}

/// Whether a name (an environment variable, an option, a property, a
/// query key) says its value is a secret. Decided on name components
/// (split at `_`, `-`, `.` and camelCase), never on substrings:
///
/// - a component ending in PASSWORD, PASSWD, PASSPHRASE, SECRET, TOKEN,
///   CREDENTIAL, APIKEY, PRIVATEKEY or ACCESSKEY (or their plural):
///   `DB_PASSWORD`, `PGPASSWORD`, `GITHUB_TOKEN`, `AZURE_CREDENTIALS`;
/// - a whole component AUTH, OAUTH, COOKIE(S), SIGNATURE, SIG, DSN,
///   PRIVATE: `BASIC_AUTH`, `SENTRY_DSN`;
/// - a last component KEY, PASS or PWD after another (`SIGNING_KEY`,
///   `SMTP_PASS`, `MYSQL_PWD`; `PWD` alone is the working directory),
///   PASS alone, SESSION last or before a last ID, CONNECTION STRING;
/// - not when the last component is FILE(S), PATH, DIR(ECTORY), SOCK(ET),
///   STDIN or FD (the name says where a secret is: `--passwords-file`,
///   `SSH_AUTH_SOCK`), nor when the first is NO (`--no-password`).
///
/// So AUTHOR, AUTHORIZED_KEYS, SESSIONS_DIR, KEYBOARD and TOKENIZERS are
/// not secret names.
pub fn is_secret_name(name: &[u8]) -> bool {
    if !mentions_a_keyword(name) {
        return false;
    }
    let c = components(name);
    let (Some(first), Some(last)) = (c.first(), c.last()) else {
        return false;
    };
    if LOCATION.contains(&last.as_slice()) || first == b"no" {
        return false;
    }
    let n = c.len();
    let strong = |x: &[u8]| {
        STRONG
            .iter()
            .any(|w| x.ends_with(w) || (x.ends_with(b"s") && x[..x.len() - 1].ends_with(w)))
    };
    if c.iter().any(|x| strong(x) || WEAK.contains(&x.as_slice())) {
        return true;
    }
    let last = last.as_slice();
    if (n > 1 && matches!(last, b"key" | b"pwd")) || last == b"pass" || last == b"session" {
        return true;
    }
    c.windows(2).any(|w| {
        matches!(
            (w[0].as_slice(), w[1].as_slice()),
            (b"connection" | b"conn", b"string" | b"str")
        )
    }) || (n >= 2 && c[n - 2] == b"session" && last == b"id")
}

/// Mask the secrets in one value (an environment value, a line of text).
/// Returns the masked bytes and how many secrets were replaced.
pub fn mask_value(v: &[u8]) -> (Vec<u8>, usize) {
    let mut cur = v.to_vec();
    let mut total = 0;
    for _ in 0..MAX_PASSES {
        let mut r = Vec::new();
        text_ranges(&cur, Mode::Text, &mut r);
        let (next, n) = apply(&cur, r);
        if n == 0 {
            break;
        }
        total += n;
        cur = next;
    }
    (cur, total)
}

/// Mask the secrets in a command line given as its arguments. `cut`: the
/// last argument was cut short by a read cap.
pub fn mask_args<A: AsRef<[u8]>>(args: &[A], cut: bool) -> (Vec<Vec<u8>>, usize) {
    let mut cur: Vec<Vec<u8>> = args.iter().map(|a| a.as_ref().to_vec()).collect();
    let prog = program(cur.first().map_or(&[][..], Vec::as_slice));
    let mut total = 0;
    for _ in 0..MAX_PASSES {
        let mut pending = false;
        let mut user_pass = false;
        let mut changed = 0;
        let last = cur.len().saturating_sub(1);
        for (i, arg) in cur.iter_mut().enumerate() {
            let mut r = Vec::new();
            if pending && !arg.starts_with(b"--") {
                r.push((0, arg.len()));
                pending = false;
                user_pass = false;
            } else {
                let mode = if cut && i == last {
                    Mode::CutArg
                } else {
                    Mode::Arg
                };
                if user_pass {
                    user_password(arg, 0, &mut r);
                }
                pending = text_ranges(arg, mode, &mut r);
                user_pass = false;
                if i > 0 {
                    let (p, u) = program_option(&prog, arg, &mut r);
                    pending |= p;
                    user_pass = u;
                }
            }
            let (next, n) = apply(arg, r);
            if n > 0 {
                *arg = next;
                changed += n;
            }
        }
        if changed == 0 {
            break;
        }
        total += changed;
    }
    (cur, total)
}

/// The program's name: the last component of the first argument
/// (`/usr/bin/mysql` -> `mysql`).
fn program(arg0: &[u8]) -> Vec<u8> {
    let name = arg0.rsplit(|&b| b == b'/').next().unwrap_or(arg0);
    name.to_ascii_lowercase()
}

/// Options whose meaning depends on the program or that carry a password
/// after a user: mysql's `-pPASSWORD`, `sshpass -p PASSWORD` (or
/// `-pPASSWORD`), `redis-cli -a PASSWORD`, and `USER:PASSWORD` after `-u`,
/// `-U`, `--user` or `--proxy-user` (curl; `uid:gid` digits are shown).
/// Returns (the next argument is a secret, the next argument is
/// USER:PASSWORD).
fn program_option(prog: &[u8], arg: &[u8], r: &mut Vec<(usize, usize)>) -> (bool, bool) {
    let mysql = prog.starts_with(b"mysql") || prog.starts_with(b"mariadb");
    let sshpass = prog == b"sshpass";
    if (mysql || sshpass) && arg.len() > 2 && arg.starts_with(b"-p") {
        r.push((2, arg.len()));
    }
    for long in [&b"--user="[..], b"--proxy-user="] {
        if arg.starts_with(long) {
            user_password(arg, long.len(), r);
        }
    }
    let next_secret = (sshpass && arg == b"-p") || (prog == b"redis-cli" && arg == b"-a");
    let next_user = matches!(arg, b"-u" | b"-U" | b"--user" | b"--proxy-user");
    (next_secret, next_user)
}

/// `USER:PASSWORD` from `at`: the password is masked, unless both sides
/// are digits (`uid:gid`).
fn user_password(arg: &[u8], at: usize, r: &mut Vec<(usize, usize)>) {
    let v = &arg[at.min(arg.len())..];
    if let Some(c) = v.iter().position(|&b| b == b':') {
        let digits = |x: &[u8]| !x.is_empty() && x.iter().all(u8::is_ascii_digit);
        if !(digits(&v[..c]) && digits(&v[c + 1..])) {
            r.push((at + c + 1, arg.len()));
        }
    }
}

/// Mask a NUL-separated command line (as /proc/PID/cmdline holds it),
/// keeping its NULs where they were. `cut`: it was cut short by a cap.
pub fn mask_nul_args(buf: &[u8], cut: bool) -> (Vec<u8>, usize) {
    let args: Vec<&[u8]> = buf.split(|&b| b == 0).collect();
    let (masked, n) = mask_args(&args, cut);
    if n == 0 {
        return (buf.to_vec(), 0);
    }
    (masked.join(&0u8), n)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Free text: an environment value.
    Text,
    /// One whole command-line argument.
    Arg,
    /// The last argument of a command line cut short.
    CutArg,
}

/// Replace each range (merged when they overlap or touch) by [`MASK`].
/// Returns the new bytes and how many ranges changed something.
fn apply(t: &[u8], mut ranges: Vec<(usize, usize)>) -> (Vec<u8>, usize) {
    ranges.retain(|&(s, e)| s < e && e <= t.len());
    if ranges.is_empty() {
        return (Vec::new(), 0);
    }
    ranges.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    for (s, e) in ranges {
        match merged.last_mut() {
            Some(last) if s <= last.1 => last.1 = last.1.max(e),
            _ => merged.push((s, e)),
        }
    }
    let mut out = Vec::with_capacity(t.len());
    let mut at = 0;
    let mut n = 0;
    for (s, e) in merged {
        out.extend_from_slice(&t[at..s]);
        out.extend_from_slice(MASK);
        if &t[s..e] != MASK {
            n += 1;
        }
        at = e;
    }
    out.extend_from_slice(&t[at..]);
    (out, n)
}

fn is_space(b: u8) -> bool {
    b.is_ascii_whitespace()
}

fn is_scheme_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')
}

fn is_b64url(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    // Scan for the first byte, then compare: several times faster than
    // comparing a window at every position (top masks every row).
    while let Some(p) = hay.get(i..)?.iter().position(|&b| b == first) {
        let at = i + p;
        if hay.get(at + 1..at + needle.len()) == Some(rest) {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

/// Length of the run of bytes from `i` that satisfy `f`.
fn run(t: &[u8], i: usize, f: impl Fn(u8) -> bool) -> usize {
    t.get(i..)
        .map_or(0, |s| s.iter().take_while(|&&b| f(b)).count())
}

/// Collect the ranges to mask in `t`. Returns whether `t` ends with a
/// secret option whose value is the next argument (`--password`).
fn text_ranges(t: &[u8], mode: Mode, r: &mut Vec<(usize, usize)>) -> bool {
    let cut = mode == Mode::CutArg;
    url_credentials(t, cut, r);
    key_values(t, mode != Mode::Text, r);
    tokens(t, cut, r);
    next_words(t, r)
}

/// `scheme://user:pass@host` and `scheme://TOKEN@host`.
fn url_credentials(t: &[u8], cut: bool, r: &mut Vec<(usize, usize)>) {
    let mut i = 0;
    while let Some(p) = find(t, b"://", i) {
        let auth = p + 3;
        // The authority region ends at whitespace or where the next URL's
        // scheme begins (`redis://:pw@a,amqp://u:pw@b`).
        let mut end = auth + run(t, auth, |b| !is_space(b));
        if let Some(q) = find(&t[..end], b"://", auth) {
            let mut s = q;
            while s > auth && is_scheme_byte(t[s - 1]) {
                s -= 1;
            }
            end = s.max(auth);
        }
        let region = &t[auth..end];
        match region.iter().rposition(|&b| b == b'@') {
            Some(at) => {
                let user = &region[..at];
                match user.iter().position(|&b| b == b':') {
                    Some(c) => r.push((auth + c + 1, auth + at)),
                    None if token_like_user(user) => r.push((auth, auth + at)),
                    None => {}
                }
            }
            // Cut before the '@': whatever follows a ':' may be a password.
            None if cut && end == t.len() => {
                if let Some(c) = region.iter().position(|&b| b == b':') {
                    r.push((auth + c + 1, end));
                } else if !region.is_empty() {
                    r.push((auth, end));
                }
            }
            None => {}
        }
        i = end.max(p + 3);
    }
}

/// A URL user with no password that is a credential: a known token prefix,
/// or 16+ characters mixing letters and digits (never a path).
fn token_like_user(u: &[u8]) -> bool {
    if u.is_empty() || u.iter().any(|&b| matches!(b, b'/' | b'?' | b'#')) || u == MASK {
        return false;
    }
    if PREFIXES.iter().any(|p| u.starts_with(p.prefix)) || slack_prefix(u, 0) {
        return true;
    }
    u.len() >= 16 && u.iter().any(u8::is_ascii_digit) && u.iter().any(u8::is_ascii_alphabetic)
}

/// `NAME=VALUE` with a secret NAME. `whole`: `t` is one argument, so a
/// NAME at its start takes the rest of the argument as its value.
fn key_values(t: &[u8], whole: bool, r: &mut Vec<(usize, usize)>) {
    let mut k = 0;
    while k < t.len() {
        let boundary = k == 0
            || matches!(
                t[k - 1],
                b'?' | b'&' | b';' | b',' | b'"' | b'\'' | b'(' | b'{' | b'['
            )
            || is_space(t[k - 1]);
        let len = run(t, k, |b| {
            b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
        });
        if !boundary || len == 0 {
            k += len.max(1);
            continue;
        }
        let key_end = k + len;
        if t.get(key_end) == Some(&b'=') && is_secret_name(option_name(&t[k..key_end])) {
            let v = key_end + 1;
            if whole && k == 0 {
                r.push((v, t.len()));
                return;
            }
            // In a query string ('?' or '&' before the key), '#' starts the fragment.
            let query = k > 0 && matches!(t[k - 1], b'?' | b'&');
            r.push(value_span(t, v, |b| {
                is_space(b) || matches!(b, b'&' | b';' | b'"' | b'\'') || (query && b == b'#')
            }));
        } else if k > 0
            && t[k - 1] == b'"'
            && t.get(key_end) == Some(&b'"')
            && is_secret_name(&t[k..key_end])
        {
            // A JSON member `"password": "VALUE"` (a JSON document passed
            // as an argument or in an environment value).
            let mut v = key_end + 1;
            v += run(t, v, is_space);
            if t.get(v) == Some(&b':') {
                v += 1;
                v += run(t, v, is_space);
                r.push(value_span(t, v, |b| {
                    is_space(b) || matches!(b, b',' | b'}' | b']' | b'"')
                }));
            }
        }
        k = key_end.max(k + 1);
    }
}

/// The name of an option or property: without leading dashes, and without
/// the `D` of a JVM `-Dname=value`.
fn option_name(key: &[u8]) -> &[u8] {
    let dashes = key.iter().take_while(|&&b| b == b'-').count();
    let name = &key[dashes..];
    match name.strip_prefix(b"D") {
        Some(rest) if dashes == 1 && !rest.is_empty() => rest,
        _ => name,
    }
}

/// The value starting at `v`: up to the matching quote when it starts
/// with one (the quotes stay), else up to a byte for which `stop` holds.
fn value_span(t: &[u8], v: usize, stop: impl Fn(u8) -> bool) -> (usize, usize) {
    match t.get(v) {
        Some(&q) if q == b'"' || q == b'\'' => {
            let close = t[v + 1..]
                .iter()
                .position(|&b| b == q)
                .map_or(t.len(), |p| v + 1 + p);
            (v + 1, close)
        }
        _ => (v, v + run(t, v, |b| !stop(b))),
    }
}

/// `--password VALUE` inside a text: the next word. Returns whether the
/// text ends with such an option (its value is then the next argument).
fn next_words(t: &[u8], r: &mut Vec<(usize, usize)>) -> bool {
    let mut i = 0;
    loop {
        i += run(t, i, is_space);
        if i >= t.len() {
            return false;
        }
        let w = run(t, i, |b| !is_space(b));
        let word = &t[i..i + w];
        i += w;
        if !secret_option(word) {
            continue;
        }
        let gap = run(t, i, is_space);
        if i + gap >= t.len() {
            // The option ends the text: its value is what comes next.
            return gap == 0;
        }
        let v = i + gap;
        if t[v..].starts_with(b"--") {
            continue;
        }
        let span = value_span(t, v, is_space);
        r.push(span);
        i = span.1.max(v);
    }
}

/// `--password`, `-token`, `--api-key`: an option (no `=`) with a secret
/// name of at least two characters.
fn secret_option(word: &[u8]) -> bool {
    let dashes = word.iter().take_while(|&&b| b == b'-').count();
    (1..=2).contains(&dashes)
        && word.len() >= dashes + 2
        && !word.contains(&b'=')
        && is_secret_name(&word[dashes..])
}

struct Prefix {
    prefix: &'static [u8],
    /// Shortest body that is a token.
    min: usize,
    /// Longest body (0: unbounded; a longer run is not this token).
    max: usize,
    body: fn(u8) -> bool,
}

fn alnum(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn alnum_us(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn upper_digit(b: u8) -> bool {
    b.is_ascii_uppercase() || b.is_ascii_digit()
}

/// Token prefixes: the prefix is kept, the body masked.
const PREFIXES: [Prefix; 15] = [
    Prefix {
        prefix: b"ghp_",
        min: 20,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"gho_",
        min: 20,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"ghu_",
        min: 20,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"ghs_",
        min: 20,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"ghr_",
        min: 20,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"github_pat_",
        min: 20,
        max: 0,
        body: alnum_us,
    },
    Prefix {
        prefix: b"glpat-",
        min: 20,
        max: 0,
        body: is_b64url,
    },
    Prefix {
        prefix: b"npm_",
        min: 30,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"sk_live_",
        min: 16,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"rk_live_",
        min: 16,
        max: 0,
        body: alnum,
    },
    // OpenAI (project and legacy) and Anthropic API keys.
    Prefix {
        prefix: b"sk-proj-",
        min: 20,
        max: 0,
        body: is_b64url,
    },
    Prefix {
        prefix: b"sk-ant-",
        min: 20,
        max: 0,
        body: is_b64url,
    },
    Prefix {
        prefix: b"sk-",
        min: 40,
        max: 0,
        body: alnum,
    },
    Prefix {
        prefix: b"AKIA",
        min: 16,
        max: 16,
        body: upper_digit,
    },
    Prefix {
        prefix: b"ASIA",
        min: 16,
        max: 16,
        body: upper_digit,
    },
];

/// `xox[abposr]-` at `i` (Slack tokens).
fn slack_prefix(t: &[u8], i: usize) -> bool {
    t.get(i..i + 5)
        .is_some_and(|p| p.starts_with(b"xox") && b"abposr".contains(&p[3]) && p[4] == b'-')
}

fn starts_ci(t: &[u8], i: usize, s: &[u8]) -> bool {
    t.get(i..i + s.len())
        .is_some_and(|x| x.eq_ignore_ascii_case(s))
}

/// Token shapes anywhere in `t`. `cut`: `t` was cut short, so a token that
/// reaches its end is masked whatever its length.
fn tokens(t: &[u8], cut: bool, r: &mut Vec<(usize, usize)>) {
    let reaches_end = |e: usize| cut && e == t.len();
    for (hook, _) in [
        (b"hooks.slack.com/services/".as_slice(), 0),
        (b"discord.com/api/webhooks/".as_slice(), 0),
    ] {
        let mut from = 0;
        while let Some(p) = find(t, hook, from) {
            let s = p + hook.len();
            let n = run(t, s, |b| is_b64url(b) || b == b'/');
            r.push((s, s + n));
            from = s;
        }
    }
    let mut i = 0;
    while i < t.len() {
        if i > 0 && t[i - 1].is_ascii_alphanumeric() {
            i += 1;
            continue;
        }
        let b = t[i];
        let mut next = i + 1;
        if matches!(b, b'g' | b'n' | b's' | b'r' | b'A') {
            for p in &PREFIXES {
                if t[i..].starts_with(p.prefix) {
                    let s = i + p.prefix.len();
                    let n = run(t, s, p.body);
                    let glued = t.get(s + n).is_some_and(u8::is_ascii_alphanumeric);
                    let fits = n >= p.min && (p.max == 0 || (n == p.max && !glued));
                    if fits || (n > 0 && reaches_end(s + n) && (p.max == 0 || n < p.max)) {
                        r.push((s, s + n));
                        next = s + n;
                    }
                    break;
                }
            }
        }
        if b == b'x' && slack_prefix(t, i) {
            let s = i + 5;
            let n = run(t, s, |c| c.is_ascii_alphanumeric() || c == b'-');
            if n >= 10 || (n > 0 && reaches_end(s + n)) {
                r.push((s, s + n));
                next = s + n;
            }
        }
        if b == b'A' && t[i..].starts_with(b"AIza") {
            let s = i + 4;
            let n = run(t, s, is_b64url);
            if n >= 30 || (n > 0 && reaches_end(s + n)) {
                r.push((s, s + n));
                next = s + n;
            }
        }
        if b == b'e' && t[i..].starts_with(b"eyJ") {
            if let Some(e) = jwt_end(t, i, cut) {
                r.push((i, e));
                next = e;
            }
        }
        if (b == b'b' || b == b'B') && starts_ci(t, i, b"bearer ") {
            let s = i + 7 + run(t, i + 7, |c| c == b' ');
            let n = run(t, s, |c| {
                is_b64url(c) || matches!(c, b'.' | b'~' | b'+' | b'/' | b'=')
            });
            if n >= 8 || (n > 0 && reaches_end(s + n)) {
                r.push((s, s + n));
                next = s + n;
            }
        }
        if (b == b'a' || b == b'A') && starts_ci(t, i, b"authorization:") {
            let mut s = i + 14;
            s += run(t, s, |c| c == b' ' || c == b'\t');
            // An optional scheme word (Basic, Bearer, token) before the credential.
            let w = run(t, s, |c| c.is_ascii_alphabetic());
            if w > 0 && t.get(s + w) == Some(&b' ') {
                s += w + run(t, s + w, |c| c == b' ');
            }
            let n = run(t, s, |c| !is_space(c) && c != b'"' && c != b'\'');
            r.push((s, s + n));
            next = next.max(s + n);
        }
        if b == b'-' && t[i..].starts_with(b"-----BEGIN ") {
            let line_end = i + run(t, i, |c| c != b'\n' && c != b'\r');
            if let Some(k) = find(&t[..line_end], b"PRIVATE KEY-----", i) {
                let s = k + 16;
                let e = find(t, b"-----END", s).unwrap_or(t.len());
                r.push((s, e));
                next = e.max(s);
            }
        }
        i = next.max(i + 1);
    }
}

/// End of a JWT starting at `i` (`eyJ...` `.` payload `.` signature).
fn jwt_end(t: &[u8], i: usize, cut: bool) -> Option<usize> {
    let h = run(t, i, is_b64url);
    let dot1 = i + h;
    if t.get(dot1) != Some(&b'.') {
        return (cut && dot1 == t.len() && h >= 10).then_some(dot1);
    }
    let p = run(t, dot1 + 1, is_b64url);
    let dot2 = dot1 + 1 + p;
    if h < 10 {
        return None;
    }
    if t.get(dot2) != Some(&b'.') {
        return (cut && dot2 == t.len() && p > 0).then_some(dot2);
    }
    if p < 4 {
        return None;
    }
    Some(dot2 + 1 + run(t, dot2 + 1, is_b64url))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &str) -> String {
        String::from_utf8_lossy(&mask_value(s.as_bytes()).0).into_owned()
    }
    fn args(a: &[&str]) -> (Vec<String>, usize) {
        let (m, n) = mask_args(a, false);
        (
            m.iter()
                .map(|x| String::from_utf8_lossy(x).into_owned())
                .collect(),
            n,
        )
    }
    fn line(a: &[&str]) -> String {
        args(a).0.join(" ")
    }

    #[test]
    fn json_members_with_a_secret_name() {
        assert_eq!(
            line(&[
                "app",
                "--config",
                r#"{"user":"bob","db_password":"hunter2","port":5432}"#
            ]),
            r#"app --config {"user":"bob","db_password":"****","port":5432}"#
        );
        assert_eq!(
            v(r#"{"token" : 12345, "api_key": "k,1"}"#),
            r#"{"token" : ****, "api_key": "****"}"#
        );
        // A harmless name keeps its value; a secret name with no ':' after it
        // is a plain string.
        assert_eq!(v(r#"{"author":"ann"}"#), r#"{"author":"ann"}"#);
        assert_eq!(v(r#"["password","x"]"#), r#"["password","x"]"#);
    }

    #[test]
    fn secret_names_by_component() {
        for n in [
            "DB_PASSWORD",
            "db_passwd",
            "PGPASSWORD",
            "GITHUB_TOKEN",
            "AWS_SECRET_ACCESS_KEY",
            "STRIPE_API_KEY",
            "APIKEY",
            "SSH_PRIVATE",
            "OAUTH_CLIENT",
            "BASIC_AUTH",
            "SESSION_ID",
            "RAILS_SESSION",
            "COOKIE_SALT",
            "SENTRY_DSN",
            "MYSQL_PWD",
            "SMTP_PASS",
            "PASS",
            "SIGNING_KEY",
            "AZURE_CREDENTIALS",
            "DB_CONNECTION_STRING",
            "client_secret",
            "access_token",
            "keyStorePassword",
            "spring.datasource.password",
            "X-Amz-Signature",
            "X-Amz-Security-Token",
            "sig",
            "apiKey",
            "api-key",
        ] {
            assert!(is_secret_name(n.as_bytes()), "{n} is secret");
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
            "AUTHOR",
            "GIT_AUTHOR_NAME",
            "AUTHORIZED_KEYS",
            "SESSIONS_DIR",
            "SESSION_MANAGER",
            "TOKENIZERS_PARALLELISM",
            "SECRETARY",
            "SSH_AUTH_SOCK",
            "POSTGRES_PASSWORD_FILE",
            "passwords-file",
            "password-stdin",
            "no-password",
            "KEY",
            "MONKEY",
            "BYPASS",
            "pass-through",
            "",
            "__",
        ] {
            assert!(!is_secret_name(n.as_bytes()), "{n} is not secret");
        }
    }

    #[test]
    fn url_credentials_masked_host_kept() {
        assert_eq!(
            v("postgres://app:hunter2@db:5432/main"),
            "postgres://app:****@db:5432/main"
        );
        assert_eq!(
            v("redis://:s3cr3t@cache:6379,amqp://u:p@mq/vhost"),
            "redis://:****@cache:6379,amqp://u:****@mq/vhost"
        );
        // ',' and ';' are legal in userinfo (RFC 3986 sub-delims).
        assert_eq!(v("postgres://app:a,b;c@db/x"), "postgres://app:****@db/x");
        assert_eq!(v("postgres://a;b:pw@db/x"), "postgres://a;b:****@db/x");
        // Unencoded '#', '/' and '?' in passwords.
        assert_eq!(
            v("postgres://app:s3cr#t@db:5432/app"),
            "postgres://app:****@db:5432/app"
        );
        assert_eq!(v("mongodb://u:pa/ss@h1/db"), "mongodb://u:****@h1/db");
        assert_eq!(v("x://u:p?w@h"), "x://u:****@h");
        // A token as the user.
        assert_eq!(
            v("https://ghp_xxx@github.com/o/r.git"),
            "https://****@github.com/o/r.git"
        );
        assert_eq!(
            v("https://0123456789abcdef0123@example.com/"),
            "https://****@example.com/"
        );
        // Not secrets.
        assert_eq!(v("ssh://git@github.com/o/r"), "ssh://git@github.com/o/r");
        assert_eq!(
            v("https://example.com/path?x=1"),
            "https://example.com/path?x=1"
        );
        assert_eq!(
            v("https://example.com/users/@me"),
            "https://example.com/users/@me"
        );
        assert_eq!(v("no url here"), "no url here");
        assert_eq!(v("http://"), "http://");
        assert_eq!(v("x://a:@h"), "x://a:@h");
        assert_eq!(v("git@github.com:o/r.git"), "git@github.com:o/r.git");
    }

    #[test]
    fn query_strings_and_connection_strings() {
        assert_eq!(
            v("https://api.example.com/v1?user=bob&password=hunter2&x=1"),
            "https://api.example.com/v1?user=bob&password=****&x=1"
        );
        assert_eq!(
            v("https://h/x?token=abc123#frag"),
            "https://h/x?token=****#frag"
        );
        for key in ["secret", "api_key", "access_token", "client_secret", "sig"] {
            assert_eq!(
                v(&format!("https://h/p?a=1&{key}=zzz&b=2")),
                format!("https://h/p?a=1&{key}=****&b=2")
            );
        }
        assert_eq!(
            v("host=db user=app password=hunter2 dbname=x"),
            "host=db user=app password=**** dbname=x"
        );
        assert_eq!(
            v("Server=db;Password=hunter2;Database=x"),
            "Server=db;Password=****;Database=x"
        );
        assert_eq!(v("password='a b c' x=1"), "password='****' x=1");
        assert_eq!(
            v("-Xmx1g -Ddb.password=hunter2 -Dx=1"),
            "-Xmx1g -Ddb.password=**** -Dx=1"
        );
        // Harmless keys stay.
        assert_eq!(
            v("https://h/?author=me&session_dir=x"),
            "https://h/?author=me&session_dir=x"
        );
    }

    #[test]
    fn options_in_both_forms() {
        assert_eq!(line(&["app", "--password=hunter2"]), "app --password=****");
        assert_eq!(
            line(&["app", "--password", "hunter2", "-v"]),
            "app --password **** -v"
        );
        assert_eq!(line(&["app", "--token", "abc", "x"]), "app --token **** x");
        assert_eq!(line(&["app", "--secret=a b"]), "app --secret=****");
        assert_eq!(line(&["app", "--api-key", "k"]), "app --api-key ****");
        assert_eq!(line(&["app", "--api-key=k"]), "app --api-key=****");
        assert_eq!(line(&["app", "-password", "p"]), "app -password ****");
        assert_eq!(
            line(&["app", "--client-secret", "p"]),
            "app --client-secret ****"
        );
        assert_eq!(
            line(&[
                "java",
                "-Dfoo.password=s3cret",
                "-Djavax.net.ssl.keyStorePassword=changeit",
                "-jar",
                "x.jar"
            ]),
            "java -Dfoo.password=**** -Djavax.net.ssl.keyStorePassword=**** -jar x.jar"
        );
        assert_eq!(
            line(&["env", "PGPASSWORD=x", "psql"]),
            "env PGPASSWORD=**** psql"
        );
        // An option after a secret option is shown.
        assert_eq!(
            line(&["app", "--password", "--verbose"]),
            "app --password --verbose"
        );
        // Inside one argument (sh -c '...').
        assert_eq!(
            line(&["sh", "-c", "mysql --password hunter2 -e 'select 1'"]),
            "sh -c mysql --password **** -e 'select 1'"
        );
        assert_eq!(
            line(&["sh", "-c", "app --token 'a b' x"]),
            "sh -c app --token '****' x"
        );
        // Where a secret is, not the secret.
        assert_eq!(
            line(&[
                "app",
                "--passwords-file=/etc/x",
                "--password-file",
                "/run/s"
            ]),
            "app --passwords-file=/etc/x --password-file /run/s"
        );
        assert_eq!(
            line(&["docker", "login", "--password-stdin", "-u", "me"]),
            "docker login --password-stdin -u me"
        );
        // Not secret options.
        assert_eq!(
            line(&["app", "--author", "me", "--sessions-dir", "/x", "-p", "80"]),
            "app --author me --sessions-dir /x -p 80"
        );
        assert_eq!(
            args(&["app", "--password", "a", "--db=postgres://u:p@h"]).1,
            2
        );
    }

    #[test]
    fn program_specific_options() {
        assert_eq!(
            line(&["/usr/bin/mysql", "-uroot", "-phunter2", "-P3306", "db"]),
            "/usr/bin/mysql -uroot -p**** -P3306 db"
        );
        assert_eq!(line(&["mysqldump", "-phunter2"]), "mysqldump -p****");
        // `-p` alone prompts; elsewhere `-pX` is not a password.
        assert_eq!(line(&["mysql", "-p", "db"]), "mysql -p db");
        assert_eq!(line(&["nc", "-p1234"]), "nc -p1234");
        assert_eq!(
            line(&["sshpass", "-p", "hunter2", "ssh", "h"]),
            "sshpass -p **** ssh h"
        );
        assert_eq!(line(&["sshpass", "-phunter2", "ssh"]), "sshpass -p**** ssh");
        assert_eq!(
            line(&["redis-cli", "-h", "r", "-a", "hunter2"]),
            "redis-cli -h r -a ****"
        );
        assert_eq!(line(&["tar", "-a", "x"]), "tar -a x");
        assert_eq!(
            line(&["curl", "-u", "bob:hunter2", "https://h"]),
            "curl -u bob:**** https://h"
        );
        assert_eq!(
            line(&["curl", "--user=bob:hunter2"]),
            "curl --user=bob:****"
        );
        assert_eq!(
            line(&["curl", "--proxy-user", "bob:pw"]),
            "curl --proxy-user bob:****"
        );
        // uid:gid, a user alone.
        assert_eq!(
            line(&["docker", "run", "-u", "1000:1000", "img"]),
            "docker run -u 1000:1000 img"
        );
        assert_eq!(line(&["sudo", "-u", "root", "id"]), "sudo -u root id");
    }

    #[test]
    fn token_shapes_anywhere() {
        let gh = "ghp_0123456789abcdefghijABCDEFGHIJ012345";
        assert_eq!(v(&format!("clone {gh} now")), "clone ghp_**** now");
        for p in ["gho_", "ghu_", "ghs_", "ghr_"] {
            assert_eq!(v(&format!("{p}0123456789abcdefghijXY")), format!("{p}****"));
        }
        assert_eq!(
            v("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
            "github_pat_****"
        );
        for p in ["xoxb-", "xoxa-", "xoxp-", "xoxo-", "xoxs-", "xoxr-"] {
            assert_eq!(
                v(&format!("t={p}1234567890-abcdefXYZ")),
                format!("t={p}****")
            );
        }
        assert_eq!(v("key AKIAIOSFODNN7EXAMPLE here"), "key AKIA**** here");
        assert_eq!(v("ASIAIOSFODNN7EXAMPLE"), "ASIA****");
        // 17 characters is not an access key id.
        assert_eq!(v("AKIAIOSFODNN7EXAMPLEX"), "AKIAIOSFODNN7EXAMPLEX");
        assert_eq!(
            v("https://hooks.slack.com/services/T000/B000/XXXXXXXX"),
            "https://hooks.slack.com/services/****"
        );
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.c2lnbmF0dXJlX2hlcmU";
        assert_eq!(v(&format!("--jwt {jwt} x")), "--jwt **** x");
        assert_eq!(
            v("Authorization: Bearer abc.def"),
            "Authorization: Bearer ****"
        );
        assert_eq!(
            v("Authorization: Basic dXNlcjpwYXNz"),
            "Authorization: Basic ****"
        );
        assert_eq!(v("bearer abcdefgh12345678"), "bearer ****");
        assert_eq!(
            v("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"),
            "-----BEGIN RSA PRIVATE KEY-----****-----END RSA PRIVATE KEY-----"
        );
        assert_eq!(v("glpat-abcdefghij0123456789"), "glpat-****");
        assert_eq!(
            v("OPENAI=sk-proj-Ab3dEf6hIj-_9kLmNoPqRsTuVwXyZ012345"),
            "OPENAI=sk-proj-****"
        );
        assert_eq!(v("k sk-ant-api03-AbCdEfGhIjKlMnOpQrStUv"), "k sk-ant-****");
        assert_eq!(
            v("sk-0123456789abcdefghijABCDEFGHIJ0123456789abcd"),
            "sk-****"
        );
        // Short or ordinary words with the prefix are shown.
        assert_eq!(v("sk-learn scikit sk-1"), "sk-learn scikit sk-1");
        // Too short, or glued to a word: not a token.
        assert_eq!(
            v("ghp_short xghp_0123456789abcdefghij0"),
            "ghp_short xghp_0123456789abcdefghij0"
        );
        assert_eq!(v("eyJhbGciOiJIUzI1NiJ9"), "eyJhbGciOiJIUzI1NiJ9");
    }

    #[test]
    fn cut_command_lines_mask_what_reaches_the_cut() {
        let (m, n) = mask_args(&["app", "--db=x", "postgres://app:hunt"], true);
        assert_eq!(m[2], b"postgres://app:****");
        assert_eq!(n, 1);
        let (m, _) = mask_args(&["app", "ghp_0123"], true);
        assert_eq!(m[1], b"ghp_****");
        // Not cut: a short one is not a token.
        let (m, n) = mask_args(&["app", "ghp_0123"], false);
        assert_eq!(m[1], b"ghp_0123");
        assert_eq!(n, 0);
    }

    #[test]
    fn nul_separated_keeps_structure() {
        let (m, n) = mask_nul_args(b"app\0--password\0hunter2\0--db=postgres://u:p@h\0", false);
        assert_eq!(m, b"app\0--password\0****\0--db=postgres://u:****@h\0");
        assert_eq!(n, 2);
        let (m, n) = mask_nul_args(b"sleep\x0060\0", false);
        assert_eq!(m, b"sleep\x0060\0");
        assert_eq!(n, 0);
        assert_eq!(mask_nul_args(b"", false), (Vec::new(), 0));
    }

    #[test]
    fn already_masked_counts_nothing() {
        let once = mask_value(b"postgres://u:pw@h --token x ghp_0123456789abcdefghijXY").0;
        assert_eq!(mask_value(&once), (once.clone(), 0));
        let (a, _) = mask_args(&["--password", "x", "--k=https://h/?token=t"], false);
        assert_eq!(mask_args(&a, false).1, 0);
    }

    #[test]
    fn non_utf8_and_hostile_bytes() {
        assert_eq!(
            mask_value(b"\xff\xfepostgres://u:\xffp@h\x1b[31m").0,
            b"\xff\xfepostgres://u:****@h\x1b[31m"
        );
        for s in [
            &b"://"[..],
            b"@",
            b":@",
            b"a://@",
            b"eyJ.",
            b"eyJ..",
            b"-----BEGIN ",
            b"=",
            b"--=",
            b"xox",
            b"\0\0",
        ] {
            let _ = mask_value(s);
            let _ = mask_args(&[s, s], true);
        }
    }
}

#[cfg(test)]
mod props {
    use super::*;
    use proptest::prelude::*;

    /// A token in one of the shapes, with a random secret body; returns
    /// (token, the secret part that must not survive).
    fn planted() -> impl Strategy<Value = (Vec<u8>, Vec<u8>)> {
        let alnum = "[A-Za-z0-9]{20,40}";
        prop_oneof![
            (
                prop::sample::select(vec!["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
                alnum
            )
                .prop_map(|(p, b)| (format!("{p}{b}"), b)),
            "[A-Za-z0-9_]{22,60}".prop_map(|b| (format!("github_pat_{b}"), b)),
            (
                prop::sample::select(vec!['a', 'b', 'p', 'o', 's', 'r']),
                "[A-Za-z0-9-]{10,50}"
            )
                .prop_map(|(c, b)| (format!("xox{c}-{b}"), b)),
            (prop::sample::select(vec!["AKIA", "ASIA"]), "[A-Z0-9]{16}")
                .prop_map(|(p, b)| (format!("{p}{b}"), b)),
            "[A-Za-z0-9]{8,12}/[A-Za-z0-9]{8,12}/[A-Za-z0-9]{16,24}"
                .prop_map(|b| (format!("https://hooks.slack.com/services/{b}"), b)),
            (
                "[A-Za-z0-9_-]{8,40}",
                "[A-Za-z0-9_-]{4,80}",
                "[A-Za-z0-9_-]{16,60}"
            )
                .prop_map(|(h, p, s)| (format!("eyJ{h}.eyJ{p}.{s}"), format!("eyJ{h}.eyJ{p}.{s}"))),
            ("[a-z]{1,8}", "[A-Za-z0-9]{8,30}")
                .prop_map(|(u, pw)| (format!("postgres://{u}:{pw}@db:5432/x"), format!(":{pw}@"))),
            ("[a-z]{1,8}", "[A-Za-z0-9,;]{8,30}")
                .prop_map(|(u, pw)| (format!("mysql://{u}:{pw}@db"), format!(":{pw}@"))),
            "[A-Za-z0-9]{8,30}"
                .prop_map(|t| (format!("https://h/p?x=1&token={t}"), format!("={t}"))),
            "[A-Za-z0-9]{8,30}".prop_map(|t| (format!("--password={t}"), format!("={t}"))),
            "[A-Za-z0-9]{8,30}".prop_map(|t| (format!("-Dapp.db.password={t}"), format!("={t}"))),
        ]
        .prop_map(|(t, s)| (t.into_bytes(), s.into_bytes()))
    }

    fn contains(hay: &[u8], needle: &[u8]) -> bool {
        hay.windows(needle.len()).any(|w| w == needle)
    }

    /// Text made of the pieces the rules look for, so that shapes overlap
    /// and follow each other (random bytes alone rarely form one).
    fn shapes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            prop::sample::select(vec![
                "://",
                "@",
                ":",
                "=",
                " ",
                "'",
                "\"",
                "&",
                "?",
                ";",
                ",",
                "#",
                "/",
                ".",
                "-",
                "--",
                "\0",
                "mysql\0",
                "sshpass\0",
                "redis-cli\0",
                "-p",
                "-u\0",
                "-a\0",
                "--user=",
                "--password",
                "--token",
                "-Dx.password=",
                "password=",
                "?token=",
                "ghp_",
                "github_pat_",
                "xoxb-",
                "AKIA",
                "ASIA",
                "AIza",
                "eyJ",
                "glpat-",
                "Authorization: ",
                "Bearer ",
                "-----BEGIN RSA PRIVATE KEY-----",
                "-----END",
                "hooks.slack.com/services/",
                "postgres://",
                "u:p@h",
                "****",
            ])
            .prop_map(|p| p.as_bytes().to_vec()),
            "[A-Za-z0-9]{1,24}".prop_map(String::into_bytes),
            prop::collection::vec(any::<u8>(), 1..4),
        ];
        prop::collection::vec(piece, 0..24).prop_map(|v| v.concat())
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn shaped_inputs_are_idempotent_and_bounded(b in shapes()) {
            let (once, n) = mask_value(&b);
            prop_assert!(once.len() <= b.len() + 3 * n);
            prop_assert_eq!(mask_value(&once), (once.clone(), 0));
            for cut in [false, true] {
                let (a, n) = mask_nul_args(&b, cut);
                prop_assert!(a.len() <= b.len() + 3 * n);
                prop_assert_eq!(mask_nul_args(&a, cut), (a.clone(), 0));
            }
        }

        #[test]
        fn never_panics_bounded_and_idempotent(b in prop::collection::vec(any::<u8>(), 0..300)) {
            let (once, n) = mask_value(&b);
            prop_assert!(once.len() <= b.len() + 3 * n, "masking lengthened a value");
            prop_assert_eq!(mask_value(&once), (once.clone(), 0));
            let (a, _) = mask_nul_args(&b, true);
            prop_assert_eq!(mask_nul_args(&a, true).0, a.clone());
            prop_assert_eq!(a.iter().filter(|&&c| c == 0).count(), b.iter().filter(|&&c| c == 0).count());
        }

        #[test]
        fn text_like_inputs_are_idempotent(s in "[ -~]{0,200}") {
            let (once, n) = mask_value(s.as_bytes());
            prop_assert!(once.len() <= s.len() + 3 * n);
            prop_assert_eq!(mask_value(&once).0, once.clone());
            let words: Vec<&str> = s.split(' ').collect();
            let (a, _) = mask_args(&words, false);
            prop_assert_eq!(mask_args(&a, false).0, a.clone());
        }

        #[test]
        fn planted_secret_never_survives(
            (tok, secret) in planted(),
            before in prop::collection::vec(any::<u8>(), 0..60),
            after in prop::collection::vec(any::<u8>(), 0..60),
        ) {
            let mut value = before.clone();
            value.push(b' ');
            value.extend_from_slice(&tok);
            value.push(b' ');
            value.extend_from_slice(&after);
            let (m, n) = mask_value(&value);
            prop_assert!(n >= 1);
            prop_assert!(!contains(&m, &secret), "{:?} survived in {:?}", String::from_utf8_lossy(&secret), String::from_utf8_lossy(&m));
            // As its own argument between random arguments.
            let args = vec![before.clone(), tok.clone(), after.clone()];
            let (m, _) = mask_args(&args, false);
            prop_assert!(!contains(&m[1], &secret));
        }
    }
}
