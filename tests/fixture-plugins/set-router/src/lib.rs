//! Test fixture (issue 10): a site plugin for sets, as the YouTube, SoundCloud and Bandcamp
//! plugins are, without reading any page. `http://127.0.0.1:<port>/album/<name>` is an album
//! named by the plugin (the host lists the URL with yt-dlp, which reads it as a feed); its
//! cover is `/cover.jpg` on the same server.

use nas_music_plugin_sdk::prelude::*;

struct SetRouter;

/// The names the plugin gives the album: they win over the listing's.
pub const ALBUM: &str = "Fixture Set Album";
pub const ALBUM_ARTIST: &str = "Fixture Band";

impl Extractor for SetRouter {
    const NAME: &'static str = "fixture-set-router";
    const DESCRIPTION: &'static str = "Test fixture: album URLs go to host expansion";
    const PATTERNS: &'static [&'static str] = &["127.0.0.1/album/*"];
    const PRIORITY: i32 = 100;

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        let mut meta = metadata();
        meta.album = Some(ALBUM.into());
        meta.album_artist = Some(ALBUM_ARTIST.into());
        meta.cover_url = url.join("/cover.jpg").ok().map(|u| u.to_string());
        Ok(expand_set(
            ResolutionKind::Album,
            meta,
            url.as_str(),
            &["--format", "bestaudio/best", "--extract-audio"],
        ))
    }
}

register_plugin!(SetRouter);
