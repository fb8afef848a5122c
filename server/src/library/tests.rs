use super::*;
use crate::jobs::album_tags::{Precedence, write_track_tags};
use crate::jobs::test_media::{make_audio, tool};
use std::sync::Arc;

fn tags(artist: &str, title: &str, url: Option<&str>) -> TrackTags {
    TrackTags {
        artist: Some(artist.into()),
        title: Some(title.into()),
        source_url: url.map(str::to_string),
        ..TrackTags::default()
    }
}

fn touch(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, b"x").unwrap();
    path
}

#[test]
fn a_track_is_found_by_normalised_artist_and_title_within_two_seconds() {
    let dir = tempfile::tempdir().unwrap();
    let index = LibraryIndex::new();
    let path = touch(dir.path(), "song.mp3");
    index.insert(path.clone(), &tags("Beyoncé", "Halo", None), Some(261.0));

    let find = |a, t, d| index.find(Some(a), Some(t), d, None);
    assert_eq!(
        find("beyonce", "Halo (Official Video)", Some(262.9)),
        Some(path.clone())
    );
    assert_eq!(find("BEYONCÉ", "halo", Some(259.0)), Some(path.clone()));
    assert_eq!(
        find("Beyonce", "Halo", None),
        Some(path.clone()),
        "unknown length: name decides"
    );
    assert_eq!(
        find("Beyonce", "Halo", Some(263.5)),
        None,
        "2.5 s apart: another recording"
    );
    assert_eq!(find("Beyonce", "Halo", Some(200.0)), None);
    assert_eq!(find("Beyonce", "Halo (Live)", Some(261.0)), None);
    assert_eq!(find("Someone Else", "Halo", Some(261.0)), None);
    assert_eq!(
        index.find(None, Some("Halo"), Some(261.0), None),
        None,
        "no artist: URL only"
    );
}

#[test]
fn a_track_is_found_by_its_source_url_whatever_its_name() {
    let dir = tempfile::tempdir().unwrap();
    let index = LibraryIndex::new();
    let path = touch(dir.path(), "a.opus");
    let url = "https://www.video.example/watch?v=abc";
    index.insert(path.clone(), &tags("X", "Y", Some(url)), Some(100.0));

    assert_eq!(index.find(None, None, None, Some(url)), Some(path.clone()));
    assert_eq!(
        index.find(
            Some("Other"),
            Some("Name"),
            Some(5.0),
            Some("http://m.VIDEO.example/watch?v=abc#t=10")
        ),
        Some(path.clone())
    );
    assert_eq!(
        index.find(None, None, None, Some("https://video.example/watch?v=abd")),
        None
    );
}

#[test]
fn a_reinserted_or_removed_or_deleted_file_is_not_found_under_its_old_name() {
    let dir = tempfile::tempdir().unwrap();
    let index = LibraryIndex::new();
    let path = touch(dir.path(), "a.mp3");
    index.insert(path.clone(), &tags("A", "Old", None), None);
    index.insert(path.clone(), &tags("A", "New", None), None);
    assert_eq!(index.len(), 1);
    assert_eq!(index.find(Some("A"), Some("Old"), None, None), None);
    assert_eq!(
        index.find(Some("A"), Some("New"), None, None),
        Some(path.clone())
    );

    index.remove(&path);
    assert_eq!(index.find(Some("A"), Some("New"), None, None), None);

    index.insert(path.clone(), &tags("A", "New", None), None);
    std::fs::remove_file(&path).unwrap();
    assert_eq!(index.find(Some("A"), Some("New"), None, None), None);
    assert!(index.is_empty(), "a file found gone is dropped");
}

#[tokio::test]
async fn a_scan_indexes_tagged_files_in_nested_folders_and_skips_incomplete_and_symlinks() {
    let Some(ffmpeg) = tool("ffmpeg") else { return };
    let root = tempfile::tempdir().unwrap();
    let root_path = root.path().to_path_buf();
    let nested = root_path.join("Album Artist/Album (2020)");
    std::fs::create_dir_all(&nested).unwrap();
    // Downloaded by us: tags written by album_tags, with the source URL.
    let ours = make_audio(&ffmpeg, &nested, "01 - Opening", "opus", 4, &[]);
    write_track_tags(
        &ours,
        &TrackTags {
            source_url: Some("https://band.example/track/opening".into()),
            ..tags("Album Artist", "Opening", None)
        },
        None,
        Precedence::PreferGiven,
    )
    .unwrap();
    // Copied in by hand: only the tags ffmpeg wrote, a name that says nothing.
    let by_hand = make_audio(
        &ffmpeg,
        &root_path,
        "track07",
        "mp3",
        3,
        &[("artist", "Hand Artist"), ("title", "Hand Song")],
    );
    // Partial downloads, hidden folders and symlinks are not the library.
    let incomplete = root_path.join(".incomplete/job-1");
    std::fs::create_dir_all(&incomplete).unwrap();
    make_audio(
        &ffmpeg,
        &incomplete,
        "download",
        "mp3",
        1,
        &[("artist", "Partial"), ("title", "Partial")],
    );
    let outside = tempfile::tempdir().unwrap();
    let linked = make_audio(
        &ffmpeg,
        outside.path(),
        "linked",
        "mp3",
        1,
        &[("artist", "Linked"), ("title", "Linked")],
    );
    std::os::unix::fs::symlink(&linked, root_path.join("linked.mp3")).unwrap();
    std::os::unix::fs::symlink(outside.path(), root_path.join("linked-folder")).unwrap();
    std::fs::write(root_path.join("notes.txt"), b"not audio").unwrap();
    std::fs::write(root_path.join("broken.mp3"), b"not audio either").unwrap();

    let index = Arc::new(LibraryIndex::new());
    let report = index
        .clone()
        .scan(root_path.clone(), ScanLimits::default())
        .await;
    assert_eq!(
        report,
        ScanReport {
            indexed: 2,
            unreadable: 1,
            removed: 0,
            truncated: false
        }
    );

    assert_eq!(
        index.find(Some("Hand Artist"), Some("Hand Song"), Some(3.0), None),
        Some(by_hand.clone())
    );
    assert_eq!(
        index.find(Some("hand artist"), Some("hand song"), Some(6.0), None),
        None
    );
    assert_eq!(
        index.find(Some("Album Artist"), Some("Opening"), Some(5.5), None),
        Some(ours.clone())
    );
    assert_eq!(
        index.find(None, None, None, Some("https://band.example/track/opening")),
        Some(ours.clone())
    );
    assert_eq!(
        index.find(Some("Partial"), Some("Partial"), None, None),
        None
    );
    assert_eq!(index.find(Some("Linked"), Some("Linked"), None, None), None);

    // A rescan forgets a deleted file and keeps the rest.
    std::fs::remove_file(&by_hand).unwrap();
    let report = index
        .clone()
        .scan(root_path.clone(), ScanLimits::default())
        .await;
    assert_eq!(report.indexed, 1);
    assert_eq!(report.removed, 1);
    assert_eq!(index.len(), 1);
}

#[test]
fn a_scan_stops_at_its_bounds() {
    let root = tempfile::tempdir().unwrap();
    let deep = root.path().join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();
    for i in 0..3 {
        touch(root.path(), &format!("{i}.mp3"));
    }
    let index = LibraryIndex::new();
    let report = index.scan_blocking(
        root.path(),
        ScanLimits {
            max_files: 2,
            max_depth: 24,
        },
    );
    assert!(report.truncated);
    assert_eq!(
        report.unreadable, 2,
        "two files read, the third not reached"
    );
    let report = index.scan_blocking(
        root.path(),
        ScanLimits {
            max_files: 10,
            max_depth: 1,
        },
    );
    assert!(report.truncated, "a/b is deeper than 1");
}
