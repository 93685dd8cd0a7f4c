//! A pure client for Bandwidth's Dashboard (XML) and Messaging v2 (JSON) APIs.
//!
//! Owns the wire formats ([`types`]), the HTTP calls ([`BandwidthClient`]) and the mapping of
//! Bandwidth's answers to [`Error`]. It must not import sea-orm, async-graphql or axum: it
//! knows nothing about our database, schema or routes. Services convert its DTOs into our
//! own types.
//!
//! ```no_run
//! # async fn demo() -> Result<(), spoke_bandwidth::bandwidth::Error> {
//! use spoke_bandwidth::bandwidth::{BandwidthClient, Credentials, Endpoints};
//! let client = BandwidthClient::new(
//!     Endpoints::default(),
//!     Credentials::new("9900000", "api-user", "api-password"),
//! )?;
//! client.verify_credentials().await?;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod client;
mod dashboard;
mod envelope;
mod error;
#[doc(hidden)]
pub mod fuzzing;
mod messaging;
mod numbers;
mod registration;
mod tree;
pub mod types;
mod wire;

pub use client::{
    BandwidthClient, Credentials, DEFAULT_CONNECT_TIMEOUT, DEFAULT_DASHBOARD_URL,
    DEFAULT_MESSAGING_URL, DEFAULT_REQUEST_TIMEOUT, Endpoints, build_http_client,
    default_http_client,
};
pub use error::{Api, ApiError, Error, FieldError};
pub use numbers::DEFAULT_TNS_PAGE_SIZE;
pub use types::*;
