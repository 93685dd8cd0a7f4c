//! [`BandwidthClient`]: configuration (endpoints, credentials, HTTP client) and the one private
//! `send` helper every call goes through (Basic auth, content types, status → [`Error`]).
//!
//! The Dashboard calls live in `dashboard.rs` and `numbers.rs`, the Messaging calls in
//! `messaging.rs`; all are `impl BandwidthClient` blocks built on the helpers here and in
//! `wire.rs`.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use reqwest::header::{ACCEPT, CONTENT_TYPE};
use reqwest::{Method, StatusCode, Url};

use crate::bandwidth::envelope::{parse_messaging_error, scan_dashboard_errors};
use crate::bandwidth::error::{Api, Error};
use crate::bandwidth::wire::{Answer, Body, retry_at};

/// Bandwidth's production Dashboard base URL.
pub const DEFAULT_DASHBOARD_URL: &str = "https://dashboard.bandwidth.com/api";
/// Bandwidth's production Messaging v2 base URL.
pub const DEFAULT_MESSAGING_URL: &str = "https://messaging.bandwidth.com/api/v2";
/// How long to wait for a TCP/TLS connection to Bandwidth.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a whole request may take. Bandwidth's own callback timeout is 10 s; its API
/// calls are usually sub-second, so 30 s only catches a hung connection.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Base URLs of the two Bandwidth APIs (no trailing slash needed). Configurable so tests and
/// the emulator can point them at loopback, and because Bandwidth serves the Dashboard under
/// both `/api` and `/api/v1`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Dashboard base, e.g. `https://dashboard.bandwidth.com/api`.
    pub dashboard: String,
    /// Messaging base, e.g. `https://messaging.bandwidth.com/api/v2`.
    pub messaging: String,
}

impl Default for Endpoints {
    fn default() -> Self {
        Endpoints {
            dashboard: DEFAULT_DASHBOARD_URL.to_owned(),
            messaging: DEFAULT_MESSAGING_URL.to_owned(),
        }
    }
}

/// A Bandwidth API user and the account it acts on. The same user works for the Dashboard
/// and Messaging. `Debug` prints the password as `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The Bandwidth account id (appears in every path).
    pub account_id: String,
    /// The API user's username.
    pub username: String,
    /// The API user's password.
    pub password: String,
}

impl Credentials {
    /// Bundles an account id with an API user.
    pub fn new(
        account_id: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
    ) -> Self {
        Credentials {
            account_id: account_id.into(),
            username: username.into(),
            password: password.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("account_id", &self.account_id)
            .field("username", &self.username)
            .field("password", &"***")
            .finish()
    }
}

/// Builds an HTTP client with these timeouts, for [`BandwidthClient::with_http`].
pub fn build_http_client(
    connect_timeout: Duration,
    request_timeout: Duration,
) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(request_timeout)
        .user_agent(concat!("spoke-bandwidth/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))
}

/// Builds an HTTP client with [`DEFAULT_CONNECT_TIMEOUT`] and [`DEFAULT_REQUEST_TIMEOUT`].
pub fn default_http_client() -> Result<reqwest::Client, Error> {
    build_http_client(DEFAULT_CONNECT_TIMEOUT, DEFAULT_REQUEST_TIMEOUT)
}

/// A client for one Bandwidth account. Cheap to clone; clones share the connection pool.
#[derive(Clone)]
pub struct BandwidthClient {
    http: reqwest::Client,
    dashboard: Url,
    messaging: Url,
    credentials: Arc<Credentials>,
}

impl fmt::Debug for BandwidthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BandwidthClient")
            .field("dashboard", &self.dashboard.as_str())
            .field("messaging", &self.messaging.as_str())
            .field("credentials", &self.credentials)
            .finish()
    }
}

impl BandwidthClient {
    /// A client with its own HTTP client ([`default_http_client`]).
    pub fn new(endpoints: Endpoints, credentials: Credentials) -> Result<Self, Error> {
        Self::with_http(default_http_client()?, endpoints, credentials)
    }

    /// A client that reuses `http` (and its connection pool and timeouts).
    ///
    /// Base URLs must be `http(s)` and must not carry a username or password: reqwest puts
    /// the URL into its error texts, and credentials belong in [`Credentials`].
    pub fn with_http(
        http: reqwest::Client,
        endpoints: Endpoints,
        credentials: Credentials,
    ) -> Result<Self, Error> {
        Ok(BandwidthClient {
            http,
            dashboard: parse_base(&endpoints.dashboard, "dashboard")?,
            messaging: parse_base(&endpoints.messaging, "messaging")?,
            credentials: Arc::new(credentials),
        })
    }

    /// The account this client acts on.
    pub fn account_id(&self) -> &str {
        &self.credentials.account_id
    }

    /// `{dashboard}/accounts/{accountId}/{segments…}`, each segment percent-encoded.
    pub(crate) fn dashboard_url(&self, segments: &[&str]) -> Url {
        let mut url = self.dashboard.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("checked in parse_base: the base URL can have a path");
            path.pop_if_empty()
                .push("accounts")
                .push(&self.credentials.account_id)
                .extend(segments);
        }
        url
    }

    /// `{dashboard}/{segments…}`: the few Dashboard paths outside `/accounts`, such as
    /// `/tns/{tn}/tndetails`.
    pub(crate) fn dashboard_root_url(&self, segments: &[&str]) -> Url {
        let mut url = self.dashboard.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("checked in parse_base: the base URL can have a path");
            path.pop_if_empty().extend(segments);
        }
        url
    }

    /// `{messaging}/users/{accountId}/{segments…}`.
    pub(crate) fn messaging_url(&self, segments: &[&str]) -> Url {
        let mut url = self.messaging.clone();
        {
            let mut path = url
                .path_segments_mut()
                .expect("checked in parse_base: the base URL can have a path");
            path.pop_if_empty()
                .push("users")
                .push(&self.credentials.account_id)
                .extend(segments);
        }
        url
    }

    /// Sends one request with Basic auth and the API's content type, reads the whole answer,
    /// and turns 429 and non-2xx answers into errors.
    #[tracing::instrument(
        name = "bandwidth.send",
        skip_all,
        fields(api = %api, method = %method, path = %url.path(), status)
    )]
    pub(crate) async fn send(
        &self,
        api: Api,
        method: Method,
        url: Url,
        body: Body,
    ) -> Result<Answer, Error> {
        let accept = match api {
            Api::Dashboard => "application/xml",
            Api::Messaging => "application/json",
        };
        let mut request = self
            .http
            .request(method, url)
            .basic_auth(&self.credentials.username, Some(&self.credentials.password))
            .header(ACCEPT, accept);
        request = match body {
            Body::Empty => request,
            Body::Xml(xml) => request
                .header(CONTENT_TYPE, "application/xml; charset=utf-8")
                .body(xml),
            Body::Json(json) => request.header(CONTENT_TYPE, "application/json").body(json),
        };
        let response = request
            .send()
            .await
            .map_err(|e| Error::from_transport(api, e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::from_transport(api, e))?
            .to_vec();
        tracing::Span::current().record("status", status.as_u16());

        if status == StatusCode::TOO_MANY_REQUESTS {
            let errors = match api {
                Api::Dashboard => scan_dashboard_errors(&body),
                Api::Messaging => parse_messaging_error(&body).0,
            };
            let error = Error::RateLimited {
                api,
                retry_at: retry_at(&headers, Utc::now()),
                errors,
            };
            tracing::warn!(%error, "Bandwidth rate limit");
            return Err(error);
        }
        if !status.is_success() {
            let (errors, field_errors) = match api {
                Api::Dashboard => (scan_dashboard_errors(&body), Vec::new()),
                Api::Messaging => parse_messaging_error(&body),
            };
            let error = Error::Rejected {
                api,
                status: status.as_u16(),
                errors,
                field_errors,
            };
            tracing::debug!(%error, "Bandwidth rejected the request");
            return Err(error);
        }
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// A Dashboard call. With `errors_are_data == false`, a 2xx body that still carries an
    /// error envelope (code ≠ 0) is turned into [`Error::Rejected`], as node-numbers does.
    pub(crate) async fn dashboard(
        &self,
        method: Method,
        url: Url,
        body: Option<String>,
        errors_are_data: bool,
    ) -> Result<Answer, Error> {
        let body = body.map_or(Body::Empty, Body::Xml);
        let answer = self.send(Api::Dashboard, method, url, body).await?;
        if !errors_are_data {
            let errors = scan_dashboard_errors(&answer.body);
            if !errors.is_empty() {
                return Err(Error::Rejected {
                    api: Api::Dashboard,
                    status: answer.status.as_u16(),
                    errors,
                    field_errors: Vec::new(),
                });
            }
        }
        Ok(answer)
    }
}

fn parse_base(raw: &str, which: &str) -> Result<Url, Error> {
    let url = Url::parse(raw.trim())
        .map_err(|e| Error::Config(format!("the {which} base URL does not parse: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Error::Config(format!(
            "the {which} base URL must be http or https"
        )));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Error::Config(format!(
            "the {which} base URL must not carry credentials"
        )));
    }
    if url.cannot_be_a_base() || url.query().is_some() {
        return Err(Error::Config(format!(
            "the {which} base URL must be a plain base URL without a query"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client(dashboard: &str) -> BandwidthClient {
        BandwidthClient::with_http(
            reqwest::Client::new(),
            Endpoints {
                dashboard: dashboard.into(),
                messaging: "http://127.0.0.1:9/api/v2".into(),
            },
            Credentials::new("9900000", "user", "s3cret"),
        )
        .expect("valid endpoints")
    }

    #[test]
    fn builds_dashboard_paths_with_or_without_a_trailing_slash() {
        for base in ["http://h/api", "http://h/api/"] {
            let url = client(base).dashboard_url(&["sites", "12", "sippeers"]);
            assert_eq!(
                url.as_str(),
                "http://h/api/accounts/9900000/sites/12/sippeers"
            );
        }
    }

    #[test]
    fn percent_encodes_odd_ids_in_paths() {
        let url = client("http://h/api").dashboard_url(&["orders", "a/b c"]);
        assert_eq!(
            url.as_str(),
            "http://h/api/accounts/9900000/orders/a%2Fb%20c"
        );
    }

    #[test]
    fn refuses_base_urls_that_carry_credentials() {
        let result = BandwidthClient::with_http(
            reqwest::Client::new(),
            Endpoints {
                dashboard: "https://user:pw@dashboard.example/api".into(),
                messaging: DEFAULT_MESSAGING_URL.into(),
            },
            Credentials::new("1", "u", "p"),
        );
        assert!(matches!(result, Err(Error::Config(_))));
    }

    #[test]
    fn debug_output_hides_the_password() {
        let text = format!("{:?}", client("http://h/api"));
        assert!(text.contains("***"));
        assert!(!text.contains("s3cret"));
    }
}
