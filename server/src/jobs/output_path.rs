//! Final file names (SEC-5): renders the server's output template with sanitised values,
//! keeps every path inside `OUTPUT_DIRECTORY`, and moves the finished file there without
//! ever overwriting an existing one.

use super::beneath::{FileIdentity, place_no_replace};
pub use nas_music_checks::file_names::{sanitize_component, truncate_utf8};
use std::io;
use std::path::{Component, Path, PathBuf};

/// The longest file or folder name written, in bytes. Most filesystems allow 255; the margin
/// leaves room for " (12)" suffixes and for NAS filesystems that count differently.
pub const MAX_COMPONENT_BYTES: usize = 200;

/// Extensions a finished file may have: audio and the video containers yt-dlp may keep.
pub const ALLOWED_EXTENSIONS: &[&str] = &[
    "mp3", "m4a", "m4b", "aac", "alac", "flac", "ogg", "oga", "opus", "wav", "aif", "aiff", "wma",
    "weba", "webm", "mka", "mp4", "m4v", "mkv", "mov",
];

/// Values substituted into the template.
#[derive(Debug, Clone, Default)]
pub struct TemplateValues<'a> {
    pub title: Option<&'a str>,
    pub artist: Option<&'a str>,
    pub album: Option<&'a str>,
    pub user: &'a str,
}

/// True if `ext` (without a dot, any case) is on the allowlist.
pub fn extension_allowed(ext: &str) -> bool {
    ALLOWED_EXTENSIONS
        .iter()
        .any(|a| a.eq_ignore_ascii_case(ext))
}

/// Renders the template into a relative path, ending in `.{ext}`. Each substituted value is
/// sanitised before it is placed (so a title cannot add folders), and each rendered
/// component is sanitised again (so the template cannot escape either).
pub fn render_relative_path(template: &str, values: &TemplateValues<'_>, ext: &str) -> PathBuf {
    let ext = sanitize_component(ext, "bin", 16).to_ascii_lowercase();
    let field = |v: Option<&str>, fallback: &str| {
        sanitize_component(v.unwrap_or(""), fallback, MAX_COMPONENT_BYTES)
    };
    let title = field(values.title, "Untitled");
    let artist = field(values.artist, "Unknown Artist");
    let album = field(values.album, "Unknown Album");
    let user = field(Some(values.user), "unknown");

    let parts: Vec<&str> = template
        .split(['/', '\\'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    let (dirs, last) = match parts.split_last() {
        Some((last, dirs)) => (dirs, *last),
        None => (&[][..], "{title}.{ext}"),
    };
    let fill = |part: &str| {
        part.replace("{title}", &title)
            .replace("{artist}", &artist)
            .replace("{album}", &album)
            .replace("{user}", &user)
    };
    let mut path = PathBuf::new();
    for dir in dirs {
        path.push(sanitize_component(
            &fill(&dir.replace("{ext}", &ext)),
            "Unknown",
            MAX_COMPONENT_BYTES,
        ));
    }
    // The extension always comes from the file, so the stem is rendered without it and
    // truncated to leave room for ".ext".
    let stem_template = last
        .strip_suffix(".{ext}")
        .unwrap_or(last)
        .replace("{ext}", &ext);
    let stem_max = MAX_COMPONENT_BYTES - ext.len() - 1;
    let stem = sanitize_component(&fill(&stem_template), "Untitled", stem_max);
    path.push(format!("{stem}.{ext}"));
    path
}

/// True if `relative` is a plain relative path of normal components.
pub fn is_plain_relative(relative: &Path) -> bool {
    relative
        .components()
        .all(|c| matches!(c, Component::Normal(_)))
        && relative.components().next().is_some()
}

/// Moves a finished file to `relative` beneath `output_directory`, adding " (2)", " (3)", …
/// rather than overwriting anything (SEC-5), without following a symlink on the way
/// (SEC-43, `beneath.rs`). Returns the path used and the placed file's identity.
pub fn move_into_place(
    source: &Path,
    output_directory: &Path,
    relative: &Path,
) -> io::Result<(PathBuf, FileIdentity)> {
    if !is_plain_relative(relative) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "output path is not relative",
        ));
    }
    let ext = relative.extension().and_then(|e| e.to_str()).unwrap_or("");
    if !extension_allowed(ext) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "extension not allowed",
        ));
    }
    let parent = relative.parent().unwrap_or(Path::new(""));
    let stem = relative
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("Untitled");
    for n in 1..=999u32 {
        let name = if n == 1 {
            format!("{stem}.{ext}")
        } else {
            let suffix = format!(" ({n})");
            let mut s = stem.to_string();
            truncate_utf8(&mut s, MAX_COMPONENT_BYTES - ext.len() - 1 - suffix.len());
            format!("{s}{suffix}.{ext}")
        };
        let target = parent.join(&name);
        if let Some(identity) = place_no_replace(source, output_directory, &target)? {
            return Ok((target, identity));
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "too many files with this name",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::test_input::TestInput;

    fn values(title: &str, artist: &str) -> TemplateValues<'static> {
        TemplateValues {
            title: Some(Box::leak(title.to_string().into_boxed_str())),
            artist: Some(Box::leak(artist.to_string().into_boxed_str())),
            album: None,
            user: "alice",
        }
    }

    #[test]
    fn hostile_titles_stay_single_components_sec_5() {
        let t = crate::jobs::DEFAULT_OUTPUT_TEMPLATE;
        for (title, artist) in [
            ("../../x", "../.."),
            ("/etc/x", "/etc"),
            ("..\\x", "..\\.."),
            ("a\0b", "nul\0"),
            ("line\nbreak\r", "tab\there"),
            ("...", "."),
            (".hidden", "~"),
            ("CON", "lpt1"),
        ] {
            let p = render_relative_path(t, &values(title, artist), "mp3");
            assert!(is_plain_relative(&p), "{p:?}");
            assert_eq!(p.components().count(), 2, "{p:?}");
            let s = p.to_str().unwrap();
            assert!(!s.contains('\0') && !s.contains('\n'), "{s}");
            for c in p.components() {
                let name = c.as_os_str().to_str().unwrap();
                assert!(!name.starts_with('.'), "{name}");
                assert!(
                    !nas_music_checks::file_names::is_windows_reserved(name),
                    "{name}"
                );
            }
            assert!(s.ends_with(".mp3"));
        }
    }

    #[test]
    fn invisible_format_characters_are_dropped_from_names() {
        assert_eq!(
            sanitize_component("song\u{202E}3pm\u{200B}.mp3", "x", 200),
            "song3pm.mp3"
        );
        assert_eq!(
            sanitize_component("\u{FEFF}\u{2066}\u{00AD}", "Untitled", 200),
            "Untitled"
        );
        assert_eq!(sanitize_component("Björk – Jóga", "x", 200), "Björk – Jóga");
    }

    #[test]
    fn empty_values_get_readable_fallbacks() {
        let p = render_relative_path(
            "{artist}/{album}/{title}.{ext}",
            &TemplateValues::default(),
            "flac",
        );
        assert_eq!(
            p,
            PathBuf::from("Unknown Artist/Unknown Album/Untitled.flac")
        );
        let p = render_relative_path("{user}/{title}.{ext}", &values("  ", "x"), "mp3");
        assert_eq!(p, PathBuf::from("alice/Untitled.mp3"));
    }

    #[test]
    fn long_names_are_cut_on_character_boundaries_sec_5() {
        let title = "é".repeat(300); // 600 bytes
        let p = render_relative_path("{title}.{ext}", &values(&title, "a"), "opus");
        let name = p.to_str().unwrap();
        assert!(name.len() <= MAX_COMPONENT_BYTES, "{}", name.len());
        assert!(name.ends_with(".opus"));
        let artist = "x".repeat(300);
        let p = render_relative_path("{artist}/{title}.{ext}", &values("t", &artist), "mp3");
        assert!(
            p.components()
                .all(|c| c.as_os_str().len() <= MAX_COMPONENT_BYTES)
        );
    }

    #[test]
    fn a_hostile_template_cannot_escape_either() {
        let p = render_relative_path("/../{artist}/../../{title}.{ext}", &values("t", "a"), "mp3");
        assert!(is_plain_relative(&p), "{p:?}");
    }

    #[test]
    fn existing_files_are_never_overwritten_sec_5() {
        let out = tempfile::tempdir().unwrap();
        let mut used = Vec::new();
        for i in 0..3 {
            let src = out.path().join(format!("src{i}"));
            std::fs::write(&src, format!("content {i}")).unwrap();
            used.push(
                move_into_place(&src, out.path(), Path::new("A/Song.mp3"))
                    .unwrap()
                    .0,
            );
            assert!(!src.exists());
        }
        assert_eq!(
            used,
            ["A/Song.mp3", "A/Song (2).mp3", "A/Song (3).mp3"].map(PathBuf::from)
        );
        assert_eq!(
            std::fs::read_to_string(out.path().join("A/Song.mp3")).unwrap(),
            "content 0"
        );
    }

    #[test]
    fn symlinked_folders_leading_outside_are_refused_sec_5() {
        let out = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), out.path().join("Evil")).unwrap();
        let src = out.path().join("src");
        std::fs::write(&src, "x").unwrap();
        let err = move_into_place(&src, out.path(), Path::new("Evil/Song.mp3")).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(
            std::fs::read_dir(elsewhere.path())
                .unwrap()
                .next()
                .is_none()
        );
        let bad_ext = move_into_place(&src, out.path(), Path::new("A/Song.sh")).unwrap_err();
        assert_eq!(bad_ext.kind(), io::ErrorKind::InvalidInput);
        assert!(move_into_place(&src, out.path(), Path::new("../Song.mp3")).is_err());
    }

    #[test]
    fn fuzzed_values_never_panic_and_stay_inside_sec_35() {
        let alphabet: Vec<char> = "a./\\\0\n\r\t :*?\"<>|é漢🎵 CONlpt1.~-_".chars().collect();
        let mut input = TestInput::new();
        for _ in 0..20_000 {
            let s = input.string(&alphabet, 260);
            let cut = (input.next() as usize) % (s.len() + 1);
            let cut = (0..=cut)
                .rev()
                .find(|i| s.is_char_boundary(*i))
                .unwrap_or(0);
            let (a, b) = s.split_at(cut);
            let p = render_relative_path("{artist}/{album}/{title}.{ext}", &values(a, b), "m4a");
            assert!(is_plain_relative(&p), "{p:?}");
            for c in p.components() {
                let name = c.as_os_str().to_str().unwrap();
                assert!(!name.is_empty() && name.len() <= MAX_COMPONENT_BYTES);
                assert!(!name.starts_with('.') && !name.contains(['/', '\\', '\0']));
            }
            let _ = sanitize_component(&s, "x", (input.next() % 40) as usize);
        }
    }
}
