//! Who is calling and what they may do (SPEC §2): tokens, roles, organizations.
//!
//! Tokens are 256 random bits, shown once, stored as hex SHA-256. Roles are ordered
//! `texter < admin < owner`; a superadmin spans every organization.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};
use crate::store;

/// A role in an organization, ordered by what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Sends messages and reads conversations.
    Texter,
    /// Reads configuration, numbers and jobs.
    Admin,
    /// Changes credentials, provisions, buys and releases numbers, reads callback credentials.
    Owner,
}

impl Role {
    /// The stored and displayed name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Texter => "texter",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "texter" => Some(Role::Texter),
            "admin" => Some(Role::Admin),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }
}

/// An authenticated caller with the roles it holds, loaded once per request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i32,
    pub superadmin: bool,
    roles: HashMap<i32, Role>,
}

impl Caller {
    /// Succeeds when the caller holds at least `role` in the organization (or is a superadmin).
    ///
    /// A caller with no role there gets [`AppError::Forbidden`], whether or not the organization
    /// exists, so the answer reveals nothing.
    pub fn require(&self, organization_id: i32, role: Role) -> Result<()> {
        if self.superadmin {
            return Ok(());
        }
        match self.roles.get(&organization_id) {
            None => Err(AppError::Forbidden),
            Some(held) if *held >= role => Ok(()),
            Some(_) => Err(AppError::RoleRequired(role.as_str())),
        }
    }

    /// The caller's role in the organization, if any (superadmins act as owners).
    pub fn role_in(&self, organization_id: i32) -> Option<Role> {
        if self.superadmin {
            Some(Role::Owner)
        } else {
            self.roles.get(&organization_id).copied()
        }
    }
}

/// Parses an organization id as sent by a client. A malformed id is an organization that does not
/// exist, so it gets the same `FORBIDDEN` as any other.
pub fn parse_organization_id(id: &str) -> Result<i32> {
    id.trim().parse::<i32>().map_err(|_| AppError::Forbidden)
}

/// Resolves a bearer token to its caller; an unknown or revoked token is `UNAUTHENTICATED`.
pub async fn authenticate(db: &impl ConnectionTrait, token: &str) -> Result<Caller> {
    let user = store::users::find_user_by_token_hash(db, &hash_token(token))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let roles = store::users::list_memberships(db, user.id)
        .await?
        .into_iter()
        .filter_map(|m| Role::parse(&m.role).map(|r| (m.organization_id, r)))
        .collect();
    Ok(Caller {
        user_id: user.id,
        superadmin: user.is_superadmin,
        roles,
    })
}

/// Creates an organization and returns its id.
pub async fn create_organization(db: &impl ConnectionTrait, name: &str) -> Result<i32> {
    let name = name.trim();
    if name.is_empty() {
        return Err(AppError::InvalidInput(
            "the organization name must not be empty".into(),
        ));
    }
    Ok(store::organizations::insert(db, name).await?.id)
}

/// Creates a user holding `role` in the organization and returns a new token for it.
pub async fn create_member_token(
    db: &DatabaseConnection,
    organization_id: i32,
    role: Role,
) -> Result<String> {
    let txn = db.begin().await?;
    if store::organizations::find(&txn, organization_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(format!(
            "organization {organization_id} does not exist"
        )));
    }
    let user = store::users::insert_user(
        &txn,
        &format!("{}-of-org-{organization_id}", role.as_str()),
        false,
    )
    .await?;
    store::users::insert_membership(&txn, user.id, organization_id, role.as_str()).await?;
    let token = issue_token(&txn, user.id).await?;
    txn.commit().await?;
    Ok(token)
}

/// Creates a superadmin user and returns a new token for it.
pub async fn create_superadmin_token(db: &DatabaseConnection) -> Result<String> {
    let txn = db.begin().await?;
    let user = store::users::insert_user(&txn, "superadmin", true).await?;
    let token = issue_token(&txn, user.id).await?;
    txn.commit().await?;
    Ok(token)
}

async fn issue_token(db: &impl ConnectionTrait, user_id: i32) -> Result<String> {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let token = format!("sbw_{}", B64URL.encode(bytes));
    store::users::insert_token(db, user_id, &hash_token(&token)).await?;
    Ok(token)
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texter_of(org: i32) -> Caller {
        Caller {
            user_id: 1,
            superadmin: false,
            roles: HashMap::from([(org, Role::Texter)]),
        }
    }

    #[test]
    fn a_member_of_another_organization_is_forbidden() {
        assert!(matches!(
            texter_of(1).require(2, Role::Texter),
            Err(AppError::Forbidden)
        ));
    }

    #[test]
    fn a_texter_cannot_act_as_an_owner() {
        assert!(matches!(
            texter_of(1).require(1, Role::Owner),
            Err(AppError::RoleRequired("owner"))
        ));
        assert!(texter_of(1).require(1, Role::Texter).is_ok());
    }

    #[test]
    fn a_superadmin_reaches_every_organization() {
        let caller = Caller {
            user_id: 1,
            superadmin: true,
            roles: HashMap::new(),
        };
        assert!(caller.require(42, Role::Owner).is_ok());
    }

    #[test]
    fn a_malformed_organization_id_is_forbidden_like_a_missing_one() {
        assert!(matches!(
            parse_organization_id("abc"),
            Err(AppError::Forbidden)
        ));
        assert_eq!(parse_organization_id("7").unwrap(), 7);
    }
}
