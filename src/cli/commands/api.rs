//! `sgform api ACTION [Key=Value ...]`: sign and send one ECS API request with the same client
//! `plan` and `apply` use, and print the JSON answer, like `aliyun ecs ACTION`.
//!
//! The answer goes to stdout (pretty JSON); an API error goes to stderr with its code, message,
//! HTTP status, request id and a hint, and the exit code is 1.

#![allow(clippy::print_stderr)] // the API error report is this command's output

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use crate::cli::args::{HumanDuration, parse_seconds_or_duration};
use crate::cli::printer;
use crate::cloud::credentials::ProviderSettings;
use crate::cloud::{ApiError, Client, Response};
use crate::ops;

/// Sign and send one ECS API request and print the JSON response.
#[derive(Debug, clap::Args)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// The API action, case-sensitive (e.g. `DescribeInstances`, `JoinSecurityGroup`).
    pub action: String,

    /// Action parameters, each `Key=Value` (e.g. `InstanceId=i-bp1gtjxuuvwj17zr8s5f`,
    /// `InstanceIds=["i-…"]`, `SecurityGroupIds.1=sg-…`).
    #[arg(value_name = "KEY=VALUE")]
    pub params: Vec<String>,

    /// Region (default: ALIBABA_CLOUD_REGION_ID, ALICLOUD_REGION, then the profile's region_id).
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// ECS endpoint URL (default: ALIBABA_CLOUD_ENDPOINT_ECS, then `https://ecs.REGION.aliyuncs.com`).
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,

    /// Profile in ~/.aliyun/config.json (default: ALIBABA_CLOUD_PROFILE, then the file's `current`).
    #[arg(long, value_name = "NAME")]
    pub profile: Option<String>,

    /// How long to wait for each attempt's answer (`30s`, `2m`; a bare number is seconds).
    #[arg(long, value_name = "DURATION", default_value_t = HumanDuration(ops::DEFAULT_API_TIMEOUT), value_parser = parse_seconds_or_duration)]
    pub timeout: HumanDuration,
}

const AFTER_HELP: &str = "\
Credentials and region come from the chain described under `Credentials` in README.md:
environment variables, then ~/.aliyun/config.json. `RegionId` is added from the region unless
given as a parameter. The response is printed to stdout; an API error goes to stderr (code,
message, HTTP status, request id, hint) and the exit code is 1.

Example:
  sgform api DescribeSecurityGroups MaxResults=10 --region cn-hangzhou";

fn parse_params(raw: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    raw.iter()
        .map(|p| match p.split_once('=') {
            Some((k, v)) if !k.is_empty() => Ok((k.to_owned(), v.to_owned())),
            _ => anyhow::bail!(
                "parameter `{p}` is not `Key=Value`, e.g. `InstanceId=i-bp1gtjxuuvwj17zr8s5f`"
            ),
        })
        .collect()
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let params = parse_params(&args.params)?;
    let region_param = params
        .iter()
        .find(|(k, _)| k == "RegionId")
        .map(|(_, v)| v.clone());
    let settings = ProviderSettings {
        region: args.region.clone().or(region_param),
        profile: args.profile.clone(),
        ..Default::default()
    };
    let runtime = crate::cli::runtime()?;
    let response = runtime.block_on(send(&args, &settings, &params));
    match response {
        Ok(response) => match &response.already_done {
            // The raw command reports the server's answer as it is; `apply` is what treats
            // this code as success.
            Some(error) => {
                print_api_error(error);
                Ok(ExitCode::FAILURE)
            }
            None => {
                let text = serde_json::to_string_pretty(&response.body)
                    .context("failed to format the response as JSON")?;
                printer::data(&format!("{text}\n"))?;
                Ok(ExitCode::SUCCESS)
            }
        },
        Err(err) => {
            match err.api() {
                Some(error) => print_api_error(error),
                None => print_error(&err),
            }
            Ok(ExitCode::FAILURE)
        }
    }
}

/// Resolves the chains, builds the client and sends the request.
async fn send(
    args: &Args,
    settings: &ProviderSettings,
    params: &[(String, String)],
) -> Result<Response, crate::cloud::Error> {
    let env = crate::cli::env::environment();
    let mut config =
        ops::connect::real_cloud_config(settings, args.endpoint.as_deref(), "sgform api", &env)?;
    config.timeout = args.timeout.0.max(Duration::from_secs(1));
    Client::new(config)?.call(&args.action, params).await
}

fn error_head() -> &'static str {
    if crate::cli::printer::color() {
        "\x1b[1;31merror\x1b[0m"
    } else {
        "error"
    }
}

fn print_error(e: &crate::cloud::Error) {
    eprintln!("{}: {e}", error_head());
    if let Some(hint) = e.hint() {
        eprintln!("hint: {hint}");
    }
}

fn print_api_error(e: &ApiError) {
    let head = error_head();
    eprintln!(
        "{head}: {} failed: {} (HTTP {})",
        e.action, e.code, e.http_status
    );
    eprintln!("  code: {}", e.code);
    eprintln!("  message: {}", e.message);
    eprintln!("  http status: {}", e.http_status);
    eprintln!(
        "  request id: {}",
        e.request_id.as_deref().unwrap_or("(none)")
    );
    if let Some(host) = &e.host_id {
        eprintln!("  host id: {host}");
    }
    if let Some(recommend) = &e.recommend {
        eprintln!("  recommend: {recommend}");
    }
    eprintln!("hint: {}", e.hint());
}
