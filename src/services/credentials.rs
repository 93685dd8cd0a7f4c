//! An organization's Bandwidth credentials: stored encrypted, write-only, checked with Bandwidth.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Secret;
use crate::error::{AppError, Result};
use crate::services::bandwidth_api::{self, secret_owner, stored_password};
use crate::services::webhook_auth;
use crate::state::AppState;
use crate::store;
use crate::store::entities::bandwidth_account;

/// What the admin UI shows instead of a stored password (Spoke's placeholder).
pub const ENCRYPTED_PLACEHOLDER: &str = "<Encrypted>";

/// A billing address, as Bandwidth needs it to create a sub-account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Address {
    pub house_number: Option<String>,
    pub street_name: Option<String>,
    pub city: Option<String>,
    pub state_code: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
}

/// A change of credentials. `None` keeps what is stored; an empty id clears it. `Debug` never
/// shows the password.
#[derive(Clone, Default)]
pub struct CredentialsUpdate {
    pub account_id: String,
    pub user_name: String,
    /// Omitted, empty or `"<Encrypted>"`: keep the stored password.
    pub password: Option<String>,
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    pub address: Option<Address>,
    /// Store without asking Bandwidth (offline setup); the account then reads as unverified.
    pub skip_verification: bool,
}

impl std::fmt::Debug for CredentialsUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialsUpdate")
            .field("account_id", &self.account_id)
            .field("user_name", &self.user_name)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .field("site_id", &self.site_id)
            .field("sip_peer_id", &self.sip_peer_id)
            .field("application_id", &self.application_id)
            .field("address", &self.address)
            .field("skip_verification", &self.skip_verification)
            .finish()
    }
}

/// An organization's Bandwidth account as callers may see it: never the password.
#[derive(Debug, Clone)]
pub struct Account {
    pub organization_id: i32,
    pub account_id: String,
    pub user_name: String,
    pub password_set: bool,
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    pub address: Option<Address>,
    pub verified_at: Option<DateTime<Utc>>,
    pub callback_url: String,
    /// The stored provisioning log (JSON); `provisioning::steps_of` reads its steps.
    pub provisioning_log: Option<String>,
}

impl Account {
    fn from_model(model: bandwidth_account::Model, base_url: &str) -> Self {
        Self {
            organization_id: model.organization_id,
            callback_url: webhook_auth::callback_url(base_url, model.organization_id),
            account_id: model.account_id,
            user_name: model.user_name,
            password_set: !model.password_ciphertext.is_empty(),
            site_id: model.site_id,
            sip_peer_id: model.sip_peer_id,
            application_id: model.application_id,
            address: model
                .address
                .as_deref()
                .and_then(|a| serde_json::from_str(a).ok()),
            verified_at: model.verified_at,
            provisioning_log: model.provisioning,
        }
    }

    /// Spoke's `serviceVendor.config` for Bandwidth: the form's keys, the password as `"<Encrypted>"`.
    pub fn vendor_config(&self) -> Value {
        let address = self.address.clone().unwrap_or_default();
        json!({
            "accountId": self.account_id,
            "userName": self.user_name,
            "password": if self.password_set { ENCRYPTED_PLACEHOLDER } else { "" },
            "siteId": self.site_id,
            "sipPeerId": self.sip_peer_id,
            "applicationId": self.application_id,
            "houseNumber": address.house_number,
            "streetName": address.street_name,
            "city": address.city,
            "stateCode": address.state_code,
            "zip": address.zip,
            "country": address.country,
        })
    }
}

/// The organization's account, if credentials were stored.
pub async fn find_account(state: &AppState, organization_id: i32) -> Result<Option<Account>> {
    Ok(store::accounts::find(&state.db, organization_id)
        .await?
        .map(|m| Account::from_model(m, state.settings.base_url())))
}

/// Validates, verifies (unless skipped) and stores new credentials; nothing is stored when
/// Bandwidth rejects them.
#[tracing::instrument(skip_all, fields(org_id = organization_id))]
pub async fn update_credentials(
    state: &AppState,
    organization_id: i32,
    update: CredentialsUpdate,
) -> Result<Account> {
    let account_id = required("accountId", &update.account_id)?;
    let user_name = required("userName", &update.user_name)?;
    if store::organizations::find(&state.db, organization_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(format!(
            "organization {organization_id} does not exist"
        )));
    }
    let existing = store::accounts::find(&state.db, organization_id).await?;
    let new_password = update
        .password
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty() && *p != ENCRYPTED_PLACEHOLDER);

    let sealed = match (new_password, &existing) {
        (Some(password), _) => state.secrets.seal(password, &secret_owner(organization_id)),
        (None, Some(old)) => stored_password(old),
        (None, None) => {
            return Err(AppError::InvalidInput(
                "password is required the first time credentials are saved".into(),
            ));
        }
    };

    let old = existing.clone();
    let ids = merged_ids(&update, old.as_ref());

    let verified_at = if update.skip_verification {
        None
    } else {
        let password = match new_password {
            Some(p) => Secret::new(p),
            None => state
                .secrets
                .open(&sealed, &secret_owner(organization_id))
                .map_err(|e| AppError::InvalidInput(e.to_string()))?,
        };
        let client = bandwidth_api::client(state, &account_id, &user_name, &password)?;
        client
            .verify_credentials()
            .await
            .map_err(bandwidth_api::credential_check_failed)?;
        check_changed_ids(&client, &account_id, &ids, old.as_ref()).await?;
        Some(Utc::now())
    };
    let address = update
        .address
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(anyhow::Error::from)?;

    // Compare-and-swap: the write succeeds only if no provisioning run saved ids (or its log)
    // since the row was read; otherwise re-read and merge, so neither overwrites the other.
    let mut read = old;
    for _ in 0..CREDENTIAL_WRITE_ATTEMPTS {
        let now = Utc::now();
        let ids = merged_ids(&update, read.as_ref());
        let model = bandwidth_account::Model {
            organization_id,
            account_id: account_id.clone(),
            user_name: user_name.clone(),
            password_ciphertext: sealed.ciphertext.clone(),
            password_nonce: sealed.nonce.clone(),
            password_key_id: sealed.key_id.clone(),
            site_id: ids.site,
            sip_peer_id: ids.peer,
            application_id: ids.application,
            address: address
                .clone()
                .or_else(|| read.as_ref().and_then(|o| o.address.clone())),
            verified_at,
            created_at: read.as_ref().map_or(now, |o| o.created_at),
            updated_at: now,
            provisioning: read.as_ref().and_then(|o| o.provisioning.clone()),
        };
        let written = match &read {
            None => store::accounts::insert_if_absent(&state.db, model.clone()).await?,
            Some(read) => store::accounts::update_credentials_if(&state.db, &model, read).await?,
        };
        if written {
            state.forget_organization(organization_id);
            return Ok(Account::from_model(model, state.settings.base_url()));
        }
        read = store::accounts::find(&state.db, organization_id).await?;
    }
    Err(AppError::Conflict(
        "the account kept changing while these credentials were saved (provisioning is running?); save again".into(),
    ))
}

/// How many times a credentials save re-reads and retries when provisioning wrote in between.
const CREDENTIAL_WRITE_ATTEMPTS: usize = 10;

/// The ids after `update` over what is stored: `None` keeps, empty clears, anything else sets.
fn merged_ids(update: &CredentialsUpdate, stored: Option<&bandwidth_account::Model>) -> Ids {
    let keep = |new: &Option<String>, old: Option<&Option<String>>| match new {
        Some(id) if id.trim().is_empty() => None,
        Some(id) => Some(id.trim().to_owned()),
        None => old.cloned().flatten(),
    };
    Ids {
        site: keep(&update.site_id, stored.map(|o| &o.site_id)),
        peer: keep(&update.sip_peer_id, stored.map(|o| &o.sip_peer_id)),
        application: keep(&update.application_id, stored.map(|o| &o.application_id)),
    }
}

/// What `rotate-secrets` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rotation {
    pub resealed: usize,
    pub current: usize,
}

/// Seals every stored password again under the current key, bound to its organization; a
/// password no configured key opens is an error naming the organization, and nothing of it
/// changes.
pub async fn reseal_all(
    db: &impl sea_orm::ConnectionTrait,
    secrets: &crate::services::secrets::SecretBox,
) -> Result<Rotation> {
    let mut rotation = Rotation {
        resealed: 0,
        current: 0,
    };
    for account in store::accounts::list_all(db).await? {
        let sealed = stored_password(&account);
        if account.password_ciphertext.is_empty() || !secrets.needs_reseal(&sealed) {
            rotation.current += 1;
            continue;
        }
        let owner = secret_owner(account.organization_id);
        let password = secrets.open(&sealed, &owner).map_err(|e| {
            AppError::InvalidInput(format!("organization {}: {e}", account.organization_id))
        })?;
        let new = secrets.seal(password.expose(), &owner);
        if store::accounts::update_password_if(
            db,
            account.organization_id,
            &account.password_ciphertext,
            &new.ciphertext,
            &new.nonce,
            &new.key_id,
        )
        .await?
        {
            rotation.resealed += 1;
        } else {
            // Saved again meanwhile: the new save used the current key.
            rotation.current += 1;
        }
    }
    Ok(rotation)
}

/// The Bandwidth ids an account will hold.
struct Ids {
    site: Option<String>,
    peer: Option<String>,
    application: Option<String>,
}

/// Checks with Bandwidth every id that differs from the stored one, before anything depends on
/// it: a wrong id is refused naming the field, and nothing is saved (so nothing is recreated,
/// released or lost because of a typo or Spoke's form posting the location id as `siteId`).
async fn check_changed_ids(
    client: &crate::bandwidth::BandwidthClient,
    account_id: &str,
    ids: &Ids,
    stored: Option<&bandwidth_account::Model>,
) -> Result<()> {
    let changed = |new: &Option<String>, old: Option<&Option<String>>| match new {
        Some(id) => old.and_then(Option::as_ref) != Some(id),
        None => false,
    };
    let refused = |field: &str, id: &str, what: &str, e: crate::bandwidth::Error| {
        if e.status().is_some_and(|s| (400..500).contains(&s)) {
            AppError::InvalidInput(format!(
                "{field} {id:?} is not {what} of Bandwidth account {account_id} (Bandwidth answered: {e}). Nothing was saved; correct {field}, or leave it empty to keep the stored one."
            ))
        } else {
            AppError::Upstream(format!(
                "Bandwidth could not be asked whether {field} {id:?} exists ({e}). Nothing was saved; try again."
            ))
        }
    };
    if changed(&ids.site, stored.map(|s| &s.site_id))
        && let Some(site) = &ids.site
    {
        client
            .get_site(site)
            .await
            .map_err(|e| refused("siteId", site, "a sub-account", e))?;
    }
    // A stored location on a changed site is provisioning's to replace (when it created it) or
    // to report; only a location id that itself changed is checked here.
    if changed(&ids.peer, stored.map(|s| &s.sip_peer_id))
        && let (Some(site), Some(peer)) = (&ids.site, &ids.peer)
    {
        client
            .get_sip_peer(site, peer)
            .await
            .map_err(|e| refused("sipPeerId", peer, "a location on that sub-account", e))?;
    }
    if changed(&ids.application, stored.map(|s| &s.application_id))
        && let Some(application) = &ids.application
    {
        client
            .get_application(application)
            .await
            .map_err(|e| refused("applicationId", application, "a messaging application", e))?;
    }
    Ok(())
}

fn required(field: &str, value: &str) -> Result<String> {
    let value = value.trim();
    if value.is_empty() {
        return Err(AppError::InvalidInput(format!("{field} must not be empty")));
    }
    if value.len() > 64 {
        return Err(AppError::InvalidInput(format!(
            "{field} must be at most 64 characters"
        )));
    }
    Ok(value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_credentials_change_never_prints_its_password() {
        let update = CredentialsUpdate {
            password: Some("hunter2-plaintext".into()),
            ..Default::default()
        };
        let printed = format!("{update:?}");
        assert!(!printed.contains("hunter2"), "{printed}");
        assert!(printed.contains("***"));
    }
}
