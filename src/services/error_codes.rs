//! Bandwidth's messaging error codes (all of them, from `data/messaging-error-codes.csv`) and
//! their descriptions, for failed messages.

use std::collections::HashMap;
use std::sync::OnceLock;

/// One messaging error code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode {
    pub code: i32,
    /// Bandwidth's kebab-case name, e.g. `invalid-destination-address`.
    pub name: &'static str,
    /// A sentence a person can read.
    pub summary: &'static str,
    pub billable: bool,
}

/// Every known code.
pub fn all() -> &'static HashMap<i32, ErrorCode> {
    static TABLE: OnceLock<HashMap<i32, ErrorCode>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../data/messaging-error-codes.csv")
            .lines()
            .skip(1)
            .filter_map(parse_line)
            .map(|e| (e.code, e))
            .collect()
    })
}

fn parse_line(line: &'static str) -> Option<ErrorCode> {
    let (code, rest) = line.split_once(',')?;
    let (name, rest) = rest.split_once(',')?;
    let (summary, billable) = rest.rsplit_once(',')?;
    Some(ErrorCode {
        code: code.trim().parse().ok()?,
        name: name.trim(),
        summary: summary.trim().trim_matches('"'),
        billable: billable.trim().eq_ignore_ascii_case("yes"),
    })
}

/// The description stored with a failed message: the code's name and summary when known,
/// otherwise what Bandwidth said.
pub fn describe(code: Option<i32>, bandwidth_description: Option<&str>) -> String {
    match code.and_then(|c| all().get(&c)) {
        Some(e) => format!("{}: {}", e.name, e.summary),
        None => bandwidth_description
            .filter(|d| !d.is_empty())
            .unwrap_or("unknown error")
            .to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_of_the_table_is_known() {
        let rows = include_str!("../../data/messaging-error-codes.csv")
            .lines()
            .skip(1)
            .filter(|l| !l.trim().is_empty())
            .count();
        assert_eq!(all().len(), rows);
        assert_eq!(rows, 76);
    }

    #[test]
    fn a_known_code_is_described_by_its_name_and_summary() {
        let text = describe(Some(4720), Some("ignored"));
        assert!(text.starts_with("invalid-destination-address"), "{text}");
        assert_eq!(
            describe(Some(1), Some("carrier said no")),
            "carrier said no"
        );
        assert_eq!(describe(None, None), "unknown error");
    }
}
