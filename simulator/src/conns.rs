//! Connection counting: how many TCP (or TLS) connections the simulator accepted, how many
//! are open now, and the most that were open at once — for tests of a client's pool.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Counts of the connections of a running simulator.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Connections {
    /// Connections accepted since start.
    pub accepted: u64,
    /// Connections open now.
    pub open: u64,
    /// Most connections open at the same time.
    pub peak_open: u64,
}

/// The shared counters behind [`Connections`].
#[derive(Debug, Default)]
pub(crate) struct ConnCounter {
    accepted: AtomicU64,
    open: AtomicU64,
    peak: AtomicU64,
}

impl ConnCounter {
    /// Counts a newly accepted connection; it stays open until the guard is dropped.
    pub(crate) fn opened(self: &Arc<Self>) -> OpenGuard {
        self.accepted.fetch_add(1, Ordering::SeqCst);
        let now = self.open.fetch_add(1, Ordering::SeqCst) + 1;
        self.peak.fetch_max(now, Ordering::SeqCst);
        OpenGuard(self.clone())
    }

    /// A snapshot of the counts.
    pub(crate) fn snapshot(&self) -> Connections {
        Connections {
            accepted: self.accepted.load(Ordering::SeqCst),
            open: self.open.load(Ordering::SeqCst),
            peak_open: self.peak.load(Ordering::SeqCst),
        }
    }
}

/// Held by an open connection; dropping it counts the connection closed.
#[derive(Debug)]
pub(crate) struct OpenGuard(Arc<ConnCounter>);

impl Drop for OpenGuard {
    fn drop(&mut self) {
        self.0.open.fetch_sub(1, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_open_and_peak() {
        let c = Arc::new(ConnCounter::default());
        let a = c.opened();
        let b = c.opened();
        drop(a);
        let _c = c.opened();
        drop(b);
        assert_eq!(
            c.snapshot(),
            Connections {
                accepted: 3,
                open: 1,
                peak_open: 2
            }
        );
    }
}
