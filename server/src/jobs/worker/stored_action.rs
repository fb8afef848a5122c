//! How a job's fetch action is kept in the `action` column: `FetchAction` is the plugin
//! host's type (no `Deserialize`, on purpose: it is built only from validated plugin output),
//! so the stored shape is its own, and reading it back goes through the same allowlist again
//! when the job runs.

use crate::jobs::FetchAction;
use serde::{Deserialize, Serialize};

/// How a job's fetch action is stored in the database.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum StoredAction {
    YtDlp { url: String, options: Vec<String> },
    Direct { url: String },
    ExpandYtDlp { url: String, options: Vec<String> },
}

impl From<&FetchAction> for StoredAction {
    fn from(a: &FetchAction) -> Self {
        match a {
            FetchAction::YtDlp { url, options } => Self::YtDlp {
                url: url.clone(),
                options: options.clone(),
            },
            FetchAction::Direct { url } => Self::Direct { url: url.clone() },
            FetchAction::ExpandYtDlp { url, options } => Self::ExpandYtDlp {
                url: url.clone(),
                options: options.clone(),
            },
        }
    }
}

impl From<StoredAction> for FetchAction {
    fn from(a: StoredAction) -> Self {
        match a {
            StoredAction::YtDlp { url, options } => FetchAction::YtDlp { url, options },
            StoredAction::Direct { url } => FetchAction::Direct { url },
            StoredAction::ExpandYtDlp { url, options } => FetchAction::ExpandYtDlp { url, options },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_actions_round_trip() {
        let a = FetchAction::YtDlp {
            url: "https://x".into(),
            options: vec!["-x".into()],
        };
        let json = serde_json::to_value(StoredAction::from(&a)).unwrap();
        assert_eq!(json["type"], "yt_dlp");
        let back: FetchAction = serde_json::from_value::<StoredAction>(json).unwrap().into();
        assert_eq!(back, a);
    }
}
