//! Each default plugin routes and resolves its URL shapes (offline is fine).

use super::*;
use crate::plugins::{FetchAction, PluginSource, ResolutionKind};

#[tokio::test]
async fn every_default_plugin_is_built_in_and_listed() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let list = registry.list();
    let names: Vec<&str> = list.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "bandcamp",
            "direct-media",
            "generic",
            "soundcloud",
            "youtube"
        ]
    );
    for plugin in &list {
        assert_eq!(plugin.source, PluginSource::BuiltIn);
        assert!(plugin.enabled);
        assert_eq!(plugin.sha256.len(), 64);
        assert_eq!(plugin.interface_version, "0.3.0");
    }
}

#[tokio::test]
async fn urls_route_to_the_highest_priority_matching_plugin() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let cases = [
        ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube"),
        ("https://music.youtube.com/watch?v=dQw4w9WgXcQ", "youtube"),
        ("https://youtu.be/dQw4w9WgXcQ", "youtube"),
        ("https://www.youtube.com/shorts/dQw4w9WgXcQ", "youtube"),
        (
            "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
            "youtube",
        ),
        ("https://soundcloud.com/artist/track-name", "soundcloud"),
        ("https://soundcloud.com/artist/sets/an-ep", "soundcloud"),
        ("https://artist.bandcamp.com/track/a-song", "bandcamp"),
        ("https://artist.bandcamp.com/album/an-album", "bandcamp"),
        ("https://cdn.example.org/a/song.flac", "direct-media"),
        ("https://vimeo.com/12345", "generic"),
    ];
    for (raw, expected) in cases {
        assert_eq!(
            registry.route(&url(raw)).as_deref(),
            Some(expected),
            "{raw}"
        );
    }
}

#[tokio::test]
async fn every_url_shape_resolves_to_a_valid_action() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let cases = [
        (
            "youtube",
            "https://youtu.be/dQw4w9WgXcQ",
            ResolutionKind::Single,
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ",
        ),
        (
            "youtube",
            "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
            ResolutionKind::Playlist,
            "https://www.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG",
        ),
        (
            "soundcloud",
            "https://soundcloud.com/artist/track-name",
            ResolutionKind::Single,
            "https://soundcloud.com/artist/track-name",
        ),
        (
            "soundcloud",
            "https://soundcloud.com/artist/sets/an-ep",
            ResolutionKind::Playlist,
            "https://soundcloud.com/artist/sets/an-ep",
        ),
        (
            "bandcamp",
            "https://artist.bandcamp.com/album/an-album",
            ResolutionKind::Album,
            "https://artist.bandcamp.com/album/an-album",
        ),
        (
            "generic",
            "https://vimeo.com/12345",
            ResolutionKind::Single,
            "https://vimeo.com/12345",
        ),
    ];
    for (plugin, raw, kind, target) in cases {
        let resolution = registry
            .resolve(plugin, raw)
            .await
            .unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        assert_eq!(resolution.kind, kind, "{raw}");
        // Sets (playlists, albums) are listed by the host; single tracks go to yt-dlp.
        match (&resolution.entries[0].action, kind) {
            (FetchAction::YtDlp { url, options }, ResolutionKind::Single)
            | (
                FetchAction::ExpandYtDlp { url, options },
                ResolutionKind::Playlist | ResolutionKind::Album,
            ) => {
                assert_eq!(url, target);
                assert!(
                    options.iter().any(|o| o == "--extract-audio"),
                    "{options:?}"
                );
                assert!(
                    !options.iter().any(|o| o == "--yes-playlist"),
                    "{options:?}"
                );
            }
            (other, _) => panic!("{raw}: expected yt-dlp for {kind:?}, got {other:?}"),
        }
    }
    let direct = registry
        .resolve("direct-media", "https://cdn.example.org/My%20Song.mp3")
        .await
        .unwrap();
    assert_eq!(direct.metadata.title.as_deref(), Some("My Song"));
    assert!(
        matches!(&direct.entries[0].action, FetchAction::Direct { url } if url.ends_with("My%20Song.mp3"))
    );
}

#[tokio::test]
async fn plugin_errors_are_typed_and_unknown_plugins_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let err = registry
        .resolve("youtube", "https://www.youtube.com/watch?v=bad")
        .await
        .unwrap_err();
    assert!(
        matches!(err, crate::plugins::PluginCallError::NotFound(_)),
        "{err:?}"
    );
    let err = registry
        .resolve("nope", "https://a.org/")
        .await
        .unwrap_err();
    assert_eq!(err, crate::plugins::PluginCallError::UnknownPlugin);
}
