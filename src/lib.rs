//! proctor: the process doctor for Linux.
//!
//! Data flows one way: [`reader`] (the only code touching /proc and /sys)
//! -> [`parse`] (pure parsers it uses) -> [`analysis`] (pure judgement) ->
//! [`render`] (human and JSON output), driven by [`cli`]. See
//! ARCHITECTURE.md.

pub mod analysis;
pub mod cli;
pub mod cmd;
pub mod error;
pub mod parse;
pub mod reader;
pub mod render;
pub mod store;
pub mod text;
