//! The emulated Dashboard ("Numbers"/IRIS) XML API, mounted under `/api` and `/api/v1`.
//!
//! `sites` owns sites and sip peers; `features` the SMS/MMS features and the application
//! association; `applications` the messaging applications; `numbers` number search,
//! disconnects and a location's number list; `orders` number orders.
//!
//! Undocumented cases (contract §7) are decided here once, for every handler:
//! - A malformed XML body answers 400 with the resource's error envelope and, because Bandwidth
//!   documents no code for it, `ErrorCode` equal to the HTTP status (400). The same rule (code =
//!   HTTP status) applies to every other error the contract gives no code for, e.g. 404 for an
//!   unknown order or disconnect id, or a GET of an SMS/MMS feature that was never created.
//! - POSTing an SMS or MMS feature that already exists replaces it and answers 201 again, since
//!   Spoke re-POSTs on every configuration save. `PUT` creates the feature when it is absent.
//! - Names are not length-checked (the docs disagree between 10 and 50 characters); a duplicate
//!   sip peer name within a site answers 409 `13524`, as A-nerr documents.
//! - `ShortCode`/`TollFree` missing from SMS settings are stored and echoed as `false`.
//!
//! Imports only the emulator's state, XML and HTTP helpers.

// Handlers and helpers return a ready `Response` as their error: boxing it would only add noise.
#![allow(clippy::result_large_err)]

mod applications;
mod features;
mod numbers;
mod orders;
pub(super) mod registration;
mod sites;

use axum::Router;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, put};

use super::http::response_status;
use super::state::{EmulatorState, ListError, World};
use super::xml::{self, Element};

/// Routes relative to the Dashboard base (`/api` or `/api/v1`), without auth (added by the caller).
pub fn routes() -> Router<EmulatorState> {
    const PEER: &str = "/accounts/{account}/sites/{site}/sippeers/{peer}";
    Router::new()
        .route(
            "/accounts/{account}/sites",
            get(sites::list_sites).post(sites::create_site),
        )
        .route("/accounts/{account}/sites/{site}", get(sites::get_site))
        .route(
            "/accounts/{account}/sites/{site}/sippeers",
            get(sites::list_peers).post(sites::create_peer),
        )
        .route(PEER, get(sites::get_peer))
        .route(
            &format!("{PEER}/products/messaging/features/sms"),
            get(features::get_sms)
                .post(features::create_sms)
                .put(features::update_sms)
                .delete(features::delete_sms),
        )
        .route(
            &format!("{PEER}/products/messaging/features/mms"),
            get(features::get_mms)
                .post(features::create_mms)
                .put(features::update_mms)
                .delete(features::delete_mms),
        )
        .route(
            &format!("{PEER}/products/messaging/applicationSettings"),
            put(features::put_application_settings).get(features::get_application_settings),
        )
        .route(&format!("{PEER}/tns"), get(numbers::list_peer_numbers))
        .route(
            "/accounts/{account}/applications",
            get(applications::list_applications).post(applications::create_application),
        )
        .route(
            "/accounts/{account}/applications/{app}",
            get(applications::get_application)
                .put(applications::update_application)
                .delete(applications::delete_application),
        )
        .route(
            "/accounts/{account}/availableNumbers",
            get(numbers::search_available_numbers),
        )
        .route(
            "/accounts/{account}/orders",
            get(orders::list_orders).post(orders::create_order),
        )
        .route("/accounts/{account}/orders/{order}", get(orders::get_order))
        .route(
            "/accounts/{account}/inserviceNumbers/{tn}",
            get(numbers::get_in_service_number),
        )
        .route(
            "/accounts/{account}/disconnects",
            axum::routing::post(numbers::create_disconnect),
        )
        .route(
            "/accounts/{account}/disconnects/{disconnect}",
            get(numbers::get_disconnect),
        )
        .route(
            "/accounts/{account}/campaignManagement/10dlc/campaigns",
            get(registration::list_campaigns),
        )
        .route(
            "/accounts/{account}/campaignManagement/10dlc/campaigns/imports",
            get(registration::list_imported).post(registration::import_campaign),
        )
        .route(
            "/accounts/{account}/campaignManagement/10dlc/campaigns/{campaign}/tn",
            get(registration::campaign_numbers),
        )
        .route(
            "/accounts/{account}/tnoptions",
            axum::routing::post(registration::create_tn_option_order),
        )
        .route(
            "/accounts/{account}/tnOptions",
            axum::routing::post(registration::create_tn_option_order),
        )
        .route(
            "/accounts/{account}/tnoptions/{order}",
            get(registration::get_tn_option_order),
        )
        .route(
            "/accounts/{account}/tnOptions/{order}",
            get(registration::get_tn_option_order),
        )
        .route("/tns/{tn}/tndetails", get(registration::tn_details))
        .route(
            "/accounts/{account}/tollFreeVerification",
            axum::routing::post(registration::submit_tfv),
        )
        .route(
            "/accounts/{account}/tollFreeVerification/webhooks/subscriptions",
            get(registration::list_tfv_subscriptions).post(registration::create_tfv_subscription),
        )
        .route(
            "/accounts/{account}/phoneNumbers/{number}/tollFreeVerification",
            get(registration::get_tfv),
        )
}

/// The known element name matching `name` ignoring case, or `name` itself.
fn canonical(name: &str, known: &[&str]) -> String {
    known
        .iter()
        .find(|k| k.eq_ignore_ascii_case(name))
        .map_or_else(|| name.to_string(), |k| (*k).to_string())
}

/// Parses a request body, answering 400 in the resource's `ResponseStatus` envelope when it is
/// not XML.
fn parse_body(body: &str, root: &str) -> Result<Element, Response> {
    xml::parse(body).map_err(|e| {
        response_status(
            StatusCode::BAD_REQUEST,
            root,
            400,
            &format!("Invalid XML: {e}"),
        )
    })
}

/// Looks up a sip peer of a site; 400 `13563` when either does not exist (contract §2.4).
fn find_peer(
    world: &World,
    account: &str,
    site: &str,
    peer: &str,
    root: &str,
) -> Result<u64, Response> {
    let found = match (site.parse::<u64>(), peer.parse::<u64>()) {
        (Ok(site_id), Ok(peer_id)) => world
            .peers
            .get(&peer_id)
            .filter(|p| p.site_id == site_id)
            .map(|p| p.id),
        _ => None,
    };
    found.ok_or_else(|| {
        response_status(
            StatusCode::BAD_REQUEST,
            root,
            13563,
            &format!("Sip Peer '{peer}' account '{account}' and site '{site}' does not exist"),
        )
    })
}

/// An `<ErrorList>` element.
fn error_list(errors: &[ListError]) -> Element {
    Element::new("ErrorList").with_all(errors.iter().map(|e| {
        Element::new("Error")
            .with_leaf("Code", e.code.to_string())
            .with_leaf("Description", e.description.clone())
            .with_opt("TelephoneNumber", e.telephone_number.as_deref())
    }))
}

/// Parses a Dashboard boolean (`true`/`false`, any case).
fn parse_bool(text: Option<&str>) -> Option<bool> {
    match text.map(str::trim) {
        Some(t) if t.eq_ignore_ascii_case("true") => Some(true),
        Some(t) if t.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}
