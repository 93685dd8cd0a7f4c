//! Sticky contacts follow their number: when a number is quarantined, retired or released, its
//! contacts' sticky sender moves to healthy siblings — the same area code, else the same state,
//! else any — dealt round-robin so no sibling takes them all, each move recorded in the
//! contact's sender history. A number that recovers gets no contacts back.

use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr};

use crate::services::area_codes;
use crate::store;
use crate::store::entities::phone_number;
use crate::store::health::{NewHistory, Siblings};

/// Moves every contact pinned to `number` to its siblings; returns how many moved.
pub async fn move_contacts_off(
    db: &impl ConnectionTrait,
    number: &phone_number::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let org = number.organization_id;
    let contacts = store::health::contacts_of(db, org, &number.phone_number).await?;
    if contacts.is_empty() {
        return Ok(0);
    }
    let mut tiers = vec![Siblings::AreaCode(&number.area_code)];
    if number.state != area_codes::NO_REGION {
        tiers.push(Siblings::State(&number.state));
    }
    tiers.push(Siblings::Any);
    let mut siblings = Vec::new();
    for tier in tiers {
        siblings = store::health::healthy_siblings(db, org, tier, &number.phone_number).await?;
        if !siblings.is_empty() {
            break;
        }
    }
    let assignment = deal(&contacts, &siblings);
    let mut history = Vec::with_capacity(contacts.len());
    for (sibling, dealt) in &assignment {
        store::health::move_contacts(
            db,
            org,
            &number.phone_number,
            sibling.as_deref(),
            dealt,
            now,
        )
        .await?;
        history.extend(dealt.iter().map(|c| NewHistory {
            contact_number: c.clone(),
            from_number: Some(number.phone_number.clone()),
            to_number: sibling.clone(),
        }));
    }
    store::health::insert_history(db, org, history, reason, now).await?;
    Ok(contacts.len())
}

/// Deals contacts round-robin over the siblings; with no sibling, every pin is cleared (`None`:
/// the picker chooses at the contact's next send).
fn deal(contacts: &[String], siblings: &[String]) -> Vec<(Option<String>, Vec<String>)> {
    if siblings.is_empty() {
        return vec![(None, contacts.to_vec())];
    }
    let mut dealt: Vec<(Option<String>, Vec<String>)> = siblings
        .iter()
        .map(|s| (Some(s.clone()), Vec::new()))
        .collect();
    for (i, contact) in contacts.iter().enumerate() {
        dealt[i % siblings.len()].1.push(contact.clone());
    }
    dealt.retain(|(_, c)| !c.is_empty());
    dealt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contacts_are_spread_over_every_sibling_and_none_takes_them_all() {
        let contacts: Vec<String> = (0..5).map(|i| format!("c{i}")).collect();
        let siblings = vec!["a".to_owned(), "b".to_owned()];
        let dealt = deal(&contacts, &siblings);
        assert_eq!(dealt.len(), 2);
        assert_eq!(dealt[0].1.len(), 3);
        assert_eq!(dealt[1].1.len(), 2);
        assert_eq!(deal(&contacts, &[]), vec![(None, contacts.clone())]);
    }
}
