//! Presentation: human output (aligned, IEC units, colour only where
//! allowed) and JSON. Takes analysed data; never reads /proc.

pub mod doctor;
pub mod export;
pub mod findings;
pub mod incomplete;
pub mod inspect;
pub mod metrics;
pub mod oom;
pub mod plot;
pub mod record;
pub mod replay;
pub mod report;
pub mod serve_http;
pub mod style;
pub mod table;
pub mod top;
pub mod unavailable;
pub mod units;
pub mod views;
pub mod watch;
pub mod who;
pub mod workload;

/// Serialize to a JSON document safe to print anywhere (see
/// [`crate::text::json_safe`]).
/// One JSON document on one line (JSON Lines), with its newline.
pub fn to_json_line<T: serde::Serialize>(v: &T) -> String {
    let doc = serde_json::to_string(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    crate::text::json_safe(doc) + "\n"
}

pub fn to_json<T: serde::Serialize>(v: &T) -> String {
    // Serializing plain structs with string keys cannot fail.
    let doc = serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    crate::text::json_safe(doc)
}
