//! Encoding requests and reading answers: the [`Body`] we send, the [`Answer`] we read in
//! full, XML/JSON (de)serialisation, query strings, the `Location` id of created resources
//! and the retry time of a 429.

use std::fmt;

use chrono::{DateTime, TimeZone, Utc};
use reqwest::header::{HeaderMap, LOCATION, RETRY_AFTER};
use reqwest::{StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::bandwidth::error::{Api, Error};

/// A request body, already encoded.
pub(crate) enum Body {
    Empty,
    Xml(String),
    Json(Vec<u8>),
}

/// A 2xx answer, read in full.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// Decodes an XML body.
    pub(crate) fn xml<T: DeserializeOwned>(&self) -> Result<T, Error> {
        let text =
            std::str::from_utf8(&self.body).map_err(|e| self.decode_error(Api::Dashboard, e))?;
        quick_xml::de::from_str(text).map_err(|e| self.decode_error(Api::Dashboard, e))
    }

    /// Decodes an XML body, or gives `T::default()` when the body is empty.
    pub(crate) fn xml_or_default<T: DeserializeOwned + Default>(&self) -> Result<T, Error> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            Ok(T::default())
        } else {
            self.xml()
        }
    }

    /// Decodes a JSON body.
    pub(crate) fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| self.decode_error(Api::Messaging, e))
    }

    /// The last path segment of the `Location` header: the id of a created resource.
    pub(crate) fn location_id(&self) -> Option<String> {
        let location = self.headers.get(LOCATION)?.to_str().ok()?;
        let path = location.split(['?', '#']).next()?;
        path.trim_end_matches('/')
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }

    pub(crate) fn incomplete(&self, missing: &'static str) -> Error {
        Error::Incomplete {
            api: Api::Dashboard,
            status: self.status.as_u16(),
            missing,
        }
    }

    fn decode_error(&self, api: Api, reason: impl fmt::Display) -> Error {
        Error::Decode {
            api,
            status: self.status.as_u16(),
            reason: reason.to_string(),
        }
    }
}

/// Encodes a Dashboard request body.
pub(crate) fn to_xml<T: Serialize>(value: &T) -> Result<String, Error> {
    let body = quick_xml::se::to_string(value)
        .map_err(|e| Error::Encode(format!("Dashboard XML: {e}")))?;
    Ok(format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>{body}"
    ))
}

/// Appends the fields of a flat serde struct as query parameters (skipping `null`s).
pub(crate) fn append_query<T: Serialize>(url: &mut Url, query: &T) -> Result<(), Error> {
    let value = serde_json::to_value(query).map_err(|e| Error::Encode(format!("query: {e}")))?;
    let serde_json::Value::Object(fields) = value else {
        return Err(Error::Encode("a query must be a struct".to_owned()));
    };
    let mut pairs = Vec::new();
    for (name, value) in fields {
        match value {
            serde_json::Value::Null => {}
            serde_json::Value::String(text) => pairs.push((name, text)),
            other => pairs.push((name, other.to_string())),
        }
    }
    if !pairs.is_empty() {
        url.query_pairs_mut().extend_pairs(pairs);
    }
    Ok(())
}

/// When a 429 may be retried: `X-RateLimit-Reset` (Dashboard: epoch seconds; milliseconds
/// are accepted too) or `Retry-After` (seconds or an HTTP date).
pub(crate) fn retry_at(headers: &HeaderMap, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(reset) = header("x-ratelimit-reset").and_then(|v| v.parse::<i64>().ok()) {
        let at = if reset > 100_000_000_000 {
            Utc.timestamp_millis_opt(reset).single()
        } else {
            Utc.timestamp_opt(reset, 0).single()
        };
        if at.is_some() {
            return at;
        }
    }
    let retry_after = header(RETRY_AFTER.as_str())?;
    if let Ok(seconds) = retry_after.parse::<i64>() {
        return now.checked_add_signed(chrono::Duration::seconds(seconds));
    }
    DateTime::parse_from_rfc2822(retry_after)
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_rate_limit_reset_as_epoch_seconds() {
        let mut headers = HeaderMap::new();
        headers.insert("X-RateLimit-Reset", "1590033530".parse().expect("header"));
        let at = retry_at(&headers, Utc::now()).expect("a reset time");
        assert_eq!(at.timestamp(), 1_590_033_530);
    }

    #[test]
    fn reads_retry_after_seconds_relative_to_now() {
        let now = Utc.timestamp_opt(1_000, 0).single().expect("time");
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "30".parse().expect("header"));
        assert_eq!(retry_at(&headers, now).map(|t| t.timestamp()), Some(1_030));
    }

    fn answer_with_location(location: &str) -> Answer {
        let mut headers = HeaderMap::new();
        headers.insert(LOCATION, location.parse().expect("header"));
        Answer {
            status: StatusCode::CREATED,
            headers,
            body: Vec::new(),
        }
    }

    #[test]
    fn takes_the_last_path_segment_of_location_as_the_id() {
        for (location, id) in [
            (
                "https://dashboard.bandwidth.com/api/accounts/1/sites/12345",
                "12345",
            ),
            ("/accounts/1/orders/abc-def/", "abc-def"),
            ("/accounts/1/disconnects/x?y=z", "x"),
        ] {
            assert_eq!(
                answer_with_location(location).location_id().as_deref(),
                Some(id)
            );
        }
    }

    #[test]
    fn encodes_xml_requests_with_a_declaration_and_escaped_text() {
        #[derive(Serialize)]
        #[serde(rename = "Thing")]
        struct Thing {
            #[serde(rename = "Name")]
            name: String,
        }
        let xml = to_xml(&Thing {
            name: "a & <b>".into(),
        })
        .expect("encodes");
        assert!(xml.starts_with("<?xml version=\"1.0\""));
        assert!(xml.ends_with("<Thing><Name>a &amp; &lt;b&gt;</Name></Thing>"));
    }
}
