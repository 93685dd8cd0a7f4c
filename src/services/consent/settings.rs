//! The organization's consent settings, read from its settings object with their defaults and
//! checked before any of them is stored (`settings_page` calls [`check_settings`] on every
//! change, so `editOrganization`'s `featuresJSON` cannot store a value this module would
//! misread).
//!
//! Keys: Spoke's `textingHoursEnforced`, `textingHoursStart`, `textingHoursEnd` and
//! `optOutMessage` (or `OPT_OUT_MESSAGE`); this server's `optOutConfirmation`, `helpMessage`,
//! `defaultTimeZone` (or Spoke's `DEFAULT_TZ`) and `optOutExpressions` (or Spoke's
//! `AUTO_OPTOUT_REGEX_LIST_BASE64`).

use base64::Engine;
use chrono_tz::Tz;
use serde_json::Value;

use super::hours::Window;
use super::keywords::{self, Expression};
use crate::error::{AppError, Result};
use crate::services::organizations::OrgSettings;

/// Spoke's default opt-out message (used when the organization has none).
pub const DEFAULT_OPT_OUT_MESSAGE: &str =
    "I'm opting you out of texts immediately. Have a great day.";
/// The longest reply text (Bandwidth's limit for one message's text).
pub const MAX_REPLY_TEXT: usize = 2048;
/// The most opt-out expressions an organization may have.
pub const MAX_EXPRESSIONS: usize = 20;
/// The longest opt-out expression, in characters.
pub const MAX_EXPRESSION_LENGTH: usize = 500;
/// The longest reason of an expression (or of a manual opt-out).
pub const MAX_REASON: usize = 100;

/// Settings keys of this module.
pub const HELP_MESSAGE_KEY: &str = "helpMessage";
pub const CONFIRMATION_KEY: &str = "optOutConfirmation";
pub const DEFAULT_ZONE_KEY: &str = "defaultTimeZone";
pub const EXPRESSIONS_KEY: &str = "optOutExpressions";
const SPOKE_ZONE_KEY: &str = "DEFAULT_TZ";
const SPOKE_EXPRESSIONS_KEY: &str = "AUTO_OPTOUT_REGEX_LIST_BASE64";

/// Spoke's texting hours: whether enforced, and the window (defaults: not enforced, 9–21).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextingHours {
    pub enforced: bool,
    pub window: Window,
}

/// The texting hours as stored, defaulting what is unset or out of range.
pub fn texting_hours(settings: &OrgSettings) -> TextingHours {
    let hour = |key: &str, default: u32, max: i64| {
        settings
            .get(key)
            .and_then(Value::as_i64)
            .filter(|h| (0..=max).contains(h))
            .map_or(default, |h| h as u32)
    };
    TextingHours {
        enforced: settings.flag("textingHoursEnforced").unwrap_or(false),
        window: Window {
            start: hour("textingHoursStart", 9, 23),
            end: hour("textingHoursEnd", 21, 24),
        },
    }
}

/// The opt-out message: Spoke's `optOutMessage`, else `OPT_OUT_MESSAGE`, else Spoke's default.
pub fn opt_out_message(settings: &OrgSettings) -> String {
    ["optOutMessage", "OPT_OUT_MESSAGE"]
        .iter()
        .find_map(|k| settings.get(k).and_then(Value::as_str))
        .filter(|m| !m.trim().is_empty())
        .unwrap_or(DEFAULT_OPT_OUT_MESSAGE)
        .to_owned()
}

/// An opt-out expression as configured.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ExpressionEntry {
    pub regex: String,
    pub reason: String,
}

/// The consent settings of an organization, defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsentSettings {
    /// Whether an opt-out is confirmed with the opt-out message (on by default).
    pub opt_out_confirmation: bool,
    pub opt_out_message: String,
    /// The help text as set; `None` uses [`default_help_message`].
    pub help_message: Option<String>,
    /// The zone of contacts whose number has none.
    pub default_time_zone: Option<Tz>,
    /// The opt-out expressions (Spoke's default list unless the organization set its own).
    pub expressions: Vec<ExpressionEntry>,
    /// Whether `expressions` is the organization's own list.
    pub custom_expressions: bool,
}

impl ConsentSettings {
    /// Reads the settings; stored values are valid ([`check_settings`]), anything else reads as
    /// its default.
    pub fn from_settings(settings: &OrgSettings) -> Self {
        let custom = stored_expressions(settings).ok().flatten();
        Self {
            opt_out_confirmation: settings.flag(CONFIRMATION_KEY).unwrap_or(true),
            opt_out_message: opt_out_message(settings),
            help_message: settings
                .get(HELP_MESSAGE_KEY)
                .and_then(Value::as_str)
                .filter(|m| !m.trim().is_empty())
                .map(str::to_owned),
            default_time_zone: [DEFAULT_ZONE_KEY, SPOKE_ZONE_KEY]
                .iter()
                .find_map(|k| settings.get(k).and_then(Value::as_str))
                .and_then(|name| name.trim().parse::<Tz>().ok()),
            custom_expressions: custom.is_some(),
            expressions: custom.unwrap_or_else(|| {
                vec![ExpressionEntry {
                    regex: keywords::SPOKE_DEFAULT_EXPRESSION.into(),
                    reason: keywords::SPOKE_DEFAULT_REASON.into(),
                }]
            }),
        }
    }

    /// The expressions compiled (Spoke's default is compiled once for all organizations).
    pub fn compiled_expressions(&self) -> Vec<Expression> {
        if !self.custom_expressions {
            return keywords::spoke_default();
        }
        self.expressions
            .iter()
            .filter_map(|e| {
                keywords::compile(&e.regex).ok().map(|regex| Expression {
                    regex,
                    reason: e.reason.clone(),
                })
            })
            .collect()
    }

    /// The help text: the organization's, else one naming it and saying how to stop.
    pub fn help_text(&self, organization_name: &str) -> String {
        self.help_message
            .clone()
            .unwrap_or_else(|| default_help_message(organization_name))
    }
}

/// The help text of an organization that set none.
pub fn default_help_message(organization_name: &str) -> String {
    format!(
        "{organization_name}: you get texts from us about our campaigns. Reply STOP to stop them, START to get them again. Msg & data rates may apply."
    )
}

/// The confirmation of an opt-in (START).
pub fn opt_in_message(organization_name: &str) -> String {
    format!(
        "{organization_name}: you are opted back in and may get texts from us again. Reply STOP to stop them."
    )
}

/// The organization's own expression list (this server's key, else Spoke's base64 one), checked.
fn stored_expressions(settings: &OrgSettings) -> Result<Option<Vec<ExpressionEntry>>> {
    let list = match (
        settings.get(EXPRESSIONS_KEY),
        settings.get(SPOKE_EXPRESSIONS_KEY),
    ) {
        (Some(value), _) if !value.is_null() => value.clone(),
        (_, Some(Value::String(encoded))) if !encoded.trim().is_empty() => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(encoded.trim())
                .map_err(|_| {
                    AppError::InvalidInput(format!(
                        "{SPOKE_EXPRESSIONS_KEY} must be base64 of a JSON list of {{\"regex\", \"reason\"}}"
                    ))
                })?;
            serde_json::from_slice(&bytes).map_err(|_| {
                AppError::InvalidInput(format!(
                    "{SPOKE_EXPRESSIONS_KEY} must be base64 of a JSON list of {{\"regex\", \"reason\"}}"
                ))
            })?
        }
        _ => return Ok(None),
    };
    let entries: Vec<ExpressionEntry> = serde_json::from_value(list).map_err(|_| {
        AppError::InvalidInput(format!(
            "{EXPRESSIONS_KEY} must be a list of {{\"regex\": \"…\", \"reason\": \"…\"}}"
        ))
    })?;
    check_expressions(&entries)?;
    Ok(Some(entries))
}

/// Checks an expression list: at most [`MAX_EXPRESSIONS`], each a valid expression of at most
/// [`MAX_EXPRESSION_LENGTH`] characters with a reason of 1 to [`MAX_REASON`] characters.
pub fn check_expressions(entries: &[ExpressionEntry]) -> Result<()> {
    if entries.len() > MAX_EXPRESSIONS {
        return Err(AppError::InvalidInput(format!(
            "at most {MAX_EXPRESSIONS} opt-out expressions, not {}",
            entries.len()
        )));
    }
    for entry in entries {
        if entry.regex.trim().is_empty() || entry.regex.chars().count() > MAX_EXPRESSION_LENGTH {
            return Err(AppError::InvalidInput(format!(
                "an opt-out expression must be 1 to {MAX_EXPRESSION_LENGTH} characters"
            )));
        }
        check_reason(&entry.reason)?;
        keywords::compile(&entry.regex).map_err(|e| {
            AppError::InvalidInput(format!(
                "the opt-out expression {:?} is not a valid regular expression (or compiles larger than {} KiB): {}",
                entry.regex,
                keywords::MAX_COMPILED_EXPRESSION / 1024,
                last_line(&e.to_string())
            ))
        })?;
    }
    Ok(())
}

fn last_line(text: &str) -> &str {
    text.lines().last().unwrap_or(text).trim()
}

/// Checks a reason: 1 to [`MAX_REASON`] characters.
pub fn check_reason(reason: &str) -> Result<()> {
    let length = reason.trim().chars().count();
    if length == 0 || length > MAX_REASON {
        return Err(AppError::InvalidInput(format!(
            "a reason must be 1 to {MAX_REASON} characters"
        )));
    }
    Ok(())
}

/// Checks a reply text: not empty, at most [`MAX_REPLY_TEXT`] characters.
pub fn check_reply_text(field: &str, text: &str) -> Result<()> {
    if text.trim().is_empty() || text.chars().count() > MAX_REPLY_TEXT {
        return Err(AppError::InvalidInput(format!(
            "{field} must be 1 to {MAX_REPLY_TEXT} characters"
        )));
    }
    Ok(())
}

/// Checks a zone name (IANA, e.g. `America/Chicago`).
pub fn parse_zone(field: &str, name: &str) -> Result<Tz> {
    name.trim().parse::<Tz>().map_err(|_| {
        AppError::InvalidInput(format!(
            "{field} must be an IANA time zone such as \"America/Chicago\", not {name:?}"
        ))
    })
}

/// The rules every stored settings object keeps for the consent keys.
pub fn check_settings(settings: &OrgSettings) -> Result<()> {
    if let Some(value) = settings.get(CONFIRMATION_KEY)
        && !value.is_boolean()
    {
        return Err(AppError::InvalidInput(format!(
            "{CONFIRMATION_KEY} must be true or false, not {value}"
        )));
    }
    if let Some(value) = settings.get(HELP_MESSAGE_KEY) {
        match value.as_str() {
            Some(text) => check_reply_text(HELP_MESSAGE_KEY, text)?,
            None => {
                return Err(AppError::InvalidInput(format!(
                    "{HELP_MESSAGE_KEY} must be a string"
                )));
            }
        }
    }
    for key in ["optOutMessage", "OPT_OUT_MESSAGE"] {
        if let Some(Value::String(text)) = settings.get(key)
            && text.chars().count() > MAX_REPLY_TEXT
        {
            return Err(AppError::InvalidInput(format!(
                "{key} must be at most {MAX_REPLY_TEXT} characters"
            )));
        }
    }
    for key in [DEFAULT_ZONE_KEY, SPOKE_ZONE_KEY] {
        if let Some(value) = settings.get(key) {
            match value.as_str() {
                Some(name) => {
                    parse_zone(key, name)?;
                }
                None => {
                    return Err(AppError::InvalidInput(format!(
                        "{key} must be an IANA time zone name"
                    )));
                }
            }
        }
    }
    stored_expressions(settings)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fresh_organization_confirms_opt_outs_with_spokes_message_and_expression() {
        let consent = ConsentSettings::from_settings(&OrgSettings::parse("{}"));
        assert!(consent.opt_out_confirmation);
        assert_eq!(consent.opt_out_message, DEFAULT_OPT_OUT_MESSAGE);
        assert!(!consent.custom_expressions);
        assert_eq!(consent.expressions[0].reason, "stop");
        let help = consent.help_text("Acme Votes");
        assert!(
            help.starts_with("Acme Votes") && help.contains("STOP"),
            "{help}"
        );
        assert_eq!(consent.default_time_zone, None);
    }

    #[test]
    fn spokes_base64_expression_list_is_read_when_ours_is_unset() {
        let list = serde_json::json!([{"regex": "^nope$", "reason": "nope"}]).to_string();
        let encoded = base64::engine::general_purpose::STANDARD.encode(list);
        let settings = OrgSettings::parse(
            &serde_json::json!({"AUTO_OPTOUT_REGEX_LIST_BASE64": encoded, "DEFAULT_TZ": "America/Chicago"})
                .to_string(),
        );
        assert!(check_settings(&settings).is_ok());
        let consent = ConsentSettings::from_settings(&settings);
        assert!(consent.custom_expressions);
        assert_eq!(consent.expressions[0].reason, "nope");
        assert_eq!(consent.default_time_zone, Some(Tz::America__Chicago));
    }

    #[test]
    fn invalid_consent_settings_are_refused_naming_the_key() {
        let long = "x".repeat(MAX_REPLY_TEXT + 1);
        let many: Vec<Value> = (0..=MAX_EXPRESSIONS)
            .map(|i| serde_json::json!({"regex": format!("a{i}"), "reason": "r"}))
            .collect();
        for (bad, key) in [
            (
                serde_json::json!({"optOutConfirmation": "yes"}),
                "optOutConfirmation",
            ),
            (serde_json::json!({"helpMessage": long}), "helpMessage"),
            (serde_json::json!({"helpMessage": " "}), "helpMessage"),
            (
                serde_json::json!({"defaultTimeZone": "Mars/Olympus"}),
                "defaultTimeZone",
            ),
            (
                serde_json::json!({"optOutExpressions": [{"regex": "(", "reason": "r"}]}),
                "not a valid",
            ),
            (
                serde_json::json!({"optOutExpressions": [{"regex": "a", "reason": ""}]}),
                "reason",
            ),
            (serde_json::json!({"optOutExpressions": many}), "at most"),
            (
                serde_json::json!({"optOutExpressions": "stop"}),
                "optOutExpressions",
            ),
            (
                serde_json::json!({"AUTO_OPTOUT_REGEX_LIST_BASE64": "%%%"}),
                "AUTO_OPTOUT_REGEX_LIST_BASE64",
            ),
        ] {
            let error = check_settings(&OrgSettings::parse(&bad.to_string()))
                .unwrap_err()
                .to_string();
            assert!(error.contains(key), "{bad}: {error}");
        }
    }

    #[test]
    fn texting_hours_default_to_spokes() {
        let hours = texting_hours(&OrgSettings::parse("{}"));
        assert!(!hours.enforced);
        assert_eq!(hours.window, Window { start: 9, end: 21 });
    }
}
