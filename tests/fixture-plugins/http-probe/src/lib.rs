//! Test fixture (SEC-22): `http-get`s exactly the URL it is asked to resolve, although it
//! only declares `127.0.0.1`. The body becomes the title.

use nas_music_plugin_sdk::prelude::*;

struct HttpProbe;

impl Extractor for HttpProbe {
    const NAME: &'static str = "fixture-http-probe";
    const PATTERNS: &'static [&'static str] = &["127.0.0.1/*", "localhost/*"];
    const HOSTS: &'static [&'static str] = &["127.0.0.1"];

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        let body = http_get_text(url.as_str())?;
        let mut meta = metadata();
        meta.title = Some(body);
        Ok(single(meta, direct("http://127.0.0.1/probe.mp3")))
    }
}

register_plugin!(HttpProbe);
