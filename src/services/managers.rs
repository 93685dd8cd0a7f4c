//! Service managers (SPEC §4): an ordered list of plug-ins that may propose the sending number of
//! a message and react to delivery reports.
//!
//! The list comes from `SERVICE_MANAGERS`, overridden per organization by its settings. Hook
//! logic is pure where it can be; the store work of each hook lives with the caller.

use serde_json::{Map, Value};

use crate::error::{AppError, Result};
use crate::services::organizations::{self, OrgSettings};
use crate::state::AppState;
use crate::store;

/// A known service manager.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Manager {
    /// A contact keeps hearing from the same number.
    StickySender,
    /// Picks an active number: area code, then state, then any; least recently used first.
    NumpickerBasic,
}

impl Manager {
    /// Every manager this server implements.
    pub const ALL: [Manager; 2] = [Manager::StickySender, Manager::NumpickerBasic];

    /// The name used in `SERVICE_MANAGERS`.
    pub fn name(self) -> &'static str {
        match self {
            Manager::StickySender => "sticky-sender",
            Manager::NumpickerBasic => "numpicker-basic",
        }
    }

    /// The name shown to people.
    pub fn display_name(self) -> &'static str {
        match self {
            Manager::StickySender => "Sticky Sender",
            Manager::NumpickerBasic => "Number Picker (basic)",
        }
    }

    /// Whether it proposes numbers for contacts with no sticky number (a number picker).
    pub fn is_picker(self) -> bool {
        self.name().starts_with("numpicker")
    }

    /// Parses one name.
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Parses and checks an ordered list: every name known, no repeats, and `sticky-sender` (when
/// present) before any number picker, since the picker only fills in what sticky-sender left open.
pub fn parse_list(list: &str) -> std::result::Result<Vec<Manager>, String> {
    let known = Manager::ALL.map(Manager::name).join(", ");
    let mut managers = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let manager = Manager::parse(name).ok_or_else(|| {
            format!("unknown service manager {name:?} in {list:?}; known managers: {known}")
        })?;
        if managers.contains(&manager) {
            return Err(format!(
                "service manager {name:?} is listed twice in {list:?}; list it once"
            ));
        }
        if manager == Manager::StickySender && managers.iter().any(|m: &Manager| m.is_picker()) {
            return Err(format!(
                "sticky-sender must come before the number picker in {list:?}: use \"sticky-sender,numpicker-basic\""
            ));
        }
        managers.push(manager);
    }
    Ok(managers)
}

/// The organization's list: its `SERVICE_MANAGERS` setting (a comma-separated string or an array
/// of names) when it has one, else the environment's.
pub fn for_org(default_list: &str, settings: &OrgSettings) -> Result<Vec<Manager>> {
    let list = match settings.get("SERVICE_MANAGERS") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(","),
        _ => default_list.to_owned(),
    };
    parse_list(&list).map_err(|e| {
        AppError::InvalidInput(format!(
            "the organization's SERVICE_MANAGERS setting is invalid: {e}"
        ))
    })
}

/// numpicker-basic's options (all on by default): which tiers it tries before "any number".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PickerOptions {
    /// Prefer a number in the contact's area code.
    pub match_area_code: bool,
    /// Then a number in the contact's state.
    pub match_state: bool,
}

impl Default for PickerOptions {
    fn default() -> Self {
        Self {
            match_area_code: true,
            match_state: true,
        }
    }
}

impl Manager {
    /// The options an organization may set for this manager, with their defaults.
    pub fn default_options(self) -> Map<String, Value> {
        match self {
            Manager::StickySender => Map::new(),
            Manager::NumpickerBasic => {
                let defaults = PickerOptions::default();
                let mut map = Map::new();
                map.insert("matchAreaCode".into(), defaults.match_area_code.into());
                map.insert("matchState".into(), defaults.match_state.into());
                map
            }
        }
    }
}

/// A manager's options: its defaults overlaid with what the organization stored (unknown or
/// mistyped stored keys are ignored).
pub fn options(settings: &OrgSettings, manager: Manager) -> Map<String, Value> {
    let mut options = manager.default_options();
    if let Some(Value::Object(stored)) = settings
        .get(organizations::MANAGER_DATA_KEY)
        .and_then(|data| data.get(manager.name()))
    {
        for (key, value) in stored {
            if options.get(key).is_some_and(|d| same_kind(d, value)) {
                options.insert(key.clone(), value.clone());
            }
        }
    }
    options
}

/// numpicker-basic's options for the organization.
pub fn picker_options(settings: &OrgSettings) -> PickerOptions {
    let options = options(settings, Manager::NumpickerBasic);
    let flag = |key: &str| options.get(key).and_then(Value::as_bool).unwrap_or(true);
    PickerOptions {
        match_area_code: flag("matchAreaCode"),
        match_state: flag("matchState"),
    }
}

fn same_kind(a: &Value, b: &Value) -> bool {
    std::mem::discriminant(a) == std::mem::discriminant(b)
}

/// A manager of an organization and whether it can do its work.
#[derive(Debug, Clone)]
pub struct ManagerStatus {
    pub manager: Manager,
    /// Its place in the order (0 runs first); `None` when the organization turned it off.
    pub position: Option<usize>,
    /// sticky-sender needs nothing; a number picker needs an active number to pick; a manager
    /// that is off does nothing.
    pub fully_configured: bool,
    /// Its options (defaults filled in).
    pub options: Map<String, Value>,
}

impl ManagerStatus {
    /// Spoke's `ServiceManager.data`: `enabled`, `position` and the manager's options.
    pub fn data(&self) -> Value {
        let mut data = Map::new();
        data.insert("enabled".into(), self.position.is_some().into());
        data.insert("position".into(), self.position.into());
        data.extend(self.options.clone());
        Value::Object(data)
    }
}

/// The organization's managers: those on, in the order they run, then those it turned off.
pub async fn statuses(state: &AppState, organization_id: i32) -> Result<Vec<ManagerStatus>> {
    let settings = organizations::settings(state, organization_id).await?;
    let has_numbers = store::phone_numbers::has_active(&state.db, organization_id).await?;
    describe(&state.settings.service_managers, &settings, has_numbers)
}

fn describe(
    default_list: &str,
    settings: &OrgSettings,
    has_numbers: bool,
) -> Result<Vec<ManagerStatus>> {
    let list = for_org(default_list, settings)?;
    let off = Manager::ALL.into_iter().filter(|m| !list.contains(m));
    Ok(list
        .iter()
        .copied()
        .enumerate()
        .map(|(position, manager)| (manager, Some(position)))
        .chain(off.map(|manager| (manager, None)))
        .map(|(manager, position)| ManagerStatus {
            manager,
            position,
            fully_configured: position.is_some()
                && match manager {
                    Manager::StickySender => true,
                    Manager::NumpickerBasic => has_numbers,
                },
            options: options(settings, manager),
        })
        .collect())
}

/// Applies Spoke's `updateServiceManager` data for one manager (an object, or a JSON string of
/// one): `enabled` turns it on or off, `position` moves it in the order, and the manager's own
/// options are stored. The resulting order is checked like `SERVICE_MANAGERS`; the change is
/// written atomically with the rest of the settings untouched.
#[tracing::instrument(skip_all, fields(org_id = organization_id, manager = name))]
pub async fn update(
    state: &AppState,
    organization_id: i32,
    name: &str,
    update_data: &Value,
) -> Result<ManagerStatus> {
    let manager = Manager::parse(name).ok_or_else(|| {
        AppError::InvalidInput(format!(
            "unknown service manager {name:?}; known managers: {}",
            Manager::ALL.map(Manager::name).join(", ")
        ))
    })?;
    let change = parse_update(manager, update_data)?;
    let default_list = state.settings.service_managers.clone();
    let settings = organizations::update_settings(state, organization_id, |settings| {
        apply_update(&default_list, settings, manager, &change)
    })
    .await?;
    let has_numbers = store::phone_numbers::has_active(&state.db, organization_id).await?;
    describe(&default_list, &settings, has_numbers)?
        .into_iter()
        .find(|s| s.manager == manager)
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("every manager is described")))
}

/// A parsed `updateServiceManager` change.
#[derive(Debug, Clone, Default, PartialEq)]
struct ManagerChange {
    enabled: Option<bool>,
    position: Option<usize>,
    options: Map<String, Value>,
}

fn parse_update(manager: Manager, data: &Value) -> Result<ManagerChange> {
    let parsed;
    let data = match data {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text).map_err(|e| {
                AppError::InvalidInput(format!("updateData is not valid JSON: {e}"))
            })?;
            &parsed
        }
        other => other,
    };
    let Value::Object(fields) = data else {
        return Err(AppError::InvalidInput(
            "updateData must be a JSON object".into(),
        ));
    };
    let defaults = manager.default_options();
    let allowed = || {
        ["enabled", "position"]
            .into_iter()
            .chain(defaults.keys().map(String::as_str))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut change = ManagerChange::default();
    for (key, value) in fields {
        match key.as_str() {
            "enabled" => {
                change.enabled = Some(value.as_bool().ok_or_else(|| {
                    AppError::InvalidInput("updateData.enabled must be true or false".into())
                })?)
            }
            "position" => {
                change.position = Some(
                    value
                        .as_u64()
                        .and_then(|n| usize::try_from(n).ok())
                        .ok_or_else(|| {
                            AppError::InvalidInput(
                                "updateData.position must be a number from 0".into(),
                            )
                        })?,
                )
            }
            option => match defaults.get(option) {
                Some(default) if same_kind(default, value) => {
                    change.options.insert(key.clone(), value.clone());
                }
                Some(_) => {
                    return Err(AppError::InvalidInput(format!(
                        "updateData.{option} must be true or false"
                    )));
                }
                None => {
                    return Err(AppError::InvalidInput(format!(
                        "{} has no setting {option:?}; it takes: {}",
                        manager.name(),
                        allowed()
                    )));
                }
            },
        }
    }
    Ok(change)
}

fn apply_update(
    default_list: &str,
    settings: &mut OrgSettings,
    manager: Manager,
    change: &ManagerChange,
) -> Result<()> {
    let mut list = for_org(default_list, settings)?;
    let was_on = list.contains(&manager);
    let on = change.enabled.unwrap_or(was_on);
    list.retain(|m| *m != manager);
    if on {
        let natural = match manager {
            Manager::StickySender => 0,
            Manager::NumpickerBasic => list.len(),
        };
        let at = match (change.position, was_on) {
            (Some(position), _) => position,
            (None, true) => for_org(default_list, settings)?
                .iter()
                .position(|m| *m == manager)
                .unwrap_or(natural),
            (None, false) => natural,
        };
        list.insert(at.min(list.len()), manager);
    }
    let joined = list.iter().map(|m| m.name()).collect::<Vec<_>>().join(",");
    parse_list(&joined).map_err(AppError::InvalidInput)?;
    settings
        .0
        .insert("SERVICE_MANAGERS".into(), Value::String(joined));
    if !change.options.is_empty() {
        let data = settings
            .0
            .entry(organizations::MANAGER_DATA_KEY)
            .or_insert_with(|| Value::Object(Map::new()));
        if !data.is_object() {
            *data = Value::Object(Map::new());
        }
        let entry = data
            .as_object_mut()
            .expect("made an object just above")
            .entry(manager.name())
            .or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        entry
            .as_object_mut()
            .expect("made an object just above")
            .extend(change.options.clone());
    }
    Ok(())
}

/// A number proposed for sending, and by whom.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub user_number: String,
    pub by: Manager,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_list_parses_in_order() {
        assert_eq!(
            parse_list("sticky-sender,numpicker-basic").unwrap(),
            vec![Manager::StickySender, Manager::NumpickerBasic]
        );
        assert_eq!(
            parse_list(" numpicker-basic ").unwrap(),
            vec![Manager::NumpickerBasic]
        );
    }

    #[test]
    fn an_unknown_name_is_refused_with_the_known_ones() {
        let error = parse_list("sticky-sender,per-campaign-messageservices").unwrap_err();
        assert!(
            error.contains("per-campaign-messageservices") && error.contains("numpicker-basic"),
            "{error}"
        );
    }

    #[test]
    fn a_picker_before_sticky_sender_is_refused_with_the_fix() {
        let error = parse_list("numpicker-basic,sticky-sender").unwrap_err();
        assert!(
            error.contains("\"sticky-sender,numpicker-basic\""),
            "{error}"
        );
    }

    #[test]
    fn an_organization_setting_overrides_the_environment() {
        let settings = OrgSettings::parse(r#"{"SERVICE_MANAGERS": ["numpicker-basic"]}"#);
        assert_eq!(
            for_org("sticky-sender,numpicker-basic", &settings).unwrap(),
            vec![Manager::NumpickerBasic]
        );
        let bad = OrgSettings::parse(r#"{"SERVICE_MANAGERS": "numpicker-basic,sticky-sender"}"#);
        assert!(matches!(
            for_org("sticky-sender", &bad),
            Err(AppError::InvalidInput(_))
        ));
    }

    fn apply(settings: &mut OrgSettings, manager: Manager, data: Value) -> Result<()> {
        let change = parse_update(manager, &data)?;
        apply_update("sticky-sender,numpicker-basic", settings, manager, &change)
    }

    #[test]
    fn turning_a_manager_off_and_on_keeps_the_required_order() {
        let mut settings = OrgSettings::parse("{}");
        apply(
            &mut settings,
            Manager::StickySender,
            serde_json::json!({"enabled": false}),
        )
        .unwrap();
        assert_eq!(settings.get("SERVICE_MANAGERS").unwrap(), "numpicker-basic");
        apply(
            &mut settings,
            Manager::StickySender,
            serde_json::json!({"enabled": true}),
        )
        .unwrap();
        assert_eq!(
            settings.get("SERVICE_MANAGERS").unwrap(),
            "sticky-sender,numpicker-basic",
            "sticky-sender comes back in front of the picker"
        );
        let described = describe("sticky-sender,numpicker-basic", &settings, true).unwrap();
        assert_eq!(described[1].data()["position"], 1);
    }

    #[test]
    fn a_position_that_breaks_the_order_is_refused_and_nothing_changes() {
        let mut settings = OrgSettings::parse("{}");
        let error = apply(
            &mut settings,
            Manager::NumpickerBasic,
            serde_json::json!({"position": 0}),
        )
        .unwrap_err();
        assert!(
            error.to_string().contains("sticky-sender must come before"),
            "{error}"
        );
        assert!(settings.get("SERVICE_MANAGERS").is_none());
    }

    #[test]
    fn picker_options_are_stored_and_read_with_defaults() {
        let mut settings = OrgSettings::parse(r#"{"OTHER": 1}"#);
        apply(
            &mut settings,
            Manager::NumpickerBasic,
            serde_json::json!(r#"{"matchState": false}"#),
        )
        .unwrap();
        assert_eq!(
            picker_options(&settings),
            PickerOptions {
                match_area_code: true,
                match_state: false
            }
        );
        assert_eq!(settings.get("OTHER").unwrap(), 1, "other keys are kept");
        let unknown = apply(
            &mut settings,
            Manager::StickySender,
            serde_json::json!({"matchState": true}),
        );
        assert!(matches!(unknown, Err(AppError::InvalidInput(_))));
        let wrong_type = apply(
            &mut settings,
            Manager::NumpickerBasic,
            serde_json::json!({"matchState": "no"}),
        );
        assert!(matches!(wrong_type, Err(AppError::InvalidInput(_))));
    }

    #[test]
    fn a_manager_turned_off_is_listed_after_those_on_and_not_configured() {
        let settings = OrgSettings::parse(r#"{"SERVICE_MANAGERS": "numpicker-basic"}"#);
        let described = describe("sticky-sender,numpicker-basic", &settings, true).unwrap();
        assert_eq!(described[0].manager, Manager::NumpickerBasic);
        assert_eq!(described[1].manager, Manager::StickySender);
        assert_eq!(described[1].data()["enabled"], false);
        assert!(described[1].data()["position"].is_null());
        assert!(!described[1].fully_configured);
    }
}
