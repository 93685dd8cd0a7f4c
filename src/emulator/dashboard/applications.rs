//! Messaging applications of the emulated Dashboard (contract §2.7, §2.8).

use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};

use super::parse_body;
use crate::emulator::http::{location, response_status, xml, xml_created};
use crate::emulator::state::{Application, Creds, EmulatorState};
use crate::emulator::xml::Element;

/// Default `RequestedCallbackTypes` when an application names none (A-setup's response shows
/// Bandwidth filling in all three for a request that had none).
const DEFAULT_CALLBACK_TYPES: [&str; 3] =
    ["message-failed", "message-delivered", "message-sending"];

// ---- Applications ----

const APP_ROOT: &str = "ApplicationProvisioningResponse";

fn parse_creds(doc: &Element, name: &str) -> Option<Creds> {
    let el = doc.child(name)?;
    let user_id = el.text_at(&["UserId"])?.to_string();
    Some(Creds {
        user_id,
        password: el.text_at(&["Password"]).map(str::to_string),
    })
}

/// Reads an `<Application>`: deprecated `MsgCallbackUrl`/`CallbackUrl` fan out to the inbound
/// and outbound URLs, and legacy `CallbackCreds` apply to both directions when the specific
/// credentials are absent (A-setup's response shows Bandwidth doing both).
fn parse_application(id: String, doc: &Element) -> Result<Application, Response> {
    let text = |name: &str| doc.text_at(&[name]).map(str::to_string);
    let Some(name) = text("AppName") else {
        return Err(response_status(
            StatusCode::BAD_REQUEST,
            APP_ROOT,
            12806,
            "Application Name required",
        ));
    };
    let service_type = match text("ServiceType") {
        None => "Messaging-V2".to_string(),
        Some(t) if t.eq_ignore_ascii_case("Messaging") => "Messaging-V2".to_string(),
        Some(t) => t,
    };
    let msg_url = text("MsgCallbackUrl").or_else(|| text("CallbackUrl"));
    let callback_creds = parse_creds(doc, "CallbackCreds");
    let mut callback_types: Vec<String> = doc
        .child("RequestedCallbackTypes")
        .map(|t| {
            t.children_named("CallbackType")
                .map(|c| c.text.clone())
                .filter(|c| !c.is_empty())
                .collect()
        })
        .unwrap_or_default();
    if callback_types.is_empty() {
        callback_types = DEFAULT_CALLBACK_TYPES
            .iter()
            .map(|t| t.to_string())
            .collect();
    }
    Ok(Application {
        id,
        service_type,
        name,
        callback_url: text("CallbackUrl").or_else(|| msg_url.clone()),
        inbound_url: text("InboundCallbackUrl").or_else(|| msg_url.clone()),
        outbound_url: text("OutboundCallbackUrl").or_else(|| msg_url.clone()),
        msg_callback_url: msg_url,
        inbound_creds: parse_creds(doc, "InboundCallbackCreds").or_else(|| callback_creds.clone()),
        outbound_creds: parse_creds(doc, "OutboundCallbackCreds")
            .or_else(|| callback_creds.clone()),
        callback_creds,
        callback_types,
    })
}

/// The application as Bandwidth shows it: credentials carry `UserId` only, never the password.
fn application_element(app: &Application) -> Element {
    let creds = |name: &str, c: &Option<Creds>| {
        c.as_ref()
            .map(|c| Element::new(name).with_leaf("UserId", c.user_id.clone()))
    };
    let mut el = Element::new("Application")
        .with_leaf("ApplicationId", app.id.clone())
        .with_leaf("ServiceType", app.service_type.clone())
        .with_leaf("AppName", app.name.clone())
        .with_opt("CallbackUrl", app.callback_url.as_deref())
        .with_opt("MsgCallbackUrl", app.msg_callback_url.as_deref())
        .with_opt("InboundCallbackUrl", app.inbound_url.as_deref())
        .with_opt("OutboundCallbackUrl", app.outbound_url.as_deref())
        .with(
            Element::new("RequestedCallbackTypes").with_all(
                app.callback_types
                    .iter()
                    .map(|t| Element::leaf("CallbackType", t.clone())),
            ),
        );
    el = el.with_all(
        [
            creds("CallbackCreds", &app.callback_creds),
            creds("InboundCallbackCreds", &app.inbound_creds),
            creds("OutboundCallbackCreds", &app.outbound_creds),
        ]
        .into_iter()
        .flatten(),
    );
    el
}

fn application_not_found(id: &str) -> Response {
    response_status(
        StatusCode::NOT_FOUND,
        APP_ROOT,
        23019,
        &format!("Application with id '{id}' not found"),
    )
}

/// `POST /accounts/{a}/applications`: 201 + `Location` + `ApplicationProvisioningResponse`.
pub async fn create_application(
    State(state): State<EmulatorState>,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let doc = match parse_body(&body, APP_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let app = match parse_application(uuid::Uuid::new_v4().to_string(), &doc) {
        Ok(app) => app,
        Err(response) => return response,
    };
    let body = Element::new(APP_ROOT).with(application_element(&app));
    let id = app.id.clone();
    state.world().applications.insert(id.clone(), app);
    xml_created(&location(&headers, uri.path(), &id), &body)
}

/// `GET /accounts/{a}/applications`: every application in an `ApplicationList`.
pub async fn list_applications(State(state): State<EmulatorState>) -> Response {
    let world = state.world();
    let body = Element::new(APP_ROOT).with(
        Element::new("ApplicationList")
            .with_all(world.applications.values().map(application_element)),
    );
    xml(StatusCode::OK, &body)
}

/// `GET /accounts/{a}/applications/{id}`: 200, or 404 `23019`.
pub async fn get_application(
    State(state): State<EmulatorState>,
    Path((_account, app)): Path<(String, String)>,
) -> Response {
    let world = state.world();
    match world.applications.get(&app) {
        Some(found) => xml(
            StatusCode::OK,
            &Element::new(APP_ROOT).with(application_element(found)),
        ),
        None => application_not_found(&app),
    }
}

/// `PUT /accounts/{a}/applications/{id}`: replaces the application; 400 `12964` when the
/// service type would change.
pub async fn update_application(
    State(state): State<EmulatorState>,
    Path((_account, app)): Path<(String, String)>,
    body: String,
) -> Response {
    let doc = match parse_body(&body, APP_ROOT) {
        Ok(doc) => doc,
        Err(response) => return response,
    };
    let updated = match parse_application(app.clone(), &doc) {
        Ok(updated) => updated,
        Err(response) => return response,
    };
    let mut world = state.world();
    let Some(existing) = world.applications.get_mut(&app) else {
        return application_not_found(&app);
    };
    if existing.service_type != updated.service_type {
        return response_status(
            StatusCode::BAD_REQUEST,
            APP_ROOT,
            12964,
            "Service Type of Application could not be changed",
        );
    }
    *existing = updated;
    xml(
        StatusCode::OK,
        &Element::new(APP_ROOT).with(application_element(existing)),
    )
}

/// `DELETE /accounts/{a}/applications/{id}`: 200 empty; 400 `12107` while a location uses it.
pub async fn delete_application(
    State(state): State<EmulatorState>,
    Path((_account, app)): Path<(String, String)>,
) -> Response {
    let mut world = state.world();
    if !world.applications.contains_key(&app) {
        return application_not_found(&app);
    }
    let users: Vec<String> = world
        .peers
        .values()
        .filter(|p| p.application_id.as_deref() == Some(app.as_str()))
        .map(|p| p.id.to_string())
        .collect();
    if !users.is_empty() {
        return response_status(
            StatusCode::BAD_REQUEST,
            APP_ROOT,
            12107,
            &format!(
                "The Application cannot be removed until references in the following Locations are removed: {}",
                users.join(", ")
            ),
        );
    }
    world.applications.remove(&app);
    StatusCode::OK.into_response()
}
