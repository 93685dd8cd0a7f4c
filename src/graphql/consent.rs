//! Consent (issue #15): the organization's opt-out list and consent settings, and the owners'
//! mutations that change them. `Organization.optOuts` is Spoke's field name.

use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::settings::member_of;
use super::{IntoGql, caller, state};
use crate::services::access::Role;
use crate::services::consent::{self, ConsentSettings as Settings, ConsentUpdate};
use crate::store::entities::opt_out;

/// A contact opted out of the organization's texts: no number or campaign of it texts them.
#[derive(Debug, Clone, SimpleObject)]
pub struct OptOut {
    /// Also the paging cursor (`optOuts(after:)`).
    pub id: ID,
    /// The contact's number (Spoke's field name).
    pub cell: String,
    pub created_at: DateTime<Utc>,
    /// `KEYWORD`, `EXPRESSION`, `CARRIER` or `MANUAL`.
    pub source: String,
    /// The keyword texted, the matching expression's reason, the carrier's code, or the note
    /// given when it was added by hand.
    pub reason: String,
    /// The contact's message that opted out, or the message the carrier refused.
    pub message_id: Option<ID>,
    /// The member who added it by hand.
    pub created_by: Option<ID>,
}

impl From<opt_out::Model> for OptOut {
    fn from(m: opt_out::Model) -> Self {
        Self {
            id: ID(m.id.to_string()),
            cell: m.contact_number,
            created_at: m.created_at,
            source: m.source.to_uppercase(),
            reason: m.reason,
            message_id: m.message_id.map(|id| ID(id.to_string())),
            created_by: m.created_by.map(|id| ID(id.to_string())),
        }
    }
}

/// An opt-out expression: a regular expression (matched case-insensitively against each reply)
/// and the reason recorded when it matches.
#[derive(Debug, Clone, SimpleObject, InputObject)]
#[graphql(input_name = "OptOutExpressionInput")]
pub struct OptOutExpression {
    pub regex: String,
    pub reason: String,
}

/// The organization's consent settings, defaults applied.
#[derive(Debug, Clone, SimpleObject)]
pub struct ConsentSettings {
    /// Whether a new opt-out is confirmed with `optOutMessage` (on by default).
    pub opt_out_confirmation: bool,
    pub opt_out_message: String,
    /// The reply to HELP and INFO.
    pub help_message: String,
    /// Whether `helpMessage` is the default one.
    pub help_message_is_default: bool,
    /// The zone of contacts whose number has none (IANA name).
    pub default_time_zone: Option<String>,
    /// The opt-out expressions, in order (Spoke's default unless set).
    pub opt_out_expressions: Vec<OptOutExpression>,
    /// Whether the expressions are the organization's own.
    pub custom_opt_out_expressions: bool,
}

impl ConsentSettings {
    fn new(settings: Settings, organization_name: &str) -> Self {
        Self {
            opt_out_confirmation: settings.opt_out_confirmation,
            help_message: settings.help_text(organization_name),
            help_message_is_default: settings.help_message.is_none(),
            opt_out_message: settings.opt_out_message,
            default_time_zone: settings.default_time_zone.map(|z| z.name().to_owned()),
            opt_out_expressions: settings
                .expressions
                .into_iter()
                .map(|e| OptOutExpression {
                    regex: e.regex,
                    reason: e.reason,
                })
                .collect(),
            custom_opt_out_expressions: settings.custom_expressions,
        }
    }

    /// The settings of an organization, as read by the `Organization` type.
    pub async fn load(ctx: &Context<'_>, organization_id: i32, name: &str) -> Result<Self> {
        let settings = consent::settings(state(ctx), organization_id).await.gql()?;
        Ok(Self::new(settings, name))
    }
}

/// A change of the consent settings; a field left out stays as it is.
#[derive(Debug, Clone, InputObject)]
pub struct ConsentSettingsInput {
    pub opt_out_confirmation: Option<bool>,
    /// 1 to 2048 characters; an empty text goes back to the default help text.
    pub help_message: Option<String>,
    /// An IANA zone such as `America/Chicago`; an empty name removes it.
    pub default_time_zone: Option<String>,
    /// At most 20 expressions; an empty list goes back to Spoke's default expression.
    pub opt_out_expressions: Option<Vec<OptOutExpression>>,
}

/// The consent mutations.
#[derive(Default)]
pub struct ConsentMutation;

#[Object]
impl ConsentMutation {
    /// Opts a contact out of the organization's texts by hand (owners), recorded as `MANUAL`
    /// with the note given; a contact already opted out keeps its opt-out as it was.
    async fn add_opt_out(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        cell: String,
        reason: Option<String>,
    ) -> Result<OptOut> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        let user_id = caller(ctx).gql()?.user_id;
        let added = consent::add_opt_out(state(ctx), org_id, user_id, &cell, reason.as_deref())
            .await
            .gql()?;
        Ok(added.into())
    }

    /// Removes a contact's opt-out by hand (owners); false when the contact was not opted out.
    async fn remove_opt_out(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        cell: String,
    ) -> Result<bool> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        consent::remove_opt_out(state(ctx), org_id, &cell)
            .await
            .gql()
    }

    /// Changes the consent settings (owners): opt-out confirmation, help text, default zone and
    /// opt-out expressions.
    async fn update_consent_settings(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        input: ConsentSettingsInput,
    ) -> Result<ConsentSettings> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        let state = state(ctx);
        let update = ConsentUpdate {
            opt_out_confirmation: input.opt_out_confirmation,
            help_message: input.help_message,
            default_time_zone: input.default_time_zone,
            opt_out_expressions: input.opt_out_expressions.map(|list| {
                list.into_iter()
                    .map(|e| consent::settings::ExpressionEntry {
                        regex: e.regex,
                        reason: e.reason,
                    })
                    .collect()
            }),
        };
        let settings = consent::update_settings(state, org_id, update)
            .await
            .gql()?;
        let name = crate::services::organizations::find(state, org_id)
            .await
            .gql()?
            .name;
        Ok(ConsentSettings::new(settings, &name))
    }
}
