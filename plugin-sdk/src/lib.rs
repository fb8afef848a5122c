//! The SDK for NAS Music Downloader extractor plugins.
//!
//! A plugin implements [`Extractor`] (constants plus one `resolve` function) and calls
//! [`register_plugin!`] once. Everything a plugin needs lives in [`prelude`]. The WIT
//! interface the bindings come from is `plugin-sdk/wit/extractor.wit`. See the README for
//! the author's guide.
//!
//! Without the default `guest` feature only [`pattern`] is compiled: the server uses it, so
//! plugins and host agree on what a URL pattern matches.

pub mod pattern;

#[cfg(feature = "guest")]
mod guest;
#[cfg(feature = "guest")]
pub use guest::*;
