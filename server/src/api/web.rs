//! Serves the React web page from WEB_DIRECTORY (built by `npm run build` in `web/`):
//! static files by path, `index.html` for browser navigations to any other non-API path (the
//! page routes itself), and `GET /` as the page to browsers (`Accept: text/html`) and as JSON
//! service info to everyone else.

use poem::{
    Endpoint, IntoResponse, Request, Response, Result,
    endpoint::StaticFileEndpoint,
    http::{Method, header},
};
use std::path::{Component, Path, PathBuf};

/// Paths that always belong to the API, even when a browser asks for them.
const API_PREFIXES: [&str; 5] = ["/api/", "/auth/", "/docs", "/openapi.json", "/health"];

pub struct WithWebPage<E> {
    pub api: E,
    pub web_directory: PathBuf,
}

impl<E: Endpoint> Endpoint for WithWebPage<E> {
    type Output = Response;

    async fn call(&self, req: Request) -> Result<Self::Output> {
        if let Some(file) = self.page_file(&req) {
            // Vite names assets by content hash, so they never change; index.html must be
            // revalidated so an upgrade reaches browsers at once.
            let cache = if req.uri().path().starts_with("/assets/") {
                "public, max-age=31536000, immutable"
            } else {
                "no-cache"
            };
            let mut response = StaticFileEndpoint::new(file)
                .call(req)
                .await?
                .into_response();
            response.headers_mut().insert(
                header::CACHE_CONTROL,
                poem::http::HeaderValue::from_static(cache),
            );
            return Ok(response);
        }
        self.api.call(req).await.map(IntoResponse::into_response)
    }
}

impl<E> WithWebPage<E> {
    /// The file to serve for this request, if the web page answers it.
    fn page_file(&self, req: &Request) -> Option<PathBuf> {
        if !matches!(*req.method(), Method::GET | Method::HEAD) {
            return None;
        }
        let path = req.uri().path();
        if API_PREFIXES.iter().any(|p| path.starts_with(p)) {
            return None;
        }
        let index = self.web_directory.join("index.html");
        let wants_html = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
        if path == "/" {
            return (wants_html && index.is_file()).then_some(index);
        }
        if let Some(file) = static_file(&self.web_directory, path) {
            return Some(file);
        }
        (wants_html && index.is_file()).then_some(index)
    }
}

/// A file under `root` named by the URL path, refusing anything that is not a plain
/// relative path (no `..`, no absolute components).
fn static_file(root: &Path, url_path: &str) -> Option<PathBuf> {
    let relative = Path::new(url_path.trim_start_matches('/'));
    if relative.as_os_str().is_empty()
        || relative
            .components()
            .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = root.join(relative);
    file.is_file().then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_relative_paths_inside_the_folder_are_served() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.js"), "x").unwrap();
        assert!(static_file(dir.path(), "/app.js").is_some());
        assert!(static_file(dir.path(), "/../etc/passwd").is_none());
        assert!(static_file(dir.path(), "/missing.js").is_none());
        assert!(static_file(dir.path(), "/").is_none());
    }
}
