//! Spoke's service-vendor section of the Settings page for Bandwidth (SPEC §1.4;
//! spoke-behaviour §1.3, §1.5, §6.3): `serviceVendor.config` and `updateServiceVendorConfig`.
//!
//! The config is the Bandwidth form's keys (`accountId userName password siteId sipPeerId
//! applicationId houseNumber streetName city stateCode zip country`) plus Spoke's computed
//! `serviceManagerNumPicker`/`serviceManagerSticky` and, when the last setup failed,
//! `autoConfigError`. The password always reads `"<Encrypted>"` (or `""` when none is stored).
//! Saving checks the credentials with Bandwidth and then provisions, as Spoke does; a failed
//! provisioning is reported in `autoConfigError`, not as an error, because that is the one
//! channel Spoke's form shows.
//!
//! Must not import `graphql` or `http`.

use serde_json::{Map, Value};

use crate::error::{AppError, Result};
use crate::services::credentials::{self, Address, CredentialsUpdate, ENCRYPTED_PLACEHOLDER};
use crate::services::managers::{self, Manager};
use crate::services::organizations;
use crate::services::provisioning::{self, ProvisioningState, StepStatus};
use crate::state::AppState;

/// The vendor's name in Spoke (`serviceVendor.name`, `updateServiceVendorConfig`'s `serviceName`).
pub const NAME: &str = "bandwidth";

/// Spoke's placeholder for a password that is not set; posted back, it keeps the stored one.
const HIDDEN_PLACEHOLDER: &str = "<Hidden>";

/// Spoke's `ServiceVendor.id`: `org<orgId>-bandwidth`.
pub fn id(organization_id: i32) -> String {
    format!("org{organization_id}-{NAME}")
}

/// The organization's `serviceVendor.config`: never the password.
pub async fn config(state: &AppState, organization_id: i32) -> Result<Value> {
    let account = credentials::find_account(state, organization_id).await?;
    let settings = organizations::settings(state, organization_id).await?;
    let list = managers::for_org(&state.settings.service_managers, &settings).unwrap_or_default();
    let mut config = match &account {
        Some(account) => account.vendor_config(),
        None => Value::Object(Map::new()),
    };
    let map = config
        .as_object_mut()
        .expect("vendor_config is a JSON object");
    map.insert(
        "serviceManagerNumPicker".into(),
        list.iter().any(|m| m.is_picker()).into(),
    );
    map.insert(
        "serviceManagerSticky".into(),
        list.contains(&Manager::StickySender).into(),
    );
    if let Some(error) = account
        .as_ref()
        .and_then(|a| failed_step_error(&provisioning::steps_of(a.provisioning_log.as_deref())))
    {
        map.insert("autoConfigError".into(), error.into());
    }
    Ok(config)
}

/// Spoke's `updateServiceVendorConfig`: stores the form (a JSON object, or the JSON string
/// Spoke's client sends), checks the credentials with Bandwidth (a rejection is an error and
/// nothing is saved), then provisions what is missing. Returns the new config; a failed
/// provisioning shows as its `autoConfigError`.
#[tracing::instrument(skip_all, fields(org_id = organization_id))]
pub async fn update_config(
    state: &AppState,
    organization_id: i32,
    service_name: &str,
    config: &Value,
) -> Result<Value> {
    if service_name != NAME {
        return Err(AppError::InvalidInput(format!(
            "Can't configure {service_name}. It's not the configured message service ({NAME})"
        )));
    }
    let form = parse_config(config)?;
    let existing = credentials::find_account(state, organization_id).await?;
    let update = credentials_update(&form, existing.as_ref())?;
    credentials::update_credentials(state, organization_id, update).await?;

    let auto_config_error = match provisioning::provision(state, organization_id, None).await {
        Ok(outcome) if outcome.state == ProvisioningState::Complete => None,
        Ok(outcome) => Some(
            failed_step_error(&outcome.steps)
                .unwrap_or_else(|| "Auto-configuration failed.".to_owned()),
        ),
        Err(e) if e.is_internal() => return Err(e),
        Err(e) => Some(format!("Auto-configuration failed: {e}")),
    };
    let mut config = self::config(state, organization_id).await?;
    if let Some(error) = auto_config_error {
        config["autoConfigError"] = error.into();
    }
    Ok(config)
}

/// `"Auto-configuration failed at <step>: <Bandwidth's text>"` for the first failed step.
fn failed_step_error(steps: &[provisioning::Step]) -> Option<String> {
    steps
        .iter()
        .find(|s| s.status == StepStatus::Failed)
        .map(|s| {
            format!(
                "Auto-configuration failed at {}: {}",
                s.name,
                s.detail.as_deref().unwrap_or("Bandwidth refused")
            )
        })
}

/// The form as an object: Spoke's client sends `JSON.stringify(form)`; an object is accepted too.
fn parse_config(config: &Value) -> Result<Map<String, Value>> {
    let parsed;
    let config = match config {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|_| AppError::InvalidInput("Config is not valid JSON".into()))?;
            &parsed
        }
        other => other,
    };
    match config {
        Value::Object(map) => Ok(map.clone()),
        _ => Err(AppError::InvalidInput(
            "Config must be a JSON object of the Bandwidth form's fields".into(),
        )),
    }
}

/// A form field: `None` when absent or null, else its text (numbers are taken as typed).
fn field(form: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    match form.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_owned())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(AppError::InvalidInput(format!("{key} must be a string"))),
    }
}

/// Maps the form onto a credentials change. Absent, null and blank fields keep what is stored
/// (Spoke's form posts blank ids back after a save); the password is kept when the form posts
/// Spoke's placeholder or nothing. A changed id is checked with Bandwidth by
/// `update_credentials` before it is stored. Keys the form carries that are not Bandwidth's
/// (`autoConfigError`, Spoke's own UI state) are ignored.
fn credentials_update(
    form: &Map<String, Value>,
    existing: Option<&credentials::Account>,
) -> Result<CredentialsUpdate> {
    let or_stored = |key: &str, stored: Option<&String>| -> Result<String> {
        match field(form, key)?.filter(|v| !v.is_empty()) {
            Some(value) => Ok(value),
            None => stored
                .cloned()
                .ok_or_else(|| AppError::InvalidInput(format!("{key} is required"))),
        }
    };
    let password = field(form, "password")?
        .filter(|p| !p.is_empty() && p != ENCRYPTED_PLACEHOLDER && p != HIDDEN_PLACEHOLDER);
    let stored_address = existing.and_then(|a| a.address.clone()).unwrap_or_default();
    let address_field = |key: &str, stored: Option<String>| -> Result<Option<String>> {
        Ok(match field(form, key)? {
            Some(value) if value.is_empty() => None,
            Some(value) => Some(value),
            None => stored,
        })
    };
    let address = Address {
        house_number: address_field("houseNumber", stored_address.house_number)?,
        street_name: address_field("streetName", stored_address.street_name)?,
        city: address_field("city", stored_address.city)?,
        state_code: address_field("stateCode", stored_address.state_code)?,
        zip: address_field("zip", stored_address.zip)?,
        country: address_field("country", stored_address.country)?,
    };
    Ok(CredentialsUpdate {
        account_id: or_stored("accountId", existing.map(|a| &a.account_id))?,
        user_name: or_stored("userName", existing.map(|a| &a.user_name))?,
        password,
        site_id: posted_site_id(form, existing)?,
        sip_peer_id: posted_id(form, "sipPeerId")?,
        application_id: posted_id(form, "applicationId")?,
        address: (address != Address::default()).then_some(address),
        skip_verification: false,
    })
}

/// An id as posted: `None` (keep the stored one) when absent, null or blank.
fn posted_id(form: &Map<String, Value>, key: &str) -> Result<Option<String>> {
    Ok(field(form, key)?.filter(|id| !id.is_empty()))
}

/// The posted `siteId`, except Spoke's known slip: after a save its form may copy the new
/// location id into `siteId` (reference/spoke-admin-client.md §3). A `siteId` equal to the stored
/// `sipPeerId` and not to the stored `siteId` is that slip, and keeps the stored sub-account.
fn posted_site_id(
    form: &Map<String, Value>,
    existing: Option<&credentials::Account>,
) -> Result<Option<String>> {
    let posted = posted_id(form, "siteId")?;
    let slip = existing
        .is_some_and(|a| a.sip_peer_id.is_some() && a.sip_peer_id == posted && a.site_id != posted);
    if slip {
        tracing::info!(
            "the form posted the location id as siteId (a Spoke form quirk); keeping the stored sub-account"
        );
        return Ok(None);
    }
    Ok(posted)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn form(value: Value) -> Map<String, Value> {
        parse_config(&value).unwrap()
    }

    #[test]
    fn the_config_is_accepted_as_a_json_string_or_an_object() {
        let object = json!({"accountId": "99", "userName": "u"});
        assert_eq!(
            parse_config(&Value::String(object.to_string())).unwrap(),
            parse_config(&object).unwrap()
        );
        let error = parse_config(&json!("{not json")).unwrap_err();
        assert_eq!(error.to_string(), "Config is not valid JSON");
        assert!(parse_config(&json!([1])).is_err());
    }

    #[test]
    fn the_placeholders_keep_the_stored_password_and_ui_keys_are_ignored() {
        for password in [
            json!("<Encrypted>"),
            json!("<Hidden>"),
            json!(""),
            Value::Null,
        ] {
            let update = credentials_update(
                &form(
                    json!({"accountId": "99", "userName": "u", "password": password,
                    "serviceManagerSticky": true, "advancedCollapse": false}),
                ),
                None,
            )
            .unwrap();
            assert_eq!(update.password, None);
        }
        let update = credentials_update(
            &form(json!({"accountId": "99", "userName": "u", "password": "secret"})),
            None,
        )
        .unwrap();
        assert_eq!(update.password.as_deref(), Some("secret"));
        assert!(!update.skip_verification, "saving checks the credentials");
    }

    fn stored_account() -> credentials::Account {
        credentials::Account {
            organization_id: 1,
            account_id: "99".into(),
            user_name: "u".into(),
            password_set: true,
            site_id: Some("site-1".into()),
            sip_peer_id: Some("peer-7".into()),
            application_id: Some("app-1".into()),
            address: None,
            verified_at: None,
            callback_url: String::new(),
            provisioning_log: None,
        }
    }

    #[test]
    fn null_and_blank_ids_keep_the_stored_ones_and_a_new_id_is_passed_on() {
        let stored = stored_account();
        let update = credentials_update(
            &form(json!({"siteId": null, "sipPeerId": "", "applicationId": "app-2"})),
            Some(&stored),
        )
        .unwrap();
        assert_eq!(update.site_id, None, "None keeps the stored site");
        assert_eq!(update.sip_peer_id, None, "blank keeps the stored location");
        assert_eq!(update.application_id.as_deref(), Some("app-2"));
        assert_eq!(update.account_id, "99", "the stored account id is kept");
    }

    #[test]
    fn the_location_id_posted_as_site_id_keeps_the_stored_sub_account() {
        let stored = stored_account();
        let update = credentials_update(&form(json!({"siteId": "peer-7"})), Some(&stored)).unwrap();
        assert_eq!(update.site_id, None);
        let other = credentials_update(&form(json!({"siteId": "site-2"})), Some(&stored)).unwrap();
        assert_eq!(
            other.site_id.as_deref(),
            Some("site-2"),
            "a real change is passed on"
        );
    }

    #[test]
    fn the_account_id_is_required_on_a_first_save() {
        let error = credentials_update(&form(json!({"userName": "u"})), None).unwrap_err();
        assert_eq!(error.to_string(), "accountId is required");
    }

    #[test]
    fn address_fields_are_merged_field_by_field() {
        let update = credentials_update(
            &form(json!({"accountId": "99", "userName": "u", "houseNumber": "900", "zip": 27606, "country": "United States"})),
            None,
        )
        .unwrap();
        let address = update.address.unwrap();
        assert_eq!(address.house_number.as_deref(), Some("900"));
        assert_eq!(address.zip.as_deref(), Some("27606"));
        assert_eq!(address.city, None);
    }
}
