//! Test fixture (SEC-20): `resolve()` panics; the message must reach the host.

use nas_music_plugin_sdk::prelude::*;

struct Panicker;

impl Extractor for Panicker {
    const NAME: &'static str = "fixture-panicker";
    const PATTERNS: &'static [&'static str] = &["panic.fixture.test/*"];

    fn resolve(_url: &Url) -> Result<Resolution, ResolveError> {
        panic!("fixture panicked on purpose");
    }
}

register_plugin!(Panicker);
