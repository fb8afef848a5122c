//! NAS Music Downloader: the library behind the `nas-music-downloader` binary.
//!
//! `run` wires the layers together: configuration → store → plugin registry → job workers →
//! the poem-openapi HTTP API, all under one shutdown signal.

pub mod api;
pub mod auth;
pub mod config;
pub mod jobs;
pub mod plugins;
pub mod store;
pub mod telemetry;
