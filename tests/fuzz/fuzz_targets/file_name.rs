//! SEC-49 (SEC-5): whatever a title or artist holds, the sanitizer returns one harmless path
//! component of bounded length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nas_music_checks::file_names::{sanitize_component, truncate_utf8};

const FALLBACK: &str = "Untitled";

fuzz_target!(|input: (&str, u8)| {
    let (raw, max) = input;
    // The server asks for 16 to 200 bytes; anything from the fallback's length up must hold.
    let max = usize::from(max).max(FALLBACK.len());
    let name = sanitize_component(raw, FALLBACK, max);

    assert!(!name.is_empty());
    assert!(name.len() <= max, "{name:?} is longer than {max}");
    assert!(name != "." && name != "..");
    assert!(!name.starts_with(['.', ' ']), "{name:?}");
    assert!(!name.ends_with(['.', ' ']), "{name:?}");
    for c in name.chars() {
        assert!(!c.is_control(), "control character in {name:?}");
        assert!(
            !matches!(c, '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|'),
            "{c:?} in {name:?}"
        );
    }
    let stem = name
        .split('.')
        .next()
        .unwrap_or("")
        .trim_end()
        .to_ascii_uppercase();
    assert!(
        !matches!(stem.as_str(), "CON" | "PRN" | "AUX" | "NUL"),
        "reserved device name {name:?}"
    );
    // Sanitizing is idempotent: a safe name stays as it is.
    assert_eq!(sanitize_component(&name, FALLBACK, max), name);

    let mut cut = raw.to_owned();
    truncate_utf8(&mut cut, max);
    assert!(cut.len() <= max && raw.starts_with(&cut));
});
