//! The threads plugin code runs on (SEC-42). Wasm that computes does not return to the async
//! runtime on its own: even with the epoch callback yielding every few milliseconds, a
//! runtime whose workers all run plugin code polls its network driver only every few dozen
//! scheduler ticks, and the API stalls for a second at a time (measured: 1.1 s per request
//! with two looping plugins on a two-worker runtime). So calls run on a small runtime of
//! their own; the API's workers only wait for the answer. The kernel shares the CPU between
//! the two runtimes' threads, so the API keeps answering while plugins run to their deadline.

use std::future::Future;
use std::sync::OnceLock;
use tokio_util::task::AbortOnDropHandle;

/// Threads that run plugin calls: as many as the machine has cores, at most 4.
fn thread_count() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .clamp(1, 4)
}

/// Made on the first call, so an idle server holds no extra threads (the idle-memory
/// target of issue 8).
#[derive(Default)]
pub(crate) struct CallThreads {
    runtime: OnceLock<Option<tokio::runtime::Runtime>>,
}

impl CallThreads {
    fn runtime(&self) -> Option<&tokio::runtime::Runtime> {
        self.runtime
            .get_or_init(|| {
                tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(thread_count())
                    .thread_name("plugin-call")
                    .enable_all()
                    .build()
                    .inspect_err(
                        |e| tracing::error!(error = %e, "could not start the plugin call threads"),
                    )
                    .ok()
            })
            .as_ref()
    }

    /// Runs `call` on the plugin threads and waits for it; `None` when the threads could
    /// not be started. Dropping the returned future stops the call.
    pub async fn run<T: Send + 'static>(
        &self,
        call: impl Future<Output = T> + Send + 'static,
    ) -> Option<T> {
        let runtime = self.runtime()?;
        AbortOnDropHandle::new(runtime.spawn(call)).await.ok()
    }
}

impl Drop for CallThreads {
    fn drop(&mut self) {
        // Dropping a runtime from async code panics; this one may go from anywhere.
        if let Some(runtime) = self.runtime.take().flatten() {
            runtime.shutdown_background();
        }
    }
}
