//! A sip peer's numbers, number search, orders and disconnects against the recorded payloads.

use spoke_bandwidth::bandwidth::{
    AvailableNumbersQuery, Error, ExistingNumberOrder, NewDisconnect, NewOrder, OrderStatus,
    OrderType, ReservationIdList, TelephoneNumberList,
};

use crate::support::{FixtureServer, Reply, XmlNode, assert_same_xml, fixture_text};

const TNS: &str = "/api/accounts/9900000/sites/1/sippeers/2/tns";

#[tokio::test]
async fn lists_every_page_of_a_sip_peers_numbers() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            &format!("{TNS}?page=1&size=17"),
            Reply::fixture(200, "dashboard-get-sippeer-tns-200.node-numbers.xml"),
        )
        .on(
            "GET",
            &format!("{TNS}?page=2&size=17"),
            Reply::fixture(200, "dashboard-get-sippeer-tns-200.xml"),
        );

    let numbers = server
        .client()
        .list_sip_peer_numbers_paged("1", "2", 17)
        .await
        .expect("numbers");

    assert_eq!(numbers.len(), 20);
    assert_eq!(numbers[0].full_number, "3034162216");
    assert_eq!(numbers[19].full_number, "2053160118");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    requests[0].assert_dashboard("GET", TNS);
    assert_eq!(requests[1].query(), Some("page=2&size=17"));
}

#[tokio::test]
async fn lists_numbers_with_their_attributes_in_one_default_page() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        &format!("{TNS}?page=1&size=5000"),
        Reply::fixture(200, "dashboard-get-sippeer-tns-200.xml"),
    );

    let numbers = server
        .client()
        .list_sip_peer_numbers("1", "2")
        .await
        .expect("numbers");

    assert_eq!(numbers.len(), 3);
    let first = &numbers[0];
    assert_eq!(first.full_number, "2052160148");
    assert_eq!(first.calling_name_display, Some(true));
    assert_eq!(
        first.tn_attributes.as_ref().map(|a| a.attributes.clone()),
        Some(vec![
            "Protected".into(),
            "External".into(),
            "Imported".into()
        ])
    );
    assert_eq!(
        first
            .messaging_settings
            .as_ref()
            .and_then(|m| m.sms_enabled),
        Some(true)
    );
    assert_eq!(numbers[2].call_forward.as_deref(), Some("2014563025"));
    assert_eq!(server.requests().len(), 1);
}

#[tokio::test]
async fn stops_at_an_empty_page_after_a_full_one() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            &format!("{TNS}?page=1&size=3"),
            Reply::fixture(200, "dashboard-get-sippeer-tns-200.xml"),
        )
        .on(
            "GET",
            &format!("{TNS}?page=2&size=3"),
            // Synthesized: the empty-list shape is undocumented (contract §7).
            Reply::raw(
                200,
                &[],
                "<?xml version=\"1.0\"?><SipPeerTelephoneNumbersResponse><SipPeerTelephoneNumbers/></SipPeerTelephoneNumbersResponse>",
            ),
        );

    let numbers = server
        .client()
        .list_sip_peer_numbers_paged("1", "2", 3)
        .await
        .expect("numbers");

    assert_eq!(numbers.len(), 3);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn reads_a_sip_peer_without_numbers_as_an_empty_list() {
    for body in [
        "<SipPeerTelephoneNumbersResponse><SipPeerTelephoneNumbers/></SipPeerTelephoneNumbersResponse>",
        "<SipPeerTelephoneNumbersResponse><SipPeerTelephoneNumbers></SipPeerTelephoneNumbers></SipPeerTelephoneNumbersResponse>",
        "<SipPeerTelephoneNumbersResponse/>",
        "",
    ] {
        let server = FixtureServer::start().await;
        server.on("GET", TNS, Reply::raw(200, &[], body));

        let numbers = server
            .client()
            .list_sip_peer_numbers("1", "2")
            .await
            .unwrap_or_else(|e| panic!("{body:?}: {e}"));

        assert!(numbers.is_empty(), "{body:?}");
    }
}

#[tokio::test]
async fn stops_paging_when_the_server_ignores_the_page_parameter() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        TNS,
        Reply::fixture(200, "dashboard-get-sippeer-tns-200.xml"),
    );

    let numbers = server
        .client()
        .list_sip_peer_numbers_paged("1", "2", 3)
        .await
        .expect("numbers");

    assert_eq!(numbers.len(), 3);
    assert_eq!(server.requests().len(), 2);
}

fn pairs(expected: &[(&str, &str)]) -> Vec<(String, String)> {
    expected
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const AVAILABLE: &str = "/api/accounts/9900000/availableNumbers";

#[tokio::test]
async fn searches_available_numbers_by_area_code() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        AVAILABLE,
        Reply::fixture(200, "dashboard-available-numbers-areacode-200.xml"),
    );

    let result = server
        .client()
        .search_available_numbers(&AvailableNumbersQuery::area_code("919", 2))
        .await
        .expect("result");

    assert_eq!(result.result_count, Some(2));
    assert_eq!(result.numbers(), vec!["6672286710", "5756186700"]);
    let request = server.single_request();
    request.assert_dashboard("GET", AVAILABLE);
    assert_eq!(
        request.query_pairs(),
        pairs(&[("areaCode", "919"), ("quantity", "2")])
    );
}

#[tokio::test]
async fn searches_toll_free_numbers_by_wildcard_pattern() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        AVAILABLE,
        Reply::fixture(200, "dashboard-available-numbers-tollfree-200.xml"),
    );

    let result = server
        .client()
        .search_available_numbers(&AvailableNumbersQuery::toll_free("80*", 2))
        .await
        .expect("result");

    assert_eq!(result.numbers(), vec!["8002286710", "8006186700"]);
    let request = server.single_request();
    assert_eq!(
        request.query_pairs(),
        pairs(&[("quantity", "2"), ("tollFreeWildCardPattern", "80*")])
    );
    assert!(request.target.contains("tollFreeWildCardPattern=80*"));
}

#[tokio::test]
async fn reads_a_detailed_search_result() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        AVAILABLE,
        Reply::fixture(200, "dashboard-available-numbers-detail-200.ruby-iris.xml"),
    );
    let query = AvailableNumbersQuery {
        enable_tn_detail: Some(true),
        ..AvailableNumbersQuery::area_code("201", 5)
    };

    let result = server
        .client()
        .search_available_numbers(&query)
        .await
        .expect("result");

    assert_eq!(result.numbers().len(), 5);
    let first = &result
        .telephone_number_detail_list
        .expect("details")
        .details[0];
    assert_eq!(first.full_number, "2013458710");
    assert_eq!(first.rate_center.as_deref(), Some("RIDGEWOOD"));
    assert_eq!(first.vendor_name.as_deref(), Some("Bandwidth CLEC"));
    assert!(
        server
            .single_request()
            .target
            .contains("enableTNDetail=true")
    );
}

#[tokio::test]
async fn reports_a_search_error_from_its_search_result_envelope() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        AVAILABLE,
        Reply::fixture(400, "dashboard-available-numbers-400.xml"),
    );

    let error = server
        .client()
        .search_available_numbers(&AvailableNumbersQuery::default())
        .await
        .expect_err("rejected");

    assert_eq!(error.status(), Some(400));
    assert_eq!(error.code(), Some("4010"));
    assert!(
        error.to_string().starts_with(
            "Bandwidth answered 400 (code 4010): One of more required search parameters"
        )
    );
}

const ORDERS: &str = "/api/accounts/9900000/orders";

fn documented_order(order_type: OrderType) -> NewOrder {
    NewOrder {
        name: Some("Area Code Order".into()),
        customer_order_id: Some("123456789".into()),
        back_order_requested: Some(false),
        partial_allowed: Some(true),
        ..NewOrder::new("743", order_type)
    }
}

#[tokio::test]
async fn orders_numbers_by_area_code_and_prefers_the_body_id_over_location() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::http_fixture("dashboard-create-order-201.areacode.http"),
    );
    let order = documented_order(NewOrder::area_code("743", "435", 1).order_type);

    let created = server.client().create_order(&order).await.expect("created");

    // The recorded Location ends in a different id than the body's `Order/id`.
    assert_eq!(created.id(), Some("47955555-67aa-4adb-8c0f-b6894e60c0dc"));
    assert_eq!(created.order_status, Some(OrderStatus::Received));
    let request = server.single_request();
    request.assert_dashboard("POST", ORDERS);
    assert_same_xml(
        &request.body_text(),
        "dashboard-create-order-areacode-request.xml",
    );
}

#[tokio::test]
async fn sends_the_minimal_area_code_order() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::http_fixture("dashboard-create-order-201.areacode.http"),
    );

    server
        .client()
        .create_order(&NewOrder::area_code("461", "910", 1))
        .await
        .expect("created");

    assert_same_xml(
        &server.single_request().body_text(),
        "dashboard-create-order-areacode-request.minimal.xml",
    );
}

#[tokio::test]
async fn orders_toll_free_numbers_in_the_nested_form_not_spokes_flat_one() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::fixture(201, "dashboard-create-order-201.xml"),
    );
    let order = documented_order(NewOrder::toll_free("743", "8**", 1).order_type);

    server.client().create_order(&order).await.expect("created");

    let sent = server.single_request().body_text();
    assert_same_xml(&sent, "dashboard-create-order-tollfree-request.xml");
    let ours = XmlNode::parse(&sent);
    let spokes = XmlNode::parse(&fixture_text(
        "spoke-derived-create-order-tollfree-request.xml",
    ));
    assert!(spokes.child("TollFreeWildCardPattern").is_some());
    assert!(ours.child("TollFreeWildCardPattern").is_none());
    assert!(ours.child("Quantity").is_none());
    assert!(ours.child("TollFreeWildCharSearchAndOrderType").is_some());
}

#[tokio::test]
async fn orders_existing_numbers() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::fixture(201, "dashboard-create-order-201.xml"),
    );
    let order = NewOrder {
        partial_allowed: Some(true),
        ..NewOrder::existing("461", ["6672286710", "5756186700"])
    };

    let created = server.client().create_order(&order).await.expect("created");

    assert_eq!(created.id(), Some("47955555-67aa-4adb-8c0f-b6894e60c0dc"));
    let echo = created.order.expect("echo");
    assert_eq!(
        echo.existing_number_order
            .map(|e| e.telephone_number_list.numbers),
        Some(vec!["6672286710".to_owned(), "5756186700".to_owned()])
    );
    assert_same_xml(
        &server.single_request().body_text(),
        "dashboard-create-order-existing-request.xml",
    );
}

#[tokio::test]
async fn orders_reserved_existing_numbers() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::fixture(201, "dashboard-create-order-201.spec.xml"),
    );
    let order = NewOrder {
        name: Some("Existing Number Order".into()),
        customer_order_id: Some("123456789".into()),
        ..NewOrder::new(
            "743",
            OrderType::Existing(ExistingNumberOrder {
                telephone_number_list: TelephoneNumberList::new([
                    "9193752369",
                    "9193752720",
                    "9193752648",
                ]),
                reservation_id_list: Some(ReservationIdList {
                    reservation_ids: vec!["[GUID]".into(), "[GUID]".into()],
                }),
            }),
        )
    };

    let created = server.client().create_order(&order).await.expect("created");

    // This spec example has no OrderStatus and a zip order type we do not model.
    assert_eq!(created.id(), Some("34adcd9f-2c4a-4631-9dae-d1f318ed57bc"));
    assert_eq!(created.order_status, None);
    assert_same_xml(
        &server.single_request().body_text(),
        "dashboard-create-order-existing-request.spec.xml",
    );
}

#[tokio::test]
async fn takes_an_order_id_from_location_when_the_body_has_none() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::raw(
            201,
            &[(
                "Location",
                "https://dashboard.bandwidth.com/api/accounts/9900000/orders/abc-123",
            )],
            "<OrderResponse><OrderStatus>RECEIVED</OrderStatus></OrderResponse>",
        ),
    );

    let created = server
        .client()
        .create_order(&NewOrder::area_code("1", "919", 1))
        .await
        .expect("created");

    assert_eq!(created.id(), Some("abc-123"));
}

#[tokio::test]
async fn reports_rejected_orders_with_their_error_list() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::fixture(400, "dashboard-create-order-400.xml"),
    );

    let error = server
        .client()
        .create_order(&NewOrder::area_code("763", "435", 1))
        .await
        .expect_err("rejected");

    assert_eq!(
        error.to_string(),
        "Bandwidth answered 400 (code 5016): The SiteId submitted is invalid."
    );
}

#[tokio::test]
async fn reports_an_invalid_number_with_the_number() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        ORDERS,
        Reply::fixture(400, "dashboard-create-order-400.invalid-tn.xml"),
    );

    let error = server
        .client()
        .create_order(&NewOrder::existing("123", ["5554443333", "55544433"]))
        .await
        .expect_err("rejected");

    let Error::Rejected { errors, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "5070");
    assert_eq!(errors[0].telephone_number.as_deref(), Some("55544433"));
    assert!(
        error
            .to_string()
            .ends_with("Telephone number is invalid. [55544433]")
    );
}

async fn get_order(fixture: &str) -> spoke_bandwidth::bandwidth::OrderResponse {
    let server = FixtureServer::start().await;
    let path = format!("{ORDERS}/some-order");
    server.on("GET", &path, Reply::fixture(200, fixture));
    let order = server
        .client()
        .get_order("some-order")
        .await
        .unwrap_or_else(|e| panic!("{fixture}: {e}"));
    server.single_request().assert_dashboard("GET", &path);
    order
}

#[tokio::test]
async fn reads_a_received_order() {
    let order = get_order("dashboard-get-order-200-received.python-iris.xml").await;

    assert_eq!(order.order_status, Some(OrderStatus::Received));
    assert_eq!(order.id(), Some("f30a31a1-1de4-4939-b094-4521bbe5c8df"));
    assert!(order.completed_numbers().is_empty());
    assert!(!order.order_status.expect("status").is_final());
}

#[tokio::test]
async fn reads_complete_orders_and_their_completed_numbers() {
    for (fixture, number) in [
        ("dashboard-get-order-200-complete.xml", "8042105666"),
        ("dashboard-get-order-200-complete.summary.xml", "9102414365"),
        (
            "dashboard-get-order-200-complete.ruby-iris.xml",
            "9194464166",
        ),
    ] {
        let order = get_order(fixture).await;

        assert_eq!(order.order_status, Some(OrderStatus::Complete), "{fixture}");
        assert_eq!(order.completed_numbers(), vec![number], "{fixture}");
        assert_eq!(order.completed_quantity, Some(1), "{fixture}");
        assert_eq!(order.failed_quantity, Some(0), "{fixture}");
        assert!(order.errors().is_empty(), "{fixture}");
    }
}

#[tokio::test]
async fn parses_a_partial_order_with_its_error_list() {
    let order = get_order("dashboard-get-order-200-partial.node-numbers.xml").await;

    assert_eq!(order.order_status, Some(OrderStatus::Partial));
    assert_eq!(order.completed_numbers(), vec!["6361231234"]);
    assert_eq!(order.completed_quantity, Some(1));
    assert_eq!(order.failed_quantity, Some(1));
    assert_eq!(
        order
            .failed_numbers
            .as_ref()
            .map(|f| f.full_numbers.clone()),
        Some(vec!["6365555555".to_owned()])
    );
    let errors = order.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "5005");
    assert_eq!(errors[0].telephone_number.as_deref(), Some("6365555555"));
    assert_eq!(
        order.summary.as_deref(),
        Some("1 out of 2 numbers ordered in (636)")
    );
}

#[tokio::test]
async fn parses_a_failed_order_as_data_not_as_an_error() {
    let order = get_order("dashboard-get-order-200-failed.java-iris.xml").await;

    assert_eq!(order.order_status, Some(OrderStatus::Failed));
    assert_eq!(order.id(), Some("errorid"));
    assert!(order.completed_numbers().is_empty());
    assert_eq!(order.failed_quantity, Some(1));
    assert_eq!(order.errors()[0].code, "5018");
    assert!(order.order_status.expect("status").is_final());
}

const DISCONNECTS: &str = "/api/accounts/9900000/disconnects";

#[tokio::test]
async fn disconnects_numbers_with_a_lowercase_name() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        DISCONNECTS,
        Reply::fixture(201, "dashboard-disconnect-201.xml"),
    );
    let client = server.client();

    let created = client
        .create_disconnect(&NewDisconnect::new(
            "training run",
            ["5405514342", "7034343704"],
        ))
        .await
        .expect("created");
    client
        .create_disconnect(&NewDisconnect::new(
            "Disconnect Order Name",
            ["9195551212", "9195551213"],
        ))
        .await
        .expect("created");

    assert_eq!(created.id(), Some("df2gc2e2-653d-466c-945d-8f292f09ce55"));
    assert_eq!(created.order_status, Some(OrderStatus::Received));
    assert_eq!(
        created
            .order_request
            .and_then(|r| r.order_type)
            .and_then(|t| t.disconnect_mode)
            .as_deref(),
        Some("normal")
    );
    let requests = server.requests();
    requests[0].assert_dashboard("POST", DISCONNECTS);
    assert_same_xml(
        &requests[0].body_text(),
        "dashboard-disconnect-request.lowercase-name.xml",
    );
    assert_same_xml(
        &requests[1].body_text(),
        "spoke-derived-disconnect-request.xml",
    );
}

#[tokio::test]
async fn disconnects_numbers_under_a_customer_order_id() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        DISCONNECTS,
        Reply::fixture(201, "dashboard-disconnect-201.xml"),
    );
    let disconnect = NewDisconnect {
        name: None,
        customer_order_id: Some("My OrderId".into()),
        ..NewDisconnect::new("", ["5405514342", "7034343704"])
    };

    server
        .client()
        .create_disconnect(&disconnect)
        .await
        .expect("created");

    assert_same_xml(
        &server.single_request().body_text(),
        "dashboard-disconnect-request.xml",
    );
}

#[tokio::test]
async fn reads_name_and_capitalised_name_in_disconnect_orders() {
    for name in ["name", "Name"] {
        let xml = format!(
            "<DisconnectTelephoneNumberOrder><{name}>x</{name}><DisconnectTelephoneNumberOrderType><TelephoneNumberList><TelephoneNumber>1</TelephoneNumber></TelephoneNumberList></DisconnectTelephoneNumberOrderType></DisconnectTelephoneNumberOrder>"
        );
        let parsed: NewDisconnect = quick_xml::de::from_str(&xml).expect("parses");
        assert_eq!(parsed.name.as_deref(), Some("x"), "{name}");
    }
}

#[tokio::test]
async fn reports_a_rejected_disconnect() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        DISCONNECTS,
        Reply::fixture(400, "dashboard-disconnect-400.xml"),
    );

    let error = server
        .client()
        .create_disconnect(&NewDisconnect::new("x", ["4158714245"]))
        .await
        .expect_err("rejected");

    assert_eq!(
        error.to_string(),
        "Bandwidth answered 400 (code 54321): Some error description"
    );
}

#[tokio::test]
async fn reads_a_complete_disconnect() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        &format!("{DISCONNECTS}/d1"),
        Reply::fixture(200, "dashboard-get-disconnect-200-complete.xml"),
    );

    let disconnect = server.client().get_disconnect("d1").await.expect("read");

    assert_eq!(disconnect.order_status, Some(OrderStatus::Complete));
    assert_eq!(
        disconnect.disconnected_numbers(),
        vec!["5405514342", "7034343704"]
    );
    assert!(disconnect.errors().is_empty());
}

#[tokio::test]
async fn reads_a_failed_disconnect_as_data() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        &format!("{DISCONNECTS}/d2"),
        Reply::fixture(200, "dashboard-get-disconnect-200-failed.python-iris.xml"),
    );

    let disconnect = server.client().get_disconnect("d2").await.expect("read");

    assert_eq!(disconnect.order_status, Some(OrderStatus::Failed));
    assert_eq!(
        disconnect.id(),
        Some("b902dee1-0585-4258-becd-5c7e51ccf5e1")
    );
    let errors = disconnect.errors();
    assert_eq!(errors.len(), 2);
    assert!(errors.iter().all(|e| e.code == "5006"));
    assert_eq!(errors[1].telephone_number.as_deref(), Some("9192755378"));
}
