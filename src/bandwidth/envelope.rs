//! Readers for Bandwidth's error bodies: the three Dashboard XML envelopes (`ResponseStatus`
//! under any root, `ErrorList/Error`, `SearchResult/Error`) and Messaging's JSON errors
//! (`{type, description, fieldErrors?}` and the Spring-style 404). They never fail: a body
//! they cannot read yields no entries, and the caller reports the status alone.

use quick_xml::events::Event;
use serde::Deserialize;

use crate::bandwidth::error::{ApiError, FieldError};

/// Collects every error entry in a Dashboard XML body, whatever the root element:
/// `ResponseStatus`-style `ErrorCode`+`Description` pairs (code `0` means success and is
/// skipped) and `Error` elements with `Code`/`Description`/`TelephoneNumber` (inside
/// `ErrorList`, `Errors` or `SearchResult`). A body that is not XML yields no entries.
pub(crate) fn scan_dashboard_errors(body: &[u8]) -> Vec<ApiError> {
    #[derive(Default)]
    struct Frame {
        name: String,
        text: String,
        error_code: Option<String>,
        code: Option<String>,
        description: Option<String>,
        telephone_number: Option<String>,
        /// `Field` of a campaign call's TCR validation entry (`Errors/Error{Code,Field,Description}`).
        field: Option<String>,
    }

    let mut reader = quick_xml::Reader::from_reader(body);
    let mut stack: Vec<Frame> = Vec::new();
    let mut found = Vec::new();
    loop {
        match reader.read_event() {
            Ok(Event::Start(start)) => stack.push(Frame {
                name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                ..Frame::default()
            }),
            Ok(Event::Text(text)) => {
                if let (Some(top), Ok(content)) = (stack.last_mut(), text.xml_content()) {
                    top.text.push_str(&content);
                }
            }
            Ok(Event::CData(data)) => {
                if let (Some(top), Ok(content)) = (stack.last_mut(), data.decode()) {
                    top.text.push_str(&content);
                }
            }
            Ok(Event::GeneralRef(reference)) => {
                let resolved = match reference.resolve_char_ref() {
                    Ok(Some(c)) => Some(c.to_string()),
                    _ => reference
                        .decode()
                        .ok()
                        .and_then(|name| quick_xml::escape::resolve_predefined_entity(&name))
                        .map(str::to_owned),
                };
                if let (Some(top), Some(resolved)) = (stack.last_mut(), resolved) {
                    top.text.push_str(&resolved);
                }
            }
            Ok(Event::End(_)) => {
                let Some(frame) = stack.pop() else { break };
                if let Some(code) = frame.error_code.filter(|c| c != "0") {
                    found.push(ApiError {
                        code,
                        description: frame.description.clone().unwrap_or_default(),
                        telephone_number: None,
                    });
                } else if frame.name == "Error" {
                    if let Some(code) = frame.code {
                        let description = frame.description.clone().unwrap_or_default();
                        found.push(ApiError {
                            code,
                            description: match &frame.field {
                                Some(field) if !field.is_empty() => {
                                    format!("{field}: {description}")
                                }
                                _ => description,
                            },
                            telephone_number: frame.telephone_number.clone(),
                        });
                    }
                }
                if let Some(parent) = stack.last_mut() {
                    let value = frame.text.trim().to_owned();
                    match frame.name.as_str() {
                        "ErrorCode" => parent.error_code = Some(value),
                        "Code" => parent.code = Some(value),
                        "Description" => parent.description = Some(value),
                        "TelephoneNumber" => parent.telephone_number = Some(value),
                        "Field" => parent.field = Some(value),
                        _ => {}
                    }
                }
            }
            Ok(Event::Eof) | Err(_) => break,
            Ok(_) => {}
        }
    }
    found
}

/// The two JSON error shapes Messaging uses.
#[derive(Deserialize)]
#[serde(untagged)]
enum MessagingErrorBody {
    /// Toll-free verification's 400: `{description, errors: {field: text | [text]}}`.
    FieldMap {
        #[serde(default)]
        description: String,
        errors: serde_json::Map<String, serde_json::Value>,
    },
    Typed {
        #[serde(rename = "type")]
        kind: String,
        #[serde(default)]
        description: String,
        #[serde(default, rename = "fieldErrors")]
        field_errors: Option<Vec<FieldError>>,
    },
    Spring {
        error: String,
        #[serde(default)]
        message: String,
    },
}

/// Reads a Messaging error body: `{type, description, fieldErrors?}` or the Spring-style
/// `{timestamp, status, error, message, path}`. Anything else yields no entries.
pub(crate) fn parse_messaging_error(body: &[u8]) -> (Vec<ApiError>, Vec<FieldError>) {
    match serde_json::from_slice::<MessagingErrorBody>(body) {
        Ok(MessagingErrorBody::Typed {
            kind,
            description,
            field_errors,
        }) => (
            vec![ApiError {
                code: kind,
                description,
                telephone_number: None,
            }],
            field_errors.unwrap_or_default(),
        ),
        Ok(MessagingErrorBody::Spring { error, message }) => (
            vec![ApiError {
                code: error,
                description: message,
                telephone_number: None,
            }],
            Vec::new(),
        ),
        Ok(MessagingErrorBody::FieldMap {
            description,
            errors,
        }) => (
            vec![ApiError {
                code: "bad request".to_owned(),
                description,
                telephone_number: None,
            }],
            errors
                .into_iter()
                .map(|(field_name, value)| FieldError {
                    field_name,
                    description: match value {
                        serde_json::Value::String(s) => s,
                        serde_json::Value::Array(items) => items
                            .iter()
                            .map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_owned))
                            .collect::<Vec<_>>()
                            .join("; "),
                        other => other.to_string(),
                    },
                })
                .collect(),
        ),
        Err(_) => (Vec::new(), Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_response_status_under_any_root() {
        let body = br#"<?xml version="1.0"?><Whatever><ResponseStatus><ErrorCode>1001</ErrorCode><Description>Access Denied</Description></ResponseStatus></Whatever>"#;
        let errors = scan_dashboard_errors(body);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].code, "1001");
        assert_eq!(errors[0].description, "Access Denied");
    }

    #[test]
    fn ignores_a_zero_error_code_and_unrelated_descriptions() {
        let body = b"<SiteResponse><Site><Description>Test Gateway</Description></Site><ResponseStatus><ErrorCode>0</ErrorCode><Description>ok</Description></ResponseStatus></SiteResponse>";
        assert!(scan_dashboard_errors(body).is_empty());
    }

    #[test]
    fn reads_escaped_text_in_descriptions() {
        let body = b"<R><Errors><Error><Code>1</Code><Description>a &amp; b &#65;</Description></Error></Errors></R>";
        let errors = scan_dashboard_errors(body);
        assert_eq!(errors[0].description, "a & b A");
    }

    #[test]
    fn finds_nothing_in_a_body_that_is_not_xml() {
        assert!(scan_dashboard_errors(b"").is_empty());
        assert!(scan_dashboard_errors(b"<html><body>Bad gateway").is_empty());
    }

    #[test]
    fn reads_an_error_list_with_its_telephone_number() {
        let body = b"<OrderResponse><ErrorList><Error><Code>5070</Code><Description>bad</Description><TelephoneNumber>555</TelephoneNumber></Error></ErrorList><Order><Name>x</Name></Order></OrderResponse>";
        let errors = scan_dashboard_errors(body);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].telephone_number.as_deref(), Some("555"));
    }

    #[test]
    fn reads_both_messaging_error_shapes() {
        let (typed, fields) =
            parse_messaging_error(br#"{"type":"forbidden","description":"Access Denied"}"#);
        assert_eq!(typed[0].code, "forbidden");
        assert!(fields.is_empty());
        let (spring, _) = parse_messaging_error(
            br#"{"timestamp":"t","status":404,"error":"Not Found","message":"Not Found","path":"/x"}"#,
        );
        assert_eq!(spring[0].code, "Not Found");
        assert!(parse_messaging_error(b"").0.is_empty());
    }
}
