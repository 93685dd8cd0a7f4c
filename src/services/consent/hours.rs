//! Texting hours in the contact's local time (pure; the caller passes the time).
//!
//! The contact's zones come from the longest prefix of its national number in
//! `data/nanp-prefix-timezones.csv`; a prefix may span several zones, and then the time must be
//! inside the hours in every one of them. A number with no zone uses the organization's default
//! zone, and without one every zone of the contiguous US: with Spoke's default hours (9–21) that
//! is exactly Spoke's fallback window, 12:00–21:00 Eastern (9:00 Pacific to 21:00 Eastern).
//! Daylight saving comes from the IANA database (`chrono-tz`).

use std::collections::HashMap;
use std::sync::LazyLock;

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The prefix table: `prefix,time_zones` with zones separated by `;`.
const PREFIX_CSV: &str = include_str!("../../../data/nanp-prefix-timezones.csv");

/// The zones a contact of unknown zone must be inside the hours in (contiguous US).
pub const FALLBACK_ZONES: [Tz; 4] = [
    Tz::America__New_York,
    Tz::America__Chicago,
    Tz::America__Denver,
    Tz::America__Los_Angeles,
];

struct PrefixTable {
    zones: HashMap<&'static str, Vec<Tz>>,
    longest: usize,
}

static PREFIXES: LazyLock<PrefixTable> = LazyLock::new(|| {
    let mut zones = HashMap::new();
    let mut longest = 0;
    for line in PREFIX_CSV.lines().skip(1) {
        let Some((prefix, names)) = line.trim().split_once(',') else {
            continue;
        };
        let parsed: Vec<Tz> = names
            .split(';')
            .filter_map(|name| name.trim().parse::<Tz>().ok())
            .collect();
        if !prefix.is_empty() && !parsed.is_empty() {
            longest = longest.max(prefix.len());
            zones.insert(prefix, parsed);
        }
    }
    PrefixTable { zones, longest }
});

/// The zones of a NANP number (E.164 `+1…`) by the longest matching prefix; `None` when no
/// prefix matches (or the number is not NANP).
pub fn zones_of(contact_e164: &str) -> Option<&'static [Tz]> {
    let national = contact_e164.strip_prefix("+1")?;
    let table = &*PREFIXES;
    (1..=national.len().min(table.longest))
        .rev()
        .find_map(|len| table.zones.get(&national[..len]))
        .map(Vec::as_slice)
}

/// Where the zones of a check came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ZoneSource {
    /// The number's prefix (possibly several zones).
    Prefix,
    /// The organization's default zone (the number has none).
    OrganizationDefault,
    /// Neither: every contiguous US zone.
    Fallback,
}

/// The zones a contact is judged in, and why those.
pub fn zones_for(contact_e164: &str, default_zone: Option<Tz>) -> (Vec<Tz>, ZoneSource) {
    match (zones_of(contact_e164), default_zone) {
        (Some(zones), _) => (zones.to_vec(), ZoneSource::Prefix),
        (None, Some(zone)) => (vec![zone], ZoneSource::OrganizationDefault),
        (None, None) => (FALLBACK_ZONES.to_vec(), ZoneSource::Fallback),
    }
}

/// Whole hours `start`–`end` (0–24, start before end) in local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub start: u32,
    pub end: u32,
}

/// Whether a send may go out now.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// Inside the hours in every zone; `until` is the earliest end of today's window among them.
    Inside { until: DateTime<Utc> },
    /// Outside the hours in `zone`, where it is `local`.
    Outside { zone: Tz, local: DateTime<Tz> },
}

/// Judges `now` against the window in every zone (the first zone outside decides).
pub fn judge(now: DateTime<Utc>, zones: &[Tz], window: Window) -> Verdict {
    let mut until: Option<DateTime<Utc>> = None;
    for zone in zones {
        let local = now.with_timezone(zone);
        let minute = local.hour() * 60 + local.minute();
        if minute < window.start * 60 || minute >= window.end * 60 {
            return Verdict::Outside { zone: *zone, local };
        }
        let end = window_end(zone, local.date_naive().and_hms_opt(0, 0, 0), window.end);
        until = Some(until.map_or(end, |u| u.min(end)));
    }
    Verdict::Inside {
        until: until.unwrap_or(now),
    }
}

/// The instant the window ends on the local day starting at `midnight` (the next midnight for
/// an end of 24; in a daylight-saving gap, the first instant after it).
fn window_end(zone: &Tz, midnight: Option<NaiveDateTime>, end: u32) -> DateTime<Utc> {
    let midnight = midnight.expect("midnight exists on every date");
    let naive = midnight + Duration::hours(i64::from(end));
    (0..3)
        .find_map(|extra| {
            zone.from_local_datetime(&(naive + Duration::hours(extra)))
                .earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc.from_utc_datetime(&naive))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    const NINE_TO_NINE: Window = Window { start: 9, end: 21 };

    #[test]
    fn every_row_of_the_prefix_table_names_known_zones() {
        for line in PREFIX_CSV.lines().skip(1) {
            let (prefix, names) = line.trim().split_once(',').unwrap();
            assert!(prefix.bytes().all(|b| b.is_ascii_digit()), "{line}");
            for name in names.split(';') {
                assert!(name.trim().parse::<Tz>().is_ok(), "{line}");
            }
        }
        assert_eq!(PREFIXES.zones.len(), PREFIX_CSV.lines().count() - 1);
    }

    #[test]
    fn the_longest_prefix_wins() {
        assert_eq!(zones_of("+12125550100"), Some(&[Tz::America__New_York][..]));
        assert_eq!(
            zones_of("+14155550100"),
            Some(&[Tz::America__Los_Angeles][..])
        );
        // 2082 spans two zones; 208201 is Denver alone.
        assert_eq!(
            zones_of("+12082990100"),
            Some(&[Tz::America__Boise, Tz::America__Los_Angeles][..])
        );
        assert_eq!(zones_of("+12082010100"), Some(&[Tz::America__Denver][..]));
        assert_eq!(zones_of("+442071234567"), None);
    }

    #[test]
    fn half_past_ten_in_new_york_is_outside_and_half_past_seven_in_los_angeles_inside() {
        // 2027-01-14T03:30Z is 22:30 EST on the 13th and 19:30 PST.
        let now = at("2027-01-14T03:30:00Z");
        match judge(now, &[Tz::America__New_York], NINE_TO_NINE) {
            Verdict::Outside { local, .. } => assert_eq!((local.hour(), local.minute()), (22, 30)),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            judge(now, &[Tz::America__Los_Angeles], NINE_TO_NINE),
            Verdict::Inside {
                until: at("2027-01-14T05:00:00Z")
            },
            "the window ends at 21:00 Pacific"
        );
    }

    #[test]
    fn a_prefix_spanning_two_zones_must_be_inside_in_both() {
        let both = [Tz::America__Boise, Tz::America__Los_Angeles];
        // 21:30 in Boise, 20:30 in Los Angeles.
        assert!(matches!(
            judge(at("2027-01-14T04:30:00Z"), &both, NINE_TO_NINE),
            Verdict::Outside {
                zone: Tz::America__Boise,
                ..
            }
        ));
        // 9:30 in Boise, 8:30 in Los Angeles.
        assert!(matches!(
            judge(at("2027-01-13T16:30:00Z"), &both, NINE_TO_NINE),
            Verdict::Outside {
                zone: Tz::America__Los_Angeles,
                ..
            }
        ));
        // 13:00 and 12:00: inside, until 21:00 in Boise (the earlier end).
        assert_eq!(
            judge(at("2027-01-13T20:00:00Z"), &both, NINE_TO_NINE),
            Verdict::Inside {
                until: at("2027-01-14T04:00:00Z")
            }
        );
    }

    #[test]
    fn hours_follow_daylight_saving() {
        // 2027-07-14T01:30Z is 21:30 EDT (UTC-4) but would be 20:30 in standard time.
        assert!(matches!(
            judge(
                at("2027-07-14T01:30:00Z"),
                &[Tz::America__New_York],
                NINE_TO_NINE
            ),
            Verdict::Outside { .. }
        ));
        assert!(matches!(
            judge(
                at("2027-01-14T01:30:00Z"),
                &[Tz::America__New_York],
                NINE_TO_NINE
            ),
            Verdict::Inside { .. }
        ));
    }

    #[test]
    fn an_unknown_zone_falls_back_to_the_organizations_then_to_the_contiguous_us() {
        let (zones, source) = zones_for("+442071234567", Some(Tz::Europe__London));
        assert_eq!(
            (zones, source),
            (vec![Tz::Europe__London], ZoneSource::OrganizationDefault)
        );
        let (zones, source) = zones_for("+442071234567", None);
        assert_eq!(source, ZoneSource::Fallback);
        // Spoke's fallback window with the default hours: 12:00 to 21:00 Eastern.
        assert!(
            matches!(
                judge(at("2027-01-13T16:30:00Z"), &zones, NINE_TO_NINE),
                Verdict::Outside { .. }
            ),
            "11:30 Eastern is 8:30 Pacific"
        );
        assert_eq!(
            judge(at("2027-01-13T17:00:00Z"), &zones, NINE_TO_NINE),
            Verdict::Inside {
                until: at("2027-01-14T02:00:00Z")
            },
            "12:00 Eastern is inside, until 21:00 Eastern"
        );
    }

    #[test]
    fn a_window_ending_at_24_ends_at_the_next_midnight() {
        assert_eq!(
            judge(
                at("2027-01-14T03:30:00Z"),
                &[Tz::America__New_York],
                Window { start: 0, end: 24 }
            ),
            Verdict::Inside {
                until: at("2027-01-14T05:00:00Z")
            }
        );
    }
}
