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
    let Some(app) = spawn_app(Backend::Postgres).await else { return };
    // Terminate every connection of this test's database and forbid new ones.
    let name = app.database_url.rsplit('/').next().unwrap().to_owned();
    let admin = sqlx::PgPool::connect(&app.database_url.replace(&name, "postgres")).await.unwrap();
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
            assert!(!op["responses"].as_object().unwrap().is_empty(), "{method} {path}");
        }
    }
}
