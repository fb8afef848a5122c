//! The matching key of "already have it": two spellings of the same artist and title give
//! the same key.
//!
//! The rule, applied to artist and title alike:
//! 1. Unicode compatibility decomposition (NFKD), combining marks dropped ("Beyoncé" =
//!    "Beyonce", full-width letters = ASCII), lowercase.
//! 2. A featured-artist credit is dropped: a bracketed group starting with `feat`, `ft` or
//!    `featuring`, or everything from such a word to the end ("A feat. B" → "a").
//! 3. In titles, bracketed upload noise is dropped: a group saying `official`, `lyric(s)`,
//!    `audio`, `video`, `visualizer`, `hd`, `hq`, `4k` or `remastered…` only when nothing else
//!    is in it (so "(Live)", "(Remix)", "(Acoustic)" still tell versions apart).
//! 4. `&` becomes "and"; every other run of non-alphanumeric characters becomes one space;
//!    the ends are trimmed.
//!
//! An artist or title that is empty after this has no key (it matches nothing).

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

const FEAT_WORDS: [&str; 3] = ["feat", "ft", "featuring"];
const NOISE_WORDS: [&str; 13] = [
    "official",
    "lyric",
    "lyrics",
    "audio",
    "video",
    "music",
    "visualizer",
    "visualiser",
    "hd",
    "hq",
    "4k",
    "remastered",
    "remaster",
];

/// The index key for an artist and a title, or `None` if either is empty after normalising.
pub fn track_key(artist: &str, title: &str) -> Option<String> {
    let artist = normalize(artist, false);
    let title = normalize(title, true);
    (!artist.is_empty() && !title.is_empty()).then(|| format!("{artist}\u{1f}{title}"))
}

/// One field, normalised by the rule above.
pub fn normalize(raw: &str, is_title: bool) -> String {
    let folded: String = raw
        .nfkd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect();
    let without_groups = drop_bracket_groups(&folded, is_title);
    let words = words(&without_groups);
    let cut = words
        .iter()
        .position(|w| FEAT_WORDS.contains(&w.as_str()))
        .unwrap_or(words.len());
    words[..cut].join(" ")
}

/// Removes `(...)`/`[...]`/`{...}` groups that are a feat. credit, or (titles) upload noise.
fn drop_bracket_groups(text: &str, is_title: bool) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find(['(', '[', '{']) {
        let close_char = match rest.as_bytes()[open] {
            b'(' => ')',
            b'[' => ']',
            _ => '}',
        };
        let Some(len) = rest[open + 1..].find(close_char) else {
            break;
        };
        let inner = &rest[open + 1..open + 1 + len];
        let inner_words = words(inner);
        let is_feat = inner_words
            .first()
            .is_some_and(|w| FEAT_WORDS.contains(&w.as_str()));
        let is_noise = is_title
            && !inner_words.is_empty()
            && inner_words.iter().all(|w| {
                NOISE_WORDS.contains(&w.as_str()) || w.chars().all(|c| c.is_ascii_digit())
            });
        out.push_str(&rest[..open]);
        if is_feat || is_noise {
            out.push(' ');
        } else {
            out.push_str(&rest[open..open + 1 + len + 1]);
        }
        rest = &rest[open + 1 + len + 1..];
    }
    out.push_str(rest);
    out
}

/// Alphanumeric words; `&` counts as the word "and".
fn words(text: &str) -> Vec<String> {
    let spaced = text.replace('&', " and ");
    spaced
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_accents_punctuation_and_width_do_not_matter() {
        let key = track_key("Beyoncé", "Crazy in Love!").unwrap();
        assert_eq!(track_key("  BEYONCE ", "crazy   in love").unwrap(), key);
        assert_eq!(track_key("Ｂｅｙｏｎｃé", "Crazy-in-Love").unwrap(), key);
        assert_eq!(
            track_key("Simon & Garfunkel", "Mrs. Robinson"),
            track_key("simon and garfunkel", "Mrs Robinson")
        );
    }

    #[test]
    fn featured_artists_are_noise_in_either_field() {
        let key = track_key("Daft Punk", "Get Lucky").unwrap();
        assert_eq!(
            track_key("Daft Punk feat. Pharrell Williams", "Get Lucky").unwrap(),
            key
        );
        assert_eq!(
            track_key(
                "Daft Punk ft Pharrell",
                "Get Lucky (feat. Pharrell Williams)"
            )
            .unwrap(),
            key
        );
        assert_eq!(
            track_key("Daft Punk", "Get Lucky [Featuring Pharrell]").unwrap(),
            key
        );
        assert_eq!(
            track_key("Daft Punk", "Get Lucky feat. Pharrell").unwrap(),
            key
        );
    }

    #[test]
    fn upload_noise_goes_but_versions_stay_apart() {
        let key = track_key("Artist", "Song").unwrap();
        assert_eq!(track_key("Artist", "Song (Official Video)").unwrap(), key);
        assert_eq!(
            track_key("Artist", "Song [Official Music Video] (HD)").unwrap(),
            key
        );
        assert_eq!(track_key("Artist", "Song (Lyrics)").unwrap(), key);
        assert_eq!(track_key("Artist", "Song (Remastered 2011)").unwrap(), key);
        assert_ne!(track_key("Artist", "Song (Live)").unwrap(), key);
        assert_ne!(track_key("Artist", "Song (Remix)").unwrap(), key);
        assert_ne!(track_key("Artist", "Other Song").unwrap(), key);
        assert_ne!(track_key("Other Artist", "Song").unwrap(), key);
    }

    #[test]
    fn an_empty_field_has_no_key_and_odd_brackets_do_not_panic() {
        assert_eq!(track_key("", "Song"), None);
        assert_eq!(track_key("Artist", "  !!! "), None);
        assert_eq!(track_key("Artist", "(feat. X)"), None);
        assert!(track_key("Artist", "Song (unclosed [ { (").is_some());
        assert!(track_key("Ärtist ((", "))Söng]]").is_some());
    }
}
