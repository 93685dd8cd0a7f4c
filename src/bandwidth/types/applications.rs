//! Dashboard DTOs for messaging applications and the application assigned to a sip peer
//! (contract §2.7–§2.9). `ApplicationsSettings` is plural, as Bandwidth spells it; the
//! singular form node-numbers' fixtures use is accepted when reading.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Basic-auth credentials Bandwidth uses when calling an application's callback URL
/// (`CallbackCreds`, `InboundCallbackCreds`, `OutboundCallbackCreds`). Bandwidth never echoes
/// the password. `Debug` hides the password.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackCredentials {
    /// `UserId`.
    #[serde(rename = "UserId", default)]
    pub user_id: String,
    /// `Password` (only in requests).
    #[serde(rename = "Password", default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl fmt::Debug for CallbackCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackCredentials")
            .field("user_id", &self.user_id)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// `<RequestedCallbackTypes>`: which status events go to `OutboundCallbackUrl`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallbackTypes {
    /// `CallbackType` entries: `message-delivered`, `message-failed`, `message-sending`.
    #[serde(rename = "CallbackType", default)]
    pub callback_types: Vec<String>,
}

/// A messaging application (`<Application>`), request and response body. See
/// <https://dev.bandwidth.com/docs/account/applications>.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "Application")]
pub struct Application {
    /// `ApplicationId` (a UUID), set by Bandwidth.
    #[serde(
        rename = "ApplicationId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub application_id: Option<String>,
    /// `ServiceType`: `Messaging-V2` (cannot be changed later).
    #[serde(
        rename = "ServiceType",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub service_type: Option<String>,
    /// `AppName`.
    #[serde(rename = "AppName", default, skip_serializing_if = "Option::is_none")]
    pub app_name: Option<String>,
    /// `CallbackUrl` (deprecated alias).
    #[serde(
        rename = "CallbackUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub callback_url: Option<String>,
    /// `MsgCallbackUrl` (deprecated; Bandwidth fans it out to inbound and outbound).
    #[serde(
        rename = "MsgCallbackUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub msg_callback_url: Option<String>,
    /// `InboundCallbackUrl`: receives `message-received`.
    #[serde(
        rename = "InboundCallbackUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inbound_callback_url: Option<String>,
    /// `OutboundCallbackUrl`: receives status events.
    #[serde(
        rename = "OutboundCallbackUrl",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub outbound_callback_url: Option<String>,
    /// `CallbackCreds` (legacy; Bandwidth copies them to both directions).
    #[serde(
        rename = "CallbackCreds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub callback_creds: Option<CallbackCredentials>,
    /// `InboundCallbackCreds`.
    #[serde(
        rename = "InboundCallbackCreds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub inbound_callback_creds: Option<CallbackCredentials>,
    /// `OutboundCallbackCreds`.
    #[serde(
        rename = "OutboundCallbackCreds",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub outbound_callback_creds: Option<CallbackCredentials>,
    /// `RequestedCallbackTypes`.
    #[serde(
        rename = "RequestedCallbackTypes",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub requested_callback_types: Option<CallbackTypes>,
}

/// `<ApplicationProvisioningResponse>`: one `Application`, or (as one documented GET example
/// shows) an `ApplicationList`.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ApplicationProvisioningResponse {
    #[serde(rename = "Application", default)]
    pub application: Option<Application>,
    #[serde(rename = "ApplicationList", default)]
    pub application_list: Option<ApplicationList>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ApplicationList {
    #[serde(rename = "Application", default)]
    pub items: Vec<Application>,
}

/// `<ApplicationsSettings>` (plural, as Bandwidth spells it): which Messaging v2 application
/// a sip peer uses.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "ApplicationsSettings")]
pub struct ApplicationsSettings {
    /// `HttpMessagingV2AppId`.
    #[serde(
        rename = "HttpMessagingV2AppId",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub http_messaging_v2_app_id: Option<String>,
}

/// `<ApplicationsSettingsResponse>` (node-numbers' fixtures spell it singular; accepted too).
/// The inner element may hold the text `REMOVE` instead of children.
#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ApplicationsSettingsResponse {
    #[serde(
        rename = "ApplicationsSettings",
        alias = "ApplicationSettings",
        default
    )]
    pub settings: Option<ApplicationsSettingsAnswer>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(crate) struct ApplicationsSettingsAnswer {
    #[serde(rename = "HttpMessagingV2AppId", default)]
    pub http_messaging_v2_app_id: Option<String>,
    #[serde(rename = "$text", default)]
    pub _text: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callback_credentials_debug_hides_the_password() {
        let creds = CallbackCredentials {
            user_id: "bandwidth.com".into(),
            password: Some("hmac-secret".into()),
        };
        let text = format!("{creds:?}");
        assert!(!text.contains("hmac-secret"));
        assert!(text.contains("bandwidth.com"));
    }

    #[test]
    fn reads_the_singular_settings_spelling_of_node_numbers() {
        let response: ApplicationsSettingsResponse = quick_xml::de::from_str(
            "<ApplicationSettingsResponse><ApplicationSettings><HttpMessagingV2AppId>a</HttpMessagingV2AppId></ApplicationSettings></ApplicationSettingsResponse>",
        )
        .expect("parses");
        assert_eq!(
            response
                .settings
                .and_then(|s| s.http_messaging_v2_app_id)
                .as_deref(),
            Some("a")
        );
    }
}
