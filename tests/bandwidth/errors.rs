//! Error mapping that cuts across calls: rate limits, error envelopes on 200, 5xx, transport
//! failures, decode failures, and that no error or debug text ever shows the password.

use std::time::Duration;

use spoke_bandwidth::bandwidth::{
    AvailableNumbersQuery, BandwidthClient, Credentials, Endpoints, Error, MessageRequest,
    NewOrder, Site,
};

use crate::support::{FixtureServer, PASSWORD, Reply};

#[tokio::test]
async fn a_dashboard_429_is_rate_limited_until_the_reset_time() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/availableNumbers",
        Reply::http_fixture("dashboard-429.http"),
    );

    let error = server
        .client()
        .search_available_numbers(&AvailableNumbersQuery::area_code("919", 1))
        .await
        .expect_err("limited");

    let Error::RateLimited { retry_at, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(retry_at.map(|t| t.timestamp()), Some(1_590_033_530));
    assert!(error.is_transient());
    assert_eq!(error.status(), Some(429));
    assert_eq!(
        error.to_string(),
        "Bandwidth answered 429: rate limit reached, retry after 2020-05-21T03:58:50+00:00"
    );
}

#[tokio::test]
async fn an_error_code_on_a_200_is_an_error_for_ordinary_calls() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/3014",
        Reply::fixture(200, "dashboard-get-site-404.xml"),
    );

    let error = server.client().get_site("3014").await.expect_err("error");

    assert!(
        matches!(error, Error::Rejected { status: 200, .. }),
        "{error:?}"
    );
    assert_eq!(error.code(), Some("12016"));
}

#[tokio::test]
async fn an_error_list_on_a_201_order_is_an_error() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/orders",
        Reply::fixture(201, "dashboard-create-order-400.xml"),
    );

    let error = server
        .client()
        .create_order(&NewOrder::area_code("1", "435", 1))
        .await
        .expect_err("error");

    assert_eq!(error.status(), Some(201));
    assert_eq!(error.code(), Some("5016"));
}

#[tokio::test]
async fn a_server_error_without_details_is_transient() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/1",
        Reply::raw(
            503,
            &[("Content-Type", "text/html")],
            "<html>Service Unavailable",
        ),
    );

    let error = server.client().get_site("1").await.expect_err("error");

    assert_eq!(error.status(), Some(503));
    assert!(error.is_transient());
    assert!(error.errors().is_empty());
}

#[tokio::test]
async fn a_body_that_does_not_fit_is_a_decode_error() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/1",
        Reply::raw(200, &[], "this is not XML"),
    );

    let error = server.client().get_site("1").await.expect_err("error");

    assert!(
        matches!(error, Error::Decode { status: 200, .. }),
        "{error:?}"
    );
    assert!(!error.is_transient());
}

#[tokio::test]
async fn a_slow_server_makes_the_client_time_out() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/1",
        Reply::fixture(200, "dashboard-get-site-200.xml").delayed(Duration::from_secs(3)),
    );
    let http = spoke_bandwidth::bandwidth::build_http_client(
        Duration::from_millis(500),
        Duration::from_millis(300),
    )
    .expect("http client");

    let error = server
        .client_with(http)
        .get_site("1")
        .await
        .expect_err("timeout");

    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.is_transient());
    assert_eq!(error.status(), None);
}

async fn unreachable_client() -> BandwidthClient {
    // Bind, learn the port, and close it again: nothing listens there any more.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    BandwidthClient::new(
        Endpoints {
            dashboard: format!("http://{addr}/api"),
            messaging: format!("http://{addr}/api/v2"),
        },
        Credentials::new("9900000", "api-user", PASSWORD),
    )
    .expect("client")
}

#[tokio::test]
async fn a_refused_connection_is_reported_as_unreachable() {
    let error = unreachable_client()
        .await
        .verify_credentials()
        .await
        .expect_err("refused");

    assert!(matches!(error, Error::Unreachable { .. }), "{error:?}");
    assert!(error.is_transient());
}

#[tokio::test]
async fn credentials_debug_output_hides_the_password() {
    let credentials = Credentials::new("9900000", "api-user", PASSWORD);

    let text = format!("{credentials:?} {credentials:#?}");

    assert!(!text.contains(PASSWORD), "{text}");
    assert!(text.contains("***"));
    assert!(text.contains("api-user"));
}

/// Every error text: Display, Debug, and each source in the chain.
fn all_texts(error: &Error) -> String {
    let mut text = format!("{error} {error:?} {error:#?}");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        text.push_str(&format!(" {inner} {inner:?}"));
        source = inner.source();
    }
    text
}

#[tokio::test]
async fn no_error_text_contains_the_password() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            "/api/accounts/9900000/sites",
            Reply::raw(401, &[], ""),
        )
        .on(
            "GET",
            "/api/accounts/9900000/sites/403",
            Reply::fixture(403, "dashboard-error-403-access-denied.spec.xml"),
        )
        .on(
            "GET",
            "/api/accounts/9900000/sites/404",
            Reply::fixture(404, "dashboard-get-site-404.xml"),
        )
        .on(
            "GET",
            "/api/accounts/9900000/sites/bad",
            Reply::raw(200, &[], "garbage"),
        )
        .on(
            "GET",
            "/api/accounts/9900000/sites/slow",
            Reply::raw(200, &[], "").delayed(Duration::from_secs(3)),
        )
        .on(
            "POST",
            "/api/accounts/9900000/sites",
            Reply::raw(201, &[], ""),
        )
        .on(
            "GET",
            "/api/accounts/9900000/availableNumbers",
            Reply::http_fixture("dashboard-429.http"),
        )
        .on(
            "POST",
            "/api/v2/users/9900000/messages",
            Reply::fixture(400, "messaging-error-400-fielderrors.assembled.json"),
        );
    let client = server.client();
    let slow = server.client_with(
        spoke_bandwidth::bandwidth::build_http_client(
            Duration::from_millis(500),
            Duration::from_millis(200),
        )
        .expect("http client"),
    );

    let errors = vec![
        client.verify_credentials().await.expect_err("401"),
        client.get_site("403").await.expect_err("403"),
        client.get_site("404").await.expect_err("404"),
        client.get_site("bad").await.expect_err("decode"),
        slow.get_site("slow").await.expect_err("timeout"),
        client
            .create_site(&Site::default())
            .await
            .expect_err("incomplete"),
        client
            .search_available_numbers(&AvailableNumbersQuery::default())
            .await
            .expect_err("429"),
        client
            .send_message(&MessageRequest::default())
            .await
            .expect_err("400"),
        unreachable_client()
            .await
            .get_site("1")
            .await
            .expect_err("unreachable"),
    ];

    for error in &errors {
        let text = all_texts(error);
        assert!(!text.contains(PASSWORD), "{text}");
    }
    assert_eq!(errors.len(), 9);
    // The client itself may be logged with `?` as well.
    assert!(!format!("{client:?}").contains(PASSWORD));
}
