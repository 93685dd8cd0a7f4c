//! Serde DTOs that mirror Bandwidth's wire formats: Dashboard XML (`account`, `numbers`)
//! and Messaging JSON (`messaging`). Conversion into the server's own types happens in
//! services, not here.

pub(crate) mod account;
pub(crate) mod messaging;
pub(crate) mod numbers;

pub use account::{
    Address, Application, ApplicationsSettings, CallbackCredentials, CallbackTypes,
    HttpSettings, MmsFeature, MmsHttpProtocol, MmsProtocols, MmsSettings, SipPeer, Site,
    SmsFeature, SmsFeatureSettings,
};
pub use messaging::{
    Message, MessageRecord, MessageRequest, MessagesPage, MessagesQuery, PageInfo, Priority,
};
pub use numbers::{
    AreaCodeSearchAndOrder, AvailableNumbersQuery, CompletedNumber, CompletedNumbers,
    DisconnectOrderRequest, DisconnectOrderType, DisconnectResponse, ErrorList,
    ExistingNumberOrder, FailedNumbers, MessagingSettings, NewDisconnect, NewOrder, Order,
    OrderError, OrderResponse, OrderStatus, OrderType, ReservationIdList, SearchResult,
    SipPeerTelephoneNumber, TelephoneNumberDetail, TelephoneNumberDetailList,
    TelephoneNumberList, TnAttributes, TollFreeWildCardSearchAndOrder,
};
