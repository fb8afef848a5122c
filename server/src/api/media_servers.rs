//! `/api/admin/media-servers`: the Subsonic/Navidrome and Jellyfin servers told to rescan
//! when music arrives (admins only). The password or API key is write-only.

use super::error::ApiResult;
use super::guard::BearerAuth;
use crate::{
    domain::MediaServerKind, handoff::rescan::MediaServerSpec, state::AppState,
    store::MediaServerRow,
};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags, param::Path, payload::Json};
use std::sync::Arc;

#[derive(Tags)]
enum MediaServerTags {
    /// Media-server rescans (admins only)
    MediaServers,
}

#[derive(Debug, Object)]
pub struct MediaServerView {
    pub kind: MediaServerKind,
    pub base_url: String,
    /// The Subsonic user (Navidrome: an admin); unused by Jellyfin.
    #[oai(nullable)]
    pub username: Option<String>,
    /// The media server's path for this server's download folder (OUTPUT_DIRECTORY).
    pub library_path: String,
    /// Subsonic/Navidrome: the library a targeted scan names (`null`: the whole library).
    #[oai(nullable)]
    pub library_id: Option<i64>,
    pub enabled: bool,
    /// A password (Subsonic) or API key (Jellyfin) is stored; it is never shown.
    pub has_secret: bool,
    pub updated_at: DateTime<Utc>,
}

impl From<MediaServerRow> for MediaServerView {
    fn from(r: MediaServerRow) -> Self {
        Self {
            kind: r.kind,
            base_url: r.base_url,
            username: r.username,
            library_path: r.library_path,
            library_id: r.library_id,
            enabled: r.enabled,
            has_secret: !r.secret.is_empty(),
            updated_at: r.updated_at,
        }
    }
}

#[derive(Debug, Object)]
pub struct MediaServerRequest {
    /// The server's base URL, e.g. `http://navidrome.lan:4533` (the address policy applies:
    /// a LAN server needs its network in ALLOW_PRIVATE_URLS).
    #[oai(validator(max_length = 4096))]
    pub base_url: String,
    /// Subsonic: the user name (Navidrome needs an admin for scans).
    #[oai(validator(max_length = 256))]
    pub username: Option<String>,
    /// Subsonic: the password; Jellyfin: an API key. Write-only; leave out to keep the
    /// stored one.
    #[oai(validator(min_length = 1, max_length = 512))]
    pub secret: Option<String>,
    /// The media server's absolute path for the download folder, e.g. `/music`.
    #[oai(validator(min_length = 1, max_length = 1024))]
    pub library_path: String,
    /// Subsonic/Navidrome: the library (its id, as Navidrome numbers them) that holds the
    /// download folder; with it, a scan names just the folders that changed
    /// (`target=<id>:<folder>`, Navidrome's selective scans, navidrome#4674). Leave out to
    /// scan everything.
    #[oai(validator(minimum(value = "1")))]
    pub library_id: Option<i64>,
    #[oai(default = "default_enabled")]
    pub enabled: bool,
}

fn default_enabled() -> bool {
    true
}

/// What the server answered to a test call.
#[derive(Debug, Object)]
pub struct ConnectionTest {
    /// The server answered and accepted the credentials.
    pub ok: bool,
    /// Its HTTP status, when it answered.
    #[oai(nullable)]
    pub status: Option<u16>,
    /// A short, printable summary of its answer, or why there was none.
    pub summary: String,
}

#[derive(ApiResponse)]
enum Listed {
    #[oai(status = 200)]
    Ok(Json<Vec<MediaServerView>>),
}

#[derive(ApiResponse)]
enum Saved {
    #[oai(status = 200)]
    Ok(Json<MediaServerView>),
}

#[derive(ApiResponse)]
enum Deleted {
    #[oai(status = 204)]
    NoContent,
}

#[derive(ApiResponse)]
enum Tested {
    #[oai(status = 200)]
    Ok(Json<ConnectionTest>),
}

pub struct MediaServersApi;

#[OpenApi(tag = "MediaServerTags::MediaServers")]
impl MediaServersApi {
    /// List the configured media servers
    #[oai(path = "/api/admin/media-servers", method = "get")]
    async fn list(&self, state: Data<&Arc<AppState>>, auth: BearerAuth) -> ApiResult<Listed> {
        let admin = auth.0.require_admin()?;
        let rows = state.handoff.rescans.list(&admin).await?;
        Ok(Listed::Ok(Json(rows.into_iter().map(Into::into).collect())))
    }

    /// Set up (or change) the Subsonic/Navidrome or Jellyfin server
    ///
    /// One rescan is requested when an album's last track ends, or when singles stop
    /// arriving for RESCAN_QUIET_SECONDS (30 by default).
    #[oai(path = "/api/admin/media-servers/:kind", method = "put")]
    async fn save(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        kind: Path<MediaServerKind>,
        body: Json<MediaServerRequest>,
    ) -> ApiResult<Saved> {
        let admin = auth.0.require_admin()?;
        let body = body.0;
        let spec = MediaServerSpec {
            base_url: body.base_url,
            username: body.username,
            secret: body.secret,
            library_path: body.library_path,
            library_id: body.library_id,
            enabled: body.enabled,
        };
        let row = state.handoff.rescans.save(&admin, kind.0, spec).await?;
        Ok(Saved::Ok(Json(row.into())))
    }

    /// Remove a media server
    #[oai(path = "/api/admin/media-servers/:kind", method = "delete")]
    async fn delete(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        kind: Path<MediaServerKind>,
    ) -> ApiResult<Deleted> {
        let admin = auth.0.require_admin()?;
        state.handoff.rescans.delete(&admin, kind.0).await?;
        Ok(Deleted::NoContent)
    }

    /// Test the connection (no scan): says what the server answered
    #[oai(path = "/api/admin/media-servers/:kind/test", method = "post")]
    async fn test(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        kind: Path<MediaServerKind>,
    ) -> ApiResult<Tested> {
        let admin = auth.0.require_admin()?;
        let result = match state.handoff.rescans.test(&admin, kind.0).await? {
            Ok(reply) => ConnectionTest {
                ok: reply.ok,
                status: Some(reply.answer.status),
                summary: reply.answer.summary,
            },
            Err(err) => ConnectionTest {
                ok: false,
                status: None,
                summary: err.to_string(),
            },
        };
        Ok(Tested::Ok(Json(result)))
    }
}
