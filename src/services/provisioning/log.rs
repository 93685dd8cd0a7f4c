//! The stored step log of provisioning (`bandwidth_accounts.provisioning`, JSON): each step's
//! status, detail and the ids it was done for, plus the lease of the run in progress.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Step, StepName, StepStatus};
use crate::error::Result;

/// The stored step log.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Log {
    #[serde(default)]
    pub(super) steps: Vec<Record>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) lease: Option<Lease>,
}

/// One stored step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Record {
    pub(super) name: String,
    pub(super) status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) detail: Option<String>,
    /// The ids the step was done for (see `Run::basis`).
    #[serde(default)]
    pub(super) basis: String,
    /// The id this step created, when it created one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) created: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(super) at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct Lease {
    pub(super) owner: String,
    pub(super) until_ms: i64,
}

impl Log {
    pub(super) fn parse(stored: Option<&str>) -> Self {
        stored
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default()
    }

    pub(super) fn record(&self, name: StepName) -> Option<&Record> {
        self.steps.iter().find(|r| r.name == name.as_str())
    }

    pub(super) fn set(&mut self, record: Record) {
        self.steps.retain(|r| r.name != record.name);
        self.steps.push(record);
        self.steps.sort_by_key(|r| {
            StepName::ALL
                .iter()
                .position(|n| n.as_str() == r.name)
                .unwrap_or(usize::MAX)
        });
    }

    pub(super) fn steps(&self) -> Vec<Step> {
        StepName::ALL
            .iter()
            .map(|name| match self.record(*name) {
                Some(r) => Step {
                    name: name.as_str(),
                    status: r.status,
                    detail: r.detail.clone(),
                },
                None => Step {
                    name: name.as_str(),
                    status: StepStatus::Pending,
                    detail: None,
                },
            })
            .collect()
    }

    pub(super) fn to_json(&self) -> Result<String> {
        Ok(serde_json::to_string(self).map_err(anyhow::Error::from)?)
    }
}

pub(super) fn record(
    name: StepName,
    status: StepStatus,
    detail: Option<String>,
    basis: String,
    created: Option<String>,
) -> Record {
    Record {
        name: name.as_str().to_owned(),
        status,
        detail,
        basis,
        created,
        at: Some(Utc::now()),
    }
}
