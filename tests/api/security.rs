//! Cross-cutting security requirements over HTTP: SEC-10, SEC-16, SEC-19, SEC-33, SEC-34.

use crate::both_backends;
use crate::helpers::*;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TEST_SECRET: &[u8] = b"test-secret-key-0123456789abcdef-0123456789";

fn forge(alg: Algorithm, secret: &[u8], claims: Value) -> String {
    jsonwebtoken::encode(
        &Header::new(alg),
        &claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

fn claims(user_id: i64, exp_offset: i64, nbf_offset: i64, typ: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    json!({"sub": user_id.to_string(), "username": "alice", "iat": now, "nbf": now + nbf_offset,
           "exp": now + exp_offset, "jti": uuid::Uuid::new_v4().to_string(), "typ": typ, "gen": 0})
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..=c.len() {
            out.push(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
    }
    out
}

both_backends!(
    async fn forged_and_stale_tokens_are_refused_with_401_sec_10(app: TestApp) {
        let token = app.user_token("alice").await;
        let me: Value = app
            .get("/auth/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let id = me["id"].as_i64().unwrap();
        // A correctly signed token is accepted: the forging below is otherwise sound.
        let good = forge(Algorithm::HS256, TEST_SECRET, claims(id, 600, 0, "access"));
        assert_eq!(
            app.get("/auth/me", Some(&good)).await.status(),
            StatusCode::OK
        );

        let none = format!(
            "{}.{}.",
            b64(br#"{"alg":"none","typ":"JWT"}"#),
            b64(claims(id, 600, 0, "access").to_string().as_bytes())
        );
        let mut tampered = good.clone();
        tampered.replace_range(tampered.len() - 3.., "AAA");
        let bad_tokens = [
            none,
            tampered,
            forge(Algorithm::HS512, TEST_SECRET, claims(id, 600, 0, "access")),
            forge(
                Algorithm::HS256,
                b"another-secret-another-secret-1234",
                claims(id, 600, 0, "access"),
            ),
            forge(
                Algorithm::HS256,
                TEST_SECRET,
                claims(id, -60, -120, "access"),
            ),
            forge(
                Algorithm::HS256,
                TEST_SECRET,
                claims(id, 600, 120, "access"),
            ),
            forge(Algorithm::HS256, TEST_SECRET, claims(id, 600, 0, "refresh")),
            forge(
                Algorithm::HS256,
                TEST_SECRET,
                claims(9999, 600, 0, "access"),
            ),
            "not.a.jwt".to_owned(),
            String::new(),
        ];
        for bad in bad_tokens {
            let r = app.get("/auth/me", Some(&bad)).await;
            assert_eq!(
                r.headers()
                    .get("www-authenticate")
                    .map(|v| v.to_str().unwrap()),
                Some("Bearer")
            );
            assert_error(r, StatusCode::UNAUTHORIZED).await;
        }
    }
);

#[tokio::test]
async fn every_operation_without_a_token_is_401_except_the_public_ones_sec_16() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let spec: Value = app.get("/openapi.json", None).await.json().await.unwrap();
    let public = [
        "post /auth/register",
        "post /auth/login",
        "get /health",
        "get /",
    ];
    let mut checked = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            let key = format!("{method} {path}");
            let concrete = path.replace("{id}", "1").replace("{name}", "direct-media");
            let request = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
                .header("content-type", "application/json")
                .body("{}");
            let status = request.send().await.unwrap().status();
            if public.contains(&key.as_str()) {
                assert_ne!(status, StatusCode::UNAUTHORIZED, "{key} must be public");
            } else {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{key} must need a token");
                checked += 1;
            }
        }
    }
    assert!(checked >= 6, "only {checked} protected operations found");
}

#[tokio::test]
async fn cors_answers_only_the_configured_origins_sec_19() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    for method in ["GET", "OPTIONS"] {
        let allowed = app
            .client
            .request(method.parse().unwrap(), app.url("/health"))
            .header("origin", "http://allowed.example")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert_eq!(
            allowed.headers()["access-control-allow-origin"],
            "http://allowed.example"
        );
        let unknown = app
            .client
            .request(method.parse().unwrap(), app.url("/health"))
            .header("origin", "http://evil.example")
            .header("access-control-request-method", "GET")
            .send()
            .await
            .unwrap();
        assert!(
            unknown
                .headers()
                .get("access-control-allow-origin")
                .is_none()
        );
        assert!(
            unknown
                .headers()
                .get("access-control-allow-methods")
                .is_none()
        );
    }
}

#[tokio::test]
async fn unknown_routes_wrong_methods_and_huge_bodies_get_json_errors_sec_34() {
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    assert_error(app.get("/no/such/path", None).await, StatusCode::NOT_FOUND).await;
    let r = app
        .client
        .delete(app.url("/auth/login"))
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::METHOD_NOT_ALLOWED).await;
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::PAYLOAD_TOO_LARGE).await;
    let r = app
        .client
        .post(app.url("/auth/register"))
        .header("content-type", "text/plain")
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_error(r, StatusCode::UNPROCESSABLE_ENTITY).await;
}

both_backends!(
    async fn concurrent_registrations_and_logins_never_fail_with_a_locked_database_sec_33(
        app: TestApp,
    ) {
        let mut tasks = Vec::new();
        for i in 0..24 {
            let client = app.client.clone();
            let url = app.url("/auth/register");
            tasks.push(tokio::spawn(async move {
                client
                    .post(url)
                    .json(&json!({"username": format!("user{i}"), "email": format!("u{i}@example.com"), "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap()
                    .status()
            }));
        }
        let mut admins = 0;
        for t in tasks {
            assert_eq!(t.await.unwrap(), StatusCode::CREATED);
        }
        let token = app.user_token("user0").await;
        let me: Value = app
            .get("/auth/me", Some(&token))
            .await
            .json()
            .await
            .unwrap();
        let _ = me;
        for i in 0..24 {
            let t = app.user_token(&format!("user{i}")).await;
            let me: Value = app.get("/auth/me", Some(&t)).await.json().await.unwrap();
            if me["is_admin"] == true {
                admins += 1;
            }
        }
        assert_eq!(
            admins, 1,
            "exactly one of the concurrent first registrations became admin"
        );
    }
);
