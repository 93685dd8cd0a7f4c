//! Organizations and their per-org settings (Spoke's `organization.features`), which override
//! the environment.

use serde_json::{Map, Value};

use crate::error::{AppError, Result};
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
        if new == stored
            || store::organizations::update_settings_if(&state.db, organization_id, &stored, &new)
                .await?
        {
            return Ok(settings);
        }
    }
    Err(AppError::Conflict(
        "the organization's settings kept changing while this change was saved; try again".into(),
    ))
}

/// Spoke's default opt-out message (used when the organization has none).
pub const DEFAULT_OPT_OUT_MESSAGE: &str =
    "I'm opting you out of texts immediately. Have a great day.";

/// The settings key of each service manager's own options (an object keyed by manager name).
pub const MANAGER_DATA_KEY: &str = "serviceManagerData";

/// Feature keys this server reads from an organization's settings (Spoke's `unsetFeatures`
/// lists those the organization has not set).
pub const KNOWN_FEATURES: [&str; 5] = [
    "DEFAULT_SERVICE",
    "SERVICE_MANAGERS",
    "PHONE_INVENTORY",
    "EXPERIMENTAL_CAMPAIGN_PHONE_NUMBERS",
    "OPT_OUT_MESSAGE",
];

/// The organization-level fields of Spoke's Settings page, read from the settings JSON with
/// Spoke's defaults (texting hours 9–21, not enforced; Spoke's opt-out message).
#[derive(Debug, Clone, PartialEq)]
pub struct SpokeSettings {
    pub texting_hours_enforced: bool,
    pub texting_hours_start: i32,
    pub texting_hours_end: i32,
    pub opt_out_message: String,
    pub theme: Option<Value>,
    pub message_handlers: Vec<String>,
    pub action_handlers: Vec<String>,
    /// The settings object as a JSON string, without what this server keeps for itself.
    pub features_json: String,
    pub unset_features: Vec<String>,
    /// Spoke's `TEXTER_UI_SETTINGS` (a JSON string).
    pub texter_ui_options: Option<String>,
    pub sidebox_choices: Vec<String>,
}

impl SpokeSettings {
    /// Reads the fields from the settings, defaulting what is unset or malformed.
    pub fn from_settings(settings: &OrgSettings) -> Self {
        let int = |key: &str, default: i32, range: std::ops::RangeInclusive<i64>| {
            settings
                .get(key)
                .and_then(Value::as_i64)
                .filter(|n| range.contains(n))
                .map_or(default, |n| n as i32)
        };
        let list = |key: &str| match settings.get(key) {
            Some(Value::String(s)) => s
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect(),
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect(),
            _ => Vec::new(),
        };
        let mut features = settings.0.clone();
        features.remove(MANAGER_DATA_KEY);
        Self {
            texting_hours_enforced: settings.flag("textingHoursEnforced").unwrap_or(false),
            texting_hours_start: int("textingHoursStart", 9, 0..=23),
            texting_hours_end: int("textingHoursEnd", 21, 0..=24),
            opt_out_message: ["optOutMessage", "OPT_OUT_MESSAGE"]
                .iter()
                .find_map(|k| settings.get(k).and_then(Value::as_str))
                .filter(|m| !m.trim().is_empty())
                .unwrap_or(DEFAULT_OPT_OUT_MESSAGE)
                .to_owned(),
            theme: settings.get("theme").filter(|t| !t.is_null()).cloned(),
            message_handlers: list("MESSAGE_HANDLERS"),
            action_handlers: list("ACTION_HANDLERS"),
            features_json: Value::Object(features).to_string(),
            unset_features: KNOWN_FEATURES
                .iter()
                .filter(|k| settings.get(k).is_none())
                .map(|k| (*k).to_owned())
                .collect(),
            texter_ui_options: match settings.get("TEXTER_UI_SETTINGS") {
                Some(Value::String(s)) => Some(s.clone()),
                Some(v @ Value::Object(_)) => Some(v.to_string()),
                _ => None,
            },
            sidebox_choices: list("TEXTER_SIDEBOXES"),
        }
    }
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

    #[test]
    fn a_fresh_organization_reads_spokes_defaults() {
        let spoke = SpokeSettings::from_settings(&OrgSettings::parse("{}"));
        assert!(!spoke.texting_hours_enforced);
        assert_eq!(
            (spoke.texting_hours_start, spoke.texting_hours_end),
            (9, 21)
        );
        assert_eq!(spoke.opt_out_message, DEFAULT_OPT_OUT_MESSAGE);
        assert_eq!(spoke.theme, None);
        assert_eq!(spoke.features_json, "{}");
        assert_eq!(spoke.unset_features.len(), KNOWN_FEATURES.len());
        assert!(!campaign_phone_numbers_enabled(&OrgSettings::parse("{}")));
    }

    #[test]
    fn stored_spoke_settings_are_read_and_manager_data_stays_out_of_features() {
        let settings = OrgSettings::parse(
            r#"{"textingHoursEnforced": true, "textingHoursStart": 8, "textingHoursEnd": 99,
                "optOutMessage": "Bye", "theme": {"palette": "dark"}, "SERVICE_MANAGERS": "sticky-sender",
                "serviceManagerData": {"numpicker-basic": {"matchState": false}},
                "MESSAGE_HANDLERS": "auto-optout, profanity-tagger"}"#,
        );
        let spoke = SpokeSettings::from_settings(&settings);
        assert!(spoke.texting_hours_enforced);
        assert_eq!(spoke.texting_hours_start, 8);
        assert_eq!(
            spoke.texting_hours_end, 21,
            "an out-of-range hour reads as the default"
        );
        assert_eq!(spoke.opt_out_message, "Bye");
        assert_eq!(spoke.theme, Some(serde_json::json!({"palette": "dark"})));
        assert_eq!(spoke.message_handlers, ["auto-optout", "profanity-tagger"]);
        assert!(!spoke.features_json.contains(MANAGER_DATA_KEY));
        assert!(spoke.features_json.contains("SERVICE_MANAGERS"));
        assert!(
            !spoke
                .unset_features
                .contains(&"SERVICE_MANAGERS".to_owned())
        );
    }
}
