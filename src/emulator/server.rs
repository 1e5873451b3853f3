//! The HTTP side: the ECS RPC endpoint (`GET|POST /`), introspection (`/_emulator/stats`,
//! `/_emulator/world`), and everything the real service does around the rules: authentication,
//! RAM denial, throttling, injected faults, latency, the per-target busy window, persistence and
//! the request log.
//!
//! It is plain hyper rather than a framework because one fault needs what a framework hides: a
//! dropped connection with no answer at all. The handler signals a drop by returning an error,
//! on which hyper closes the connection without writing anything.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::future::Future;
use std::io::Write as _;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::EmulatorError;
use super::catalog::{ApiError, Code};
use super::faults::{Fault, Faults};
use super::rules::{Action, Body, Request};
use super::verify::{Caller, Verifier, parse_form};
use super::world::{AccessKey, World};

/// How long a connection may take to send a complete request header before it is closed
/// without an answer: [`Options::header_read_timeout`]'s default.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a request's body may take to arrive once its header has before the connection is
/// closed without an answer: [`Options::body_read_timeout`]'s default.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// How the server behaves beyond the world's rules. `Default` is a plain, fault-free server.
#[derive(Debug, Clone)]
pub struct Options {
    /// Write the world back to this file after every change (temp file + rename).
    pub persist: Option<PathBuf>,
    /// Delay every answer by this much…
    pub latency_ms: u64,
    /// …plus a uniform random extra of up to this much.
    pub jitter_ms: u64,
    pub faults: Faults,
    /// Calls per account and action per second; the excess gets `Throttling.User`.
    pub rate_limit: Option<u32>,
    /// How long a mutation keeps its target busy (its answer waits this long); another
    /// mutation of the same target meanwhile gets `InvalidOperation.Conflict`.
    pub op_ms: u64,
    /// Seeds faults, jitter and request IDs, so runs repeat.
    pub seed: Option<u64>,
    /// One JSON line per request (no secrets).
    pub log: Option<PathBuf>,
    /// A connection that has not sent a complete request header this long after it opened (or,
    /// kept alive, after its last answer) is closed, so clients that send a header slowly or
    /// never cannot hold connections open for ever.
    pub header_read_timeout: Duration,
    /// The same for a request's body (at most 1 MiB), counted from the end of its header.
    pub body_read_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            persist: None,
            latency_ms: 0,
            jitter_ms: 0,
            faults: Faults::default(),
            rate_limit: None,
            op_ms: 0,
            seed: None,
            log: None,
            header_read_timeout: HEADER_READ_TIMEOUT,
            body_read_timeout: BODY_READ_TIMEOUT,
        }
    }
}

/// The world plus what is busy, under one lock so a check and its change are atomic.
struct Live {
    world: World,
    busy_until: HashMap<String, Instant>,
}

/// The name `/_emulator/stats` counts calls of every action the emulator does not serve under.
pub const UNKNOWN_ACTION: &str = "(unknown)";

#[derive(Default)]
struct Stats {
    total: u64,
    by_action: BTreeMap<&'static str, u64>,
    by_code: BTreeMap<String, u64>,
    by_action_code: BTreeMap<&'static str, BTreeMap<String, u64>>,
}

struct Shared {
    live: Mutex<Live>,
    started: Instant,
    options: Options,
    verifier: Verifier,
    rate: Mutex<HashMap<(String, Action), (u64, u32)>>,
    rng: Mutex<StdRng>,
    id_seed: u64,
    counter: AtomicU64,
    stats: Mutex<Stats>,
    log: Option<Mutex<std::fs::File>>,
}

/// Locks a mutex; a panic elsewhere while holding it leaves plain data that is still usable.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The answer was deliberately not given (an injected drop): hyper closes the connection.
#[derive(Debug)]
struct Dropped;

impl fmt::Display for Dropped {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("connection dropped by fault injection")
    }
}

impl std::error::Error for Dropped {}

type HttpResponse = hyper::Response<Full<Bytes>>;

/// Serves the ECS API on `listener` until `shutdown` completes, then finishes the requests in
/// flight and returns. Bind `127.0.0.1:0` for an ephemeral port.
pub async fn serve<F>(
    listener: TcpListener,
    world: World,
    options: Options,
    shutdown: F,
) -> Result<(), EmulatorError>
where
    F: Future<Output = ()> + Send,
{
    let log = match &options.log {
        None => None,
        Some(path) => Some(Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|source| EmulatorError::OpenLog {
                    path: path.clone(),
                    source,
                })?,
        )),
    };
    let seed = options.seed.unwrap_or_else(rand::random);
    let shared = Arc::new(Shared {
        verifier: Verifier::new(world.accounts()),
        live: Mutex::new(Live {
            world,
            busy_until: HashMap::new(),
        }),
        started: Instant::now(),
        rate: Mutex::new(HashMap::new()),
        rng: Mutex::new(StdRng::seed_from_u64(seed)),
        id_seed: seed,
        counter: AtomicU64::new(0),
        stats: Mutex::new(Stats::default()),
        log,
        options,
    });

    let (stop_tx, stop_rx) = watch::channel(false);
    let mut connections = JoinSet::new();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let (stream, _peer) = match accepted {
                    Ok(a) => a,
                    // Transient accept errors (too many open files, a reset) must not stop
                    // the server; back off briefly and go on.
                    Err(e) => {
                        tracing::warn!("emulator accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(10)).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                connections.spawn(connection(shared.clone(), stream, stop_rx.clone()));
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    let _ = stop_tx.send(true);
    // Requests in flight finish; idle keep-alive connections close at once.
    let drain = async { while connections.join_next().await.is_some() {} };
    if tokio::time::timeout(Duration::from_secs(5), drain)
        .await
        .is_err()
    {
        connections.abort_all();
    }
    if let Some(log) = &shared.log {
        let _ = lock(log).flush();
    }
    Ok(())
}

async fn connection(
    shared: Arc<Shared>,
    stream: tokio::net::TcpStream,
    mut stop: watch::Receiver<bool>,
) {
    let header_read_timeout = shared.options.header_read_timeout;
    let service = hyper::service::service_fn(move |req| {
        let shared = shared.clone();
        async move { handle(shared, req).await }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .keep_alive(true)
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout)
        .serve_connection(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let mut stopping = *stop.borrow();
    if stopping {
        conn.as_mut().graceful_shutdown();
    }
    loop {
        tokio::select! {
            _ = conn.as_mut() => return,
            changed = stop.changed(), if !stopping => {
                stopping = true;
                if changed.is_ok() {
                    conn.as_mut().graceful_shutdown();
                }
            }
        }
    }
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
) -> Result<HttpResponse, Dropped> {
    let path = req.uri().path().to_owned();
    match (req.method(), path.as_str()) {
        (&Method::GET, "/_emulator/stats") => {
            Ok(json_response(StatusCode::OK, shared.stats_json()))
        }
        (&Method::GET, "/_emulator/world") => {
            let text = lock(&shared.live).world.to_json();
            Ok(raw_response(StatusCode::OK, "application/json", text))
        }
        (&Method::GET | &Method::POST, "/") => shared.api(req).await,
        _ => Ok(json_response(
            StatusCode::NOT_FOUND,
            json!({"Code": "InvalidAction.NotFound", "Message": format!("Nothing is served at `{path}`; the ECS API is at `/`.")}),
        )),
    }
}

fn json_response(status: StatusCode, value: Value) -> HttpResponse {
    raw_response(status, "application/json;charset=utf-8", value.to_string())
}

fn raw_response(status: StatusCode, content_type: &'static str, body: String) -> HttpResponse {
    let mut resp = hyper::Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    resp
}

/// What happened to one API call, for the answer, the stats and the log.
enum Outcome {
    Answer(Result<Body, ApiError>),
    Dropped(Fault),
}

impl Shared {
    fn elapsed_ms(&self) -> u64 {
        u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    /// A request ID: an upper-case UUID derived from the seed and a counter, so a seeded run
    /// gives the same IDs for the same sequence of calls.
    fn next_request_id(&self) -> String {
        let n = self.counter.fetch_add(1, Ordering::Relaxed);
        let a = splitmix(self.id_seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let b = splitmix(a ^ 0xD1B5_4A32_D192_ED03);
        let hex = format!("{a:016X}{b:016X}");
        format!(
            "{}-{}-4{}-{}-{}",
            &hex[0..8],
            &hex[8..12],
            &hex[13..16],
            &hex[16..20],
            &hex[20..32]
        )
    }

    async fn api(self: Arc<Self>, req: hyper::Request<Incoming>) -> Result<HttpResponse, Dropped> {
        let started = Instant::now();
        let method = req.method().as_str().to_owned();
        let host = req
            .headers()
            .get(HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("ecs.aliyuncs.com")
            .to_owned();
        let mut params: BTreeMap<String, String> = parse_form(req.uri().query().unwrap_or(""))
            .into_iter()
            .collect();
        // The API's requests are small; a body over 1 MiB, or one still arriving after the
        // body timeout, is not a client of ours.
        let body = match tokio::time::timeout(
            self.options.body_read_timeout,
            http_body_util::Limited::new(req.into_body(), 1 << 20).collect(),
        )
        .await
        {
            Ok(Ok(b)) => b.to_bytes(),
            Ok(Err(_)) | Err(_) => return Err(Dropped),
        };
        if !body.is_empty() {
            // Form body parameters win over query parameters of the same name.
            params.extend(parse_form(&String::from_utf8_lossy(&body)));
        }
        let request_id = self.next_request_id();
        let (outcome, caller) = self.process(&method, &params).await;
        self.delay().await;

        let action = params.get("Action").cloned().unwrap_or_default();
        let (status, code) = match &outcome {
            Outcome::Answer(Ok(_)) => (Some(200), "OK".to_owned()),
            Outcome::Answer(Err(e)) => (Some(e.status()), e.code.as_str().to_owned()),
            Outcome::Dropped(f) => (None, f.as_str().to_owned()),
        };
        self.record(&action, &code);
        self.log_line(
            &request_id,
            &action,
            caller.as_ref(),
            &params,
            status,
            &code,
            started,
        );

        let xml = params
            .get("Format")
            .is_some_and(|f| f.eq_ignore_ascii_case("xml"));
        match outcome {
            Outcome::Dropped(_) => Err(Dropped),
            Outcome::Answer(Ok(mut body)) => {
                body.insert("RequestId".into(), json!(request_id));
                Ok(render(
                    StatusCode::OK,
                    &format!("{action}Response"),
                    body,
                    xml,
                ))
            }
            Outcome::Answer(Err(e)) => {
                let mut body = Body::new();
                body.insert("RequestId".into(), json!(request_id));
                body.insert("HostId".into(), json!(host));
                body.insert("Code".into(), json!(e.code.as_str()));
                body.insert("Message".into(), json!(e.message));
                body.insert(
                    "Recommend".into(),
                    json!(format!(
                        "https://api.aliyun.com/troubleshoot?q={}&product=Ecs&requestId={request_id}",
                        e.code.as_str()
                    )),
                );
                let status =
                    StatusCode::from_u16(e.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
                Ok(render(status, "Error", body, xml))
            }
        }
    }

    async fn delay(&self) {
        let o = &self.options;
        if o.latency_ms == 0 && o.jitter_ms == 0 {
            return;
        }
        let jitter = if o.jitter_ms > 0 {
            lock(&self.rng).random_range(0..=o.jitter_ms)
        } else {
            0
        };
        tokio::time::sleep(Duration::from_millis(o.latency_ms + jitter)).await;
    }

    async fn process(
        &self,
        method: &str,
        params: &BTreeMap<String, String>,
    ) -> (Outcome, Option<Caller>) {
        let caller = match self.verifier.verify(method, params, chrono::Utc::now()) {
            Ok(c) => c,
            Err(e) => return (Outcome::Answer(Err(e)), None),
        };
        let outcome = self.authorised(&caller, params).await;
        (outcome, Some(caller))
    }

    async fn authorised(&self, caller: &Caller, params: &BTreeMap<String, String>) -> Outcome {
        let name = params.get("Action").map(String::as_str).unwrap_or_default();
        if name.is_empty() {
            return Outcome::Answer(Err(ApiError::detail(
                Code::MissingCommonParameter,
                "The input parameter \"Action\" that is mandatory for processing this request is not supplied.",
            )));
        }
        let Some(action) = Action::parse(name) else {
            return Outcome::Answer(Err(ApiError::new(Code::InvalidActionNotFound)));
        };
        match params.get("Version").map(String::as_str) {
            Some("2014-05-26") => {}
            other => {
                return Outcome::Answer(Err(ApiError::detail(
                    Code::InvalidVersion,
                    format!(
                        "Specified parameter Version `{}` is not valid; ECS is version 2014-05-26.",
                        other.unwrap_or_default()
                    ),
                )));
            }
        }
        // A RAM user without DescribeInstances permission gets an empty list, not an error
        // (reference §3.3); every other denied action is `Forbidden.RAM`.
        let denied = caller.denied(action.as_str());
        if denied && action != Action::DescribeInstances {
            return Outcome::Answer(Err(ApiError::new(Code::ForbiddenRam)));
        }
        if let Some(limit) = self.options.rate_limit
            && !self.admit(&caller.account, action, limit)
        {
            return Outcome::Answer(Err(ApiError::new(Code::ThrottlingUser)));
        }
        let fault = if self.options.faults.is_empty() {
            None
        } else {
            let u: f64 = lock(&self.rng).random();
            self.options.faults.pick(u)
        };
        if let Some(code) = fault.and_then(Fault::code) {
            return Outcome::Answer(Err(ApiError::new(code)));
        }
        if fault == Some(Fault::DropBeforeCommit) {
            return Outcome::Dropped(Fault::DropBeforeCommit);
        }
        let request = Request {
            action,
            params: params.clone(),
        };
        // A key's `hidden` resources: any action but a listing that names one is refused as
        // RAM refuses it; listings leave them out (below, in `execute`).
        let listing = matches!(
            action,
            Action::DescribeInstances
                | Action::DescribeNetworkInterfaces
                | Action::DescribeSecurityGroups
        );
        if !listing && names_hidden(&caller.key, params) {
            return Outcome::Answer(Err(ApiError::new(Code::ForbiddenRam)));
        }
        // The empty account owns nothing, so a denied DescribeInstances sees nothing.
        let account = if denied { "" } else { caller.account.as_str() };
        let result = self.execute(account, &caller.key, &request);
        if action.is_mutation() && result.is_ok() && self.options.op_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.options.op_ms)).await;
        }
        match fault {
            Some(Fault::DropAfterCommit) => Outcome::Dropped(Fault::DropAfterCommit),
            _ => Outcome::Answer(result),
        }
    }

    /// Counts a call against its account+action budget for the current second.
    fn admit(&self, account: &str, action: Action, limit: u32) -> bool {
        let second = self.elapsed_ms() / 1000;
        let mut rate = lock(&self.rate);
        let slot = rate
            .entry((account.to_owned(), action))
            .or_insert((second, 0));
        if slot.0 != second {
            *slot = (second, 0);
        }
        slot.1 += 1;
        slot.1 <= limit
    }

    fn execute(&self, account: &str, key: &AccessKey, request: &Request) -> Result<Body, ApiError> {
        let mut live = lock(&self.live);
        live.world.advance(self.elapsed_ms());
        let target = request.target().map(str::to_owned);
        let now = Instant::now();
        if let Some(t) = &target
            && live.busy_until.get(t).is_some_and(|until| *until > now)
        {
            return Err(ApiError::new(Code::Conflict));
        }
        let body = if key.hidden.is_empty() || request.action.is_mutation() {
            live.world.apply(account, request)?
        } else {
            live.world
                .without(|id| key.hides(id))
                .apply(account, request)?
        };
        if request.action.is_mutation() {
            if let Some(t) = target
                && self.options.op_ms > 0
            {
                live.busy_until
                    .insert(t, now + Duration::from_millis(self.options.op_ms));
                live.busy_until.retain(|_, until| *until > now);
            }
            if let Some(path) = &self.options.persist
                && let Err(e) = live.world.save(path)
            {
                tracing::error!("{e}");
                return Err(ApiError::detail(
                    Code::InternalError,
                    "The request processing has failed due to some unknown error.",
                ));
            }
        }
        Ok(body)
    }

    /// Counts one call. A served action is counted under its name; any other `Action=` (absent,
    /// misspelt, made up) under [`UNKNOWN_ACTION`], so a client cannot grow the stats without
    /// bound by inventing names. Codes come from the catalog and the fault kinds: a fixed set.
    fn record(&self, action: &str, code: &str) {
        let action = Action::parse(action).map_or(UNKNOWN_ACTION, Action::as_str);
        let mut stats = lock(&self.stats);
        stats.total += 1;
        *stats.by_action.entry(action).or_insert(0) += 1;
        *stats.by_code.entry(code.to_owned()).or_insert(0) += 1;
        *stats
            .by_action_code
            .entry(action)
            .or_default()
            .entry(code.to_owned())
            .or_insert(0) += 1;
    }

    fn stats_json(&self) -> Value {
        let stats = lock(&self.stats);
        json!({
            "total": stats.total,
            "by_action": stats.by_action,
            "by_code": stats.by_code,
            "by_action_code": stats.by_action_code,
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn log_line(
        &self,
        request_id: &str,
        action: &str,
        caller: Option<&Caller>,
        params: &BTreeMap<String, String>,
        status: Option<u16>,
        code: &str,
        started: Instant,
    ) {
        let Some(log) = &self.log else {
            return;
        };
        // Signatures and STS tokens never reach the log; the AccessKeyId is an identifier, not
        // a secret, and is what a person needs to tell callers apart.
        let shown: BTreeMap<&str, &str> = params
            .iter()
            .filter(|(k, _)| !matches!(k.as_str(), "Signature" | "SecurityToken"))
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let line = json!({
            "time": chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            "request_id": request_id,
            "action": action,
            "account": caller.map(|c| c.account.as_str()),
            "params": shown,
            "status": status,
            "code": code,
            "duration_ms": started.elapsed().as_secs_f64() * 1000.0,
        });
        let mut file = lock(log);
        let _ = writeln!(file, "{line}");
    }
}

fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

fn render(status: StatusCode, root: &str, body: Body, xml: bool) -> HttpResponse {
    if xml {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
        xml_element(&mut out, root, &Value::Object(body));
        raw_response(status, "text/xml;charset=utf-8", out)
    } else {
        json_response(status, Value::Object(body))
    }
}

/// JSON to the API's XML: objects become nested elements, an array repeats its key's element.
fn xml_element(out: &mut String, name: &str, value: &Value) {
    match value {
        Value::Array(items) => {
            for item in items {
                xml_element(out, name, item);
            }
        }
        Value::Object(map) => {
            out.push_str(&format!("<{name}>"));
            for (k, v) in map {
                xml_element(out, k, v);
            }
            out.push_str(&format!("</{name}>"));
        }
        Value::String(s) => out.push_str(&format!("<{name}>{}</{name}>", xml_escape(s))),
        Value::Null => out.push_str(&format!("<{name}/>")),
        other => out.push_str(&format!("<{name}>{other}</{name}>")),
    }
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Whether a request names (as its target or one of its groups) a resource `key` does not see.
fn names_hidden(key: &AccessKey, params: &BTreeMap<String, String>) -> bool {
    !key.hidden.is_empty()
        && params.iter().any(|(name, value)| {
            let names_a_resource = name == "InstanceId"
                || name == "NetworkInterfaceId"
                || name.starts_with("SecurityGroupId");
            names_a_resource && key.hides(value)
        })
}
