//! The capabilities a plugin imports: `log` (to tracing, tagged with the plugin's name) and
//! `http-get`, limited to the plugin's declared hosts on every hop, size-capped and bounded
//! by the call's remaining time (SEC-22, SEC-4).

use super::bindings::{convert, old, v0_1, v0_2, v0_3, wit};
use crate::net::url_policy::check_literal_host;
use crate::net::{AddressPolicy, check_url_syntax, guarded_client_builder};
use nas_music_plugin_sdk::pattern::host_matches;
use std::sync::Arc;
use std::time::{Duration, Instant};
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

const MAX_LOG_BYTES: usize = 4096;
const MAX_REQUEST_HEADERS: usize = 32;
const MAX_RESPONSE_HEADERS: usize = 64;
/// Headers a plugin may not set: they belong to the transport.
const FORBIDDEN_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "upgrade",
    "te",
];

/// A plugin's network permission: its declared hosts and a client that enforces them.
pub(crate) struct HttpCapability {
    hosts: Arc<Vec<String>>,
    client: reqwest::Client,
    policy: AddressPolicy,
    timeout: Duration,
    max_body: usize,
}

impl HttpCapability {
    pub fn new(
        hosts: Vec<String>,
        policy: AddressPolicy,
        timeout: Duration,
        max_body: usize,
    ) -> anyhow::Result<Self> {
        let hosts = Arc::new(hosts);
        let declared = hosts.clone();
        let hop_check = Arc::new(move |url: &url::Url| is_declared(&declared, url));
        let client = guarded_client_builder(policy.clone(), Some(hop_check)).build()?;
        Ok(Self {
            hosts,
            client,
            policy,
            timeout,
            max_body,
        })
    }

    async fn get(
        &self,
        raw: &str,
        headers: Vec<(String, String)>,
        deadline: Instant,
    ) -> Result<wit::HttpResponse, String> {
        let url = check_url_syntax(raw).map_err(|e| e.to_string())?;
        if !is_declared(&self.hosts, &url) {
            return Err(format!(
                "host {} is not declared by this plugin",
                url.host_str().unwrap_or("?")
            ));
        }
        check_literal_host(&url, &self.policy).map_err(|e| e.to_string())?;
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err("the call's time budget is spent".into());
        }
        let mut request = self.client.get(url).timeout(remaining.min(self.timeout));
        for (name, value) in headers.into_iter().take(MAX_REQUEST_HEADERS) {
            if FORBIDDEN_HEADERS.contains(&name.to_ascii_lowercase().as_str()) {
                return Err(format!("header {name} may not be set"));
            }
            request = request.header(name, value);
        }
        let mut response = request.send().await.map_err(|e| error_chain(&e))?;
        if response
            .content_length()
            .is_some_and(|n| n > self.max_body as u64)
        {
            return Err(format!("response body exceeds {} bytes", self.max_body));
        }
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .take(MAX_RESPONSE_HEADERS)
            .filter_map(|(k, v)| Some((k.to_string(), v.to_str().ok()?.to_owned())))
            .collect();
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| error_chain(&e))? {
            if body.len() + chunk.len() > self.max_body {
                return Err(format!("response body exceeds {} bytes", self.max_body));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(wit::HttpResponse {
            status,
            headers,
            body,
        })
    }
}

fn is_declared(hosts: &[String], url: &url::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    hosts.iter().any(|declared| host_matches(declared, host))
}

/// reqwest hides the interesting part (e.g. "redirect to an undeclared host") in sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(inner) = source {
        message.push_str(": ");
        message.push_str(&inner.to_string());
        source = inner.source();
    }
    message
}

impl HostState {
    fn log_line(&mut self, level: wit::LogLevel, mut message: String) {
        if let Some(panic) = message.strip_prefix("panic: ") {
            self.panic_message = Some(panic.chars().take(500).collect());
        }
        if self.log_budget == 0 {
            return;
        }
        self.log_budget -= 1;
        if message.len() > MAX_LOG_BYTES {
            let cut = (0..=MAX_LOG_BYTES)
                .rev()
                .find(|&i| message.is_char_boundary(i))
                .unwrap_or(0);
            message.truncate(cut);
        }
        let plugin = &*self.plugin;
        match level {
            wit::LogLevel::Trace => tracing::trace!(plugin, "{message}"),
            wit::LogLevel::Debug => tracing::debug!(plugin, "{message}"),
            wit::LogLevel::Info => tracing::info!(plugin, "{message}"),
            wit::LogLevel::Warn => tracing::warn!(plugin, "{message}"),
            wit::LogLevel::Error => tracing::error!(plugin, "{message}"),
        }
    }

    async fn http(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Result<wit::HttpResponse, String> {
        let Some(http) = self.http.clone() else {
            return Err("this plugin declared no hosts, so it has no network access".into());
        };
        let result = http.get(&url, headers, self.deadline).await;
        if let Err(e) = &result {
            tracing::debug!(plugin = &*self.plugin, %url, "http-get refused or failed: {e}");
        }
        result
    }
}

impl wit::Host for HostState {}

impl old::Host for HostState {}

impl v0_3::nas_music::extractor::host::Host for HostState {
    async fn log(&mut self, level: wit::LogLevel, message: String) {
        self.log_line(level, message);
    }

    async fn http_get(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Result<wit::HttpResponse, String> {
        self.http(url, headers).await
    }

    async fn log_enabled(&mut self, level: wit::LogLevel) -> bool {
        match level {
            wit::LogLevel::Trace => tracing::enabled!(tracing::Level::TRACE),
            wit::LogLevel::Debug => tracing::enabled!(tracing::Level::DEBUG),
            wit::LogLevel::Info => tracing::enabled!(tracing::Level::INFO),
            wit::LogLevel::Warn => tracing::enabled!(tracing::Level::WARN),
            wit::LogLevel::Error => tracing::enabled!(tracing::Level::ERROR),
        }
    }
}

impl v0_2::nas_music::extractor::host::Host for HostState {
    async fn log(&mut self, level: old::LogLevel, message: String) {
        self.log_line(convert::log_level(level), message);
    }

    async fn http_get(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Result<old::HttpResponse, String> {
        self.http(url, headers).await.map(convert::http_response)
    }

    async fn log_enabled(&mut self, level: old::LogLevel) -> bool {
        v0_3::nas_music::extractor::host::Host::log_enabled(self, convert::log_level(level)).await
    }
}

impl v0_1::nas_music::extractor::host::Host for HostState {
    async fn log(&mut self, level: old::LogLevel, message: String) {
        self.log_line(convert::log_level(level), message);
    }

    async fn http_get(
        &mut self,
        url: String,
        headers: Vec<(String, String)>,
    ) -> Result<old::HttpResponse, String> {
        self.http(url, headers).await.map(convert::http_response)
    }
}

/// What one call's store carries.
pub(crate) struct HostState {
    wasi: WasiCtx,
    table: ResourceTable,
    pub memory: MemoryCap,
    pub plugin: Arc<str>,
    pub http: Option<Arc<HttpCapability>>,
    pub deadline: Instant,
    /// Set by the SDK's panic hook through `log` ("panic: …").
    pub panic_message: Option<String>,
    /// Log lines still allowed in this call (a chatty plugin cannot flood the log).
    pub log_budget: u32,
}

impl HostState {
    pub fn new(
        plugin: Arc<str>,
        http: Option<Arc<HttpCapability>>,
        memory_limit: usize,
        deadline: Instant,
    ) -> Self {
        Self {
            wasi: WasiCtx::builder().build(),
            table: ResourceTable::new(),
            memory: MemoryCap::new(memory_limit),
            plugin,
            http,
            deadline,
            panic_message: None,
            log_budget: 1000,
        }
    }
}

impl WasiView for HostState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Refuses growth past the cap and remembers that it did, to report `OutOfMemory`. The cap
/// counts every linear memory of the call's instance together (SEC-42): a component holds
/// several core instances, each of which may have its own memory.
pub(crate) struct MemoryCap {
    limit: usize,
    /// Bytes of all memories created in this store so far.
    total: usize,
    pub exceeded: bool,
}

impl MemoryCap {
    pub fn new(limit: usize) -> Self {
        Self {
            limit,
            total: 0,
            exceeded: false,
        }
    }
}

impl wasmtime::ResourceLimiter for MemoryCap {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        // A new memory arrives with `current` 0, a growing one with its present size.
        let total = self.total.saturating_sub(current).saturating_add(desired);
        if total > self.limit {
            self.exceeded = true;
            return Ok(false);
        }
        self.total = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _max: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

#[cfg(test)]
mod memory_cap_tests {
    use super::*;
    use wasmtime::ResourceLimiter;

    #[test]
    fn the_memory_cap_counts_all_memories_of_an_instance_sec_42() {
        let mb = 1 << 20;
        let mut cap = MemoryCap::new(64 * mb);
        assert!(cap.memory_growing(0, 40 * mb, None).unwrap());
        // A second memory of the same instance: alone it fits, together they do not.
        assert!(!cap.memory_growing(0, 40 * mb, None).unwrap());
        assert!(cap.exceeded);
        assert!(cap.memory_growing(0, 20 * mb, None).unwrap());
        // Growing the first by 4 MiB reaches the cap exactly; one page more does not fit.
        assert!(cap.memory_growing(40 * mb, 44 * mb, None).unwrap());
        assert!(!cap.memory_growing(20 * mb, 20 * mb + 65536, None).unwrap());
    }
}
