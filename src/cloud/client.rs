//! The signed ECS client: reqwest (rustls, certificate verification on) over tokio.
//!
//! Every call is a POST: the common parameters (and `Signature`) in the URL query, the action's
//! parameters as an `application/x-www-form-urlencoded` body, the signature over both (as the
//! Tea RPC client that terraform uses does). Each attempt gets a fresh `SignatureNonce` and
//! `Timestamp`. Retryable answers are retried with jittered exponential backoff; every attempt
//! first waits for the shared rate limiter.
//!
//! Debug logs (`SGFORM_LOG=debug`) show each request with `Signature`, `SecurityToken` and
//! `AccessKeyId` masked; server text is passed through a [`Redactor`] and
//! [`terminal_safe`] before it is logged or put into an error. Redirects are never followed
//! (an error), and no answer is read past [`MAX_RESPONSE_BYTES`].

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::credentials::Credentials;
use super::error::{ApiError, Error, ErrorClass, ErrorCode};
use super::escape::{percent_encode, terminal_safe};
use super::retry::{Counters, RateLimiter, RetryPolicy, Stats};
use super::secret::{Redactor, Secret};
use super::sign::{self, Method};
use crate::ids::RegionId;

/// The ECS API version this client speaks.
pub const API_VERSION: &str = "2014-05-26";

/// Parameters the client sets itself; a caller may not pass them.
pub const COMMON_PARAMS: &[&str] = &[
    "AccessKeyId",
    "Action",
    "Format",
    "SecurityToken",
    "Signature",
    "SignatureMethod",
    "SignatureNonce",
    "SignatureType",
    "SignatureVersion",
    "Timestamp",
    "Version",
];

/// The rate limit of a client that was told no budget (no `--rate-limit`, no provider
/// `rate_limit`): a ceiling, not a budget. The pace is then set by the callers' parallelism and
/// the API's latency, and the limiter finds the account's budget from the first throttling
/// answers (it slows to what was actually sent and admitted, then wins the rate back
/// gradually), so an apply that was not told the budget still has no failed operation.
/// (It was 10/s: safe, but 2,000 joins took 200 s against a budget of 100/s.)
pub const DEFAULT_RATE_LIMIT: f64 = 1000.0;

/// The largest answer the client reads, in bytes: a longer one is an error
/// ([`Error::ResponseTooLarge`]), found while reading, so no more than this is ever held in
/// memory. The largest real answers (a page of 100 instances with their ENIs and tags) are
/// well under 1 MiB.
pub const MAX_RESPONSE_BYTES: usize = 16 * 1024 * 1024;

/// How to build a [`Client`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// `https://ecs.<region>.aliyuncs.com` or an override (an emulator's `http://127.0.0.1:PORT`).
    pub endpoint: String,
    /// Sent as `RegionId` when the caller's parameters do not name one.
    pub region: RegionId,
    pub credentials: Credentials,
    /// Per attempt, from sending the request to the end of the response body.
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub retry: RetryPolicy,
    /// Requests per second across every clone of the client; `None` for no limit.
    pub rate_limit: Option<f64>,
    /// Requests allowed back to back before the rate limit spaces them.
    pub rate_burst: u32,
    /// Values that debug log lines must not show (besides the credentials): the
    /// configuration's sensitive values, which requests and answers carry as IDs.
    pub masked_in_logs: Vec<Secret>,
}

impl ClientConfig {
    /// Defaults: 30 s per attempt, 5 s to connect, [`RetryPolicy::default`], and
    /// [`DEFAULT_RATE_LIMIT`] requests/s.
    pub fn new(endpoint: impl Into<String>, region: RegionId, credentials: Credentials) -> Self {
        Self {
            endpoint: endpoint.into(),
            region,
            credentials,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            retry: RetryPolicy::default(),
            rate_limit: Some(DEFAULT_RATE_LIMIT),
            rate_burst: 5,
            masked_in_logs: Vec::new(),
        }
    }
}

/// A successful (or already-done) answer.
#[derive(Debug, Clone)]
pub struct Response {
    pub action: String,
    pub http_status: u16,
    pub request_id: Option<String>,
    /// The JSON body as the server sent it.
    pub body: serde_json::Value,
    /// Attempts it took, 1 when the first one succeeded.
    pub attempts: u32,
    /// Set when the server answered with an error that means "already in effect" for this
    /// action (join of a member, leave of a non-member); `body` is then the error body.
    pub already_done: Option<ApiError>,
}

impl Response {
    /// The body as a typed response; fields the type does not know are ignored.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_value(self.body.clone()).map_err(|e| Error::InvalidResponse {
            action: self.action.clone(),
            http_status: self.http_status,
            request_id: self.request_id.clone(),
            detail: format!("the JSON does not have the documented shape: {e}"),
        })
    }
}

/// One API action: its name, its parameters and how to read its answer. The typed requests
/// of [`super::api`] implement it; [`Client::send`] sends one.
pub trait Action {
    const NAME: &'static str;
    type Output;

    /// The action's own parameters (the client adds the common ones and `RegionId`).
    fn params(&self) -> Vec<(String, String)>;

    /// Reads the answer.
    fn output(response: &Response) -> Result<Self::Output, Error>;
}

/// The signed client. Cheap to clone; clones share the connection pool, the rate limiter and
/// the counters.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    endpoint: reqwest::Url,
    region: RegionId,
    credentials: Credentials,
    redactor: Redactor,
    /// [`Inner::redactor`]'s secrets and [`ClientConfig::masked_in_logs`]: for log lines only
    /// (answers are parsed after the plain redactor, which must not mangle their IDs).
    log_redactor: Redactor,
    timeout: Duration,
    retry: RetryPolicy,
    limiter: Option<RateLimiter>,
    counters: Counters,
}

/// The outcome of one attempt.
enum Attempt {
    Done(Response),
    Api(ApiError, serde_json::Value),
    Invalid(Error),
    Transport { connect: bool, detail: String },
}

impl Client {
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let endpoint = parse_endpoint(&config.endpoint)?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            // A redirect is an error, never followed: following it would send the signed
            // request (STS token included) to wherever it points, with the URL in `Referer`.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("sgform/", env!("CARGO_PKG_VERSION")));
        // A local emulator is never reached through a proxy configured for the internet.
        if is_loopback(&endpoint) {
            builder = builder.no_proxy();
        }
        let http = builder
            .build()
            .map_err(|e| Error::HttpClient(e.to_string()))?;
        let mut secrets = vec![&config.credentials.access_key_secret];
        if let Some(token) = &config.credentials.security_token {
            secrets.push(token);
        }
        let redactor = Redactor::new(secrets.iter().copied());
        let log_redactor = Redactor::new(secrets.into_iter().chain(&config.masked_in_logs));
        let limiter = config
            .rate_limit
            .and_then(|rate| RateLimiter::new(rate, config.rate_burst));
        Ok(Self {
            http,
            inner: Arc::new(Inner {
                endpoint,
                region: config.region,
                credentials: config.credentials,
                redactor,
                log_redactor,
                timeout: config.timeout,
                retry: config.retry,
                limiter,
                counters: Counters::default(),
            }),
        })
    }

    /// The region the client sends by default.
    pub fn region(&self) -> &RegionId {
        &self.inner.region
    }

    /// The endpoint, as a string.
    pub fn endpoint(&self) -> &str {
        self.inner.endpoint.as_str()
    }

    /// The access key ID it signs with (never the secret): what a plan file records.
    pub fn access_key_id(&self) -> &str {
        &self.inner.credentials.access_key_id
    }

    /// Calls, retries and throttled answers so far (shared by clones).
    pub fn stats(&self) -> Stats {
        self.inner.counters.snapshot()
    }

    /// Signs and sends `action` with `params`, retrying per the policy.
    ///
    /// `RegionId` is added from the client's region when `params` has none. An error code that
    /// means "already in effect" for this action is returned as `Ok` with `already_done` set.
    pub async fn call(&self, action: &str, params: &[(String, String)]) -> Result<Response, Error> {
        self.call_with_timeout(action, params, self.inner.timeout)
            .await
    }

    /// [`Client::call`] with a per-attempt timeout other than the client's.
    pub async fn call_with_timeout(
        &self,
        action: &str,
        params: &[(String, String)],
        timeout: Duration,
    ) -> Result<Response, Error> {
        self.call_inner(action, params, timeout, false).await
    }

    /// One mutation for `apply`: definite transient answers (throttling, 5xx, conflicts) are
    /// retried as by [`Client::call`], but the call returns at once when an attempt's outcome
    /// is unknown (`OutcomeUnknown`: the caller re-reads the target before sending again, so a
    /// change that was made is never sent twice) and on a wait-and-retry answer (the caller
    /// polls the target's status for as long as it is willing to wait).
    pub async fn call_mutation(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<Response, Error> {
        self.call_inner(action, params, self.inner.timeout, true)
            .await
    }

    async fn call_inner(
        &self,
        action: &str,
        params: &[(String, String)],
        timeout: Duration,
        mutation: bool,
    ) -> Result<Response, Error> {
        let params = self.action_params(action, params)?;
        let policy = self.inner.retry;
        let mut attempt: u32 = 0;
        let mut retryable_tries: u32 = 0;
        let mut wait_tries: u32 = 0;
        // The first attempt whose outcome is unknown: once a mutation may have been applied, a
        // later definite failure does not make it "not applied".
        let mut unknown: Option<String> = None;
        let fail = |error: Error, unknown: &Option<String>, attempts: u32| -> Error {
            match unknown {
                Some(first) if !is_read_only(action) && !error.is_outcome_unknown() => {
                    Error::OutcomeUnknown {
                        action: action.to_owned(),
                        endpoint: self.inner.endpoint.to_string(),
                        detail: format!("{first}; the last attempt failed with: {error}"),
                        attempts,
                    }
                }
                _ => error,
            }
        };
        loop {
            attempt += 1;
            if attempt > 1 {
                self.inner.counters.retry();
            }
            if let Some(limiter) = &self.inner.limiter {
                limiter.acquire().await;
            }
            self.inner.counters.call();
            let outcome = self.attempt(action, &params, attempt, timeout).await;
            let throttled = matches!(&outcome, Attempt::Api(e, _) if e.code.is_throttling());
            if let Some(limiter) = &self.inner.limiter {
                if throttled {
                    limiter.throttled();
                } else if !matches!(outcome, Attempt::Transport { .. }) {
                    limiter.succeeded();
                }
            }
            let (class, error) = match outcome {
                Attempt::Done(response) => return Ok(response),
                Attempt::Api(error, body) => {
                    if error.code.is_throttling() {
                        self.inner.counters.throttled();
                    }
                    if unknown.is_none()
                        && (error.http_status == 504 || error.code.as_str() == "RequestTimeout")
                    {
                        unknown = Some(format!("attempt {attempt}: {error}"));
                    }
                    let class = error.class();
                    if class == ErrorClass::AlreadyDone {
                        tracing::debug!(action, code = %error.code, "already in effect; counted as success");
                        return Ok(Response {
                            action: action.to_owned(),
                            http_status: error.http_status,
                            request_id: error.request_id.clone(),
                            body,
                            attempts: attempt,
                            already_done: Some(error),
                        });
                    }
                    (
                        class,
                        Error::Api {
                            error: Box::new(error),
                            attempts: attempt,
                        },
                    )
                }
                Attempt::Invalid(error) => {
                    let status = match &error {
                        Error::InvalidResponse { http_status, .. } => *http_status,
                        _ => 0,
                    };
                    // An answer too large to read may be the success of a mutation.
                    let unread = matches!(error, Error::ResponseTooLarge { .. });
                    if (status == 504 || unread) && unknown.is_none() {
                        unknown = Some(format!("attempt {attempt}: {error}"));
                    }
                    let retry = status >= 500;
                    let class = if retry {
                        ErrorClass::Retryable
                    } else {
                        ErrorClass::Permanent
                    };
                    (class, error)
                }
                Attempt::Transport { connect, detail } => {
                    let action = action.to_owned();
                    let endpoint = self.inner.endpoint.to_string();
                    if !connect && unknown.is_none() {
                        unknown = Some(format!("attempt {attempt}: {detail}"));
                    }
                    let error = if connect {
                        Error::Unreachable {
                            action,
                            endpoint,
                            detail,
                            attempts: attempt,
                        }
                    } else {
                        Error::OutcomeUnknown {
                            action,
                            endpoint,
                            detail,
                            attempts: attempt,
                        }
                    };
                    (ErrorClass::Retryable, error)
                }
            };
            if mutation && (unknown.is_some() || class == ErrorClass::WaitAndRetry) {
                return Err(fail(error, &unknown, attempt));
            }
            let (backoff, tries) = match class {
                ErrorClass::Retryable => (policy.retryable, &mut retryable_tries),
                ErrorClass::WaitAndRetry => (policy.wait, &mut wait_tries),
                ErrorClass::AlreadyDone | ErrorClass::Permanent => {
                    return Err(fail(error, &unknown, attempt));
                }
            };
            *tries += 1;
            if *tries >= backoff.max_attempts {
                return Err(fail(error, &unknown, attempt));
            }
            let delay = backoff.delay(*tries);
            tracing::debug!(action, attempt, ?class, ?delay, error = %self.inner.log_redactor.redact(&error.to_string()), "retrying");
            tokio::time::sleep(delay).await;
        }
    }

    /// Sends a typed request and parses its typed response.
    pub async fn send<A: Action>(&self, request: &A) -> Result<A::Output, Error> {
        let response = self.call(A::NAME, &request.params()).await?;
        A::output(&response)
    }

    /// Sends a typed mutation as [`Client::call_mutation`] does and parses its typed response.
    pub async fn mutate<A: Action>(&self, request: &A) -> Result<A::Output, Error> {
        let response = self.call_mutation(A::NAME, &request.params()).await?;
        A::output(&response)
    }

    fn action_params(
        &self,
        action: &str,
        params: &[(String, String)],
    ) -> Result<Vec<(String, String)>, Error> {
        if action.is_empty() || !action.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::InvalidRequest {
                action: action.to_owned(),
                detail: "the action must be an API name such as `DescribeInstances`".to_owned(),
            });
        }
        let mut seen = std::collections::BTreeSet::new();
        for (name, _) in params {
            if COMMON_PARAMS.contains(&name.as_str()) {
                return Err(Error::InvalidRequest {
                    action: action.to_owned(),
                    detail: format!("`{name}` is set by sgform itself; leave it out"),
                });
            }
            if name.is_empty() || !seen.insert(name.as_str()) {
                return Err(Error::InvalidRequest {
                    action: action.to_owned(),
                    detail: format!("parameter `{name}` is empty or given twice"),
                });
            }
        }
        let mut out = params.to_vec();
        if !seen.contains("RegionId") {
            out.push(("RegionId".to_owned(), self.inner.region.to_string()));
        }
        Ok(out)
    }

    async fn attempt(
        &self,
        action: &str,
        params: &[(String, String)],
        attempt: u32,
        timeout: Duration,
    ) -> Attempt {
        let creds = &self.inner.credentials;
        let mut common: Vec<(&str, String)> = vec![
            ("Action", action.to_owned()),
            ("Format", "JSON".to_owned()),
            ("Version", API_VERSION.to_owned()),
            ("AccessKeyId", creds.access_key_id.clone()),
            ("SignatureMethod", "HMAC-SHA1".to_owned()),
            ("SignatureVersion", "1.0".to_owned()),
            ("SignatureNonce", sign::fresh_nonce()),
            ("Timestamp", sign::timestamp_now()),
        ];
        if let Some(token) = &creds.security_token {
            common.push(("SecurityToken", token.expose().to_owned()));
        }
        let all = common
            .iter()
            .map(|(k, v)| (*k, v.as_str()))
            .chain(params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        let signed = sign::sign(Method::Post, all, &creds.access_key_secret);

        let encode = |pairs: &mut dyn Iterator<Item = (&str, &str)>| {
            pairs
                .map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v)))
                .collect::<Vec<_>>()
                .join("&")
        };
        let query = encode(
            &mut common
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .chain(std::iter::once(("Signature", signed.signature.as_str()))),
        );
        let body = encode(&mut params.iter().map(|(k, v)| (k.as_str(), v.as_str())));

        if tracing::enabled!(tracing::Level::DEBUG) {
            let masked: Vec<String> = common
                .iter()
                .map(|(k, v)| (*k, v.as_str()))
                .chain(params.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .map(|(k, v)| format!("{k}={}", mask(k, v)))
                .collect();
            tracing::debug!(
                action,
                attempt,
                endpoint = %self.inner.endpoint,
                params = %terminal_safe(&self.inner.log_redactor.redact(&masked.join(" "))),
                "POST Signature=***"
            );
        }

        let mut url = self.inner.endpoint.clone();
        url.set_query(Some(&query));
        let result = self
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .header("x-acs-action", action)
            .header("x-acs-version", API_VERSION)
            .timeout(timeout)
            .body(body)
            .send()
            .await;
        let response = match result {
            Ok(r) => r,
            Err(e) => return self.transport(action, attempt, e),
        };
        let status = response.status().as_u16();
        if (300..400).contains(&status) {
            return Attempt::Invalid(self.redirected(action, status, &response));
        }
        let text = match self.read_body(action, attempt, response).await {
            Ok(t) => t,
            Err(failed) => return failed,
        };
        // A success is returned as sent (redacting a short test secret could mangle real data);
        // anything that may echo the request (errors, unexpected bodies) is redacted first.
        let redacted = self.inner.redactor.redact(&text);
        tracing::debug!(action, attempt, status, body = %terminal_safe(&truncate(&self.inner.log_redactor.redact(&text), 2000)), "response");
        let text = if (200..300).contains(&status) {
            text
        } else {
            redacted
        };
        self.interpret(action, status, &text, attempt)
    }

    /// The whole body, read chunk by chunk and refused once it passes [`MAX_RESPONSE_BYTES`].
    async fn read_body(
        &self,
        action: &str,
        attempt: u32,
        mut response: reqwest::Response,
    ) -> Result<String, Attempt> {
        let too_large = || {
            tracing::debug!(
                action,
                attempt,
                limit = MAX_RESPONSE_BYTES,
                "answer too large"
            );
            Attempt::Invalid(Error::ResponseTooLarge {
                action: action.to_owned(),
                endpoint: self.inner.endpoint.to_string(),
                limit: MAX_RESPONSE_BYTES,
            })
        };
        if response
            .content_length()
            .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
        {
            return Err(too_large());
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
                        return Err(too_large());
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(String::from_utf8_lossy(&body).into_owned()),
                Err(e) => return Err(self.transport(action, attempt, e)),
            }
        }
    }

    /// The error for a redirect answer: the endpoint, the status and where it pointed (without
    /// any query, which may echo the signed request).
    fn redirected(&self, action: &str, status: u16, response: &reqwest::Response) -> Error {
        let location = response
            .headers()
            .get(reqwest::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|l| self.inner.endpoint.join(l).ok())
            .map(|mut url| {
                url.set_query(None);
                url.set_fragment(None);
                let _ = url.set_username("");
                let _ = url.set_password(None);
                truncate(
                    &terminal_safe(&self.inner.redactor.redact(url.as_str())),
                    200,
                )
            });
        tracing::debug!(action, status, ?location, "redirect not followed");
        Error::Redirected {
            action: action.to_owned(),
            endpoint: self.inner.endpoint.to_string(),
            http_status: status,
            location,
        }
    }

    fn transport(&self, action: &str, attempt: u32, e: reqwest::Error) -> Attempt {
        let connect = e.is_connect();
        let timeout = e.is_timeout();
        // The URL carries the signature and any STS token: drop it before formatting. reqwest's
        // top-level message alone says little, so the causes are appended.
        let e = e.without_url();
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(cause) = source {
            detail.push_str(": ");
            detail.push_str(&cause.to_string());
            source = cause.source();
        }
        if timeout {
            detail.push_str(" (timed out)");
        }
        let detail = terminal_safe(&self.inner.redactor.redact(&detail));
        tracing::debug!(action, attempt, connect, timeout, error = %self.inner.log_redactor.redact(&detail), "transport error");
        Attempt::Transport { connect, detail }
    }

    fn interpret(&self, action: &str, status: u16, text: &str, attempt: u32) -> Attempt {
        let parsed: Result<serde_json::Value, _> = serde_json::from_str(text);
        let request_id = parsed
            .as_ref()
            .ok()
            .and_then(|v| v.get("RequestId"))
            .and_then(|v| v.as_str())
            .map(terminal_safe);
        let body = match parsed {
            Ok(body @ serde_json::Value::Object(_)) => body,
            _ => {
                return Attempt::Invalid(Error::InvalidResponse {
                    action: action.to_owned(),
                    http_status: status,
                    request_id,
                    detail: format!(
                        "expected a JSON object, got: {}",
                        truncate(&terminal_safe(&self.inner.redactor.redact(text)), 200)
                    ),
                });
            }
        };
        if (200..300).contains(&status) {
            return Attempt::Done(Response {
                action: action.to_owned(),
                http_status: status,
                request_id,
                body,
                attempts: attempt,
                already_done: None,
            });
        }
        // Everything of an error answer can reach a terminal: no escape sequence gets there.
        let field = |name: &str| body.get(name).and_then(|v| v.as_str()).map(terminal_safe);
        let Some(code) = field("Code") else {
            return Attempt::Invalid(Error::InvalidResponse {
                action: action.to_owned(),
                http_status: status,
                request_id,
                detail: format!(
                    "an error status without a `Code`: {}",
                    truncate(&terminal_safe(text), 200)
                ),
            });
        };
        let error = ApiError {
            action: action.to_owned(),
            http_status: status,
            code: ErrorCode::new(code),
            message: field("Message").unwrap_or_default(),
            request_id,
            host_id: field("HostId"),
            recommend: field("Recommend"),
        };
        Attempt::Api(error, body)
    }
}

/// Parses an endpoint; a bare host (`ecs.cn-hangzhou.aliyuncs.com`, as terraform's
/// `ALIBABA_CLOUD_ENDPOINT_ECS` and DescribeRegions' `RegionEndpoint` give it) means HTTPS.
pub fn parse_endpoint(raw: &str) -> Result<reqwest::Url, Error> {
    let invalid = |detail: String| Error::InvalidEndpoint {
        endpoint: raw.to_owned(),
        detail,
    };
    let trimmed = raw.trim();
    let with_scheme = if trimmed.contains("://") {
        trimmed.to_owned()
    } else {
        format!("https://{trimmed}")
    };
    let url = reqwest::Url::parse(&with_scheme).map_err(|e| {
        invalid(format!(
            "{e}; expected something like `https://ecs.cn-hangzhou.aliyuncs.com`"
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(invalid(
            "expected an http:// or https:// URL with a host".to_owned(),
        ));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(invalid(
            "the endpoint may not carry a query or user info".to_owned(),
        ));
    }
    Ok(url)
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    match bare.parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => bare.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests;

/// Whether an action only reads (`Describe*`), so an unknown outcome cannot have changed anything.
fn is_read_only(action: &str) -> bool {
    action.starts_with("Describe")
}

/// How a parameter value appears in debug logs.
fn mask<'a>(name: &str, value: &'a str) -> std::borrow::Cow<'a, str> {
    match name {
        "Signature" | "SecurityToken" => "***".into(),
        "AccessKeyId" => {
            let shown: String = value.chars().take(4).collect();
            format!("{shown}***").into()
        }
        _ => value.into(),
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.len() <= max {
        return text.to_owned();
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes)", &text[..end], text.len())
}
