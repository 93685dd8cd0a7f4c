//! The binary's commands, run as processes.

use std::process::{Command, Stdio};
use std::time::Duration;

use crate::helpers::{SESSION_SECRET, fresh_database};

pub(crate) fn binary() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_spoke-bandwidth"));
    for var in [
        "SESSION_SECRET",
        "ENCRYPTION_KEY",
        "DATABASE_URL",
        "LISTEN_ADDR",
        "DEFAULT_SERVICE",
        "RUST_LOG",
        "WORKER_THREADS",
        "GRAPHQL_MAX_BODY",
        "GRAPHQL_MAX_FIELDS",
        "GRAPHQL_MAX_MUTATION_FIELDS",
        "GRAPHQL_INTROSPECTION",
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

#[test]
fn serve_refuses_unknown_or_misordered_service_managers_naming_the_value_and_the_fix() {
    for (list, expected) in [
        (
            "numpicker-basic,sticky-sender",
            "use \"sticky-sender,numpicker-basic\"",
        ),
        ("sticky-sender,carrier-lookup", "known managers"),
    ] {
        let output = binary()
            .args(["serve", "--database-url", "sqlite::memory:"])
            .env("SESSION_SECRET", SESSION_SECRET)
            .env("SERVICE_MANAGERS", list)
            .output()
            .expect("the binary runs");
        assert!(!output.status.success(), "{list}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("SERVICE_MANAGERS")
                && stderr.contains(list)
                && stderr.contains(expected),
            "{list}: {stderr}"
        );
        assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    }
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
    // A made-up method must not become a metrics label (one series per client's whim).
    let brew = reqwest::Method::from_bytes(b"BREWCOFFEE").unwrap();
    let _ = client
        .request(brew, format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await;
    let metrics = client
        .get(format!("http://127.0.0.1:{port}/metrics"))
        .send()
        .await
        .expect("metrics answer");
    let metrics_status = metrics.status().as_u16();
    let exposition = metrics.text().await.unwrap_or_default();
    child.kill().ok();
    child.wait().ok();
    assert_eq!(status, Some(200));
    assert_eq!(metrics_status, 200);
    assert!(!exposition.contains("BREWCOFFEE"), "{exposition}");
    assert!(exposition.contains("method=\"other\""), "{exposition}");
}

#[test]
fn help_never_prints_the_database_password_from_the_environment() {
    let output = binary()
        .args(["serve", "--help"])
        .env(
            "DATABASE_URL",
            "postgres://app:db-pass-987@db.example.org/spoke",
        )
        .env(
            "ENCRYPTION_KEY",
            "c2VjcmV0LWtleS1ub3QtdG8tcHJpbnQtMzJieXRlcw==",
        )
        .output()
        .expect("the binary runs");
    let help = String::from_utf8_lossy(&output.stdout);
    assert!(help.contains("DATABASE_URL"), "{help}");
    assert!(!help.contains("db-pass-987"), "{help}");
    assert!(!help.contains("c2VjcmV0"), "{help}");
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

    let vetted = binary()
        .args([
            "token",
            "create",
            "--org",
            id.trim(),
            "--role",
            "VETTED_TEXTER",
            "--name",
            "Ada",
            "--email",
            "ada@example.org",
        ])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(
        vetted.status.success(),
        "Spoke's role names are accepted: {}",
        String::from_utf8_lossy(&vetted.stderr)
    );
    let unknown = binary()
        .args(["token", "create", "--org", id.trim(), "--role", "boss"])
        .env("DATABASE_URL", &url)
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("SUPERVOLUNTEER"),
        "the error lists the roles: {}",
        String::from_utf8_lossy(&unknown.stderr)
    );

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

/// What `demo` printed, read until its last line (bounded by `timeout`).
fn read_demo_output(
    stdout: std::process::ChildStdout,
    timeout: Duration,
) -> Result<String, String> {
    use std::io::BufRead;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let deadline = std::time::Instant::now() + timeout;
    let mut printed = String::new();
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                printed.push_str(&line);
                printed.push('\n');
                if line.starts_with("Ctrl-C stops") {
                    return Ok(printed);
                }
            }
            Err(_) => return Err(printed),
        }
    }
}

/// The value of the line `Name: value`.
fn printed_value<'a>(printed: &'a str, name: &str) -> &'a str {
    printed
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}: ")))
        .unwrap_or_else(|| panic!("no {name} line in {printed}"))
        .trim()
}

/// The operations printed under `# ` headings, each ended by a blank line.
fn printed_operations(printed: &str) -> Vec<String> {
    let mut operations = Vec::new();
    let mut current: Option<String> = None;
    for line in printed.lines() {
        if line.starts_with("# ") {
            current = Some(String::new());
        } else if let Some(op) = current.as_mut() {
            if line.trim().is_empty() {
                operations.push(current.take().unwrap());
            } else {
                op.push_str(line);
                op.push('\n');
            }
        }
    }
    operations
}

fn wait_with_timeout(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = std::time::Instant::now() + timeout;
    while std::time::Instant::now() < deadline {
        if let Ok(Some(status)) = child.try_wait() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[tokio::test]
async fn demo_serves_graphiql_its_printed_operations_work_and_ctrl_c_stops_it_cleanly() {
    let mut child = binary()
        .args([
            "demo",
            "--listen",
            "127.0.0.1:0",
            "--emulator-listen",
            "127.0.0.1:0",
        ])
        .env_remove("EMULATOR_LISTEN")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let printed = match tokio::task::spawn_blocking(move || {
        read_demo_output(stdout, Duration::from_secs(60))
    })
    .await
    .unwrap()
    {
        Ok(printed) => printed,
        Err(partial) => {
            child.kill().ok();
            child.wait().ok();
            panic!("demo did not finish starting; it printed: {partial}");
        }
    };

    let graphiql = printed_value(&printed, "GraphiQL").to_owned();
    let token = printed_value(&printed, "Token").to_owned();
    let operations = printed_operations(&printed);
    let client = reqwest::Client::new();
    let outcome = async move {
        let page = client
            .get(&graphiql)
            .send()
            .await
            .expect("GraphiQL answers");
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.to_lowercase().contains("graphiql"), "{html}");

        assert_eq!(operations.len(), 3, "{printed}");
        let post = |query: String| {
            let request = client
                .post(&graphiql)
                .bearer_auth(&token)
                .json(&serde_json::json!({ "query": query }));
            async move {
                let answer: serde_json::Value = request.send().await.unwrap().json().await.unwrap();
                assert!(answer["errors"].is_null(), "{answer}");
                answer["data"].clone()
            }
        };
        let sent = post(operations[0].clone()).await;
        // Accepted; its callback (found by the tag) may already have delivered it.
        assert!(
            ["SENT", "DELIVERED"]
                .contains(&sent["sendMessage"]["sendStatus"].as_str().unwrap_or("")),
            "{sent}"
        );
        assert!(
            sent["sendMessage"]["userNumber"]
                .as_str()
                .unwrap()
                .starts_with("+1919")
        );
        let thread = post(operations[1].clone()).await;
        let messages = thread["organization"]["conversation"].as_array().unwrap();
        assert_eq!(messages.len(), 1, "{thread}");
        assert_eq!(messages[0]["id"], sent["sendMessage"]["id"]);
        let listed = post(operations[2].clone()).await;
        let area_codes: Vec<&str> = listed["organization"]["phoneNumberCounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["areaCode"].as_str().unwrap())
            .collect();
        assert!(
            area_codes.contains(&"919") && area_codes.contains(&"415"),
            "{listed}"
        );
        assert_eq!(
            listed["organization"]["phoneNumbers"]
                .as_array()
                .unwrap()
                .len(),
            6
        );
        // The demo registered its numbers: all six are on its 10DLC campaign.
        for number in listed["organization"]["phoneNumbers"].as_array().unwrap() {
            assert_eq!(number["registrationStatus"], "REGISTERED", "{listed}");
            assert_eq!(number["campaignId"], "CDEMO01", "{listed}");
        }
    };
    let result = tokio::spawn(outcome).await;

    let interrupted = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(interrupted.success());
    let status = tokio::task::spawn_blocking(move || {
        let status = wait_with_timeout(&mut child, Duration::from_secs(20));
        if status.is_none() {
            child.kill().ok();
            child.wait().ok();
        }
        status
    })
    .await
    .unwrap();
    if let Err(panic) = result {
        std::panic::resume_unwind(panic.into_panic());
    }
    let status = status.expect("demo stops within 20 s of Ctrl-C");
    assert!(status.success(), "demo exits 0 on Ctrl-C: {status}");
}
