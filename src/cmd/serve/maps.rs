//! The mappings of the processes exported one by one (the top K and the
//! leaking ones): lines of /proc/PID/maps, streamed through the reader's
//! bounded line reader. A read grows with the process (a JVM can hold tens
//! of thousands of mappings), so a round is paced by its cost as the
//! shared sockets are ([`super::sockets::due`]): the next one comes once
//! 100 times the last one's duration has passed; the counts of the last
//! round are kept between (by the model).

use std::time::{Duration, Instant};

use crate::analysis::serve::{ProcKey, ProcReport};
use crate::error::ReadError;
use crate::reader::ProcFs;

#[derive(Debug, Default)]
pub struct MapsPacer {
    /// When the last round ended, and what it cost.
    last: Option<(Instant, Duration)>,
}

impl MapsPacer {
    /// The mappings of `ps` if a round is due (else none: the model keeps
    /// the last counts). A process gone since the scan is left out; a read
    /// that failed otherwise is counted by kind.
    pub fn read(
        &mut self,
        fs: &ProcFs,
        ps: &[ProcReport],
        error: &mut dyn FnMut(&'static str),
    ) -> Vec<(ProcKey, u64)> {
        if !super::sockets::due(self.last.map(|(at, cost)| (at.elapsed(), cost))) {
            return Vec::new();
        }
        let began = Instant::now();
        let mut out = Vec::with_capacity(ps.len());
        for p in ps {
            let proc = match fs.open(p.pid) {
                Ok(x) if x.start_ticks() == p.start_ticks => x,
                Ok(_) | Err(ReadError::Exited { .. }) => continue,
                Err(e) => {
                    error(e.reason());
                    continue;
                }
            };
            let mut n = 0u64;
            match proc.for_each_line("maps", |_| {
                n += 1;
                true
            }) {
                // No mapping at all: a zombie or a process exiting.
                Ok(()) if n == 0 => {}
                Ok(()) => out.push(((p.pid, p.start_ticks), n)),
                Err(ReadError::Exited { .. }) => {}
                Err(e) => error(e.reason()),
            }
        }
        self.last = Some((Instant::now(), began.elapsed()));
        out
    }
}
