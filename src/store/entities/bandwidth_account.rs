use sea_orm::entity::prelude::*;

/// An organization's Bandwidth credentials and the ids of what was provisioned for it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "bandwidth_accounts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub organization_id: i32,
    pub account_id: String,
    pub user_name: String,
    /// AES-256-GCM ciphertext of the API password, base64.
    #[sea_orm(column_type = "Text")]
    pub password_ciphertext: String,
    pub password_nonce: String,
    pub password_key_id: String,
    pub site_id: Option<String>,
    pub sip_peer_id: Option<String>,
    pub application_id: Option<String>,
    /// JSON of the billing address used to create the sub-account.
    #[sea_orm(column_type = "Text", nullable)]
    pub address: Option<String>,
    pub verified_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// JSON list of provisioning steps and their outcomes.
    #[sea_orm(column_type = "Text", nullable)]
    pub provisioning: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
