//! Playlists as extended M3U (`.m3u8`, UTF-8): what Navidrome and Jellyfin import as a
//! playlist. Rendering is pure; writing replaces `<sanitized title>.m3u8` atomically, inside
//! the folder held open without following symlinks (SEC-43), so a playlist downloaded again
//! rewrites its file and a reader never sees half of it. A file that already holds exactly
//! the new text is not written again: a library scanner sees no change, and a playlist
//! downloaded again with nothing new makes no temp file, not even for a moment.
//!
//! Paths are relative to the playlist's folder and use `/`. A line that could be misread is
//! made safe: text from the site (artist, title) has its control characters and line breaks
//! turned into spaces, a path that would start with `#` (a comment in M3U) gets `./` in
//! front, and an entry whose path holds a line break, or that cannot be expressed relative
//! to the folder, is left out (and logged).

use std::ffi::OsStr;
use std::io::{self, Read};
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use super::beneath;
use super::output_path::{MAX_COMPONENT_BYTES, sanitize_component};

/// The playlist file's extension.
pub const PLAYLIST_EXTENSION: &str = "m3u8";

/// One track of a playlist.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlaylistEntry {
    /// The track's file; absolute, or relative to the same base as the playlist folder.
    pub path: PathBuf,
    pub artist: Option<String>,
    pub title: Option<String>,
    pub duration_seconds: Option<f64>,
}

/// Renders the playlist for a file in `playlist_dir`.
pub fn render_m3u(playlist_dir: &Path, entries: &[PlaylistEntry]) -> String {
    let mut out = String::from("#EXTM3U\n");
    for entry in entries {
        let Some(relative) = relative_path(playlist_dir, &entry.path) else {
            tracing::warn!(path = %entry.path.display(), "track left out of the playlist: no relative path to it");
            continue;
        };
        if relative.contains(['\n', '\r']) {
            tracing::warn!(path = %entry.path.display(), "track left out of the playlist: its path holds a line break");
            continue;
        }
        let seconds = entry
            .duration_seconds
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map_or(-1, |s| s.round() as i64);
        let fallback_name = entry
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let title = one_line(entry.title.as_deref())
            .unwrap_or_else(|| one_line(Some(fallback_name.as_str())).unwrap_or_default());
        let display = match one_line(entry.artist.as_deref()) {
            Some(artist) => format!("{artist} - {title}"),
            None => title,
        };
        out.push_str(&format!("#EXTINF:{seconds},{display}\n"));
        if relative.starts_with('#') {
            out.push_str("./");
        }
        out.push_str(&relative);
        out.push('\n');
    }
    out
}

/// Writes `<sanitized playlist title>.m3u8` into the folder `relative_folder` beneath
/// `root`, creating the folder if needed, replacing an earlier version atomically unless
/// that version is a regular file with the same text. Returns the file's path.
///
/// Everything happens inside the folder held open ([`beneath`]): the walk to it, the
/// comparison, the temporary file and the rename follow no symlink (SEC-43), so a folder on
/// the way swapped for a symlink between two steps is refused, never written through.
pub fn write_m3u(
    root: &Path,
    relative_folder: &Path,
    playlist_title: &str,
    entries: &[PlaylistEntry],
) -> io::Result<PathBuf> {
    let suffix = format!(".{PLAYLIST_EXTENSION}");
    let stem = sanitize_component(
        playlist_title,
        "Playlist",
        MAX_COMPONENT_BYTES - suffix.len(),
    );
    let name = format!("{stem}{suffix}");
    let playlist_dir = root.join(relative_folder);
    let text = render_m3u(&playlist_dir, entries);
    let folder = beneath::open_folder(root, relative_folder, true)?;
    if !already_holds(&folder, OsStr::new(&name), &text) {
        let name = OsStr::new(&name);
        beneath::write_in(&folder, name, text.as_bytes(), beneath::IfTaken::Replace)?;
    }
    Ok(playlist_dir.join(name))
}

/// Whether `name` in `folder` is a regular file holding exactly `text` (anything else is
/// never opened: see [`beneath::open_regular_in`]). At most one byte more than `text` is read.
fn already_holds(folder: &OwnedFd, name: &OsStr, text: &str) -> bool {
    let Ok(opened) = beneath::open_regular_in(folder, name) else {
        return false;
    };
    let mut held = Vec::with_capacity(text.len() + 1);
    opened
        .file
        .take(text.len() as u64 + 1)
        .read_to_end(&mut held)
        .is_ok_and(|_| held == text.as_bytes())
}

/// Control characters (line breaks included) become spaces, runs of spaces collapse;
/// `None` when nothing is left.
fn one_line(text: Option<&str>) -> Option<String> {
    let mut out = String::new();
    for word in text?
        .split(|c: char| c.is_control() || c.is_whitespace())
        .filter(|w| !w.is_empty())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    (!out.is_empty()).then_some(out)
}

/// `target` relative to `base`, lexically, joined with `/`. Both must be absolute or both
/// relative; `.` and `..` in either are not resolved (callers pass clean paths).
fn relative_path(base: &Path, target: &Path) -> Option<String> {
    if base.is_absolute() != target.is_absolute() {
        return None;
    }
    let plain = |p: &Path| -> Option<Vec<String>> {
        p.components()
            .filter(|c| !matches!(c, Component::RootDir | Component::CurDir))
            .map(|c| match c {
                Component::Normal(s) => s.to_str().map(str::to_string),
                _ => None,
            })
            .collect()
    };
    let base = plain(base)?;
    let target = plain(target)?;
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    if common == target.len() {
        return None; // the folder itself, or one of its parents: not a track
    }
    let mut parts: Vec<&str> = vec![".."; base.len() - common];
    parts.extend(target[common..].iter().map(String::as_str));
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(
        path: &str,
        artist: Option<&str>,
        title: Option<&str>,
        secs: Option<f64>,
    ) -> PlaylistEntry {
        PlaylistEntry {
            path: PathBuf::from(path),
            artist: artist.map(str::to_string),
            title: title.map(str::to_string),
            duration_seconds: secs,
        }
    }

    #[test]
    fn tracks_are_listed_with_their_length_and_paths_relative_to_the_playlist() {
        let text = render_m3u(
            Path::new("/music/Playlists"),
            &[
                entry(
                    "/music/Artist/Album (2020)/01 - One.opus",
                    Some("Artist"),
                    Some("One"),
                    Some(241.6),
                ),
                entry("/music/Playlists/Two.mp3", None, Some("Two"), None),
                entry("/music/Other/Three.m4a", Some("Ärtist"), None, Some(3.0)),
            ],
        );
        assert_eq!(
            text,
            "#EXTM3U\n\
             #EXTINF:242,Artist - One\n../Artist/Album (2020)/01 - One.opus\n\
             #EXTINF:-1,Two\nTwo.mp3\n\
             #EXTINF:3,Ärtist - Three\n../Other/Three.m4a\n"
        );
    }

    #[test]
    fn line_breaks_and_control_characters_in_titles_cannot_add_lines() {
        let text = render_m3u(
            Path::new("/music"),
            &[entry(
                "/music/a.mp3",
                Some("Evil\nArtist"),
                Some("Title\r\n#EXTINF:1,fake\n/etc/passwd\u{0}\u{7}"),
                Some(10.0),
            )],
        );
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "#EXTM3U",
                "#EXTINF:10,Evil Artist - Title #EXTINF:1,fake /etc/passwd",
                "a.mp3"
            ]
        );
    }

    #[test]
    fn a_path_that_would_read_as_a_comment_or_break_a_line_is_made_safe_or_left_out() {
        let text = render_m3u(
            Path::new("/music/list"),
            &[
                entry("/music/list/#1 Hit.mp3", None, Some("#1 Hit"), Some(1.0)),
                entry("/music/list/bad\nname.mp3", None, Some("bad"), Some(1.0)),
                entry("relative/x.mp3", None, None, None),
                entry("/music", None, Some("the root"), None),
            ],
        );
        assert_eq!(text, "#EXTM3U\n#EXTINF:1,#1 Hit\n./#1 Hit.mp3\n");
    }

    #[test]
    fn hostile_playlist_titles_make_one_file_in_the_folder() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("lists");
        std::fs::create_dir(&dir).unwrap();
        let tracks = [entry(
            root.path().join("A/b.mp3").to_str().unwrap(),
            Some("A"),
            Some("b"),
            Some(5.0),
        )];
        for title in [
            "../../etc/evil",
            "..",
            "a/b\\c",
            "line\nbreak\u{0}",
            "",
            ".hidden",
            "CON",
        ] {
            let path = write_m3u(root.path(), Path::new("lists"), title, &tracks).unwrap();
            assert_eq!(path.parent(), Some(dir.as_path()), "{title:?}");
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(
                name.ends_with(".m3u8") && !name.starts_with('.'),
                "{title:?} → {name}"
            );
            assert!(
                !name.contains(['/', '\\', '\n', '\0']),
                "{title:?} → {name}"
            );
            assert_eq!(
                std::fs::read_to_string(&path).unwrap(),
                "#EXTM3U\n#EXTINF:5,A - b\n../A/b.mp3\n"
            );
        }
        assert!(!root.path().join("etc").exists());
        let names: Vec<String> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        assert!(
            names.iter().all(|n| n.ends_with(".m3u8")),
            "no temp files left: {names:?}"
        );
    }

    /// `<dir>/<n>.mp3`, titled `n`, with no artist or length.
    fn numbered_track(dir: &Path, n: u32) -> PlaylistEntry {
        entry(
            dir.join(format!("{n}.mp3")).to_str().unwrap(),
            None,
            Some(&n.to_string()),
            None,
        )
    }

    #[test]
    fn downloading_a_playlist_again_rewrites_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let one = [numbered_track(dir.path(), 1)];
        let two = [one[0].clone(), numbered_track(dir.path(), 2)];
        let first = write_m3u(dir.path(), Path::new(""), "Mix: Best of", &one).unwrap();
        let second = write_m3u(dir.path(), Path::new(""), "Mix: Best of", &two).unwrap();
        assert_eq!(first, second);
        assert_eq!(first.file_name().unwrap(), "Mix_ Best of.m3u8");
        assert_eq!(
            std::fs::read_to_string(&second).unwrap(),
            "#EXTM3U\n#EXTINF:-1,1\n1.mp3\n#EXTINF:-1,2\n2.mp3\n"
        );
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn the_same_playlist_again_leaves_its_file_untouched() {
        use std::os::unix::fs::MetadataExt;
        let dir = tempfile::tempdir().unwrap();
        let tracks = [numbered_track(dir.path(), 1)];
        let path = write_m3u(dir.path(), Path::new(""), "Mix", &tracks).unwrap();
        let before = std::fs::metadata(&path).unwrap();
        write_m3u(dir.path(), Path::new(""), "Mix", &tracks).unwrap();
        let after = std::fs::metadata(&path).unwrap();
        assert_eq!(
            (after.ino(), after.modified().unwrap()),
            (before.ino(), before.modified().unwrap()),
            "the same text is not written again"
        );
        // A longer or shorter file with the same beginning is not "the same".
        let text = std::fs::read_to_string(&path).unwrap();
        for other in [format!("{text}extra\n"), text[..text.len() - 1].to_owned()] {
            std::fs::write(&path, &other).unwrap();
            write_m3u(dir.path(), Path::new(""), "Mix", &tracks).unwrap();
            assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
        }
    }

    #[test]
    fn a_symlink_or_fifo_in_the_playlists_place_is_replaced_not_read_sec_43() {
        let dir = tempfile::tempdir().unwrap();
        let tracks = [numbered_track(dir.path(), 1)];
        // A symlink to a file that holds exactly the playlist's text.
        let elsewhere = tempfile::tempdir().unwrap();
        let outside = elsewhere.path().join("same.m3u8");
        std::fs::write(&outside, render_m3u(dir.path(), &tracks)).unwrap();
        std::os::unix::fs::symlink(&outside, dir.path().join("Mix.m3u8")).unwrap();
        let path = write_m3u(dir.path(), Path::new(""), "Mix", &tracks).unwrap();
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
        // A FIFO would block a plain open for reading.
        nix::unistd::mkfifo(&dir.path().join("Fifo.m3u8"), nix::sys::stat::Mode::S_IRWXU).unwrap();
        let path = write_m3u(dir.path(), Path::new(""), "Fifo", &tracks).unwrap();
        assert!(std::fs::symlink_metadata(&path).unwrap().is_file());
        assert_eq!(
            std::fs::read_to_string(&outside).unwrap(),
            render_m3u(dir.path(), &tracks),
            "the symlink's target is left as it was"
        );
    }

    #[test]
    fn a_symlink_on_the_way_to_the_playlists_folder_is_refused_sec_43() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), root.path().join("Lists")).unwrap();
        let tracks = [numbered_track(root.path(), 1)];
        for folder in ["Lists", "Lists/Mine"] {
            let err = write_m3u(root.path(), Path::new(folder), "Mix", &tracks).unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::PermissionDenied, "{folder}");
        }
        assert_eq!(std::fs::read_dir(elsewhere.path()).unwrap().count(), 0);
        // A missing folder is created, and holds the playlist and nothing else.
        let path = write_m3u(root.path(), Path::new("New/Lists"), "Mix", &tracks).unwrap();
        assert_eq!(path, root.path().join("New/Lists/Mix.m3u8"));
        // Readable by the household's other programs (a media server running as another
        // user) as far as the umask allows, like any file written plainly; not 0600.
        use std::os::unix::fs::PermissionsExt;
        let plain = root.path().join("plain");
        std::fs::write(&plain, "x").unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&path), mode(&plain) & 0o644);
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "#EXTM3U\n#EXTINF:-1,1\n../../1.mp3\n"
        );
        assert_eq!(
            std::fs::read_dir(root.path().join("New/Lists"))
                .unwrap()
                .count(),
            1
        );
    }
}
