//! Test fixture (SEC-20): `resolve()` spins forever; the host's deadline must stop it.

use nas_music_plugin_sdk::prelude::*;

struct LoopForever;

impl Extractor for LoopForever {
    const NAME: &'static str = "fixture-loop-forever";
    const PATTERNS: &'static [&'static str] = &["loop.fixture.test/*"];

    fn resolve(_url: &Url) -> Result<Resolution, ResolveError> {
        let mut n = 0u64;
        loop {
            n = std::hint::black_box(n.wrapping_add(1));
        }
    }
}

register_plugin!(LoopForever);
