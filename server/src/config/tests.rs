//! Reading the configuration: defaults, tools, secrets, and refusals that name their variable.

use super::*;
use std::collections::HashMap;

fn config(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| map.get(k).cloned())
}

const KEY: (&str, &str) = ("SECRET_KEY", "0123456789abcdef0123456789abcdef");

#[test]
fn defaults_need_no_environment() {
    let dir = tempdir();
    let c = config(&[("DATA_DIRECTORY", dir.to_str().unwrap())]).unwrap();
    assert_eq!(c.port, 8000);
    assert_eq!(c.host, "0.0.0.0");
    assert_eq!(c.access_token_expire_minutes, 30);
    assert_eq!(c.algorithm, Algorithm::HS256);
    assert!(c.database_url.starts_with("sqlite://"));
    assert_eq!(c.plugin_directory, dir.join("plugins"));
    assert_eq!(c.registration, RegistrationPolicy::Open);
    assert_eq!(c.address_policy, AddressPolicy::PublicOnly);
    assert_eq!(c.web_directory, None, "the embedded page by default");
    let tools = std::env::current_dir().unwrap().join(".venv/bin");
    assert_eq!(c.tools.ytdlp, tools.join("yt-dlp"));
    assert_eq!(c.tools.js_runtime, tools.join("deno"));
    assert_eq!(c.tools.ffmpeg, tools.join("ffmpeg"));
    assert_eq!(c.tools.ffprobe, tools.join("ffprobe"));
    assert_eq!(c.tools.python, tools.join("python3"));
    assert_eq!(c.ytdlp_updates.index_url, "https://pypi.org");
    assert_eq!(c.ytdlp_updates.wheel_directory, None);
    assert!(c.ytdlp_updates.auto_update, "a daily check by default");
}

#[test]
fn tools_come_from_tools_directory_unless_set_one_by_one() {
    let c = config(&[
        KEY,
        ("TOOLS_DIRECTORY", "/opt/tools"),
        ("FFMPEG_PATH", "/usr/local/bin/ffmpeg"),
        ("DENO_PATH", "relative/deno"),
        ("FFPROBE_PATH", "no-such-tool-anywhere"),
    ])
    .unwrap();
    assert_eq!(c.tools.ytdlp, Path::new("/opt/tools/bin/yt-dlp"));
    assert_eq!(c.tools.ffmpeg, Path::new("/usr/local/bin/ffmpeg"));
    assert_eq!(
        c.tools.js_runtime,
        std::env::current_dir().unwrap().join("relative/deno")
    );
    assert_eq!(c.tools.ffprobe, Path::new("no-such-tool-anywhere"));
}

#[test]
fn weak_secret_key_is_refused_sec_18() {
    let err = config(&[("SECRET_KEY", "short")]).unwrap_err();
    assert_eq!(err.variable, "SECRET_KEY");
    assert!(err.message.contains("at least 32 bytes"));
}

#[test]
fn placeholder_secret_keys_are_refused_sec_18() {
    for placeholder in ["a".repeat(32), "ab".repeat(20), "changeme".repeat(4)] {
        let err = config(&[("SECRET_KEY", placeholder.as_str())]).unwrap_err();
        assert_eq!(err.variable, "SECRET_KEY");
        assert!(err.message.contains("placeholder"), "{}", err.message);
    }
    assert!(config(&[KEY]).is_ok(), "a hex key passes");
}

#[test]
fn missing_secret_key_is_generated_once_and_kept_private_sec_18() {
    let dir = tempdir();
    let vars = [("DATA_DIRECTORY", dir.to_str().unwrap())];
    let parsed = config(&vars).unwrap();
    assert!(
        !dir.join(GENERATED_KEY_FILE).exists(),
        "reading the configuration writes nothing"
    );
    let first = Identity::load(&parsed).unwrap();
    let second = Identity::load(&config(&vars).unwrap()).unwrap();
    assert_eq!(first.secret_key.expose(), second.secret_key.expose());
    assert!(first.secret_key.expose().len() >= 32);
    assert_eq!(
        first.instance_id, second.instance_id,
        "kept across restarts"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join(GENERATED_KEY_FILE))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert_eq!(format!("{:?}", first.secret_key), "SecretKey(<redacted>)");
}

#[test]
fn bad_values_name_their_variable() {
    for (var, value) in [
        ("PORT", "eighty"),
        ("ALGORITHM", "none"),
        ("ALGORITHM", "RS256"),
        ("ACCESS_TOKEN_EXPIRE_MINUTES", "0"),
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysql://x"),
        ("CORS_ORIGINS", "*"),
        ("LOG_FORMAT", "xml"),
        ("OUTPUT_TEMPLATE", "{title}"),
        ("ALBUM_OUTPUT_TEMPLATE", "{album}/{title}"),
        ("ALBUM_OUTPUT_TEMPLATE", "{album}/{genre}.{ext}"),
        ("PLAYLIST_FOLDER", "/srv/playlists"),
        ("PLAYLIST_FOLDER", "../playlists"),
        ("MAX_DOWNLOAD_ATTEMPTS", "0"),
        ("MAX_DOWNLOAD_ATTEMPTS", "-1"),
        ("JOB_STALE_AFTER_SECONDS", "0.1"),
        ("PLUGIN_CALL_TIMEOUT_MS", "1"),
        ("MAX_CONCURRENT_DOWNLOADS", "0"),
        ("HISTORY_CACHE_MB", "2048"),
        ("HISTORY_CACHE_MB", "-1"),
        ("PLUGIN_MEMORY_LIMIT_MIB", "99999"),
        ("INSTANCE_ID", "a/b"),
        ("YTDLP_AUTO_UPDATE", "hourly"),
        ("YTDLP_PACKAGE_INDEX", "file:///etc"),
        ("YTDLP_PACKAGE_INDEX", "not a url"),
    ] {
        let err = config(&[KEY, (var, value)]).unwrap_err();
        assert_eq!(err.variable, var, "{var}={value}");
        assert!(!err.message.is_empty());
    }
}

#[test]
fn allow_private_urls_takes_a_boolean_or_a_cidr_list_sec_40() {
    let policy =
        |value: &str| config(&[KEY, ("ALLOW_PRIVATE_URLS", value)]).map(|c| c.address_policy);
    assert_eq!(policy("true").unwrap(), AddressPolicy::AllowPrivate);
    assert_eq!(policy("false").unwrap(), AddressPolicy::PublicOnly);
    let listed = policy("127.0.0.1/32,192.168.1.0/24").unwrap();
    assert!(listed.allows("192.168.1.20".parse().unwrap()));
    assert!(!listed.allows("127.0.0.2".parse().unwrap()));
    assert!(!listed.allows("169.254.169.254".parse().unwrap()));
    for bad in ["maybe", "192.168.1.0/24,x", "10.0.0.0/40"] {
        let err = policy(bad).unwrap_err();
        assert_eq!(err.variable, "ALLOW_PRIVATE_URLS", "{bad}");
        assert!(err.to_string().contains("ALLOW_PRIVATE_URLS"), "{err}");
        assert!(
            err.message.contains("CIDR") || err.message.contains("network"),
            "{err}"
        );
    }
}

fn tempdir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("nmd-config-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn job_limits_have_generous_defaults_and_refuse_out_of_range_values_sec_41() {
    let c = config(&[KEY]).unwrap();
    assert_eq!(c.job_limits, crate::domain::JobLimits::default());
    assert_eq!(c.job_limits.time_limit, Duration::from_secs(7200));
    assert_eq!(c.job_limits.max_playlist_entries, 500);
    let c = config(&[
        KEY,
        ("JOB_TIME_LIMIT_SECONDS", "3"),
        ("MAX_FILE_SIZE_MB", "1"),
        ("MIN_FREE_SPACE_MB", "0"),
        ("MAX_QUEUED_DOWNLOADS_PER_USER", "10"),
        ("MAX_RUNNING_DOWNLOADS_PER_USER", "1"),
        ("MAX_PLAYLIST_ENTRIES", "20"),
    ])
    .unwrap();
    assert_eq!(c.job_limits.time_limit, Duration::from_secs(3));
    assert_eq!(c.job_limits.max_file_bytes, 1 << 20);
    assert_eq!(c.job_limits.min_free_bytes, 0);
    assert_eq!(c.job_limits.max_active_per_user, 10);
    assert_eq!(c.job_limits.max_running_per_user, 1);
    assert_eq!(c.job_limits.max_playlist_entries, 20);
    for (variable, value) in [
        ("JOB_TIME_LIMIT_SECONDS", "0"),
        ("MAX_FILE_SIZE_MB", "0"),
        ("MIN_FREE_SPACE_MB", "-1"),
        ("MAX_QUEUED_DOWNLOADS_PER_USER", "0"),
        ("MAX_RUNNING_DOWNLOADS_PER_USER", "lots"),
        ("MAX_PLAYLIST_ENTRIES", "100000"),
    ] {
        let err = config(&[KEY, (variable, value)]).unwrap_err();
        assert_eq!(err.variable, variable, "{err}");
    }
}

#[test]
fn metrics_token_is_optional_checked_compared_whole_and_never_shown() {
    assert!(config(&[KEY]).unwrap().metrics_token.is_none());
    for weak in ["short", "sixteen chars ok but spaced"] {
        let err = config(&[KEY, ("METRICS_TOKEN", weak)]).unwrap_err();
        assert_eq!(err.variable, "METRICS_TOKEN", "{weak}");
    }
    let secret = "scrape-0123456789abcdef";
    let c = config(&[KEY, ("METRICS_TOKEN", secret)]).unwrap();
    let token = c.metrics_token.as_ref().unwrap();
    assert!(token.matches(secret));
    for wrong in [
        "",
        "scrape-0123456789abcde",
        "scrape-0123456789abcdef0",
        "x",
    ] {
        assert!(!token.matches(wrong), "{wrong}");
    }
    assert!(!format!("{c:?}").contains(secret), "Debug redacts it");
}
