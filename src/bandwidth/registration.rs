//! 10DLC and toll-free verification calls of [`BandwidthClient`] (contract-2 §2, §3, §5).
//!
//! Decisions on the points contract-2 marks UNCONFIRMED:
//! - TN option orders go to `tnoptions` (lower case, as every SDK and the CLI spell it), with
//!   10-digit numbers (the Dashboard's documented format; whether it takes E.164 is unknown).
//!   The order id is read from the 201 body's `OrderId`; the `Location` header is only a
//!   fallback, since Bandwidth's own example of it carries no id.
//! - `MessageClass` is never sent: imported campaigns take it from TCR (A-imp omits it), and a
//!   wrong class is an error (12129) where a missing one is not.
//! - A2P problems may come back synchronously (400/409 `ResponseStatus`, an
//!   [`Error::Rejected`]) or later in the polled order's `ErrorList`; both are surfaced.
//! - Campaign management is called on the Dashboard host (`…/campaignManagement/10dlc`), where
//!   every request line of A-imp/A-csp points; the api.bandwidth.com variant is unconfirmed.
//! - Listing pages: the first request names no page (both docs agree it is the first one);
//!   further pages are asked for by number and the result is de-duplicated by campaign id, so
//!   a 0- or 1-based API gives the same list. Paging stops at a page that adds nothing new.
//! - Toll-free verification is called on the Dashboard base too (A-num/A-tfv0 serve the same
//!   paths on `dashboard.bandwidth.com/api/v1` with Basic auth); api.bandwidth.com's acceptance
//!   of Basic auth for every account is unconfirmed. Bodies are JSON.

use reqwest::Method;

use crate::bandwidth::client::BandwidthClient;
use crate::bandwidth::error::{Api, ApiError, Error};
use crate::bandwidth::tree::{self, Node};
use crate::bandwidth::types::registration::{
    A2pAction, Campaign, MnoStatus, NewTnOptionOrder, TfvSubscription, TnMessagingSettings,
    TnOptionOrder, TnOptionStatus, TollFreeVerificationRequest, TollFreeVerificationStatus,
};
use crate::bandwidth::wire::{Answer, Body};

const TEN_DLC: [&str; 2] = ["campaignManagement", "10dlc"];
/// Campaigns asked for per page (the imports list allows at most 25).
const PAGE_SIZE: usize = 25;
/// Most pages read in one listing (2,500 campaigns).
const MAX_PAGES: usize = 100;

fn xml_escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

impl NewTnOptionOrder {
    /// The request body (contract-2 §2.1's minimal shape).
    pub fn to_xml(&self) -> String {
        let mut xml = String::from(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><TnOptionOrder>",
        );
        if let Some(id) = &self.customer_order_id {
            xml.push_str(&format!(
                "<CustomerOrderId>{}</CustomerOrderId>",
                xml_escape(id)
            ));
        }
        xml.push_str("<TnOptionGroups><TnOptionGroup><Sms>on</Sms><A2pSettings>");
        xml.push_str(&format!("<Action>{}</Action>", self.action.as_str()));
        if let (A2pAction::AsSpecified, Some(campaign)) = (self.action, &self.campaign_id) {
            xml.push_str(&format!(
                "<CampaignId>{}</CampaignId>",
                xml_escape(campaign)
            ));
        }
        xml.push_str("</A2pSettings><TelephoneNumbers>");
        for tn in &self.telephone_numbers {
            xml.push_str(&format!(
                "<TelephoneNumber>{}</TelephoneNumber>",
                xml_escape(tn)
            ));
        }
        xml.push_str("</TelephoneNumbers></TnOptionGroup></TnOptionGroups></TnOptionOrder>");
        xml
    }
}

fn decode_error(answer: &Answer, reason: &str) -> Error {
    Error::Decode {
        api: Api::Dashboard,
        status: answer.status.as_u16(),
        reason: reason.to_owned(),
    }
}

fn root_of(answer: &Answer) -> Result<Node, Error> {
    tree::parse(&answer.body).ok_or_else(|| decode_error(answer, "the body is not XML"))
}

fn entries(list: Option<&Node>, element: &str) -> Vec<ApiError> {
    list.map(|l| {
        l.children_named(element)
            .map(|e| ApiError {
                code: e.text_of("Code").unwrap_or_default(),
                description: e.text_of("Description").unwrap_or_default(),
                telephone_number: e.text_of("TelephoneNumber"),
            })
            .collect()
    })
    .unwrap_or_default()
}

/// Reads a `<TnOptionOrder>` element (the GET root, or inside `TnOptionOrderResponse`).
pub(crate) fn read_tn_option_order(order: &Node) -> Option<TnOptionOrder> {
    let order_id = order.text_of("OrderId")?;
    let status = TnOptionStatus::parse(&order.text_of("ProcessingStatus").unwrap_or_default());
    let telephone_numbers = order
        .child("TnOptionGroups")
        .map(|groups| {
            groups
                .children_named("TnOptionGroup")
                .filter_map(|g| g.child("TelephoneNumbers"))
                .flat_map(|tns| tns.children_named("TelephoneNumber"))
                .map(|tn| tn.text.clone())
                .collect()
        })
        .unwrap_or_default();
    Some(TnOptionOrder {
        order_id,
        status,
        errors: entries(order.child("ErrorList"), "Error"),
        warnings: entries(order.child("Warnings"), "Warning"),
        telephone_numbers,
    })
}

/// Reads the carriers' statuses, starting a new entry at each `MnoName` so that both A-num's
/// one-`MnoStatus`-per-carrier and A-imp's all-in-one `MnoStatus` read the same.
fn read_mno_statuses(list: Option<&Node>) -> Vec<MnoStatus> {
    let mut out: Vec<MnoStatus> = Vec::new();
    let Some(list) = list else { return out };
    for status in list.children_named("MnoStatus") {
        for field in &status.children {
            let text = field.text.trim().to_owned();
            if field.name.eq_ignore_ascii_case("MnoName") {
                out.push(MnoStatus {
                    mno: text,
                    mno_id: None,
                    status: String::new(),
                });
            } else if let Some(last) = out.last_mut() {
                if field.name.eq_ignore_ascii_case("MnoId") {
                    last.mno_id = Some(text);
                } else if field.name.eq_ignore_ascii_case("Status") {
                    last.status = text;
                }
            }
        }
    }
    out
}

/// Reads a `<Campaign>` or `<ImportedCampaign>` element.
pub(crate) fn read_campaign(node: &Node, imported: bool) -> Option<Campaign> {
    Some(Campaign {
        campaign_id: node.text_of("CampaignId")?,
        status: node
            .text_of("Status")
            .unwrap_or_else(|| "UNKNOWN".to_owned())
            .to_ascii_uppercase(),
        description: node.text_of("Description"),
        number_pool: node.flag("NumberPool"),
        mno_statuses: read_mno_statuses(node.child("MnoStatusList")),
        imported,
    })
}

fn read_campaign_list(root: &Node, list: &str, item: &str, imported: bool) -> Vec<Campaign> {
    let container = root.find(list);
    let mut out: Vec<Campaign> = container
        .map(|c| {
            c.children_named(item)
                .filter_map(|n| read_campaign(n, imported))
                .collect()
        })
        .unwrap_or_default();
    if out.is_empty() && container.is_none() {
        // A-num's example of the imports list shows the single-campaign shape.
        out.extend(root.find(item).and_then(|n| read_campaign(n, imported)));
    }
    out
}

impl BandwidthClient {
    /// Creates a TN option order (`POST /accounts/{a}/tnoptions`, 201, status RECEIVED). A
    /// refused order (400 5081, 409 5200, …) is [`Error::Rejected`] with Bandwidth's code.
    #[tracing::instrument(skip_all, fields(numbers = order.telephone_numbers.len()))]
    pub async fn create_tn_option_order(
        &self,
        order: &NewTnOptionOrder,
    ) -> Result<TnOptionOrder, Error> {
        let url = self.dashboard_url(&["tnoptions"]);
        let answer = self
            .dashboard(Method::POST, url, Some(order.to_xml()), false)
            .await?;
        let root = tree::parse(&answer.body);
        let read = root
            .as_ref()
            .and_then(|r| r.find("TnOptionOrder"))
            .and_then(read_tn_option_order);
        match read {
            Some(created) => Ok(created),
            None => {
                let order_id = answer
                    .location_id()
                    .filter(|id| !id.eq_ignore_ascii_case("tnoptions"))
                    .ok_or(answer.incomplete("an OrderId"))?;
                Ok(TnOptionOrder {
                    order_id,
                    status: TnOptionStatus::Received,
                    errors: Vec::new(),
                    warnings: Vec::new(),
                    telephone_numbers: order.telephone_numbers.clone(),
                })
            }
        }
    }

    /// Reads a TN option order (`GET /accounts/{a}/tnoptions/{orderId}`). Per-number failures
    /// are data here (HTTP 200 with an `ErrorList`), not errors; an unknown id is a 404.
    #[tracing::instrument(skip_all, fields(order_id = %order_id))]
    pub async fn get_tn_option_order(&self, order_id: &str) -> Result<TnOptionOrder, Error> {
        let url = self.dashboard_url(&["tnoptions", order_id]);
        let answer = self.dashboard(Method::GET, url, None, true).await?;
        let root = root_of(&answer)?;
        root.find("TnOptionOrder")
            .and_then(read_tn_option_order)
            .ok_or_else(|| decode_error(&answer, "no TnOptionOrder with an OrderId"))
    }

    /// The messaging settings of one number (`GET /tns/{tn}/tndetails`, a path outside
    /// `/accounts`), with its campaign when it has one. `tn` is 10 digits.
    #[tracing::instrument(skip_all)]
    pub async fn get_tn_messaging_settings(&self, tn: &str) -> Result<TnMessagingSettings, Error> {
        let url = self.dashboard_root_url(&["tns", tn, "tndetails"]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let root = root_of(&answer)?;
        let Some(settings) = root.find("MessagingSettings") else {
            return Ok(TnMessagingSettings::default());
        };
        Ok(TnMessagingSettings {
            sms_enabled: settings.flag("SmsEnabled"),
            campaign_id: settings.text_of("CampaignId"),
            message_class: settings.text_of("MessageClass"),
            a2p_state: settings.text_of("A2pState"),
        })
    }

    /// Every campaign of a CSP account (`GET …/campaignManagement/10dlc/campaigns`). Without the
    /// Campaign Management role or the `10DLC` feature Bandwidth answers 403 / 400 12055.
    #[tracing::instrument(skip_all)]
    pub async fn list_campaigns(&self) -> Result<Vec<Campaign>, Error> {
        self.list_campaign_pages(&["campaigns"], "Campaigns", "Campaign", false)
            .await
    }

    /// Every campaign imported into the account
    /// (`GET …/campaignManagement/10dlc/campaigns/imports`), for accounts with the
    /// `10DLCImportCampaign` feature.
    #[tracing::instrument(skip_all)]
    pub async fn list_imported_campaigns(&self) -> Result<Vec<Campaign>, Error> {
        self.list_campaign_pages(
            &["campaigns", "imports"],
            "ImportedCampaigns",
            "ImportedCampaign",
            true,
        )
        .await
    }

    async fn list_campaign_pages(
        &self,
        path: &[&str],
        list: &str,
        item: &str,
        imported: bool,
    ) -> Result<Vec<Campaign>, Error> {
        let mut segments: Vec<&str> = TEN_DLC.to_vec();
        segments.extend_from_slice(path);
        let mut all: Vec<Campaign> = Vec::new();
        for page in 0..MAX_PAGES {
            let mut url = self.dashboard_url(&segments);
            {
                let mut query = url.query_pairs_mut();
                if page > 0 {
                    query.append_pair("page", &page.to_string());
                }
                query.append_pair("size", &PAGE_SIZE.to_string());
            }
            let answer = self.dashboard(Method::GET, url, None, false).await?;
            if answer.body.iter().all(u8::is_ascii_whitespace) {
                break;
            }
            let root = root_of(&answer)?;
            let found = read_campaign_list(&root, list, item, imported);
            let before = all.len();
            let full = found.len() >= PAGE_SIZE;
            for campaign in found {
                if !all.iter().any(|c| c.campaign_id == campaign.campaign_id) {
                    all.push(campaign);
                }
            }
            if !full || all.len() == before {
                break;
            }
        }
        Ok(all)
    }

    /// Imports a campaign registered with another CSP
    /// (`POST …/campaignManagement/10dlc/campaigns/imports`, 201). The id has at most 12
    /// characters (1011 otherwise); the account needs `10DLCImportCampaign` (12055/12189).
    #[tracing::instrument(skip_all, fields(campaign_id = %campaign_id))]
    pub async fn import_campaign(&self, campaign_id: &str) -> Result<Campaign, Error> {
        let mut segments: Vec<&str> = TEN_DLC.to_vec();
        segments.extend_from_slice(&["campaigns", "imports"]);
        let url = self.dashboard_url(&segments);
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><ImportedCampaign><CampaignId>{}</CampaignId></ImportedCampaign>",
            xml_escape(campaign_id)
        );
        let answer = self.dashboard(Method::POST, url, Some(body), false).await?;
        let root = tree::parse(&answer.body);
        Ok(root
            .as_ref()
            .and_then(|r| r.find("ImportedCampaign"))
            .and_then(|n| read_campaign(n, true))
            .unwrap_or(Campaign {
                campaign_id: campaign_id.to_owned(),
                status: "UNKNOWN".into(),
                description: None,
                number_pool: None,
                mno_statuses: Vec::new(),
                imported: true,
            }))
    }

    /// The numbers on a campaign (`GET …/10dlc/campaigns/{id}/tn`), 10 digits, first page of
    /// `size` (at most 1,000 read).
    #[tracing::instrument(skip_all, fields(campaign_id = %campaign_id))]
    pub async fn list_campaign_numbers(&self, campaign_id: &str) -> Result<Vec<String>, Error> {
        let mut segments: Vec<&str> = TEN_DLC.to_vec();
        segments.extend_from_slice(&["campaigns", campaign_id, "tn"]);
        let mut url = self.dashboard_url(&segments);
        url.query_pairs_mut().append_pair("size", "1000");
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let root = root_of(&answer)?;
        Ok(root
            .find("TelephoneNumbers")
            .map(|tns| {
                tns.children_named("TelephoneNumber")
                    .map(|n| n.text.clone())
                    .collect()
            })
            .unwrap_or_default())
    }

    /// Submits a toll-free verification (`POST /accounts/{a}/tollFreeVerification`, 202 with no
    /// body). A 400's field errors come back as [`Error::Rejected`] `field_errors`.
    #[tracing::instrument(skip_all, fields(numbers = request.phone_numbers.len()))]
    pub async fn submit_toll_free_verification(
        &self,
        request: &TollFreeVerificationRequest,
    ) -> Result<(), Error> {
        let url = self.dashboard_url(&["tollFreeVerification"]);
        let body = serde_json::to_vec(request).map_err(|e| Error::Encode(e.to_string()))?;
        self.send(Api::Messaging, Method::POST, url, Body::Json(body))
            .await
            .map(|_| ())
    }

    /// A toll-free number's verification status
    /// (`GET /accounts/{a}/phoneNumbers/{e164}/tollFreeVerification`); `None` when it was never
    /// submitted (404).
    #[tracing::instrument(skip_all)]
    pub async fn get_toll_free_verification(
        &self,
        e164: &str,
    ) -> Result<Option<TollFreeVerificationStatus>, Error> {
        let url = self.dashboard_url(&["phoneNumbers", e164, "tollFreeVerification"]);
        match self
            .send(Api::Messaging, Method::GET, url, Body::Empty)
            .await
        {
            Ok(answer) => answer.json().map(Some),
            Err(Error::Rejected { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The account's toll-free verification webhook subscriptions.
    #[tracing::instrument(skip_all)]
    pub async fn list_toll_free_verification_subscriptions(
        &self,
    ) -> Result<Vec<TfvSubscription>, Error> {
        #[derive(serde::Deserialize)]
        struct Page {
            #[serde(default)]
            data: Vec<TfvSubscription>,
        }
        let url = self.dashboard_url(&["tollFreeVerification", "webhooks", "subscriptions"]);
        let answer = self
            .send(Api::Messaging, Method::GET, url, Body::Empty)
            .await?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        Ok(answer.json::<Page>()?.data)
    }

    /// Subscribes `callback_url` (with Basic credentials) to every toll-free verification status
    /// change of the account (201).
    #[tracing::instrument(skip_all)]
    pub async fn create_toll_free_verification_subscription(
        &self,
        callback_url: &str,
        username: &str,
        password: &str,
    ) -> Result<TfvSubscription, Error> {
        let url = self.dashboard_url(&["tollFreeVerification", "webhooks", "subscriptions"]);
        let body = serde_json::json!({
            "callbackUrl": callback_url,
            "basicAuthentication": {"username": username, "password": password},
        });
        let body = serde_json::to_vec(&body).map_err(|e| Error::Encode(e.to_string()))?;
        let answer = self
            .send(Api::Messaging, Method::POST, url, Body::Json(body))
            .await?;
        if answer.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(TfvSubscription::default());
        }
        answer.json()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tn_option_order_puts_numbers_on_a_campaign_or_takes_them_off() {
        let mut order = NewTnOptionOrder {
            customer_order_id: Some("sbw-1".into()),
            action: A2pAction::AsSpecified,
            campaign_id: Some("CA1".into()),
            telephone_numbers: vec!["9195550100".into()],
        };
        let xml = order.to_xml();
        assert!(xml.contains("<Sms>on</Sms><A2pSettings><Action>asSpecified</Action><CampaignId>CA1</CampaignId></A2pSettings>"), "{xml}");
        assert!(xml.contains("<TelephoneNumber>9195550100</TelephoneNumber>"));
        order.action = A2pAction::Delete;
        assert!(
            !order.to_xml().contains("CampaignId"),
            "delete sends no campaign id"
        );
    }

    #[test]
    fn carriers_packed_into_one_mno_status_read_as_separate_entries() {
        let root = tree::parse(b"<ImportedCampaign><CampaignId>C</CampaignId><MnoStatusList><MnoStatus><MnoName>ATT</MnoName><MnoId>10017</MnoId><Status>APPROVED</Status><MnoName>TMO</MnoName><MnoId>10035</MnoId><Status>REVIEW</Status></MnoStatus></MnoStatusList></ImportedCampaign>").unwrap();
        let campaign = read_campaign(&root, true).unwrap();
        assert_eq!(campaign.mno_statuses.len(), 2);
        assert_eq!(campaign.mno_statuses[1].mno, "TMO");
        assert_eq!(campaign.mno_statuses[1].status, "REVIEW");
    }
}
