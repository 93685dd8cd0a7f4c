//! Every query field and mutation against every role of Spoke's ladder and a token of another
//! organization. The table must name every field the schema has (read by introspection), so a
//! new field cannot ship without its access rule.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use spoke_bandwidth::services::access::Role;

use crate::helpers::{TestApp, spawn_app};

/// `(Type.field, the lowest role that may use it, operation)`; operations take `$org`.
fn access_rules() -> Vec<(&'static str, Role, &'static str)> {
    vec![
        (
            "QueryRoot.organization",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { id } }",
        ),
        (
            "QueryRoot.currentUser",
            Role::Suspended,
            "query($org: String!) { currentUser { id roles(organizationId: $org) } }",
        ),
        (
            "Organization.id",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { id } }",
        ),
        (
            "Organization.name",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { name } }",
        ),
        (
            "Organization.bandwidth",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { bandwidth { accountId } } }",
        ),
        (
            "Organization.serviceVendor",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { serviceVendor { id config } } }",
        ),
        (
            "Organization.fullyConfigured",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { fullyConfigured } }",
        ),
        (
            "Organization.callbackCredentials",
            Role::Owner,
            "query($org: String!) { organization(id: $org) { callbackCredentials { password } } }",
        ),
        (
            "Organization.orphanReports",
            Role::Owner,
            "query($org: String!) { organization(id: $org) { orphanReports { serviceId } } }",
        ),
        (
            "Organization.phoneNumberCounts",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { phoneNumberCounts { areaCode } } }",
        ),
        (
            "Organization.phoneNumbers",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { phoneNumbers { id } } }",
        ),
        (
            "Organization.flaggedTexts",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { flaggedTexts { id } } }",
        ),
        (
            "Organization.numberHealthSettings",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { numberHealthSettings { cooldownMinutes } } }",
        ),
        (
            "Organization.senderHistory",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { senderHistory(contactNumber: \"+19195550100\") { reason } } }",
        ),
        (
            "Organization.pendingPhoneNumberJobs",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { pendingPhoneNumberJobs { id } } }",
        ),
        (
            "Organization.jobs",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { jobs { id } } }",
        ),
        (
            "Organization.job",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { job(id: \"1\") { id } } }",
        ),
        (
            "Organization.phoneInventoryEnabled",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { phoneInventoryEnabled } }",
        ),
        (
            "Organization.serviceManagers",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { serviceManagers { id } } }",
        ),
        (
            "Organization.sendingServiceManagers",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { sendingServiceManagers { id } } }",
        ),
        (
            "Organization.textingHoursEnforced",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { textingHoursEnforced } }",
        ),
        (
            "Organization.textingHoursStart",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { textingHoursStart } }",
        ),
        (
            "Organization.textingHoursEnd",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { textingHoursEnd } }",
        ),
        (
            "Organization.optOutMessage",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { optOutMessage } }",
        ),
        (
            "Organization.theme",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { theme } }",
        ),
        (
            "Organization.settings",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { settings { featuresJSON } } }",
        ),
        (
            "Organization.texterUIConfig",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { texterUIConfig { options } } }",
        ),
        (
            "Organization.campaignPhoneNumbersEnabled",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { campaignPhoneNumbersEnabled } }",
        ),
        (
            "Organization.twilioMessageServiceSid",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { twilioMessageServiceSid } }",
        ),
        (
            "Organization.conversation",
            Role::Texter,
            "query($org: String!) { organization(id: $org) { conversation(contactNumber: \"+19195550100\") { id } } }",
        ),
        (
            "Organization.optOuts",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { optOuts { cell } } }",
        ),
        (
            "Organization.consentSettings",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { consentSettings { optOutConfirmation } } }",
        ),
        (
            "MutationRoot.addOptOut",
            Role::Owner,
            "mutation($org: String!) { addOptOut(organizationId: $org, cell: \"+19195550177\") { id } }",
        ),
        (
            "MutationRoot.removeOptOut",
            Role::Owner,
            "mutation($org: String!) { removeOptOut(organizationId: $org, cell: \"+19195550177\") }",
        ),
        (
            "MutationRoot.updateConsentSettings",
            Role::Owner,
            "mutation($org: String!) { updateConsentSettings(organizationId: $org, input: {optOutConfirmation: true}) { optOutConfirmation } }",
        ),
        (
            "MutationRoot.updateBandwidthCredentials",
            Role::Owner,
            "mutation($org: String!) { updateBandwidthCredentials(organizationId: $org, input: {accountId: \"9900000\", userName: \"u\", password: \"pw-matrix\", skipVerification: true}) { accountId } }",
        ),
        (
            "MutationRoot.provisionBandwidth",
            Role::Owner,
            "mutation($org: String!) { provisionBandwidth(organizationId: $org) { state } }",
        ),
        (
            "MutationRoot.buyPhoneNumbers",
            Role::Admin,
            "mutation($org: ID!) { buyPhoneNumbers(organizationId: $org, areaCode: \"919\", limit: 1) { id } }",
        ),
        (
            "MutationRoot.deletePhoneNumbers",
            Role::Admin,
            "mutation($org: ID!) { deletePhoneNumbers(organizationId: $org, areaCode: \"919\") { id } }",
        ),
        (
            "MutationRoot.syncPhoneNumbers",
            Role::Owner,
            "mutation($org: String!) { syncPhoneNumbers(organizationId: $org) { id } }",
        ),
        (
            "MutationRoot.sendMessage",
            Role::Texter,
            "mutation($org: String!) { sendMessage(organizationId: $org, input: {contactNumber: \"+19195550100\", text: \"hi\"}) { id } }",
        ),
        (
            "MutationRoot.updateServiceVendorConfig",
            Role::Owner,
            "mutation($org: String!) { updateServiceVendorConfig(organizationId: $org, serviceName: \"bandwidth\", config: \"{}\") { id } }",
        ),
        (
            "MutationRoot.updateServiceManager",
            Role::Owner,
            "mutation($org: String!) { updateServiceManager(organizationId: $org, serviceManagerName: \"sticky-sender\", updateData: {enabled: true}) { id } }",
        ),
        (
            "MutationRoot.updateTextingHours",
            Role::Owner,
            "mutation($org: String!) { updateTextingHours(organizationId: $org, textingHoursStart: 9, textingHoursEnd: 21) { id } }",
        ),
        (
            "MutationRoot.updateTextingHoursEnforcement",
            Role::Supervolunteer,
            "mutation($org: String!) { updateTextingHoursEnforcement(organizationId: $org, textingHoursEnforced: false) { id } }",
        ),
        (
            "MutationRoot.updateOptOutMessage",
            Role::Owner,
            "mutation($org: String!) { updateOptOutMessage(organizationId: $org, optOutMessage: \"Bye\") { id } }",
        ),
        (
            "MutationRoot.updateTheme",
            Role::Owner,
            "mutation($org: String!) { updateTheme(organizationId: $org, primary: \"#209556\") { id } }",
        ),
        (
            "MutationRoot.editOrganization",
            Role::Owner,
            "mutation($org: String!) { editOrganization(id: $org, organization: {settings: {unsetFeatures: []}}) { id } }",
        ),
        (
            "MutationRoot.restorePhoneNumber",
            Role::Owner,
            "mutation($org: String!) { restorePhoneNumber(organizationId: $org, phoneNumber: \"+19195550100\") { id } }",
        ),
        (
            "MutationRoot.clearFlaggedText",
            Role::Owner,
            "mutation($org: String!) { clearFlaggedText(organizationId: $org, id: \"1\") }",
        ),
        (
            "MutationRoot.updateNumberHealthSettings",
            Role::Owner,
            "mutation($org: String!) { updateNumberHealthSettings(organizationId: $org, input: {cooldownMinutes: 60}) { cooldownMinutes } }",
        ),
        (
            "MutationRoot.clearCachedOrgAndExtensionCaches",
            Role::Owner,
            "mutation($org: String!) { clearCachedOrgAndExtensionCaches(organizationId: $org) }",
        ),
        (
            "Organization.tenDlcCampaigns",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { tenDlcCampaigns { campaignId } } }",
        ),
        (
            "Organization.registrationSettings",
            Role::Admin,
            "query($org: String!) { organization(id: $org) { registrationSettings { enforced } } }",
        ),
        (
            "MutationRoot.refreshRegistrations",
            Role::Admin,
            "mutation($org: ID!) { refreshRegistrations(organizationId: $org) { id } }",
        ),
        (
            "MutationRoot.importTenDlcCampaign",
            Role::Owner,
            "mutation($org: ID!) { importTenDlcCampaign(organizationId: $org, campaignId: \"CA1\") { campaignId } }",
        ),
        (
            "MutationRoot.updateTenDlcCampaign",
            Role::Owner,
            "mutation($org: ID!) { updateTenDlcCampaign(organizationId: $org, campaignId: \"CA1\", numberPool: true) { campaignId } }",
        ),
        (
            "MutationRoot.assignPhoneNumbersToCampaign",
            Role::Admin,
            "mutation($org: ID!) { assignPhoneNumbersToCampaign(organizationId: $org, campaignId: \"CA1\", areaCode: \"919\") { id } }",
        ),
        (
            "MutationRoot.removePhoneNumbersFromCampaign",
            Role::Admin,
            "mutation($org: ID!) { removePhoneNumbersFromCampaign(organizationId: $org, areaCode: \"919\") { id } }",
        ),
        (
            "MutationRoot.updateRegistrationSettings",
            Role::Owner,
            "mutation($org: ID!) { updateRegistrationSettings(organizationId: $org, enforced: true) { enforced } }",
        ),
        (
            "MutationRoot.submitTollFreeVerification",
            Role::Owner,
            "mutation($org: ID!) { submitTollFreeVerification(organizationId: $org, input: {phoneNumbers: [\"+18005552000\"], businessAddress: {name: \"n\", addr1: \"a\", city: \"c\", state: \"NC\", zip: \"27606\", url: \"https://example.org\"}, businessContact: {firstName: \"f\", lastName: \"l\", email: \"e@example.org\", phoneNumber: \"+19195551234\"}, messageVolume: 1000, useCase: \"2FA\", useCaseSummary: \"s\", productionMessageContent: \"p\", optInWorkflow: {description: \"d\", imageUrls: []}, businessEntityType: \"NON_PROFIT\"}) }",
        ),
    ]
}

/// `Type.field` for every field of the root types and of `Organization`, as the server reports.
async fn schema_fields(app: &TestApp, token: &str) -> BTreeSet<String> {
    let answer = app
        .graphql(
            Some(token),
            "{ q: __type(name: \"QueryRoot\") { fields { name } } m: __type(name: \"MutationRoot\") { fields { name } } o: __type(name: \"Organization\") { fields { name } } }",
            json!({}),
        )
        .await;
    let mut fields = BTreeSet::new();
    for (alias, type_name) in [
        ("q", "QueryRoot"),
        ("m", "MutationRoot"),
        ("o", "Organization"),
    ] {
        for field in answer["data"][alias]["fields"]
            .as_array()
            .unwrap_or_else(|| panic!("{answer}"))
        {
            fields.insert(format!("{type_name}.{}", field["name"].as_str().unwrap()));
        }
    }
    fields
}

#[tokio::test]
async fn every_field_and_mutation_has_an_access_rule_and_every_role_gets_exactly_what_it_allows() {
    let app = spawn_app().await;
    let org = app.create_org("Matrix").await;
    let other_org = app.create_org("Elsewhere").await;
    let stranger = app.token(other_org, Role::Owner).await;
    let mut members: Vec<(Role, String)> = Vec::new();
    for role in Role::LADDER {
        members.push((role, app.token(org, role).await));
    }
    let rules = access_rules();

    let named: BTreeSet<String> = rules
        .iter()
        .map(|(field, _, _)| (*field).to_owned())
        .collect();
    let served = schema_fields(&app, &members[5].1).await;
    let missing: Vec<_> = served.difference(&named).collect();
    let stale: Vec<_> = named.difference(&served).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "give every field an access rule here: missing {missing:?}, no longer served {stale:?}"
    );

    let vars = json!({"org": org.to_string()});
    for (field, lowest, operation) in &rules {
        for (role, token) in &members {
            let answer = app.graphql(Some(token), operation, vars.clone()).await;
            let code = code_of(&answer);
            if role >= lowest {
                assert_ne!(code, "FORBIDDEN", "{field} as {role:?}: {answer}");
                assert_ne!(code, "UNAUTHENTICATED", "{field} as {role:?}: {answer}");
            } else {
                assert_eq!(code, "FORBIDDEN", "{field} as {role:?}: {answer}");
            }
        }
        if *field != "QueryRoot.currentUser" {
            let answer = app.graphql(Some(&stranger), operation, vars.clone()).await;
            assert_eq!(
                code_of(&answer),
                "FORBIDDEN",
                "{field} from another organization: {answer}"
            );
        }
        let answer: Value = app.graphql(None, operation, vars.clone()).await;
        assert_eq!(
            code_of(&answer),
            "UNAUTHENTICATED",
            "{field} without a token: {answer}"
        );
    }
}

/// The first error's code, or `""` when the answer has no error.
fn code_of(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
}
