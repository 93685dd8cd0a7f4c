//! GraphQL of registration (issue #16): `Organization.tenDlcCampaigns` /
//! `registrationSettings`, the registration fields of `PhoneNumber`, and [`RegistrationMutation`].

use async_graphql::{Context, Enum, ID, InputObject, Object, Result, SimpleObject};

use super::settings::member_of;
use super::types::{JobRequest, PhoneNumber};
use super::{IntoGql, state};
use crate::bandwidth;
use crate::services::access::Role;
use crate::services::registration::{self, assign, campaigns, tollfree};
use crate::state::AppState;
use crate::store::entities::tendlc_campaign as campaign;

/// A 10DLC campaign Bandwidth lists for the organization's account.
#[derive(Debug, Clone, SimpleObject)]
pub struct TenDlcCampaign {
    /// TCR campaign id, e.g. `CA114BN`.
    pub campaign_id: String,
    /// TCR status: `ACTIVE` (takes numbers and traffic) or `EXPIRED`.
    pub status: String,
    pub description: Option<String>,
    /// Each carrier's review: `REVIEW`, `APPROVED`, `REJECTED` or `SUSPENDED`.
    pub carriers: Vec<CarrierStatus>,
    /// Imported from another registrar (rather than registered through Bandwidth).
    pub imported: bool,
    /// The organization marked it as a T-Mobile number pool Bandwidth granted: no 49-number cap.
    pub number_pool: bool,
    /// Whether the last refresh still listed it.
    pub listed: bool,
    /// The organization's numbers on it (or being put on it).
    pub number_count: i32,
    /// Whether it is the organization's default campaign for bought numbers.
    pub is_default: bool,
}

/// One carrier's view of a campaign.
#[derive(Debug, Clone, SimpleObject, serde::Deserialize)]
pub struct CarrierStatus {
    pub mno: String,
    #[serde(rename = "mnoId")]
    pub mno_id: Option<String>,
    pub status: String,
}

/// How the organization's registration works.
#[derive(Debug, Clone, SimpleObject)]
pub struct RegistrationSettings {
    /// Sends only go out from deliverable numbers (on by default for new organizations).
    pub enforced: bool,
    /// The campaign numbers bought are put on, if any.
    pub default_campaign_id: Option<String>,
}

impl From<campaigns::RegistrationSettings> for RegistrationSettings {
    fn from(s: campaigns::RegistrationSettings) -> Self {
        Self {
            enforced: s.enforced,
            default_campaign_id: s.default_campaign_id,
        }
    }
}

async fn campaign_out(
    state: &AppState,
    org: i32,
    c: campaign::Model,
) -> crate::error::Result<TenDlcCampaign> {
    let count = campaigns::number_count(state, org, &c.campaign_id).await?;
    let default = campaigns::settings(state, org).await?.default_campaign_id;
    Ok(TenDlcCampaign {
        carriers: serde_json::from_str(&c.mno_statuses).unwrap_or_default(),
        is_default: default.as_deref() == Some(c.campaign_id.as_str()),
        number_count: count.min(i32::MAX as u64) as i32,
        campaign_id: c.campaign_id,
        status: c.status,
        description: c.description,
        imported: c.imported,
        number_pool: c.number_pool,
        listed: c.listed,
    })
}

/// `Organization.tenDlcCampaigns`.
pub async fn ten_dlc_campaigns(ctx: &Context<'_>, org: i32) -> Result<Vec<TenDlcCampaign>> {
    let state = state(ctx);
    let mut out = Vec::new();
    for c in campaigns::list(state, org).await.gql()? {
        out.push(campaign_out(state, org, c).await.gql()?);
    }
    Ok(out)
}

/// `Organization.registrationSettings`.
pub async fn registration_settings(ctx: &Context<'_>, org: i32) -> Result<RegistrationSettings> {
    Ok(campaigns::settings(state(ctx), org).await.gql()?.into())
}

/// A number's registration state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
pub enum RegistrationStatus {
    /// Local: on no campaign.
    Unregistered,
    /// A TN option order or a verification review is under way.
    Pending,
    /// Local: on a campaign.
    Registered,
    /// Local: Bandwidth failed the assignment (see `registrationErrorCode` / `registrationDetail`).
    Failed,
    /// A send failed with 4476/4773/4774/4795: not picked until a refresh says otherwise.
    Broken,
    /// Toll-free: verified.
    Verified,
    /// Toll-free: not verified (never submitted, or denied: see `registrationDetail`).
    Unverified,
}

fn status_of(word: &str) -> RegistrationStatus {
    match word {
        "PENDING" => RegistrationStatus::Pending,
        "REGISTERED" => RegistrationStatus::Registered,
        "FAILED" => RegistrationStatus::Failed,
        "BROKEN" => RegistrationStatus::Broken,
        "VERIFIED" => RegistrationStatus::Verified,
        "UNVERIFIED" => RegistrationStatus::Unverified,
        _ => RegistrationStatus::Unregistered,
    }
}

// `PhoneNumber`'s registration fields. async-graphql takes one `#[ComplexObject]` impl per type
// (graphql/health.rs holds it); its resolvers call these.

/// The 10DLC campaign the number is on (local numbers).
pub async fn campaign_id_of(n: &PhoneNumber, ctx: &Context<'_>) -> Result<Option<String>> {
    Ok(registration_of(n, ctx).await?.and_then(|r| r.campaign_id))
}

/// The number's registration state.
pub async fn registration_status_of(
    n: &PhoneNumber,
    ctx: &Context<'_>,
) -> Result<RegistrationStatus> {
    Ok(match registration_of(n, ctx).await? {
        Some(r) => status_of(&r.status),
        None if registration::kind_of(&n.phone_number) == registration::TOLL_FREE => {
            RegistrationStatus::Unverified
        }
        None => RegistrationStatus::Unregistered,
    })
}

/// Bandwidth's code of the last assignment failure, denial or send failure.
pub async fn registration_error_code_of(
    n: &PhoneNumber,
    ctx: &Context<'_>,
) -> Result<Option<String>> {
    Ok(registration_of(n, ctx).await?.and_then(|r| r.error_code))
}

/// Bandwidth's text of the last assignment failure, the denial reason, or the send failure.
pub async fn registration_detail_of(n: &PhoneNumber, ctx: &Context<'_>) -> Result<Option<String>> {
    Ok(registration_of(n, ctx).await?.and_then(|r| r.error_text))
}

/// Toll-free: whether Bandwidth allows resubmitting a denied verification.
pub async fn resubmit_allowed_of(n: &PhoneNumber, ctx: &Context<'_>) -> Result<Option<bool>> {
    Ok(registration_of(n, ctx)
        .await?
        .and_then(|r| r.resubmit_allowed))
}

/// Whether the number can deliver (what the picker needs when registration is enforced).
pub async fn deliverable_of(n: &PhoneNumber, ctx: &Context<'_>) -> Result<bool> {
    Ok(registration_of(n, ctx)
        .await?
        .is_some_and(|r| r.deliverable))
}

async fn registration_of(
    n: &PhoneNumber,
    ctx: &Context<'_>,
) -> Result<Option<crate::store::entities::number_registration::Model>> {
    registration::number_registration(state(ctx), n.model.organization_id, &n.phone_number)
        .await
        .gql()
}

/// `businessAddress` of a toll-free verification.
#[derive(Debug, Clone, InputObject)]
pub struct TfvBusinessAddressInput {
    pub name: String,
    pub addr1: String,
    pub addr2: Option<String>,
    pub city: String,
    pub state: String,
    pub zip: String,
    pub url: String,
}

/// `businessContact` of a toll-free verification.
#[derive(Debug, Clone, InputObject)]
pub struct TfvBusinessContactInput {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub phone_number: String,
}

/// `optInWorkflow` of a toll-free verification.
#[derive(Debug, Clone, InputObject)]
pub struct TfvOptInWorkflowInput {
    pub description: String,
    pub image_urls: Vec<String>,
    pub confirmation_response: Option<String>,
}

/// A toll-free verification request (Bandwidth's fields, contract-2 §5.1).
#[derive(Debug, Clone, InputObject)]
pub struct TollFreeVerificationInput {
    /// 1 to 10 of the organization's toll-free numbers (E.164).
    pub phone_numbers: Vec<String>,
    pub business_address: TfvBusinessAddressInput,
    pub business_contact: TfvBusinessContactInput,
    /// Messages a month, 10 to 10,000,000.
    pub message_volume: i32,
    pub use_case: String,
    pub use_case_summary: String,
    pub production_message_content: String,
    pub opt_in_workflow: TfvOptInWorkflowInput,
    /// SOLE_PROPRIETOR, PRIVATE_PROFIT, PUBLIC_PROFIT, NON_PROFIT or GOVERNMENT.
    pub business_entity_type: String,
    pub additional_information: Option<String>,
    pub privacy_policy_url: Option<String>,
    pub terms_and_conditions_url: Option<String>,
    pub business_dba: Option<String>,
    pub business_registration_number: Option<String>,
    pub business_registration_type: Option<String>,
    pub business_registration_issuing_country: Option<String>,
    pub help_message_response: Option<String>,
    pub age_gated_content: Option<bool>,
}

impl From<TollFreeVerificationInput> for bandwidth::TollFreeVerificationRequest {
    fn from(i: TollFreeVerificationInput) -> Self {
        Self {
            business_address: bandwidth::TfvBusinessAddress {
                name: i.business_address.name,
                addr1: i.business_address.addr1,
                addr2: i.business_address.addr2,
                city: i.business_address.city,
                state: i.business_address.state,
                zip: i.business_address.zip,
                url: i.business_address.url,
            },
            business_contact: bandwidth::TfvBusinessContact {
                first_name: i.business_contact.first_name,
                last_name: i.business_contact.last_name,
                email: i.business_contact.email,
                phone_number: i.business_contact.phone_number,
            },
            message_volume: i.message_volume.max(0) as u32,
            phone_numbers: i.phone_numbers,
            use_case: i.use_case,
            use_case_summary: i.use_case_summary,
            production_message_content: i.production_message_content,
            opt_in_workflow: bandwidth::TfvOptInWorkflow {
                description: i.opt_in_workflow.description,
                image_urls: i.opt_in_workflow.image_urls,
                confirmation_response: i.opt_in_workflow.confirmation_response,
            },
            business_entity_type: i.business_entity_type,
            additional_information: i.additional_information,
            privacy_policy_url: i.privacy_policy_url,
            terms_and_conditions_url: i.terms_and_conditions_url,
            business_dba: i.business_dba,
            business_registration_number: i.business_registration_number,
            business_registration_type: i.business_registration_type,
            business_registration_issuing_country: i.business_registration_issuing_country,
            help_message_response: i.help_message_response,
            age_gated_content: i.age_gated_content,
        }
    }
}

/// Registration mutations: campaigns, assignments, settings, toll-free verification.
#[derive(Default)]
pub struct RegistrationMutation;

#[Object]
impl RegistrationMutation {
    /// Queues a refresh of the account's 10DLC campaigns, each local number's campaign and each
    /// toll-free number's verification from Bandwidth (admins and owners). A refresh that finds a
    /// broken number registered or verified again makes it deliverable again.
    async fn refresh_registrations(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
    ) -> Result<Option<JobRequest>> {
        let org = member_of(ctx, &organization_id, Role::Admin)?;
        Ok(Some(
            registration::request_refresh(state(ctx), org)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Imports a campaign registered with another registrar into the Bandwidth account (owners;
    /// accounts with Bandwidth's 10DLCImportCampaign feature).
    async fn import_ten_dlc_campaign(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        campaign_id: String,
    ) -> Result<Option<TenDlcCampaign>> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        let state = state(ctx);
        let stored = campaigns::import(state, org, &campaign_id).await.gql()?;
        Ok(Some(campaign_out(state, org, stored).await.gql()?))
    }

    /// Marks a campaign as a T-Mobile number pool Bandwidth granted (or not), which lifts the
    /// 49-numbers-per-campaign cap (owners).
    async fn update_ten_dlc_campaign(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        campaign_id: String,
        number_pool: bool,
    ) -> Result<Option<TenDlcCampaign>> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        let state = state(ctx);
        let stored = campaigns::set_number_pool(state, org, &campaign_id, number_pool)
            .await
            .gql()?;
        Ok(Some(campaign_out(state, org, stored).await.gql()?))
    }

    /// Queues a TN option order putting numbers (a list, or an area code's) on a 10DLC campaign,
    /// polled to its end (admins and owners). Refused when the campaign is unknown or not active,
    /// or when it would pass T-Mobile's 49 numbers without a number pool.
    async fn assign_phone_numbers_to_campaign(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        campaign_id: String,
        phone_numbers: Option<Vec<String>>,
        area_code: Option<String>,
    ) -> Result<Option<JobRequest>> {
        let org = member_of(ctx, &organization_id, Role::Admin)?;
        let selection = assign::Selection::from_input(phone_numbers, area_code).gql()?;
        Ok(Some(
            assign::request_assignment(state(ctx), org, &campaign_id, selection)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Queues a TN option order taking numbers off their campaign (admins and owners).
    async fn remove_phone_numbers_from_campaign(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        phone_numbers: Option<Vec<String>>,
        area_code: Option<String>,
    ) -> Result<Option<JobRequest>> {
        let org = member_of(ctx, &organization_id, Role::Admin)?;
        let selection = assign::Selection::from_input(phone_numbers, area_code).gql()?;
        Ok(Some(
            assign::request_removal(state(ctx), org, selection)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Turns registration enforcement on or off and names (or clears, with `""`) the default
    /// campaign bought numbers are put on (owners).
    async fn update_registration_settings(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        enforced: Option<bool>,
        default_campaign_id: Option<String>,
    ) -> Result<Option<RegistrationSettings>> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        Ok(Some(
            campaigns::update_settings(state(ctx), org, enforced, default_campaign_id)
                .await
                .gql()?
                .into(),
        ))
    }

    /// Submits a toll-free verification for some of the organization's toll-free numbers
    /// (owners); every field is checked before Bandwidth is called. Returns the numbers, now
    /// PENDING; Bandwidth's decision arrives by webhook (or `refreshRegistrations`).
    async fn submit_toll_free_verification(
        &self,
        ctx: &Context<'_>,
        organization_id: ID,
        input: TollFreeVerificationInput,
    ) -> Result<Vec<String>> {
        let org = member_of(ctx, &organization_id, Role::Owner)?;
        tollfree::submit(state(ctx), org, input.into()).await.gql()
    }
}
