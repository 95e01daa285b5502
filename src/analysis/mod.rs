//! Pure analysis: turns what the reader read into judged values. No I/O
//! here; everything takes data and returns data, so it is tested on
//! synthetic inputs.

pub mod ceiling;
pub mod cpu;
pub mod doctor;
pub mod env;
pub mod fds;
pub mod findings;
pub mod incomplete;
pub mod inspect;
pub mod leak;
pub mod maps;
pub mod names;
pub mod net;
pub mod oom;
pub mod replay;
pub mod report;
pub mod secrets;
pub mod serve;
pub mod threads;
pub mod top;
pub mod watch;
pub mod who;
pub mod workload;
