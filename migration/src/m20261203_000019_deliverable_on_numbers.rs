//! A number's registration verdict copied onto the number (`bandwidth_phone_numbers.deliverable`),
//! with the picker's three pace indexes again as partial indexes over deliverable numbers only.
//!
//! The registration filter was a probe of `bandwidth_number_registrations` for each candidate the
//! pace index walk reached. Numbers that cannot deliver are never picked, so they stay at the
//! front of that walk: with one number in ten unregistered, a pick at 100,000 numbers probed
//! thousands of them first. Over the partial indexes a pick reads deliverable numbers only.
//!
//! Triggers keep the copy: every write to a registration (insert, change of `deliverable`,
//! delete) sets its number's flag, and a number stored after its registration takes the flag
//! from it, whichever code or tool made the change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DatabaseBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

const PACE_INDEXES: [(&str, &str); 3] = [
    (
        "bandwidth_phone_numbers_pace_area_code_deliverable",
        "organization_id, status, area_code, free_at_ms",
    ),
    (
        "bandwidth_phone_numbers_pace_state_deliverable",
        "organization_id, status, state, free_at_ms",
    ),
    (
        "bandwidth_phone_numbers_pace_any_deliverable",
        "organization_id, status, free_at_ms",
    ),
];

/// SQLite: a registration inserted or its `deliverable` changed (same body), then deleted.
const SQLITE_REGISTRATION_WRITES: [(&str, &str); 2] =
    [("insert", "INSERT"), ("update", "UPDATE OF deliverable")];

const SQLITE_TRIGGERS: [&str; 2] = [
    "CREATE TRIGGER bandwidth_number_registrations_deliverable_delete
     AFTER DELETE ON bandwidth_number_registrations
     BEGIN
       UPDATE bandwidth_phone_numbers SET deliverable = 0
       WHERE organization_id = OLD.organization_id AND phone_number = OLD.phone_number
         AND deliverable;
     END",
    "CREATE TRIGGER bandwidth_phone_numbers_deliverable_insert
     AFTER INSERT ON bandwidth_phone_numbers
     WHEN EXISTS (SELECT 1 FROM bandwidth_number_registrations r
                  WHERE r.organization_id = NEW.organization_id
                    AND r.phone_number = NEW.phone_number AND r.deliverable)
     BEGIN
       UPDATE bandwidth_phone_numbers SET deliverable = 1 WHERE id = NEW.id;
     END",
];

const POSTGRES_TRIGGERS: [&str; 4] = [
    "CREATE FUNCTION bandwidth_number_registrations_copy_deliverable() RETURNS trigger
     LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'DELETE' THEN
         UPDATE bandwidth_phone_numbers SET deliverable = false
         WHERE organization_id = OLD.organization_id AND phone_number = OLD.phone_number
           AND deliverable;
         RETURN OLD;
       END IF;
       UPDATE bandwidth_phone_numbers SET deliverable = NEW.deliverable
       WHERE organization_id = NEW.organization_id AND phone_number = NEW.phone_number
         AND deliverable <> NEW.deliverable;
       RETURN NEW;
     END $$",
    "CREATE TRIGGER bandwidth_number_registrations_deliverable
     AFTER INSERT OR DELETE OR UPDATE OF deliverable ON bandwidth_number_registrations
     FOR EACH ROW EXECUTE FUNCTION bandwidth_number_registrations_copy_deliverable()",
    "CREATE FUNCTION bandwidth_phone_numbers_take_deliverable() RETURNS trigger
     LANGUAGE plpgsql AS $$
     BEGIN
       NEW.deliverable := EXISTS (SELECT 1 FROM bandwidth_number_registrations r
         WHERE r.organization_id = NEW.organization_id AND r.phone_number = NEW.phone_number
           AND r.deliverable);
       RETURN NEW;
     END $$",
    "CREATE TRIGGER bandwidth_phone_numbers_deliverable
     BEFORE INSERT ON bandwidth_phone_numbers
     FOR EACH ROW EXECUTE FUNCTION bandwidth_phone_numbers_take_deliverable()",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            "ALTER TABLE bandwidth_phone_numbers ADD COLUMN deliverable BOOLEAN NOT NULL DEFAULT false",
        )
        .await?;
        db.execute_unprepared(
            "UPDATE bandwidth_phone_numbers SET deliverable = EXISTS (
               SELECT 1 FROM bandwidth_number_registrations r
               WHERE r.organization_id = bandwidth_phone_numbers.organization_id
                 AND r.phone_number = bandwidth_phone_numbers.phone_number AND r.deliverable)",
        )
        .await?;
        for (name, columns) in PACE_INDEXES {
            db.execute_unprepared(&format!(
                "CREATE INDEX {name} ON bandwidth_phone_numbers ({columns}) WHERE deliverable"
            ))
            .await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            for trigger in POSTGRES_TRIGGERS {
                db.execute_unprepared(trigger).await?;
            }
            return Ok(());
        }
        for (name, event) in SQLITE_REGISTRATION_WRITES {
            db.execute_unprepared(&format!(
                "CREATE TRIGGER bandwidth_number_registrations_deliverable_{name}
                 AFTER {event} ON bandwidth_number_registrations
                 BEGIN
                   UPDATE bandwidth_phone_numbers SET deliverable = NEW.deliverable
                   WHERE organization_id = NEW.organization_id AND phone_number = NEW.phone_number
                     AND deliverable <> NEW.deliverable;
                 END"
            ))
            .await?;
        }
        for trigger in SQLITE_TRIGGERS {
            db.execute_unprepared(trigger).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let drops: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &[
                "DROP TRIGGER bandwidth_phone_numbers_deliverable ON bandwidth_phone_numbers",
                "DROP FUNCTION bandwidth_phone_numbers_take_deliverable",
                "DROP TRIGGER bandwidth_number_registrations_deliverable ON bandwidth_number_registrations",
                "DROP FUNCTION bandwidth_number_registrations_copy_deliverable",
            ],
            _ => &[
                "DROP TRIGGER bandwidth_phone_numbers_deliverable_insert",
                "DROP TRIGGER bandwidth_number_registrations_deliverable_delete",
                "DROP TRIGGER bandwidth_number_registrations_deliverable_update",
                "DROP TRIGGER bandwidth_number_registrations_deliverable_insert",
            ],
        };
        for drop in drops {
            db.execute_unprepared(drop).await?;
        }
        for (name, _) in PACE_INDEXES {
            db.execute_unprepared(&format!("DROP INDEX {name}")).await?;
        }
        db.execute_unprepared("ALTER TABLE bandwidth_phone_numbers DROP COLUMN deliverable")
            .await
            .map(|_| ())
    }
}
