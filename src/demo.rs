//! `spoke-bandwidth demo`: the server and the Bandwidth emulator wired together on loopback, with
//! a seeded organization, so a newcomer can try everything without a Bandwidth account.
//!
//! What it prints on stdout is meant to be read by people and parsed by scripts: one
//! `GraphiQL: <url>` line, one `Token: <token>` line, one `Organization: <id>` line, then three
//! operations, each under a line starting with `# ` and ended by a blank line. Logs go to stderr.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Context, bail};
use rand::RngCore;
use tokio::net::TcpListener;

use crate::config::{Secret, Settings};
use crate::emulator::{self, Emulator, EmulatorConfig};
use crate::services::access::{self, Role};
use crate::services::credentials::{self, Address, CredentialsUpdate};
use crate::services::provisioning::{self, ProvisioningState, StepStatus};
use crate::services::{jobs, numbers, registration};
use crate::startup::Application;
use crate::state::AppState;

/// The area codes the demo buys numbers in (Raleigh NC and San Francisco CA), and how many each.
const AREA_CODES: [&str; 2] = ["919", "415"];
const NUMBERS_PER_AREA_CODE: i32 = 3;
/// A contact in the first area code, so the number picker's area-code match shows.
const DEMO_CONTACT: &str = "+19195550123";
/// The approved 10DLC campaign the demo seeds in the emulator and puts its numbers on.
const DEMO_CAMPAIGN: &str = "CDEMO01";
/// How long the seeding waits for a purchase job (the emulator completes orders at once).
const JOB_WAIT: Duration = Duration::from_secs(60);

/// Where the demo listens and what it stores.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    pub listen: SocketAddr,
    pub emulator_listen: SocketAddr,
    /// `None`: SQLite in a temporary folder removed at exit.
    pub database_url: Option<String>,
    /// `None`: a random secret for this run.
    pub session_secret: Option<Secret>,
}

/// Runs the demo until `shutdown` resolves, then stops the server and the emulator.
pub async fn run(
    options: DemoOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let emulator_listener = TcpListener::bind(options.emulator_listen)
        .await
        .with_context(|| {
            format!(
                "cannot listen on {} for the emulator (set --emulator-listen or EMULATOR_LISTEN)",
                options.emulator_listen
            )
        })?;
    // The emulator enforces registration as Bandwidth does: the demo registers its numbers.
    let config = EmulatorConfig {
        enforce_registration: true,
        ..EmulatorConfig::default()
    };
    let emulator = emulator::spawn(emulator_listener, config)
        .await
        .context("the emulator did not start")?;

    let folder = match options.database_url {
        Some(_) => None,
        None => Some(tempfile::tempdir().context("cannot create a temporary folder")?),
    };
    let database_url = match (&options.database_url, &folder) {
        (Some(url), _) => url.clone(),
        (None, Some(folder)) => format!(
            "sqlite://{}?mode=rwc",
            folder.path().join("demo.db").display()
        ),
        (None, None) => unreachable!("a folder is made when no database URL is given"),
    };
    let secret = options.session_secret.unwrap_or_else(random_secret);

    let listener = TcpListener::bind(options.listen).await.with_context(|| {
        format!(
            "cannot listen on {} (set --listen or LISTEN_ADDR)",
            options.listen
        )
    })?;
    let addr = listener.local_addr()?;
    let mut settings = Settings::for_database(database_url, Some(secret.expose()));
    settings.listen_addr = addr;
    settings.base_url = format!("http://{addr}");
    settings.bandwidth_dashboard_url = emulator.dashboard_url();
    settings.bandwidth_messaging_url = emulator.messaging_url();
    let app = Application::build_on(listener, settings, true).await?;
    let state = app.state().clone();
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until_stopped(async {
        let _ = server_stopped.await;
    }));

    let seeded = seed(&state, &emulator).await;
    if let Ok(seed) = &seeded {
        print_welcome(addr, &emulator, seed);
        shutdown.await;
        eprintln!("stopping the server and the emulator");
    }
    let _ = stop_server.send(());
    let served = server.await.context("the server task failed")?;
    emulator.shutdown().await;
    drop(folder);
    seeded?;
    served
}

/// What the seeding made.
struct Seed {
    organization_id: i32,
    token: String,
    numbers: Vec<String>,
}

/// Organization, owner token, credentials, provisioning and numbers, through the same services
/// the GraphQL mutations use.
async fn seed(state: &AppState, emulator: &Emulator) -> anyhow::Result<Seed> {
    let organization_id = access::create_organization(&state.db, "Demo organization")
        .await
        .map_err(|e| anyhow::anyhow!("cannot create the organization: {e}"))?;
    let token =
        access::create_member_token(&state.db, organization_id, Role::Owner, &Default::default())
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the owner token: {e}"))?;
    let config = emulator.state().config().clone();
    credentials::update_credentials(
        state,
        organization_id,
        CredentialsUpdate {
            account_id: config.account_id,
            user_name: config.username,
            password: Some(config.password),
            address: Some(Address {
                house_number: Some("900".into()),
                street_name: Some("Main Campus Dr".into()),
                city: Some("Raleigh".into()),
                state_code: Some("NC".into()),
                zip: Some("27606".into()),
                country: Some("United States".into()),
            }),
            ..Default::default()
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("the emulator refused the demo credentials: {e}"))?;

    let outcome = provisioning::provision(state, organization_id, None)
        .await
        .map_err(|e| anyhow::anyhow!("provisioning failed: {e}"))?;
    if outcome.state != ProvisioningState::Complete {
        let failed = outcome
            .steps
            .iter()
            .find(|s| s.status == StepStatus::Failed)
            .map(|s| format!("{}: {}", s.name, s.detail.clone().unwrap_or_default()))
            .unwrap_or_default();
        bail!("provisioning failed at {failed}");
    }

    // Registration: an approved 10DLC campaign on the (emulated) account, read by a refresh, made
    // the default campaign, so the purchases below put every number on it.
    emulator.state().seed_campaign(DEMO_CAMPAIGN);
    let refresh = registration::request_refresh(state, organization_id)
        .await
        .map_err(|e| anyhow::anyhow!("cannot refresh the campaigns: {e}"))?;
    wait_for_job(state, organization_id, refresh.id).await?;
    registration::campaigns::update_settings(
        state,
        organization_id,
        Some(true),
        Some(DEMO_CAMPAIGN.to_owned()),
    )
    .await
    .map_err(|e| anyhow::anyhow!("cannot name the default campaign: {e}"))?;

    for area_code in AREA_CODES {
        let job =
            numbers::request_purchase(state, organization_id, area_code, NUMBERS_PER_AREA_CODE)
                .await
                .map_err(|e| anyhow::anyhow!("cannot order numbers in {area_code}: {e}"))?;
        wait_for_job(state, organization_id, job.id).await?;
    }
    let numbers = numbers::list(state, organization_id, None)
        .await
        .map_err(|e| anyhow::anyhow!("cannot list the numbers: {e}"))?
        .into_iter()
        .map(|n| n.phone_number)
        .collect();
    Ok(Seed {
        organization_id,
        token,
        numbers,
    })
}

async fn wait_for_job(state: &AppState, organization_id: i32, id: i32) -> anyhow::Result<()> {
    let deadline = tokio::time::Instant::now() + JOB_WAIT;
    loop {
        let job = jobs::find(state, organization_id, &id.to_string())
            .await
            .map_err(|e| anyhow::anyhow!("cannot read job {id}: {e}"))?;
        match job.state.as_str() {
            "SUCCEEDED" => return Ok(()),
            "FAILED" => bail!(
                "job {id} failed: {}",
                job.result_message.unwrap_or_default()
            ),
            _ if tokio::time::Instant::now() >= deadline => {
                bail!("job {id} did not finish within {JOB_WAIT:?}")
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

fn random_secret() -> Secret {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    Secret::new(hex::encode(bytes))
}

/// The three operations printed for pasting into GraphiQL, with their headings.
pub fn operations(organization_id: i32) -> [(&'static str, String); 3] {
    [
        (
            "Send a message (a text containing \"autorespond\" gets a reply from the emulated contact)",
            format!(
                r#"mutation SendMessage {{
  sendMessage(organizationId: "{organization_id}", input: {{contactNumber: "{DEMO_CONTACT}", text: "Hello from the spoke-bandwidth demo"}}) {{
    id sendStatus userNumber contactNumber text
  }}
}}"#
            ),
        ),
        (
            "Read the conversation",
            format!(
                r#"query Conversation {{
  organization(id: "{organization_id}") {{
    conversation(contactNumber: "{DEMO_CONTACT}") {{ id text isFromContact userNumber sendStatus errorDescription createdAt }}
  }}
}}"#
            ),
        ),
        (
            "List numbers",
            format!(
                r#"query Numbers {{
  organization(id: "{organization_id}") {{
    phoneNumberCounts {{ areaCode state availableCount allocatedCount }}
    phoneNumbers {{ phoneNumber areaCode state status lastUsedAt campaignId registrationStatus }}
  }}
}}"#
            ),
        ),
    ]
}

fn print_welcome(addr: SocketAddr, emulator: &Emulator, seed: &Seed) {
    let mut out = String::new();
    out.push_str(
        "spoke-bandwidth demo: the server and a Bandwidth emulator are running on loopback.\n",
    );
    out.push_str(&format!("GraphiQL: http://{addr}/graphql\n"));
    out.push_str(&format!("Token: {}\n", seed.token));
    out.push_str(&format!("Organization: {}\n", seed.organization_id));
    out.push_str(&format!(
        "Emulator: {} (requests it saw: {}/_emulator/requests)\n",
        emulator.base_url(),
        emulator.base_url()
    ));
    out.push_str(&format!("Numbers: {}\n", seed.numbers.join(" ")));
    out.push_str(&format!(
        "\nOpen GraphiQL, add the header {{\"Authorization\": \"Bearer {}\"}} and paste:\n\n",
        seed.token
    ));
    for (heading, operation) in operations(seed.organization_id) {
        out.push_str(&format!("# {heading}\n{operation}\n\n"));
    }
    out.push_str("Ctrl-C stops the server and the emulator.\n");
    print!("{out}");
    use std::io::Write;
    let _ = std::io::stdout().flush();
}
