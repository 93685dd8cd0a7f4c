//! The one error type of the Bandwidth client, [`Error`], with its helpers and its texts.
//!
//! Texts built here never include credentials: they only quote Bandwidth's error codes and
//! descriptions, never request or response bodies. Reading error bodies lives in
//! `envelope.rs`.

use std::fmt;

use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Which Bandwidth API a call went to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Api {
    /// The Dashboard ("Numbers"/IRIS) XML API.
    Dashboard,
    /// The Messaging v2 JSON API.
    Messaging,
}

impl fmt::Display for Api {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Api::Dashboard => "Dashboard",
            Api::Messaging => "Messaging",
        })
    }
}

/// One error entry as Bandwidth reported it.
///
/// Dashboard codes are numeric strings (`"13563"`); Messaging uses the error `type`
/// (`"request-validation"`) as the code.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ApiError {
    /// Bandwidth's error code (Dashboard) or error type (Messaging).
    pub code: String,
    /// Bandwidth's human-readable description.
    pub description: String,
    /// The telephone number an `ErrorList` entry is about, when Bandwidth names one.
    pub telephone_number: Option<String>,
}

/// One entry of a Messaging `fieldErrors` list.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FieldError {
    /// The request field that was rejected, e.g. `from`.
    #[serde(default)]
    pub field_name: String,
    /// Why it was rejected.
    #[serde(default)]
    pub description: String,
}

/// Everything that can go wrong when calling Bandwidth.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Bandwidth answered with an error status, or with an error envelope on a 2xx.
    /// `errors` is empty when the body carried no details (e.g. a Dashboard 401).
    #[error("{}", describe_rejection(*.api, *.status, .errors, .field_errors))]
    Rejected {
        /// The API that answered.
        api: Api,
        /// The HTTP status Bandwidth sent.
        status: u16,
        /// The error entries found in the body, in document order.
        errors: Vec<ApiError>,
        /// Messaging `fieldErrors`, if any.
        field_errors: Vec<FieldError>,
    },
    /// HTTP 429: too many requests. `retry_at` comes from `X-RateLimit-Reset`
    /// (Dashboard, epoch seconds) or `Retry-After` (Messaging, seconds).
    #[error("{}", describe_rate_limit(*.retry_at, .errors))]
    RateLimited {
        /// The API that answered.
        api: Api,
        /// When Bandwidth says the limit resets, if it said.
        retry_at: Option<DateTime<Utc>>,
        /// Error entries from the body (Messaging sends one; Dashboard sends none).
        errors: Vec<ApiError>,
    },
    /// Bandwidth could not be reached: DNS failure, connection refused or reset on connect.
    #[error("Bandwidth {api} is unreachable: {source}")]
    Unreachable {
        /// The API that was called.
        api: Api,
        /// The underlying transport error.
        #[source]
        source: reqwest::Error,
    },
    /// The connection or the whole request took longer than the configured timeout.
    #[error("Bandwidth {api} did not answer in time")]
    Timeout {
        /// The API that was called.
        api: Api,
        /// The underlying transport error.
        #[source]
        source: reqwest::Error,
    },
    /// Any other transport failure (e.g. the connection dropped while reading the body).
    #[error("the request to Bandwidth {api} failed: {source}")]
    Transport {
        /// The API that was called.
        api: Api,
        /// The underlying transport error.
        #[source]
        source: reqwest::Error,
    },
    /// A successful answer whose body we could not read.
    #[error("could not read Bandwidth {api}'s answer (HTTP {status}): {reason}")]
    Decode {
        /// The API that answered.
        api: Api,
        /// The HTTP status Bandwidth sent.
        status: u16,
        /// What did not fit (parser message, never the body itself).
        reason: String,
    },
    /// A successful answer that lacks something the call needs, e.g. the `Location` header of
    /// a created sip peer.
    #[error("Bandwidth {api} answered {status} without {missing}")]
    Incomplete {
        /// The API that answered.
        api: Api,
        /// The HTTP status Bandwidth sent.
        status: u16,
        /// What was missing.
        missing: &'static str,
    },
    /// A request body or query could not be encoded (a bug in the DTOs, not Bandwidth's).
    #[error("could not encode the request to Bandwidth: {0}")]
    Encode(String),
    /// The client was configured with something unusable (e.g. a base URL that does not parse).
    #[error("invalid Bandwidth client configuration: {0}")]
    Config(String),
}

impl Error {
    /// The HTTP status Bandwidth answered with, if it answered at all.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Rejected { status, .. }
            | Error::Decode { status, .. }
            | Error::Incomplete { status, .. } => Some(*status),
            Error::RateLimited { .. } => Some(429),
            Error::Unreachable { .. }
            | Error::Timeout { .. }
            | Error::Transport { .. }
            | Error::Encode(_)
            | Error::Config(_) => None,
        }
    }

    /// The API the failed call went to (`None` for encoding and configuration errors).
    pub fn api(&self) -> Option<Api> {
        match self {
            Error::Rejected { api, .. }
            | Error::RateLimited { api, .. }
            | Error::Unreachable { api, .. }
            | Error::Timeout { api, .. }
            | Error::Transport { api, .. }
            | Error::Decode { api, .. }
            | Error::Incomplete { api, .. } => Some(*api),
            Error::Encode(_) | Error::Config(_) => None,
        }
    }

    /// The error entries Bandwidth sent (empty for transport errors and detail-less answers).
    pub fn errors(&self) -> &[ApiError] {
        match self {
            Error::Rejected { errors, .. } | Error::RateLimited { errors, .. } => errors,
            _ => &[],
        }
    }

    /// The first error code Bandwidth sent, e.g. `"13563"` or `"request-validation"`.
    pub fn code(&self) -> Option<&str> {
        self.errors().first().map(|e| e.code.as_str())
    }

    /// Whether any error entry carries this code.
    pub fn has_code(&self, code: &str) -> bool {
        self.errors().iter().any(|e| e.code == code)
    }

    /// When a rate-limited call may be retried, if Bandwidth said.
    pub fn retry_at(&self) -> Option<DateTime<Utc>> {
        match self {
            Error::RateLimited { retry_at, .. } => *retry_at,
            _ => None,
        }
    }

    /// Whether retrying the same call later may succeed: rate limits, 5xx answers, timeouts
    /// and unreachable hosts. Other transport failures are not, since the request may have
    /// been processed. A timed-out request may have been processed too: check before
    /// retrying a non-idempotent call (an order, a message).
    pub fn is_transient(&self) -> bool {
        match self {
            Error::RateLimited { .. } | Error::Timeout { .. } | Error::Unreachable { .. } => true,
            Error::Rejected { status, .. } => *status >= 500,
            _ => false,
        }
    }

    /// Whether Bandwidth rejected the credentials (401) or the user's permissions (403).
    pub fn is_auth_failure(&self) -> bool {
        matches!(
            self,
            Error::Rejected {
                status: 401 | 403,
                ..
            }
        )
    }

    /// Sorts a transport error into [`Error::Timeout`], [`Error::Unreachable`] or
    /// [`Error::Transport`].
    pub(crate) fn from_transport(api: Api, source: reqwest::Error) -> Self {
        if source.is_timeout() {
            Error::Timeout { api, source }
        } else if source.is_connect() {
            Error::Unreachable { api, source }
        } else {
            Error::Transport { api, source }
        }
    }
}

fn describe_rejection(
    api: Api,
    status: u16,
    errors: &[ApiError],
    field_errors: &[FieldError],
) -> String {
    let mut text = format!("Bandwidth answered {status}");
    if errors.is_empty() {
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason());
        if let Some(reason) = reason {
            text.push(' ');
            text.push_str(reason);
        }
        text.push_str(" with no error details");
    }
    for (i, error) in errors.iter().enumerate() {
        text.push_str(if i == 0 { " " } else { "; " });
        push_entry(&mut text, api, error);
    }
    for field in field_errors {
        text.push_str(&format!("; {}: {}", field.field_name, field.description));
    }
    text
}

fn push_entry(text: &mut String, api: Api, error: &ApiError) {
    match api {
        Api::Dashboard => text.push_str(&format!("(code {})", error.code)),
        Api::Messaging => text.push_str(&format!("({})", error.code)),
    }
    if !error.description.is_empty() {
        text.push_str(": ");
        text.push_str(&error.description);
    }
    if let Some(number) = &error.telephone_number {
        text.push_str(&format!(" [{number}]"));
    }
}

fn describe_rate_limit(retry_at: Option<DateTime<Utc>>, errors: &[ApiError]) -> String {
    let mut text = String::from("Bandwidth answered 429: rate limit reached");
    if let Some(at) = retry_at {
        text.push_str(&format!(", retry after {}", at.to_rfc3339()));
    }
    for error in errors {
        text.push_str("; ");
        push_entry(&mut text, Api::Messaging, error);
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_reads_well_to_a_human() {
        let error = Error::Rejected {
            api: Api::Dashboard,
            status: 403,
            errors: vec![ApiError {
                code: "1001".into(),
                description: "Access Denied".into(),
                telephone_number: None,
            }],
            field_errors: vec![],
        };
        assert_eq!(
            error.to_string(),
            "Bandwidth answered 403 (code 1001): Access Denied"
        );
    }

    #[test]
    fn a_detail_less_rejection_names_the_status() {
        let error = Error::Rejected {
            api: Api::Dashboard,
            status: 401,
            errors: vec![],
            field_errors: vec![],
        };
        assert_eq!(
            error.to_string(),
            "Bandwidth answered 401 Unauthorized with no error details"
        );
        assert!(error.is_auth_failure());
        assert!(!error.is_transient());
    }
}
