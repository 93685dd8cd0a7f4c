//! SeaORM entities, one per table; owned by us (not regenerated). Never exposed through GraphQL directly.

pub mod api_token;
pub mod bandwidth_account;
pub mod contact;
pub mod job;
pub mod membership;
pub mod message;
pub mod number_registration;
pub mod opt_out;
pub mod organization;
pub mod orphan_report;
pub mod phone_number;
pub mod send_failure;
pub mod tendlc_campaign;
pub mod user;
