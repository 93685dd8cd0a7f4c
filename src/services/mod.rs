//! The domain: plain async functions over the store and the Bandwidth client.
//!
//! Must not import `graphql` or `http`.

pub mod access;
pub mod area_codes;
pub mod bandwidth_api;
pub mod callbacks;
pub mod consent;
pub mod consent_replies;
pub mod credentials;
pub mod error_codes;
pub mod failures;
pub mod health;
pub mod jobs;
pub mod managers;
pub mod messaging;
pub mod number_jobs;
pub mod numbers;
pub mod organizations;
pub mod outcomes;
pub mod phone;
pub mod provisioning;
pub mod registration;
pub mod secrets;
pub mod senders;
pub mod settings_page;
pub mod vendor;
pub mod webhook_auth;
