//! The organization-level fields of Spoke's Settings page (texting hours, opt-out message,
//! theme, texter UI defaults, handlers and features) and the mutations that change them. Every
//! change is validated, then written atomically into the organization's settings
//! (`update_settings`), where the Settings query reads it back.
//!
//! Must not import `graphql` or `http`.

use serde_json::{Map, Value};

use crate::error::{AppError, Result};
use crate::services::organizations::{MANAGER_DATA_KEY, OrgSettings, update_settings};
use crate::services::{consent, managers};
use crate::state::AppState;

/// Spoke's default texter sidebox list, shown until `editOrganization` sets one.
pub const DEFAULT_SIDEBOX_CHOICES: [&str; 6] = [
    "celebration-gif",
    "default-dynamicassignment",
    "default-releasecontacts",
    "contact-reference",
    "default-editinitial",
    "tag-contact",
];

/// The most bytes an organization's stored settings may take (`featuresJSON`, texter options
/// and every other key together); a change that would pass it is refused.
pub const MAX_SETTINGS_BYTES: usize = 64 * 1024;
/// The most entries of one list setting (sideboxes, message or action handlers).
pub const MAX_LIST_ENTRIES: usize = 100;
/// The longest opt-out message (Bandwidth's limit for one message's text).
pub const MAX_OPT_OUT_MESSAGE: usize = 2048;

const TEXTER_UI_KEY: &str = "TEXTER_UI_SETTINGS";
const SIDEBOXES_KEY: &str = "TEXTER_SIDEBOXES";

/// Spoke's default opt-out message (used when the organization has none; `consent` owns it).
pub use crate::services::consent::DEFAULT_OPT_OUT_MESSAGE;

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
        // The consent rules read the same keys: one reading for the page and the send gate.
        let hours = consent::settings::texting_hours(settings);
        Self {
            texting_hours_enforced: hours.enforced,
            texting_hours_start: hours.window.start as i32,
            texting_hours_end: hours.window.end as i32,
            opt_out_message: consent::settings::opt_out_message(settings),
            theme: settings.get("theme").filter(|t| !t.is_null()).cloned(),
            message_handlers: list("MESSAGE_HANDLERS"),
            action_handlers: list("ACTION_HANDLERS"),
            features_json: Value::Object(features).to_string(),
            unset_features: KNOWN_FEATURES
                .iter()
                .filter(|k| settings.get(k).is_none())
                .map(|k| (*k).to_owned())
                .collect(),
            texter_ui_options: match settings.get(TEXTER_UI_KEY) {
                Some(Value::String(s)) => Some(s.clone()),
                Some(v @ Value::Object(_)) => Some(v.to_string()),
                _ => None,
            },
            sidebox_choices: match settings.get(SIDEBOXES_KEY) {
                None | Some(Value::Null) => DEFAULT_SIDEBOX_CHOICES.map(str::to_owned).to_vec(),
                Some(_) => list(SIDEBOXES_KEY),
            },
        }
    }
}

/// Spoke's `updateTextingHours`: hours 0–24 local to the contact, start before end.
pub async fn update_texting_hours(
    state: &AppState,
    organization_id: i32,
    start: i32,
    end: i32,
) -> Result<SpokeSettings> {
    check_hours(start, end)?;
    write(state, organization_id, |s| {
        s.0.insert("textingHoursStart".into(), start.into());
        s.0.insert("textingHoursEnd".into(), end.into());
        Ok(())
    })
    .await
}

/// Spoke's `updateTextingHoursEnforcement`.
pub async fn update_texting_hours_enforcement(
    state: &AppState,
    organization_id: i32,
    enforced: bool,
) -> Result<SpokeSettings> {
    write(state, organization_id, |s| {
        s.0.insert("textingHoursEnforced".into(), enforced.into());
        Ok(())
    })
    .await
}

/// Spoke's `updateOptOutMessage`: the text sent when a contact opts out.
pub async fn update_opt_out_message(
    state: &AppState,
    organization_id: i32,
    message: &str,
) -> Result<SpokeSettings> {
    let message = message.trim();
    if message.is_empty() {
        return Err(AppError::InvalidInput(
            "optOutMessage must not be empty".into(),
        ));
    }
    if message.chars().count() > MAX_OPT_OUT_MESSAGE {
        return Err(AppError::InvalidInput(format!(
            "optOutMessage must be at most {MAX_OPT_OUT_MESSAGE} characters"
        )));
    }
    write(state, organization_id, |s| {
        s.0.insert("optOutMessage".into(), message.into());
        Ok(())
    })
    .await
}

/// The colours of Spoke's theme editor; each a hex colour (`#rgb`, `#rrggbb` or `#rrggbbaa`).
#[derive(Debug, Clone, Default)]
pub struct Theme {
    pub primary: Option<String>,
    pub secondary: Option<String>,
    pub info: Option<String>,
    pub success: Option<String>,
    pub warning: Option<String>,
    pub error: Option<String>,
}

/// Spoke's `updateTheme`: the theme becomes the colours given (none given resets it).
pub async fn update_theme(
    state: &AppState,
    organization_id: i32,
    theme: &Theme,
) -> Result<SpokeSettings> {
    let mut colours = Map::new();
    for (field, value) in [
        ("primary", &theme.primary),
        ("secondary", &theme.secondary),
        ("info", &theme.info),
        ("success", &theme.success),
        ("warning", &theme.warning),
        ("error", &theme.error),
    ] {
        let Some(value) = value.as_deref().map(str::trim).filter(|v| !v.is_empty()) else {
            continue;
        };
        if !is_hex_colour(value) {
            return Err(AppError::InvalidInput(format!(
                "{field} must be a hex colour such as \"#209556\", not {value:?}"
            )));
        }
        colours.insert(field.into(), value.into());
    }
    write(state, organization_id, |s| {
        if colours.is_empty() {
            s.0.remove("theme");
        } else {
            s.0.insert("theme".into(), Value::Object(colours.clone()));
        }
        Ok(())
    })
    .await
}

/// Spoke's `editOrganization`: what the Settings page's texter UI and "Overriding default
/// settings" cards change. `None` leaves a part alone.
#[derive(Debug, Clone, Default)]
pub struct OrganizationEdit {
    /// `texterUIConfig.options`: a JSON object as a string; empty clears it.
    pub texter_ui_options: Option<String>,
    pub sidebox_choices: Option<Vec<String>>,
    pub message_handlers: Option<Vec<String>>,
    pub action_handlers: Option<Vec<String>>,
    /// A JSON object whose keys are merged into the settings (Spoke's `featuresJSON`).
    pub features_json: Option<String>,
    /// Keys removed after the merge.
    pub unset_features: Option<Vec<String>>,
    /// Whether a texter UI part was sent at all (Spoke then rewrites both of its keys).
    pub texter_ui_given: bool,
}

/// Spoke's `editOrganization`: merges `featuresJSON` into the settings, sets handlers and texter
/// UI defaults, removes `unsetFeatures`; refuses the whole change when any part is invalid.
pub async fn edit_organization(
    state: &AppState,
    organization_id: i32,
    edit: &OrganizationEdit,
) -> Result<SpokeSettings> {
    let features = match edit.features_json.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => Some(map),
            _ => {
                return Err(AppError::InvalidInput(
                    "featuresJSON must be a JSON object, e.g. {\"OPT_OUT_MESSAGE\": \"Bye\"}"
                        .into(),
                ));
            }
        },
    };
    if let Some(features) = &features
        && features.contains_key(MANAGER_DATA_KEY)
    {
        return Err(AppError::InvalidInput(format!(
            "featuresJSON may not set {MANAGER_DATA_KEY}; change service managers with updateServiceManager"
        )));
    }
    let options = match edit.texter_ui_options.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(_)) => Some(text.to_owned()),
            _ => {
                return Err(AppError::InvalidInput(
                    "texterUIConfig.options must be a JSON object as a string".into(),
                ));
            }
        },
    };
    let sideboxes = checked_list("texterUIConfig.sideboxChoices", &edit.sidebox_choices)?;
    let message_handlers = checked_list("settings.messageHandlers", &edit.message_handlers)?;
    let action_handlers = checked_list("settings.actionHandlers", &edit.action_handlers)?;
    write(state, organization_id, |s| {
        if edit.texter_ui_given {
            match &options {
                Some(text) => s.0.insert(TEXTER_UI_KEY.into(), text.as_str().into()),
                None => s.0.remove(TEXTER_UI_KEY),
            };
            if let Some(list) = &sideboxes {
                s.0.insert(SIDEBOXES_KEY.into(), list.join(",").into());
            }
        }
        if let Some(list) = &message_handlers {
            s.0.insert("MESSAGE_HANDLERS".into(), list.join(",").into());
        }
        if let Some(list) = &action_handlers {
            s.0.insert("ACTION_HANDLERS".into(), list.join(",").into());
        }
        if let Some(features) = &features {
            s.0.extend(features.clone());
        }
        for key in edit.unset_features.iter().flatten() {
            if key != MANAGER_DATA_KEY {
                s.0.remove(key.trim());
            }
        }
        Ok(())
    })
    .await
}

/// Spoke's `clearCachedOrgAndExtensionCaches`: forgets what this replica caches of the
/// organization's settings (other replicas re-read within seconds on their own).
pub fn clear_caches(state: &AppState, organization_id: i32) -> String {
    state.forget_organization(organization_id);
    "cleared".to_owned()
}

/// Applies a change and checks the result as a whole before it is stored, so no key (also one
/// set through `featuresJSON`) can be stored with a value the server would misread.
async fn write<F>(state: &AppState, organization_id: i32, mut change: F) -> Result<SpokeSettings>
where
    F: FnMut(&mut OrgSettings) -> Result<()>,
{
    let default_managers = state.settings.service_managers.clone();
    let settings = update_settings(state, organization_id, |s| {
        change(s)?;
        check(s, &default_managers)
    })
    .await?;
    Ok(SpokeSettings::from_settings(&settings))
}

/// The rules every stored settings object keeps.
fn check(settings: &OrgSettings, default_managers: &str) -> Result<()> {
    let size = Value::Object(settings.0.clone()).to_string().len();
    if size > MAX_SETTINGS_BYTES {
        return Err(AppError::InvalidInput(format!(
            "the organization's settings would take {size} bytes; the limit is {MAX_SETTINGS_BYTES}"
        )));
    }
    let hour = |key: &str, default: i64| -> Result<i64> {
        match settings.get(key) {
            None => Ok(default),
            Some(value) => value
                .as_i64()
                .filter(|h| (0..=24).contains(h))
                .ok_or_else(|| {
                    AppError::InvalidInput(format!(
                        "{key} must be a whole hour from 0 to 24, not {value}"
                    ))
                }),
        }
    };
    let start = hour("textingHoursStart", 9)?;
    let end = hour("textingHoursEnd", 21)?;
    check_hours(start as i32, end as i32)?;
    if let Some(value) = settings.get("textingHoursEnforced")
        && !value.is_boolean()
    {
        return Err(AppError::InvalidInput(format!(
            "textingHoursEnforced must be true or false, not {value}"
        )));
    }
    if let Some(value) = settings.get("DEFAULT_SERVICE")
        && !value
            .as_str()
            .is_some_and(|v| crate::config::SUPPORTED_SERVICES.contains(&v))
    {
        return Err(AppError::InvalidInput(format!(
            "DEFAULT_SERVICE must be one of {} (the service vendors this server serves), not {value}",
            crate::config::SUPPORTED_SERVICES.join(", ")
        )));
    }
    managers::for_org(default_managers, settings)?;
    consent::check_settings(settings)?;
    Ok(())
}

fn check_hours(start: i32, end: i32) -> Result<()> {
    if !(0..=24).contains(&start) {
        return Err(AppError::InvalidInput(format!(
            "textingHoursStart must be an hour from 0 to 24, not {start}"
        )));
    }
    if !(0..=24).contains(&end) {
        return Err(AppError::InvalidInput(format!(
            "textingHoursEnd must be an hour from 0 to 24, not {end}"
        )));
    }
    if start >= end {
        return Err(AppError::InvalidInput(format!(
            "textingHoursStart ({start}) must be before textingHoursEnd ({end})"
        )));
    }
    Ok(())
}

/// A list setting with its entries trimmed, none empty, at most [`MAX_LIST_ENTRIES`].
fn checked_list(field: &str, list: &Option<Vec<String>>) -> Result<Option<Vec<String>>> {
    let Some(list) = list else { return Ok(None) };
    if list.len() > MAX_LIST_ENTRIES {
        return Err(AppError::InvalidInput(format!(
            "{field} may have at most {MAX_LIST_ENTRIES} entries"
        )));
    }
    list.iter()
        .map(|entry| {
            let entry = entry.trim();
            if entry.is_empty() || entry.contains(',') || entry.len() > 100 {
                Err(AppError::InvalidInput(format!(
                    "{field} entries must be names of 1 to 100 characters without commas, not {entry:?}"
                )))
            } else {
                Ok(entry.to_owned())
            }
        })
        .collect::<Result<Vec<_>>>()
        .map(Some)
}

fn is_hex_colour(value: &str) -> bool {
    value.strip_prefix('#').is_some_and(|hex| {
        matches!(hex.len(), 3 | 6 | 8) && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::organizations::campaign_phone_numbers_enabled;

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

    #[test]
    fn texter_sideboxes_default_to_spokes_list_until_set() {
        let spoke = SpokeSettings::from_settings(&OrgSettings::parse("{}"));
        assert_eq!(spoke.sidebox_choices, DEFAULT_SIDEBOX_CHOICES);
        assert_eq!(spoke.texter_ui_options, None);
        let set = SpokeSettings::from_settings(&OrgSettings::parse(
            r#"{"TEXTER_SIDEBOXES": "tag-contact"}"#,
        ));
        assert_eq!(set.sidebox_choices, ["tag-contact"]);
    }

    #[test]
    fn hex_colours_are_told_from_other_text() {
        for good in ["#fff", "#209556", "#20955680"] {
            assert!(is_hex_colour(good), "{good}");
        }
        for bad in ["209556", "#12", "#ggg", "red", "#1234567"] {
            assert!(!is_hex_colour(bad), "{bad}");
        }
    }

    #[test]
    fn stored_settings_are_checked_as_a_whole() {
        let ok = OrgSettings::parse(r#"{"textingHoursStart": 8, "textingHoursEnd": 20}"#);
        assert!(check(&ok, "sticky-sender,numpicker-basic").is_ok());
        for (bad, field) in [
            (
                r#"{"textingHoursStart": 22, "textingHoursEnd": 20}"#,
                "textingHoursStart",
            ),
            (r#"{"textingHoursEnd": "late"}"#, "textingHoursEnd"),
            (r#"{"textingHoursEnforced": "yes"}"#, "textingHoursEnforced"),
            (
                r#"{"SERVICE_MANAGERS": "numpicker-basic,sticky-sender"}"#,
                "SERVICE_MANAGERS",
            ),
            (r#"{"DEFAULT_SERVICE": "twilio"}"#, "DEFAULT_SERVICE"),
        ] {
            let error = check(&OrgSettings::parse(bad), "sticky-sender,numpicker-basic")
                .unwrap_err()
                .to_string();
            assert!(error.contains(field), "{bad}: {error}");
        }
    }
}
