//! A download's media for the owner's browser: `POST /api/downloads/media-links` mints
//! short-lived signed links (bearer token), `GET /api/downloads/{id}/file` streams the audio
//! with byte ranges and `GET /api/downloads/{id}/cover` serves its cover (both take the
//! link's `token` instead of a header, because `<audio src>` and `<img src>` cannot send
//! one), and `GET /api/downloads/{id}/tracks` lists a set's tracks. Only the owner's own
//! downloads (404 otherwise, SEC-17); files only while they are the ones placed (SEC-43).

use super::{
    download_views::DownloadView,
    downloads::DownloadTags,
    error::{ApiError, ApiResult},
    guard::{BearerAuth, session_still_holds},
    media_response::{Conditions, MediaFile},
};
use crate::{
    auth::Claims,
    error::AppError,
    media::{links::LinkClaims, links::MediaLinks, tracks::tracks_of},
    state::AppState,
    store::DownloadRow,
};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Object, OpenApi,
    param::{Header, Path, Query},
    payload::{Binary, Json},
};
use std::sync::Arc;

#[derive(Debug, Object)]
pub struct MediaLinksRequest {
    /// Your downloads' ids (at most 100).
    #[oai(validator(min_items = 1, max_items = 100))]
    pub ids: Vec<i64>,
}

/// Where a browser can fetch one download's media without sending a header.
#[derive(Debug, Object)]
pub struct MediaLink {
    pub id: i64,
    /// `GET` this for the audio (404 until the download has a file).
    pub file_url: String,
    /// `GET` this for a square JPEG cover (404 when there is none).
    pub cover_url: String,
}

#[derive(Debug, Object)]
pub struct MediaLinkSet {
    pub items: Vec<MediaLink>,
    /// When the links stop working; ask again before (or when one answers 401).
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Object)]
pub struct TrackList {
    pub items: Vec<DownloadView>,
    pub total: i64,
}

#[derive(ApiResponse)]
enum LinksMinted {
    #[oai(status = 200)]
    Ok(Json<MediaLinkSet>),
}

#[derive(ApiResponse)]
enum TracksListed {
    #[oai(status = 200)]
    Ok(Json<TrackList>),
}

#[derive(ApiResponse)]
enum CoverImage {
    /// A square JPEG, at most 480 pixels a side.
    #[oai(status = 200, content_type = "image/jpeg")]
    Jpeg(Binary<Vec<u8>>, #[oai(header = "Cache-Control")] String),
}

pub struct DownloadFilesApi;

#[OpenApi(tag = "DownloadTags::Downloads")]
impl DownloadFilesApi {
    /// Links to play your downloads in a browser
    ///
    /// For each id, a `file_url` and a `cover_url` that work without an `Authorization`
    /// header, for `<audio src>` and `<img src>`. Each link is signed for you, this session
    /// and that one download, and expires within minutes (`expires_at`); logging out,
    /// changing your password or being disabled ends them at once. A link for an id that is
    /// not yours answers 404. Never share them: they are as good as your token for that
    /// file until they expire.
    #[oai(path = "/api/downloads/media-links", method = "post")]
    async fn media_links(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        body: Json<MediaLinksRequest>,
    ) -> ApiResult<LinksMinted> {
        let now = Utc::now().timestamp();
        // Never beyond the session the links stand for.
        let expires = MediaLinks::expiry_for(now).min(auth.0.claims.exp);
        let claims = LinkClaims {
            user_id: auth.0.user.id,
            generation: auth.0.user.session_generation,
            jti: auth.0.claims.jti.clone(),
            expires,
        };
        let items = body
            .0
            .ids
            .iter()
            .map(|&id| {
                let token = state.media.links.sign(&claims, id);
                MediaLink {
                    id,
                    file_url: format!("/api/downloads/{id}/file?token={token}"),
                    cover_url: format!("/api/downloads/{id}/cover?token={token}"),
                }
            })
            .collect();
        Ok(LinksMinted::Ok(Json(MediaLinkSet {
            items,
            expires_at: DateTime::from_timestamp(expires, 0).unwrap_or_else(Utc::now),
        })))
    }

    /// Play a download's file
    ///
    /// Streams the audio of your completed download, from a link made by
    /// `POST /api/downloads/media-links` (its `token`; no `Authorization` header needed).
    /// Supports one byte range (`Range: bytes=start-end`, `bytes=start-`, `bytes=-suffix`):
    /// 206 with `Content-Range`; 416 when the range lies outside the file; any other `Range`
    /// is ignored and the whole file sent. `ETag`/`If-None-Match` and `If-Range` work as
    /// usual. 401 for a missing, forged or expired link; 404 when the download is not
    /// yours, has no file, or the file at its path is no longer the one it wrote (a symbolic
    /// link is never followed).
    #[oai(path = "/api/downloads/:id/file", method = "get")]
    async fn file(
        &self,
        state: Data<&Arc<AppState>>,
        id: Path<i64>,
        /// The signed link's token.
        #[oai(validator(max_length = 512))]
        token: Query<Option<String>>,
        #[oai(name = "Range")] range: Header<Option<String>>,
        #[oai(name = "If-Range")] if_range: Header<Option<String>>,
        #[oai(name = "If-None-Match")] if_none_match: Header<Option<String>>,
    ) -> ApiResult<MediaFile> {
        let row = authorize(&state, token.0.as_deref(), id.0).await?;
        let opened = state.media.open_file(&row).await?;
        let extension = row
            .file_path
            .as_deref()
            .and_then(|p| std::path::Path::new(p).extension())
            .and_then(|e| e.to_str())
            .unwrap_or_default()
            .to_owned();
        let asked = Conditions {
            range: range.0,
            if_range: if_range.0,
            if_none_match: if_none_match.0,
        };
        MediaFile::answer(opened, &extension, asked)
            .await
            .map_err(|e| {
                AppError::Internal(anyhow::Error::new(e).context("streaming a file")).into()
            })
    }

    /// A download's cover
    ///
    /// A square JPEG (at most 480 px) from a link made by `POST /api/downloads/media-links`:
    /// a track's album folder `cover.jpg` or the picture embedded in its file; for an album,
    /// playlist or feed, that of its first completed track. 404 when there is none. Served
    /// by this server, never fetched from the site.
    #[oai(path = "/api/downloads/:id/cover", method = "get")]
    async fn cover(
        &self,
        state: Data<&Arc<AppState>>,
        id: Path<i64>,
        /// The signed link's token.
        #[oai(validator(max_length = 512))]
        token: Query<Option<String>>,
    ) -> ApiResult<CoverImage> {
        let row = authorize(&state, token.0.as_deref(), id.0).await?;
        let jpeg = state.media.cover(&row).await?;
        Ok(CoverImage::Jpeg(
            Binary(jpeg),
            "private, max-age=600".into(),
        ))
    }

    /// The tracks of an album, playlist or feed
    ///
    /// Your set's tracks in album order (disc, then track number). Empty for a single
    /// track, and while the set is still being listed.
    #[oai(path = "/api/downloads/:id/tracks", method = "get")]
    async fn tracks(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        id: Path<i64>,
    ) -> ApiResult<TracksListed> {
        let set = state.media.download(auth.0.user.id, id.0).await?;
        let items: Vec<DownloadView> = tracks_of(&*state.store, &set)
            .await?
            .into_iter()
            .map(Into::into)
            .collect();
        Ok(TracksListed::Ok(Json(TrackList {
            total: items.len() as i64,
            items,
        })))
    }
}

/// The download a media link opens: the link's signature for this id, then the session it
/// was minted in, checked as a bearer token's would be (SEC-11, SEC-12), then ownership
/// (SEC-17).
async fn authorize(state: &AppState, token: Option<&str>, id: i64) -> ApiResult<DownloadRow> {
    let refused = || {
        ApiError::from(AppError::Unauthorized(
            "Invalid or expired media link; ask for a new one".into(),
        ))
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return Err(AppError::Unauthorized("Not authenticated".into()).into());
    };
    let now = Utc::now().timestamp();
    let link = state
        .media
        .links
        .verify(token, id, now)
        .map_err(|_| refused())?;
    let session = Claims {
        sub: link.user_id.to_string(),
        username: String::new(),
        iat: now,
        nbf: now,
        exp: link.expires,
        jti: link.jti,
        typ: String::new(),
        generation: link.generation,
    };
    if !session_still_holds(state, &session).await {
        return Err(refused());
    }
    Ok(state.media.download(link.user_id, id).await?)
}
