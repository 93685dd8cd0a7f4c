//! Migrations go up, down to zero, and up again, on the configured database.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::{TestDatabase, fresh_database, texts};

/// A fresh database (kept while the test runs) and a connection to it, no migration applied.
async fn unmigrated() -> (TestDatabase, sea_orm::DatabaseConnection) {
    let database = fresh_database().await;
    let db = spoke_bandwidth::store::connect(&database.url)
        .await
        .unwrap();
    (database, db)
}

#[tokio::test]
async fn migrations_go_up_down_to_zero_and_up_again() {
    let (_database, db) = unmigrated().await;
    let count_orgs = "SELECT COUNT(*) FROM bandwidth_organizations";

    Migrator::up(&db, None).await.expect("up");
    db.execute_unprepared(count_orgs)
        .await
        .expect("the tables exist after up");
    Migrator::down(&db, None).await.expect("down to zero");
    assert!(
        Migrator::get_applied_migrations(&db)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        db.execute_unprepared(count_orgs).await.is_err(),
        "the tables are gone after down"
    );
    Migrator::up(&db, None).await.expect("up again");
    db.execute_unprepared(count_orgs)
        .await
        .expect("the tables exist again");
}

#[tokio::test]
async fn the_roles_of_the_first_releases_become_spokes_role_names() {
    let (_database, db) = unmigrated().await;
    // The eight migrations before Spoke's role ladder.
    Migrator::up(&db, Some(8))
        .await
        .expect("up to the old roles");
    db.execute_unprepared(
        "INSERT INTO bandwidth_organizations (id, name, settings, created_at) VALUES (1, 'Org', '{}', '2026-11-30 00:00:00')",
    )
    .await
    .unwrap();
    for (id, role) in [(1, "owner"), (2, "admin"), (3, "texter")] {
        db.execute_unprepared(&format!(
            "INSERT INTO bandwidth_users (id, name, is_superadmin, created_at) VALUES ({id}, 'u{id}', false, '2026-11-30 00:00:00')"
        ))
        .await
        .unwrap();
        db.execute_unprepared(&format!(
            "INSERT INTO bandwidth_memberships (user_id, organization_id, role) VALUES ({id}, 1, '{role}')"
        ))
        .await
        .unwrap();
    }
    Migrator::up(&db, None).await.expect("up");
    let roles = texts(
        &db,
        "SELECT role FROM bandwidth_memberships ORDER BY user_id",
    )
    .await;
    assert_eq!(roles, ["OWNER", "ADMIN", "TEXTER"]);
}

#[tokio::test]
async fn a_numbers_deliverable_copy_follows_its_registration_whoever_writes_it() {
    let (_database, db) = unmigrated().await;
    let before_the_copy = Migrator::migrations().len() as u32 - 1;
    Migrator::up(&db, Some(before_the_copy)).await.unwrap();
    for sql in [
        "INSERT INTO bandwidth_organizations (id, name, settings, created_at) VALUES (1, 'Vote Now', '{}', CURRENT_TIMESTAMP)",
        "INSERT INTO bandwidth_phone_numbers (organization_id, phone_number, area_code, state, status, last_used_at, created_at) VALUES
           (1, '+19195550100', '919', 'North Carolina', 'active', 0, CURRENT_TIMESTAMP),
           (1, '+19195550101', '919', 'North Carolina', 'active', 0, CURRENT_TIMESTAMP)",
        "INSERT INTO bandwidth_number_registrations (organization_id, phone_number, kind, campaign_id, status, deliverable, updated_at) VALUES
           (1, '+19195550100', 'LOCAL', 'CABC123', 'ACTIVE', true, CURRENT_TIMESTAMP),
           (1, '+19195550101', 'LOCAL', NULL, 'NONE', false, CURRENT_TIMESTAMP)",
    ] {
        db.execute_unprepared(sql).await.unwrap();
    }
    let deliverable = || {
        texts(
            &db,
            "SELECT phone_number FROM bandwidth_phone_numbers WHERE deliverable ORDER BY phone_number",
        )
    };
    Migrator::up(&db, None).await.unwrap();
    assert_eq!(
        deliverable().await,
        ["+19195550100"],
        "the copy starts from the registrations"
    );

    let steps = [
        (
            "UPDATE bandwidth_number_registrations SET deliverable = true WHERE phone_number = '+19195550101'",
            vec!["+19195550100", "+19195550101"],
        ),
        (
            "UPDATE bandwidth_number_registrations SET deliverable = false WHERE phone_number = '+19195550100'",
            vec!["+19195550101"],
        ),
        (
            "DELETE FROM bandwidth_number_registrations WHERE phone_number = '+19195550101'",
            vec![],
        ),
        (
            "INSERT INTO bandwidth_number_registrations (organization_id, phone_number, kind, campaign_id, status, deliverable, updated_at) VALUES (1, '+19195550101', 'LOCAL', 'CABC123', 'ACTIVE', true, CURRENT_TIMESTAMP)",
            vec!["+19195550101"],
        ),
        (
            "DELETE FROM bandwidth_phone_numbers WHERE phone_number = '+19195550101'",
            vec![],
        ),
        (
            "INSERT INTO bandwidth_phone_numbers (organization_id, phone_number, area_code, state, status, last_used_at, created_at) VALUES (1, '+19195550101', '919', 'North Carolina', 'active', 0, CURRENT_TIMESTAMP)",
            vec!["+19195550101"],
        ),
    ];
    for (sql, expected) in steps {
        db.execute_unprepared(sql).await.unwrap();
        assert_eq!(deliverable().await, expected, "after {sql}");
    }
}
