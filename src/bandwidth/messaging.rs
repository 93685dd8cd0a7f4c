//! Messaging v2 (JSON) calls of [`BandwidthClient`], under `{messaging}/users/{accountId}`.
//! See <https://dev.bandwidth.com/docs/messaging> and the contract §3.

use reqwest::Method;

use crate::bandwidth::client::BandwidthClient;
use crate::bandwidth::error::{Api, Error};
use crate::bandwidth::types::{Message, MessageRequest, MessagesPage, MessagesQuery};
use crate::bandwidth::wire::{Body, append_query};

impl BandwidthClient {
    /// Queues a message (`POST /users/{a}/messages`). Bandwidth answers 202 with the message;
    /// 202 only means "queued": delivery is reported later by callback.
    #[tracing::instrument(skip_all, fields(recipients = request.to.len()))]
    pub async fn send_message(&self, request: &MessageRequest) -> Result<Message, Error> {
        let body =
            serde_json::to_vec(request).map_err(|e| Error::Encode(format!("message: {e}")))?;
        let url = self.messaging_url(&["messages"]);
        let answer = self
            .send(Api::Messaging, Method::POST, url, Body::Json(body))
            .await?;
        answer.json()
    }

    /// Lists messages (`GET /users/{a}/messages?…`). Bandwidth requires at least one query
    /// parameter; follow `page_info.next_page_token` for more.
    #[tracing::instrument(skip_all)]
    pub async fn list_messages(&self, query: &MessagesQuery) -> Result<MessagesPage, Error> {
        let mut url = self.messaging_url(&["messages"]);
        append_query(&mut url, query)?;
        let answer = self
            .send(Api::Messaging, Method::GET, url, Body::Empty)
            .await?;
        answer.json()
    }
}
