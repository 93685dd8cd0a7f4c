//! The binary's commands, run as processes.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{SESSION_SECRET, fresh_database};

fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spoke-bandwidth"));
    for var in [
        "SESSION_SECRET",
        "ENCRYPTION_KEY",
        "DATABASE_URL",
        "LISTEN_ADDR",
        "DEFAULT_SERVICE",
        "RUST_LOG",
    ] {
        command.env_remove(var);
    }
    command
}

#[test]
fn serve_without_a_session_secret_exits_naming_it() {
    let output = binary()
        .args(["serve", "--database-url", "sqlite::memory:"])
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SESSION_SECRET"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
}

#[test]
fn serve_refuses_a_service_other_than_bandwidth() {
    let output = binary()
        .args(["serve", "--database-url", "sqlite::memory:"])
        .env("SESSION_SECRET", SESSION_SECRET)
        .env("DEFAULT_SERVICE", "twilio")
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("twilio") && stderr.contains("bandwidth"),
        "{stderr}"
    );
}

#[tokio::test]
async fn serve_on_a_fresh_database_answers_readyz() {
    let database = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = binary()
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("SESSION_SECRET", SESSION_SECRET)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let client = reqwest::Client::new();
    let mut status = None;
    for _ in 0..100 {
        if let Ok(response) = client
            .get(format!("http://127.0.0.1:{port}/readyz"))
            .send()
            .await
        {
            status = Some(response.status().as_u16());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let metrics = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .map(|r| r.status().as_u16());
    child.kill().ok();
    child.wait().ok();
    assert_eq!(status, Some(200));
    assert_eq!(metrics.ok(), Some(200));
}

#[test]
fn org_and_token_commands_print_only_their_result() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("cli.db").display());
    let org = binary()
        .args(["org", "create", "--name", "Campaign HQ"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        org.status.success(),
        "{}",
        String::from_utf8_lossy(&org.stderr)
    );
    let id = String::from_utf8(org.stdout).unwrap();
    assert!(
        id.trim().parse::<i32>().is_ok(),
        "stdout is the id alone: {id:?}"
    );

    let token = binary()
        .args(["token", "create", "--org", id.trim(), "--role", "owner"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        token.status.success(),
        "{}",
        String::from_utf8_lossy(&token.stderr)
    );
    let token = String::from_utf8(token.stdout).unwrap();
    assert_eq!(token.trim().lines().count(), 1);
    assert!(token.trim().len() >= 43, "a 256-bit token: {token:?}");

    let missing = binary()
        .args(["token", "create", "--org", "999", "--role", "texter"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("999"));
}

#[test]
fn callback_credentials_prints_spokes_password_for_the_organization() {
    let output = binary()
        .args(["callback-credentials", "--org", "1"])
        .env("SESSION_SECRET", "anchorsecret")
        .env("BASE_URL", "http://127.0.0.1:3000")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains("http://127.0.0.1:3000/bandwidth/1"),
        "{stdout}"
    );
    assert!(stdout.contains("bandwidth.com"), "{stdout}");
    assert!(
        stdout.contains("/mHFBMGtB3DGh1nNrxA93ky1Y/W3Isvdidz3ZAIfWRA="),
        "{stdout}"
    );
}
