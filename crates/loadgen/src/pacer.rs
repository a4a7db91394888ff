//! Sub-millisecond pacing. Tokio's timers have a 1 ms resolution, so a session paced by its
//! ticker alone sends its PACKET_INs in 1 ms bursts, and the burst itself queues at the
//! controller (at 50k/s that is 50 packets at once, ~0.25 ms of added median latency). A
//! [`Pacer`] wakes the paced sessions from a dedicated OS thread every `period` (tens of
//! microseconds); each session then sends what its rate allows by that instant.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::Notify;

/// Default wake-up period.
pub const DEFAULT_PERIOD: Duration = Duration::from_micros(50);

/// A thread waking every waiting session each `period`; stopped when dropped.
#[derive(Debug)]
pub struct Pacer {
    notify: Arc<Notify>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Pacer {
    /// Starts the thread.
    pub fn start(period: Duration) -> std::io::Result<Pacer> {
        let notify = Arc::new(Notify::new());
        let stop = Arc::new(AtomicBool::new(false));
        let (n, s) = (notify.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("loadgen-pacer".into())
            .spawn(move || {
                while !s.load(Ordering::Relaxed) {
                    std::thread::sleep(period);
                    n.notify_waiters();
                }
            })?;
        Ok(Pacer {
            notify,
            stop,
            thread: Some(thread),
        })
    }

    /// What the sessions wait on.
    pub fn notify(&self) -> Arc<Notify> {
        self.notify.clone()
    }
}

impl Drop for Pacer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            // The thread only sleeps and notifies; it cannot panic.
            let _ = t.join();
        }
    }
}

/// Waits for the pacer's next wake-up, or forever without a pacer.
pub async fn next_wakeup(notify: Option<&Notify>) {
    match notify {
        Some(n) => n.notified().await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[tokio::test]
    async fn wakes_waiters_repeatedly_and_stops_on_drop() {
        let pacer = Pacer::start(Duration::from_micros(100)).unwrap();
        let n = pacer.notify();
        let start = Instant::now();
        for _ in 0..20 {
            next_wakeup(Some(&n)).await;
        }
        // Twenty wake-ups well within the 1 ms steps a tokio timer would need for them.
        assert!(start.elapsed() < Duration::from_secs(5));
        drop(pacer);
        let waited = tokio::time::timeout(Duration::from_millis(20), next_wakeup(Some(&n))).await;
        assert!(waited.is_err(), "no wake-ups after the pacer stopped");
    }
}
