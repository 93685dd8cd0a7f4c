//! `AppError` → GraphQL error with `extensions.code`; internal details go to the log, not the client.

use async_graphql::{Error, ErrorExtensions};

use crate::error::AppError;

impl ErrorExtensions for AppError {
    fn extend(&self) -> Error {
        let message = if self.is_internal() {
            tracing::error!(error = ?self, "internal error answering a GraphQL request");
            "internal error; the server log has the details".to_owned()
        } else {
            self.to_string()
        };
        Error::new(message).extend_with(|_, ext| ext.set("code", self.code()))
    }
}

/// Converts a service result at the resolver boundary (a bare `?` would lose the code).
pub trait IntoGql<T> {
    /// The result with its error extended by its code.
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T> IntoGql<T> for Result<T, AppError> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| e.extend())
    }
}
