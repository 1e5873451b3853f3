//! An emulator on 127.0.0.1:0 for one test, and a hand-signing HTTP client for it.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sgform::emulator::{self, Options, World};
use tokio::sync::oneshot;

use super::emu_sign;

/// The wire tests' world (`testdata/worlds/wire.json`).
pub fn wire_world_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/worlds/wire.json")
}

pub fn wire_world() -> World {
    World::load(&wire_world_path()).unwrap()
}

/// Keys of the wire world.
pub const KEY: (&str, &str) = ("LTAI5tWireTestKey0001", "wire-test-secret");
pub const OTHER_KEY: (&str, &str) = ("LTAI5tOtherAccount001", "other-secret");
pub const DENY_KEY: (&str, &str) = ("LTAI5tDenyJoinKey0001", "deny-secret");
pub const STS_KEY: (&str, &str) = ("STS.NUgYrLnoC37mZZCNnAbez2Eb", "sts-secret");
pub const STS_TOKEN: &str = "CAIS+sts/token=value";

/// A running emulator; stops when `stop` is awaited (or the test's runtime ends).
pub struct Emu {
    pub base: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<Result<(), emulator::EmulatorError>>,
}

impl Emu {
    pub async fn start(world: World, options: Options) -> Emu {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(emulator::serve(listener, world, options, async {
            let _ = rx.await;
        }));
        Emu {
            base,
            stop: Some(tx),
            task,
        }
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        (&mut self.task).await.unwrap().unwrap();
    }

    pub fn client(&self) -> Client {
        Client::new(&self.base, KEY)
    }

    pub fn client_with(&self, key: (&str, &str)) -> Client {
        Client::new(&self.base, key)
    }

    pub async fn world(&self) -> Value {
        reqwest::get(format!("{}/_emulator/world", self.base))
            .await
            .unwrap()
            .text()
            .await
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap()
    }

    pub async fn stats(&self) -> Value {
        reqwest::get(format!("{}/_emulator/stats", self.base))
            .await
            .unwrap()
            .text()
            .await
            .map(|t| serde_json::from_str(&t).unwrap())
            .unwrap()
    }

    /// The groups of an instance or ENI in the emulator's current world.
    pub async fn groups_of(&self, id: &str) -> Vec<String> {
        let world = self.world().await;
        for list in ["instances", "network_interfaces"] {
            for item in world[list].as_array().unwrap() {
                if item["id"] == id {
                    return item["security_group_ids"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .map(|v| v.as_str().unwrap().to_owned())
                        .collect();
                }
            }
        }
        panic!("{id} is not in the world");
    }
}

/// An answer: the HTTP status and the JSON body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
}

impl Answer {
    pub fn code(&self) -> &str {
        self.body["Code"].as_str().unwrap_or("OK")
    }

    #[track_caller]
    pub fn ok(&self) -> &Value {
        assert_eq!(self.status, 200, "{:#}", self.body);
        &self.body
    }
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub key_id: String,
    pub secret: String,
    pub token: Option<String>,
}

impl Client {
    pub fn new(base: &str, key: (&str, &str)) -> Client {
        Client {
            http: reqwest::Client::new(),
            base: base.to_owned(),
            key_id: key.0.to_owned(),
            secret: key.1.to_owned(),
            token: None,
        }
    }

    /// The signed parameters of a call (common + `params`), ready to send.
    pub fn signed(
        &self,
        method: &str,
        action: &str,
        params: &[(&str, &str)],
    ) -> Vec<(String, String)> {
        let mut all = emu_sign::common(&self.key_id, action);
        if let Some(t) = &self.token {
            all.push(("SecurityToken".into(), t.clone()));
        }
        all.extend(
            params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        );
        let sig = emu_sign::signature(method, &all, &self.secret);
        all.push(("Signature".into(), sig));
        all
    }

    /// Sends already-signed parameters as a GET query.
    pub async fn send_get(&self, params: &[(String, String)]) -> Result<Answer, reqwest::Error> {
        let url = format!("{}/?{}", self.base, emu_sign::encode(params));
        let resp = self.http.get(url).send().await?;
        let status = resp.status().as_u16();
        let text = resp.text().await?;
        let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
        Ok(Answer { status, body })
    }

    /// A signed GET.
    pub async fn call(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        let signed = self.signed("GET", action, params);
        self.send_get(&signed).await.unwrap()
    }

    /// A signed GET whose transport may fail (drop faults).
    pub async fn try_call(
        &self,
        action: &str,
        params: &[(&str, &str)],
    ) -> Result<Answer, reqwest::Error> {
        let signed = self.signed("GET", action, params);
        self.send_get(&signed).await
    }

    /// A signed POST with the common parameters in the query and the action's in a form body.
    pub async fn post(&self, action: &str, params: &[(&str, &str)]) -> Answer {
        let signed = self.signed("POST", action, params);
        let (body, query): (Vec<_>, Vec<_>) = signed
            .into_iter()
            .partition(|(k, _)| params.iter().any(|(p, _)| p == k));
        let resp = self
            .http
            .post(format!("{}/?{}", self.base, emu_sign::encode(&query)))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(emu_sign::encode(&body))
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        Answer {
            status,
            body: serde_json::from_str(&resp.text().await.unwrap()).unwrap(),
        }
    }
}

/// The instances in `group` in an emulator's world (as `Emu::world` returns it).
pub fn members_of(world: &serde_json::Value, group: &str) -> std::collections::BTreeSet<String> {
    world["instances"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| {
            i["security_group_ids"]
                .as_array()
                .unwrap()
                .contains(&serde_json::json!(group))
        })
        .map(|i| i["id"].as_str().unwrap().to_owned())
        .collect()
}
