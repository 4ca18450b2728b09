//! [`HashLimiter`]: memory-hard work (password hashing) with bounded concurrency.

use super::StoreError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;
use tokio::sync::Semaphore;

/// Runs memory-hard work, such as checking a password against an Argon2 hash, on a few
/// dedicated threads, at most `concurrent` at once, so that a flood of logins cannot exhaust
/// memory.
///
/// Argon2id's default costs 19 MiB per hash; a [`UserStore`](crate::UserStore) that hashes
/// every login attempt (as it should, with a dummy hash for unknown logins) on tokio's
/// blocking pool with no bound holds 19 MiB for every attempt in flight: a few hundred
/// concurrent attempts take gigabytes. Bounding the number at once is not enough on its own:
/// the allocator keeps freed blocks per thread, so hashes spread over the blocking pool's many
/// threads leave tens of MiB behind on each. A `HashLimiter` runs the work on `concurrent`
/// threads of its own; the work beyond waits, at most `queue` callers at most `max_wait` each,
/// and the rest get [`StoreError::Busy`], which tower-authy answers with
/// `503 Service Unavailable` and `Retry-After` (refusing nobody's password, letting nobody
/// in). Work already started runs to the end and keeps its slot even if the request is
/// dropped, so the bound holds against clients that disconnect.
///
/// ```
/// use tower_authy::{store::HashLimiter, store::StoreError};
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), StoreError> {
/// let hashing = HashLimiter::for_this_machine();
/// // In `UserStore::verify_password`: the Argon2 check, bounded.
/// let matches = hashing.run(move || "stored hash" == "stored hash").await?;
/// assert!(matches);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct HashLimiter {
    inner: Arc<Limits>,
}

/// A piece of work for the limiter's threads.
type Job = Box<dyn FnOnce() + Send>;

struct Limits {
    slots: Arc<Semaphore>,
    waiting: AtomicUsize,
    queue: usize,
    max_wait: Duration,
    /// To the limiter's threads, which end when the last clone of the limiter goes.
    jobs: Mutex<mpsc::Sender<Job>>,
}

impl std::fmt::Debug for HashLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashLimiter")
            .field("free", &self.inner.slots.available_permits())
            .field("waiting", &self.inner.waiting.load(Ordering::Relaxed))
            .field("queue", &self.inner.queue)
            .field("max_wait", &self.inner.max_wait)
            .finish()
    }
}

impl HashLimiter {
    /// At most `concurrent` at once (at least one), each on a thread of its own; at most
    /// `queue` more waiting, each at most `max_wait`.
    pub fn new(concurrent: usize, queue: usize, max_wait: Duration) -> Self {
        let concurrent = concurrent.max(1);
        let (jobs, receiver) = mpsc::channel::<Job>();
        let receiver = Arc::new(Mutex::new(receiver));
        for i in 0..concurrent {
            let receiver = Arc::clone(&receiver);
            let worker = move || {
                loop {
                    let next = receiver
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .recv();
                    let Ok(job) = next else { return };
                    // A panicking job loses its answer (the caller sees an error), not the
                    // thread.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                }
            };
            std::thread::Builder::new()
                .name(format!("tower-authy-hash-{i}"))
                .spawn(worker)
                .expect("the operating system starts a thread");
        }
        HashLimiter {
            inner: Arc::new(Limits {
                slots: Arc::new(Semaphore::new(concurrent)),
                waiting: AtomicUsize::new(0),
                queue,
                max_wait,
                jobs: Mutex::new(jobs),
            }),
        }
    }

    /// One at a time per core, up to 64 per core waiting at most two seconds: enough for a
    /// burst of real logins, and a flood is refused in bounded memory.
    pub fn for_this_machine() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        HashLimiter::new(cores, 64 * cores, Duration::from_secs(2))
    }

    /// Runs `work` on one of the limiter's threads once a slot is free.
    ///
    /// # Errors
    /// [`StoreError::Busy`] when the queue is full or the wait runs out (nothing ran);
    /// [`StoreError::Unavailable`] if `work` panicked.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, StoreError> {
        let slot = match Arc::clone(&self.inner.slots).try_acquire_owned() {
            Ok(slot) => slot,
            Err(_) => self.wait_for_slot().await?,
        };
        let (answer, answered) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _slot = slot;
            let _ = answer.send(work());
        });
        self.inner
            .jobs
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .send(job)
            .map_err(|_| StoreError::unavailable("the hashing threads are gone"))?;
        answered
            .await
            .map_err(|_| StoreError::unavailable("the hashing work panicked"))
    }

    async fn wait_for_slot(&self) -> Result<tokio::sync::OwnedSemaphorePermit, StoreError> {
        let limits = &self.inner;
        if limits.waiting.fetch_add(1, Ordering::AcqRel) >= limits.queue {
            limits.waiting.fetch_sub(1, Ordering::AcqRel);
            return Err(StoreError::Busy);
        }
        // Counted out again however this ends, a dropped request included.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::AcqRel);
            }
        }
        let _waiting = Waiting(&limits.waiting);
        let slot = Arc::clone(&limits.slots).acquire_owned();
        match tokio::time::timeout(limits.max_wait, slot).await {
            Ok(Ok(slot)) => Ok(slot),
            _ => Err(StoreError::Busy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Awaits `condition`, failing after ten seconds.
    async fn until(condition: impl Fn() -> bool) {
        let deadline = std::time::Duration::from_secs(10);
        tokio::time::timeout(deadline, async {
            while !condition() {
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("the condition within ten seconds");
    }

    #[tokio::test]
    async fn work_beyond_the_slots_and_the_queue_is_refused_not_run() {
        let limiter = HashLimiter::new(1, 1, Duration::from_secs(60));
        let (started_tx, started_rx) = std::sync::mpsc::channel();
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let busy = limiter.clone();
        let first = tokio::spawn(async move {
            busy.run(move || {
                started_tx.send(()).unwrap();
                release_rx.recv().unwrap();
                1
            })
            .await
        });
        tokio::task::spawn_blocking(move || started_rx.recv().unwrap())
            .await
            .unwrap();
        // One waits in the queue; the next is refused at once and never runs.
        let queued = limiter.clone();
        let second = tokio::spawn(async move { queued.run(|| 2).await });
        until(|| limiter.inner.waiting.load(Ordering::Acquire) > 0).await;
        let ran = Arc::new(AtomicUsize::new(0));
        let counted = Arc::clone(&ran);
        let third = limiter
            .run(move || counted.fetch_add(1, Ordering::SeqCst))
            .await;
        assert!(matches!(third, Err(StoreError::Busy)));
        assert_eq!(ran.load(Ordering::SeqCst), 0);
        release_tx.send(()).unwrap();
        assert_eq!(first.await.unwrap().unwrap(), 1);
        assert_eq!(second.await.unwrap().unwrap(), 2);
        assert_eq!(limiter.inner.waiting.load(Ordering::Acquire), 0);
    }

    // Real time: tokio's paused clock does not advance while blocking work runs.
    #[tokio::test]
    async fn a_wait_longer_than_allowed_is_refused() {
        let limiter = HashLimiter::new(1, 8, Duration::from_millis(20));
        let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
        let busy = limiter.clone();
        let first = tokio::spawn(async move { busy.run(move || release_rx.recv()).await });
        until(|| limiter.inner.slots.available_permits() == 0).await;
        let waited = limiter.run(|| ()).await;
        assert!(matches!(waited, Err(StoreError::Busy)));
        release_tx.send(()).unwrap();
        assert!(first.await.unwrap().unwrap().is_ok());
    }
}
