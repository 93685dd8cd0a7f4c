//! Messaging v2: sending, listing and the JSON error shapes, against the recorded payloads.

use spoke_bandwidth::bandwidth::{Error, MessageRequest, MessagesQuery, Priority};

use crate::support::{FixtureServer, Reply, fixture_text};

const MESSAGES: &str = "/api/v2/users/9900000/messages";

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).expect("JSON")
}

fn documented_request(to: &[&str]) -> MessageRequest {
    MessageRequest {
        application_id: "93de2206-9669-4e07-948d-329f4b722ee2".into(),
        to: to.iter().map(|t| t.to_string()).collect(),
        from: "+12345678901".into(),
        text: Some("Hey, check this out!".into()),
        tag: Some("test message".into()),
        priority: Some(Priority::Default),
        ..MessageRequest::default()
    }
}

#[tokio::test]
async fn sends_a_message_and_reads_the_accepted_message() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        MESSAGES,
        Reply::fixture(202, "messaging-create-message-202.json"),
    );

    let message = server
        .client()
        .send_message(&documented_request(&["+12345678902"]))
        .await
        .expect("accepted");

    assert_eq!(message.id, "14762070468292kw2fuqty55yp2b2");
    assert_eq!(message.owner.as_deref(), Some("+12345678901"));
    assert_eq!(message.segment_count, Some(1));
    assert_eq!(message.to, vec!["+12345678902"]);
    assert_eq!(message.time.as_deref(), Some("2021-07-21T21:00:45.179Z"));
    let request = server.single_request();
    request.assert_messaging("POST", MESSAGES);
    assert_eq!(
        json(&request.body_text()),
        json(&fixture_text("messaging-create-message-request.json"))
    );
}

#[tokio::test]
async fn sends_group_and_picture_messages_as_documented() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        MESSAGES,
        Reply::fixture(202, "messaging-create-message-202.mms.json"),
    );
    let client = server.client();
    let group = documented_request(&["+12345678902", "+12345678903", "+12345678904"]);
    let picture = MessageRequest {
        media: Some(vec!["https://mySite.com/images/test_image.jpg".into()]),
        ..documented_request(&["+12345678902"])
    };

    client.send_message(&group).await.expect("accepted");
    let sent = client.send_message(&picture).await.expect("accepted");

    assert_eq!(
        sent.media,
        Some(vec!["https://mySite.com/images/test_image.jpg".to_owned()])
    );
    let requests = server.requests();
    assert_eq!(
        json(&requests[0].body_text()),
        json(&fixture_text("messaging-create-message-request.group.json"))
    );
    assert_eq!(
        json(&requests[1].body_text()),
        json(&fixture_text("messaging-create-message-request.mms.json"))
    );
}

#[tokio::test]
async fn sends_a_message_the_way_spoke_does() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        MESSAGES,
        Reply::fixture(202, "messaging-create-message-202.json"),
    );
    let request = MessageRequest {
        application_id: "590cde45-c05d-44e3-a77a-59fd10f17c26".into(),
        to: vec!["+15551234567".into()],
        from: "+15557654321".into(),
        text: Some("Hi Jane, this is Sam with the campaign.".into()),
        tag: Some("1|42|1001".into()),
        media: Some(vec!["https://spoke.example.org/img/flyer.png".into()]),
        ..MessageRequest::default()
    };

    server
        .client()
        .send_message(&request)
        .await
        .expect("accepted");

    assert_eq!(
        json(&server.single_request().body_text()),
        json(&fixture_text("spoke-derived-create-message-request.json"))
    );
}

#[tokio::test]
async fn a_202_without_a_body_is_a_decode_error() {
    let server = FixtureServer::start().await;
    server.on("POST", MESSAGES, Reply::raw(202, &[], ""));

    let error = server
        .client()
        .send_message(&documented_request(&["+1"]))
        .await
        .expect_err("no body");

    assert!(
        matches!(error, Error::Decode { status: 202, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn lists_messages_by_destination_with_the_plus_encoded() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        MESSAGES,
        Reply::fixture(200, "messaging-list-messages-200.json"),
    );
    let query = MessagesQuery {
        destination_tn: Some("+15554442222".into()),
        limit: Some(1),
        ..MessagesQuery::default()
    };

    let page = server.client().list_messages(&query).await.expect("page");

    assert_eq!(page.total_count, Some(1));
    let message = &page.messages[0];
    assert_eq!(message.message_id, "1589228074636lm4k2je7j7jklbn2");
    assert_eq!(message.carrier_name.as_deref(), Some("other"));
    assert_eq!(message.error_code, Some(0));
    assert_eq!(page.page_info.next_page_token, None);
    let request = server.single_request();
    request.assert_messaging("GET", MESSAGES);
    assert!(request.target.contains("destinationTn=%2B15554442222"));
    assert!(request.target.contains("limit=1"));
}

async fn send_and_fail(status: u16, fixture: &str) -> Error {
    let server = FixtureServer::start().await;
    server.on("POST", MESSAGES, Reply::fixture(status, fixture));
    server
        .client()
        .send_message(&documented_request(&["+12345678902"]))
        .await
        .expect_err("rejected")
}

#[tokio::test]
async fn reports_messaging_errors_with_their_type_and_description() {
    for (status, fixture, kind, description) in [
        (
            400,
            "messaging-error-400.json",
            "request-validation",
            "Your request could not be accepted",
        ),
        (
            401,
            "messaging-error-401.json",
            "unauthorized",
            "Authentication Failed",
        ),
        (
            403,
            "messaging-error-403.json",
            "forbidden",
            "Access Denied",
        ),
        (
            415,
            "messaging-error-415.json",
            "unsupported-content-type",
            "Content type 'text/plain;charset=UTF-8' not supported. Please use 'application/json'",
        ),
    ] {
        let error = send_and_fail(status, fixture).await;

        assert_eq!(error.status(), Some(status), "{fixture}");
        assert_eq!(error.code(), Some(kind), "{fixture}");
        assert_eq!(
            error.to_string(),
            format!("Bandwidth answered {status} ({kind}): {description}"),
            "{fixture}"
        );
    }
}

#[tokio::test]
async fn reports_field_errors_of_a_rejected_message() {
    let error = send_and_fail(400, "messaging-error-400-fielderrors.assembled.json").await;

    let Error::Rejected { field_errors, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(field_errors[0].field_name, "from");
    assert!(error.to_string().ends_with(
        "; from: '+invalid' must be replaced with a valid E164 formatted telephone number"
    ));
}

#[tokio::test]
async fn reads_the_spring_style_not_found_body() {
    let error = send_and_fail(404, "messaging-error-404.json").await;

    assert_eq!(error.status(), Some(404));
    assert_eq!(
        error.to_string(),
        "Bandwidth answered 404 (Not Found): Not Found"
    );
}

#[tokio::test]
async fn a_full_message_queue_is_a_rate_limit_with_bandwidths_explanation() {
    let error = send_and_fail(429, "messaging-error-429.json").await;

    assert!(error.is_transient());
    assert_eq!(error.status(), Some(429));
    assert_eq!(error.code(), Some("max-message-queue-size-exceeded"));
    assert_eq!(error.retry_at(), None);
    assert!(error.to_string().contains("60 messages per minute"));
}

#[tokio::test]
async fn a_messaging_429_with_retry_after_says_when_to_retry() {
    let server = FixtureServer::start().await;
    // Synthesized: node-sdk documents `Retry-After` on the list endpoint's 429.
    server.on(
        "GET",
        MESSAGES,
        Reply::raw(
            429,
            &[("Retry-After", "120")],
            fixture_text("messaging-error-429.json"),
        ),
    );
    let before = chrono::Utc::now();

    let error = server
        .client()
        .list_messages(&MessagesQuery {
            message_id: Some("x".into()),
            ..MessagesQuery::default()
        })
        .await
        .expect_err("limited");

    let retry_at = error.retry_at().expect("retry time");
    assert!(retry_at >= before + chrono::Duration::seconds(119));
}
