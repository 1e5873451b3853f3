//! An [`Inventory`](sgform::plan::Inventory) for a world, the way `plan` gets one: the real
//! `plan::refresh` against an emulator serving the world over loopback.

use sgform::cloud::{Client, ClientConfig, Credentials, Secret};
use sgform::config::Config;
use sgform::emulator::{Options, World};
use sgform::ids::RegionId;
use sgform::ops::{self, plan::PlanRun};
use sgform::plan::PlanOptions;
use sgform::plan::refresh::{self, Clients, Refreshed};
use sgform::state::State;

use super::emu_env::Emu;

/// A client for `base` in `region` with `key`, without a client-side rate limit (tests assert
/// budgets, not pacing).
pub fn client(base: &str, region: &str, key: (&str, &str)) -> Client {
    let credentials = Credentials::new(key.0, Secret::new(key.1));
    let mut c = ClientConfig::new(base, RegionId::parse(region).unwrap(), credentials);
    c.rate_limit = None;
    Client::new(c).unwrap()
}

/// Refreshes `config` against a fresh emulator on `world`: every provider of the configuration
/// gets a client for its `region` (default `cn-hangzhou`) with the world's first access key.
/// Returns the refresh and the emulator's `/_emulator/stats` afterwards.
pub async fn refresh_world(
    world: World,
    config: &Config,
    state: &State,
) -> (Refreshed, serde_json::Value) {
    let (emu, clients) = serve(world, config).await;
    let refreshed = refresh::refresh(&clients, config, state, refresh::DEFAULT_PARALLELISM)
        .await
        .unwrap();
    let stats = emu.stats().await;
    emu.stop().await;
    (refreshed, stats)
}

/// Plans `config` against a fresh emulator on `world` (clients as [`refresh_world`] makes
/// them), through the pipeline every plan takes: `ops::plan::refresh_and_plan`.
pub async fn plan_world(
    world: World,
    config: &Config,
    state: &State,
    options: &PlanOptions,
) -> PlanRun {
    let (emu, clients) = serve(world, config).await;
    let run = ops::plan::refresh_and_plan(
        &clients,
        config,
        state,
        refresh::DEFAULT_PARALLELISM,
        options,
    )
    .await
    .unwrap();
    emu.stop().await;
    run
}

/// An emulator serving `world`, and a client for every provider of `config` in its `region`
/// (default `cn-hangzhou`) with the world's first access key.
async fn serve(world: World, config: &Config) -> (Emu, Clients) {
    let file = world.to_file();
    let key = file
        .accounts
        .iter()
        .find_map(|a| a.access_keys.first())
        .expect("the world has an access key");
    let emu = Emu::start(world, Options::default()).await;
    let mut clients = Clients::new();
    for p in config.providers() {
        let region = p
            .region
            .as_ref()
            .map_or("cn-hangzhou", |r| r.as_str())
            .to_owned();
        clients.insert(
            p.alias.clone(),
            client(&emu.base, &region, (&key.id, &key.secret)),
        );
    }
    (emu, clients)
}
