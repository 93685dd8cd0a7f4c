//! Who is calling and what they may do (SPEC §2): tokens, roles, organizations.
//!
//! Tokens are 256 random bits, shown once, stored as hex SHA-256. Roles are Spoke's ladder,
//! lowest first: `SUSPENDED TEXTER VETTED_TEXTER SUPERVOLUNTEER ADMIN OWNER`; a role includes
//! those below it, and a suspended member may do nothing. A superadmin spans every organization.

use std::collections::HashMap;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use rand::RngCore;
use sea_orm::{ConnectionTrait, DatabaseConnection, TransactionTrait};
use sha2::{Digest, Sha256};

use crate::error::{AppError, Result};
use crate::store;

/// A role in an organization (Spoke's ladder), ordered by what it may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// A member who may do nothing until an owner restores them.
    Suspended,
    /// Sends messages and reads conversations.
    Texter,
    /// A texter Spoke trusts with more assignments (no more rights here).
    VettedTexter,
    /// Spoke's supervolunteer: may also switch texting-hours enforcement.
    Supervolunteer,
    /// Reads configuration, numbers and jobs; buys and releases numbers.
    Admin,
    /// Changes credentials, provisions, changes the Settings page, reads callback credentials.
    Owner,
}

impl Role {
    /// Every role, lowest first.
    pub const LADDER: [Role; 6] = [
        Role::Suspended,
        Role::Texter,
        Role::VettedTexter,
        Role::Supervolunteer,
        Role::Admin,
        Role::Owner,
    ];

    /// The stored and displayed name (Spoke's).
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Suspended => "SUSPENDED",
            Role::Texter => "TEXTER",
            Role::VettedTexter => "VETTED_TEXTER",
            Role::Supervolunteer => "SUPERVOLUNTEER",
            Role::Admin => "ADMIN",
            Role::Owner => "OWNER",
        }
    }

    /// Parses a name in any case; the names of the first releases (`owner`, `admin`, `texter`)
    /// are Spoke's names in lower case, so they parse too.
    pub fn parse(s: &str) -> Option<Self> {
        let upper = s.trim().to_ascii_uppercase().replace('-', "_");
        Self::LADDER.into_iter().find(|r| r.as_str() == upper)
    }

    /// This role and every role below it, lowest first (Spoke's `currentUser.roles`).
    pub fn with_lower(self) -> impl Iterator<Item = Role> {
        Self::LADDER.into_iter().filter(move |r| *r <= self)
    }
}

/// An authenticated caller with the roles it holds, loaded once per request.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user_id: i32,
    pub superadmin: bool,
    /// The user's name as Spoke's user menu shows it.
    pub display_name: String,
    pub email: String,
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
            Some(Role::Suspended) => Err(AppError::Suspended),
            Some(held) if *held >= role => Ok(()),
            Some(_) => Err(AppError::RoleRequired(role.as_str())),
        }
    }

    /// The organizations where the caller holds at least `role`, as ids (a superadmin: `None`,
    /// meaning every organization).
    pub fn organizations_with(&self, role: Role) -> Option<Vec<i32>> {
        if self.superadmin {
            return None;
        }
        let mut ids: Vec<i32> = self
            .roles
            .iter()
            .filter(|(_, held)| **held >= role && **held != Role::Suspended)
            .map(|(org, _)| *org)
            .collect();
        ids.sort_unstable();
        Some(ids)
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
    let (user, memberships) = store::users::find_user_by_token_hash(db, &hash_token(token))
        .await?
        .ok_or(AppError::Unauthenticated)?;
    let roles = memberships
        .into_iter()
        .filter_map(|m| Role::parse(&m.role).map(|r| (m.organization_id, r)))
        .collect();
    Ok(Caller {
        user_id: user.id,
        superadmin: user.is_superadmin,
        display_name: user.name,
        email: user.email,
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

/// Who a new token's user is; empty fields get defaults naming the role and organization.
#[derive(Debug, Clone, Default)]
pub struct UserProfile {
    pub display_name: Option<String>,
    pub email: Option<String>,
}

/// The longest display name or email a user may have.
pub const MAX_PROFILE_FIELD: usize = 254;

impl UserProfile {
    fn resolve(&self, default_name: &str) -> Result<(String, String)> {
        let pick = |value: &Option<String>, field: &str, default: String| -> Result<String> {
            match value.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
                None => Ok(default),
                Some(v) if v.len() > MAX_PROFILE_FIELD => Err(AppError::InvalidInput(format!(
                    "{field} must be at most {MAX_PROFILE_FIELD} characters"
                ))),
                Some(v) => Ok(v.to_owned()),
            }
        };
        let name = pick(&self.display_name, "name", default_name.to_owned())?;
        let email = pick(
            &self.email,
            "email",
            // `.invalid` is reserved (RFC 2606): the default can never reach a real inbox.
            format!("{default_name}@spoke-bandwidth.invalid"),
        )?;
        if !email.contains('@') {
            return Err(AppError::InvalidInput(format!(
                "email {email:?} must contain an @"
            )));
        }
        Ok((name, email))
    }
}

/// Creates a user holding `role` in the organization and returns a new token for it.
pub async fn create_member_token(
    db: &DatabaseConnection,
    organization_id: i32,
    role: Role,
    profile: &UserProfile,
) -> Result<String> {
    let (name, email) = profile.resolve(&format!(
        "{}-of-org-{organization_id}",
        role.as_str().to_ascii_lowercase().replace('_', "-")
    ))?;
    let txn = db.begin().await?;
    if store::organizations::find(&txn, organization_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound(format!(
            "organization {organization_id} does not exist"
        )));
    }
    let user = store::users::insert_user(&txn, &name, &email, false).await?;
    store::users::insert_membership(&txn, user.id, organization_id, role.as_str()).await?;
    let token = issue_token(&txn, user.id).await?;
    txn.commit().await?;
    Ok(token)
}

/// Creates a superadmin user and returns a new token for it.
pub async fn create_superadmin_token(
    db: &DatabaseConnection,
    profile: &UserProfile,
) -> Result<String> {
    let (name, email) = profile.resolve("superadmin")?;
    let txn = db.begin().await?;
    let user = store::users::insert_user(&txn, &name, &email, true).await?;
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

    fn member_of(org: i32, role: Role) -> Caller {
        Caller {
            user_id: 1,
            superadmin: false,
            display_name: "t".into(),
            email: "t@example.org".into(),
            roles: HashMap::from([(org, role)]),
        }
    }

    fn texter_of(org: i32) -> Caller {
        member_of(org, Role::Texter)
    }

    #[test]
    fn spokes_role_names_parse_in_any_case_and_the_old_names_too() {
        assert_eq!(Role::parse("VETTED_TEXTER"), Some(Role::VettedTexter));
        assert_eq!(Role::parse("supervolunteer"), Some(Role::Supervolunteer));
        assert_eq!(Role::parse("owner"), Some(Role::Owner));
        assert_eq!(Role::parse("boss"), None);
        assert_eq!(
            Role::Admin
                .with_lower()
                .map(Role::as_str)
                .collect::<Vec<_>>(),
            [
                "SUSPENDED",
                "TEXTER",
                "VETTED_TEXTER",
                "SUPERVOLUNTEER",
                "ADMIN"
            ]
        );
    }

    #[test]
    fn a_suspended_member_can_do_nothing() {
        let caller = member_of(1, Role::Suspended);
        assert!(matches!(
            caller.require(1, Role::Texter),
            Err(AppError::Suspended)
        ));
        assert_eq!(caller.organizations_with(Role::Suspended), Some(vec![]));
    }

    #[test]
    fn a_supervolunteer_is_above_a_texter_and_below_an_admin() {
        let caller = member_of(1, Role::Supervolunteer);
        assert!(caller.require(1, Role::VettedTexter).is_ok());
        assert!(caller.require(1, Role::Supervolunteer).is_ok());
        assert!(matches!(
            caller.require(1, Role::Admin),
            Err(AppError::RoleRequired("ADMIN"))
        ));
        assert_eq!(caller.organizations_with(Role::Texter), Some(vec![1]));
        assert_eq!(caller.organizations_with(Role::Admin), Some(vec![]));
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
            Err(AppError::RoleRequired("OWNER"))
        ));
        assert!(texter_of(1).require(1, Role::Texter).is_ok());
    }

    #[test]
    fn a_superadmin_reaches_every_organization() {
        let caller = Caller {
            superadmin: true,
            roles: HashMap::new(),
            ..texter_of(1)
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
