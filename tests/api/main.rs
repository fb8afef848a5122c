//! End-to-end tests of the real server over HTTP, each run against SQLite and PostgreSQL.

#[path = "../support/egress_scenarios.rs"]
mod egress_scenarios;
mod helpers;
#[path = "../support/media_server.rs"]
mod media_server;
mod receiver;
#[path = "../support/ytdlp_wheels.rs"]
mod ytdlp_wheels;

mod admin;
mod album_files;
mod albums;
mod auth;
mod downloads;
mod egress;
mod history_cache;
mod limits;
mod media;
mod metrics;
mod playlists;
mod plugins;
mod rescans;
mod resilience;
mod security;
mod system;
mod tools;
mod trust;
mod typed_core;
mod webhooks;
