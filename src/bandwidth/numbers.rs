//! Dashboard (XML) number calls of [`BandwidthClient`]: a sip peer's numbers (all pages),
//! available-number search, number orders and disconnect orders. See
//! <https://dev.bandwidth.com/docs/numbers> and the contract §2.10–§2.14.

use std::collections::HashSet;

use reqwest::Method;

use crate::bandwidth::client::BandwidthClient;
use crate::bandwidth::error::Error;
use crate::bandwidth::types::numbers::SipPeerTelephoneNumbersResponse;
use crate::bandwidth::types::orders::OrderListResponse;
use crate::bandwidth::types::{
    AvailableNumbersQuery, DisconnectResponse, NewDisconnect, NewOrder, OrderResponse,
    OrderSummary, SearchResult, SipPeerTelephoneNumber,
};
use crate::bandwidth::wire::{append_query, to_xml};

/// Page size Bandwidth uses by default for `…/tns` (and the largest it documents).
pub const DEFAULT_TNS_PAGE_SIZE: u32 = 5000;

impl BandwidthClient {
    /// Every number on a sip peer, fetching pages of [`DEFAULT_TNS_PAGE_SIZE`].
    pub async fn list_sip_peer_numbers(
        &self,
        site_id: &str,
        sip_peer_id: &str,
    ) -> Result<Vec<SipPeerTelephoneNumber>, Error> {
        self.list_sip_peer_numbers_paged(site_id, sip_peer_id, DEFAULT_TNS_PAGE_SIZE)
            .await
    }

    /// Every number on a sip peer, fetching page 1, 2, … of `page_size` until a page holds
    /// fewer than `page_size` numbers (an empty `<SipPeerTelephoneNumbers/>` included). Stops
    /// as well when a page brings no new number, so a server that ignores `page` cannot make
    /// this loop forever.
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn list_sip_peer_numbers_paged(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        page_size: u32,
    ) -> Result<Vec<SipPeerTelephoneNumber>, Error> {
        let page_size = page_size.max(1);
        let mut seen = HashSet::new();
        let mut all = Vec::new();
        for page in 1u32.. {
            let numbers = self
                .get_sip_peer_numbers_page(site_id, sip_peer_id, page, page_size)
                .await?;
            let count = numbers.len();
            let mut new = 0usize;
            for number in numbers {
                if seen.insert(number.full_number.clone()) {
                    all.push(number);
                    new += 1;
                }
            }
            if count < page_size as usize || new == 0 {
                break;
            }
        }
        Ok(all)
    }

    /// One page of a sip peer's numbers (`GET …/sippeers/{id}/tns?page=N&size=S`).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id, page))]
    pub async fn get_sip_peer_numbers_page(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        page: u32,
        size: u32,
    ) -> Result<Vec<SipPeerTelephoneNumber>, Error> {
        let mut url = self.dashboard_url(&["sites", site_id, "sippeers", sip_peer_id, "tns"]);
        url.query_pairs_mut()
            .append_pair("page", &page.to_string())
            .append_pair("size", &size.to_string());
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: SipPeerTelephoneNumbersResponse = answer.xml_or_default()?;
        Ok(response.numbers.map(|n| n.items).unwrap_or_default())
    }

    /// Searches numbers Bandwidth has in stock (`GET /accounts/{a}/availableNumbers`).
    /// Search errors come back as 400 `SearchResult/Error` (codes 4000–4026).
    #[tracing::instrument(skip_all)]
    pub async fn search_available_numbers(
        &self,
        query: &AvailableNumbersQuery,
    ) -> Result<SearchResult, Error> {
        let mut url = self.dashboard_url(&["availableNumbers"]);
        append_query(&mut url, query)?;
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        answer.xml_or_default()
    }

    /// Places a number order (`POST /accounts/{a}/orders`, 201, status usually `RECEIVED`).
    /// The order id is `Order/id` from the body, or the `Location` header's last segment.
    #[tracing::instrument(skip_all)]
    pub async fn create_order(&self, order: &NewOrder) -> Result<OrderResponse, Error> {
        let url = self.dashboard_url(&["orders"]);
        let answer = self
            .dashboard(Method::POST, url, Some(to_xml(order)?), false)
            .await?;
        let mut response: OrderResponse = answer.xml_or_default()?;
        if response.id().is_none() {
            let id = answer
                .location_id()
                .ok_or(answer.incomplete("an order id"))?;
            response.order.get_or_insert_with(Default::default).id = Some(id);
        }
        Ok(response)
    }

    /// The number orders carrying `customer_order_id`, oldest first
    /// (`GET /accounts/{a}/orders?customerOrderId=…`; the list's shape is decided in
    /// [`OrderSummary`]). Rows with another customer order id are dropped, in case a server
    /// ignores the filter.
    #[tracing::instrument(skip_all, fields(customer_order_id = %customer_order_id))]
    pub async fn find_orders_by_customer_order_id(
        &self,
        customer_order_id: &str,
    ) -> Result<Vec<OrderSummary>, Error> {
        let mut url = self.dashboard_url(&["orders"]);
        url.query_pairs_mut()
            .append_pair("customerOrderId", customer_order_id);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: OrderListResponse = answer.xml_or_default()?;
        let mut orders: Vec<OrderSummary> = response
            .list
            .map(|l| l.items)
            .unwrap_or_default()
            .into_iter()
            .filter(|o| o.customer_order_id.as_deref() == Some(customer_order_id))
            .filter(|o| o.order_id.is_some())
            .collect();
        orders.sort_by(|a, b| a.order_date.cmp(&b.order_date));
        Ok(orders)
    }

    /// Reads a number order. PARTIAL and FAILED orders come back as HTTP 200 with an
    /// `ErrorList`; they are returned as data (see [`OrderResponse::errors`]), not as errors.
    #[tracing::instrument(skip_all, fields(order_id = %order_id))]
    pub async fn get_order(&self, order_id: &str) -> Result<OrderResponse, Error> {
        let url = self.dashboard_url(&["orders", order_id]);
        let answer = self.dashboard(Method::GET, url, None, true).await?;
        answer.xml()
    }

    /// Places a disconnect order (`POST /accounts/{a}/disconnects`, 201). The id is
    /// `orderRequest/id`, or the `Location` header's last segment.
    #[tracing::instrument(skip_all)]
    pub async fn create_disconnect(
        &self,
        disconnect: &NewDisconnect,
    ) -> Result<DisconnectResponse, Error> {
        let url = self.dashboard_url(&["disconnects"]);
        let answer = self
            .dashboard(Method::POST, url, Some(to_xml(disconnect)?), false)
            .await?;
        let mut response: DisconnectResponse = answer.xml_or_default()?;
        if response.id().is_none() {
            let id = answer
                .location_id()
                .ok_or(answer.incomplete("a disconnect order id"))?;
            response
                .order_request
                .get_or_insert_with(Default::default)
                .id = Some(id);
        }
        Ok(response)
    }

    /// Reads a disconnect order; like [`BandwidthClient::get_order`], an `ErrorList` on a
    /// 200 is data.
    #[tracing::instrument(skip_all, fields(disconnect_id = %disconnect_id))]
    pub async fn get_disconnect(&self, disconnect_id: &str) -> Result<DisconnectResponse, Error> {
        let url = self.dashboard_url(&["disconnects", disconnect_id]);
        let answer = self.dashboard(Method::GET, url, None, true).await?;
        answer.xml()
    }
}
