//! A Bandwidth client for an organization: its stored, sealed password opened, the client built
//! on the shared connection pool; and Bandwidth's errors turned into ours. Provisioning, number
//! jobs, sending and credentials depend on this module; it depends on none of them.

use crate::bandwidth::{self, BandwidthClient, Credentials, Endpoints};
use crate::config::Secret;
use crate::error::{AppError, Result};
use crate::services::secrets::Sealed;
use crate::state::AppState;
use crate::store;
use crate::store::entities::bandwidth_account;

/// A client for these credentials, on the server's shared connection pool and configured URLs.
pub fn client(
    state: &AppState,
    account_id: &str,
    user_name: &str,
    password: &Secret,
) -> Result<BandwidthClient> {
    let endpoints = Endpoints {
        dashboard: state.settings.bandwidth_dashboard_url.clone(),
        messaging: state.settings.bandwidth_messaging_url.clone(),
    };
    let credentials = Credentials::new(account_id, user_name, password.expose());
    BandwidthClient::with_http(state.http.clone(), endpoints, credentials)
        .map_err(|e| AppError::Internal(e.into()))
}

/// The organization's stored account and a client with its credentials.
pub async fn client_for_org(
    state: &AppState,
    organization_id: i32,
) -> Result<(BandwidthClient, bandwidth_account::Model)> {
    client_for_org_on(state, &state.db, organization_id).await
}

/// [`client_for_org`], reading the account on `db` (a send's transaction).
pub async fn client_for_org_on(
    state: &AppState,
    db: &impl sea_orm::ConnectionTrait,
    organization_id: i32,
) -> Result<(BandwidthClient, bandwidth_account::Model)> {
    let account = store::accounts::find(db, organization_id).await?.ok_or_else(|| {
        AppError::InvalidInput("this organization has no Bandwidth credentials yet: save them with updateBandwidthCredentials".into())
    })?;
    let password = state
        .secrets
        .open(&stored_password(&account), &secret_owner(organization_id))
        .map_err(|e| AppError::InvalidInput(e.to_string()))?;
    Ok((
        client(state, &account.account_id, &account.user_name, &password)?,
        account,
    ))
}

/// What an organization's Bandwidth password is bound to when sealed (associated data).
pub fn secret_owner(organization_id: i32) -> String {
    format!("spoke-bandwidth organization {organization_id} bandwidth password")
}

/// The account's password as it is stored (sealed).
pub fn stored_password(account: &bandwidth_account::Model) -> Sealed {
    Sealed {
        ciphertext: account.password_ciphertext.clone(),
        nonce: account.password_nonce.clone(),
        key_id: account.password_key_id.clone(),
    }
}

/// Bandwidth's answer as an `UPSTREAM_ERROR`, keeping its status, code and description.
pub fn upstream(e: bandwidth::Error) -> AppError {
    AppError::Upstream(e.to_string())
}

/// Bandwidth's answer to a credential check, worded for the person who typed them.
pub fn credential_check_failed(e: bandwidth::Error) -> AppError {
    let message = if e.is_auth_failure() {
        format!(
            "Bandwidth rejected these credentials ({e}); check the account id, the API user name and the password, and that the API user has the Configuration role. Nothing was saved."
        )
    } else if matches!(
        e,
        bandwidth::Error::Unreachable { .. } | bandwidth::Error::Timeout { .. }
    ) {
        format!(
            "Bandwidth could not be reached to check these credentials ({e}). Nothing was saved; try again, or save with skipVerification: true to store them unchecked."
        )
    } else {
        format!("Bandwidth did not accept the credential check ({e}). Nothing was saved.")
    };
    AppError::Upstream(message)
}
