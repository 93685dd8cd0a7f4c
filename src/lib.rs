//! spoke-bandwidth: a GraphQL API server giving Spoke organizations a Bandwidth.com integration.
//!
//! Dependencies point one way: `http → graphql → services → {store, bandwidth}`.

pub mod bandwidth;
pub mod cli;
pub mod config;
pub mod error;
pub mod graphql;
pub mod http;
pub mod services;
pub mod startup;
pub mod state;
pub mod store;
