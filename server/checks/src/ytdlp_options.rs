//! The one allowlist of yt-dlp options a plugin may choose (SEC-3), used both when a
//! plugin's resolution is checked and when the host builds yt-dlp's argv, so an option that
//! passes one passes the other. A denylist is checked first so that widening the allowlist
//! later can never let a dangerous option through. yt-dlp accepts any unambiguous prefix of
//! a long option (`--exe` means `--exec`) and bundled short flags (`-xa FILE`), so both are
//! treated as the option they could mean.

/// At most this many tokens of plugin options.
pub const MAX_OPTIONS: usize = 32;
const MAX_VALUE_BYTES: usize = 200;

/// Long options a plugin may never pass, nor any prefix or extension of them.
pub const FORBIDDEN_LONG: &[&str] = &[
    "--exec",
    "--exec-before-download",
    "--netrc",
    "--netrc-cmd",
    "--netrc-location",
    "--downloader",
    "--downloader-args",
    "--external-downloader",
    "--external-downloader-args",
    "--postprocessor-args",
    "--ppa",
    "--use-postprocessor",
    "--config-location",
    "--config-locations",
    "--load-info-json",
    "--batch-file",
    "--cookies",
    "--cookies-from-browser",
    "--plugin-dirs",
    "--print-to-file",
    "--output",
    "--paths",
    "--proxy",
    "--geo-verification-proxy",
    "--ffmpeg-location",
    "--update",
    "--update-to",
    "--enable-file-urls",
    "--username",
    "--password",
    "--video-password",
    "--ap-username",
    "--ap-password",
    "--client-certificate",
    "--client-certificate-key",
    "--write-info-json",
    "--print",
    "--source-address",
];

/// Short options a plugin may never pass, alone or bundled (`-a`, `-o`, `-P`, `-U`, and the
/// credential ones `-u`/`-p`/`-n`).
const FORBIDDEN_SHORT: &[char] = &['a', 'o', 'P', 'U', 'u', 'p', 'n', 'O'];

/// What an allowed option takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Takes {
    Nothing,
    /// One of the audio formats yt-dlp's `--audio-format` knows.
    AudioFormat,
    /// `0`–`10` (VBR quality) or a bitrate such as `192k`.
    AudioQuality,
    /// `--playlist-items` syntax: numbers, ranges and lists (`1,3:5`).
    ItemList,
    /// A format selector or sort order (`bestaudio[ext=m4a]/best`, `abr,ext`).
    Selector,
}

/// An option a plugin may pass, and an example value that yt-dlp accepts (the tests run
/// yt-dlp with each one).
#[derive(Debug, Clone, Copy)]
pub struct AllowedOption {
    pub name: &'static str,
    pub takes: Takes,
    pub example: Option<&'static str>,
}

const fn flag(name: &'static str) -> AllowedOption {
    AllowedOption {
        name,
        takes: Takes::Nothing,
        example: None,
    }
}

const fn with(name: &'static str, takes: Takes, example: &'static str) -> AllowedOption {
    AllowedOption {
        name,
        takes,
        example: Some(example),
    }
}

/// Every yt-dlp option a plugin may choose (SEC-3).
pub const ALLOWED: &[AllowedOption] = &[
    with("-f", Takes::Selector, "bestaudio/best"),
    with("--format", Takes::Selector, "bestaudio[ext=mp3]/best"),
    with("-S", Takes::Selector, "abr"),
    with("--format-sort", Takes::Selector, "abr,ext"),
    flag("-x"),
    flag("--extract-audio"),
    with("--audio-format", Takes::AudioFormat, "mp3"),
    with("--audio-quality", Takes::AudioQuality, "192k"),
    flag("--embed-metadata"),
    flag("--add-metadata"),
    flag("--no-embed-metadata"),
    flag("--embed-thumbnail"),
    flag("--no-embed-thumbnail"),
    flag("--embed-chapters"),
    flag("--prefer-free-formats"),
    flag("--no-mtime"),
    flag("--ignore-errors"),
    with("-I", Takes::ItemList, "1"),
    with("--playlist-items", Takes::ItemList, "1:3"),
    with("--playlist-start", Takes::ItemList, "1"),
    with("--playlist-end", Takes::ItemList, "3"),
    flag("--no-playlist"),
];

const AUDIO_FORMATS: &[&str] = &[
    "best", "aac", "alac", "flac", "m4a", "mp3", "opus", "vorbis", "wav",
];

/// Why plugin options were refused; safe to log and to show an admin, not raw to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionRejection {
    #[error("too many yt-dlp options")]
    TooMany,
    #[error("forbidden yt-dlp option {0:?}")]
    Forbidden(String),
    #[error("yt-dlp option {0:?} is not on the allowlist")]
    NotAllowed(String),
    #[error("yt-dlp option {0:?} needs a value")]
    MissingValue(String),
    #[error("bad value for yt-dlp option {0:?}")]
    BadValue(String),
    #[error("unexpected argument {0:?}: plugins pass options only")]
    Positional(String),
}

/// True if `token` names, abbreviates or bundles a forbidden option.
pub fn is_forbidden(token: &str) -> bool {
    if let Some(long) = token.strip_prefix("--") {
        let name = format!("--{}", long.split('=').next().unwrap_or(""));
        if name == "--" {
            return true; // a plugin must not end option parsing and add its own URL
        }
        return FORBIDDEN_LONG
            .iter()
            .any(|f| f.starts_with(name.as_str()) || name.starts_with(f));
    }
    if let Some(short) = token.strip_prefix('-') {
        return short.chars().any(|c| FORBIDDEN_SHORT.contains(&c));
    }
    false
}

/// Checks plugin options and returns them unchanged if every one is allowed.
pub fn validate_plugin_options(options: &[String]) -> Result<Vec<String>, OptionRejection> {
    if options.len() > MAX_OPTIONS {
        return Err(OptionRejection::TooMany);
    }
    let mut out = Vec::with_capacity(options.len());
    let mut iter = options.iter();
    while let Some(token) = iter.next() {
        if !token.starts_with('-') {
            return Err(OptionRejection::Positional(token.clone()));
        }
        if is_forbidden(token) {
            return Err(OptionRejection::Forbidden(token.clone()));
        }
        let (name, inline) = match token.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (token.as_str(), None),
        };
        let Some(allowed) = ALLOWED.iter().find(|a| a.name == name) else {
            return Err(OptionRejection::NotAllowed(token.clone()));
        };
        match (allowed.takes, inline) {
            (Takes::Nothing, None) => out.push(token.clone()),
            (Takes::Nothing, Some(_)) => return Err(OptionRejection::BadValue(token.clone())),
            (takes, Some(v)) => {
                check_value(name, takes, v)?;
                out.push(token.clone());
            }
            (takes, None) => {
                let v = iter
                    .next()
                    .ok_or_else(|| OptionRejection::MissingValue(token.clone()))?;
                check_value(name, takes, v)?;
                out.push(token.clone());
                out.push(v.clone());
            }
        }
    }
    Ok(out)
}

fn check_value(name: &str, takes: Takes, value: &str) -> Result<(), OptionRejection> {
    // A value starting with '-' is harmless to yt-dlp's parser, but refusing it keeps every
    // option-looking token under the denylist's eye.
    let shaped = !value.is_empty()
        && value.len() <= MAX_VALUE_BYTES
        && !value.starts_with('-')
        && !value.chars().any(char::is_control);
    let ok = shaped
        && match takes {
            Takes::Nothing => false,
            Takes::AudioFormat => AUDIO_FORMATS.contains(&value),
            Takes::AudioQuality => {
                let digits = value.trim_end_matches(['k', 'K']);
                !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit())
            }
            Takes::ItemList => value
                .chars()
                .all(|c| c.is_ascii_digit() || ",:-".contains(c)),
            Takes::Selector => value
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+/[]<>=!*.,:?_-()~^$ ".contains(c)),
        };
    if ok {
        Ok(())
    } else {
        Err(OptionRejection::BadValue(name.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn allowlisted_options_pass_sec_3() {
        let ok = strings(&[
            "-f",
            "bestaudio",
            "--format=ba[ext=m4a]",
            "-x",
            "--audio-format",
            "mp3",
            "--audio-quality=0",
            "--embed-metadata",
            "--embed-thumbnail",
            "--add-metadata",
            "--playlist-items",
            "1:3",
            "--no-playlist",
            "-S",
            "abr",
        ]);
        assert_eq!(validate_plugin_options(&ok).unwrap(), ok);
    }

    #[test]
    fn denylisted_options_are_refused_in_every_spelling_sec_3() {
        let attacks = [
            "--exec",
            "--exec=touch pwned",
            "--exe",
            "--ex",
            "--exec-before-download",
            "--netrc-cmd=x",
            "--netrc",
            "--downloader",
            "--downloader-args",
            "--downloader=aria2c",
            "--external-downloader",
            "--postprocessor-args",
            "--ppa",
            "--use-postprocessor",
            "--use-post",
            "--config-location",
            "--config-locations=/etc",
            "--config",
            "--load-info-json",
            "--load-info",
            "-a",
            "--batch-file=/etc/passwd",
            "--batch",
            "--cookies",
            "--cookies=/x",
            "--cookies-from-browser",
            "--cook",
            "--plugin-dirs",
            "--plugin-dirs=/tmp",
            "--print-to-file",
            "-o",
            "-o/tmp/x",
            "--output=/x",
            "--out",
            "-P",
            "-P/tmp",
            "--paths",
            "--proxy",
            "--proxy=",
            "--ffmpeg-location",
            "--ffmpeg",
            "-U",
            "--update",
            "--update-to=nightly",
            "--upd",
            "-xU",
            "-xa",
            "-xo",
            "--enable-file-urls",
            "--enable-file",
            "--",
            "--=x",
            "-O",
            "--print",
        ];
        for attack in attacks {
            assert!(is_forbidden(attack), "{attack} not flagged");
            let err = validate_plugin_options(&strings(&[attack, "value"])).unwrap_err();
            assert!(
                matches!(err, OptionRejection::Forbidden(_)),
                "{attack}: {err:?}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_too_sec_3() {
        for bad in [
            &["--write-comments"][..],
            &["https://evil.example/x"],
            &["-f"],
            &["-f", "--exec"],
            &["-f", "a\nb"],
            &["--audio-format"],
            &["-x=1"],
            &["--extract-audio=yes"],
            &["-fbestaudio"],
            &["--enable-file-url"],
        ] {
            assert!(
                validate_plugin_options(&strings(bad)).is_err(),
                "{bad:?} accepted"
            );
        }
    }

    #[test]
    fn every_allowed_option_passes_with_its_example_sec_3() {
        for option in ALLOWED {
            let mut tokens = vec![option.name.to_string()];
            tokens.extend(option.example.map(str::to_string));
            assert_eq!(
                validate_plugin_options(&tokens).as_ref(),
                Ok(&tokens),
                "{}",
                option.name
            );
            assert!(!is_forbidden(option.name), "{} is also denied", option.name);
            assert_eq!(
                option.example.is_some(),
                option.takes != Takes::Nothing,
                "{}",
                option.name
            );
        }
    }

    #[test]
    fn values_are_checked_by_kind_sec_3() {
        for bad in [
            &["--audio-format", "exe"][..],
            &["--audio-quality", "k"],
            &["--playlist-items", "1;rm"],
            &["-f", "best`x`"],
            &["--format", "a\nb"],
        ] {
            assert!(
                matches!(
                    validate_plugin_options(&strings(bad)),
                    Err(OptionRejection::BadValue(_))
                ),
                "{bad:?}"
            );
        }
        let too_many = vec!["-x".to_string(); MAX_OPTIONS + 1];
        assert_eq!(
            validate_plugin_options(&too_many),
            Err(OptionRejection::TooMany)
        );
    }
}
