//! Bytes that came from /proc (names, arguments, paths) and how they are
//! shown. Nothing from /proc reaches a terminal or a JSON document raw:
//!
//! - [`escape_for_terminal`]: control characters (C0, DEL, C1), ESC/CSI/OSC
//!   introducers, bidi overrides and zero-width characters become visible
//!   escapes (`\e`, `\n`, `\x07`, `\u{202e}`); invalid UTF-8 bytes become
//!   `\xNN`; a backslash is doubled so the escapes are unambiguous.
//! - JSON ([`Text`]'s `Serialize`): valid UTF-8 is kept as is, invalid bytes
//!   become the four characters `\xNN`; [`json_safe`] then rewrites C1
//!   controls and bidi/zero-width characters as `\uXXXX` so even a raw JSON
//!   document cannot drive a terminal.

use std::fmt::Write as _;

use serde::{Serialize, Serializer};

/// A byte string from /proc.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Text(pub Vec<u8>);

impl Text {
    pub fn new(b: impl Into<Vec<u8>>) -> Self {
        Text(b.into())
    }
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
    /// Lossless text for JSON: invalid bytes as `\xNN`.
    pub fn to_json_string(&self) -> String {
        let mut s = String::with_capacity(self.0.len());
        for chunk in self.0.utf8_chunks() {
            s.push_str(chunk.valid());
            for b in chunk.invalid() {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
        s
    }
    /// Safe for a terminal.
    pub fn display(&self) -> String {
        escape_for_terminal(&self.0)
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        TextRef(&self.0).serialize(s)
    }
}

/// Borrowed bytes from /proc, serialized like [`Text`] without a copy.
#[derive(Debug, Clone, Copy)]
pub struct TextRef<'a>(pub &'a [u8]);

impl Serialize for TextRef<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match std::str::from_utf8(self.0) {
            Ok(v) => s.serialize_str(v),
            Err(_) => s.serialize_str(&Text(self.0.to_vec()).to_json_string()),
        }
    }
}

/// Characters that reorder or hide text: bidi controls, zero-width and
/// other invisible format characters (soft hyphen, line and paragraph
/// separators, interlinear annotation, and the tag characters U+E0000..,
/// which a terminal draws as nothing: `sshd` plus tags looks like `sshd`).
fn is_invisible_format(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}'..='\u{200F}'
        | '\u{2028}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0000}'..='\u{E007F}')
}

/// Escape bytes for display on a terminal.
pub fn escape_for_terminal(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len());
    escape_into(&mut s, b);
    s
}

/// Append the terminal-safe form of `b` to `s`.
pub fn escape_into(s: &mut String, b: &[u8]) {
    // Fast path: printable ASCII without backslashes needs no escaping
    // (addresses, most paths); views print tens of thousands of these.
    if b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'\\') {
        s.push_str(&String::from_utf8_lossy(b));
        return;
    }
    for chunk in b.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => s.push_str("\\\\"),
                '\n' => s.push_str("\\n"),
                '\t' => s.push_str("\\t"),
                '\r' => s.push_str("\\r"),
                '\x1b' => s.push_str("\\e"),
                c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                    let _ = write!(s, "\\x{:02x}", c as u32);
                }
                c if (0x80..=0x9f).contains(&(c as u32)) || is_invisible_format(c) => {
                    let _ = write!(s, "\\u{{{:x}}}", c as u32);
                }
                c => s.push(c),
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(s, "\\x{byte:02x}");
        }
    }
}

/// The last guard before stderr: control characters (C0 with newline and
/// tab, DEL, C1) and invisible format characters left in an error message
/// become visible escapes; everything else, backslashes included, is kept,
/// so a message whose parts were already escaped reads the same. Parts of
/// an error that are not /proc bytes (a path given as --proc-root) reach
/// here raw.
pub fn neutralize_controls(s: &str) -> std::borrow::Cow<'_, str> {
    let bad = |c: char| c.is_control() || is_invisible_format(c);
    if !s.chars().any(bad) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\x1b' => out.push_str("\\e"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if bad(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Post-process a serialized JSON document: serde_json already escapes C0
/// controls; this escapes DEL, C1 controls and bidi/zero-width characters
/// too. Safe on the whole document because JSON structure is ASCII.
pub fn json_safe(doc: String) -> String {
    let unsafe_char = |c: char| (0x7f..=0x9f).contains(&(c as u32)) || is_invisible_format(c);
    if !doc.chars().any(unsafe_char) {
        return doc;
    }
    let mut out = String::with_capacity(doc.len() + 16);
    for c in doc.chars() {
        if unsafe_char(c) {
            // UTF-16 units: a character past U+FFFF is a surrogate pair.
            for u in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{:04x}", u);
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_escapes_everything_dangerous() {
        assert_eq!(escape_for_terminal(b"java"), "java");
        assert_eq!(escape_for_terminal(b"a\x1b[31mred"), "a\\e[31mred");
        assert_eq!(escape_for_terminal(b"x\n)y:\xff"), "x\\n)y:\\xff");
        assert_eq!(escape_for_terminal(b"\x1b]0;pwned\x07"), "\\e]0;pwned\\x07");
        assert_eq!(escape_for_terminal("\u{9b}31m".as_bytes()), "\\u{9b}31m");
        assert_eq!(
            escape_for_terminal("abc\u{202e}gpj.exe".as_bytes()),
            "abc\\u{202e}gpj.exe"
        );
        assert_eq!(
            escape_for_terminal("zero\u{200b}width".as_bytes()),
            "zero\\u{200b}width"
        );
        assert_eq!(
            escape_for_terminal(b"back\\slash\x7f"),
            "back\\\\slash\\x7f"
        );
        assert_eq!(
            escape_for_terminal("ünïcödé 日本".as_bytes()),
            "ünïcödé 日本"
        );
        // No raw control byte survives.
        let all: Vec<u8> = (0u8..=255).collect();
        let out = escape_for_terminal(&all);
        assert!(!out.chars().any(|c| c.is_control()), "{out:?}");
    }

    #[test]
    fn json_is_lossless_and_safe() {
        let t = Text::new(b"ev\x1bil\n\xff\xfe)".to_vec());
        let doc = json_safe(serde_json::to_string(&t).unwrap());
        assert_eq!(doc, r#""ev\u001bil\n\\xff\\xfe)""#);
        let back: String = serde_json::from_str(&doc).unwrap();
        assert_eq!(back, "ev\x1bil\n\\xff\\xfe)");
        let bidi = Text::new("a\u{202e}b\u{9b}".as_bytes().to_vec());
        let doc = json_safe(serde_json::to_string(&bidi).unwrap());
        assert_eq!(doc, r#""a\u202eb\u009b""#);
        let del = Text::new(b"a\x7fb".to_vec());
        let del_doc = json_safe(serde_json::to_string(&del).unwrap());
        assert_eq!(del_doc, r#""a\u007fb""#);
        assert_eq!(serde_json::from_str::<String>(&del_doc).unwrap(), "a\x7fb");
        assert_eq!(
            serde_json::from_str::<String>(&doc).unwrap(),
            "a\u{202e}b\u{9b}"
        );
    }

    #[test]
    fn invisible_tag_characters_and_separators_are_escaped() {
        let name = "sshd\u{e0041}\u{e007f}\u{2028}\u{ad}";
        assert_eq!(
            escape_for_terminal(name.as_bytes()),
            "sshd\\u{e0041}\\u{e007f}\\u{2028}\\u{ad}"
        );
        let doc = json_safe(serde_json::to_string(&Text::new(name.as_bytes().to_vec())).unwrap());
        assert!(doc.is_ascii(), "{doc}");
        assert_eq!(doc, r#""sshd\udb40\udc41\udb40\udc7f\u2028\u00ad""#);
        assert_eq!(serde_json::from_str::<String>(&doc).unwrap(), name);
    }
}
