//! End-to-end tests of the real server over HTTP, each run against SQLite and PostgreSQL.

mod helpers;

mod admin;
mod auth;
mod security;
mod system;
