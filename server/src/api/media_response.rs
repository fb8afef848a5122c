//! The HTTP answer for a download's audio file: the whole file (200), one byte range (206),
//! "not modified" (304) or "range not satisfiable" (416, a JSON body like every error).
//! poem-openapi's derive cannot give one operation a content type chosen per file, so this
//! response is written by hand and describes itself to the OpenAPI document.

use super::error::ErrorBody;
use crate::media::{
    open::OpenedFile,
    range::{self, RangeAnswer},
};
use chrono::{DateTime, Utc};
use poem::{Body, IntoResponse, Response, http::StatusCode};
use poem_openapi::{
    ApiResponse,
    registry::{
        MetaHeader, MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry,
    },
    types::Type,
};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

/// A download's file, or why not (see the module docs).
pub struct MediaFile(Response);

/// What the request asked about caching and ranges.
pub struct Conditions {
    pub range: Option<String>,
    pub if_range: Option<String>,
    pub if_none_match: Option<String>,
}

impl MediaFile {
    pub async fn answer(
        opened: OpenedFile,
        extension: &str,
        asked: Conditions,
    ) -> std::io::Result<Self> {
        let size = opened.identity.size;
        let etag = format!(
            "\"{:x}-{:x}-{:x}\"",
            opened.identity.inode,
            size,
            opened
                .modified
                .and_then(|m| m.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos())
        );
        let last_modified = opened.modified.map(|m| {
            DateTime::<Utc>::from(m)
                .format("%a, %d %b %Y %H:%M:%S GMT")
                .to_string()
        });
        let common = |builder: poem::ResponseBuilder| {
            let builder = builder
                .header("Accept-Ranges", "bytes")
                .header("ETag", etag.as_str())
                // The link in the URL expires in minutes; a private cache may keep the bytes
                // as long.
                .header("Cache-Control", "private, max-age=600");
            match &last_modified {
                Some(date) => builder.header("Last-Modified", date.as_str()),
                None => builder,
            }
        };
        if asked
            .if_none_match
            .as_deref()
            .is_some_and(|tags| tags.split(',').any(|t| t.trim() == etag || t.trim() == "*"))
        {
            return Ok(Self(
                common(Response::builder().status(StatusCode::NOT_MODIFIED)).finish(),
            ));
        }
        // If-Range: the range applies only to the version the client already has part of.
        let range_applies = match asked.if_range.as_deref().map(str::trim) {
            None => true,
            Some(validator) => validator == etag || Some(validator) == last_modified.as_deref(),
        };
        let wanted = if range_applies {
            range::answer(asked.range.as_deref(), size)
        } else {
            RangeAnswer::Full
        };
        let content_type = content_type_of(extension);
        let mut file = tokio::fs::File::from_std(opened.file);
        Ok(Self(match wanted {
            RangeAnswer::Full => common(Response::builder().status(StatusCode::OK))
                .content_type(content_type)
                .header("Content-Length", size)
                .body(Body::from_async_read(file.take(size))),
            RangeAnswer::Partial { start, end } => {
                file.seek(std::io::SeekFrom::Start(start)).await?;
                let length = end - start + 1;
                common(Response::builder().status(StatusCode::PARTIAL_CONTENT))
                    .content_type(content_type)
                    .header("Content-Range", format!("bytes {start}-{end}/{size}"))
                    .header("Content-Length", length)
                    .body(Body::from_async_read(file.take(length)))
            }
            RangeAnswer::Unsatisfiable => {
                let mut response = poem::web::Json(serde_json::json!({
                    "detail": format!("The requested range is outside the file ({size} bytes)")
                }))
                .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
                .with_header("Content-Range", format!("bytes */{size}"))
                .into_response();
                response.headers_mut().insert(
                    "Accept-Ranges",
                    poem::http::HeaderValue::from_static("bytes"),
                );
                response
            }
        }))
    }
}

/// The media type for a file extension from `jobs::output_path::ALLOWED_EXTENSIONS`.
pub fn content_type_of(extension: &str) -> &'static str {
    match extension.to_ascii_lowercase().as_str() {
        "mp3" => "audio/mpeg",
        "m4a" | "m4b" | "alac" => "audio/mp4",
        "aac" => "audio/aac",
        "flac" => "audio/flac",
        // yt-dlp's opus files are Ogg Opus.
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "aif" | "aiff" => "audio/aiff",
        "wma" => "audio/x-ms-wma",
        "weba" | "webm" => "audio/webm",
        "mka" => "audio/x-matroska",
        "mp4" | "m4v" => "video/mp4",
        "mkv" => "video/x-matroska",
        "mov" => "video/quicktime",
        _ => "application/octet-stream",
    }
}

impl IntoResponse for MediaFile {
    fn into_response(self) -> Response {
        self.0
    }
}

impl ApiResponse for MediaFile {
    fn meta() -> MetaResponses {
        let audio = || {
            vec![MetaMediaType {
                content_type: "audio/*",
                schema: MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format(
                    "string", "binary",
                ))),
            }]
        };
        let header = |name: &str, description: &str| MetaHeader {
            name: name.to_owned(),
            description: Some(description.to_owned()),
            required: false,
            deprecated: false,
            schema: String::schema_ref(),
        };
        let validators = || {
            vec![
                header("Accept-Ranges", "Always `bytes`."),
                header(
                    "ETag",
                    "Changes when the file does; send it back in `If-None-Match` or `If-Range`.",
                ),
                header("Last-Modified", "When the file last changed."),
            ]
        };
        MetaResponses {
            responses: vec![
                MetaResponse {
                    description: "The whole file; its `Content-Type` follows the file's extension (`audio/mpeg`, `audio/mp4`, `audio/ogg`, …).",
                    status: Some(200),
                    status_range: None,
                    content: audio(),
                    headers: validators(),
                },
                MetaResponse {
                    description: "The byte range asked for with `Range: bytes=…`.",
                    status: Some(206),
                    status_range: None,
                    content: audio(),
                    headers: [header("Content-Range", "`bytes start-end/size`.")]
                        .into_iter()
                        .chain(validators())
                        .collect(),
                },
                MetaResponse {
                    description: "The copy the client has (`If-None-Match`) is current.",
                    status: Some(304),
                    status_range: None,
                    content: vec![],
                    headers: vec![],
                },
                MetaResponse {
                    description: "The range lies outside the file.",
                    status: Some(416),
                    status_range: None,
                    content: vec![MetaMediaType {
                        content_type: "application/json; charset=utf-8",
                        schema: ErrorBody::schema_ref(),
                    }],
                    headers: vec![header("Content-Range", "`bytes */size`.")],
                },
            ],
        }
    }

    fn register(registry: &mut Registry) {
        ErrorBody::register(registry);
    }
}
