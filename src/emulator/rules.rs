//! The emulator's deterministic rules, as pure functions: which numbers an area code can
//! supply, how many segments a text takes, which destinations fail with which error code,
//! and the shape of message ids. Imports nothing from the rest of the emulator.

use rand::Rng;

/// Numbers each local area code can supply (`{npa}5550100`..`{npa}5550119`).
pub const LOCAL_SUPPLY: u32 = 20;
/// Numbers each toll-free prefix can supply (`{npa}5552000`..`{npa}5552099`).
pub const TOLL_FREE_SUPPLY: u32 = 100;
/// The area code with no numbers at all (orders fail with 5018).
pub const EMPTY_AREA_CODE: &str = "999";
/// Toll-free prefixes in the order a wildcard search walks them.
pub const TOLL_FREE_PREFIXES: [&str; 7] = ["800", "833", "844", "855", "866", "877", "888"];

/// Bandwidth's messaging error table (code, kebab-case name, summary, billable), embedded.
const ERROR_CODES_CSV: &str = include_str!("../../data/messaging-error-codes.csv");

/// The code a carrier answers for a destination that opted out (contract-2 §6).
pub const CARRIER_OPT_OUT_CODE: u32 = 4775;

/// The kebab-case name of a Bandwidth messaging error code, if it is one.
pub fn error_code_name(code: u32) -> Option<&'static str> {
    ERROR_CODES_CSV.lines().skip(1).find_map(|line| {
        let mut fields = line.splitn(3, ',');
        let parsed: u32 = fields.next()?.trim().parse().ok()?;
        let name = fields.next()?.trim();
        (parsed == code).then_some(name)
    })
}

/// Names of the registration failure codes missing from the round-1 table: 4476's official name
/// is unconfirmed (contract-2 §9), so the emulator uses a descriptive one.
pub fn registration_error_name(code: u32) -> Option<&'static str> {
    match code {
        4476 => Some("rejected-unregistered-from-number"),
        4773 => Some("inactive-campaign"),
        4774 => Some("provisioning-issue"),
        4795 => Some("tfn-not-verified"),
        _ => None,
    }
}

/// The failure a destination triggers: its last four digits when they are a Bandwidth
/// messaging error code (e.g. `+15555554720` → 4720 invalid-destination-address).
pub fn destination_error(destination: &str) -> Option<(u32, &'static str)> {
    let digits: String = destination.chars().filter(char::is_ascii_digit).collect();
    if digits.len() < 4 {
        return None;
    }
    let code: u32 = digits[digits.len() - 4..].parse().ok()?;
    error_code_name(code).map(|name| (code, name))
}

/// Whether `npa` is a toll-free prefix.
pub fn is_toll_free(npa: &str) -> bool {
    TOLL_FREE_PREFIXES.contains(&npa)
}

/// Whether `s` is exactly three ASCII digits.
pub fn is_area_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Every number an area code (or toll-free prefix) can ever supply, in order.
pub fn supply(npa: &str) -> Vec<String> {
    if !is_area_code(npa) || npa == EMPTY_AREA_CODE || npa.starts_with(['0', '1']) {
        return Vec::new();
    }
    if is_toll_free(npa) {
        (0..TOLL_FREE_SUPPLY)
            .map(|i| format!("{npa}555{:04}", 2000 + i))
            .collect()
    } else {
        (0..LOCAL_SUPPLY)
            .map(|i| format!("{npa}555{:04}", 100 + i))
            .collect()
    }
}

/// Whether a 10-digit number is one the emulator could ever supply.
pub fn is_suppliable(number: &str) -> bool {
    number.len() == 10 && supply(&number[..3]).iter().any(|n| n == number)
}

/// Toll-free prefixes matching a 3-character wildcard pattern such as `8**` or `88*`.
pub fn toll_free_prefixes_matching(pattern: &str) -> Vec<&'static str> {
    let pattern: Vec<char> = pattern.chars().collect();
    if pattern.len() != 3 {
        return Vec::new();
    }
    TOLL_FREE_PREFIXES
        .iter()
        .copied()
        .filter(|npa| {
            npa.chars()
                .zip(pattern.iter())
                .all(|(d, p)| *p == '*' || *p == d)
        })
        .collect()
}

/// Whether `s` is an E.164 number: `+`, a non-zero digit, 7 to 15 digits in all.
pub fn is_e164(s: &str) -> bool {
    let Some(digits) = s.strip_prefix('+') else {
        return false;
    };
    (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// The 10-digit NANP form of an E.164 `+1` number, as the Dashboard stores it.
pub fn nanp_digits(e164: &str) -> Option<String> {
    let digits = e164.strip_prefix("+1")?;
    (digits.len() == 10 && digits.bytes().all(|b| b.is_ascii_digit())).then(|| digits.to_string())
}

/// GSM 03.38 basic character set.
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// GSM 03.38 extension table: each costs two septets.
const GSM7_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// Segments a message takes: MMS is always 1; GSM-7 text fits 160 septets in one segment
/// (153 per part when concatenated); anything else is UCS-2 with 70 UTF-16 units (67 per part).
/// Empty text is one segment.
pub fn segment_count(text: &str, is_mms: bool) -> u32 {
    if is_mms {
        return 1;
    }
    let gsm_septets: Option<usize> = text.chars().try_fold(0usize, |acc, c| {
        if GSM7_BASIC.contains(c) {
            Some(acc + 1)
        } else if GSM7_EXTENDED.contains(c) {
            Some(acc + 2)
        } else {
            None
        }
    });
    let (units, single, part) = match gsm_septets {
        Some(septets) => (septets, 160, 153),
        None => (text.encode_utf16().count(), 70, 67),
    };
    if units <= single {
        1
    } else {
        u32::try_from(units.div_ceil(part)).unwrap_or(u32::MAX)
    }
}

/// The account queue after `elapsed_s` of draining at `rate` segments per second, and whether
/// a send of `segments` fits under `capacity` (then it is added).
pub fn queue_admits(
    depth: f64,
    elapsed_s: f64,
    rate: f64,
    capacity: f64,
    segments: u32,
) -> (bool, f64) {
    let drained = (depth - elapsed_s * rate).max(0.0);
    let after = drained + f64::from(segments);
    if after > capacity && drained > 0.0 {
        (false, drained)
    } else {
        (true, after)
    }
}

/// A message id like Bandwidth's: 13-digit epoch milliseconds + 16 lowercase alphanumerics.
pub fn message_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let millis = chrono::Utc::now().timestamp_millis();
    let mut rng = rand::thread_rng();
    let suffix: String = (0..16)
        .map(|_| char::from(ALPHABET[rng.gen_range(0..ALPHABET.len())]))
        .collect();
    format!("{millis:013}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations_ending_in_an_error_code_fail_with_it() {
        assert_eq!(
            destination_error("+15555554720"),
            Some((4720, "invalid-destination-address"))
        );
        assert_eq!(
            destination_error("+15555554405"),
            Some((4405, "rejected-unallocated-from-number"))
        );
        assert_eq!(destination_error("+15555550123"), None);
    }

    #[test]
    fn the_error_table_is_fully_embedded() {
        assert_eq!(error_code_name(9999), Some("unknown-error"));
        assert_eq!(error_code_name(4001), Some("service-not-allowed"));
        assert_eq!(ERROR_CODES_CSV.lines().count(), 77);
    }

    #[test]
    fn area_codes_have_a_fixed_supply_and_999_has_none() {
        let s = supply("919");
        assert_eq!(s.len(), LOCAL_SUPPLY as usize);
        assert_eq!(s[0], "9195550100");
        assert!(supply("999").is_empty());
        assert_eq!(supply("800").len(), TOLL_FREE_SUPPLY as usize);
        assert!(is_suppliable("9195550119"));
        assert!(!is_suppliable("9195550120"));
    }

    #[test]
    fn toll_free_wildcards_match_prefixes() {
        assert_eq!(toll_free_prefixes_matching("8**").len(), 7);
        assert_eq!(toll_free_prefixes_matching("88*"), ["888"]);
        assert_eq!(toll_free_prefixes_matching("80*"), ["800"]);
        assert!(toll_free_prefixes_matching("9**").is_empty());
    }

    #[test]
    fn segments_follow_gsm7_and_ucs2_limits() {
        assert_eq!(segment_count("", false), 1);
        assert_eq!(segment_count(&"a".repeat(160), false), 1);
        assert_eq!(segment_count(&"a".repeat(161), false), 2);
        assert_eq!(segment_count(&"a".repeat(306), false), 2);
        assert_eq!(segment_count(&"a".repeat(307), false), 3);
        assert_eq!(segment_count(&"é".repeat(160), false), 1);
        assert_eq!(segment_count(&"€".repeat(80), false), 1);
        assert_eq!(segment_count(&"€".repeat(81), false), 2);
        assert_eq!(segment_count(&"ł".repeat(70), false), 1);
        assert_eq!(segment_count(&"ł".repeat(71), false), 2);
        assert_eq!(segment_count(&"a".repeat(1000), true), 1);
    }

    #[test]
    fn the_queue_refuses_past_its_capacity_until_it_drains() {
        let (ok, depth) = queue_admits(0.0, 0.0, 1.0, 1.0, 1);
        assert!(ok);
        let (ok, depth) = queue_admits(depth, 0.5, 1.0, 1.0, 1);
        assert!(!ok, "half drained: still full");
        let (ok, _) = queue_admits(depth, 0.5, 1.0, 1.0, 1);
        assert!(ok, "drained: room again");
        assert!(
            queue_admits(0.0, 0.0, 1.0, 1.0, 5).0,
            "an empty queue takes any one send"
        );
    }

    #[test]
    fn message_ids_have_bandwidths_shape() {
        let id = message_id();
        assert_eq!(id.len(), 29);
        assert!(id[..13].bytes().all(|b| b.is_ascii_digit()));
        assert!(
            id[13..]
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
    }

    #[test]
    fn e164_validation_accepts_plus_and_digits_only() {
        assert!(is_e164("+19195550100"));
        assert!(!is_e164("9195550100"));
        assert!(!is_e164("+invalid"));
        assert!(!is_e164("+0123456789"));
        assert_eq!(nanp_digits("+19195550100").as_deref(), Some("9195550100"));
    }
}
