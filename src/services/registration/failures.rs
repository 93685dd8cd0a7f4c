//! The failure-outbox handler of registration: a send Bandwidth failed with 4476 (number on no
//! 10DLC campaign), 4773 (campaign inactive at a carrier), 4774 (10DLC provisioning missing) or
//! 4795 (toll-free not verified) marks the sending number's registration `BROKEN`, so the
//! picker and the sticky sender stop choosing it (under enforcement) until a refresh finds it
//! registered or verified again. A number with no registration row was never deliverable and
//! gets a `BROKEN` row, so its state shows why.

use sea_orm::{DatabaseTransaction, DbErr};

use crate::clock::Clock;
// The outbox row type from the store: `services::failures` calls this handler, so naming its
// re-export here would make a cycle among services modules.
use crate::services::registration::{BROKEN_CODES, kind_of};
use crate::store;
use crate::store::failures::SendFailure;
use crate::store::registration::NumberState;

/// Marks the sending numbers of registration failures broken, in the drainer's transaction.
pub async fn on_failures(
    txn: &DatabaseTransaction,
    clock: &Clock,
    failures: &[SendFailure],
) -> Result<(), DbErr> {
    let now = clock.now();
    for failure in failures {
        let Some(code) = failure.error_code.filter(|c| BROKEN_CODES.contains(c)) else {
            continue;
        };
        let text = if failure.text.trim().is_empty() {
            format!("Bandwidth failed a send with {code}")
        } else {
            failure.text.clone()
        };
        let marked = store::registration::mark_broken(
            txn,
            failure.organization_id,
            &failure.user_number,
            Some(code.to_string()),
            &text,
            now,
        )
        .await?;
        if !marked {
            let broken = NumberState {
                phone_number: failure.user_number.clone(),
                kind: kind_of(&failure.user_number),
                campaign_id: None,
                status: "BROKEN",
                deliverable: false,
                error_code: Some(code.to_string()),
                error_text: Some(text),
                resubmit_allowed: None,
                order_id: None,
            };
            store::registration::save_numbers(txn, failure.organization_id, &[broken], now).await?;
        }
        tracing::info!(
            org_id = failure.organization_id,
            code,
            "a send failed on the number's registration: marked broken"
        );
    }
    Ok(())
}
