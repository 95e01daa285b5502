//! Pure analysis: turns what the reader read into judged values. No I/O
//! here; everything takes data and returns data, so it is tested on
//! synthetic inputs.

pub mod findings;
pub mod inspect;
pub mod names;
