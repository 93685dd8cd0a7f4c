//! `AppError`: the one error type of the service layer, mapped to codes at the GraphQL and HTTP edges.
//!
//! `Display` texts of the client-facing variants are safe to show; internal ones are logged with
//! detail at the edge and answered with a generic text.

use sea_orm::DbErr;

/// Errors of the service layer.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 404 / `NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),
    /// 400 / `BAD_USER_INPUT`.
    #[error("{0}")]
    InvalidInput(String),
    /// 401 / `UNAUTHENTICATED`.
    #[error("a valid API token is required: send `Authorization: Bearer <token>`")]
    Unauthenticated,
    /// 403 / `FORBIDDEN`; the same text whether the organization exists or not.
    #[error("you do not have access to this organization, or it does not exist")]
    Forbidden,
    /// 403 / `FORBIDDEN`: a member whose role is too low for the action.
    #[error("this needs the {0} role in the organization")]
    RoleRequired(&'static str),
    /// 403 / `FORBIDDEN`: a suspended member.
    #[error("your membership of this organization is suspended; ask an owner to restore it")]
    Suspended,
    /// 409 / `CONFLICT`.
    #[error("{0}")]
    Conflict(String),
    /// 409 with a code of its own: a send refused by a rule (consent, registration, health), e.g.
    /// `OPTED_OUT`; the text says why and what to do.
    #[error("{1}")]
    Refused(&'static str, String),
    /// 502 / `UPSTREAM_ERROR`: Bandwidth said no, or could not be reached; the text says which.
    #[error("{0}")]
    Upstream(String),
    /// 500 / `INTERNAL`: the database failed.
    #[error("database error")]
    Db(#[from] DbErr),
    /// 500 / `INTERNAL`: anything else unexpected.
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// Result with [`AppError`] by default.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    /// The `extensions.code` of SPEC §1.4.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound(_) => "NOT_FOUND",
            AppError::InvalidInput(_) => "BAD_USER_INPUT",
            AppError::Unauthenticated => "UNAUTHENTICATED",
            AppError::Forbidden | AppError::RoleRequired(_) | AppError::Suspended => "FORBIDDEN",
            AppError::Conflict(_) => "CONFLICT",
            AppError::Refused(code, _) => code,
            AppError::Upstream(_) => "UPSTREAM_ERROR",
            AppError::Db(_) | AppError::Internal(_) => "INTERNAL",
        }
    }

    /// Whether the detail must stay in the logs (the client sees a generic text).
    pub fn is_internal(&self) -> bool {
        matches!(self, AppError::Db(_) | AppError::Internal(_))
    }
}

impl From<sea_orm::TransactionError<AppError>> for AppError {
    fn from(e: sea_orm::TransactionError<AppError>) -> Self {
        match e {
            sea_orm::TransactionError::Connection(db) => AppError::Db(db),
            sea_orm::TransactionError::Transaction(app) => app,
        }
    }
}
