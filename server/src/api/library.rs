//! `/api/admin/library/rescan`: rebuilds the "already have it" index from the files in
//! OUTPUT_DIRECTORY (files copied in by hand, renamed or removed since the last scan).
//! Admins only (SEC-17), audited.

use super::{error::ApiResult, guard::BearerAuth};
use crate::{
    audit::{AuditAction, AuditEvent},
    library::{ScanLimits, ScanReport},
    state::AppState,
};
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};
use serde_json::json;
use std::sync::Arc;

/// What a library scan found.
#[derive(Debug, Object)]
pub struct LibraryScan {
    /// Audio files read and indexed.
    pub indexed: u64,
    /// Audio files whose tags could not be read (not indexed).
    pub unreadable: u64,
    /// Index entries dropped because their file is gone.
    pub removed: u64,
    /// Whether the scan stopped at its bound on files or folder depth.
    pub truncated: bool,
}

impl From<ScanReport> for LibraryScan {
    fn from(r: ScanReport) -> Self {
        let n = |v: usize| u64::try_from(v).unwrap_or(u64::MAX);
        Self {
            indexed: n(r.indexed),
            unreadable: n(r.unreadable),
            removed: n(r.removed),
            truncated: r.truncated,
        }
    }
}

#[derive(ApiResponse)]
enum Rescanned {
    #[oai(status = 200)]
    Ok(Json<LibraryScan>),
}

pub struct LibraryApi;

#[OpenApi(tag = "super::admin::AdminTags::Admin")]
impl LibraryApi {
    /// Rescan the music library
    ///
    /// Reads every audio file under the output folder again (tags, duration, source URL), so
    /// tracks copied in by hand are recognised and a later submission of them ends
    /// `skipped`. Answers when the scan is done.
    #[oai(path = "/api/admin/library/rescan", method = "post")]
    async fn rescan(&self, state: Data<&Arc<AppState>>, auth: BearerAuth) -> ApiResult<Rescanned> {
        let admin = auth.0.require_admin()?;
        let report = state
            .library
            .clone()
            .scan(state.config.output_directory.clone(), ScanLimits::default())
            .await;
        let scan = LibraryScan::from(report);
        state
            .store
            .record_audit(AuditEvent::new(
                AuditAction::LibraryRescanned,
                &admin.0.actor,
                json!({ "indexed": scan.indexed, "removed": scan.removed, "truncated": scan.truncated }),
            ))
            .await?;
        Ok(Rescanned::Ok(Json(scan)))
    }
}
