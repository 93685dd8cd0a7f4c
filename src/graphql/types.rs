//! GraphQL output and input types; separate from entities so stored secrets cannot reach the schema.

use async_graphql::{InputObject, Json, SimpleObject};
use chrono::{DateTime, Utc};

use crate::services::credentials::{self, Account};

/// A postal address (Bandwidth needs one to create a sub-account).
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "AddressInput")]
pub struct Address {
    pub house_number: Option<String>,
    pub street_name: Option<String>,
    pub city: Option<String>,
    pub state_code: Option<String>,
    pub zip: Option<String>,
    pub country: Option<String>,
}

impl From<credentials::Address> for Address {
    fn from(a: credentials::Address) -> Self {
        Self {
            house_number: a.house_number,
            street_name: a.street_name,
            city: a.city,
            state_code: a.state_code,
            zip: a.zip,
            country: a.country,
        }
    }
}

impl From<Address> for credentials::Address {
    fn from(a: Address) -> Self {
        Self {
            house_number: a.house_number,
            street_name: a.street_name,
            city: a.city,
            state_code: a.state_code,
            zip: a.zip,
            country: a.country,
        }
    }
}

/// An organization's Bandwidth account. The password is write-only: only `passwordSet` shows.
#[derive(Debug, Clone, SimpleObject)]
pub struct BandwidthAccount {
    pub account_id: String,
    pub user_name: String,
    pub password_set: bool,
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    pub address: Option<Address>,
    /// The URL Bandwidth posts callbacks to for this organization.
    pub callback_url: String,
    /// When Bandwidth last accepted these credentials; null when stored with `skipVerification`.
    pub verified_at: Option<DateTime<Utc>>,
    /// Whether Bandwidth accepted these credentials.
    pub verified: bool,
}

impl From<Account> for BandwidthAccount {
    fn from(a: Account) -> Self {
        Self {
            account_id: a.account_id,
            user_name: a.user_name,
            password_set: a.password_set,
            site_id: a.site_id,
            sip_peer_id: a.sip_peer_id,
            application_id: a.application_id,
            address: a.address.map(Into::into),
            callback_url: a.callback_url,
            verified: a.verified_at.is_some(),
            verified_at: a.verified_at,
        }
    }
}

/// Spoke's service-vendor shape; in `config` the password reads `"<Encrypted>"`, never the secret.
#[derive(Debug, Clone, SimpleObject)]
pub struct ServiceVendor {
    pub id: String,
    pub name: String,
    pub supports_org_config: bool,
    pub config: Option<Json<serde_json::Value>>,
    pub fully_configured: bool,
}

/// Bandwidth credentials as entered by an owner.
#[derive(Debug, Clone, InputObject)]
pub struct BandwidthCredentialsInput {
    pub account_id: String,
    pub user_name: String,
    /// Optional once set: omitted or `"<Encrypted>"` keeps the stored password.
    pub password: Option<String>,
    /// Sub-account (site) id entered by hand; empty clears it.
    pub site_id: Option<String>,
    /// Location (sip peer) id entered by hand; empty clears it.
    pub sip_peer_id: Option<String>,
    /// Messaging application id entered by hand; empty clears it.
    pub application_id: Option<String>,
    /// Billing address for the sub-account.
    pub address: Option<Address>,
    /// Store without checking with Bandwidth (offline setup); the account then reads unverified.
    #[graphql(default = false)]
    pub skip_verification: bool,
}

impl From<BandwidthCredentialsInput> for credentials::CredentialsUpdate {
    fn from(i: BandwidthCredentialsInput) -> Self {
        Self {
            account_id: i.account_id,
            user_name: i.user_name,
            password: i.password,
            site_id: i.site_id,
            sip_peer_id: i.sip_peer_id,
            application_id: i.application_id,
            address: i.address.map(Into::into),
            skip_verification: i.skip_verification,
        }
    }
}
