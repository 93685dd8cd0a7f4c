//! Serde DTOs that mirror Bandwidth's wire formats: Dashboard XML (`account`,
//! `applications`, `numbers`, `orders`, `disconnects`) and Messaging JSON (`messaging`).
//! Conversion into the server's own types happens in services, not here.

pub(crate) mod account;
pub(crate) mod applications;
pub(crate) mod disconnects;
pub(crate) mod messaging;
pub(crate) mod numbers;
pub(crate) mod orders;
pub(crate) mod registration;

pub use account::{
    Address, HttpSettings, MmsFeature, MmsHttpProtocol, MmsProtocols, MmsSettings, SipPeer, Site,
    SmsFeature, SmsFeatureSettings,
};
pub use applications::{Application, ApplicationsSettings, CallbackCredentials, CallbackTypes};
pub use disconnects::{
    DisconnectOrderRequest, DisconnectOrderType, DisconnectResponse, NewDisconnect,
};
pub use messaging::{
    Message, MessageRecord, MessageRequest, MessagesPage, MessagesQuery, PageInfo, Priority,
};
pub use numbers::{
    AvailableNumbersQuery, MessagingSettings, SearchResult, SipPeerTelephoneNumber,
    TelephoneNumberDetail, TelephoneNumberDetailList, TelephoneNumberList, TnAttributes,
};
pub use orders::{
    AreaCodeSearchAndOrder, CompletedNumber, CompletedNumbers, ErrorList, ExistingNumberOrder,
    FailedNumbers, NewOrder, Order, OrderError, OrderResponse, OrderStatus, OrderSummary,
    OrderType, ReservationIdList, TollFreeWildCardSearchAndOrder,
};
pub use registration::{
    A2pAction, Campaign, MnoStatus, NewTnOptionOrder, TfvBusinessAddress, TfvBusinessContact,
    TfvOptInWorkflow, TfvSubscription, TnMessagingSettings, TnOptionOrder, TnOptionStatus,
    TollFreeVerificationRequest, TollFreeVerificationStatus, TollFreeVerificationWebhook,
};
