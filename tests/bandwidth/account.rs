//! Sites, sip peers, SMS/MMS features, applications and their assignment, and the
//! credentials check, against the recorded Dashboard payloads.

use spoke_bandwidth::bandwidth::{
    Address, Application, CallbackCredentials, CallbackTypes, Error, MmsFeature, SipPeer, Site,
    SmsFeature, SmsFeatureSettings,
};

use crate::support::{FixtureServer, Reply, XmlNode, assert_same_xml, fixture_text};

const SITES: &str = "/api/accounts/9900000/sites";

fn documented_site() -> Site {
    Site {
        name: "SetupTest".into(),
        description: Some("Programmatic Setup Test".into()),
        customer_name: Some("BW".into()),
        address: Some(Address {
            house_number: Some("900".into()),
            street_name: Some("Main Campus Dr".into()),
            city: Some("RALEIGH".into()),
            state_code: Some("NC".into()),
            zip: Some("27606".into()),
            address_type: Some("Billing".into()),
            ..Address::default()
        }),
        ..Site::default()
    }
}

#[tokio::test]
async fn creates_a_site_with_the_documented_body_and_reads_its_id() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        SITES,
        Reply::fixture(201, "dashboard-create-site-201.xml"),
    );

    let site = server
        .client()
        .create_site(&documented_site())
        .await
        .expect("created");

    assert_eq!(site.id.as_deref(), Some("12345"));
    let address = site.address.expect("address");
    assert_eq!(address.country.as_deref(), Some("United States"));
    let request = server.single_request();
    request.assert_dashboard("POST", SITES);
    assert_same_xml(&request.body_text(), "dashboard-create-site-request.xml");
}

#[tokio::test]
async fn creates_a_site_with_the_body_spoke_sends() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        SITES,
        Reply::fixture(201, "dashboard-create-site-201.spec.xml"),
    );
    let site = Site {
        name: "Spoke org1 Acme Org".into(),
        address: Some(Address {
            house_number: Some("900".into()),
            street_name: Some("Main Campus Dr".into()),
            city: Some("Raleigh".into()),
            state_code: Some("NC".into()),
            zip: Some("27606".into()),
            address_type: Some("Billing".into()),
            country: Some("United States".into()),
            ..Address::default()
        }),
        ..Site::default()
    };

    let created = server.client().create_site(&site).await.expect("created");

    assert_eq!(created.id.as_deref(), Some("3013"));
    assert_eq!(created.name, "Raleigh");
    assert_same_xml(
        &server.single_request().body_text(),
        "spoke-derived-create-site-request.xml",
    );
}

#[tokio::test]
async fn takes_a_created_sites_id_from_location_when_the_body_is_empty() {
    let server = FixtureServer::start().await;
    // Synthesized: node-numbers' tests answer a site POST this way.
    server.on(
        "POST",
        SITES,
        Reply::raw(201, &[("Location", "/accounts/9900000/sites/77")], ""),
    );

    let site = server
        .client()
        .create_site(&documented_site())
        .await
        .expect("created");

    assert_eq!(site.id.as_deref(), Some("77"));
    assert_eq!(site.name, "SetupTest");
}

#[tokio::test]
async fn reads_a_site() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/3013",
        Reply::fixture(200, "dashboard-get-site-200.xml"),
    );

    let site = server.client().get_site("3013").await.expect("site");

    assert_eq!(site.id.as_deref(), Some("3013"));
    assert_eq!(site.name, "Raleigh");
    assert_eq!(site.description.as_deref(), Some("Test Gateway"));
    assert_eq!(site.address.and_then(|a| a.zip).as_deref(), Some("20006"));
    server
        .single_request()
        .assert_dashboard("GET", "/api/accounts/9900000/sites/3013");
}

#[tokio::test]
async fn reports_a_missing_site_with_status_code_and_description() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/3014",
        Reply::fixture(404, "dashboard-get-site-404.xml"),
    );

    let error = server.client().get_site("3014").await.expect_err("missing");

    assert_eq!(error.status(), Some(404));
    assert_eq!(error.code(), Some("12016"));
    assert_eq!(
        error.to_string(),
        "Bandwidth answered 404 (code 12016): Site '3014' does not exist"
    );
}

#[tokio::test]
async fn reports_site_address_errors() {
    for (status, name, code) in [
        (400, "dashboard-create-site-400.xml", "1003"),
        (409, "dashboard-create-site-409.xml", "12112"),
    ] {
        let server = FixtureServer::start().await;
        server.on("POST", SITES, Reply::fixture(status, name));

        let error = server
            .client()
            .create_site(&documented_site())
            .await
            .expect_err("rejected");

        assert!(
            matches!(&error, Error::Rejected { status: s, errors, .. } if *s == status && errors.len() == 1),
            "{name}: {error:?}"
        );
        assert_eq!(error.code(), Some(code), "{name}");
    }
}

#[tokio::test]
async fn takes_a_new_sip_peer_id_from_the_location_header() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/sites/12345/sippeers",
        Reply::http_fixture("dashboard-create-sippeer-201.http"),
    );
    let peer = SipPeer {
        peer_name: "Setup Test SIP Peer".into(),
        is_default_peer: Some(true),
        ..SipPeer::default()
    };

    let id = server
        .client()
        .create_sip_peer("12345", &peer)
        .await
        .expect("created");

    // The recorded Location is the documentation's template, placeholders included.
    assert_eq!(id, "{sippeerId}");
    let request = server.single_request();
    request.assert_dashboard("POST", "/api/accounts/9900000/sites/12345/sippeers");
    assert_same_xml(&request.body_text(), "dashboard-create-sippeer-request.xml");
}

#[tokio::test]
async fn sends_spokes_sip_peer_without_its_stray_site_id() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/sites/12345/sippeers",
        Reply::http_fixture("dashboard-create-sippeer-201.http"),
    );
    let peer = SipPeer {
        peer_name: "Spoke org1 AcmeOrg".into(),
        is_default_peer: Some(true),
        ..SipPeer::default()
    };

    server
        .client()
        .create_sip_peer("12345", &peer)
        .await
        .expect("created");

    let ours = XmlNode::parse(&server.single_request().body_text());
    let spokes = XmlNode::parse(&fixture_text("spoke-derived-create-sippeer-request.xml"));
    assert_eq!(ours, spokes.without_child("SiteId"));
}

#[tokio::test]
async fn a_created_sip_peer_without_location_is_an_incomplete_answer() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/sites/1/sippeers",
        Reply::raw(201, &[], ""),
    );

    let error = server
        .client()
        .create_sip_peer("1", &SipPeer::default())
        .await
        .expect_err("no id");

    assert!(
        matches!(error, Error::Incomplete { status: 201, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn reports_a_sip_peer_creation_error() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        "/api/accounts/9900000/sites/1/sippeers",
        Reply::fixture(400, "dashboard-create-sippeer-400.xml"),
    );

    let error = server
        .client()
        .create_sip_peer("1", &SipPeer::default())
        .await
        .expect_err("rejected");

    assert_eq!(
        error.to_string(),
        "Bandwidth answered 400 (code 13582): Enforce option is missing"
    );
}

#[tokio::test]
async fn reads_a_sip_peer_and_ignores_its_voice_settings() {
    let server = FixtureServer::start().await;
    let path = "/api/accounts/9900000/sites/45/sippeers/304985";
    server.on(
        "GET",
        path,
        Reply::fixture(200, "dashboard-get-sippeer-200.xml"),
    );

    let peer = server
        .client()
        .get_sip_peer("45", "304985")
        .await
        .expect("peer");

    assert_eq!(peer.peer_id.as_deref(), Some("304985"));
    assert_eq!(peer.peer_name, "CNAM-TEST-778");
    assert_eq!(peer.is_default_peer, Some(false));
    assert_eq!(
        peer.address.and_then(|a| a.street_name).as_deref(),
        Some("PENNSYLVANIA AVE NW")
    );
    server.single_request().assert_dashboard("GET", path);
}

#[tokio::test]
async fn reports_a_missing_sip_peer_as_the_documented_400() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        "/api/accounts/9900000/sites/45/sippeers/316167",
        Reply::fixture(400, "dashboard-get-sippeer-400.xml"),
    );

    let error = server
        .client()
        .get_sip_peer("45", "316167")
        .await
        .expect_err("missing");

    assert_eq!(error.status(), Some(400));
    assert!(error.has_code("13563"));
}

const SMS: &str = "/api/accounts/9900000/sites/1/sippeers/2/products/messaging/features/sms";
const MMS: &str = "/api/accounts/9900000/sites/1/sippeers/2/products/messaging/features/mms";

#[tokio::test]
async fn enables_sms_with_the_documented_settings() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        SMS,
        Reply::fixture(201, "dashboard-sms-feature-201.xml"),
    );
    let feature = SmsFeature {
        settings: SmsFeatureSettings {
            toll_free: Some(true),
            short_code: Some(true),
            protocol: Some("HTTP".into()),
            zone1: Some(true),
            zone2: Some(true),
            zone3: Some(true),
            zone4: Some(true),
            zone5: Some(true),
            ..SmsFeatureSettings::default()
        },
        ..SmsFeature::default()
    };

    let created = server
        .client()
        .create_sms_feature("1", "2", &feature)
        .await
        .expect("created");

    assert_eq!(
        created.http_settings.proxy_peer_id.as_deref(),
        Some("569238")
    );
    assert_eq!(created.settings, feature.settings);
    let request = server.single_request();
    request.assert_dashboard("POST", SMS);
    assert_same_xml(&request.body_text(), "dashboard-sms-feature-request.xml");
}

#[tokio::test]
async fn sends_spokes_sms_settings_and_the_recommended_http_settings() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        SMS,
        Reply::fixture(201, "dashboard-sms-feature-201.xml"),
    );
    let mut spokes = SmsFeature::http(true);
    spokes.settings.short_code = None;
    let client = server.client();

    client
        .create_sms_feature("1", "2", &spokes)
        .await
        .expect("created");
    client
        .create_sms_feature("1", "2", &SmsFeature::http(true))
        .await
        .expect("created");

    let requests = server.requests();
    assert_same_xml(
        &requests[0].body_text(),
        "spoke-derived-sms-feature-request.xml",
    );
    let recommended = XmlNode::parse(&requests[1].body_text());
    let settings = recommended
        .child("SipPeerSmsFeatureSettings")
        .expect("settings");
    assert_eq!(
        settings.child("ShortCode").map(|n| n.text.as_str()),
        Some("false")
    );
    assert_eq!(
        settings.child("Zone1").map(|n| n.text.as_str()),
        Some("true")
    );
    assert_eq!(
        settings.child("Zone5").map(|n| n.text.as_str()),
        Some("false")
    );
}

#[tokio::test]
async fn reads_and_replaces_sms_settings() {
    let server = FixtureServer::start().await;
    // No GET fixture exists; the 201 body has the documented GET shape.
    server
        .on(
            "GET",
            SMS,
            Reply::fixture(200, "dashboard-sms-feature-201.xml"),
        )
        .on("PUT", SMS, Reply::raw(200, &[], ""));
    let client = server.client();

    let feature = client.get_sms_feature("1", "2").await.expect("read");
    client
        .update_sms_feature("1", "2", &feature)
        .await
        .expect("updated");

    assert_eq!(feature.settings.protocol.as_deref(), Some("HTTP"));
    let requests = server.requests();
    requests[0].assert_dashboard("GET", SMS);
    requests[1].assert_dashboard("PUT", SMS);
    assert!(requests[1].body_text().contains("<SipPeerSmsFeature>"));
}

#[tokio::test]
async fn reports_an_sms_feature_error() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        SMS,
        Reply::fixture(400, "dashboard-sms-feature-400.xml"),
    );

    let error = server
        .client()
        .create_sms_feature("1", "2", &SmsFeature::http(true))
        .await
        .expect_err("rejected");

    assert_eq!(error.code(), Some("13609"));
}

#[tokio::test]
async fn enables_mms_with_the_documented_and_spoke_bodies() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        MMS,
        Reply::fixture(201, "dashboard-mms-feature-201.xml"),
    );

    let created = server
        .client()
        .create_mms_feature("1", "2", &MmsFeature::http())
        .await
        .expect("created");

    assert_eq!(created.settings.protocol.as_deref(), Some("HTTP"));
    assert_eq!(created.proxy_peer_id(), Some("569238"));
    let request = server.single_request();
    request.assert_dashboard("POST", MMS);
    assert_same_xml(&request.body_text(), "dashboard-mms-feature-request.xml");
    assert_same_xml(
        &request.body_text(),
        "spoke-derived-mms-feature-request.xml",
    );
}

#[tokio::test]
async fn reads_mms_answers_with_lowercase_protocol_and_proxy_peer_id() {
    let server = FixtureServer::start().await;
    server
        .on(
            "POST",
            MMS,
            Reply::fixture(201, "dashboard-mms-feature-201.lowercase.xml"),
        )
        .on(
            "GET",
            MMS,
            Reply::fixture(200, "dashboard-get-mms-feature-200.spec.xml"),
        )
        .on("PUT", MMS, Reply::raw(200, &[], ""));
    let client = server.client();

    let created = client
        .create_mms_feature("1", "2", &MmsFeature::http())
        .await
        .expect("created");
    let read = client.get_mms_feature("1", "2").await.expect("read");
    client
        .update_mms_feature("1", "2", &MmsFeature::http())
        .await
        .expect("updated");

    assert_eq!(created.settings.protocol.as_deref(), Some("HTTP"));
    assert_eq!(created.proxy_peer_id(), Some("539692"));
    assert_eq!(read.settings.protocol.as_deref(), Some("HTTP"));
    assert_eq!(read.proxy_peer_id(), Some("500017"));
    server.requests()[2].assert_dashboard("PUT", MMS);
}

#[tokio::test]
async fn reports_an_mms_feature_error() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        MMS,
        Reply::fixture(400, "dashboard-mms-feature-400.xml"),
    );

    let error = server
        .client()
        .create_mms_feature("1", "2", &MmsFeature::http())
        .await
        .expect_err("rejected");

    assert_eq!(
        error.to_string(),
        "Bandwidth answered 400 (code 13606): Messaging feature may have only one protocol assigned."
    );
}

const APPLICATIONS: &str = "/api/accounts/9900000/applications";

fn creds(user: &str, password: &str) -> Option<CallbackCredentials> {
    Some(CallbackCredentials {
        user_id: user.into(),
        password: Some(password.into()),
    })
}

fn callback_types(types: &[&str]) -> Option<CallbackTypes> {
    Some(CallbackTypes {
        callback_types: types.iter().map(|t| t.to_string()).collect(),
    })
}

#[tokio::test]
async fn creates_an_application_with_legacy_callback_fields() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        APPLICATIONS,
        Reply::fixture(201, "dashboard-create-application-201.xml"),
    );
    let application = Application {
        service_type: Some("Messaging-V2".into()),
        app_name: Some("Production Server".into()),
        msg_callback_url: Some("https://yourSecureSite.com/callbacks".into()),
        callback_creds: creds("Your-User-id", "Your-Password"),
        ..Application::default()
    };

    let created = server
        .client()
        .create_application(&application)
        .await
        .expect("created");

    assert_eq!(
        created.application_id.as_deref(),
        Some("590cde45-c05d-44e3-a77a-59fd10f17c26")
    );
    let inbound = created.inbound_callback_creds.expect("fanned out");
    assert_eq!(inbound.user_id, "Your-User-id");
    assert_eq!(inbound.password, None);
    assert_eq!(
        created.outbound_callback_url.as_deref(),
        Some("https://yourSecureSite.com/callbacks")
    );
    let request = server.single_request();
    request.assert_dashboard("POST", APPLICATIONS);
    assert_same_xml(
        &request.body_text(),
        "dashboard-create-application-request.xml",
    );
}

#[tokio::test]
async fn creates_an_application_with_inbound_and_outbound_fields() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        APPLICATIONS,
        Reply::fixture(201, "dashboard-create-application-201.inbound-outbound.xml"),
    );
    let application = Application {
        service_type: Some("Messaging-V2".into()),
        app_name: Some("EBVICs".into()),
        inbound_callback_url: Some("https://example.com".into()),
        outbound_callback_url: Some("https://example2.com".into()),
        inbound_callback_creds: creds("15jPWZmXdm", "xxv3jPsPR2"),
        outbound_callback_creds: creds("15jPWZmXdm", "xxv3jPsPR2"),
        requested_callback_types: callback_types(&[
            "message-delivered",
            "message-failed",
            "message-sending",
        ]),
        ..Application::default()
    };

    let created = server
        .client()
        .create_application(&application)
        .await
        .expect("created");

    assert_eq!(
        created.application_id.as_deref(),
        Some("d4d1b41d-4c05-47d0-838a-34e4f14e4e3e")
    );
    assert_eq!(
        created
            .requested_callback_types
            .map(|t| t.callback_types.len()),
        Some(3)
    );
    assert_same_xml(
        &server.single_request().body_text(),
        "dashboard-create-application-request.inbound-outbound.xml",
    );
}

#[tokio::test]
async fn creates_an_application_with_the_body_spoke_sends() {
    let server = FixtureServer::start().await;
    server.on(
        "POST",
        APPLICATIONS,
        Reply::fixture(201, "dashboard-create-application-201.xml"),
    );
    let url = "https://spoke.example.org/bandwidth/1";
    let application = Application {
        service_type: Some("Messaging-V2".into()),
        app_name: Some("Spoke app, org1".into()),
        callback_url: Some(url.into()),
        msg_callback_url: Some(url.into()),
        inbound_callback_url: Some(url.into()),
        outbound_callback_url: Some(url.into()),
        callback_creds: creds(
            "bandwidth.com",
            "DYYaO5j6ZiIpaQtbf5OolJrfqzptiz+Bt98F4FTqgo4=",
        ),
        requested_callback_types: callback_types(&[
            "message-sending",
            "message-delivered",
            "message-failed",
        ]),
        ..Application::default()
    };

    server
        .client()
        .create_application(&application)
        .await
        .expect("created");

    assert_same_xml(
        &server.single_request().body_text(),
        "spoke-derived-create-application-request.xml",
    );
}

#[tokio::test]
async fn reads_an_application_even_from_an_application_list() {
    let server = FixtureServer::start().await;
    let id = "2cfcb382-161c-46d4-8c67-87ca09a72c85";
    let path = format!("{APPLICATIONS}/{id}");
    server.on(
        "GET",
        &path,
        Reply::fixture(200, "dashboard-get-application-200.xml"),
    );

    let application = server.client().get_application(id).await.expect("app");

    assert_eq!(application.application_id.as_deref(), Some(id));
    assert_eq!(application.app_name.as_deref(), Some("app1"));
    assert_eq!(
        application.inbound_callback_url.as_deref(),
        Some("http://example.com/messaging/inbound")
    );
    server.single_request().assert_dashboard("GET", &path);
}

#[tokio::test]
async fn deletes_an_application() {
    let server = FixtureServer::start().await;
    let path = format!("{APPLICATIONS}/abc");
    server.on("DELETE", &path, Reply::raw(200, &[], ""));

    server
        .client()
        .delete_application("abc")
        .await
        .expect("deleted");

    server.single_request().assert_dashboard("DELETE", &path);
}

const SETTINGS: &str =
    "/api/accounts/9900000/sites/1/sippeers/2/products/messaging/applicationSettings";

#[tokio::test]
async fn assigns_an_application_to_a_sip_peer() {
    let server = FixtureServer::start().await;
    server.on(
        "PUT",
        SETTINGS,
        Reply::fixture(200, "dashboard-associate-application-200.xml"),
    );
    let client = server.client();

    client
        .associate_application("1", "2", "c3b0f805-06ab-4d36-8bf4-8baff7623398")
        .await
        .expect("assigned");
    client
        .associate_application("1", "2", "590cde45-c05d-44e3-a77a-59fd10f17c26")
        .await
        .expect("assigned");

    let requests = server.requests();
    requests[0].assert_dashboard("PUT", SETTINGS);
    assert_same_xml(
        &requests[0].body_text(),
        "dashboard-associate-application-request.xml",
    );
    assert_same_xml(
        &requests[1].body_text(),
        "spoke-derived-associate-application-request.xml",
    );
}

#[tokio::test]
async fn reads_the_application_assigned_to_a_sip_peer() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        SETTINGS,
        Reply::fixture(200, "dashboard-get-application-settings-200.xml"),
    );

    let assigned = server
        .client()
        .get_application_settings("1", "2")
        .await
        .expect("settings");

    assert_eq!(
        assigned.as_deref(),
        Some("4a4ca6c1-156b-4fca-84e9-34e35e2afc32")
    );
}

#[tokio::test]
async fn reads_a_removed_assignment_as_none() {
    let server = FixtureServer::start().await;
    // Synthesized: the shape after REMOVE is undocumented; accept both plausible ones.
    server.on(
        "GET",
        SETTINGS,
        Reply::raw(
            200,
            &[],
            "<ApplicationsSettingsResponse><ApplicationsSettings>REMOVE</ApplicationsSettings></ApplicationsSettingsResponse>",
        ),
    );
    let client = server.client();
    assert_eq!(
        client.get_application_settings("1", "2").await.expect("ok"),
        None
    );
}

#[tokio::test]
async fn unassigns_an_application_with_remove() {
    let server = FixtureServer::start().await;
    server.on("PUT", SETTINGS, Reply::raw(200, &[], ""));

    server
        .client()
        .remove_application("1", "2")
        .await
        .expect("removed");

    let request = server.single_request();
    request.assert_dashboard("PUT", SETTINGS);
    assert_same_xml(
        &request.body_text(),
        "dashboard-associate-application-remove-request.xml",
    );
}

#[tokio::test]
async fn verifies_credentials_by_listing_sites() {
    let server = FixtureServer::start().await;
    // Synthesized from python-bandwidth-iris' XML_RESPONSE_SITES_LIST (no shared fixture).
    server.on(
        "GET",
        SITES,
        Reply::raw(
            200,
            &[("Content-Type", "application/xml")],
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><SitesResponse><Sites><Site><Id>2297</Id><Name>API Test Site</Name></Site><Site><Id>2301</Id><Name>My First Site</Name><Description>A Site From Node SDK Examples</Description></Site></Sites></SitesResponse>",
        ),
    );
    let client = server.client();

    client.verify_credentials().await.expect("valid");
    let sites = client.list_sites().await.expect("sites");

    assert_eq!(sites.len(), 2);
    assert_eq!(sites[1].id.as_deref(), Some("2301"));
    server.requests()[0].assert_dashboard("GET", SITES);
}

#[tokio::test]
async fn rejects_wrong_credentials_with_a_status_only_error() {
    let server = FixtureServer::start().await;
    // Synthesized: the Dashboard's 401 body is undocumented; the contract assumes empty.
    server.on(
        "GET",
        SITES,
        Reply::raw(
            401,
            &[("WWW-Authenticate", "Basic realm=\"Dashboard\"")],
            "",
        ),
    );

    let error = server
        .client()
        .verify_credentials()
        .await
        .expect_err("rejected");

    assert!(error.is_auth_failure());
    assert_eq!(error.status(), Some(401));
    assert!(error.errors().is_empty());
    assert_eq!(
        error.to_string(),
        "Bandwidth answered 401 Unauthorized with no error details"
    );
}

#[tokio::test]
async fn rejects_a_user_without_permission_with_access_denied() {
    let server = FixtureServer::start().await;
    server.on(
        "GET",
        SITES,
        Reply::fixture(403, "dashboard-error-403-access-denied.spec.xml"),
    );

    let error = server
        .client()
        .verify_credentials()
        .await
        .expect_err("denied");

    assert!(error.is_auth_failure());
    assert_eq!(
        error.to_string(),
        "Bandwidth answered 403 (code 1001): Access Denied"
    );
}
