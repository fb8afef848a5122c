//! Cover art: turns a thumbnail (JPEG, PNG or WebP, any shape) into a square JPEG of bounded
//! size, and writes an album folder's `cover.jpg`. Blocking (decoding and file I/O): callers
//! use `spawn_blocking`.
//!
//! Thumbnails come from the internet, so decoding is bounded before it starts: the input
//! size, each side, and the decoder's total allocation are capped, and a file that claims
//! more (a decompression bomb) is refused instead of decoded.

use std::ffi::OsStr;
use std::io::{self, Cursor};
use std::path::{Path, PathBuf};

use super::beneath::{self, IfTaken};

use image::imageops::FilterType;
use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// The largest side of the cover we write: big enough for any player, small enough to embed
/// in every track of an album.
pub const MAX_COVER_SIDE: u32 = 1200;
/// The largest encoded thumbnail accepted (bytes).
pub const MAX_INPUT_BYTES: usize = 20 * 1024 * 1024;
/// The largest side a thumbnail may declare.
pub const MAX_INPUT_SIDE: u32 = 10_000;
/// The most the decoder may allocate (bytes): a 10 000 × 6 000 RGBA image fits, a bomb
/// that declares 60 000 × 60 000 does not.
pub const MAX_DECODE_ALLOC: u64 = 256 * 1024 * 1024;
/// JPEG quality of the written cover.
const JPEG_QUALITY: u8 = 88;
/// The album folder's cover file name, the one media servers look for.
pub const COVER_FILE_NAME: &str = "cover.jpg";

/// Why a thumbnail cannot become a cover.
#[derive(Debug, thiserror::Error)]
pub enum CoverArtError {
    #[error("the image is {0} bytes, more than the {MAX_INPUT_BYTES} accepted")]
    TooLarge(usize),
    #[error("the image is not JPEG, PNG or WebP")]
    UnsupportedFormat,
    #[error("the image has an empty side")]
    Empty,
    #[error("the image cannot be decoded within the limits")]
    Decode(#[source] image::ImageError),
    #[error("the cover cannot be encoded as JPEG")]
    Encode(#[source] image::ImageError),
}

/// A square JPEG, ready to embed or to write as `cover.jpg`.
#[derive(Clone, PartialEq, Eq)]
pub struct CoverArt {
    jpeg: Vec<u8>,
    side: u32,
}

impl std::fmt::Debug for CoverArt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoverArt")
            .field("side", &self.side)
            .field("jpeg_bytes", &self.jpeg.len())
            .finish()
    }
}

impl CoverArt {
    /// Decodes `bytes` (JPEG, PNG or WebP) within the limits above, centre-crops it to a
    /// square when it is not one, scales it down to at most [`MAX_COVER_SIDE`], and
    /// re-encodes it as JPEG (alpha is dropped).
    pub fn from_image_bytes(bytes: &[u8]) -> Result<Self, CoverArtError> {
        Self::from_image_bytes_at_most(bytes, MAX_COVER_SIDE)
    }

    /// Like [`Self::from_image_bytes`], at most `max_side` pixels a side: the thumbnails the
    /// web page shows (`media::cover`).
    pub fn from_image_bytes_at_most(bytes: &[u8], max_side: u32) -> Result<Self, CoverArtError> {
        if bytes.len() > MAX_INPUT_BYTES {
            return Err(CoverArtError::TooLarge(bytes.len()));
        }
        let format = image::guess_format(bytes).map_err(|_| CoverArtError::UnsupportedFormat)?;
        if !matches!(
            format,
            ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP
        ) {
            return Err(CoverArtError::UnsupportedFormat);
        }
        let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
        let mut limits = Limits::default();
        limits.max_image_width = Some(MAX_INPUT_SIDE);
        limits.max_image_height = Some(MAX_INPUT_SIDE);
        limits.max_alloc = Some(MAX_DECODE_ALLOC);
        reader.limits(limits);
        let image = reader.decode().map_err(CoverArtError::Decode)?;
        Self::from_image(image, max_side.clamp(1, MAX_COVER_SIDE))
    }

    fn from_image(image: DynamicImage, max_side: u32) -> Result<Self, CoverArtError> {
        let (width, height) = (image.width(), image.height());
        let side = width.min(height);
        if side == 0 {
            return Err(CoverArtError::Empty);
        }
        let square = if width == height {
            image
        } else {
            image.crop_imm((width - side) / 2, (height - side) / 2, side, side)
        };
        let square = if side > max_side {
            square.resize_exact(max_side, max_side, FilterType::Triangle)
        } else {
            square
        };
        let rgb = DynamicImage::ImageRgb8(square.to_rgb8());
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, JPEG_QUALITY)
            .encode_image(&rgb)
            .map_err(CoverArtError::Encode)?;
        Ok(Self {
            jpeg,
            side: rgb.width(),
        })
    }

    /// The encoded JPEG.
    pub fn jpeg(&self) -> &[u8] {
        &self.jpeg
    }

    /// Width and height, in pixels.
    pub fn side(&self) -> u32 {
        self.side
    }
}

/// What [`write_album_cover`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CoverFileOutcome {
    Written(PathBuf),
    KeptExisting(PathBuf),
}

/// Writes `cover.jpg` into the folder `album_folder` beneath `root` atomically, inside the
/// folder held open without following symlinks (SEC-43; see [`beneath::write_in`]): a
/// reader never sees half a cover, and a symlink at that name is replaced, never followed.
/// With [`IfTaken::Keep`], an existing entry (file or not; the user or an earlier track chose
/// it) is left alone.
pub fn write_album_cover(
    root: &Path,
    album_folder: &Path,
    cover: &CoverArt,
    if_taken: IfTaken,
) -> io::Result<CoverFileOutcome> {
    let target = root.join(album_folder).join(COVER_FILE_NAME);
    let folder = beneath::open_folder(root, album_folder, false)?;
    let name = OsStr::new(COVER_FILE_NAME);
    // Checked first so that an album's later tracks do not each write and sync a temp file.
    if if_taken == IfTaken::Keep && beneath::taken_in(&folder, name)? {
        return Ok(CoverFileOutcome::KeptExisting(target));
    }
    let written = beneath::write_in(&folder, name, cover.jpeg(), if_taken)?;
    Ok(if written {
        CoverFileOutcome::Written(target)
    } else {
        CoverFileOutcome::KeptExisting(target)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::test_media::test_image;

    fn decoded(cover: &CoverArt) -> DynamicImage {
        image::load_from_memory_with_format(cover.jpeg(), ImageFormat::Jpeg).unwrap()
    }

    #[test]
    fn a_wide_png_becomes_a_centre_cropped_square_jpeg() {
        let cover = CoverArt::from_image_bytes(&test_image(320, 180, ImageFormat::Png)).unwrap();
        assert_eq!(cover.side(), 180);
        let img = decoded(&cover).to_rgb8();
        assert_eq!(img.dimensions(), (180, 180));
        // The crop is centred: the red/blue edge stays in the middle.
        assert!(img.get_pixel(60, 90)[0] > 150, "left of centre is red");
        assert!(img.get_pixel(120, 90)[2] > 150, "right of centre is blue");
    }

    #[test]
    fn a_tall_jpeg_and_a_webp_become_squares() {
        let tall = CoverArt::from_image_bytes(&test_image(90, 200, ImageFormat::Jpeg)).unwrap();
        assert_eq!(decoded(&tall).to_rgb8().dimensions(), (90, 90));
        let webp = CoverArt::from_image_bytes(&test_image(64, 48, ImageFormat::WebP)).unwrap();
        assert_eq!(decoded(&webp).to_rgb8().dimensions(), (48, 48));
    }

    #[test]
    fn a_big_thumbnail_is_scaled_down_to_the_maximum_side() {
        let cover = CoverArt::from_image_bytes(&test_image(1600, 1300, ImageFormat::Png)).unwrap();
        assert_eq!(cover.side(), MAX_COVER_SIDE);
        assert_eq!(
            decoded(&cover).to_rgb8().dimensions(),
            (MAX_COVER_SIDE, MAX_COVER_SIDE)
        );
    }

    /// An 8 × 8 PNG whose header (CRC fixed) claims `width` × `height`.
    fn png_claiming(width: u32, height: u32) -> Vec<u8> {
        let mut png = test_image(8, 8, ImageFormat::Png);
        png[16..20].copy_from_slice(&width.to_be_bytes());
        png[20..24].copy_from_slice(&height.to_be_bytes());
        // IHDR's CRC covers its type and data: bytes 12..29.
        let crc = png[12..29].iter().fold(!0u32, |mut crc, &byte| {
            crc ^= u32::from(byte);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
            crc
        });
        png[29..33].copy_from_slice(&(!crc).to_be_bytes());
        png
    }

    #[test]
    fn a_decompression_bomb_is_refused_before_it_is_decoded() {
        for (width, height) in [(60_000, 60_000), (10_000, 10_000), (20_000, 10)] {
            let err = CoverArt::from_image_bytes(&png_claiming(width, height)).unwrap_err();
            assert!(
                matches!(err, CoverArtError::Decode(image::ImageError::Limits(_))),
                "{width}×{height}: {err:?}"
            );
        }
    }

    #[test]
    fn other_formats_and_garbage_are_refused() {
        let gif = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;";
        assert!(matches!(
            CoverArt::from_image_bytes(gif),
            Err(CoverArtError::UnsupportedFormat)
        ));
        assert!(matches!(
            CoverArt::from_image_bytes(b"<html>not an image</html>"),
            Err(CoverArtError::UnsupportedFormat)
        ));
        let huge = vec![0u8; MAX_INPUT_BYTES + 1];
        assert!(matches!(
            CoverArt::from_image_bytes(&huge),
            Err(CoverArtError::TooLarge(_))
        ));
    }

    #[test]
    fn cover_jpg_is_written_once_and_replaced_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let first = CoverArt::from_image_bytes(&test_image(40, 40, ImageFormat::Png)).unwrap();
        let second = CoverArt::from_image_bytes(&test_image(50, 30, ImageFormat::Png)).unwrap();
        let path = dir.path().join(COVER_FILE_NAME);

        let outcome = write_album_cover(dir.path(), Path::new(""), &first, IfTaken::Keep).unwrap();
        assert_eq!(outcome, CoverFileOutcome::Written(path.clone()));
        assert_eq!(std::fs::read(&path).unwrap(), first.jpeg());

        let outcome = write_album_cover(dir.path(), Path::new(""), &second, IfTaken::Keep).unwrap();
        assert_eq!(outcome, CoverFileOutcome::KeptExisting(path.clone()));
        assert_eq!(std::fs::read(&path).unwrap(), first.jpeg());

        let outcome =
            write_album_cover(dir.path(), Path::new(""), &second, IfTaken::Replace).unwrap();
        assert_eq!(outcome, CoverFileOutcome::Written(path.clone()));
        assert_eq!(std::fs::read(&path).unwrap(), second.jpeg());

        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n != COVER_FILE_NAME)
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[test]
    fn replacing_a_symlinked_cover_does_not_write_through_the_link() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.jpg");
        std::fs::write(&outside, b"keep me").unwrap();
        let album = dir.path().join("album");
        std::fs::create_dir(&album).unwrap();
        std::os::unix::fs::symlink(&outside, album.join(COVER_FILE_NAME)).unwrap();
        let cover = CoverArt::from_image_bytes(&test_image(20, 20, ImageFormat::Png)).unwrap();

        let kept =
            write_album_cover(dir.path(), Path::new("album"), &cover, IfTaken::Keep).unwrap();
        assert!(matches!(kept, CoverFileOutcome::KeptExisting(_)));
        write_album_cover(dir.path(), Path::new("album"), &cover, IfTaken::Replace).unwrap();
        assert_eq!(std::fs::read(&outside).unwrap(), b"keep me");
        let meta = album.join(COVER_FILE_NAME).symlink_metadata().unwrap();
        assert!(meta.file_type().is_file());
    }
}
