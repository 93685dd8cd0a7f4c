//! Limits at the edge, against the real binary (one worker thread, the default): requests that
//! used to crash the process or fill its memory are refused, and it keeps serving.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::commands::binary;
use crate::helpers::{SESSION_SECRET, TestDatabase, fresh_database};

/// The server binary running on a fresh database; killed when dropped.
struct Served {
    child: Child,
    port: u16,
    client: reqwest::Client,
    _database: TestDatabase,
}

impl Drop for Served {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

async fn serve(env: &[(&str, &str)]) -> Served {
    let database = fresh_database().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut command = binary();
    command
        .arg("serve")
        .env("DATABASE_URL", &database.url)
        .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .env("SESSION_SECRET", SESSION_SECRET)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        command.env(k, v);
    }
    let served = Served {
        child: command.spawn().expect("the binary starts"),
        port,
        client: reqwest::Client::new(),
        _database: database,
    };
    for _ in 0..150 {
        if served.ready().await == Some(200) {
            return served;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the server did not become ready");
}

impl Served {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    async fn ready(&self) -> Option<u16> {
        self.client
            .get(self.url("/readyz"))
            .send()
            .await
            .ok()
            .map(|r| r.status().as_u16())
    }

    /// Whether the process is still running and answering.
    async fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None)) && self.ready().await == Some(200)
    }

    async fn graphql(&self, query: &str) -> (u16, Value) {
        let response = self
            .client
            .post(self.url("/graphql"))
            .json(&json!({ "query": query }))
            .send()
            .await
            .expect("the server answers");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Peak resident memory of the process, in KiB.
    fn peak_rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process is alive");
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmHWM:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmHWM in /proc/PID/status")
    }

    /// Sends `head` then up to `body_len` bytes of body in 64 KiB writes, reading the answer
    /// at the same time (the server answers before it reads the body, then stops reading);
    /// returns the status line.
    async fn raw(&self, head: String, body_len: usize, chunked: bool) -> String {
        let port = self.port;
        tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).unwrap();
            stream
                .set_read_timeout(Some(Duration::from_secs(30)))
                .unwrap();
            let mut reader = stream.try_clone().unwrap();
            let answer = std::thread::spawn(move || {
                let mut got = Vec::new();
                let mut buffer = [0u8; 4096];
                while !got.windows(2).any(|w| w == b"\r\n") {
                    match reader.read(&mut buffer) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => got.extend_from_slice(&buffer[..n]),
                    }
                }
                String::from_utf8_lossy(&got)
                    .lines()
                    .next()
                    .unwrap_or("")
                    .to_owned()
            });
            if stream.write_all(head.as_bytes()).is_ok() {
                let mut chunk = vec![b'a'; 64 * 1024];
                if chunked {
                    chunk.splice(0..0, b"10000\r\n".iter().copied());
                    chunk.extend_from_slice(b"\r\n");
                }
                let mut sent = 0;
                while sent < body_len {
                    if stream.write_all(&chunk).is_err() {
                        break;
                    }
                    sent += chunk.len();
                }
            }
            answer.join().unwrap()
        })
        .await
        .unwrap()
    }
}

fn code(answer: &Value) -> &str {
    answer["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or_else(|| panic!("no error code in {answer}"))
}

#[tokio::test]
async fn a_literal_nested_far_past_the_parsers_depth_is_refused_and_the_server_stays_up() {
    let mut served = serve(&[]).await;
    // 6,200 deep overflowed the one-thread runtime's stack; 100,000 is still under the body limit.
    for (open, close, depth) in [
        ("[", "]", 6_200),
        ("{a:", "}", 6_200),
        ("[", "]", 100_000),
        ("{a:", "}", 50_000),
    ] {
        let query = format!(
            "{{ organization(id: \"1\") {{ phoneNumbers(areaCode: {}1{}) {{ areaCode }} }} }}",
            open.repeat(depth),
            close.repeat(depth)
        );
        let (status, answer) = served.graphql(&query).await;
        assert_eq!(status, 200);
        assert_eq!(code(&answer), "QUERY_TOO_DEEP", "{answer}");
        assert!(served.alive().await, "the process survived {open}×{depth}");
    }
    // Variables nested as deep: the JSON reader stops at its own bound.
    let deep_variables = format!(
        "{{\"query\":\"{{ __typename }}\",\"variables\":{{\"v\":{}1{}}}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let response = served
        .client
        .post(served.url("/graphql"))
        .header("content-type", "application/json")
        .body(deep_variables)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    assert!(served.alive().await);
}

#[tokio::test]
async fn a_50_mib_body_without_a_token_is_refused_with_413_and_memory_stays_flat() {
    let mut served = serve(&[]).await;
    let before = served.peak_rss_kib();
    let fifty_mib = 50 * 1024 * 1024;
    let declared = served
        .raw(
            format!(
                "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {fifty_mib}\r\n\r\n"
            ),
            fifty_mib,
            false,
        )
        .await;
    assert!(declared.contains(" 413 "), "{declared}");
    let chunked = served
        .raw(
            "POST /graphql HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
                .to_owned(),
            fifty_mib,
            true,
        )
        .await;
    assert!(chunked.contains(" 413 "), "{chunked}");
    let callback = served
        .raw(
            format!(
                "POST /bandwidth/1 HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {fifty_mib}\r\n\r\n"
            ),
            fifty_mib,
            false,
        )
        .await;
    assert!(
        callback.contains(" 401 ") || callback.contains(" 413 "),
        "{callback}"
    );
    assert!(served.alive().await);
    let grown = served.peak_rss_kib().saturating_sub(before);
    assert!(
        grown < 16 * 1024,
        "peak memory grew by {grown} KiB for 150 MiB sent"
    );
}

#[tokio::test]
async fn a_multipart_upload_is_refused_with_415_before_it_is_read() {
    let mut served = serve(&[]).await;
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\ncontent-disposition: form-data; name=\"operations\"\r\n\r\n{{\"query\":\"{{ __typename }}\"}}\r\n--{boundary}\r\ncontent-disposition: form-data; name=\"0\"; filename=\"a.bin\"\r\n\r\n{}\r\n--{boundary}--\r\n",
        "a".repeat(512 * 1024)
    );
    let response = served
        .client
        .post(served.url("/graphql"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 415);
    let answer: Value = response.json().await.unwrap();
    assert_eq!(code(&answer), "UNSUPPORTED_MEDIA_TYPE");
    assert!(
        answer["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("multipart"),
        "{answer}"
    );
    assert!(served.alive().await);
}

#[tokio::test]
async fn fifty_thousand_typename_aliases_and_300_mutations_are_refused_with_codes() {
    let served = serve(&[]).await;
    let aliases: String = (0..50_000).map(|i| format!("t{i}:__typename ")).collect();
    assert!(aliases.len() < 1024 * 1024);
    let (status, answer) = served.graphql(&format!("{{ {aliases} }}")).await;
    assert_eq!(status, 200);
    assert_eq!(code(&answer), "QUERY_TOO_COMPLEX", "{answer}");
    assert!(answer["data"].is_null(), "nothing ran: {answer}");

    let sends: String = (0..300)
        .map(|i| format!("s{i}: sendMessage(organizationId: \"1\", input: {{contactNumber: \"+19195550123\", text: \"hi\"}}) {{ id }} "))
        .collect();
    let (_, answer) = served.graphql(&format!("mutation {{ {sends} }}")).await;
    assert_eq!(code(&answer), "TOO_MANY_MUTATIONS", "{answer}");

    let (_, answer) = served.graphql("{ a: __typename b: __typename }").await;
    assert_eq!(
        answer["data"]["a"], "QueryRoot",
        "small requests still run: {answer}"
    );
}

#[tokio::test]
async fn introspection_answers_by_default_and_not_when_switched_off() {
    let query = "{ __schema { queryType { name } } }";
    let on = serve(&[]).await;
    let (_, answer) = on.graphql(query).await;
    assert_eq!(
        answer["data"]["__schema"]["queryType"]["name"], "QueryRoot",
        "{answer}"
    );
    drop(on);

    let off = serve(&[("GRAPHQL_INTROSPECTION", "false")]).await;
    let (_, answer) = off.graphql(query).await;
    assert_eq!(code(&answer), "INTROSPECTION_DISABLED", "{answer}");
    assert!(answer["data"].is_null(), "{answer}");
    let (_, answer) = off.graphql("{ __typename }").await;
    assert_eq!(answer["data"]["__typename"], "QueryRoot", "{answer}");
}

#[tokio::test]
async fn the_graphql_body_limit_follows_its_setting() {
    let served = serve(&[("GRAPHQL_MAX_BODY", "2048")]).await;
    let padding = " ".repeat(4096);
    let response = served
        .client
        .post(served.url("/graphql"))
        .json(&json!({ "query": format!("{{ __typename {padding} }}") }))
        .send()
        .await;
    match response {
        Ok(r) => assert_eq!(r.status(), 413),
        Err(e) => panic!("no answer: {e}"),
    }
    let (status, _) = served.graphql("{ __typename }").await;
    assert_eq!(status, 200);
}
