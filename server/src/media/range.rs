//! The `Range` request header (RFC 9110 §14), as media players send it: one byte range.
//!
//! A header we do not understand (another unit, bad syntax, several ranges) is ignored and
//! the whole file is sent, which the RFC allows and every player copes with; only a
//! well-formed range that lies outside the file is "unsatisfiable" (416).

/// What to send for a request's `Range` header and a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole file (200).
    Full,
    /// Bytes `start..=end` (206).
    Partial { start: u64, end: u64 },
    /// Nothing of the file matches (416).
    Unsatisfiable,
}

/// Longest header looked at: a single range is a few dozen bytes.
const MAX_HEADER_BYTES: usize = 200;

pub fn answer(header: Option<&str>, size: u64) -> RangeAnswer {
    let Some(spec) = header
        .filter(|h| h.len() <= MAX_HEADER_BYTES)
        .and_then(|h| h.trim().strip_prefix("bytes="))
    else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| -> Option<u64> {
        let s = s.trim();
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse().ok())
            .flatten()
    };
    match (first.trim().is_empty(), number(first), number(last)) {
        // `bytes=-N`: the last N bytes.
        (true, _, Some(suffix)) => {
            if suffix == 0 || size == 0 {
                RangeAnswer::Unsatisfiable
            } else {
                RangeAnswer::Partial {
                    start: size.saturating_sub(suffix),
                    end: size - 1,
                }
            }
        }
        // `bytes=A-` and `bytes=A-B`.
        (false, Some(start), end) if last.trim().is_empty() || end.is_some() => {
            if end.is_some_and(|end| end < start) {
                return RangeAnswer::Full;
            }
            if start >= size {
                return RangeAnswer::Unsatisfiable;
            }
            let end = end.map_or(size - 1, |end| end.min(size - 1));
            RangeAnswer::Partial { start, end }
        }
        _ => RangeAnswer::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::{RangeAnswer::*, answer};

    #[test]
    fn single_ranges_are_answered() {
        assert_eq!(answer(Some("bytes=0-"), 10), Partial { start: 0, end: 9 });
        assert_eq!(answer(Some("bytes=2-4"), 10), Partial { start: 2, end: 4 });
        assert_eq!(
            answer(Some("bytes=2-400"), 10),
            Partial { start: 2, end: 9 }
        );
        assert_eq!(answer(Some("bytes=-3"), 10), Partial { start: 7, end: 9 });
        assert_eq!(answer(Some("bytes=-30"), 10), Partial { start: 0, end: 9 });
    }

    #[test]
    fn ranges_outside_the_file_are_unsatisfiable() {
        assert_eq!(answer(Some("bytes=10-"), 10), Unsatisfiable);
        assert_eq!(answer(Some("bytes=10-20"), 10), Unsatisfiable);
        assert_eq!(answer(Some("bytes=-0"), 10), Unsatisfiable);
        assert_eq!(answer(Some("bytes=0-"), 0), Unsatisfiable);
    }

    #[test]
    fn what_is_not_understood_gets_the_whole_file() {
        for h in [
            None,
            Some(""),
            Some("items=0-1"),
            Some("bytes=0-1,4-5"),
            Some("bytes=5-2"),
            Some("bytes=a-b"),
            Some("bytes=-"),
            Some("bytes=+1-2"),
            Some("bytes=99999999999999999999999-"),
        ] {
            assert_eq!(answer(h, 10), Full, "{h:?}");
        }
    }
}
