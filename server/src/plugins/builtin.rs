//! The default plugins carried inside the binary (built by `server/build.rs`).

include!(concat!(env!("OUT_DIR"), "/builtin_plugins.rs"));
