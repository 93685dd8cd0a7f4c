//! Messaging v2 JSON DTOs: the send-message request, the message Bandwidth answers with, and
//! the message-list query and page (contract §3).
//!
//! Response fields are optional and times stay strings: a message Bandwidth accepted must
//! never turn into a decode error (that would invite a resend).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

/// `priority` of a message (not for MMS).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Priority {
    /// `default`.
    Default,
    /// `high`.
    High,
}

/// The body of `POST /users/{accountId}/messages`. See
/// <https://dev.bandwidth.com/docs/messaging/createMessage>.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRequest {
    /// The messaging application attached to the location that owns `from`.
    pub application_id: String,
    /// Recipients in E.164 (up to 10 for a group message).
    pub to: Vec<String>,
    /// Our Bandwidth number in E.164.
    pub from: String,
    /// Text, up to 2048 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Media URLs (makes the message an MMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<Vec<String>>,
    /// Up to 1024 characters, echoed in every callback for this message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Priority (not for MMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    /// A future time after which Bandwidth should not send (not for MMS).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration: Option<DateTime<Utc>>,
}

/// A message as Bandwidth returns it from send (202 Accepted).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Message {
    /// Message id (29 characters: epoch milliseconds plus 16 lowercase alphanumerics).
    pub id: String,
    /// The Bandwidth number that owns the message (`from` for outbound).
    #[serde(default)]
    pub owner: Option<String>,
    /// The application id.
    #[serde(default)]
    pub application_id: Option<String>,
    /// Creation time, RFC 3339.
    #[serde(default)]
    pub time: Option<String>,
    /// Number of segments (160 GSM-7 / 70 UCS-2 characters each; MMS is 1).
    #[serde(default)]
    pub segment_count: Option<u32>,
    /// `in` or `out`.
    #[serde(default)]
    pub direction: Option<String>,
    /// Recipients.
    #[serde(default, deserialize_with = "one_or_many")]
    pub to: Vec<String>,
    /// Sender.
    #[serde(default)]
    pub from: Option<String>,
    /// Text.
    #[serde(default)]
    pub text: Option<String>,
    /// Media URLs.
    #[serde(default)]
    pub media: Option<Vec<String>>,
    /// Tag.
    #[serde(default)]
    pub tag: Option<String>,
    /// Priority as Bandwidth spelled it.
    #[serde(default)]
    pub priority: Option<String>,
    /// Expiration as Bandwidth spelled it.
    #[serde(default)]
    pub expiration: Option<String>,
}

/// Accepts `"+1…"` as well as `["+1…"]` (Bandwidth accepts a single string for `to`).
fn one_or_many<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match Option::<OneOrMany>::deserialize(deserializer)? {
        None => Vec::new(),
        Some(OneOrMany::One(one)) => vec![one],
        Some(OneOrMany::Many(many)) => many,
    })
}

/// Query of `GET /users/{accountId}/messages`. Bandwidth requires at least one parameter.
/// Numbers are E.164 (the `+` is percent-encoded for us).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesQuery {
    /// `messageId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// `sourceTn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_tn: Option<String>,
    /// `destinationTn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_tn: Option<String>,
    /// `messageStatus`, e.g. `DELIVERED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_status: Option<String>,
    /// `messageDirection`: `INBOUND` or `OUTBOUND`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_direction: Option<String>,
    /// `carrierName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_name: Option<String>,
    /// `messageType`: `sms` or `mms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_type: Option<String>,
    /// `errorCode`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_code: Option<i32>,
    /// `fromDateTime` (ISO 8601; the window is at most 14 days).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_date_time: Option<String>,
    /// `toDateTime`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_date_time: Option<String>,
    /// `campaignId`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign_id: Option<String>,
    /// `sort`, e.g. `receiveTime:desc`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sort: Option<String>,
    /// `pageToken` from a previous page's `pageInfo`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page_token: Option<String>,
    /// `limit` (Bandwidth's default is 100).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// `limitTotalCount`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit_total_count: Option<bool>,
}

/// `pageInfo` of a message list.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageInfo {
    /// `prevPage` URL.
    #[serde(default)]
    pub prev_page: Option<String>,
    /// `nextPage` URL.
    #[serde(default)]
    pub next_page: Option<String>,
    /// `prevPageToken`.
    #[serde(default)]
    pub prev_page_token: Option<String>,
    /// `nextPageToken`.
    #[serde(default)]
    pub next_page_token: Option<String>,
}

/// One entry of a message list (no text: Bandwidth does not store it).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    /// `messageId`.
    #[serde(default)]
    pub message_id: String,
    /// `accountId`.
    #[serde(default)]
    pub account_id: Option<String>,
    /// `sourceTn`.
    #[serde(default)]
    pub source_tn: Option<String>,
    /// `destinationTn`.
    #[serde(default)]
    pub destination_tn: Option<String>,
    /// `messageStatus`.
    #[serde(default)]
    pub message_status: Option<String>,
    /// `messageDirection`.
    #[serde(default)]
    pub message_direction: Option<String>,
    /// `messageType`.
    #[serde(default)]
    pub message_type: Option<String>,
    /// `segmentCount`.
    #[serde(default)]
    pub segment_count: Option<u32>,
    /// `errorCode` (0 when none).
    #[serde(default)]
    pub error_code: Option<i32>,
    /// `receiveTime`.
    #[serde(default)]
    pub receive_time: Option<String>,
    /// `carrierName` (what Spoke reads).
    #[serde(default)]
    pub carrier_name: Option<String>,
    /// `messageSize`.
    #[serde(default)]
    pub message_size: Option<u32>,
    /// `messageLength`.
    #[serde(default)]
    pub message_length: Option<u32>,
    /// `attachmentCount`.
    #[serde(default)]
    pub attachment_count: Option<u32>,
    /// `recipientCount`.
    #[serde(default)]
    pub recipient_count: Option<u32>,
    /// `campaignClass`.
    #[serde(default)]
    pub campaign_class: Option<String>,
    /// `campaignId`.
    #[serde(default)]
    pub campaign_id: Option<String>,
}

/// One page of `GET /users/{accountId}/messages`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessagesPage {
    /// `totalCount`.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// `pageInfo`.
    #[serde(default)]
    pub page_info: PageInfo,
    /// `messages`.
    #[serde(default)]
    pub messages: Vec<MessageRecord>,
}
