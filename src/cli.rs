//! The commands of SPEC §1.1. Scriptable ones print only their result on stdout.

use anyhow::Context;

use crate::config::{Cli, Command, OrgCommand, Settings, TokenCommand};
use crate::services::access;
use crate::services::webhook_auth;
use crate::startup::{self, Application};
use crate::store;
use crate::{demo, emulator};

/// Runs one command to completion.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve {
            settings,
            no_migrate,
        } => {
            init_tracing(&settings.rust_log);
            let app = Application::build(settings, !no_migrate).await?;
            app.run_until_stopped(startup::shutdown_signal()).await
        }
        Command::Migrate { settings } => {
            init_tracing(&settings.rust_log);
            let db = open(&settings).await?;
            store::migrate(&db)
                .await
                .context("cannot apply the database migrations")?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::RotateSecrets { settings } => {
            let session_secret = settings.check_for_serve()?.clone();
            let secrets = crate::services::secrets::SecretBox::from_settings(
                settings.encryption_key.as_ref(),
                settings.encryption_key_previous.as_ref(),
                &session_secret,
            )?;
            let db = open_migrated(&settings).await?;
            let rotation = crate::services::credentials::reseal_all(&db, &secrets)
                .await
                .map_err(describe)?;
            println!(
                "resealed {} secrets under key {}; {} already current",
                rotation.resealed,
                secrets.key_id(),
                rotation.current
            );
            Ok(())
        }
        Command::Org {
            command: OrgCommand::Create { settings, name },
        } => {
            let db = open_migrated(&settings).await?;
            let id = access::create_organization(&db, &name)
                .await
                .map_err(describe)?;
            println!("{id}");
            Ok(())
        }
        Command::Token {
            command:
                TokenCommand::Create {
                    settings,
                    org,
                    role,
                    superadmin,
                    name,
                    email,
                },
        } => {
            let db = open_migrated(&settings).await?;
            let profile = access::UserProfile {
                display_name: name,
                email,
            };
            let token = match (superadmin, org, role) {
                (true, _, _) => access::create_superadmin_token(&db, &profile).await,
                (false, Some(org), Some(role)) => {
                    access::create_member_token(&db, org, role, &profile).await
                }
                _ => anyhow::bail!("give --org ID --role ROLE, or --superadmin"),
            }
            .map_err(describe)?;
            println!("{token}");
            Ok(())
        }
        Command::Emulator {
            listen,
            account_id,
            username,
            password,
            order_polls,
            enforce_registration,
            answer_delay_ms,
            rust_log,
        } => {
            init_tracing(&rust_log);
            let config = emulator::EmulatorConfig {
                account_id,
                username,
                password: password.expose().to_owned(),
                order_polls_to_complete: order_polls,
                // Sends need registration, as on Bandwidth (contract-2 §11), unless turned off.
                enforce_registration,
                answer_delay: std::time::Duration::from_millis(answer_delay_ms),
                ..Default::default()
            };
            eprintln!(
                "Bandwidth emulator on http://{listen}: BANDWIDTH_DASHBOARD_URL=http://{listen}/api BANDWIDTH_MESSAGING_URL=http://{listen}/api/v2"
            );
            emulator::run(listen, config, startup::shutdown_signal())
                .await
                .context("the emulator failed")
        }
        Command::Demo {
            listen,
            emulator_listen,
            database_url,
            session_secret,
            rust_log,
        } => {
            init_tracing(&rust_log);
            demo::run(
                demo::DemoOptions {
                    listen,
                    emulator_listen,
                    database_url,
                    session_secret,
                },
                startup::shutdown_signal(),
            )
            .await
        }
        Command::CallbackCredentials { settings, org } => {
            let secret = settings.check_for_serve()?;
            let base_url = settings.base_url();
            println!(
                "callback URL: {}",
                webhook_auth::callback_url(base_url, org)
            );
            println!("user id:      {}", webhook_auth::CALLBACK_USER);
            println!(
                "password:     {}",
                webhook_auth::password_for(secret, base_url, org).expose()
            );
            Ok(())
        }
    }
}

async fn open(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    store::connect_with(&settings.database_url, settings.sqlite_sync())
        .await
        .with_context(|| {
            format!(
                "cannot open the database at {}",
                startup::redact_url(&settings.database_url)
            )
        })
}

async fn open_migrated(settings: &Settings) -> anyhow::Result<sea_orm::DatabaseConnection> {
    let db = open(settings).await?;
    store::migrate(&db)
        .await
        .context("cannot apply the database migrations")?;
    Ok(db)
}

fn describe(e: crate::error::AppError) -> anyhow::Error {
    match e {
        crate::error::AppError::Db(db) => anyhow::Error::new(db).context("database error"),
        crate::error::AppError::Internal(inner) => inner,
        other => anyhow::anyhow!("{other}"),
    }
}

/// Logs to stderr, filtered by `RUST_LOG`.
pub fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}
