//! Service managers (SPEC §4): an ordered list of plug-ins that may propose the sending number of
//! a message and react to delivery reports.
//!
//! The list comes from `SERVICE_MANAGERS`, overridden per organization by its settings. Hook
//! logic is pure where it can be; the store work of each hook lives with the caller.

use serde_json::Value;

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

    fn is_picker(self) -> bool {
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

/// A manager of an organization and whether it can do its work.
#[derive(Debug, Clone)]
pub struct ManagerStatus {
    pub manager: Manager,
    /// Its place in the order (0 runs first).
    pub position: usize,
    /// sticky-sender needs nothing; a number picker needs an active number to pick.
    pub fully_configured: bool,
}

/// The organization's managers in order, with their state.
pub async fn statuses(state: &AppState, organization_id: i32) -> Result<Vec<ManagerStatus>> {
    let settings = organizations::settings(state, organization_id).await?;
    let list = for_org(&state.settings.service_managers, &settings)?;
    let has_numbers = store::phone_numbers::has_active(&state.db, organization_id).await?;
    Ok(list
        .into_iter()
        .enumerate()
        .map(|(position, manager)| ManagerStatus {
            manager,
            position,
            fully_configured: match manager {
                Manager::StickySender => true,
                Manager::NumpickerBasic => has_numbers,
            },
        })
        .collect())
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
}
