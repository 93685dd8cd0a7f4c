//! The tables of number health (issue #17); owned by us, never exposed through GraphQL directly.

/// A failure that counts against a sending number (spam or block), or against a text.
pub mod strike {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bandwidth_number_strikes")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i32,
        pub user_number: String,
        pub contact_number: String,
        pub error_code: i32,
        pub message_id: i64,
        /// sha256 (hex) of the normalised text.
        pub content_hash: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A transition of a number's health, with its cause.
pub mod event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bandwidth_number_health_events")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i32,
        pub phone_number: String,
        pub from_state: String,
        pub to_state: String,
        pub cause: String,
        /// JSON object: error code → count.
        #[sea_orm(column_type = "Text")]
        pub codes: String,
        #[sea_orm(column_type = "Text")]
        pub detail: String,
        /// The member who made a manual change.
        pub user_id: Option<i32>,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// A text flagged for an organization: its spam failures came from several numbers.
pub mod flagged_text {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bandwidth_flagged_texts")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i32,
        pub content_hash: String,
        #[sea_orm(column_type = "Text")]
        pub text: String,
        pub failures: i32,
        pub numbers: i32,
        #[sea_orm(column_type = "Text")]
        pub codes: String,
        pub flagged_at: DateTimeUtc,
        pub cleared_at: Option<DateTimeUtc>,
        pub cleared_by: Option<i32>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Sends of an organization (or of one of its Spoke campaigns) paused after a volume violation.
pub mod pause {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bandwidth_sending_pauses")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub organization_id: i32,
        /// The Spoke campaign id, or "" for every send of the organization.
        #[sea_orm(primary_key, auto_increment = false)]
        pub campaign_key: String,
        pub until: DateTimeUtc,
        pub error_code: i32,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// Which number served a contact, and why it changed.
pub mod sender_history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "bandwidth_sender_history")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub organization_id: i32,
        pub contact_number: String,
        pub from_number: Option<String>,
        pub to_number: Option<String>,
        pub reason: String,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
