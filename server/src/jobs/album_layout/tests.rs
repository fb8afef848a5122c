//! The album layout's rendering: missing parts, hostile values (SEC-5), fuzzed templates (SEC-35).

use super::*;
use crate::jobs::{output_path::is_plain_relative, test_input::TestInput};
use std::path::Path;

fn full() -> AlbumValues<'static> {
    AlbumValues {
        title: Some("Song"),
        artist: Some("Guest"),
        album: Some("Record"),
        album_artist: Some("Band"),
        year: Some(1999),
        track: Some(3),
        disc: Some(1),
        user: "alice",
    }
}

fn render(values: &AlbumValues<'_>) -> PathBuf {
    render_album_path(DEFAULT_ALBUM_OUTPUT_TEMPLATE, values, "mp3")
}

#[test]
fn the_default_layout_names_a_full_track() {
    assert_eq!(
        render(&full()),
        Path::new("Band/Record (1999)/03 - Song.mp3")
    );
}

#[test]
fn missing_parts_drop_cleanly() {
    let no_year = AlbumValues {
        year: None,
        ..full()
    };
    assert_eq!(render(&no_year), Path::new("Band/Record/03 - Song.mp3"));
    let no_track = AlbumValues {
        track: None,
        ..full()
    };
    assert_eq!(render(&no_track), Path::new("Band/Record (1999)/Song.mp3"));
    let bare = AlbumValues {
        title: None,
        artist: None,
        album: None,
        album_artist: None,
        year: None,
        track: None,
        disc: None,
        user: "alice",
    };
    assert_eq!(
        render(&bare),
        Path::new("Unknown Artist/Unknown Album/Untitled.mp3")
    );
    let no_album_artist = AlbumValues {
        album_artist: None,
        ..full()
    };
    assert_eq!(
        render(&no_album_artist),
        Path::new("Guest/Record (1999)/03 - Song.mp3")
    );
}

#[test]
fn other_layouts_drop_their_missing_parts_too() {
    let t =
        "{album_artist}/{album} [{year}]/Disc {disc}/{disc}-{track:03}. {artist} - {title}.{ext}";
    let v = AlbumValues {
        disc: None,
        year: None,
        ..full()
    };
    assert_eq!(
        render_album_path(t, &v, "opus"),
        Path::new("Band/Record/003. Guest - Song.opus")
    );
    let v = AlbumValues {
        artist: None,
        album_artist: None,
        ..full()
    };
    assert_eq!(
        render_album_path(
            "{album} - {year} - {title}.{ext}",
            &AlbumValues {
                year: None,
                ..full()
            },
            "mp3"
        ),
        Path::new("Record - Song.mp3")
    );
    assert_eq!(
        render_album_path(t, &v, "mp3"),
        Path::new("Unknown Artist/Record [1999]/Disc 1/1-003. Unknown Artist - Song.mp3")
    );
}

#[test]
fn brackets_in_values_are_kept() {
    let v = AlbumValues {
        title: Some("Song (Live)"),
        album: Some("()"),
        year: None,
        ..full()
    };
    assert_eq!(render(&v), Path::new("Band/()/03 - Song (Live).mp3"));
}

#[test]
fn templates_are_checked_at_start() {
    assert!(check_album_template(DEFAULT_ALBUM_OUTPUT_TEMPLATE).is_ok());
    assert!(check_album_template("{album}/{title}").is_err());
    assert!(check_album_template("{album}/{nope}.{ext}").is_err());
    assert!(check_album_template("{album}/{track:2}.{ext}").is_err());
    assert!(check_album_template("{album/{title}.{ext}").is_err());
}

#[test]
fn hostile_values_stay_inside_sec_5() {
    for hostile in [
        "../..",
        "/etc/passwd",
        "..\\x",
        "a\0b\nc",
        ".",
        "CON",
        "(",
        ")",
    ] {
        let v = AlbumValues {
            title: Some(hostile),
            artist: Some(hostile),
            album: Some(hostile),
            album_artist: Some(hostile),
            user: hostile,
            ..full()
        };
        let p = render_album_path(
            "/../{album_artist}/../{album} ({year})/{track:02} - {title}.{ext}",
            &v,
            "mp3",
        );
        assert!(is_plain_relative(&p), "{p:?}");
        for c in p.components() {
            let name = c.as_os_str().to_str().unwrap();
            assert!(!name.is_empty() && !name.starts_with('.'), "{p:?}");
            assert!(!name.contains(['/', '\\', '\0', '\n']), "{p:?}");
        }
    }
}

#[test]
fn fuzzed_templates_never_panic_sec_35() {
    let alphabet: Vec<char> = "{}:0123/\\ ()[]-._titlealbumyeartrackdisc é"
        .chars()
        .collect();
    let mut input = TestInput::new();
    for _ in 0..10_000 {
        let t = input.string(&alphabet, 80);
        let p = render_album_path(&t, &full(), "m4a");
        assert!(is_plain_relative(&p), "{t:?} → {p:?}");
        let _ = check_album_template(&t);
    }
}
