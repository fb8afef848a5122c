//! `/api/download` and `/api/downloads/*`: submit, list, read, cancel, retry, delete, and the
//! live event stream. Every operation sees only the caller's own downloads (SEC-17).

use super::{
    admin::{default_page, default_per_page},
    download_events::{Revalidate, live_events},
    download_views::{DownloadStreamEvent, DownloadView},
    error::ApiResult,
    guard::{BearerAuth, session_still_holds},
    models::page_count,
    serde_json_body::JsonBytes,
};
use crate::{
    domain::{AudioFormat, DownloadStatus},
    downloads::Submitted,
    error::AppError,
    history_pages::PageKey,
    state::AppState,
    store::{DownloadFilter, PageRequest},
};
use futures_util::{FutureExt, StreamExt, stream::BoxStream};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi, Tags,
    param::{Path, Query},
    payload::{EventStream, Json},
};
use std::{sync::Arc, time::Duration};

#[derive(Tags)]
pub(super) enum DownloadTags {
    /// Downloads
    Downloads,
}

#[derive(Debug, Object)]
pub struct DownloadRequest {
    /// An http(s) URL of a track, album, playlist or media file (at most 2048 bytes).
    #[oai(validator(max_length = 4096))]
    pub url: String,
    /// When absent: your default format (`PATCH /auth/me`), else `best`.
    #[oai(nullable)]
    pub format: Option<AudioFormat>,
    /// Download even when the library already has the track (otherwise such a track, or a
    /// set's track, ends `skipped` with the file it matched).
    #[oai(nullable)]
    pub force: Option<bool>,
}

// Written by serde (`JsonBytes`): see `serde_json_body.rs` for why.
#[derive(Debug, Object, serde::Serialize)]
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
    Ok(JsonBytes<DownloadPage>),
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
    /// when the same URL and format is already active, and 429 when you already have
    /// `MAX_QUEUED_DOWNLOADS_PER_USER` downloads queued or running.
    #[oai(path = "/api/download", method = "post")]
    async fn submit(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<DownloadRequest>,
    ) -> ApiResult<SubmitResponse> {
        let format = body
            .0
            .format
            .or(auth.0.user.default_format)
            .unwrap_or_default();
        Ok(
            match state
                .downloads
                .submit(&auth.0, &body.0.url, format, body.0.force.unwrap_or(false))
                .await?
            {
                Submitted::Created(d) => SubmitResponse::Accepted(Json(d.into())),
                Submitted::Existing(d) => SubmitResponse::Existing(Json(d.into())),
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
        status: Query<Option<DownloadStatus>>,
        #[oai(validator(max_length = 200))] q: Query<Option<String>>,
    ) -> ApiResult<DownloadsListed> {
        let key = PageKey {
            user_id: auth.0.user.id,
            status: status.0,
            query: q.0.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
            page: page.0,
            per_page: per_page.0,
        };
        // The version was read with the session, before the page is built: see
        // `history_pages.rs` for why that order keeps the cache from ever answering stale.
        let version = auth.0.history_version;
        if let Some(body) = state.history_pages.get(&key, version) {
            return Ok(DownloadsListed::Ok(JsonBytes::from_written(body)));
        }
        let filter = DownloadFilter {
            status: key.status,
            query: key.query.clone(),
        };
        let request = PageRequest {
            page: key.page,
            per_page: key.per_page,
        };
        let result = state.downloads.list(&auth.0, filter, request).await?;
        let body = JsonBytes::write(&DownloadPage {
            items: result.items.into_iter().map(Into::into).collect(),
            total: result.total,
            page: key.page,
            per_page: key.per_page,
            pages: page_count(result.total, key.per_page),
        })
        .map_err(|error| AppError::Internal(error.into()))?;
        state.history_pages.insert(key, version, body.bytes());
        Ok(DownloadsListed::Ok(body))
    }

    /// Live download events (Server-Sent Events)
    ///
    /// `event: download` with the download as JSON `data` for every status change and
    /// progress update (a few per second at most) of your downloads; `event: deleted` with
    /// `{"id": …}` when one leaves your history; `event: resync` when this stream missed
    /// updates (reload the list). Every event has an increasing `id:`. Reload the list on
    /// every (re)connect too: nothing is replayed. Send the bearer token in the
    /// `Authorization` header.
    ///
    /// The stream re-checks its token while open (`EVENT_STREAM_RECHECK_SECONDS`, at most
    /// 30 s) and ends once it is logged out, expired, its account disabled or its password
    /// changed; reconnecting then gets 401. At most `MAX_EVENT_STREAMS_PER_USER` streams per
    /// user are open at once; one more gets 429.
    #[oai(path = "/api/downloads/events", method = "get")]
    async fn events(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> ApiResult<EventStream<BoxStream<'static, DownloadStreamEvent>>> {
        let Some(slot) = state.event_streams.try_open(auth.0.user.id) else {
            return Err(AppError::Limited {
                detail: format!(
                    "Too many open event streams (at most {}); close another tab or window",
                    state.event_streams.per_user()
                ),
                retry_after_secs: 30,
            }
            .into());
        };
        let (app, claims) = (state.0.clone(), auth.0.claims.clone());
        let revalidate = Revalidate {
            every: state.config.access.event_stream_recheck,
            check: Box::new(move || {
                let (app, claims) = (app.clone(), claims.clone());
                async move { session_still_holds(&app, &claims).await }.boxed()
            }),
        };
        let stream = live_events(
            state.downloads.events.subscribe(),
            auth.0.user.id,
            state.shutdown.clone(),
            revalidate,
        )
        // The slot is held for as long as the stream lives.
        .map(move |event| {
            let _held = &slot;
            event
        })
        .boxed();
        let mut next_id = 0u64;
        Ok(EventStream::new(stream)
            .keep_alive(Duration::from_secs(15))
            .to_event(move |event| {
                next_id += 1;
                event.to_sse(next_id)
            }))
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
            state.downloads.get(&auth.0, id.0).await?.into(),
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
        Ok(OneDownload::Ok(Json(
            state.downloads.cancel(&auth.0, id.0).await?.into(),
        )))
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
            state.downloads.retry(&auth.0, id.0).await?.into(),
        )))
    }

    /// Delete a download from your history
    ///
    /// With `delete_file=true` its file is deleted too, if the file at its path is still
    /// the one this download wrote (same device, inode and size); another file that took the
    /// name since, or a symbolic link, is left alone. Nothing outside the output folder is
    /// ever touched.
    #[oai(path = "/api/downloads/:id", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
        #[oai(default)] delete_file: Query<bool>,
    ) -> ApiResult<Deleted> {
        state.downloads.delete(&auth.0, id.0, delete_file.0).await?;
        Ok(Deleted::NoContent)
    }
}
