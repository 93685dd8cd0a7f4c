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

/// How many contacts are read and moved at a time: a number may hold hundreds of thousands. A
/// page is dealt over up to every sibling with one statement per sibling, so pages are large
/// (a few MiB of contact numbers).
const PAGE: u64 = 10_000;

/// Moves every contact pinned to `number` to its siblings, a page at a time; returns how many
/// moved.
pub async fn move_contacts_off(
    db: &impl ConnectionTrait,
    number: &phone_number::Model,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<usize, DbErr> {
    let org = number.organization_id;
    let mut siblings: Option<Vec<String>> = None;
    let mut moved = 0;
    let mut after: Option<String> = None;
    loop {
        let contacts =
            store::health::contacts_of(db, org, &number.phone_number, after.as_deref(), PAGE)
                .await?;
        let Some(last) = contacts.last() else {
            return Ok(moved);
        };
        let siblings = match &siblings {
            Some(found) => found,
            None => siblings.insert(siblings_of(db, number).await?),
        };
        let mut history = Vec::with_capacity(contacts.len());
        for (sibling, dealt) in deal(&contacts, siblings, moved) {
            store::health::move_contacts(
                db,
                org,
                &number.phone_number,
                sibling.as_deref(),
                &dealt,
                now,
            )
            .await?;
            history.extend(dealt.into_iter().map(|c| NewHistory {
                contact_number: c,
                from_number: Some(number.phone_number.clone()),
                to_number: sibling.clone(),
            }));
        }
        store::health::insert_history(db, org, history, reason, now).await?;
        moved += contacts.len();
        after = Some(last.clone());
    }
}

/// The healthy numbers `number`'s contacts move to: the same area code, else the same state,
/// else any.
async fn siblings_of(
    db: &impl ConnectionTrait,
    number: &phone_number::Model,
) -> Result<Vec<String>, DbErr> {
    let mut tiers = vec![Siblings::AreaCode(&number.area_code)];
    if number.state != area_codes::NO_REGION {
        tiers.push(Siblings::State(&number.state));
    }
    tiers.push(Siblings::Any);
    for tier in tiers {
        let found =
            store::health::healthy_siblings(db, number.organization_id, tier, &number.phone_number)
                .await?;
        if !found.is_empty() {
            return Ok(found);
        }
    }
    Ok(Vec::new())
}

/// Deals contacts round-robin over the siblings, going on from the `dealt_before`th contact of
/// earlier pages; with no sibling, every pin is cleared (`None`: the picker chooses at the
/// contact's next send).
fn deal(
    contacts: &[String],
    siblings: &[String],
    dealt_before: usize,
) -> Vec<(Option<String>, Vec<String>)> {
    if siblings.is_empty() {
        return vec![(None, contacts.to_vec())];
    }
    let mut dealt: Vec<(Option<String>, Vec<String>)> = siblings
        .iter()
        .map(|s| (Some(s.clone()), Vec::new()))
        .collect();
    for (i, contact) in contacts.iter().enumerate() {
        dealt[(dealt_before + i) % siblings.len()]
            .1
            .push(contact.clone());
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
        let dealt = deal(&contacts, &siblings, 0);
        assert_eq!(dealt.len(), 2);
        assert_eq!(dealt[0].1.len(), 3);
        assert_eq!(dealt[1].1.len(), 2);
        assert_eq!(deal(&contacts, &[], 0), vec![(None, contacts.clone())]);
    }

    #[test]
    fn a_later_page_goes_on_dealing_where_the_last_one_stopped() {
        let siblings = vec!["a".to_owned(), "b".to_owned()];
        let page = vec!["c5".to_owned()];
        assert_eq!(
            deal(&page, &siblings, 5),
            vec![(Some("b".to_owned()), page.clone())]
        );
    }
}
