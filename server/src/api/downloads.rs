//! `/api/download` and `/api/downloads/*`: submit, list, read, cancel, retry, delete, and the
//! live event stream. Every operation sees only the caller's own downloads (SEC-17).

use super::{
    admin::{default_page, default_per_page},
    error::ApiResult,
    models::page_count,
};
use crate::{
    auth::BearerAuth,
    downloads::{self, DownloadView, Submitted},
    jobs::AudioFormat,
    state::AppState,
    store::{DownloadFilter, PageRequest},
};
use futures_util::{StreamExt, stream::BoxStream};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Enum, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::{EventStream, Json},
};
use std::{sync::Arc, time::Duration};

#[derive(Tags)]
enum DownloadTags {
    /// Downloads
    Downloads,
}

/// The audio format to keep: `best` keeps the source's audio without re-encoding.
#[derive(Debug, Clone, Copy, Default, Enum)]
#[oai(rename_all = "lowercase")]
pub enum DownloadFormat {
    #[default]
    Best,
    Mp3,
    M4a,
    Opus,
    Flac,
}

impl From<DownloadFormat> for AudioFormat {
    fn from(f: DownloadFormat) -> Self {
        match f {
            DownloadFormat::Best => AudioFormat::Best,
            DownloadFormat::Mp3 => AudioFormat::Mp3,
            DownloadFormat::M4a => AudioFormat::M4a,
            DownloadFormat::Opus => AudioFormat::Opus,
            DownloadFormat::Flac => AudioFormat::Flac,
        }
    }
}

#[derive(Debug, Object)]
pub struct DownloadRequest {
    /// An http(s) URL of a track, album, playlist or media file (at most 2048 bytes).
    #[oai(validator(max_length = 4096))]
    pub url: String,
    pub format: Option<DownloadFormat>,
}

#[derive(Debug, Object)]
pub struct DownloadPage {
    pub items: Vec<DownloadView>,
    pub total: i64,
    pub page: u32,
    pub per_page: u32,
    pub pages: i64,
}

#[derive(ApiResponse)]
enum SubmitResponse {
    /// Queued.
    #[oai(status = 202)]
    Accepted(Json<DownloadView>),
    /// The same URL and format is already queued or running: that download.
    #[oai(status = 200)]
    Existing(Json<DownloadView>),
}

#[derive(ApiResponse)]
enum DownloadsListed {
    #[oai(status = 200)]
    Ok(Json<DownloadPage>),
}

#[derive(ApiResponse)]
enum OneDownload {
    #[oai(status = 200)]
    Ok(Json<DownloadView>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// Removed from the history (and the file, if asked).
    #[oai(status = 204)]
    NoContent,
}

pub struct DownloadsApi;

#[OpenApi(tag = "DownloadTags::Downloads")]
impl DownloadsApi {
    /// Download a URL
    ///
    /// Validates the URL (http/https, no private addresses unless allowed), picks the plugin
    /// that handles it (422 if none) and queues it. Returns 200 with the existing download
    /// when the same URL and format is already active.
    #[oai(path = "/api/download", method = "post")]
    async fn submit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<DownloadRequest>,
    ) -> ApiResult<SubmitResponse> {
        let format = body.0.format.unwrap_or_default().into();
        Ok(
            match downloads::submit(&state, &auth.0, &body.0.url, format).await? {
                Submitted::Created(d) => SubmitResponse::Accepted(Json(d)),
                Submitted::Existing(d) => SubmitResponse::Existing(Json(d)),
            },
        )
    }

    /// Your downloads
    ///
    /// Newest first. Filter by `status` and search title, artist and URL with `q`.
    #[oai(path = "/api/downloads", method = "get")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        #[oai(
            default = "default_page",
            validator(minimum(value = "1"), maximum(value = "1000000"))
        )]
        page: Query<u32>,
        #[oai(
            default = "default_per_page",
            validator(minimum(value = "1"), maximum(value = "100"))
        )]
        per_page: Query<u32>,
        /// `pending`, `downloading`, `completed`, `failed` or `cancelled`.
        status: Query<Option<String>>,
        #[oai(validator(max_length = 200))] q: Query<Option<String>>,
    ) -> ApiResult<DownloadsListed> {
        let filter = DownloadFilter {
            status: status.0.filter(|s| !s.is_empty()),
            query: q.0.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        };
        let result = downloads::list(
            &state,
            &auth.0,
            filter,
            PageRequest {
                page: page.0,
                per_page: per_page.0,
            },
        )
        .await?;
        Ok(DownloadsListed::Ok(Json(DownloadPage {
            items: result.items,
            total: result.total,
            page: page.0,
            per_page: per_page.0,
            pages: page_count(result.total, per_page.0),
        })))
    }

    /// Live download events (Server-Sent Events)
    ///
    /// Each event is `event: download` with the full download as JSON `data`, for every
    /// status change and progress update (a few per second at most) of your downloads.
    /// Send the bearer token in the `Authorization` header.
    #[oai(path = "/api/downloads/events", method = "get")]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> EventStream<BoxStream<'static, DownloadView>> {
        let user_id = auth.0.user.id;
        let receiver = state.events.subscribe();
        let stop = state.shutdown.clone();
        let stream =
            futures_util::stream::unfold((receiver, stop), move |(mut rx, stop)| async move {
                loop {
                    let next = tokio::select! {
                        _ = stop.cancelled() => return None,
                        next = rx.recv() => next,
                    };
                    match next {
                        Ok(event) if event.user_id == user_id => {
                            return Some((event.download.clone(), (rx, stop)));
                        }
                        Ok(_) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                        Err(tokio::sync::broadcast::error::RecvError::Closed) => return None,
                    }
                }
            })
            .boxed();
        EventStream::new(stream)
            .keep_alive(Duration::from_secs(15))
            .to_event(|d| {
                poem::web::sse::Event::message(serde_json::to_string(&d).unwrap_or_default())
                    .event_type("download")
            })
    }

    /// One of your downloads
    #[oai(path = "/api/downloads/:id", method = "get")]
    async fn get(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<OneDownload> {
        Ok(OneDownload::Ok(Json(
            downloads::get(&state, &auth.0, id.0).await?,
        )))
    }

    /// Cancel a download
    ///
    /// A pending download is cancelled at once; a running one is stopped (its process group
    /// and partial files removed). 409 when it has already finished.
    #[oai(path = "/api/downloads/:id/cancel", method = "post")]
    async fn cancel(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<OneDownload> {
        let view = downloads::cancel(&state, &auth.0, id.0).await?;
        state.runner.cancel_local(id.0);
        Ok(OneDownload::Ok(Json(view)))
    }

    /// Retry a failed or cancelled download
    #[oai(path = "/api/downloads/:id/retry", method = "post")]
    async fn retry(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<OneDownload> {
        Ok(OneDownload::Ok(Json(
            downloads::retry(&state, &auth.0, id.0).await?,
        )))
    }

    /// Delete a download from your history
    ///
    /// With `delete_file=true` its file is deleted too (only ever inside the output folder).
    #[oai(path = "/api/downloads/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
        #[oai(default)] delete_file: Query<bool>,
    ) -> ApiResult<Deleted> {
        downloads::delete(&state, &auth.0, id.0, delete_file.0).await?;
        state.runner.cancel_local(id.0);
        Ok(Deleted::NoContent)
    }
}
