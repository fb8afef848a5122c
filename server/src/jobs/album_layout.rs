//! Names of album tracks (a set's entries): `ALBUM_OUTPUT_TEMPLATE`, by default
//! `{album_artist}/{album} ({year})/{track:02} - {title}.{ext}`. Parts the track does not
//! have drop cleanly: an empty `{year}` takes its brackets and the space before them, an
//! empty `{track}` the ` - ` after it, and a folder made only of missing parts disappears.
//! Every value and every rendered component goes through `output_path::sanitize_component`
//! (SEC-5), so the result is always a plain relative path; the move stays confined as for
//! singles (`output_path::move_into_place`).

use super::output_path::{MAX_COMPONENT_BYTES, sanitize_component};
use std::path::PathBuf;

/// The default album track layout.
pub const DEFAULT_ALBUM_OUTPUT_TEMPLATE: &str =
    "{album_artist}/{album} ({year})/{track:02} - {title}.{ext}";

/// The placeholders an album template may use (`{track:02}` and `{disc:02}` pad with zeros).
pub const ALBUM_PLACEHOLDERS: &[&str] = &[
    "title",
    "artist",
    "album",
    "album_artist",
    "year",
    "track",
    "disc",
    "user",
    "ext",
];

/// Characters that separate parts of a name and go with a missing part.
const SEPARATORS: &[char] = &[' ', '-', '_', '.', ',', ':', ';', '–', '—', '·', '#'];

/// What an album track's name is made of.
#[derive(Debug, Clone, Default)]
pub struct AlbumValues<'a> {
    pub title: Option<&'a str>,
    pub artist: Option<&'a str>,
    pub album: Option<&'a str>,
    /// Falls back to `artist`.
    pub album_artist: Option<&'a str>,
    pub year: Option<i32>,
    pub track: Option<u32>,
    pub disc: Option<u32>,
    pub user: &'a str,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Text(String),
    Field { name: String, width: usize },
}

/// Checks a template at start-up: known placeholders only, ending in `.{ext}`.
pub fn check_album_template(template: &str) -> Result<(), String> {
    if !template.ends_with(".{ext}") {
        return Err("must end with .{ext}".into());
    }
    for part in template.split(['/', '\\']) {
        for token in tokens(part)? {
            if let Token::Field { name, .. } = token
                && !ALBUM_PLACEHOLDERS.contains(&name.as_str())
            {
                return Err(format!(
                    "unknown placeholder {{{name}}} (known: {})",
                    ALBUM_PLACEHOLDERS.join(", ")
                ));
            }
        }
    }
    Ok(())
}

/// Renders an album track's relative path, ending in `.{ext}` (never panics, SEC-35).
pub fn render_album_path(template: &str, values: &AlbumValues<'_>, ext: &str) -> PathBuf {
    let ext = sanitize_component(ext, "bin", 16).to_ascii_lowercase();
    let parts: Vec<&str> = template
        .split(['/', '\\'])
        .filter(|p| !p.trim().is_empty())
        .collect();
    let (dirs, last) = match parts.split_last() {
        Some((last, dirs)) => (dirs, *last),
        None => (&[][..], "{title}.{ext}"),
    };
    let mut path = PathBuf::new();
    for dir in dirs {
        if let Some(name) = render_component(dir, values, &ext) {
            path.push(sanitize_component(&name, "Unknown", MAX_COMPONENT_BYTES));
        }
    }
    let stem_template = last.strip_suffix(".{ext}").unwrap_or(last);
    let stem = render_component(stem_template, values, &ext).unwrap_or_default();
    let stem = sanitize_component(&stem, "Untitled", MAX_COMPONENT_BYTES - ext.len() - 1);
    path.push(format!("{stem}.{ext}"));
    path
}

/// One component with its missing parts dropped; `None` when it had placeholders and all
/// of them were missing (a folder such as `Disc {disc}` for a single-disc album).
fn render_component(part: &str, values: &AlbumValues<'_>, ext: &str) -> Option<String> {
    // An unparsable part (a lone `{`) is kept as text; sanitising makes it safe.
    let mut tokens = tokens(part).unwrap_or_else(|_| vec![Token::Text(part.to_owned())]);
    let rendered: Vec<Option<String>> = tokens
        .iter()
        .map(|t| match t {
            Token::Text(_) => None,
            Token::Field { name, width } => Some(value(name, *width, values, ext)),
        })
        .collect();
    let filled = |i: usize| rendered[i].as_deref().is_some_and(|v| !v.is_empty());
    let fields = rendered.iter().filter(|r| r.is_some()).count();
    if fields > 0 && !(0..tokens.len()).any(filled) {
        return None;
    }
    for (i, value) in rendered.iter().enumerate() {
        if !matches!(value.as_deref(), Some("")) {
            continue;
        }
        let before = (0..i).any(filled);
        let after = (i + 1..tokens.len()).any(filled);
        let (head, tail) = tokens.split_at_mut(i);
        let prev = match head.last_mut() {
            Some(Token::Text(t)) => Some(t),
            _ => None,
        };
        let next = match tail.get_mut(1) {
            Some(Token::Text(t)) => Some(t),
            _ => None,
        };
        drop_empty_part(prev, next, before, after);
    }
    let mut out = String::new();
    for (token, value) in tokens.iter().zip(&rendered) {
        match (token, value) {
            (Token::Text(t), _) => out.push_str(t),
            (Token::Field { .. }, Some(v)) => out.push_str(v),
            (Token::Field { .. }, None) => {}
        }
    }
    Some(out)
}

/// Removes what belonged to a missing part from the text around it: the brackets around it,
/// and the separator that joined it to its neighbour.
fn drop_empty_part(
    mut prev: Option<&mut String>,
    mut next: Option<&mut String>,
    before: bool,
    after: bool,
) {
    if let (Some(p), Some(n)) = (prev.as_deref_mut(), next.as_deref_mut()) {
        for (open, close) in [('(', ')'), ('[', ']'), ('{', '}')] {
            if p.trim_end().ends_with(open) && n.trim_start().starts_with(close) {
                let keep = p.trim_end().len() - open.len_utf8();
                p.truncate(keep);
                let rest = n.trim_start()[close.len_utf8()..].to_owned();
                *n = rest;
                break;
            }
        }
    }
    match (before, after) {
        // Leading: the separator after it goes.
        (false, _) => {
            if let Some(n) = next.as_deref_mut() {
                *n = n.trim_start_matches(SEPARATORS).to_owned();
            }
        }
        // Trailing: the separator before it goes.
        (true, false) => {
            if let Some(p) = prev.as_deref_mut() {
                let keep = p.trim_end_matches(SEPARATORS).len();
                p.truncate(keep);
            }
        }
        // Between two parts: one separator stays.
        (true, true) => {
            let prev_has = prev.as_deref().is_some_and(|p| !p.is_empty());
            if let (true, Some(n)) = (prev_has, next) {
                *n = n.trim_start_matches(SEPARATORS).to_owned();
            }
        }
    }
}

fn value(name: &str, width: usize, v: &AlbumValues<'_>, ext: &str) -> String {
    let text = |s: Option<&str>, fallback: &str| {
        sanitize_component(s.unwrap_or(""), fallback, MAX_COMPONENT_BYTES)
    };
    let number = |n: Option<u32>| {
        n.filter(|n| *n > 0)
            .map(|n| format!("{n:0width$}", width = width.min(9)))
            .unwrap_or_default()
    };
    match name {
        "title" => text(v.title, "Untitled"),
        "artist" => text(v.artist.or(v.album_artist), "Unknown Artist"),
        "album" => text(v.album, "Unknown Album"),
        "album_artist" => text(v.album_artist.or(v.artist), "Unknown Artist"),
        "user" => text(Some(v.user), "unknown"),
        "ext" => ext.to_owned(),
        "year" => v
            .year
            .filter(|y| (1..=9999).contains(y))
            .map(|y| y.to_string())
            .unwrap_or_default(),
        "track" => number(v.track),
        "disc" => number(v.disc),
        // Unknown names are refused at start-up; render nothing if one slips through.
        _ => String::new(),
    }
}

/// Splits `a {b:02} c` into text and fields. `Err` on an unclosed `{`.
fn tokens(part: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut rest = part;
    while let Some(open) = rest.find('{') {
        if open > 0 {
            out.push(Token::Text(rest[..open].to_owned()));
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| format!("unclosed {{ in {part:?}"))?;
        let inner = &after[..close];
        let (name, width) = match inner.split_once(':') {
            Some((name, spec)) => {
                let width = spec
                    .strip_prefix('0')
                    .and_then(|w| w.parse::<usize>().ok())
                    .filter(|w| (1..=9).contains(w))
                    .ok_or_else(|| format!("{{{inner}}}: only :0N (N from 1 to 9) is supported"))?;
                (name, width)
            }
            None => (inner, 0),
        };
        out.push(Token::Field {
            name: name.to_owned(),
            width,
        });
        rest = &after[close + 1..];
    }
    if !rest.is_empty() {
        out.push(Token::Text(rest.to_owned()));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
