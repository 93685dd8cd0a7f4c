//! spoke-bandwidth: a GraphQL API server giving Spoke organizations a Bandwidth.com integration.
//!
//! Dependencies point one way: `http → graphql → services → {store, bandwidth}`; `emulator`
//! stands alone (the Bandwidth stand-in used by tests and `demo`).

pub mod bandwidth;
pub mod cli;
pub mod clock;
pub mod config;
pub mod demo;
pub mod emulator;
pub mod error;
pub mod graphql;
pub mod http;
pub mod services;
pub mod startup;
pub mod state;
pub mod store;
