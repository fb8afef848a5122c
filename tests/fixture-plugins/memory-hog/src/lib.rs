//! Test fixture (SEC-20): `resolve()` allocates until the host's memory cap stops it.

use nas_music_plugin_sdk::prelude::*;

struct MemoryHog;

impl Extractor for MemoryHog {
    const NAME: &'static str = "fixture-memory-hog";
    const PATTERNS: &'static [&'static str] = &["hog.fixture.test/*"];

    fn resolve(_url: &Url) -> Result<Resolution, ResolveError> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            hoard.push(vec![1u8; 1 << 20]);
            std::hint::black_box(&hoard);
        }
    }
}

register_plugin!(MemoryHog);
