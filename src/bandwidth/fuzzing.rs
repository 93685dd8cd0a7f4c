//! Entry points for the fuzz targets and property tests: every reader of a Dashboard XML
//! answer, run on arbitrary bytes. Not part of the client's API.

use serde::de::DeserializeOwned;

use super::envelope::{parse_messaging_error, scan_dashboard_errors};
use super::types::account::{
    MmsFeatureResponse, SipPeerResponse, SiteResponse, SitesResponse, SmsFeatureResponse,
};
use super::types::applications::{ApplicationProvisioningResponse, ApplicationsSettingsResponse};
use super::types::numbers::SipPeerTelephoneNumbersResponse;
use super::types::{DisconnectResponse, OrderResponse, SearchResult, TelephoneNumberDetail};

fn decode<T: DeserializeOwned>(text: &str) -> bool {
    quick_xml::de::from_str::<T>(text).is_ok()
}

/// Runs every Dashboard XML reader (the error envelopes and each answer the client decodes) and
/// the Messaging error reader on `body`; returns how many decoded. Must never panic.
pub fn read_dashboard_answers(body: &[u8]) -> usize {
    let mut decoded = scan_dashboard_errors(body).len() + parse_messaging_error(body).0.len();
    if let Ok(text) = std::str::from_utf8(body) {
        decoded += [
            decode::<SitesResponse>(text),
            decode::<SiteResponse>(text),
            decode::<SipPeerResponse>(text),
            decode::<SmsFeatureResponse>(text),
            decode::<MmsFeatureResponse>(text),
            decode::<ApplicationProvisioningResponse>(text),
            decode::<ApplicationsSettingsResponse>(text),
            decode::<SipPeerTelephoneNumbersResponse>(text),
            decode::<SearchResult>(text),
            decode::<OrderResponse>(text),
            decode::<DisconnectResponse>(text),
            decode::<TelephoneNumberDetail>(text),
        ]
        .into_iter()
        .filter(|ok| *ok)
        .count();
    }
    decoded
}
