//! Serves the React web page: the copy built into the binary (`web/dist` at build time, see
//! `server/build.rs`), or WEB_DIRECTORY when set. Static files by path, `index.html` for
//! browser navigations to any other non-API path (the page routes itself), and `GET /` as the
//! page to browsers (`Accept: text/html`) and as JSON service info to everyone else. Page
//! responses carry the browser security headers of SEC-48.

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    endpoint::StaticFileEndpoint,
    http::{HeaderValue, Method, StatusCode, header},
};
use std::path::{Component, Path, PathBuf};

/// Paths that always belong to the API, even when a browser asks for them.
const API_PREFIXES: [&str; 6] = [
    "/api/",
    "/auth/",
    "/docs",
    "/openapi.json",
    "/health",
    "/metrics",
];

/// The page runs only its own bundled scripts (no inline script, no eval), talks only to this
/// server, and may not be framed (clickjacking). Inline styles stay allowed: React sets
/// `style` attributes.
const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; media-src 'self' blob:; \
     connect-src 'self'; font-src 'self'; manifest-src 'self'; worker-src 'self'; \
     object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// The page as built into the binary. Source maps stay out (they only help developers).
#[derive(rust_embed::Embed)]
#[folder = "../web/dist"]
#[allow_missing = true]
#[exclude = "*.map"]
struct EmbeddedPage;

/// Where the page comes from.
#[derive(Debug, Clone)]
pub enum WebPage {
    /// Built into the binary.
    Embedded,
    /// WEB_DIRECTORY.
    Directory(PathBuf),
    /// Neither has an `index.html`: the API only.
    Missing,
}

impl WebPage {
    /// WEB_DIRECTORY when set, else the built-in copy; says so when there is no page.
    pub fn choose(web_directory: Option<&Path>) -> Self {
        match web_directory {
            Some(dir) if dir.join("index.html").is_file() => Self::Directory(dir.to_path_buf()),
            Some(dir) => {
                tracing::warn!(dir = %dir.display(), "WEB_DIRECTORY has no index.html; serving the API only");
                Self::Missing
            }
            None if EmbeddedPage::get("index.html").is_some() => Self::Embedded,
            None => {
                tracing::warn!(
                    "this binary was built without the web page (npm was missing or failed at build time); serving the API only"
                );
                Self::Missing
            }
        }
    }

    /// Whether the page has a file at this relative path.
    fn has(&self, relative: &str) -> bool {
        match self {
            Self::Embedded => EmbeddedPage::get(relative).is_some(),
            Self::Directory(root) => root.join(relative).is_file(),
            Self::Missing => false,
        }
    }
}

pub struct WithWebPage<E> {
    pub api: E,
    pub page: WebPage,
}

impl<E: Endpoint> Endpoint for WithWebPage<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        let Some(file) = self.page_file(&req) else {
            return self.api.call(req).await.map(IntoResponse::into_response);
        };
        // Vite names assets by content hash, so they never change; index.html must be
        // revalidated so an upgrade reaches browsers at once.
        let cache = if file.starts_with("assets/") {
            "public, max-age=31536000, immutable"
        } else {
            "no-cache"
        };
        let mut response = match &self.page {
            WebPage::Directory(root) => StaticFileEndpoint::new(root.join(&file))
                .call(req)
                .await?
                .into_response(),
            _ => embedded_response(&req, &file),
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        Ok(response)
    }
}

impl<E> WithWebPage<E> {
    /// The page's file (a path relative to its root) that answers this request, if any.
    fn page_file(&self, req: &Request) -> Option<String> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let path = req.uri().path();
        if API_PREFIXES.iter().any(|p| path.starts_with(p)) {
            return None;
        }
        let index = self.page.has("index.html").then(|| "index.html".to_owned());
        let wants_html = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if path == "/" {
            return index.filter(|_| wants_html);
        }
        if let Some(file) = plain_relative_path(path).filter(|f| self.page.has(f)) {
            return Some(file);
        }
        index.filter(|_| wants_html)
    }
}

/// The URL path as a plain relative path (no `..`, no absolute or empty components).
fn plain_relative_path(url_path: &str) -> Option<String> {
    let mut parts = Vec::new();
    for component in Path::new(url_path.trim_start_matches('/')).components() {
        match component {
            Component::Normal(part) => parts.push(part.to_str()?),
            _ => return None,
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

/// A file of the built-in page, with its type and an ETag (a 304 when the browser has it).
fn embedded_response(req: &Request, file: &str) -> Response {
    let Some(asset) = EmbeddedPage::get(file) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", hex::encode(&asset.metadata.sha256_hash()[..16]));
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let builder = Response::builder()
        .header(header::ETAG, etag)
        .content_type(asset.metadata.mimetype());
    if fresh {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else {
        builder.body(asset.data.into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_are_page_files() {
        assert_eq!(plain_relative_path("/app.js").as_deref(), Some("app.js"));
        assert_eq!(
            plain_relative_path("/assets/x.css").as_deref(),
            Some("assets/x.css")
        );
        assert_eq!(plain_relative_path("/../etc/passwd"), None);
        assert_eq!(plain_relative_path("/a/./b"), Some("a/b".into()));
        assert_eq!(plain_relative_path("/"), None);
    }

    #[test]
    fn a_web_directory_without_index_serves_the_api_only() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(
            WebPage::choose(Some(dir.path())),
            WebPage::Missing
        ));
        std::fs::write(dir.path().join("index.html"), "x").unwrap();
        let page = WebPage::choose(Some(dir.path()));
        assert!(page.has("index.html") && !page.has("missing.js"));
    }
}
