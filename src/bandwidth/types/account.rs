//! Dashboard DTOs for account setup: sites, sip peers (locations) and the SMS/MMS features
//! of a sip peer.
//!
//! Element names mirror Bandwidth's XML exactly (see the contract, §2.1–§2.6); the casing
//! variants Bandwidth is known to send are accepted through serde aliases. Unknown elements
//! are ignored, so Bandwidth may add fields without breaking us.

use serde::{Deserialize, Serialize};

/// A postal address as the Dashboard models it (`<Address>`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    /// `HouseNumber`, e.g. `900`.
    #[serde(
        rename = "HouseNumber",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub house_number: Option<String>,
    /// `HousePrefix`.
    #[serde(
        rename = "HousePrefix",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub house_prefix: Option<String>,
    /// `HouseSuffix`.
    #[serde(
        rename = "HouseSuffix",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub house_suffix: Option<String>,
    /// `PreDirectional`, e.g. `N`.
    #[serde(
        rename = "PreDirectional",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub pre_directional: Option<String>,
    /// `StreetName`.
    #[serde(
        rename = "StreetName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub street_name: Option<String>,
    /// `StreetSuffix`, e.g. `AVE`.
    #[serde(
        rename = "StreetSuffix",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub street_suffix: Option<String>,
    /// `PostDirectional`, e.g. `NW`.
    #[serde(
        rename = "PostDirectional",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub post_directional: Option<String>,
    /// `AddressLine2`.
    #[serde(
        rename = "AddressLine2",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub address_line2: Option<String>,
    /// `City`.
    #[serde(rename = "City", default, skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// `StateCode`, two letters.
    #[serde(rename = "StateCode", default, skip_serializing_if = "Option::is_none")]
    pub state_code: Option<String>,
    /// `Zip`.
    #[serde(rename = "Zip", default, skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// `PlusFour`.
    #[serde(rename = "PlusFour", default, skip_serializing_if = "Option::is_none")]
    pub plus_four: Option<String>,
    /// `County`.
    #[serde(rename = "County", default, skip_serializing_if = "Option::is_none")]
    pub county: Option<String>,
    /// `Country`; Bandwidth fills in `United States` when omitted.
    #[serde(rename = "Country", default, skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// `AddressType`: `Billing` or `Service` (required when creating a site).
    #[serde(
        rename = "AddressType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub address_type: Option<String>,
}

/// A site ("sub-account"): the request body of `POST /sites` and the `<Site>` of a
/// `SiteResponse`. See <https://dev.bandwidth.com/docs/account/programmatic-setup>.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Site")]
pub struct Site {
    /// `Id`, set by Bandwidth (integer as text). Leave `None` when creating.
    #[serde(rename = "Id", default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// `Name` (required).
    #[serde(rename = "Name", default)]
    pub name: String,
    /// `Description`.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// `CustomerName`.
    #[serde(
        rename = "CustomerName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_name: Option<String>,
    /// `CustomerProvidedId`.
    #[serde(
        rename = "CustomerProvidedId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub customer_provided_id: Option<String>,
    /// `Address` (required when creating; Bandwidth answers 400/1003 without it).
    #[serde(rename = "Address", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// `<SiteResponse>`: the body of create/get site.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SiteResponse {
    #[serde(rename = "Site", default)]
    pub site: Option<Site>,
}

/// `<SitesResponse><Sites><Site>…`: the body of `GET /accounts/{a}/sites`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SitesResponse {
    #[serde(rename = "Sites", default)]
    pub sites: Option<SiteList>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SiteList {
    #[serde(rename = "Site", default)]
    pub items: Vec<Site>,
}

/// A sip peer ("location"): the request body of `POST …/sippeers` and the `<SipPeer>` of a
/// `SipPeerResponse`. Bandwidth's voice/termination elements are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "SipPeer")]
pub struct SipPeer {
    /// `PeerId`, set by Bandwidth. Leave `None` when creating.
    #[serde(rename = "PeerId", default, skip_serializing_if = "Option::is_none")]
    pub peer_id: Option<String>,
    /// `PeerName` (required).
    #[serde(rename = "PeerName", default)]
    pub peer_name: String,
    /// `Description`.
    #[serde(
        rename = "Description",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub description: Option<String>,
    /// `IsDefaultPeer`: the site's default location receives numbers ordered without a peer.
    #[serde(
        rename = "IsDefaultPeer",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub is_default_peer: Option<bool>,
    /// `Address` (only required for UC-trunking accounts).
    #[serde(rename = "Address", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
}

/// `<TNSipPeersResponse>`: a site's sip peers (`GET …/sites/{s}/sippeers`, contract-2 §13).
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SipPeersResponse {
    #[serde(rename = "SipPeers", default)]
    pub sip_peers: Option<SipPeerList>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SipPeerList {
    #[serde(rename = "SipPeer", default)]
    pub items: Vec<SipPeer>,
}

/// `<SipPeerResponse>`: the body of get sip peer.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SipPeerResponse {
    #[serde(rename = "SipPeer", default)]
    pub sip_peer: Option<SipPeer>,
}

/// `<HttpSettings>` of an SMS or MMS feature. Sent empty; Bandwidth answers with the
/// `ProxyPeerId` (spelled `proxyPeerId` in some MMS answers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpSettings {
    /// `ProxyPeerId`, set by Bandwidth.
    #[serde(
        rename = "ProxyPeerId",
        alias = "proxyPeerId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub proxy_peer_id: Option<String>,
}

/// `<SipPeerSmsFeatureSettings>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SmsFeatureSettings {
    /// `TollFree`: allow toll-free messaging.
    #[serde(rename = "TollFree", default, skip_serializing_if = "Option::is_none")]
    pub toll_free: Option<bool>,
    /// `ShortCode`: allow short-code messaging.
    #[serde(rename = "ShortCode", default, skip_serializing_if = "Option::is_none")]
    pub short_code: Option<bool>,
    /// `A2pLongCode`.
    #[serde(
        rename = "A2pLongCode",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub a2p_long_code: Option<String>,
    /// `A2pMessageClass`.
    #[serde(
        rename = "A2pMessageClass",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub a2p_message_class: Option<String>,
    /// `A2pCampaignId`.
    #[serde(
        rename = "A2pCampaignId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub a2p_campaign_id: Option<String>,
    /// `Protocol`: `HTTP` for Messaging v2 (`SIP`, `SMPP` otherwise).
    #[serde(
        rename = "Protocol",
        alias = "protocol",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol: Option<String>,
    /// `Zone1` (US and Canada): must be `true` for HTTP messaging.
    #[serde(rename = "Zone1", default, skip_serializing_if = "Option::is_none")]
    pub zone1: Option<bool>,
    /// `Zone2`.
    #[serde(rename = "Zone2", default, skip_serializing_if = "Option::is_none")]
    pub zone2: Option<bool>,
    /// `Zone3`.
    #[serde(rename = "Zone3", default, skip_serializing_if = "Option::is_none")]
    pub zone3: Option<bool>,
    /// `Zone4`.
    #[serde(rename = "Zone4", default, skip_serializing_if = "Option::is_none")]
    pub zone4: Option<bool>,
    /// `Zone5`.
    #[serde(rename = "Zone5", default, skip_serializing_if = "Option::is_none")]
    pub zone5: Option<bool>,
}

/// `<SipPeerSmsFeature>`: SMS settings of a sip peer (request and response body).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "SipPeerSmsFeature")]
pub struct SmsFeature {
    /// `SipPeerSmsFeatureSettings`.
    #[serde(rename = "SipPeerSmsFeatureSettings", default)]
    pub settings: SmsFeatureSettings,
    /// `HttpSettings` (always sent, empty when creating).
    #[serde(rename = "HttpSettings", default)]
    pub http_settings: HttpSettings,
}

impl SmsFeature {
    /// Settings for Messaging v2 over HTTP: protocol `HTTP`, `Zone1` on and zones 2–5 off
    /// (Bandwidth's setup guide requires both), short codes off.
    pub fn http(toll_free: bool) -> Self {
        SmsFeature {
            settings: SmsFeatureSettings {
                toll_free: Some(toll_free),
                short_code: Some(false),
                protocol: Some("HTTP".to_owned()),
                zone1: Some(true),
                zone2: Some(false),
                zone3: Some(false),
                zone4: Some(false),
                zone5: Some(false),
                ..SmsFeatureSettings::default()
            },
            http_settings: HttpSettings::default(),
        }
    }
}

/// `<SipPeerSmsFeatureResponse>`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct SmsFeatureResponse {
    #[serde(rename = "SipPeerSmsFeature", default)]
    pub feature: Option<SmsFeature>,
}

/// `<MmsSettings>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmsSettings {
    /// `Protocol` (`protocol` in some answers): `HTTP` for Messaging v2.
    #[serde(
        rename = "Protocol",
        alias = "protocol",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol: Option<String>,
}

/// `<HTTP>` inside `<Protocols>`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmsHttpProtocol {
    /// `HttpSettings`.
    #[serde(rename = "HttpSettings", default)]
    pub http_settings: HttpSettings,
}

/// `<Protocols>` of an MMS feature.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MmsProtocols {
    /// `HTTP`.
    #[serde(rename = "HTTP", default, skip_serializing_if = "Option::is_none")]
    pub http: Option<MmsHttpProtocol>,
}

/// `<MmsFeature>`: MMS settings of a sip peer (request and response body). Enable SMS first:
/// Bandwidth refuses MMS without SMS (error 13623).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "MmsFeature")]
pub struct MmsFeature {
    /// `MmsSettings`.
    #[serde(rename = "MmsSettings", default)]
    pub settings: MmsSettings,
    /// `Protocols`.
    #[serde(rename = "Protocols", default)]
    pub protocols: MmsProtocols,
}

impl MmsFeature {
    /// Settings for Messaging v2 over HTTP.
    pub fn http() -> Self {
        MmsFeature {
            settings: MmsSettings {
                protocol: Some("HTTP".to_owned()),
            },
            protocols: MmsProtocols {
                http: Some(MmsHttpProtocol::default()),
            },
        }
    }

    /// The `ProxyPeerId` Bandwidth assigned, if any.
    pub fn proxy_peer_id(&self) -> Option<&str> {
        self.protocols
            .http
            .as_ref()
            .and_then(|h| h.http_settings.proxy_peer_id.as_deref())
    }
}

/// `<MmsFeatureResponse>`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct MmsFeatureResponse {
    #[serde(rename = "MmsFeature", default)]
    pub feature: Option<MmsFeature>,
}
