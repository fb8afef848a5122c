//! Metadata scraping helpers: `<meta>` tags, `<title>`, entities, titles from file names,
//! JSON paths.

/// The `content` of the first `<meta>` whose `property` or `name` is `key`
/// (e.g. `og:title`, `twitter:audio:artist_name`), entity-decoded.
pub fn meta_content(html: &str, key: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let mut from = 0;
    while let Some(start) = lower[from..].find("<meta") {
        let start = from + start;
        let end = start + lower[start..].find('>')?;
        let tag = &html[start..end];
        let named = ["property", "name", "itemprop"]
            .iter()
            .any(|a| attribute(tag, a).is_some_and(|v| v.eq_ignore_ascii_case(key)));
        if let Some(content) = attribute(tag, "content").filter(|_| named) {
            return Some(unescape(&content));
        }
        from = end;
    }
    None
}

/// The text of the first `<title>`, trimmed and entity-decoded.
pub fn title(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let body = open + lower[open..].find('>')? + 1;
    let close = body + lower[body..].find("</title")?;
    let text = unescape(html[body..close].trim());
    (!text.is_empty()).then_some(text)
}

/// The value of attribute `name` in a tag's source (`name="v"`, `name='v'` or `name=v`).
pub fn attribute(tag: &str, name: &str) -> Option<String> {
    let lower = tag.to_ascii_lowercase();
    let mut from = 0;
    while let Some(pos) = lower[from..].find(name) {
        let pos = from + pos;
        from = pos + name.len();
        let before_ok = pos == 0 || lower.as_bytes()[pos - 1].is_ascii_whitespace();
        let rest = tag[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let value = rest[1..].trim_start();
        return Some(match value.chars().next()? {
            q @ ('"' | '\'') => value[1..].split(q).next()?.to_owned(),
            // Unquoted: up to whitespace; a `/` that ends the tag closes it (`content=x/>`).
            _ => match value.split_once(char::is_whitespace) {
                Some((v, _)) => v.to_owned(),
                None => value.strip_suffix('/').unwrap_or(value).to_owned(),
            },
        });
    }
    None
}

/// Decodes the common HTML entities and numeric references.
pub fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        rest = &rest[amp..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let entity = &rest[1..semi];
        let decoded = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" | "#39" => Some('\''),
            "nbsp" => Some(' '),
            _ => entity
                .strip_prefix("#x")
                .or_else(|| entity.strip_prefix("#X"))
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A title from a URL path's file name: the last segment without its extension,
/// percent-decoded, `_` as spaces: `/a/My%20Song_01.mp3` → `My Song 01`.
pub fn title_from_path(path: &str) -> Option<String> {
    let file = path.rsplit('/').next()?;
    let stem = file.rsplit_once('.').map_or(file, |(stem, _)| stem);
    let decoded = percent_decode(stem).replace('_', " ");
    let trimmed = decoded.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// Decodes `%XX` escapes; invalid escapes stay as they are, invalid UTF-8 becomes U+FFFD.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Follows a dotted path (`"a.b.0.c"`) into a JSON value.
pub fn json_path<'a>(value: &'a serde_json::Value, path: &str) -> Option<&'a serde_json::Value> {
    path.split('.')
        .try_fold(value, |v, key| match key.parse::<usize>() {
            Ok(i) if v.is_array() => v.get(i),
            _ => v.get(key),
        })
}

/// A string at a JSON path, if it is a non-empty string.
pub fn json_str(value: &serde_json::Value, path: &str) -> Option<String> {
    json_path(value, path)?
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = r#"<html><head><title> A &amp; B </title>
        <meta content="Song &#8211; Name" property="og:title">
        <meta name='twitter:audio:artist_name' content='Artist'/>
        <meta property=og:type content=music.song></head></html>"#;

    #[test]
    fn unquoted_attribute_values_may_contain_slashes() {
        let tag = "<audio src=https://cdn.example.org/a/b.mp3 title=x";
        assert_eq!(
            attribute(tag, "src").as_deref(),
            Some("https://cdn.example.org/a/b.mp3")
        );
        assert_eq!(
            attribute("<meta content=a/b/", "content").as_deref(),
            Some("a/b")
        );
    }

    #[test]
    fn meta_tags_and_titles_are_scraped_in_any_attribute_order() {
        assert_eq!(
            meta_content(PAGE, "og:title").as_deref(),
            Some("Song – Name")
        );
        assert_eq!(
            meta_content(PAGE, "twitter:audio:artist_name").as_deref(),
            Some("Artist")
        );
        assert_eq!(meta_content(PAGE, "og:type").as_deref(), Some("music.song"));
        assert_eq!(meta_content(PAGE, "og:image"), None);
        assert_eq!(title(PAGE).as_deref(), Some("A & B"));
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for s in [
            "<meta",
            "<meta content=",
            "<title>",
            "&#xZZ;",
            "&",
            "<meta name=\"x",
        ] {
            let _ = meta_content(s, "x");
            let _ = title(s);
            let _ = unescape(s);
        }
    }

    #[test]
    fn titles_come_from_file_names() {
        assert_eq!(
            title_from_path("/music/My%20Song_01.MP3").as_deref(),
            Some("My Song 01")
        );
        assert_eq!(title_from_path("/plain").as_deref(), Some("plain"));
        for odd in ["", "/", "/.mp3", "/%", "/%zz.mp3", "/%FF%FE.mp3"] {
            let _ = title_from_path(odd);
        }
        assert_eq!(title_from_path("/dir/"), None);
        assert_eq!(percent_decode("100%25%2"), "100%%2");
    }

    #[test]
    fn json_paths_walk_objects_and_arrays() {
        let v = serde_json::json!({"a": {"b": [{"c": "x"}]}});
        assert_eq!(json_str(&v, "a.b.0.c").as_deref(), Some("x"));
        assert_eq!(json_str(&v, "a.z"), None);
    }
}
