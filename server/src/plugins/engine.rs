//! The one wasmtime engine (pooling allocator, epoch interruption with a ticker thread), the
//! linker with every accepted interface version, and the per-call store state.

use super::bindings::{v0_1, v0_2, v0_3};
use super::config::PluginHostConfig;
use super::engine_config::{compilation_config, effective_memory_limit};
use super::host_api::{HostState, HttpCapability};
use super::wasm_error::wasm_error;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{
    Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, UpdateDeadline,
};

/// How often the epoch advances; call deadlines are measured in these ticks.
pub(crate) const EPOCH_TICK: Duration = Duration::from_millis(5);
/// A running call yields to the runtime this often (in epoch ticks: 10 ms).
const YIELD_EVERY_TICKS: u64 = 2;
/// Plugin instances alive at once; further calls wait for a slot.
pub(crate) const MAX_CONCURRENT_INSTANCES: usize = 32;

/// The engine, its linker and the ticker that drives deadlines.
pub(crate) struct PluginEngine {
    pub engine: Engine,
    pub linker: Linker<HostState>,
    pub memory_limit: usize,
}

impl PluginEngine {
    pub fn new(config: &PluginHostConfig) -> anyhow::Result<Self> {
        let memory_limit = effective_memory_limit(config.memory_limit_bytes);
        let mut pool = PoolingAllocationConfig::default();
        let n = MAX_CONCURRENT_INSTANCES as u32 + 8;
        // Rust components carry several core instances (program, WASI adapter, shims).
        pool.total_component_instances(n)
            .total_core_instances(n * 16)
            .total_memories(n * 4)
            .total_tables(n * 8)
            .total_stacks(n)
            .max_core_instances_per_component(32)
            .max_memories_per_component(4)
            .max_tables_per_component(8)
            .max_memory_size(memory_limit);
        let mut wasm = compilation_config(memory_limit);
        wasm.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = Engine::new(&wasm).map_err(wasm_error)?;
        spawn_ticker(&engine);

        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker).map_err(wasm_error)?;
        v0_3::Plugin::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(wasm_error)?;
        v0_2::Plugin::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(wasm_error)?;
        v0_1::Plugin::add_to_linker::<_, HasSelf<HostState>>(&mut linker, |s| s)
            .map_err(wasm_error)?;
        Ok(Self {
            engine,
            linker,
            memory_limit,
        })
    }

    /// A fresh store for one call: empty WASI context, memory cap, a deadline that yields.
    pub fn store(
        &self,
        plugin: Arc<str>,
        http: Option<Arc<HttpCapability>>,
        timeout: Duration,
    ) -> Store<HostState> {
        let state = HostState::new(plugin, http, self.memory_limit, Instant::now() + timeout);
        let mut store = Store::new(&self.engine, state);
        store.limiter(|s| &mut s.memory);
        // SEC-42: every few ticks the call yields to its runtime (the plugin threads, see
        // `call_threads.rs`), so calls share those threads and the call's own timeout can
        // fire; past the wall-clock deadline the callback traps instead.
        store.set_epoch_deadline(YIELD_EVERY_TICKS);
        store.epoch_deadline_callback(|ctx| {
            if Instant::now() >= ctx.data().deadline {
                Err(wasmtime::Trap::Interrupt.into())
            } else {
                Ok(UpdateDeadline::Yield(YIELD_EVERY_TICKS))
            }
        });
        store
    }
}

/// Advances the epoch until the engine is dropped.
fn spawn_ticker(engine: &Engine) {
    let weak = engine.weak();
    std::thread::Builder::new()
        .name("plugin-epoch".into())
        .spawn(move || {
            while let Some(engine) = weak.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .expect("spawning the plugin epoch thread");
}
