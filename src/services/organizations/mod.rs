//! Organizations and their per-org settings (Spoke's `organization.features`), which override
//! the environment. The fields of Spoke's Settings page are `settings_page`'s; this module
//! depends on no other capability, so managers, the vendor section and the Settings page can all
//! build on it.

/// The settings key of each service manager's own options (an object keyed by manager name).
pub const MANAGER_DATA_KEY: &str = "serviceManagerData";

use serde_json::{Map, Value};

use crate::error::{AppError, Result};
use crate::services::access::{Caller, Role};
use crate::state::AppState;
use crate::store;
use crate::store::entities::organization;

/// An organization's settings JSON object.
#[derive(Debug, Clone, Default)]
pub struct OrgSettings(pub Map<String, Value>);

impl OrgSettings {
    /// Parses the stored JSON; anything but an object reads as empty.
    pub fn parse(stored: &str) -> Self {
        match serde_json::from_str(stored) {
            Ok(Value::Object(map)) => Self(map),
            _ => Self::default(),
        }
    }

    /// A setting's value, when the organization has one.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key)
    }

    /// A boolean setting read the way Spoke reads features: `""`, `"0"`, `"false"`, `false`,
    /// `null` and `0` are false; any other value is true; `None` when unset.
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).map(|v| match v {
            Value::Bool(b) => *b,
            Value::Null => false,
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::String(s) => !matches!(s.trim(), "" | "0" | "false"),
            _ => true,
        })
    }
}

/// An organization that exists; `NOT_FOUND` otherwise (callers check access first).
pub async fn find(state: &AppState, organization_id: i32) -> Result<organization::Model> {
    store::organizations::find(&state.db, organization_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("organization {organization_id} does not exist")))
}

/// The organizations where the caller holds at least `role` (Spoke's
/// `currentUser.organizations(role)`); a superadmin gets every organization.
pub async fn list_for(
    state: &AppState,
    caller: &Caller,
    role: Role,
) -> Result<Vec<organization::Model>> {
    let ids = caller.organizations_with(role);
    if ids.as_ref().is_some_and(Vec::is_empty) {
        return Ok(Vec::new());
    }
    Ok(store::organizations::list(&state.db, ids).await?)
}

/// The organization's settings.
pub async fn settings(state: &AppState, organization_id: i32) -> Result<OrgSettings> {
    Ok(OrgSettings::parse(
        &find(state, organization_id).await?.settings,
    ))
}

/// Whether the Phone Numbers page is on: an org may turn it off with `PHONE_INVENTORY: false`
/// (or Spoke's `EXPERIMENTAL_PHONE_INVENTORY`); it is on by default, since managing Bandwidth
/// numbers is what this server is for.
pub fn phone_inventory_enabled(settings: &OrgSettings) -> bool {
    settings
        .flag("PHONE_INVENTORY")
        .or_else(|| settings.flag("EXPERIMENTAL_PHONE_INVENTORY"))
        .unwrap_or(true)
}

/// How many times a settings write re-reads and retries when another write got in first.
const SETTINGS_WRITE_ATTEMPTS: usize = 20;

/// Changes the organization's settings atomically: `change` is applied to the stored object
/// and the result written only if nobody wrote in between (compare-and-swap, retried a bounded
/// number of times), so keys written concurrently by others are never lost.
pub async fn update_settings<F>(
    state: &AppState,
    organization_id: i32,
    mut change: F,
) -> Result<OrgSettings>
where
    F: FnMut(&mut OrgSettings) -> Result<()>,
{
    for _ in 0..SETTINGS_WRITE_ATTEMPTS {
        let stored = find(state, organization_id).await?.settings;
        let mut settings = OrgSettings::parse(&stored);
        change(&mut settings)?;
        let new = serde_json::to_string(&settings.0).map_err(anyhow::Error::from)?;
        if new == stored {
            return Ok(settings);
        }
        if store::organizations::update_settings_if(&state.db, organization_id, &stored, &new)
            .await?
        {
            state.forget_organization(organization_id);
            return Ok(settings);
        }
    }
    Err(AppError::Conflict(
        "the organization's settings kept changing while this change was saved; try again".into(),
    ))
}

/// Whether campaign phone numbers are on: Spoke's `EXPERIMENTAL_CAMPAIGN_PHONE_NUMBERS`, which
/// needs the phone inventory; off by default.
pub fn campaign_phone_numbers_enabled(settings: &OrgSettings) -> bool {
    phone_inventory_enabled(settings)
        && settings
            .flag("EXPERIMENTAL_CAMPAIGN_PHONE_NUMBERS")
            .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_flags_read_like_spokes_features() {
        let settings =
            OrgSettings::parse(r#"{"A": "false", "B": "yes", "C": 0, "D": true, "E": ""}"#);
        assert_eq!(settings.flag("A"), Some(false));
        assert_eq!(settings.flag("B"), Some(true));
        assert_eq!(settings.flag("C"), Some(false));
        assert_eq!(settings.flag("D"), Some(true));
        assert_eq!(settings.flag("E"), Some(false));
        assert_eq!(settings.flag("missing"), None);
    }

    #[test]
    fn the_phone_inventory_is_on_unless_turned_off() {
        assert!(phone_inventory_enabled(&OrgSettings::parse("{}")));
        assert!(!phone_inventory_enabled(&OrgSettings::parse(
            r#"{"PHONE_INVENTORY": false}"#
        )));
        assert!(
            phone_inventory_enabled(&OrgSettings::parse("not json")),
            "unreadable settings fall back to the default"
        );
    }
}
