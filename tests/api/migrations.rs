//! Migrations go up, down to zero, and up again, on the configured database.

use migration::{Migrator, MigratorTrait};
use sea_orm::ConnectionTrait;

use crate::helpers::fresh_database;

#[tokio::test]
async fn migrations_go_up_down_to_zero_and_up_again() {
    let database = fresh_database().await;
    let db = spoke_bandwidth::store::connect(&database.url)
        .await
        .unwrap();
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
