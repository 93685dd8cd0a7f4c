//! Schema migrations for spoke-bandwidth, shared by SQLite and PostgreSQL.
//!
//! Identifiers stay local to each migration; nothing here imports the application's entities.

pub use sea_orm_migration::prelude::*;

mod m20261130_000001_create_organizations;
mod m20261130_000002_create_users_tokens_memberships;
mod m20261130_000003_create_bandwidth_accounts;
mod m20261130_000004_create_phone_numbers;
mod m20261130_000005_create_jobs;
mod m20261130_000006_add_provisioning_to_accounts;
mod m20261130_000007_create_messages_contacts_callbacks;
mod m20261130_000008_callbacks_without_keys;
mod m20261201_000011_spoke_roles_and_user_emails;
mod m20261201_000012_create_orphan_reports;
mod m20261201_000012b_index_sends_in_flight;
mod m20261201_000013_add_send_outcomes_to_messages;
mod m20261201_000014_add_job_lanes_and_keys;
mod m20261202_000010_create_send_failures;
mod m20261202_000015_create_opt_outs;
mod m20261202_000016_create_registrations;
mod m20261202_000017_number_health;
mod m20261202_000018_index_contacts_by_sender;
mod m20261203_000019_deliverable_on_numbers;
mod m20261203_000020_hot_status_moves;

/// Applies this project's migrations, recorded in its own table so it can share a database with Spoke.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261130_000001_create_organizations::Migration),
            Box::new(m20261130_000002_create_users_tokens_memberships::Migration),
            Box::new(m20261130_000003_create_bandwidth_accounts::Migration),
            Box::new(m20261130_000004_create_phone_numbers::Migration),
            Box::new(m20261130_000005_create_jobs::Migration),
            Box::new(m20261130_000006_add_provisioning_to_accounts::Migration),
            Box::new(m20261130_000007_create_messages_contacts_callbacks::Migration),
            Box::new(m20261130_000008_callbacks_without_keys::Migration),
            Box::new(m20261201_000011_spoke_roles_and_user_emails::Migration),
            Box::new(m20261201_000013_add_send_outcomes_to_messages::Migration),
            Box::new(m20261201_000014_add_job_lanes_and_keys::Migration),
            Box::new(m20261201_000012_create_orphan_reports::Migration),
            Box::new(m20261201_000012b_index_sends_in_flight::Migration),
            Box::new(m20261202_000010_create_send_failures::Migration),
            Box::new(m20261202_000015_create_opt_outs::Migration),
            Box::new(m20261202_000016_create_registrations::Migration),
            Box::new(m20261202_000017_number_health::Migration),
            Box::new(m20261202_000018_index_contacts_by_sender::Migration),
            Box::new(m20261203_000019_deliverable_on_numbers::Migration),
            Box::new(m20261203_000020_hot_status_moves::Migration),
        ]
    }

    fn migration_table_name() -> DynIden {
        "bandwidth_migrations".into_iden()
    }
}
