//! `SerdeJson<T>`: a JSON response body that serde writes straight from `T`, documented in
//! the OpenAPI document with `T`'s own schema.
//!
//! Why not poem-openapi's `Json<T>`: it first turns `T` into a `serde_json::Value` tree (a
//! `BTreeMap` per object, a copied `String` per field) and then serialises the tree. For the
//! history page, 50 downloads of ~30 fields each, building and freeing that tree was about a
//! fifth of the request (`perf`, `bench/README.md`). The types sent this way derive both
//! `poem_openapi::Object` (the schema) and `serde::Serialize` (the bytes);
//! `download_views::tests` pins the two to the same JSON, so the document stays true.

use poem::{IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
    types::Type,
};
use serde::Serialize;

/// A JSON body serialised by serde; see the module docs.
pub struct SerdeJson<T>(pub T);

impl<T: Type> Payload for SerdeJson<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// What the body's buffer starts with: a history page of 50 downloads is about 32 KiB
/// (31.5 in the bench), and `to_vec`'s buffer, starting at 128 bytes and doubling, copied
/// the page's bytes eight times on the way (`perf`: 2 % of the page's time).
const INITIAL_CAPACITY: usize = 40 * 1024;

impl<T: Serialize + Send> IntoResponse for SerdeJson<T> {
    fn into_response(self) -> Response {
        let mut body = Vec::with_capacity(INITIAL_CAPACITY);
        match serde_json::to_writer(&mut body, &self.0) {
            Ok(()) => Response::builder()
                .content_type("application/json; charset=utf-8")
                .body(body),
            // Only a map with non-string keys or a failing `Serialize` impl can get here;
            // neither exists among the types sent this way.
            Err(error) => {
                tracing::error!(%error, "a response body could not be serialised");
                Response::builder()
                    .status(StatusCode::INTERNAL_SERVER_ERROR)
                    .content_type("application/json; charset=utf-8")
                    .body(r#"{"detail":"Internal server error"}"#)
            }
        }
    }
}

impl<T: Type + Serialize + Send> ApiResponse for SerdeJson<T> {
    fn meta() -> MetaResponses {
        MetaResponses {
            responses: vec![MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: Self::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

/// Timestamps as poem-openapi writes them (`to_rfc3339`: `+00:00`, not serde's `Z`), so a
/// body is the same whichever way it was serialised.
pub mod rfc3339 {
    use chrono::{DateTime, Utc};
    use serde::Serializer;

    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&at.to_rfc3339())
    }

    /// The same for an optional timestamp (`null` when absent).
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::Serializer;

        pub fn serialize<S: Serializer>(
            at: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match at {
                Some(at) => s.serialize_str(&at.to_rfc3339()),
                None => s.serialize_none(),
            }
        }
    }
}
