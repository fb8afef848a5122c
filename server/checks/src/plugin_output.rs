//! Checks on what a plugin returns. Everything a plugin says is untrusted (SEC-2, SEC-3,
//! SEC-35): its name and declared hosts at load, and the text, numbers and options of every
//! resolution. The server's `plugins/validate.rs` converts the WIT records and applies these;
//! URLs go through `url_policy`, yt-dlp options through `ytdlp_options`.

use crate::ytdlp_options::validate_plugin_options;

/// Longest text field kept from a plugin, in characters; longer text is cut.
pub const MAX_TEXT_CHARS: usize = 512;
/// Most entries one resolution may hold.
pub const MAX_ENTRIES: usize = 10_000;
/// Most host names a plugin may declare for `http-get`.
pub const MAX_DECLARED_HOSTS: usize = 64;

/// Text safe to store and show: control characters dropped, at most `MAX_TEXT_CHARS`
/// characters, trimmed; `None` when nothing is left.
pub fn clean_text(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// A plugin's name: 1 to 64 of `[a-z0-9_-]` (it names files and log lines).
pub fn check_plugin_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(format!("plugin name {name:?} must be 1-64 of [a-z0-9_-]"))
    }
}

/// The hosts a plugin may fetch: concrete names, `*.domain` wildcards, or the single `*`
/// (which the server only honours for admin-approved files, SEC-42).
pub fn check_declared_hosts(hosts: &[String]) -> Result<(), String> {
    if hosts.len() > MAX_DECLARED_HOSTS {
        return Err(format!(
            "a plugin may declare at most {MAX_DECLARED_HOSTS} hosts"
        ));
    }
    for host in hosts.iter().filter(|h| *h != "*") {
        // One wildcard label at most: `*.*.example.com` is refused (found by the
        // plugin_output fuzz target, SEC-49).
        let concrete = host.strip_prefix("*.").unwrap_or(host);
        let valid = !concrete.is_empty()
            && !concrete.contains('*')
            && concrete
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
        if !valid {
            return Err(format!(
                "declared host {host:?} is not a host name (wildcards only as *.domain)"
            ));
        }
    }
    Ok(())
}

/// Plugin-chosen yt-dlp options against the one allowlist (SEC-3), as a message.
pub fn check_options(options: &[String]) -> Result<(), String> {
    validate_plugin_options(options)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// A resolution's entry count: at least one, at most `MAX_ENTRIES`, exactly one when single.
pub fn check_entry_count(count: usize, single: bool) -> Result<(), String> {
    if count == 0 || count > MAX_ENTRIES {
        return Err(format!("{count} entries (1 to {MAX_ENTRIES} expected)"));
    }
    if single && count != 1 {
        return Err("a single resolution must have exactly one entry".into());
    }
    Ok(())
}

/// A track number worth keeping (1 to 100,000).
pub fn track_number(raw: Option<u32>) -> Option<u32> {
    raw.filter(|n| (1..=100_000).contains(n))
}

/// A duration worth keeping: finite, 0 to 1,000,000 seconds.
pub fn duration_seconds(raw: Option<f64>) -> Option<f64> {
    raw.filter(|d| d.is_finite() && (0.0..=1.0e6).contains(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_loses_control_characters_and_is_capped_sec_35() {
        assert_eq!(clean_text("  a\u{0}b\nc  ").as_deref(), Some("abc"));
        assert_eq!(clean_text(" \u{7} "), None);
        let long = "é".repeat(MAX_TEXT_CHARS + 10);
        assert_eq!(clean_text(&long).unwrap().chars().count(), MAX_TEXT_CHARS);
    }

    #[test]
    fn names_and_hosts_are_plain() {
        assert!(check_plugin_name("my-plugin_2").is_ok());
        assert!(check_plugin_name("My Plugin").is_err());
        assert!(check_plugin_name("").is_err());
        let hosts = |h: &[&str]| h.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(check_declared_hosts(&hosts(&["*.example.com", "api.x.org:8443", "*"])).is_ok());
        assert!(check_declared_hosts(&hosts(&["ex*ample.com"])).is_err());
        assert!(check_declared_hosts(&hosts(&["*."])).is_err());
        assert!(check_declared_hosts(&hosts(&["*.*.goo-"])).is_err());
        assert!(check_declared_hosts(&vec!["a.b".to_string(); 65]).is_err());
    }

    #[test]
    fn numbers_out_of_range_are_dropped() {
        assert_eq!(track_number(Some(0)), None);
        assert_eq!(track_number(Some(12)), Some(12));
        assert_eq!(duration_seconds(Some(f64::NAN)), None);
        assert_eq!(duration_seconds(Some(-1.0)), None);
        assert_eq!(duration_seconds(Some(2.5)), Some(2.5));
        assert!(check_entry_count(0, false).is_err());
        assert!(check_entry_count(2, true).is_err());
        assert!(check_entry_count(MAX_ENTRIES + 1, false).is_err());
    }
}
