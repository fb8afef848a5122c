//! `/health`, `/`, `/docs`, `/openapi.json`.

use crate::both_backends;
use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::Value;

both_backends!(
    async fn health_reports_healthy_with_the_database_checked(app: TestApp) {
        let r = app.get("/health", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["status"], "healthy");
        assert_eq!(body["database"], "ok");
    }
);

both_backends!(
    async fn root_answers_json_service_info(app: TestApp) {
        let r = app.get("/", None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["name"], "NAS Music Downloader");
        assert_eq!(body["status"], "running");
        assert_eq!(body["docs"], "/docs");
    }
);

#[tokio::test]
async fn health_answers_503_unhealthy_when_postgres_is_unreachable() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    // Terminate every connection of this test's database and forbid new ones.
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = sqlx::PgPool::connect(&app.database_url.replace(&name, "postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS false"))
        .execute(&admin)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&admin)
        .await
        .unwrap();
    let r = app.get("/health", None).await;
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["status"], "unhealthy");
    assert_eq!(body["database"], "unreachable");
    sqlx::query(&format!("ALTER DATABASE {name} ALLOW_CONNECTIONS true"))
        .execute(&admin)
        .await
        .unwrap();
}

#[tokio::test]
async fn docs_and_the_openapi_document_are_served() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let docs = app.get("/docs", None).await;
    assert_eq!(docs.status(), StatusCode::OK);
    assert!(docs.text().await.unwrap().contains("swagger"));
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3."));
    // Swagger's Authorize button needs the OAuth2 password flow pointing at /auth/login.
    let schemes = &spec["components"]["securitySchemes"];
    let scheme = schemes.as_object().unwrap().values().next().unwrap();
    assert_eq!(scheme["type"], "oauth2");
    assert_eq!(scheme["flows"]["password"]["tokenUrl"], "/auth/login");
    // Every operation has a summary and documented responses.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(op["summary"].is_string(), "{method} {path} has no summary");
            assert!(
                !op["responses"].as_object().unwrap().is_empty(),
                "{method} {path}"
            );
        }
    }
}

#[tokio::test]
async fn the_web_page_is_served_to_browsers_and_json_to_everyone_else() {
    let web = tempfile::tempdir().unwrap();
    std::fs::write(
        web.path().join("index.html"),
        "<!doctype html><title>NAS</title>",
    )
    .unwrap();
    std::fs::create_dir(web.path().join("assets")).unwrap();
    std::fs::write(web.path().join("assets/app.js"), "console.log(1)").unwrap();
    let dir = web.path().display().to_string();
    let app = spawn_app_with(Backend::Sqlite, &[("WEB_DIRECTORY", dir.as_str())])
        .await
        .unwrap();
    let html = |path: &str| {
        app.client
            .get(app.url(path))
            .header("accept", "text/html")
            .send()
    };
    let page = html("/").await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.headers()["cache-control"], "no-cache");
    assert!(page.text().await.unwrap().contains("<title>NAS</title>"));
    // Client-side routes fall back to the page; API paths never do.
    assert!(
        html("/admin/audit")
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .contains("<title>NAS</title>")
    );
    assert_eq!(
        html("/api/nothing").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let js = app.get("/assets/app.js", None).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.headers()["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    assert_eq!(js.text().await.unwrap(), "console.log(1)");
    let info: Value = app.get("/", None).await.json().await.unwrap();
    assert_eq!(info["name"], "NAS Music Downloader");
    assert_error(
        app.get("/../../etc/passwd", None).await,
        StatusCode::NOT_FOUND,
    )
    .await;
}

#[tokio::test]
async fn the_server_stops_cleanly_when_its_shutdown_signal_fires_sec_31() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let address = app.url("/health");
    let started = std::time::Instant::now();
    app.stop().await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(
        reqwest::get(address).await.is_err(),
        "still listening after shutdown"
    );
}

/// `/health` once the background tool preflight is done.
async fn health_after_preflight(app: &TestApp, token: Option<&str>) -> Value {
    for _ in 0..200 {
        let body: Value = app.get("/health", token).await.json().await.unwrap();
        if body["preflight"] == "done" {
            return body;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the tool preflight did not finish");
}

#[tokio::test]
async fn health_reports_every_tool_and_shows_versions_to_admins_only_sec_48() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let admin = app.user_token("first-admin").await;
    let user = app.user_token("ordinary").await;
    for token in [None, Some(user.as_str())] {
        let health = health_after_preflight(&app, token).await;
        for tool in ["ytdlp", "ytdlp_ejs", "js_runtime", "ffmpeg", "ffprobe"] {
            assert_eq!(health["tools"][tool]["status"], "ok", "{tool}: {health}");
            assert!(health["tools"][tool].get("version").is_none(), "{health}");
        }
        assert!(health.get("output_free_bytes").is_none(), "{health}");
        assert_eq!(health["output_writable"], true);
    }
    let health = health_after_preflight(&app, Some(&admin)).await;
    assert!(
        health["tools"]["js_runtime"]["version"]
            .as_str()
            .is_some_and(|v| v.starts_with("deno ")),
        "{health}"
    );
    assert!(health["tools"]["ytdlp"]["version"].is_string(), "{health}");
    assert!(health["output_free_bytes"].as_u64().is_some(), "{health}");
}

#[tokio::test]
async fn health_says_missing_for_a_tool_that_is_not_there() {
    let app = spawn_app_with(Backend::Sqlite, &[("FFMPEG_PATH", "/nonexistent/ffmpeg")])
        .await
        .unwrap();
    let health = health_after_preflight(&app, None).await;
    assert_eq!(health["tools"]["ffmpeg"]["status"], "missing", "{health}");
    assert_eq!(health["tools"]["ytdlp"]["status"], "ok", "{health}");
}

#[tokio::test]
async fn the_page_built_into_the_binary_is_served_with_security_headers_sec_48() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let page = app
        .client
        .get(app.url("/"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    let is_page = page
        .headers()
        .get("content-type")
        .is_some_and(|t| t.to_str().unwrap().starts_with("text/html"));
    if !is_page && std::env::var("CI").as_deref() != Ok("true") {
        eprintln!("skipping: this build has no web page inside (npm was missing at build time)");
        return;
    }
    assert!(is_page, "the binary serves its built-in page");
    let headers = page.headers().clone();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(
        csp.contains("script-src 'self';"),
        "no inline script: {csp}"
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["referrer-policy"], "no-referrer");
    assert_eq!(headers["x-frame-options"], "DENY");
    let html = page.text().await.unwrap();
    assert!(html.contains("<div id=\"root\">"), "{html}");
    // The page's script, served from the binary with a validator; a revalidation is a 304.
    let script = html
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("the page loads a script");
    let js = app.get(script, None).await;
    assert_eq!(js.status(), StatusCode::OK);
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("javascript")
    );
    let etag = js.headers()["etag"].clone();
    let again = app
        .client
        .get(app.url(script))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
}
