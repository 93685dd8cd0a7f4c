//! Test support: a loopback HTTP server that replays recorded Bandwidth payloads byte for byte
//! and records every request, plus an order-insensitive XML tree for comparing request bodies
//! with the recorded request fixtures.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use quick_xml::events::Event;
use spoke_bandwidth::bandwidth::{BandwidthClient, Credentials, Endpoints};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

pub const ACCOUNT: &str = "9900000";
pub const USERNAME: &str = "api-user";
pub const PASSWORD: &str = "Pa55-w0rd-that-must-never-leak";

/// The bytes of `tests/fixtures/{name}`.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// A fixture as text.
pub fn fixture_text(name: &str) -> String {
    String::from_utf8(fixture(name)).expect("fixtures are UTF-8")
}

/// One raw HTTP response the server writes, then closes the connection.
#[derive(Clone)]
pub struct Reply {
    bytes: Vec<u8>,
    delay: Option<Duration>,
}

impl Reply {
    /// A `.http` fixture: its status line, headers and body exactly as recorded. The files end
    /// their header block with a single newline when there is no body, so the blank line that
    /// ends an HTTP head is added only when the file has none.
    pub fn http_fixture(name: &str) -> Self {
        let raw = fixture(name);
        let has_head_end =
            raw.windows(2).any(|w| w == b"\n\n") || raw.windows(4).any(|w| w == b"\r\n\r\n");
        let mut bytes = raw;
        if !has_head_end {
            bytes.extend_from_slice(b"\n");
        }
        Reply { bytes, delay: None }
    }

    /// A body fixture served verbatim with this status, the content type its extension
    /// implies, and no other header than `Content-Length` and `Connection: close`.
    pub fn fixture(status: u16, name: &str) -> Self {
        let content_type = if name.ends_with(".json") {
            "application/json"
        } else {
            "application/xml"
        };
        Self::raw(status, &[("Content-Type", content_type)], fixture(name))
    }

    /// A synthesized answer (for shapes no fixture records, e.g. an empty 401).
    pub fn raw(status: u16, headers: &[(&str, &str)], body: impl Into<Vec<u8>>) -> Self {
        let body = body.into();
        let reason = reqwest::StatusCode::from_u16(status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("Whatever");
        let mut head = format!("HTTP/1.1 {status} {reason}\r\n");
        for (name, value) in headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str(&format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        ));
        let mut bytes = head.into_bytes();
        bytes.extend_from_slice(&body);
        Reply { bytes, delay: None }
    }

    /// Same answer, sent only after `delay`.
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// A request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or_default()
    }

    pub fn query(&self) -> Option<&str> {
        self.target.split_once('?').map(|(_, q)| q)
    }

    /// The decoded query parameters, sorted (the client's parameter order is not part of
    /// the contract).
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        let url = reqwest::Url::parse(&format!("http://test{}", self.target)).expect("target");
        let mut pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        pairs.sort();
        pairs
    }

    pub fn body_text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("request bodies are UTF-8")
    }

    /// Asserts method, path, our Basic credentials and (for bodies) the Dashboard XML type.
    pub fn assert_dashboard(&self, method: &str, path: &str) {
        self.assert_common(method, path);
        if !self.body.is_empty() {
            assert_eq!(
                self.header("content-type"),
                Some("application/xml; charset=utf-8")
            );
        }
    }

    /// Asserts method, path, our Basic credentials and (for bodies) the JSON type.
    pub fn assert_messaging(&self, method: &str, path: &str) {
        self.assert_common(method, path);
        if !self.body.is_empty() {
            assert_eq!(self.header("content-type"), Some("application/json"));
        }
    }

    fn assert_common(&self, method: &str, path: &str) {
        assert_eq!(self.method, method, "method of {}", self.target);
        assert_eq!(self.path(), path);
        let expected = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{USERNAME}:{PASSWORD}"))
        );
        assert_eq!(self.header("authorization"), Some(expected.as_str()));
    }
}

struct Route {
    method: String,
    target: String,
    reply: Reply,
}

/// A loopback server on 127.0.0.1:0 answering from a route table.
#[derive(Clone)]
pub struct FixtureServer {
    pub addr: SocketAddr,
    routes: Arc<Mutex<Vec<Route>>>,
    requests: Arc<Mutex<Vec<Recorded>>>,
}

impl FixtureServer {
    pub async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let server = FixtureServer {
            addr: listener.local_addr().expect("local addr"),
            routes: Arc::default(),
            requests: Arc::default(),
        };
        let accepting = server.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let connection = accepting.clone();
                tokio::spawn(async move { connection.serve(stream).await });
            }
        });
        server
    }

    /// Answer `method target` with `reply`. A target without `?` matches any query; one with
    /// `?` must match exactly. The first matching route wins.
    pub fn on(&self, method: &str, target: &str, reply: Reply) -> &Self {
        self.routes.lock().expect("routes").push(Route {
            method: method.to_owned(),
            target: target.to_owned(),
            reply,
        });
        self
    }

    /// Every request received so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().expect("requests").clone()
    }

    /// The only request received so far.
    pub fn single_request(&self) -> Recorded {
        let requests = self.requests();
        assert_eq!(requests.len(), 1, "expected one request, got {requests:#?}");
        requests[0].clone()
    }

    /// A client for [`ACCOUNT`] pointed at this server, with short timeouts.
    pub fn client(&self) -> BandwidthClient {
        let http = spoke_bandwidth::bandwidth::build_http_client(
            Duration::from_secs(2),
            Duration::from_secs(10),
        )
        .expect("http client");
        self.client_with(http)
    }

    /// A client for [`ACCOUNT`] pointed at this server, using `http`.
    pub fn client_with(&self, http: reqwest::Client) -> BandwidthClient {
        BandwidthClient::with_http(
            http,
            Endpoints {
                dashboard: format!("http://{}/api", self.addr),
                messaging: format!("http://{}/api/v2", self.addr),
            },
            Credentials::new(ACCOUNT, USERNAME, PASSWORD),
        )
        .expect("valid endpoints")
    }

    async fn serve(&self, mut stream: TcpStream) {
        let Some(request) = read_request(&mut stream).await else {
            return;
        };
        let reply = {
            let routes = self.routes.lock().expect("routes");
            routes
                .iter()
                .find(|r| {
                    r.method == request.method
                        && if r.target.contains('?') {
                            r.target == request.target
                        } else {
                            r.target == request.path()
                        }
                })
                .map(|r| r.reply.clone())
        };
        self.requests
            .lock()
            .expect("requests")
            .push(request.clone());
        let reply = reply.unwrap_or_else(|| {
            Reply::raw(
                599,
                &[("Content-Type", "text/plain")],
                format!("no route for {} {}", request.method, request.target),
            )
        });
        if let Some(delay) = reply.delay {
            tokio::time::sleep(delay).await;
        }
        let _ = stream.write_all(&reply.bytes).await;
        let _ = stream.shutdown().await;
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<Recorded> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_owned();
    let target = request_line.next()?.to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    let length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Recorded {
        method,
        target,
        headers,
        body,
    })
}

/// An XML element reduced to name, trimmed text and children sorted, so two documents
/// compare equal when they carry the same elements regardless of order, whitespace,
/// declaration or `<a/>` vs `<a></a>`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct XmlNode {
    pub name: String,
    pub text: String,
    pub children: Vec<XmlNode>,
}

impl XmlNode {
    pub fn parse(xml: &str) -> XmlNode {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut stack: Vec<XmlNode> = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(start) => stack.push(XmlNode {
                    name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
                    text: String::new(),
                    children: Vec::new(),
                }),
                Event::Empty(start) => {
                    let node = XmlNode {
                        name: String::from_utf8_lossy(start.name().as_ref()).into_owned(),
                        text: String::new(),
                        children: Vec::new(),
                    };
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => return node,
                    }
                }
                Event::Text(text) => {
                    if let Some(top) = stack.last_mut() {
                        top.text.push_str(&text.xml_content().expect("text"));
                    }
                }
                Event::GeneralRef(reference) => {
                    if let Some(top) = stack.last_mut() {
                        let name = reference.decode().expect("entity");
                        let resolved = quick_xml::escape::resolve_predefined_entity(&name)
                            .expect("predefined entity");
                        top.text.push_str(resolved);
                    }
                }
                Event::End(_) => {
                    let mut node = stack.pop().expect("balanced XML");
                    node.text = node.text.trim().to_owned();
                    node.children.sort();
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(node),
                        None => return node,
                    }
                }
                Event::Eof => panic!("XML ended before its root element closed"),
                _ => {}
            }
        }
    }

    /// The same tree without direct children named `name`.
    pub fn without_child(mut self, name: &str) -> XmlNode {
        self.children.retain(|c| c.name != name);
        self
    }

    /// The direct child named `name`.
    pub fn child(&self, name: &str) -> Option<&XmlNode> {
        self.children.iter().find(|c| c.name == name)
    }
}

/// Asserts that a request body carries the same elements as a request fixture.
pub fn assert_same_xml(sent: &str, fixture_name: &str) {
    let ours = XmlNode::parse(sent);
    let recorded = XmlNode::parse(&fixture_text(fixture_name));
    assert_eq!(ours, recorded, "our body:\n{sent}\nvs {fixture_name}");
}
