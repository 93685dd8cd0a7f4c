//! NANP area codes: the region (state or province) of each, and which ones are toll-free.
//!
//! The table is `data/nanp-area-codes.csv` (area_code,region), compiled into the binary.

use std::collections::HashMap;
use std::sync::OnceLock;

/// Toll-free NANP prefixes (8XX), ordered from Bandwidth with a wildcard pattern instead of an area code.
pub const TOLL_FREE: &[&str] = &["800", "833", "844", "855", "866", "877", "888"];

/// The region shown for numbers whose area code has none (toll-free, unknown).
pub const NO_REGION: &str = "N/A";

fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../data/nanp-area-codes.csv")
            .lines()
            .skip(1)
            .filter_map(|line| line.split_once(','))
            .map(|(code, region)| (code.trim(), region.trim()))
            .collect()
    })
}

/// The region of an area code, or `"N/A"`.
pub fn region_of(area_code: &str) -> &'static str {
    table().get(area_code).copied().unwrap_or(NO_REGION)
}

/// Whether an area code is a toll-free prefix.
pub fn is_toll_free(area_code: &str) -> bool {
    TOLL_FREE.contains(&area_code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_area_code_maps_to_its_region() {
        assert_eq!(region_of("919"), "North Carolina");
        assert_eq!(region_of("202"), "District of Columbia");
        assert_eq!(region_of("800"), NO_REGION);
        assert!(table().len() > 400);
    }

    #[test]
    fn toll_free_prefixes_are_recognised() {
        assert!(is_toll_free("800") && is_toll_free("888"));
        assert!(!is_toll_free("919"));
    }
}
