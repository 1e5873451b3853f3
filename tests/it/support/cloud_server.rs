//! A tiny scripted ECS endpoint for the `cloud` client tests, bound to 127.0.0.1:0 inside the
//! test. It speaks just enough HTTP/1.1 (one request per connection, `Connection: close`) to
//! control the socket exactly: it can answer, drop the connection after reading the request, or
//! hang. Every request is recorded with its decoded parameters and an independent signature check.
//!
//! The signature check is this file's own code (its own RFC 3986 encoder built on
//! `percent-encoding`, its own canonicalisation), never `sgform::cloud::sign`, so the client and
//! the check cannot share a mistake. `independent_verifier_agrees_with_published_vectors`
//! checks the checker against `testdata/sign/vectors.json`.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};
use sha1::Sha1;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server does with one request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Answer with this status and JSON body.
    Json { status: u16, body: String },
    /// Read the request, then close the connection without answering.
    Drop,
    /// Read the request and never answer (the client's timeout fires).
    Hang,
    /// Answer with this status and extra headers (e.g. a redirect's `location`).
    Headers {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// Answer 200 with a body that never ends (`content-length` as declared, or none: the body
    /// ends with the connection), written until the client stops reading.
    Endless { declared: Option<u64> },
}

impl Reply {
    pub fn ok(body: serde_json::Value) -> Self {
        Reply::Json {
            status: 200,
            body: body.to_string(),
        }
    }

    /// An API error in the documented shape.
    pub fn error(status: u16, code: &str, message: &str) -> Self {
        let body = serde_json::json!({
            "RequestId": format!("REQ-{code}"),
            "HostId": "ecs.cn-hangzhou.aliyuncs.com",
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}"),
        });
        Reply::Json {
            status,
            body: body.to_string(),
        }
    }
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: BTreeMap<String, String>,
    pub body: BTreeMap<String, String>,
    pub content_type: Option<String>,
    /// Query ∪ body, decoded.
    pub params: BTreeMap<String, String>,
    pub string_to_sign: String,
    /// Whether `Signature` matches this server's own computation.
    pub signature_ok: bool,
}

impl Recorded {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }
}

type Script = dyn Fn(usize, &Recorded) -> Reply + Send + Sync;

/// A running scripted server; stops when dropped.
pub struct CloudServer {
    pub endpoint: String,
    requests: Arc<Mutex<Vec<Recorded>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for CloudServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl CloudServer {
    /// Starts a server that checks signatures with `secret` and answers request number `n`
    /// (0-based) with `script(n, &request)`.
    pub async fn start(
        secret: &str,
        script: impl Fn(usize, &Recorded) -> Reply + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script: Arc<Script> = Arc::new(script);
        let secret = secret.to_owned();
        let recorded = requests.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((stream, _)) = listener.accept().await else {
                    return;
                };
                let recorded = recorded.clone();
                let script = script.clone();
                let secret = secret.clone();
                tokio::spawn(async move {
                    serve_one(stream, &secret, &recorded, &*script).await;
                });
            }
        });
        Self {
            endpoint,
            requests,
            task,
        }
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }
}

async fn serve_one(
    mut stream: TcpStream,
    secret: &str,
    recorded: &Mutex<Vec<Recorded>>,
    script: &Script,
) {
    let Some((head, body)) = read_request(&mut stream).await else {
        return;
    };
    let request = record(&head, &body, secret);
    let n = {
        let mut all = recorded.lock().unwrap();
        all.push(request.clone());
        all.len() - 1
    };
    match script(n, &request) {
        Reply::Json { status, body } => {
            let response = format!(
                "HTTP/1.1 {status} Status\r\ncontent-type: application/json;charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Headers {
            status,
            headers,
            body,
        } => {
            let mut response = format!(
                "HTTP/1.1 {status} Status\r\ncontent-length: {}\r\nconnection: close\r\n",
                body.len()
            );
            for (name, value) in headers {
                response.push_str(&format!("{name}: {value}\r\n"));
            }
            response.push_str("\r\n");
            response.push_str(&body);
            let _ = stream.write_all(response.as_bytes()).await;
            let _ = stream.shutdown().await;
        }
        Reply::Endless { declared } => {
            let length = declared
                .map(|n| format!("content-length: {n}\r\n"))
                .unwrap_or_default();
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}connection: close\r\n\r\n{{\"RequestId\": \""
            );
            if stream.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = vec![b'x'; 64 * 1024];
            while stream.write_all(&chunk).await.is_ok() {}
        }
        Reply::Drop => drop(stream),
        Reply::Hang => {
            // Hold the connection open until the client gives up and closes it.
            let mut buf = [0u8; 64];
            let _ = stream.read(&mut buf).await;
        }
    }
}

async fn read_request(stream: &mut TcpStream) -> Option<(String, Vec<u8>)> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let header_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8(buf[..header_end].to_vec()).ok()?;
    let length: usize = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    let mut body = buf[header_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some((head, body))
}

fn decode_pairs(raw: &str) -> BTreeMap<String, String> {
    raw.split('&')
        .filter(|p| !p.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let dec = |s: &str| {
                percent_decode_str(&s.replace('+', " "))
                    .decode_utf8()
                    .unwrap()
                    .into_owned()
            };
            (dec(k), dec(v))
        })
        .collect()
}

fn record(head: &str, body: &[u8], secret: &str) -> Recorded {
    let mut lines = head.lines();
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default();
    let (path, raw_query) = target.split_once('?').unwrap_or((target, ""));
    let content_type = lines
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-type"))
        .map(|(_, v)| v.trim().to_owned());
    let query = decode_pairs(raw_query);
    let body = decode_pairs(std::str::from_utf8(body).unwrap_or_default());
    let mut params = query.clone();
    params.extend(body.clone());
    let (string_to_sign, expected) = verify(&method, &params, secret);
    let signature_ok = params.get("Signature") == Some(&expected);
    Recorded {
        method,
        path: path.to_owned(),
        query,
        body,
        content_type,
        params,
        string_to_sign,
        signature_ok,
    }
}

/// RFC 3986: everything but `A-Z a-z 0-9 - _ . ~` is encoded.
const RFC3986: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

fn enc(s: &str) -> String {
    utf8_percent_encode(s, RFC3986).to_string()
}

/// This server's own computation of the string to sign and the signature.
pub fn verify(method: &str, params: &BTreeMap<String, String>, secret: &str) -> (String, String) {
    let canonical = params
        .iter()
        .filter(|(k, _)| k.as_str() != "Signature")
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&");
    let string_to_sign = format!("{method}&%2F&{}", enc(&canonical));
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(format!("{secret}&").as_bytes()).unwrap();
    mac.update(string_to_sign.as_bytes());
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    (string_to_sign, signature)
}
