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
