//! Mutations of Spoke's Settings page other than the service vendor and managers: texting hours,
//! opt-out message, theme, texter UI defaults and feature overrides, and the cache clear. Names,
//! arguments and roles are Spoke's (reference/spoke-admin-client.md §2).

use async_graphql::{Context, InputObject, Object, Result};

use super::organization::Organization;
use super::{IntoGql, caller, state};
use crate::services::access::{self, Role};
use crate::services::organizations;
use crate::services::settings_page::{self, OrganizationEdit, Theme};

/// The Settings page's mutations.
#[derive(Default)]
pub struct SettingsMutation;

#[Object]
impl SettingsMutation {
    /// Sets the texting hours (owners): whole hours 0–24 in the contact's local time, start
    /// before end.
    async fn update_texting_hours(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        texting_hours_start: i32,
        texting_hours_end: i32,
    ) -> Result<Option<Organization>> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        settings_page::update_texting_hours(
            state(ctx),
            org_id,
            texting_hours_start,
            texting_hours_end,
        )
        .await
        .gql()?;
        reread(ctx, org_id).await
    }

    /// Turns texting-hours enforcement on or off (supervolunteers and up, as in Spoke).
    async fn update_texting_hours_enforcement(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        texting_hours_enforced: bool,
    ) -> Result<Option<Organization>> {
        let org_id = member_of(ctx, &organization_id, Role::Supervolunteer)?;
        settings_page::update_texting_hours_enforcement(state(ctx), org_id, texting_hours_enforced)
            .await
            .gql()?;
        reread(ctx, org_id).await
    }

    /// Sets the message sent when a contact opts out (owners); not empty, at most 2048 characters.
    async fn update_opt_out_message(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        opt_out_message: String,
    ) -> Result<Option<Organization>> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        settings_page::update_opt_out_message(state(ctx), org_id, &opt_out_message)
            .await
            .gql()?;
        reread(ctx, org_id).await
    }

    /// Sets the organization's theme colours (owners), each a hex colour; none resets the theme.
    #[allow(clippy::too_many_arguments)]
    async fn update_theme(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
        primary: Option<String>,
        secondary: Option<String>,
        info: Option<String>,
        success: Option<String>,
        warning: Option<String>,
        error: Option<String>,
    ) -> Result<Option<Organization>> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        let theme = Theme {
            primary,
            secondary,
            info,
            success,
            warning,
            error,
        };
        settings_page::update_theme(state(ctx), org_id, &theme)
            .await
            .gql()?;
        reread(ctx, org_id).await
    }

    /// Changes the texter UI defaults and feature overrides (owners), as Spoke's
    /// `editOrganization`: `featuresJSON` is merged into the settings, then `unsetFeatures`
    /// removed; the whole change is refused when any part is invalid.
    async fn edit_organization(
        &self,
        ctx: &Context<'_>,
        id: String,
        organization: OrganizationInput,
    ) -> Result<Option<Organization>> {
        let org_id = member_of(ctx, &id, Role::Owner)?;
        settings_page::edit_organization(state(ctx), org_id, &organization.into())
            .await
            .gql()?;
        reread(ctx, org_id).await
    }

    /// Forgets what this server caches of the organization's settings (owners).
    async fn clear_cached_org_and_extension_caches(
        &self,
        ctx: &Context<'_>,
        organization_id: String,
    ) -> Result<Option<String>> {
        let org_id = member_of(ctx, &organization_id, Role::Owner)?;
        Ok(Some(settings_page::clear_caches(state(ctx), org_id)))
    }
}

/// Spoke's `OrganizationInput`.
#[derive(Debug, Clone, InputObject)]
pub struct OrganizationInput {
    #[graphql(name = "texterUIConfig")]
    pub texter_ui_config: Option<TexterUiConfigInput>,
    pub settings: Option<OrgSettingsInput>,
}

/// Spoke's `TexterUIConfigInput`.
#[derive(Debug, Clone, InputObject)]
#[graphql(name = "TexterUIConfigInput")]
pub struct TexterUiConfigInput {
    /// A JSON object as a string; empty clears it.
    pub options: Option<String>,
    pub sidebox_choices: Option<Vec<String>>,
}

/// Spoke's `OrgSettingsInput`.
#[derive(Debug, Clone, InputObject)]
pub struct OrgSettingsInput {
    pub message_handlers: Option<Vec<String>>,
    pub action_handlers: Option<Vec<String>>,
    /// A JSON object whose keys are merged into the settings.
    #[graphql(name = "featuresJSON")]
    pub features_json: Option<String>,
    pub unset_features: Option<Vec<String>>,
}

impl From<OrganizationInput> for OrganizationEdit {
    fn from(input: OrganizationInput) -> Self {
        let texter_ui_given = input.texter_ui_config.is_some();
        let ui = input.texter_ui_config;
        let settings = input.settings;
        Self {
            texter_ui_options: ui.as_ref().and_then(|u| u.options.clone()),
            sidebox_choices: ui.and_then(|u| u.sidebox_choices),
            message_handlers: settings.as_ref().and_then(|s| s.message_handlers.clone()),
            action_handlers: settings.as_ref().and_then(|s| s.action_handlers.clone()),
            features_json: settings.as_ref().and_then(|s| s.features_json.clone()),
            unset_features: settings.and_then(|s| s.unset_features),
            texter_ui_given,
        }
    }
}

/// The organization id, once the caller is known to hold at least `role` there.
pub(super) fn member_of(ctx: &Context<'_>, organization_id: &str, role: Role) -> Result<i32> {
    let org_id = access::parse_organization_id(organization_id).gql()?;
    caller(ctx).gql()?.require(org_id, role).gql()?;
    Ok(org_id)
}

/// The organization as it is now stored.
async fn reread(ctx: &Context<'_>, organization_id: i32) -> Result<Option<Organization>> {
    let model = organizations::find(state(ctx), organization_id)
        .await
        .gql()?;
    Ok(Some(Organization(model)))
}
