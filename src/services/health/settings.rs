//! The organization's number-health settings: the `numberHealth` object of its settings
//! (`OrgSettings`), every field optional with a documented default (README "Number health").

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{AppError, Result};
use crate::services::organizations::OrgSettings;

/// The settings key.
pub const KEY: &str = "numberHealth";

/// Thresholds, windows and cool-downs of number health.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct HealthSettings {
    /// Spam/block failures (distinct contacts) within the window that quarantine a number.
    pub quarantine_strikes: i64,
    /// The window those failures are counted in, minutes.
    pub strike_window_minutes: i64,
    /// How long a quarantined number rests before probation, minutes.
    pub cooldown_minutes: i64,
    /// Deliveries in probation (with no strike) that make the number healthy again.
    pub probation_deliveries: i64,
    /// After this many quarantines, the next relapse retires the number.
    pub retire_after_quarantines: i64,
    /// Distinct numbers failing with spam codes on the same text that flag the text.
    pub content_flag_numbers: i64,
    /// The window those failures are counted in, minutes.
    pub content_window_minutes: i64,
    /// How long a 4785 volumetric violation pauses the number, minutes.
    pub number_pause_minutes: i64,
    /// How long a 4781 AT&T violation pauses the campaign, minutes.
    pub campaign_pause_minutes: i64,
    /// Bandwidth's per-number rate the picker paces to (P2P: 1 segment per second).
    pub segments_per_second: i64,
}

impl Default for HealthSettings {
    fn default() -> Self {
        Self {
            quarantine_strikes: 3,
            strike_window_minutes: 60,
            cooldown_minutes: 240,
            probation_deliveries: 5,
            retire_after_quarantines: 3,
            content_flag_numbers: 3,
            content_window_minutes: 60,
            number_pause_minutes: 15,
            campaign_pause_minutes: 60,
            segments_per_second: 1,
        }
    }
}

/// `(field, lowest, highest)` of every setting.
const BOUNDS: &[(&str, i64, i64)] = &[
    ("quarantineStrikes", 1, 1000),
    ("strikeWindowMinutes", 1, 10_080),
    ("cooldownMinutes", 1, 43_200),
    ("probationDeliveries", 1, 1000),
    ("retireAfterQuarantines", 1, 100),
    ("contentFlagNumbers", 2, 1000),
    ("contentWindowMinutes", 1, 10_080),
    ("numberPauseMinutes", 1, 1440),
    ("campaignPauseMinutes", 1, 1440),
    ("segmentsPerSecond", 1, 1000),
];

impl HealthSettings {
    /// The organization's settings; a missing or unreadable field takes its default.
    pub fn from_settings(settings: &OrgSettings) -> Self {
        let defaults = Self::default();
        let Some(Value::Object(stored)) = settings.get(KEY) else {
            return defaults;
        };
        let mut merged = serde_json::to_value(defaults).unwrap_or_default();
        for (field, low, high) in BOUNDS {
            if let Some(v) = stored.get(*field).and_then(Value::as_i64)
                && (*low..=*high).contains(&v)
            {
                merged[*field] = v.into();
            }
        }
        serde_json::from_value(merged).unwrap_or(defaults)
    }

    /// Applies the given fields (camelCase, whole numbers) over these, refusing an unknown field
    /// or a value out of its bounds with a message naming both.
    pub fn merged_with(&self, changes: &serde_json::Map<String, Value>) -> Result<Self> {
        let mut merged = serde_json::to_value(self).map_err(anyhow::Error::from)?;
        for (field, value) in changes {
            let Some((_, low, high)) = BOUNDS.iter().find(|(f, _, _)| f == field) else {
                let known: Vec<&str> = BOUNDS.iter().map(|(f, _, _)| *f).collect();
                return Err(AppError::InvalidInput(format!(
                    "{field} is not a number-health setting; use one of {}",
                    known.join(", ")
                )));
            };
            match value.as_i64() {
                Some(v) if (*low..=*high).contains(&v) => merged[field.as_str()] = v.into(),
                _ => {
                    return Err(AppError::InvalidInput(format!(
                        "{field} must be a whole number from {low} to {high}"
                    )));
                }
            }
        }
        Ok(serde_json::from_value(merged).map_err(anyhow::Error::from)?)
    }

    /// The milliseconds one segment occupies a number.
    pub fn segment_ms(&self) -> i64 {
        1000 / self.segments_per_second.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_or_out_of_range_fields_take_their_defaults() {
        let settings = OrgSettings::parse(
            r#"{"numberHealth": {"quarantineStrikes": 5, "cooldownMinutes": -1, "x": 1}}"#,
        );
        let read = HealthSettings::from_settings(&settings);
        assert_eq!(read.quarantine_strikes, 5);
        assert_eq!(read.cooldown_minutes, 240);
        assert_eq!(
            HealthSettings::from_settings(&OrgSettings::default()),
            HealthSettings::default()
        );
    }

    #[test]
    fn a_change_out_of_bounds_or_of_an_unknown_field_is_refused_naming_it() {
        let base = HealthSettings::default();
        let bad = serde_json::json!({"cooldownMinutes": 0});
        let e = base.merged_with(bad.as_object().unwrap()).unwrap_err();
        assert!(e.to_string().contains("cooldownMinutes must be"), "{e}");
        let unknown = serde_json::json!({"cooldown": 5});
        assert!(base.merged_with(unknown.as_object().unwrap()).is_err());
        let good = serde_json::json!({"cooldownMinutes": 30});
        assert_eq!(
            base.merged_with(good.as_object().unwrap())
                .unwrap()
                .cooldown_minutes,
            30
        );
    }
}
