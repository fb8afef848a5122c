//! SEC-49 (SEC-2, SEC-3, SEC-35): the checks on what a plugin returns — its name and
//! declared hosts, its text fields and numbers, its yt-dlp options — on any values.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use nas_music_checks::plugin_output::{
    MAX_TEXT_CHARS, check_declared_hosts, check_entry_count, check_options, check_plugin_name,
    clean_text, duration_seconds, track_number,
};
use nas_music_checks::ytdlp_options::{FORBIDDEN_LONG, MAX_OPTIONS};

#[derive(Debug, Arbitrary)]
struct PluginOutput<'a> {
    name: &'a str,
    hosts: Vec<&'a str>,
    text: &'a str,
    options: Vec<String>,
    entries: u16,
    single: bool,
    track: Option<u32>,
    duration: Option<f64>,
}

fuzz_target!(|out: PluginOutput<'_>| {
    if check_plugin_name(out.name).is_ok() {
        assert!((1..=64).contains(&out.name.len()));
        assert!(
            out.name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        );
    }

    let hosts: Vec<String> = out.hosts.iter().map(|h| h.to_string()).collect();
    if check_declared_hosts(&hosts).is_ok() {
        for host in hosts.iter().filter(|h| *h != "*") {
            let concrete = host.strip_prefix("*.").unwrap_or(host);
            assert!(!concrete.is_empty() && !concrete.contains('*'), "{host:?}");
            assert!(!concrete.contains(['/', '@', '?', '#', ' ']), "{host:?}");
        }
    }

    if let Some(text) = clean_text(out.text) {
        assert!(!text.is_empty() && text.chars().count() <= MAX_TEXT_CHARS);
        assert!(!text.chars().any(char::is_control));
        assert_eq!(text.trim(), text);
    }

    if check_options(&out.options).is_ok() {
        assert!(out.options.len() <= MAX_OPTIONS);
        for token in out
            .options
            .iter()
            .filter(|t| t.starts_with("--") && t.len() > 2)
        {
            // yt-dlp takes any unambiguous prefix of a long option: no accepted token may be
            // a forbidden option, a prefix of one, or one with a value attached.
            let name = token.split('=').next().unwrap_or(token);
            for forbidden in FORBIDDEN_LONG {
                assert!(
                    !forbidden.starts_with(name),
                    "{token:?} could mean {forbidden}"
                );
                assert!(
                    !name.starts_with(forbidden),
                    "{token:?} extends {forbidden}"
                );
            }
        }
    }

    let count = usize::from(out.entries);
    if check_entry_count(count, out.single).is_ok() {
        assert!(count >= 1 && (!out.single || count == 1));
    }
    if let Some(n) = track_number(out.track) {
        assert!(n >= 1);
    }
    if let Some(d) = duration_seconds(out.duration) {
        assert!(d.is_finite() && d >= 0.0);
    }
});
