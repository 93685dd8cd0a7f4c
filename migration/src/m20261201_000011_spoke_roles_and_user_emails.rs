use sea_orm_migration::{prelude::*, schema::*};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// Spoke's role ladder replaces the three lower-case roles; users get an email (Spoke's user
/// menu shows it).
#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string(Users::Email).default(""))
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(
                "UPDATE bandwidth_memberships SET role = CASE role \
                 WHEN 'owner' THEN 'OWNER' WHEN 'admin' THEN 'ADMIN' WHEN 'texter' THEN 'TEXTER' \
                 ELSE role END",
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // The old ladder has no suspended or in-between roles: a suspended member loses the
        // membership, a supervolunteer becomes an admin, a vetted texter a texter.
        let db = manager.get_connection();
        db.execute_unprepared("DELETE FROM bandwidth_memberships WHERE role = 'SUSPENDED'")
            .await?;
        db.execute_unprepared(
            "UPDATE bandwidth_memberships SET role = CASE role \
             WHEN 'OWNER' THEN 'owner' WHEN 'ADMIN' THEN 'admin' WHEN 'SUPERVOLUNTEER' THEN 'admin' \
             ELSE 'texter' END",
        )
        .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Email)
                    .to_owned(),
            )
            .await
    }
}

#[derive(DeriveIden)]
enum Users {
    #[sea_orm(iden = "bandwidth_users")]
    Table,
    Email,
}
