//! Choosing the sender of a message: the service managers in order (SPEC §4), with the
//! sticky-sender pin written at send time (issue #13).
//!
//! The first number chosen for a contact is pinned when the message is sent (one upsert that
//! only fills an empty pin or replaces a number that is no longer active), so the next message —
//! even one sent a moment later, before any delivery — comes from the same number, and
//! concurrent first sends agree: each reads back the pin that won. Delivery rewrites the same
//! pin (the callback path), confirming it. The pin moves when its number is released or
//! quarantined, or when the contact's last failure says that number cannot reach it
//! ([`moves_pin`]).

use sea_orm::ConnectionTrait;

use crate::error::Result;
use crate::services::managers::{Manager, PickerOptions, Proposal};
use crate::services::phone::PhoneNumber;
use crate::services::{area_codes, health};
use crate::store;
use crate::store::phone_numbers::PickFrom;

/// Failure codes that mean our sending number cannot reach the contact, so the pin moves to
/// another number (contract-2 §9: the sending number's reputation or configuration — spam
/// strikes, a barred or unprovisioned number, a wrong application, an unverified toll-free
/// number, a block downstream). Codes about the contact (an invalid or opted-out recipient) or
/// the content do not move it: another number would fare no better.
pub const PIN_MOVING_CODES: &[i32] = &[4403, 4405, 4407, 4452, 4470, 4481, 4770, 4772, 4795];

/// Whether a contact's last failure code means its pinned number cannot reach it.
pub fn moves_pin(last_error_code: Option<i32>) -> bool {
    last_error_code.is_some_and(|c| PIN_MOVING_CODES.contains(&c))
}

/// Runs the managers in order; the first that proposes a number wins. With `registered_only`
/// (the organization enforces registration, issue #16) neither the pin nor the picker offers a
/// number whose registration is not deliverable; such a pin moves like a released one.
#[allow(clippy::too_many_arguments)] // what a choice depends on; the transaction is the caller's
pub async fn choose_sender(
    db: &impl ConnectionTrait,
    now: i64,
    org: i32,
    list: &[Manager],
    picker: PickerOptions,
    contact: &PhoneNumber,
    cost_ms: i64,
    registered_only: bool,
) -> Result<Option<Proposal>> {
    let sticky = list.contains(&Manager::StickySender);
    let mut moving_from: Option<String> = None;
    for manager in list {
        match manager {
            Manager::StickySender => {
                let Some(pin) = store::sends::find_pin(db, org, contact.as_str()).await? else {
                    continue;
                };
                // Number health: a quarantined, retired or paused number does not keep its pin.
                let healthy = pin
                    .health
                    .as_deref()
                    .is_some_and(|h| health::may_send_from(h, pin.paused_until_ms, now));
                // Registration (issue #16): nor does one that cannot deliver, when enforced.
                let deliverable = !registered_only || pin.deliverable;
                if pin.active && healthy && deliverable && !moves_pin(pin.last_error_code) {
                    store::phone_numbers::touch(db, org, &pin.user_number, now, cost_ms).await?;
                    return Ok(Some(Proposal {
                        user_number: pin.user_number,
                        by: Manager::StickySender,
                    }));
                }
                if pin.active {
                    moving_from = Some(pin.user_number);
                }
            }
            Manager::NumpickerBasic => {
                let Some(mut number) =
                    pick_number(db, now, org, picker, contact, cost_ms, registered_only).await?
                else {
                    continue;
                };
                if moving_from.as_ref() == Some(&number) {
                    // The least recently used was the number we move away from; take the next.
                    if let Some(other) =
                        pick_number(db, now, org, picker, contact, cost_ms, registered_only).await?
                    {
                        number = other;
                    }
                }
                if !sticky {
                    return Ok(Some(Proposal {
                        user_number: number,
                        by: Manager::NumpickerBasic,
                    }));
                }
                let pinned =
                    store::sends::pin(db, org, contact.as_str(), &number, moving_from.as_deref())
                        .await?;
                return Ok(Some(match pinned {
                    // A concurrent first send pinned another number: use it too.
                    Some(winner) if winner != number => Proposal {
                        user_number: winner,
                        by: Manager::StickySender,
                    },
                    _ => Proposal {
                        user_number: number,
                        by: Manager::NumpickerBasic,
                    },
                }));
            }
        }
    }
    Ok(None)
}

/// numpicker-basic: the contact's area code, then its state, then any active number (the first two
/// tiers unless the organization turned them off); the least recently used of those.
async fn pick_number(
    db: &impl ConnectionTrait,
    now: i64,
    org: i32,
    picker: PickerOptions,
    contact: &PhoneNumber,
    cost_ms: i64,
    registered_only: bool,
) -> Result<Option<String>> {
    let area_code = contact.area_code();
    let region = area_code
        .map(area_codes::region_of)
        .filter(|r| *r != area_codes::NO_REGION);
    let tiers = [
        area_code
            .filter(|_| picker.match_area_code)
            .map(PickFrom::AreaCode),
        region.filter(|_| picker.match_state).map(PickFrom::State),
        Some(PickFrom::Any),
    ];
    for tier in tiers.into_iter().flatten() {
        if let Some(number) = store::phone_numbers::take_least_recently_used(
            db,
            org,
            tier,
            now,
            cost_ms,
            registered_only,
        )
        .await?
        {
            return Ok(Some(number.phone_number));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_side_failures_move_the_pin_and_contact_side_ones_do_not() {
        assert!(moves_pin(Some(4470)));
        assert!(moves_pin(Some(4481)));
        assert!(
            !moves_pin(Some(4720)),
            "an invalid destination stays invalid"
        );
        assert!(!moves_pin(Some(4775)), "an opt-out is about the contact");
        assert!(!moves_pin(None));
    }
}
