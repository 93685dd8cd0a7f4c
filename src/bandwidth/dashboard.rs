//! Dashboard (XML) account-setup calls of [`BandwidthClient`], all under
//! `{dashboard}/accounts/{accountId}`: the credentials check, sites, sip peers, SMS/MMS
//! features and applications. See <https://dev.bandwidth.com/docs/account> and the contract
//! §2.1–§2.9; number calls live in `numbers.rs`.

use reqwest::Method;

use crate::bandwidth::client::BandwidthClient;
use crate::bandwidth::error::Error;
use crate::bandwidth::types::account::{
    MmsFeatureResponse, SipPeerResponse, SipPeersResponse, SiteResponse, SitesResponse,
    SmsFeatureResponse,
};
use crate::bandwidth::types::applications::{
    ApplicationProvisioningResponse, ApplicationsSettingsResponse,
};
use crate::bandwidth::types::{
    Application, ApplicationsSettings, MmsFeature, SipPeer, Site, SmsFeature,
};
use crate::bandwidth::wire::{Answer, to_xml};

const SMS: [&str; 4] = ["products", "messaging", "features", "sms"];
const MMS: [&str; 4] = ["products", "messaging", "features", "mms"];

impl BandwidthClient {
    /// Checks that the credentials work by listing the account's sites
    /// (`GET /accounts/{a}/sites`): authenticated, read-only, and it touches the same
    /// resources provisioning needs. Wrong credentials give [`Error::Rejected`] with status
    /// 401 (or 403 for a user without the needed role); see [`Error::is_auth_failure`].
    #[tracing::instrument(skip_all)]
    pub async fn verify_credentials(&self) -> Result<(), Error> {
        self.list_sites().await.map(|_| ())
    }

    /// Lists the account's sites (`GET /accounts/{a}/sites`).
    #[tracing::instrument(skip_all)]
    pub async fn list_sites(&self) -> Result<Vec<Site>, Error> {
        let url = self.dashboard_url(&["sites"]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: SitesResponse = answer.xml_or_default()?;
        Ok(response.sites.map(|s| s.items).unwrap_or_default())
    }

    /// Creates a site (`POST /accounts/{a}/sites`, 201). The returned site's `id` comes from
    /// the body, or from the `Location` header when the body lacks it.
    #[tracing::instrument(skip_all)]
    pub async fn create_site(&self, site: &Site) -> Result<Site, Error> {
        let url = self.dashboard_url(&["sites"]);
        let answer = self
            .dashboard(Method::POST, url, Some(to_xml(site)?), false)
            .await?;
        let response: SiteResponse = answer.xml_or_default()?;
        let mut created = response.site.unwrap_or_else(|| site.clone());
        if created.id.is_none() {
            created.id = Some(answer.location_id().ok_or(answer.incomplete("a site id"))?);
        }
        Ok(created)
    }

    /// Reads a site (`GET /accounts/{a}/sites/{siteId}`; 404/12016 when it does not exist).
    #[tracing::instrument(skip_all, fields(site_id = %site_id))]
    pub async fn get_site(&self, site_id: &str) -> Result<Site, Error> {
        let url = self.dashboard_url(&["sites", site_id]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: SiteResponse = answer.xml()?;
        response.site.ok_or(answer.incomplete("a Site element"))
    }

    /// Creates a sip peer (location) and returns its id, which Bandwidth only sends as the
    /// last segment of the `Location` header (the 201 has no body).
    #[tracing::instrument(skip_all, fields(site_id = %site_id))]
    pub async fn create_sip_peer(
        &self,
        site_id: &str,
        sip_peer: &SipPeer,
    ) -> Result<String, Error> {
        let url = self.dashboard_url(&["sites", site_id, "sippeers"]);
        let answer = self
            .dashboard(Method::POST, url, Some(to_xml(sip_peer)?), false)
            .await?;
        answer
            .location_id()
            .ok_or(answer.incomplete("a Location header"))
    }

    /// Reads a sip peer. Bandwidth answers 400/13563 (not 404) when it does not exist.
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn get_sip_peer(&self, site_id: &str, sip_peer_id: &str) -> Result<SipPeer, Error> {
        let url = self.dashboard_url(&["sites", site_id, "sippeers", sip_peer_id]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: SipPeerResponse = answer.xml()?;
        response
            .sip_peer
            .ok_or(answer.incomplete("a SipPeer element"))
    }

    /// Lists a site's sip peers (`GET /accounts/{a}/sites/{s}/sippeers`; no paging is
    /// documented). Used to find a location an interrupted create may have made.
    #[tracing::instrument(skip_all, fields(site_id = %site_id))]
    pub async fn list_sip_peers(&self, site_id: &str) -> Result<Vec<SipPeer>, Error> {
        let url = self.dashboard_url(&["sites", site_id, "sippeers"]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: SipPeersResponse = answer.xml_or_default()?;
        Ok(response.sip_peers.map(|p| p.items).unwrap_or_default())
    }

    /// Lists the account's applications (`GET /accounts/{a}/applications`), voice ones
    /// included: filter on `ServiceType`.
    #[tracing::instrument(skip_all)]
    pub async fn list_applications(&self) -> Result<Vec<Application>, Error> {
        let url = self.dashboard_url(&["applications"]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: ApplicationProvisioningResponse = answer.xml_or_default()?;
        Ok(response
            .application_list
            .map(|l| l.items)
            .or_else(|| response.application.map(|a| vec![a]))
            .unwrap_or_default())
    }

    /// Whether a number is in service anywhere on the account, whatever its site or location
    /// (`GET /accounts/{a}/inserviceNumbers/{tn}`: 200 yes, 404 no; contract-2 §12). The one
    /// check to make before treating a number as gone.
    #[tracing::instrument(skip_all)]
    pub async fn is_in_service(&self, ten_digits: &str) -> Result<bool, Error> {
        let url = self.dashboard_url(&["inserviceNumbers", ten_digits]);
        match self.dashboard(Method::GET, url, None, false).await {
            Ok(_) => Ok(true),
            Err(e) if e.status() == Some(404) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Enables SMS on a sip peer (`POST …/products/messaging/features/sms`, 201).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn create_sms_feature(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        feature: &SmsFeature,
    ) -> Result<SmsFeature, Error> {
        let answer = self
            .feature_call(
                Method::POST,
                site_id,
                sip_peer_id,
                &SMS,
                Some(to_xml(feature)?),
            )
            .await?;
        let response: SmsFeatureResponse = answer.xml_or_default()?;
        Ok(response.feature.unwrap_or_else(|| feature.clone()))
    }

    /// Reads a sip peer's SMS settings.
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn get_sms_feature(
        &self,
        site_id: &str,
        sip_peer_id: &str,
    ) -> Result<SmsFeature, Error> {
        let answer = self
            .feature_call(Method::GET, site_id, sip_peer_id, &SMS, None)
            .await?;
        let response: SmsFeatureResponse = answer.xml()?;
        response
            .feature
            .ok_or(answer.incomplete("a SipPeerSmsFeature element"))
    }

    /// Replaces a sip peer's SMS settings (`PUT`, 200).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn update_sms_feature(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        feature: &SmsFeature,
    ) -> Result<(), Error> {
        self.feature_call(
            Method::PUT,
            site_id,
            sip_peer_id,
            &SMS,
            Some(to_xml(feature)?),
        )
        .await
        .map(|_| ())
    }

    /// Enables MMS on a sip peer (SMS must be enabled first, else 400/13623).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn create_mms_feature(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        feature: &MmsFeature,
    ) -> Result<MmsFeature, Error> {
        let answer = self
            .feature_call(
                Method::POST,
                site_id,
                sip_peer_id,
                &MMS,
                Some(to_xml(feature)?),
            )
            .await?;
        let response: MmsFeatureResponse = answer.xml_or_default()?;
        Ok(response.feature.unwrap_or_else(|| feature.clone()))
    }

    /// Reads a sip peer's MMS settings.
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn get_mms_feature(
        &self,
        site_id: &str,
        sip_peer_id: &str,
    ) -> Result<MmsFeature, Error> {
        let answer = self
            .feature_call(Method::GET, site_id, sip_peer_id, &MMS, None)
            .await?;
        let response: MmsFeatureResponse = answer.xml()?;
        response
            .feature
            .ok_or(answer.incomplete("an MmsFeature element"))
    }

    /// Replaces a sip peer's MMS settings (`PUT`, 200, no documented body).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn update_mms_feature(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        feature: &MmsFeature,
    ) -> Result<(), Error> {
        self.feature_call(
            Method::PUT,
            site_id,
            sip_peer_id,
            &MMS,
            Some(to_xml(feature)?),
        )
        .await
        .map(|_| ())
    }

    /// Creates a messaging application (`POST /accounts/{a}/applications`, 201). The
    /// returned application's id comes from the body, or from `Location`.
    #[tracing::instrument(skip_all)]
    pub async fn create_application(
        &self,
        application: &Application,
    ) -> Result<Application, Error> {
        let url = self.dashboard_url(&["applications"]);
        let answer = self
            .dashboard(Method::POST, url, Some(to_xml(application)?), false)
            .await?;
        let response: ApplicationProvisioningResponse = answer.xml_or_default()?;
        let mut created = response.application.unwrap_or_else(|| Application {
            // Never keep the callback passwords we sent: the caller has them already.
            callback_creds: None,
            inbound_callback_creds: None,
            outbound_callback_creds: None,
            ..application.clone()
        });
        if created.application_id.is_none() {
            created.application_id = Some(
                answer
                    .location_id()
                    .ok_or(answer.incomplete("an application id"))?,
            );
        }
        Ok(created)
    }

    /// Reads an application. Accepts both a single `Application` and an `ApplicationList`
    /// (one documented example answers with a list), picking the entry with this id.
    #[tracing::instrument(skip_all, fields(application_id = %application_id))]
    pub async fn get_application(&self, application_id: &str) -> Result<Application, Error> {
        let url = self.dashboard_url(&["applications", application_id]);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: ApplicationProvisioningResponse = answer.xml()?;
        if let Some(application) = response.application {
            return Ok(application);
        }
        let mut items = response
            .application_list
            .map(|l| l.items)
            .unwrap_or_default();
        if let Some(i) = items
            .iter()
            .position(|a| a.application_id.as_deref() == Some(application_id))
        {
            return Ok(items.swap_remove(i));
        }
        if items.len() == 1 {
            return Ok(items.remove(0));
        }
        Err(answer.incomplete("the requested Application"))
    }

    /// Deletes an application (200, empty body). Bandwidth refuses while a location still
    /// uses it (code 12107).
    #[tracing::instrument(skip_all, fields(application_id = %application_id))]
    pub async fn delete_application(&self, application_id: &str) -> Result<(), Error> {
        let url = self.dashboard_url(&["applications", application_id]);
        self.dashboard(Method::DELETE, url, None, false)
            .await
            .map(|_| ())
    }

    /// Assigns a Messaging v2 application to a sip peer
    /// (`PUT …/products/messaging/applicationSettings`). Bandwidth requires SMS over HTTP on
    /// the location first (13645).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn associate_application(
        &self,
        site_id: &str,
        sip_peer_id: &str,
        application_id: &str,
    ) -> Result<(), Error> {
        let settings = ApplicationsSettings {
            http_messaging_v2_app_id: Some(application_id.to_owned()),
        };
        let url = self.application_settings_url(site_id, sip_peer_id);
        self.dashboard(Method::PUT, url, Some(to_xml(&settings)?), false)
            .await
            .map(|_| ())
    }

    /// The Messaging v2 application assigned to a sip peer, if any.
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn get_application_settings(
        &self,
        site_id: &str,
        sip_peer_id: &str,
    ) -> Result<Option<String>, Error> {
        let url = self.application_settings_url(site_id, sip_peer_id);
        let answer = self.dashboard(Method::GET, url, None, false).await?;
        let response: ApplicationsSettingsResponse = answer.xml_or_default()?;
        Ok(response
            .settings
            .and_then(|s| s.http_messaging_v2_app_id)
            .filter(|id| !id.trim().is_empty()))
    }

    /// Unassigns the application from a sip peer
    /// (`<ApplicationsSettings>REMOVE</ApplicationsSettings>`).
    #[tracing::instrument(skip_all, fields(site_id = %site_id, sip_peer_id = %sip_peer_id))]
    pub async fn remove_application(&self, site_id: &str, sip_peer_id: &str) -> Result<(), Error> {
        let body = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\
                    <ApplicationsSettings>REMOVE</ApplicationsSettings>";
        let url = self.application_settings_url(site_id, sip_peer_id);
        self.dashboard(Method::PUT, url, Some(body.to_owned()), false)
            .await
            .map(|_| ())
    }

    async fn feature_call(
        &self,
        method: Method,
        site_id: &str,
        sip_peer_id: &str,
        feature: &[&str],
        body: Option<String>,
    ) -> Result<Answer, Error> {
        let mut segments = vec!["sites", site_id, "sippeers", sip_peer_id];
        segments.extend_from_slice(feature);
        let url = self.dashboard_url(&segments);
        self.dashboard(method, url, body, false).await
    }

    fn application_settings_url(&self, site_id: &str, sip_peer_id: &str) -> reqwest::Url {
        self.dashboard_url(&[
            "sites",
            site_id,
            "sippeers",
            sip_peer_id,
            "products",
            "messaging",
            "applicationSettings",
        ])
    }
}
