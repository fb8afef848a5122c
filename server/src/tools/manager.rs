//! `YtdlpManager`: installs a yt-dlp candidate into a new environment, smoke-tests it, and
//! switches new jobs to it only when every step passed; rolls back to the previous one. One
//! update or rollback runs at a time (a second gets `ToolsError::Busy`).

use std::sync::Mutex;

use chrono::{DateTime, Utc};

use super::environments::{EnvRecord, EnvState, Environments};
use super::model::{Refusal, ToolsError, UpdateOutcome, UpdateRequest, UpdateStep, check_version};
use super::smoke::{smoke_test, version_of};
use crate::jobs::{ActiveYtdlp, ExecutorConfig, YtdlpSelection};

/// The last update's result, for the admin screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LastUpdate {
    pub at: DateTime<Utc>,
    pub outcome: UpdateOutcome,
}

pub struct YtdlpManager {
    envs: Environments,
    /// The selection jobs read (shared with the executor configuration).
    selection: YtdlpSelection,
    /// What the smoke test runs with (tools, egress proxy, limits); its yt-dlp is replaced.
    executor: ExecutorConfig,
    busy: tokio::sync::Mutex<()>,
    last: Mutex<Option<LastUpdate>>,
}

impl YtdlpManager {
    /// Picks the yt-dlp new jobs start with: the active managed environment when it still
    /// answers `--version`, else the tool folder's (whose version is learned in the
    /// background, so start-up does not wait for Python).
    pub async fn start(envs: Environments, executor: ExecutorConfig) -> Self {
        let selection = executor.ytdlp.clone();
        let state = envs.load_state().await;
        let mut managed = false;
        if let Some(active) = state.active.as_ref().filter(|a| a.id.is_some()) {
            let program = envs.program(active);
            match version_of(&program).await {
                Some(version) => {
                    tracing::info!(%version, "using the managed yt-dlp");
                    selection.switch(ActiveYtdlp {
                        path: program,
                        version: Some(version),
                    });
                    managed = true;
                }
                None => tracing::warn!(
                    "the managed yt-dlp does not run; using the tool folder's (roll back or update to fix)"
                ),
            }
        }
        if !managed {
            let selection = selection.clone();
            tokio::spawn(async move {
                let path = selection.current().path.clone();
                if let Some(version) = version_of(&path).await {
                    selection.learn_version(&path, version);
                }
            });
        }
        Self {
            envs,
            selection,
            executor,
            busy: tokio::sync::Mutex::new(()),
            last: Mutex::new(None),
        }
    }

    /// The yt-dlp new jobs start with.
    pub fn active(&self) -> std::sync::Arc<ActiveYtdlp> {
        self.selection.current()
    }

    /// The recorded environments (active and previous).
    pub async fn state(&self) -> EnvState {
        self.envs.load_state().await
    }

    /// (yt-dlp, yt-dlp-ejs, JavaScript runtime) versions as the active yt-dlp reports them.
    pub async fn probe(&self) -> (Option<String>, Option<String>, Option<String>) {
        crate::jobs::tools::probe_ytdlp(&self.executor).await
    }

    pub fn is_busy(&self) -> bool {
        self.busy.try_lock().is_err()
    }

    pub fn last_update(&self) -> Option<LastUpdate> {
        self.last.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Installs, smoke-tests and (only when every step passed) switches to the candidate.
    /// A refused candidate is deleted and nothing else changes.
    pub async fn update(&self, request: &UpdateRequest) -> Result<UpdateOutcome, ToolsError> {
        if let Some(v) = &request.version {
            check_version(v)?;
        }
        let _running = self.busy.try_lock().map_err(|_| ToolsError::Busy)?;
        let outcome = match self.install_and_switch(request).await {
            Ok((from, to)) => UpdateOutcome::Switched { from, to },
            Err(refusal) => UpdateOutcome::Refused(refusal),
        };
        *self.last.lock().unwrap_or_else(|e| e.into_inner()) = Some(LastUpdate {
            at: Utc::now(),
            outcome: outcome.clone(),
        });
        Ok(outcome)
    }

    async fn install_and_switch(
        &self,
        request: &UpdateRequest,
    ) -> Result<(Option<String>, String), Refusal> {
        let id = Environments::new_id();
        let candidate = self.envs.create(&id, request).await?;
        let program = self.envs.program(&candidate);
        let version = match smoke_test(&self.executor, &program, self.envs.root()).await {
            Ok(v) => v,
            Err(refusal) => {
                tracing::warn!(step = ?refusal.step, reason = %refusal.reason, "yt-dlp candidate refused");
                self.envs.remove(&id).await;
                return Err(refusal);
            }
        };
        let mut state = self.envs.load_state().await;
        let current = self.current_record(&state);
        let from = current.version.clone();
        let dropped = state.previous.replace(current);
        state.active = Some(EnvRecord {
            id: Some(id.clone()),
            version: Some(version.clone()),
        });
        if let Err(e) = self.envs.save_state(&state).await {
            tracing::error!(error = %e, "could not record the yt-dlp switch");
            self.envs.remove(&id).await;
            return Err(Refusal::new(
                UpdateStep::Switch,
                "could not record the switch in the data folder",
            ));
        }
        self.selection.switch(ActiveYtdlp {
            path: program,
            version: Some(version.clone()),
        });
        tracing::info!(from = ?from, to = %version, "switched to a new yt-dlp");
        // Two switches old: nothing starts with it any more.
        if let Some(old) = dropped.and_then(|d| d.id)
            && Some(&old) != state.previous.as_ref().and_then(|p| p.id.as_ref())
        {
            self.envs.remove(&old).await;
        }
        Ok((from, version))
    }

    /// Switches back to the previous yt-dlp (after checking it still runs); the one it
    /// replaces becomes the previous. Answers (from, to) versions.
    pub async fn rollback(&self) -> Result<(Option<String>, String), ToolsError> {
        let _running = self.busy.try_lock().map_err(|_| ToolsError::Busy)?;
        let mut state = self.envs.load_state().await;
        let previous = state.previous.clone().ok_or(ToolsError::NoPrevious)?;
        let program = self.envs.program(&previous);
        let version = version_of(&program).await.ok_or_else(|| {
            ToolsError::PreviousBroken("its yt-dlp --version did not answer".into())
        })?;
        let current = self.current_record(&state);
        let from = current.version.clone();
        state.previous = Some(current);
        state.active = previous.id.is_some().then(|| EnvRecord {
            id: previous.id.clone(),
            version: Some(version.clone()),
        });
        self.envs
            .save_state(&state)
            .await
            .map_err(|e| ToolsError::State(std::sync::Arc::new(e)))?;
        self.selection.switch(ActiveYtdlp {
            path: program,
            version: Some(version.clone()),
        });
        tracing::info!(from = ?from, to = %version, "rolled yt-dlp back");
        Ok((from, version))
    }

    /// The active environment as a record (the tool folder's when none is managed).
    fn current_record(&self, state: &EnvState) -> EnvRecord {
        state.active.clone().unwrap_or_else(|| EnvRecord {
            id: None,
            version: self.selection.current().version.clone(),
        })
    }
}
