//! Writes a track's full set of tags (title, artist, album, album artist, track n/total,
//! disc, year, genre, source URL) and its front cover into mp3 (ID3v2), m4a (MP4 `ilst`),
//! Opus/Ogg Vorbis and FLAC (Vorbis comments), and reads them back. Blocking file I/O:
//! callers use `spawn_blocking`, on the file in the job's temp folder before it is moved
//! into place (lofty rewrites the file).
//!
//! # Precedence, per field
//! A value counts only when it is good: text that is not empty once trimmed, a number above
//! zero. For each field:
//! - [`Precedence::PreferGiven`] (site/plugin metadata, e.g. YouTube-like sources): the
//!   value given in [`TrackTags`] wins; the file's own value stays where none is given.
//! - [`Precedence::PreferFile`] (direct files whose embedded tags are usually better): the
//!   file's own good value wins; the given value fills what the file lacks.
//! - The source URL is provenance, not an opinion: a given URL always replaces the file's.
//! - The front cover follows the same rule: with `PreferFile`, a file that already has a
//!   front cover keeps it.
//!
//! Items the file has that [`TrackTags`] does not model (comments, MusicBrainz ids, lyrics,
//! other pictures) are kept.
//!
//! The source URL is stored where tools look for an "audio source webpage": the ID3v2
//! `WOAS` frame, and `WWWAUDIOSOURCE` (the Mp3tag/foobar2000 name for that frame) as a
//! Vorbis comment and as an MP4 freeform atom (`----:com.apple.iTunes:WWWAUDIOSOURCE`).

use std::borrow::Cow;
use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use lofty::config::{ParseOptions, WriteOptions};
use lofty::file::{AudioFile, FileType};
use lofty::flac::FlacFile;
use lofty::id3::v2::Id3v2Tag;
use lofty::mp4::{Atom, AtomData, AtomIdent, Ilst, Mp4File};
use lofty::mpeg::MpegFile;
use lofty::ogg::tag::VorbisComments;
use lofty::ogg::{OggPictureStorage, OpusFile, VorbisFile};
use lofty::picture::{MimeType, Picture, PictureType};
use lofty::tag::items::Timestamp;
use lofty::tag::{Accessor, ItemKey, ItemValue, MergeTag, SplitTag, Tag, TagExt, TagItem};

use super::cover_art::CoverArt;

/// The Vorbis comment / MP4 freeform name of the source URL.
pub const SOURCE_URL_FIELD: &str = "WWWAUDIOSOURCE";
const ITUNES_MEAN: &str = "com.apple.iTunes";

/// What we know about a track; every field optional.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrackTags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub album_artist: Option<String>,
    pub track: Option<u32>,
    pub track_total: Option<u32>,
    pub disc: Option<u32>,
    pub year: Option<u16>,
    pub genre: Option<String>,
    pub source_url: Option<String>,
}

/// Whose value wins for a field both sides have (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precedence {
    /// The given [`TrackTags`] win; the file fills the gaps.
    #[default]
    PreferGiven,
    /// The file's own good tags win; the given values fill the gaps.
    PreferFile,
}

/// Whether [`read_track_tags`] loads the front cover's bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CoverRead {
    Skip,
    Load,
}

/// A file's tags as read back.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagsOnFile {
    pub tags: TrackTags,
    pub duration_seconds: Option<f64>,
    /// The front cover's bytes, when asked for and present.
    pub front_cover: Option<Vec<u8>>,
}

/// Why tags could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum TagError {
    #[error("cannot open the file")]
    Io(#[from] std::io::Error),
    #[error("tags are not written for this kind of file ({0})")]
    Unsupported(String),
    #[error("the file's tags cannot be read or written")]
    Lofty(#[source] Box<dyn std::error::Error + Send + Sync>),
}

fn lofty_err(e: impl std::error::Error + Send + Sync + 'static) -> TagError {
    TagError::Lofty(Box::new(e))
}

/// The file's native tag, in the format its container uses.
enum NativeTag {
    Id3v2(Id3v2Tag),
    Ilst(Ilst),
    Vorbis(VorbisComments),
}

impl NativeTag {
    fn source_url(&self) -> Option<String> {
        let url = match self {
            // WOAS arrives in the generic view as a locator.
            NativeTag::Id3v2(t) => {
                let (_, generic) = t.clone().split_tag();
                return good_text(generic.get_locators(ItemKey::AudioSourceUrl).next());
            }
            NativeTag::Ilst(t) => t.get(&source_url_atom()).and_then(|a| {
                a.data().find_map(|d| match d {
                    AtomData::UTF8(s) | AtomData::UTF16(s) => Some(s.as_str()),
                    _ => None,
                })
            }),
            NativeTag::Vorbis(t) => t.get(SOURCE_URL_FIELD),
        };
        good_text(url)
    }

    /// MP4 pictures carry no type: there, every picture counts as the front cover.
    fn pictures_are_typed(&self) -> bool {
        !matches!(self, NativeTag::Ilst(_))
    }

    fn into_generic(self) -> Tag {
        match self {
            NativeTag::Id3v2(t) => t.split_tag().1,
            NativeTag::Ilst(t) => t.split_tag().1,
            NativeTag::Vorbis(t) => t.split_tag().1,
        }
    }
}

fn source_url_atom() -> AtomIdent<'static> {
    AtomIdent::Freeform {
        mean: Cow::Borrowed(ITUNES_MEAN),
        name: Cow::Borrowed(SOURCE_URL_FIELD),
    }
}

/// Reads the file's native tag (an empty one when it has none) and its duration.
fn read_native(path: &Path, cover: CoverRead) -> Result<(NativeTag, Option<f64>), TagError> {
    let file_type = lofty::probe::Probe::open(path)
        .map_err(lofty_err)?
        .guess_file_type()?
        .file_type();
    let options = ParseOptions::new().read_cover_art(cover == CoverRead::Load);
    let mut reader = BufReader::new(File::open(path)?);
    let secs = |d: std::time::Duration| Some(d.as_secs_f64()).filter(|s| *s > 0.0);
    Ok(match file_type {
        Some(FileType::Mpeg) => {
            let f = MpegFile::read_from(&mut reader, options).map_err(lofty_err)?;
            let d = secs(f.properties().duration());
            (NativeTag::Id3v2(f.id3v2().cloned().unwrap_or_default()), d)
        }
        Some(FileType::Mp4) => {
            let f = Mp4File::read_from(&mut reader, options).map_err(lofty_err)?;
            let d = secs(f.properties().duration());
            (NativeTag::Ilst(f.ilst().cloned().unwrap_or_default()), d)
        }
        Some(FileType::Opus) => {
            let f = OpusFile::read_from(&mut reader, options).map_err(lofty_err)?;
            let d = secs(f.properties().duration());
            (NativeTag::Vorbis(f.vorbis_comments().clone()), d)
        }
        Some(FileType::Vorbis) => {
            let f = VorbisFile::read_from(&mut reader, options).map_err(lofty_err)?;
            let d = secs(f.properties().duration());
            (NativeTag::Vorbis(f.vorbis_comments().clone()), d)
        }
        Some(FileType::Flac) => {
            let f = FlacFile::read_from(&mut reader, options).map_err(lofty_err)?;
            let d = secs(f.properties().duration());
            let mut comments = f.vorbis_comments().cloned().unwrap_or_default();
            // FLAC keeps pictures in their own blocks; carry them so a rewrite keeps them.
            for (picture, info) in f.pictures() {
                comments
                    .insert_picture(picture.clone(), Some(*info))
                    .map_err(lofty_err)?;
            }
            (NativeTag::Vorbis(comments), d)
        }
        other => return Err(TagError::Unsupported(format!("{other:?}"))),
    })
}

/// Reads the fields of [`TrackTags`], the duration and (if asked) the front cover.
pub fn read_track_tags(path: &Path, cover: CoverRead) -> Result<TagsOnFile, TagError> {
    let (native, duration_seconds) = read_native(path, cover)?;
    let source_url = native.source_url();
    let typed = native.pictures_are_typed();
    let tag = native.into_generic();
    let mut tags = generic_fields(&tag);
    tags.source_url = source_url;
    let front_cover = (cover == CoverRead::Load)
        .then(|| front_cover(&tag, typed))
        .flatten()
        .map(|p| p.data().to_vec());
    Ok(TagsOnFile {
        tags,
        duration_seconds,
        front_cover,
    })
}

/// Writes `given` (and `cover` as the front cover, if any) into the file at `path`,
/// combining with the file's own tags by `precedence` (see the module documentation).
pub fn write_track_tags(
    path: &Path,
    given: &TrackTags,
    cover: Option<&CoverArt>,
    precedence: Precedence,
) -> Result<(), TagError> {
    let (native, _) = read_native(path, CoverRead::Load)?;
    let source_url = clean(given.source_url.as_deref()).or_else(|| native.source_url());
    let typed = native.pictures_are_typed();
    let write = WriteOptions::default();
    match native {
        NativeTag::Id3v2(t) => {
            let (rest, mut tag) = t.split_tag();
            apply(&mut tag, given, cover, precedence, typed);
            if let Some(url) = source_url {
                tag.insert(TagItem::new(
                    ItemKey::AudioSourceUrl,
                    ItemValue::Locator(url),
                ));
            }
            rest.merge_tag(tag)
                .save_to_path(path, write)
                .map_err(lofty_err)?;
        }
        NativeTag::Ilst(t) => {
            let (rest, mut tag) = t.split_tag();
            apply(&mut tag, given, cover, precedence, typed);
            let mut ilst = rest.merge_tag(tag);
            if let Some(url) = source_url {
                ilst.replace_atom(Atom::new(source_url_atom(), AtomData::UTF8(url)));
            }
            ilst.save_to_path(path, write).map_err(lofty_err)?;
        }
        NativeTag::Vorbis(t) => {
            let (rest, mut tag) = t.split_tag();
            apply(&mut tag, given, cover, precedence, typed);
            let mut comments = rest.merge_tag(tag);
            if let Some(url) = source_url {
                comments.insert(SOURCE_URL_FIELD.to_string(), url);
            }
            comments.save_to_path(path, write).map_err(lofty_err)?;
        }
    }
    Ok(())
}

/// Trimmed, control characters turned into spaces, `None` when nothing is left.
fn clean(value: Option<&str>) -> Option<String> {
    let v: String = value?
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let v = v.trim();
    (!v.is_empty()).then(|| v.to_string())
}

fn good_text(value: Option<&str>) -> Option<String> {
    value
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn good_number<T: PartialOrd + Default>(value: Option<T>) -> Option<T> {
    value.filter(|n| *n > T::default())
}

fn pick<T>(given: Option<T>, file: Option<T>, precedence: Precedence) -> Option<T> {
    match precedence {
        Precedence::PreferGiven => given.or(file),
        Precedence::PreferFile => file.or(given),
    }
}

fn generic_fields(tag: &Tag) -> TrackTags {
    let text = |key| good_text(tag.get_string(key));
    TrackTags {
        title: text(ItemKey::TrackTitle),
        artist: text(ItemKey::TrackArtist),
        album: text(ItemKey::AlbumTitle),
        album_artist: text(ItemKey::AlbumArtist),
        track: good_number(tag.track()),
        track_total: good_number(tag.track_total()),
        disc: good_number(tag.disk()),
        year: good_number(tag.date().map(|d| d.year)).or_else(|| {
            tag.get_string(ItemKey::Year)
                .and_then(|y| y.trim().get(..4)?.parse().ok())
                .filter(|y| *y > 0)
        }),
        genre: text(ItemKey::Genre),
        source_url: None,
    }
}

/// Sets each field of the generic tag by the precedence rule; leaves the rest alone.
fn apply(
    tag: &mut Tag,
    given: &TrackTags,
    cover: Option<&CoverArt>,
    precedence: Precedence,
    pictures_typed: bool,
) {
    let file = generic_fields(tag);
    let texts = [
        (ItemKey::TrackTitle, &given.title, file.title),
        (ItemKey::TrackArtist, &given.artist, file.artist),
        (ItemKey::AlbumTitle, &given.album, file.album),
        (ItemKey::AlbumArtist, &given.album_artist, file.album_artist),
        (ItemKey::Genre, &given.genre, file.genre),
    ];
    for (key, given_value, file_value) in texts {
        if let Some(v) = pick(clean(given_value.as_deref()), file_value, precedence) {
            tag.insert_text(key, v);
        }
    }
    if let Some(n) = pick(good_number(given.track), file.track, precedence) {
        tag.set_track(n);
    }
    if let Some(n) = pick(good_number(given.track_total), file.track_total, precedence) {
        tag.set_track_total(n);
    }
    if let Some(n) = pick(good_number(given.disc), file.disc, precedence) {
        tag.set_disk(n);
    }
    if let Some(year) = pick(good_number(given.year), file.year, precedence)
        && file.year != Some(year)
    {
        tag.remove_key(ItemKey::Year);
        tag.set_date(Timestamp {
            year,
            ..Timestamp::default()
        });
    }
    if let Some(cover) = cover {
        let has_cover = front_cover(tag, pictures_typed).is_some();
        if precedence == Precedence::PreferGiven || !has_cover {
            if pictures_typed {
                tag.remove_picture_type(PictureType::CoverFront);
            } else {
                while tag.picture_count() > 0 {
                    tag.remove_picture(0);
                }
            }
            tag.push_picture(
                Picture::unchecked(cover.jpeg().to_vec())
                    .pic_type(PictureType::CoverFront)
                    .mime_type(MimeType::Jpeg)
                    .build(),
            );
        }
    }
}

fn front_cover(tag: &Tag, pictures_typed: bool) -> Option<&Picture> {
    if pictures_typed {
        tag.get_picture_type(PictureType::CoverFront)
    } else {
        tag.pictures().first()
    }
}

#[cfg(test)]
mod tests;
