//! 10DLC (TN option orders, TN details, campaign management) and toll-free verification calls
//! against the recorded payloads (contract-2 §2, §3, §5).

use spoke_bandwidth::bandwidth::{
    A2pAction, Error, NewTnOptionOrder, TnOptionStatus, TollFreeVerificationRequest,
    TollFreeVerificationStatus, TollFreeVerificationWebhook,
};

use crate::support::{FixtureServer, Reply, assert_same_xml, fixture, fixture_text};

const TNOPTIONS: &str = "/api/accounts/9900000/tnoptions";
const CAMPAIGNS: &str = "/api/accounts/9900000/campaignManagement/10dlc/campaigns";

fn a2p_order() -> NewTnOptionOrder {
    NewTnOptionOrder {
        customer_order_id: None,
        action: A2pAction::AsSpecified,
        campaign_id: Some("CJEUMDK".into()),
        telephone_numbers: vec!["9999999999".into(), "8888888888".into()],
    }
}

#[tokio::test]
async fn a_tn_option_order_is_sent_as_bandwidth_documents_and_its_id_read_from_the_body() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        TNOPTIONS,
        Reply::http_fixture("dashboard-tnoption-order-a2p-201.http"),
    );

    let created = server
        .client()
        .create_tn_option_order(&a2p_order())
        .await
        .expect("created");

    assert_eq!(created.order_id, "ac48abbe-2311-4888-ca4a-05eaa336119c");
    assert_eq!(created.status, TnOptionStatus::Received);
    assert_eq!(created.telephone_numbers, ["9999999999", "8888888888"]);
    let request = server.single_request();
    request.assert_dashboard("POST", TNOPTIONS);
    assert_same_xml(
        &request.body_text(),
        "dashboard-tnoption-order-a2p-request.xml",
    );
}

#[tokio::test]
async fn a_refused_tn_option_order_keeps_bandwidths_code() {
    for (status, name, code) in [
        (400, "dashboard-tnoption-order-400.xml", "5081"),
        (409, "dashboard-tnoption-order-409.xml", "5200"),
    ] {
        let server = FixtureServer::start().await;
        server.on("POST", TNOPTIONS, Reply::fixture(status, name));
        let error = server
            .client()
            .create_tn_option_order(&a2p_order())
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(status));
        assert!(error.has_code(code), "{error}");
    }
}

#[tokio::test]
async fn a_polled_tn_option_order_reports_its_status_warnings_and_per_number_errors() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            &format!("{TNOPTIONS}/done"),
            Reply::fixture(200, "dashboard-get-tnoption-order-200-complete.spec.xml"),
        )
        .on(
            "GET",
            &format!("{TNOPTIONS}/failed"),
            Reply::fixture(200, "dashboard-get-tnoption-order-200-failed.java-iris.xml"),
        )
        .on(
            "GET",
            &format!("{TNOPTIONS}/unknown"),
            Reply::fixture(404, "dashboard-get-tnoption-order-404.xml"),
        );
    let client = server.client();

    let done = client.get_tn_option_order("done").await.expect("complete");
    assert_eq!(done.status, TnOptionStatus::Complete);
    assert!(done.status.is_final() && done.errors.is_empty());
    assert_eq!(
        done.warnings[0].telephone_number.as_deref(),
        Some("2174101601")
    );
    assert_eq!(
        done.warnings[0].description,
        "SMS is already Enabled or number is in processing."
    );

    let failed = client
        .get_tn_option_order("failed")
        .await
        .expect("a 200 with errors");
    assert_eq!(failed.status, TnOptionStatus::Failed);
    assert_eq!(failed.errors.len(), 2);
    assert_eq!(failed.errors[0].code, "5076");
    assert_eq!(
        failed.errors[0].description,
        "Telephone number is not available."
    );
    assert_eq!(
        failed.errors[0].telephone_number.as_deref(),
        Some("2018551025")
    );

    let missing = client.get_tn_option_order("unknown").await.unwrap_err();
    assert!(
        matches!(missing, Error::Rejected { status: 404, .. }),
        "{missing}"
    );
}

#[tokio::test]
async fn tn_details_show_a_numbers_campaign_or_that_it_has_none() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            "/api/tns/9195551212/tndetails",
            Reply::fixture(
                200,
                "dashboard-tn-details-200-messaging-settings.java-iris.xml",
            ),
        )
        .on(
            "GET",
            "/api/tns/2018981023/tndetails",
            Reply::fixture(200, "dashboard-tn-details-200-hosted-messaging.spec.xml"),
        );
    let client = server.client();

    let none = client
        .get_tn_messaging_settings("9195551212")
        .await
        .expect("details");
    assert_eq!(none.campaign_id, None);
    assert_eq!(none.message_class.as_deref(), Some("UNREGISTERED"));
    assert_eq!(none.sms_enabled, Some(true));
    let on = client
        .get_tn_messaging_settings("2018981023")
        .await
        .expect("details");
    assert_eq!(on.campaign_id.as_deref(), Some("0gdVWGTGe"));
    assert!(on.a2p_state.unwrap().eq_ignore_ascii_case("OVERRIDDEN"));
    server.requests()[0].assert_dashboard("GET", "/api/tns/9195551212/tndetails");
}

#[tokio::test]
async fn campaigns_of_both_kinds_of_account_are_listed_with_each_carriers_status() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            CAMPAIGNS,
            Reply::fixture(200, "campaign-management-list-campaigns-200.xml"),
        )
        .on(
            "GET",
            &format!("{CAMPAIGNS}/imports"),
            Reply::fixture(200, "campaign-management-list-imported-campaigns-200.xml"),
        );
    let client = server.client();

    let csp = client.list_campaigns().await.expect("campaigns");
    assert_eq!(csp.len(), 2);
    assert_eq!(csp[0].campaign_id, "CH1GMWI");
    assert_eq!(csp[0].status, "ACTIVE");
    assert_eq!(csp[1].status, "EXPIRED");
    assert_eq!(csp[0].number_pool, Some(false));
    assert!(!csp[0].mno_statuses.is_empty());
    assert!(
        csp[0]
            .mno_statuses
            .iter()
            .all(|m| !m.mno.is_empty() && !m.status.is_empty())
    );

    let imported = client.list_imported_campaigns().await.expect("imports");
    assert_eq!(imported.len(), 2);
    assert!(imported[0].imported);
    // The docs pack both carriers into one <MnoStatus>: read as two entries.
    assert_eq!(imported[0].mno_statuses.len(), 2);
    assert_eq!(imported[0].mno_statuses[1].mno, "TMO");
    assert_eq!(imported[0].mno_statuses[1].status, "REVIEW");
    assert_eq!(imported[1].mno_statuses[0].status, "REJECTED");
    let requests = server.requests();
    requests[0].assert_dashboard("GET", CAMPAIGNS);
    assert_eq!(
        requests[0].query(),
        Some("size=25"),
        "the first page names no page number"
    );
}

#[tokio::test]
async fn a_missing_role_or_feature_comes_back_with_bandwidths_code() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            CAMPAIGNS,
            Reply::fixture(403, "campaign-management-campaign-403.xml"),
        )
        .on(
            "GET",
            &format!("{CAMPAIGNS}/imports"),
            Reply::fixture(
                400,
                "campaign-management-imported-campaigns-400-feature-disabled.xml",
            ),
        );
    let client = server.client();
    let role = client.list_campaigns().await.unwrap_err();
    assert_eq!(role.status(), Some(403));
    assert!(role.has_code("12055"), "{role}");
    let feature = client.list_imported_campaigns().await.unwrap_err();
    assert!(
        feature
            .to_string()
            .contains("10DLCImportCampaign feature is not enabled"),
        "{feature}"
    );
}

#[tokio::test]
async fn the_campaign_errors_variant_names_the_field_tcr_refused() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        &format!("{CAMPAIGNS}/imports"),
        Reply::fixture(400, "campaign-management-create-campaign-400.xml"),
    );
    let error = server
        .client()
        .import_campaign("CJEUMDK")
        .await
        .unwrap_err();
    assert!(error.has_code("12185") && error.has_code("509"), "{error}");
    assert!(
        error
            .to_string()
            .contains("subscriberHelp: Support for standard help command"),
        "{error}"
    );
}

#[tokio::test]
async fn a_campaign_is_imported_and_a_campaigns_numbers_listed() {
    let server = FixtureServer::start().await;
    server
        .on(
            "POST",
            &format!("{CAMPAIGNS}/imports"),
            Reply::fixture(201, "campaign-management-import-campaign-201.xml"),
        )
        .on(
            "GET",
            &format!("{CAMPAIGNS}/CJEUMDK/tn"),
            Reply::fixture(200, "campaign-management-campaign-tns-200.xml"),
        );
    let client = server.client();
    let imported = client.import_campaign("CJEUMDK").await.expect("imported");
    assert_eq!(imported.campaign_id, "CJEUMDK");
    assert_eq!(imported.status, "ACTIVE");
    assert_eq!(imported.mno_statuses.len(), 2);
    let request = &server.requests()[0];
    request.assert_dashboard("POST", &format!("{CAMPAIGNS}/imports"));
    assert_same_xml(
        &request.body_text(),
        "campaign-management-import-campaign-request.xml",
    );
    assert_eq!(
        client
            .list_campaign_numbers("CJEUMDK")
            .await
            .expect("numbers"),
        ["8888888888"]
    );
}

#[tokio::test]
async fn a_toll_free_verification_is_submitted_as_json_with_e164_numbers() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/tollFreeVerification",
        Reply::raw(202, &[], ""),
    );
    let request: TollFreeVerificationRequest =
        serde_json::from_slice(&fixture("tfv-request.node-sdk.json")).expect("the SDK's body");
    server
        .client()
        .submit_toll_free_verification(&request)
        .await
        .expect("accepted");
    let sent = server.single_request();
    sent.assert_messaging("POST", "/api/accounts/9900000/tollFreeVerification");
    let body: serde_json::Value = serde_json::from_slice(&sent.body).unwrap();
    let expected: serde_json::Value =
        serde_json::from_slice(&fixture("tfv-request.node-sdk.json")).unwrap();
    for field in [
        "businessAddress",
        "businessContact",
        "messageVolume",
        "phoneNumbers",
        "optInWorkflow",
        "businessEntityType",
        "businessRegistrationType",
    ] {
        assert_eq!(body[field], expected[field], "{field}");
    }
    assert_eq!(body["phoneNumbers"][0], "+18005551234");
}

#[tokio::test]
async fn toll_free_verification_field_errors_of_both_spec_versions_are_kept() {
    for name in ["tfv-error-400.json", "tfv-error-400.numbers-spec.json"] {
        let server = FixtureServer::start().await;
        server.on(
            "POST",
            "/api/accounts/9900000/tollFreeVerification",
            Reply::fixture(400, name),
        );
        let request: TollFreeVerificationRequest =
            serde_json::from_slice(&fixture("tfv-request.node-sdk.json")).unwrap();
        let error = server
            .client()
            .submit_toll_free_verification(&request)
            .await
            .unwrap_err();
        let Error::Rejected {
            status: 400,
            field_errors,
            ..
        } = &error
        else {
            panic!("{error}")
        };
        assert!(!field_errors.is_empty(), "{name}: {error}");
        assert!(error.to_string().contains("email"), "{name}: {error}");
    }
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/tollFreeVerification",
        Reply::fixture(403, "tfv-error-403.json"),
    );
    let request: TollFreeVerificationRequest =
        serde_json::from_slice(&fixture("tfv-request.node-sdk.json")).unwrap();
    let error = server
        .client()
        .submit_toll_free_verification(&request)
        .await
        .unwrap_err();
    assert!(
        error.to_string().contains("Client is not authorized"),
        "{error}"
    );
}

#[tokio::test]
async fn a_toll_free_status_is_read_and_a_number_never_submitted_is_none() {
    let server = FixtureServer::start().await;
    server
        .on(
            "GET",
            "/api/accounts/9900000/phoneNumbers/+18005555555/tollFreeVerification",
            Reply::fixture(200, "tfv-status-200.unverified.assembled.json"),
        )
        .on(
            "GET",
            "/api/accounts/9900000/phoneNumbers/+18005550000/tollFreeVerification",
            Reply::fixture(404, "tfv-error-404.json"),
        );
    let client = server.client();
    let status = client
        .get_toll_free_verification("+18005555555")
        .await
        .expect("status")
        .expect("submitted");
    assert!(!status.is_verified() && !status.is_pending());
    assert_eq!(status.denial_status_code, Some(511));
    assert!(
        status
            .decline_reason_description
            .unwrap()
            .contains("Website is not accessible")
    );
    assert_eq!(
        client
            .get_toll_free_verification("+18005550000")
            .await
            .expect("404 is data"),
        None
    );
}

#[test]
fn status_webhooks_read_as_verified_or_denied() {
    let verified: TollFreeVerificationWebhook =
        serde_json::from_str(&fixture_text("tfv-callback-verified.assembled.json")).unwrap();
    assert_eq!(verified.phone_number, "+18005555555");
    assert_eq!(verified.status.as_deref(), Some("VERIFIED"));
    let denied: TollFreeVerificationWebhook =
        serde_json::from_str(&fixture_text("tfv-callback-unverified.assembled.json")).unwrap();
    assert_eq!(denied.status.as_deref(), Some("UNVERIFIED"));
    assert!(denied.decline_reason_description.is_some());
    let legacy: TollFreeVerificationStatus =
        serde_json::from_str(r#"{"isVerified": true}"#).unwrap();
    assert!(legacy.is_verified());
}
