//! The one planning step: what a batch of events changes, decided before any write and the same
//! whichever database applies it (`store::callbacks` holds the SQL for each).
//!
//! - Events are taken in the order they arrived: requests in queue order, events in body order.
//! - The same event (same key) twice in a batch counts once; an inbound message is stored once
//!   per Bandwidth id.
//! - An outbound message changes at most once per batch: the first report for it that finds it
//!   open wins (a status only moves forward, and DELIVERED and ERROR are both final), so a batch
//!   holding "delivered" then "failed" for one message ends DELIVERED, and the reverse ERROR.
//! - A report for a message that is not stored is left to the caller ([`Decided::missing`]):
//!   deferred or acknowledged as an orphan (`in_flight`).
//! - Each inbound message's consent keyword is recognised here (`consent::InboundRules`); of a
//!   contact's opt-out and opt-in keywords in one batch only the last acts (the others are kept
//!   as plain replies), so both backends end in the state the contact asked for last.
//!
//! Pure functions only: no database, no clock.

use std::collections::{HashMap, HashSet};

use super::{Effect, InboundMessage, OPEN_STATUSES, Outcome, StatusReport};
use crate::services::consent::{Action, InboundRules};
use crate::store::callbacks::{Failure, Inbound, InboundConsent, OrgPlan};

/// One organization's events of a batch, deduplicated, in arrival order.
#[derive(Debug)]
pub struct OrgEvents<'a> {
    pub org: i32,
    pub reports: Vec<(&'a str, &'a StatusReport)>,
    pub inbound: Vec<&'a InboundMessage>,
}

impl OrgEvents<'_> {
    /// The Bandwidth ids the reports name, once each, in order.
    pub fn reported_ids(&self) -> Vec<&str> {
        let mut seen = HashSet::new();
        self.reports
            .iter()
            .map(|(_, r)| r.service_id.as_str())
            .filter(|id| seen.insert(*id))
            .collect()
    }
}

/// Groups the events of several requests by organization (organizations in order of first
/// appearance), dropping repeats.
pub fn group<'a>(requests: &[(i32, &'a [Effect])]) -> Vec<OrgEvents<'a>> {
    let mut order: Vec<OrgEvents<'a>> = Vec::new();
    let mut index: HashMap<i32, usize> = HashMap::new();
    let mut keys: HashSet<(i32, &str)> = HashSet::new();
    let mut inbound_ids: HashSet<(i32, &str)> = HashSet::new();
    for (org, effects) in requests {
        let slot = *index.entry(*org).or_insert_with(|| {
            order.push(OrgEvents {
                org: *org,
                reports: Vec::new(),
                inbound: Vec::new(),
            });
            order.len() - 1
        });
        for effect in effects.iter() {
            if !keys.insert((*org, effect.key())) {
                continue;
            }
            match effect {
                Effect::Received { message, .. } => {
                    if inbound_ids.insert((*org, message.service_id.as_str())) {
                        order[slot].inbound.push(message);
                    }
                }
                Effect::Status { key, report } => order[slot].reports.push((key, report)),
            }
        }
    }
    order
}

/// What one organization's events do, given the stored status of the messages they name.
#[derive(Debug, PartialEq, Eq)]
pub struct Decided<'a> {
    pub plan: OrgPlan,
    /// Reports (key and report) for messages that are not stored.
    pub missing: Vec<(&'a str, &'a StatusReport)>,
}

/// Decides the changes: `statuses` maps the Bandwidth ids of the organization's stored outbound
/// messages among those reported to their send status; `rules` recognise consent keywords.
pub fn decide<'a>(
    events: &OrgEvents<'a>,
    sticky: bool,
    statuses: &HashMap<String, String>,
    rules: &InboundRules,
) -> Decided<'a> {
    let mut plan = OrgPlan {
        org: events.org,
        sticky,
        ..OrgPlan::default()
    };
    let mut missing = Vec::new();
    let mut changed: HashSet<&str> = HashSet::new();
    for (key, report) in &events.reports {
        let id = report.service_id.as_str();
        let Some(status) = statuses.get(id) else {
            missing.push((*key, *report));
            continue;
        };
        if !OPEN_STATUSES.contains(&status.as_str()) || !changed.insert(id) {
            continue; // moved on already, or earlier in this batch
        }
        match &report.outcome {
            Outcome::Delivered => plan.deliver.push(id.to_owned()),
            Outcome::Failed {
                error_code,
                description,
            } => plan.fail.push(Failure {
                service_id: id.to_owned(),
                code: *error_code,
                description: description.clone(),
            }),
        }
    }
    plan.receive = events
        .inbound
        .iter()
        .map(|m| inbound_row(m, rules))
        .collect();
    // Only the last opt-out or opt-in of a contact in the batch acts.
    let mut decided_contacts: HashSet<String> = HashSet::new();
    for row in plan.receive.iter_mut().rev() {
        if row
            .consent
            .as_ref()
            .is_some_and(|c| c.action != Action::Help.as_str())
            && !decided_contacts.insert(row.contact_number.clone())
        {
            row.consent = None;
        }
    }
    Decided { plan, missing }
}

fn inbound_row(message: &InboundMessage, rules: &InboundRules) -> Inbound {
    let consent = rules.classify(&message.text).map(|r| InboundConsent {
        action: r.action.as_str(),
        source: r.source,
        reason: r.reason,
        confirm: r.action != Action::OptOut || rules.confirm_opt_out,
    });
    Inbound {
        consent,
        service_id: message.service_id.clone(),
        contact_number: message.contact_number.clone(),
        user_number: message.user_number.clone(),
        text: message.text.clone(),
        media: serde_json::to_string(&message.media).unwrap_or_else(|_| "[]".into()),
        segment_count: message.segment_count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(kind: &str, id: &str) -> Effect {
        let outcome = if kind == "delivered" {
            Outcome::Delivered
        } else {
            Outcome::Failed {
                error_code: Some(4720),
                description: "bad".into(),
            }
        };
        Effect::Status {
            key: format!("{kind}:{id}:+1"),
            report: StatusReport {
                service_id: id.into(),
                tagged_org: Some(1),
                tagged_message: None,
                contact_number: None,
                user_number: None,
                outcome,
            },
        }
    }

    fn received(id: &str, to_key: &str) -> Effect {
        Effect::Received {
            key: format!("received:{id}:{to_key}"),
            message: InboundMessage {
                service_id: id.into(),
                contact_number: "+19195550123".into(),
                user_number: "+19195550100".into(),
                text: "hi".into(),
                media: vec![],
                segment_count: Some(1),
            },
        }
    }

    fn open(ids: &[&str]) -> HashMap<String, String> {
        ids.iter()
            .map(|id| ((*id).to_owned(), "SENT".to_owned()))
            .collect()
    }

    #[test]
    fn the_first_report_in_arrival_order_decides_a_message() {
        let first = [report("delivered", "m1"), report("failed", "m2")];
        let second = [report("failed", "m1"), report("delivered", "m2")];
        let groups = group(&[(1, &first[..]), (1, &second[..])]);
        let decided = decide(
            &groups[0],
            true,
            &open(&["m1", "m2"]),
            &InboundRules::default(),
        );
        assert_eq!(decided.plan.deliver, vec!["m1".to_owned()]);
        assert_eq!(decided.plan.fail.len(), 1);
        assert_eq!(decided.plan.fail[0].service_id, "m2");
        assert!(decided.missing.is_empty());
    }

    #[test]
    fn repeats_count_once_and_closed_messages_change_nothing() {
        let events = [
            report("delivered", "m1"),
            report("delivered", "m1"),
            received("in1", "a"),
            received("in1", "b"),
            report("failed", "done"),
        ];
        let groups = group(&[(1, &events[..]), (1, &events[..])]);
        let mut statuses = open(&["m1"]);
        statuses.insert("done".into(), "DELIVERED".into());
        let decided = decide(&groups[0], false, &statuses, &InboundRules::default());
        assert_eq!(decided.plan.deliver, vec!["m1".to_owned()]);
        assert!(decided.plan.fail.is_empty());
        assert_eq!(decided.plan.receive.len(), 1, "one Bandwidth id, one row");
    }

    fn received_text(id: &str, text: &str) -> Effect {
        let mut effect = received(id, "a");
        if let Effect::Received { message, .. } = &mut effect {
            message.text = text.into();
        }
        effect
    }

    #[test]
    fn keywords_are_recognised_in_planning_and_a_contacts_last_opt_out_or_in_acts() {
        let events = [
            received_text("in1", " Stop "),
            received_text("in2", "HELP"),
            received_text("in3", "start"),
            received_text("in4", "stopwatch"),
        ];
        let groups = group(&[(1, &events[..])]);
        let decided = decide(&groups[0], false, &HashMap::new(), &InboundRules::default());
        let actions: Vec<Option<&str>> = decided
            .plan
            .receive
            .iter()
            .map(|r| r.consent.as_ref().map(|c| c.action))
            .collect();
        assert_eq!(actions, [None, Some("help"), Some("opt_in"), None]);
        let alone = [received_text("in5", "Please remove me")];
        let groups = group(&[(1, &alone[..])]);
        let decided = decide(&groups[0], false, &HashMap::new(), &InboundRules::default());
        let consent = decided.plan.receive[0].consent.clone().unwrap();
        assert_eq!(
            (
                consent.action,
                consent.source,
                consent.reason.as_str(),
                consent.confirm
            ),
            ("opt_out", "expression", "stop", true)
        );
    }

    #[test]
    fn reports_for_messages_not_stored_are_set_aside_per_organization() {
        let one = [report("delivered", "ghost")];
        let two = [report("delivered", "ghost")];
        let groups = group(&[(1, &one[..]), (2, &two[..])]);
        assert_eq!(groups.len(), 2);
        let decided = decide(&groups[1], false, &HashMap::new(), &InboundRules::default());
        assert_eq!(decided.missing.len(), 1);
        assert!(decided.plan.is_empty());
    }
}
