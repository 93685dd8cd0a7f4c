//! What every send reads of its organization — its settings and what follows from them (the
//! service managers, the picker's options, whether registration is enforced), its stored
//! Bandwidth account and a client holding the opened password — kept per organization for
//! [`TTL`], so a send does not spend two queries, an unsealing and a parse on them each time
//! (issue #18).
//!
//! Every change made on this replica forgets the organization's entry at once
//! ([`AppState::forget_organization`]: settings, credentials, provisioning, clearCaches); a
//! change made on another replica is seen within [`TTL`]. An account without a messaging
//! application yet is never kept, so a send after provisioning on another replica does not wait.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::bandwidth::BandwidthClient;
use crate::error::{AppError, Result};
use crate::services::managers::{self, Manager, PickerOptions};
use crate::services::organizations::{self, OrgSettings};
use crate::services::{bandwidth_api, registration};
use crate::state::AppState;
use crate::store::entities::bandwidth_account;

/// How long an entry is used before the organization is read again.
pub const TTL: Duration = Duration::from_secs(5);

/// An organization as a send needs it.
#[derive(Debug)]
pub struct SendContext {
    pub settings: OrgSettings,
    /// The service managers, in order, or why the organization's list is invalid (a send is
    /// refused with it after the consent checks, as when it is read per send).
    managers: std::result::Result<Vec<Manager>, String>,
    pub picker: PickerOptions,
    /// Whether only registered numbers may send (`services::registration::enforced`).
    pub registered_only: bool,
    /// A client and the stored account; `None` when they could not be had (no credentials yet):
    /// the send asks [`bandwidth_api::client_for_org`] again for the reason at the step where an
    /// organization without credentials is refused (after the consent checks).
    pub bandwidth: Option<(BandwidthClient, bandwidth_account::Model)>,
}

impl SendContext {
    /// The organization's service managers, in order; an invalid list is an input error.
    pub fn managers(&self) -> Result<&[Manager]> {
        self.managers
            .as_deref()
            .map_err(|e| AppError::InvalidInput(e.clone()))
    }
}

/// The entries of one replica.
#[derive(Debug, Default)]
pub struct SendContexts {
    entries: Mutex<HashMap<i32, (Arc<SendContext>, Instant)>>,
}

impl SendContexts {
    /// Drops the organization's entry: its next send reads it again.
    pub fn forget(&self, organization_id: i32) {
        self.entries
            .lock()
            .expect("not poisoned")
            .remove(&organization_id);
    }

    fn fresh(&self, organization_id: i32) -> Option<Arc<SendContext>> {
        let entries = self.entries.lock().expect("not poisoned");
        let (context, read_at) = entries.get(&organization_id)?;
        (read_at.elapsed() < TTL).then(|| context.clone())
    }

    fn keep(&self, organization_id: i32, context: Arc<SendContext>) {
        self.entries
            .lock()
            .expect("not poisoned")
            .insert(organization_id, (context, Instant::now()));
    }
}

/// The organization's settings, account and client: kept ones when fresh, else read now (and
/// kept once it has a messaging application). Nothing that failed is kept.
pub async fn for_org(state: &AppState, organization_id: i32) -> Result<Arc<SendContext>> {
    if let Some(context) = state.send_contexts.fresh(organization_id) {
        return Ok(context);
    }
    let settings = organizations::settings(state, organization_id).await?;
    let bandwidth = bandwidth_api::client_for_org(state, organization_id)
        .await
        .ok();
    let context = Arc::new(SendContext {
        managers: managers::for_org(&state.settings.service_managers, &settings)
            .map_err(|e| e.to_string()),
        picker: managers::picker_options(&settings),
        registered_only: registration::enforced(state, &settings),
        settings,
        bandwidth,
    });
    if context
        .bandwidth
        .as_ref()
        .is_some_and(|(_, account)| account.application_id.is_some())
    {
        state.send_contexts.keep(organization_id, context.clone());
    }
    Ok(context)
}
