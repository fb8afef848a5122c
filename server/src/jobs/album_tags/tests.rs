//! Real files from ffmpeg, tags written here, read back with lofty and with ffprobe.

use super::*;
use crate::jobs::test_media::{Probed, ffprobe, make_audio, test_image, tool};
use image::ImageFormat;

const FORMATS: [&str; 5] = ["mp3", "m4a", "opus", "ogg", "flac"];

fn full_tags() -> TrackTags {
    TrackTags {
        title: Some("Ünïcode Song".into()),
        artist: Some("Track Artist".into()),
        album: Some("The Album".into()),
        album_artist: Some("Album Artist".into()),
        track: Some(3),
        track_total: Some(12),
        disc: Some(2),
        year: Some(2021),
        genre: Some("Jazz".into()),
        source_url: Some("https://music.example/track/3?x=1".into()),
    }
}

struct Tools {
    ffmpeg: std::path::PathBuf,
    ffprobe: std::path::PathBuf,
}

fn tools() -> Option<Tools> {
    Some(Tools {
        ffmpeg: tool("ffmpeg")?,
        ffprobe: tool("ffprobe")?,
    })
}

/// ffprobe's track (or disc) number and total: "3/12", or "3" plus a total field.
fn probed_number(p: &Probed, keys: &[&str], total_keys: &[&str]) -> (String, Option<String>) {
    let raw = p
        .tag(keys)
        .unwrap_or_else(|| panic!("no {keys:?} in {}", p.raw));
    match raw.split_once('/') {
        Some((n, total)) => (n.to_string(), Some(total.to_string())),
        None => (raw.to_string(), p.tag(total_keys).map(str::to_string)),
    }
}

#[test]
fn every_field_and_a_square_cover_are_written_into_each_format_and_read_back_by_two_readers() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cover = CoverArt::from_image_bytes(&test_image(320, 200, ImageFormat::Png)).unwrap();
    let given = full_tags();
    for ext in FORMATS {
        let path = make_audio(&tools.ffmpeg, dir.path(), "track", ext, 2, &[]);
        write_track_tags(&path, &given, Some(&cover), Precedence::PreferGiven)
            .unwrap_or_else(|e| panic!("{ext}: {e:?}"));

        let back = read_track_tags(&path, CoverRead::Load).unwrap();
        assert_eq!(back.tags, given, "{ext}: lofty reads back what was written");
        assert!(
            back.front_cover.as_deref() == Some(cover.jpeg()),
            "{ext}: front cover differs"
        );
        let secs = back.duration_seconds.unwrap();
        assert!((secs - 2.0).abs() < 0.2, "{ext}: duration {secs}");

        let p = ffprobe(&tools.ffprobe, &path);
        let ctx = format!("{ext}: {}", p.raw);
        assert_eq!(p.tag(&["title"]), Some("Ünïcode Song"), "{ctx}");
        assert_eq!(p.tag(&["artist"]), Some("Track Artist"), "{ctx}");
        assert_eq!(p.tag(&["album"]), Some("The Album"), "{ctx}");
        assert_eq!(
            p.tag(&["album_artist", "albumartist"]),
            Some("Album Artist"),
            "{ctx}"
        );
        assert_eq!(p.tag(&["genre"]), Some("Jazz"), "{ctx}");
        assert_eq!(
            p.tag(&["date", "year"]).map(|d| &d[..4]),
            Some("2021"),
            "{ctx}"
        );
        assert_eq!(
            probed_number(&p, &["track"], &["tracktotal", "totaltracks"]),
            ("3".into(), Some("12".into())),
            "{ctx}"
        );
        assert_eq!(
            probed_number(&p, &["disc", "discnumber"], &["disctotal"]).0,
            "2",
            "{ctx}"
        );
        if ext == "mp3" {
            // ffmpeg does not read ID3v2 URL frames: mutagen (in the same tool folder) does.
            if let Some(mutagen) = tool("mutagen-inspect") {
                let out = std::process::Command::new(mutagen)
                    .arg(&path)
                    .output()
                    .unwrap();
                let text = String::from_utf8_lossy(&out.stdout);
                assert!(
                    text.lines()
                        .any(|l| l == "WOAS=https://music.example/track/3?x=1"),
                    "{text}"
                );
            }
        } else {
            assert_eq!(
                p.tag(&[SOURCE_URL_FIELD]),
                Some("https://music.example/track/3?x=1"),
                "{ctx}"
            );
        }
        assert_eq!(p.pictures, vec![(200, 200)], "{ctx}: one square cover");
    }
}

#[test]
fn given_values_win_by_default_and_the_files_other_tags_stay() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    for ext in FORMATS {
        let path = make_audio(
            &tools.ffmpeg,
            dir.path(),
            "old",
            ext,
            1,
            &[
                ("title", "Probe Episode 42"),
                ("artist", "Old Artist"),
                ("genre", "Podcast"),
                ("comment", "keep this comment"),
            ],
        );
        let given = TrackTags {
            title: Some("Real Title".into()),
            artist: Some("  ".into()), // blank: not a value, the file's stays
            track: Some(1),
            ..TrackTags::default()
        };
        write_track_tags(&path, &given, None, Precedence::PreferGiven).unwrap();
        let back = read_track_tags(&path, CoverRead::Skip).unwrap().tags;
        assert_eq!(back.title.as_deref(), Some("Real Title"), "{ext}");
        assert_eq!(back.artist.as_deref(), Some("Old Artist"), "{ext}");
        assert_eq!(back.genre.as_deref(), Some("Podcast"), "{ext}");
        assert_eq!(back.track, Some(1), "{ext}");
        let p = ffprobe(&tools.ffprobe, &path);
        assert_eq!(
            p.tag(&["comment", "description"]),
            Some("keep this comment"),
            "{ext}: {}",
            p.raw
        );
    }
}

#[test]
fn with_prefer_file_the_files_good_tags_and_cover_win_and_gaps_are_filled() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = CoverArt::from_image_bytes(&test_image(40, 40, ImageFormat::Png)).unwrap();
    let second = CoverArt::from_image_bytes(&test_image(60, 60, ImageFormat::Jpeg)).unwrap();
    for ext in FORMATS {
        let path = make_audio(
            &tools.ffmpeg,
            dir.path(),
            "direct",
            ext,
            1,
            &[("title", "Embedded Title"), ("artist", "Embedded Artist")],
        );
        write_track_tags(
            &path,
            &TrackTags::default(),
            Some(&first),
            Precedence::PreferFile,
        )
        .unwrap();
        let given = TrackTags {
            title: Some("Scraped Title".into()),
            album: Some("Scraped Album".into()),
            source_url: Some("https://new.example/a".into()),
            ..TrackTags::default()
        };
        write_track_tags(&path, &given, Some(&second), Precedence::PreferFile).unwrap();
        let back = read_track_tags(&path, CoverRead::Load).unwrap();
        assert_eq!(back.tags.title.as_deref(), Some("Embedded Title"), "{ext}");
        assert_eq!(
            back.tags.artist.as_deref(),
            Some("Embedded Artist"),
            "{ext}"
        );
        assert_eq!(back.tags.album.as_deref(), Some("Scraped Album"), "{ext}");
        assert_eq!(
            back.tags.source_url.as_deref(),
            Some("https://new.example/a"),
            "{ext}: the URL is provenance, the given one wins"
        );
        assert!(
            back.front_cover.as_deref() == Some(first.jpeg()),
            "{ext}: front cover differs"
        );
        let p = ffprobe(&tools.ffprobe, &path);
        assert_eq!(p.pictures, vec![(40, 40)], "{ext}: still one cover");
    }
}

#[test]
fn a_second_write_replaces_the_cover_and_numbers_instead_of_adding_more() {
    let Some(tools) = tools() else { return };
    let dir = tempfile::tempdir().unwrap();
    let first = CoverArt::from_image_bytes(&test_image(40, 30, ImageFormat::Png)).unwrap();
    let second = CoverArt::from_image_bytes(&test_image(50, 70, ImageFormat::WebP)).unwrap();
    for ext in FORMATS {
        let path = make_audio(&tools.ffmpeg, dir.path(), "again", ext, 1, &[]);
        write_track_tags(&path, &full_tags(), Some(&first), Precedence::PreferGiven).unwrap();
        let update = TrackTags {
            track: Some(4),
            source_url: Some("https://music.example/other".into()),
            ..TrackTags::default()
        };
        write_track_tags(&path, &update, Some(&second), Precedence::PreferGiven).unwrap();
        let back = read_track_tags(&path, CoverRead::Load).unwrap();
        let expected = TrackTags {
            track: Some(4),
            source_url: Some("https://music.example/other".into()),
            ..full_tags()
        };
        assert_eq!(back.tags, expected, "{ext}");
        assert!(
            back.front_cover.as_deref() == Some(second.jpeg()),
            "{ext}: front cover differs"
        );
        let p = ffprobe(&tools.ffprobe, &path);
        assert_eq!(p.pictures, vec![(50, 50)], "{ext}: {}", p.raw);
    }
}

#[test]
fn a_file_lofty_cannot_tag_is_an_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.mp3");
    std::fs::write(&path, b"this is not audio").unwrap();
    assert!(write_track_tags(&path, &full_tags(), None, Precedence::PreferGiven).is_err());
    assert!(read_track_tags(&path, CoverRead::Skip).is_err());
}
