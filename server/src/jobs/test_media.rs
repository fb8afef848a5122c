//! Test support for the tag, cover and library tests: real audio files made by the project's
//! ffmpeg, test images, and ffprobe as the independent tag reader. The tools come from
//! `$TOOLS_DIRECTORY/bin` (else the repository's `.venv/bin`), as in `tests/`. Without them a
//! test skips with a message, except under CI, where it fails.

use std::path::{Path, PathBuf};
use std::process::Command;

use image::{DynamicImage, ImageFormat, Rgb, RgbImage};

/// The tool's path, or `None` (after saying why) when it is missing outside CI.
pub fn tool(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("TOOLS_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    let path = dir.join("bin").join(name);
    if path.is_file() {
        return Some(path);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{} is missing: run scripts/setup-tools.sh or set TOOLS_DIRECTORY",
        path.display()
    );
    eprintln!(
        "SKIPPED: {} is missing (run scripts/setup-tools.sh or set TOOLS_DIRECTORY)",
        path.display()
    );
    None
}

/// Makes a `seconds`-long sine tone `name.ext` in `dir`, tagged with the `-metadata`
/// `key=value` pairs given (as a file "copied in by hand" would be).
pub fn make_audio(
    ffmpeg: &Path,
    dir: &Path,
    name: &str,
    ext: &str,
    seconds: u32,
    metadata: &[(&str, &str)],
) -> PathBuf {
    let path = dir.join(format!("{name}.{ext}"));
    let codec: &[&str] = match ext {
        "mp3" => &["-c:a", "libmp3lame", "-b:a", "64k"],
        "m4a" => &["-c:a", "aac", "-b:a", "64k"],
        "opus" => &["-c:a", "libopus", "-b:a", "32k"],
        "ogg" => &["-c:a", "libvorbis"],
        "flac" => &["-c:a", "flac"],
        other => panic!("no codec for .{other}"),
    };
    let mut cmd = Command::new(ffmpeg);
    cmd.args([
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
    ])
    .arg(format!("sine=frequency=440:duration={seconds}"))
    .args(codec);
    for (key, value) in metadata {
        cmd.arg("-metadata").arg(format!("{key}={value}"));
    }
    let status = cmd.arg(&path).status().expect("run ffmpeg");
    assert!(status.success(), "ffmpeg could not make {}", path.display());
    path
}

/// ffprobe's view of a file: format and stream tags merged into one map with lowercase
/// keys (Ogg keeps its comments on the stream), and the video streams' (attached
/// pictures') sizes.
pub struct Probed {
    pub tags: std::collections::BTreeMap<String, String>,
    pub pictures: Vec<(u64, u64)>,
    pub raw: serde_json::Value,
}

impl Probed {
    /// The first of `keys` ffprobe reports.
    pub fn tag(&self, keys: &[&str]) -> Option<&str> {
        keys.iter()
            .find_map(|k| self.tags.get(&k.to_lowercase()))
            .map(String::as_str)
    }
}

pub fn ffprobe(ffprobe: &Path, file: &Path) -> Probed {
    let out = Command::new(ffprobe)
        .args([
            "-v",
            "error",
            "-show_entries",
            "format_tags:stream_tags:stream=codec_type,width,height",
            "-of",
            "json",
        ])
        .arg(file)
        .output()
        .expect("run ffprobe");
    assert!(out.status.success(), "ffprobe failed on {}", file.display());
    let raw: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut tags = std::collections::BTreeMap::new();
    let mut pictures = Vec::new();
    let mut add = |t: &serde_json::Value| {
        if let Some(map) = t.as_object() {
            for (k, v) in map {
                if let Some(v) = v.as_str() {
                    tags.entry(k.to_lowercase())
                        .or_insert_with(|| v.to_string());
                }
            }
        }
    };
    add(&raw["format"]["tags"]);
    for stream in raw["streams"].as_array().into_iter().flatten() {
        add(&stream["tags"]);
        if stream["codec_type"] == "video" {
            pictures.push((
                stream["width"].as_u64().unwrap_or(0),
                stream["height"].as_u64().unwrap_or(0),
            ));
        }
    }
    Probed {
        tags,
        pictures,
        raw,
    }
}

/// A `width` × `height` image, red on the left half and blue on the right, as `format`.
pub fn test_image(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let img = RgbImage::from_fn(width, height, |x, _| {
        if x < width / 2 {
            Rgb([220, 20, 20])
        } else {
            Rgb([20, 20, 220])
        }
    });
    let mut out = std::io::Cursor::new(Vec::new());
    DynamicImage::ImageRgb8(img)
        .write_to(&mut out, format)
        .unwrap();
    out.into_inner()
}
