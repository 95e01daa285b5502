//! What the agent publishes and the HTTP server serves: the latest
//! exposition, encoded once per scan (a scrape never scans and never
//! encodes), swapped in whole so a scrape never sees half a scan.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One scan's metrics, encoded in both exposition formats.
#[derive(Debug)]
pub struct Page {
    /// OpenMetrics text (`application/openmetrics-text; version=1.0.0`),
    /// ending with `# EOF`.
    pub openmetrics: Vec<u8>,
    /// Prometheus text format 0.0.4 (`text/plain; version=0.0.4`).
    pub prometheus: Vec<u8>,
    /// When the scan behind it finished.
    pub at: Instant,
}

/// The latest page, shared by the agent (writer) and the server (readers).
/// Readers clone the `Arc` under the lock and serve it without holding the
/// lock: a slow client never delays the agent or another scrape.
#[derive(Debug, Clone)]
pub struct Published {
    latest: Arc<Mutex<Option<Arc<Page>>>>,
    /// `/healthz` fails when the latest page is older than this (the agent
    /// is stuck) or when there is none yet.
    pub stale_after: Duration,
}

impl Published {
    pub fn new(stale_after: Duration) -> Published {
        Published {
            latest: Arc::new(Mutex::new(None)),
            stale_after,
        }
    }

    /// Replace the page served.
    pub fn set(&self, page: Page) {
        let page = Arc::new(page);
        match self.latest.lock() {
            Ok(mut g) => *g = Some(page),
            Err(poisoned) => *poisoned.into_inner() = Some(page),
        }
    }

    /// The page to serve, if a scan has finished.
    pub fn get(&self) -> Option<Arc<Page>> {
        match self.latest.lock() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Whether the latest page is fresh enough for `/healthz`.
    pub fn healthy(&self, now: Instant) -> bool {
        self.get()
            .is_some_and(|p| now.saturating_duration_since(p.at) <= self.stale_after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn served_page_is_the_latest_and_health_follows_its_age() {
        let p = Published::new(Duration::from_secs(30));
        let now = Instant::now();
        assert!(p.get().is_none());
        assert!(!p.healthy(now));
        p.set(Page {
            openmetrics: b"a 1\n# EOF\n".to_vec(),
            prometheus: b"a 1\n".to_vec(),
            at: now,
        });
        let held = p.get().unwrap();
        p.set(Page {
            openmetrics: b"a 2\n# EOF\n".to_vec(),
            prometheus: b"a 2\n".to_vec(),
            at: now,
        });
        // A reader keeps the page it took; the next reader gets the new one.
        assert_eq!(held.prometheus, b"a 1\n");
        assert_eq!(p.get().unwrap().prometheus, b"a 2\n");
        assert!(p.healthy(now + Duration::from_secs(30)));
        assert!(!p.healthy(now + Duration::from_secs(31)));
    }
}
