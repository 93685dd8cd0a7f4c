//! spoke-bandwidth: a GraphQL API server giving Spoke organizations a Bandwidth.com integration.

pub mod emulator;
