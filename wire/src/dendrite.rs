//! The dendrite: signed HTTP calls to miners, wire-compatible with the Python SDK, over the
//! [`Protocol`] the subnet speaks: the v9/v10 Synapse or SDK 11's btauth/1.
//!
//! One pooled HTTP client (connections are reused across rounds), all selected miners queried
//! concurrently, each call bounded by a deadline and a response-size cap, and every outcome
//! mapped to the SDK's status codes (200, 401, 403, 404, 408, 422, 500, 503, …) so that scoring
//! and metrics see what a Python validator would — the same for both protocols.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use subxt_signer::sr25519::Keypair;

use crate::btauth::client::SignExt;
use crate::btauth::Signer;
use crate::synapse::{
    body_hash, input_obj_headers, signing_message, terminal_headers, Envelope, Synapse,
    TerminalInfo, SDK_VERSION,
};
use crate::Protocol;

/// One axon to call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AxonTarget {
    /// The miner's uid.
    pub uid: u16,
    /// Its IP (v4 or v6, as text).
    pub ip: String,
    /// Its port.
    pub port: u16,
    /// Its hotkey (SS58), which the signature binds.
    pub hotkey: String,
}

/// Dendrite settings.
#[derive(Debug, Clone)]
pub struct DendriteConfig {
    /// Deadline per call (connect, send, answer, body).
    pub timeout: Duration,
    /// Largest response body accepted; bigger ones are cut off and scored as unparseable.
    pub max_response_bytes: usize,
    /// The IP we announce as the dendrite's (`bt_header_dendrite_ip`, Synapse only).
    pub external_ip: String,
    /// The protocol the miners speak.
    pub protocol: Protocol,
}

impl Default for DendriteConfig {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(12),
            max_response_bytes: 4 * 1024 * 1024,
            external_ip: "127.0.0.1".into(),
            protocol: Protocol::default(),
        }
    }
}

/// One call's outcome.
#[derive(Debug, Clone)]
pub struct Reply<T> {
    /// The miner's uid.
    pub uid: u16,
    /// The SDK's status code for the outcome.
    pub status: u16,
    /// The status message.
    pub message: String,
    /// Seconds from send to the last byte (or to the failure).
    pub process_time: f64,
    /// The miner's answer (its synapse, or its JSON over btauth), on 200.
    pub synapse: Option<T>,
}

impl<T> Reply<T> {
    /// True on 200 with a parsed answer.
    pub fn is_success(&self) -> bool {
        self.status == 200 && self.synapse.is_some()
    }
}

/// A signing HTTP client for miners.
pub struct Dendrite {
    client: reqwest::Client,
    keypair: Keypair,
    signer: Signer,
    hotkey: String,
    uuid: String,
    last_nonce: AtomicI64,
    config: DendriteConfig,
}

/// Why a dendrite could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the HTTP client: {0}")]
pub struct DendriteError(String);

impl Dendrite {
    /// A dendrite signing with `keypair`.
    pub fn new(keypair: Keypair, config: DendriteConfig) -> Result<Self, DendriteError> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(4)
            // Shorter than any server keeps an idle connection (uvicorn 5 s, our miner's
            // header deadline 5 s): a connection the server is closing is never reused.
            .pool_idle_timeout(Duration::from_secs(1))
            .connect_timeout(config.timeout)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| DendriteError(e.to_string()))?;
        Ok(Self {
            client,
            hotkey: bt_core::ss58::bittensor(&keypair.public_key().0),
            signer: Signer::sr25519(keypair.clone()),
            keypair,
            uuid: uuid::Uuid::new_v4().to_string(),
            last_nonce: AtomicI64::new(0),
            config,
        })
    }

    /// Our hotkey (SS58).
    pub fn hotkey(&self) -> &str {
        &self.hotkey
    }

    /// The protocol it speaks.
    pub fn protocol(&self) -> Protocol {
        self.config.protocol
    }

    /// Wall-clock ns, strictly increasing across calls (axons reject a repeated nonce).
    fn nonce(&self) -> i64 {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as i64)
            .unwrap_or(0);
        let mut last = self.last_nonce.load(Ordering::Relaxed);
        loop {
            let next = now.max(last + 1);
            match self.last_nonce.compare_exchange_weak(
                last,
                next,
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return next,
                Err(seen) => last = seen,
            }
        }
    }

    /// Queries every target concurrently; replies come back in the targets' order.
    pub async fn forward<T: Synapse>(&self, targets: &[AxonTarget], synapse: &T) -> Vec<Reply<T>> {
        futures::future::join_all(targets.iter().map(|t| self.call(t, synapse))).await
    }

    /// One signed call, over the configured protocol.
    pub async fn call<T: Synapse>(&self, target: &AxonTarget, synapse: &T) -> Reply<T> {
        let start = Instant::now();
        let reply = |status: u16, message: String, synapse: Option<T>| Reply {
            uid: target.uid,
            status,
            message,
            process_time: start.elapsed().as_secs_f64(),
            synapse,
        };
        let exchange = async {
            match self.config.protocol {
                Protocol::Synapse => self.exchange_synapse(target, synapse).await,
                Protocol::Btauth => self.exchange_btauth(target, synapse).await,
            }
        };
        match tokio::time::timeout(self.config.timeout, exchange).await {
            Ok(Ok((status, message, body))) => reply(status, message, body),
            Ok(Err((status, message))) => reply(status, message, None),
            Err(_) => reply(
                408,
                format!(
                    "Request timeout after {} seconds",
                    self.config.timeout.as_secs_f64()
                ),
                None,
            ),
        }
    }

    /// The Synapse protocol: the envelope, the `bt_header_*` headers, the signed message.
    async fn exchange_synapse<T: Synapse>(
        &self,
        target: &AxonTarget,
        synapse: &T,
    ) -> Result<(u16, String, Option<T>), (u16, String)> {
        let hash = body_hash(synapse);
        let nonce = self.nonce();
        let message = signing_message(nonce, &self.hotkey, &target.hotkey, &self.uuid, &hash);
        let signature = format!("0x{}", hex::encode(self.keypair.sign(message.as_bytes()).0));
        let dendrite = TerminalInfo {
            ip: Some(self.config.external_ip.clone()),
            version: Some(SDK_VERSION),
            nonce: Some(nonce),
            uuid: Some(self.uuid.clone()),
            hotkey: Some(self.hotkey.clone()),
            signature: Some(signature),
            ..TerminalInfo::default()
        };
        let axon = TerminalInfo {
            ip: Some(target.ip.clone()),
            port: Some(i64::from(target.port)),
            hotkey: Some(target.hotkey.clone()),
            ..TerminalInfo::default()
        };
        let timeout = self.config.timeout.as_secs_f64();
        let envelope = Envelope {
            name: T::NAME.to_string(),
            timeout,
            total_size: Some(0),
            header_size: Some(0),
            dendrite: Some(dendrite.clone()),
            axon: Some(axon.clone()),
            computed_body_hash: Some(String::new()),
            body: synapse.clone(),
        };
        let body = serde_json::to_vec(&envelope)
            .map_err(|e| (422, format!("cannot encode the request: {e}")))?;
        let url = format!("http://{}/{}", target.authority(), T::NAME);
        let mut request = self
            .client
            .post(&url)
            .header("content-type", "application/json")
            .header("name", T::NAME)
            .header("timeout", format!("{timeout:?}"))
            .header("total_size", "0")
            .header("header_size", "0")
            .header("computed_body_hash", &hash);
        for (k, v) in terminal_headers("axon", &axon)
            .into_iter()
            .chain(terminal_headers("dendrite", &dendrite))
            .chain(input_obj_headers::<T>())
        {
            request = request.header(k, v);
        }
        let response = request
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(e, timeout, target, T::NAME))?;
        let status = response.status().as_u16();
        let header_status = response
            .headers()
            .get("bt_header_axon_status_code")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u16>().ok());
        let header_hotkey = response
            .headers()
            .get("bt_header_axon_hotkey")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let bytes = read_capped(response, self.config.max_response_bytes).await?;
        if status != 200 {
            return Err((status, error_message(status, &bytes)));
        }
        let parsed: Envelope<T> = serde_json::from_slice(&bytes)
            .map_err(|e| (422, format!("Failed to parse response: {e}")))?;
        // An answer that names another hotkey than the one we called (in its envelope or its
        // headers) is not this miner's work: refuse it rather than credit it.
        let claimed = parsed
            .axon
            .as_ref()
            .and_then(|a| a.hotkey.clone())
            .or(header_hotkey);
        if let Some(claimed) = claimed.filter(|h| !h.is_empty() && *h != target.hotkey) {
            return Err((
                401,
                format!(
                    "the answer is signed for hotkey {claimed}, not the miner's {}",
                    target.hotkey
                ),
            ));
        }
        let axon_status = parsed
            .axon
            .as_ref()
            .and_then(|a| a.status_code)
            .and_then(|c| u16::try_from(c).ok());
        let message = parsed
            .axon
            .as_ref()
            .and_then(|a| a.status_message.clone())
            .unwrap_or_else(|| "Success".into());
        Ok((
            header_status.or(axon_status).unwrap_or(200),
            message,
            Some(parsed.body),
        ))
    }
}

impl Dendrite {
    /// btauth/1: the request's own JSON posted to its route, signed for the miner's hotkey;
    /// the answer is the miner's JSON.
    async fn exchange_btauth<T: Synapse>(
        &self,
        target: &AxonTarget,
        synapse: &T,
    ) -> Result<(u16, String, Option<T>), (u16, String)> {
        let body = serde_json::to_vec(synapse)
            .map_err(|e| (422, format!("cannot encode the request: {e}")))?;
        let url = format!("http://{}{}", target.authority(), T::ROUTE);
        let request = self
            .client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .btauth(&self.signer, Some(&target.hotkey))
            .map_err(|e| (500, format!("Client error: {e}")))?;
        let response =
            self.client.execute(request).await.map_err(|e| {
                transport_error(e, self.config.timeout.as_secs_f64(), target, T::ROUTE)
            })?;
        let status = response.status().as_u16();
        let bytes = read_capped(response, self.config.max_response_bytes).await?;
        if status != 200 {
            return Err((status, error_message(status, &bytes)));
        }
        let parsed: T = serde_json::from_slice(&bytes)
            .map_err(|e| (422, format!("Failed to parse response: {e}")))?;
        Ok((200, "Success".into(), Some(parsed)))
    }
}

impl AxonTarget {
    /// `ip:port`, with an IPv6 address in brackets.
    fn authority(&self) -> String {
        if self.ip.contains(':') {
            format!("[{}]:{}", self.ip, self.port)
        } else {
            format!("{}:{}", self.ip, self.port)
        }
    }
}

/// A failed send as the SDK reports it: 408 on a timeout, 503 when nothing answers, else 500.
fn transport_error(
    e: reqwest::Error,
    timeout: f64,
    target: &AxonTarget,
    path: &str,
) -> (u16, String) {
    if e.is_timeout() {
        (408, format!("Request timeout after {timeout} seconds"))
    } else if e.is_connect() {
        let path = path.trim_start_matches('/');
        (
            503,
            format!("Service unavailable at {}/{path}", target.authority()),
        )
    } else {
        (500, format!("Client error: {}", e.without_url()))
    }
}

/// A refusal's message: the body's `message` (ours, the SDK's axon) or `detail` (FastAPI's),
/// else the status.
fn error_message(status: u16, body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            ["message", "detail"]
                .iter()
                .find_map(|k| v.get(*k).and_then(|m| m.as_str()).map(str::to_string))
        })
        .unwrap_or_else(|| format!("HTTP {status}"))
}

/// The body, refusing more than `cap` bytes.
async fn read_capped(
    mut response: reqwest::Response,
    cap: usize,
) -> Result<Vec<u8>, (u16, String)> {
    if response.content_length().is_some_and(|n| n as usize > cap) {
        return Err((
            422,
            format!("Failed to parse response: the body is over the {cap}-byte cap"),
        ));
    }
    let mut body = Vec::new();
    loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                if body.len() + chunk.len() > cap {
                    return Err((
                        422,
                        format!("Failed to parse response: the body is over the {cap}-byte cap"),
                    ));
                }
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body),
            Err(e) if e.is_timeout() => {
                return Err((408, "Request timeout while reading the body".into()))
            }
            Err(e) => return Err((400, format!("Response payload error: {}", e.without_url()))),
        }
    }
}
