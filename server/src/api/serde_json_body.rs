//! `JsonBytes<T>`: a JSON response body that serde wrote from `T` (`to_json_bytes`),
//! documented in the OpenAPI document with `T`'s own schema. Being bytes, it can be kept and
//! sent again: the history page cache does (`history_pages.rs`).
//!
//! Why serde and not poem-openapi's `Json<T>`: `Json` first turns `T` into a
//! `serde_json::Value` tree (a `BTreeMap` per object, a copied `String` per field) and then
//! serialises the tree. For the history page, 50 downloads of ~30 fields each, building and
//! freeing that tree was about a fifth of the request (`perf`, `bench/README.md`). The types
//! sent this way derive both `poem_openapi::Object` (the schema) and `serde::Serialize` (the
//! bytes); `download_views::tests` pins the two to the same JSON, so the document stays true.

use bytes::Bytes;
use poem::{IntoResponse, Response};
use poem_openapi::{
    ApiResponse,
    payload::Payload,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchemaRef, Registry},
    types::Type,
};
use serde::Serialize;
use std::marker::PhantomData;

/// A JSON body written by `to_json_bytes(&T)`; see the module docs.
pub struct JsonBytes<T> {
    body: Bytes,
    // `fn() -> T`: the body says what it holds, without the type needing `T: Send`.
    holds: PhantomData<fn() -> T>,
}

impl<T: Serialize> JsonBytes<T> {
    /// `value` as JSON. Only a map with non-string keys or a failing `Serialize` impl can
    /// fail; neither exists among the types sent this way.
    pub fn write(value: &T) -> serde_json::Result<Self> {
        let mut body = Vec::with_capacity(INITIAL_CAPACITY);
        serde_json::to_writer(&mut body, value)?;
        Ok(Self::from_written(body.into()))
    }
}

impl<T> JsonBytes<T> {
    /// A body `write` produced earlier for a `T` (kept by the history page cache).
    pub fn from_written(body: Bytes) -> Self {
        Self {
            body,
            holds: PhantomData,
        }
    }

    /// The bytes, to keep (cloning `Bytes` copies no body).
    pub fn bytes(&self) -> Bytes {
        self.body.clone()
    }
}

impl<T: Type> Payload for JsonBytes<T> {
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

impl<T> IntoResponse for JsonBytes<T> {
    fn into_response(self) -> Response {
        Response::builder()
            .content_type("application/json; charset=utf-8")
            .body(self.body)
    }
}

impl<T: Type> ApiResponse for JsonBytes<T> {
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
