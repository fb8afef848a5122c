//! The threads plugin code runs on (SEC-42). Wasm that computes does not return to the async
//! runtime on its own: even with the epoch callback yielding every few milliseconds, a
//! runtime whose workers all run plugin code polls its network driver only every few dozen
//! scheduler ticks, and the API stalls for a second at a time (measured: 1.1 s per request
//! with two looping plugins on a two-worker runtime). So calls run on a small runtime of
//! their own; the API's workers only wait for the answer. The kernel shares the CPU between
//! the two runtimes' threads, so the API keeps answering while plugins run to their deadline.

use std::future::Future;
use tokio_util::task::AbortOnDropHandle;

/// Threads that run plugin calls: as many as the machine has cores, at most 4.
fn thread_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4)
}

pub(crate) struct CallThreads {
    runtime: Option<tokio::runtime::Runtime>,
}

impl CallThreads {
    pub fn new() -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(thread_count())
            .thread_name("plugin-call")
            .enable_all()
            .build()?;
        Ok(Self {
            runtime: Some(runtime),
        })
    }

    /// Runs `call` on the plugin threads and waits for it; `None` when the threads are gone
    /// (shutdown). Dropping the returned future stops the call.
    pub async fn run<T: Send + 'static>(
        &self,
        call: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let runtime = self.runtime.as_ref()?;
        AbortOnDropHandle::new(runtime.spawn(call)).await.ok()
    }
}

impl Drop for CallThreads {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; this one may go from anywhere.
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
