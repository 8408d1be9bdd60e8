//! The axon: a miner's HTTP server for one request type and one handler, over either
//! [`Protocol`] (or both on one port).
//!
//! Synapse (v9/v10), with v9's rules — the pipeline is name → headers → blacklist → verify
//! (signature mandatory, nonce window and per-endpoint monotonic nonces) → body (size cap, body
//! hash) → the handler → response; each refusal carries the SDK's status code and message.
//!
//! btauth/1 — `POST {ROUTE}` behind the [`BtauthLayer`] (body cap, verification, the same
//! blacklist, replay store) → the JSON body → the handler → the answer as JSON; refusals are
//! `{"error", "message"}` with 401/403/413/422/429/503.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use subxt_signer::sr25519;

use crate::allowlist::Allowlist;
use crate::btauth::nonce::Limits;
use crate::btauth::server::{BtauthLayer, Verifier};
use crate::btauth::{Caller, Policy};
use crate::synapse::{
    body_hash, signing_message, terminal_from_headers, terminal_headers, Envelope, Synapse,
    TerminalInfo, SDK_VERSION,
};
use crate::Protocol;

/// The nonce window's base (the SDK's 4 s, plus the request's timeout).
const NONCE_WINDOW_NS: i64 = 4_000_000_000;
/// v7.2.0 as an integer: from here on the axon checks the nonce's age.
const V_7_2_0: i64 = 7_002_000;
/// The request's timeout widens the nonce window, but the header is unsigned: we count at most
/// this much of it, so a forged timeout cannot reopen an old request (the SDK has no bound).
const MAX_TIMEOUT_IN_WINDOW_NS: i64 = 60_000_000_000;
/// Above this many remembered endpoints, those whose last nonce is older than the widest window
/// are forgotten: their old requests fail the window check anyway (for dendrites ≥ v7.2).
const MAX_REMEMBERED_ENDPOINTS: usize = 100_000;

/// What the handler returns: the answer, or an error status with a message.
pub type HandlerResult<T> = Result<T, (u16, String)>;
/// The miner's logic for one synapse type.
pub type Handler<T> =
    Arc<dyn Fn(T) -> Pin<Box<dyn Future<Output = HandlerResult<T>> + Send>> + Send + Sync>;

/// Shared axon state.
pub struct Axon<T: Synapse> {
    hotkey: String,
    uuid: String,
    handler: Handler<T>,
    allow: Allowlist,
    nonces: Mutex<HashMap<String, i64>>,
    max_body_bytes: usize,
    btauth: BtauthLayer,
}

/// How an axon is set up.
#[derive(Debug, Clone)]
pub struct AxonConfig {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Who may call (403 for the others).
    pub allowlist: Allowlist,
    /// btauth's replay store: pairs held at most, and per hotkey (see [`Limits`]).
    pub nonce_capacity: usize,
    /// The same, per hotkey.
    pub nonce_per_hotkey: usize,
}

impl Default for AxonConfig {
    /// 1 MiB bodies, every caller admitted, the replay store's default limits.
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            max_body_bytes: 1 << 20,
            allowlist: Allowlist::everyone(),
            nonce_capacity: limits.capacity,
            nonce_per_hotkey: limits.per_hotkey,
        }
    }
}

impl<T: Synapse> Axon<T> {
    /// An axon for the hotkey `public`, answering `T` with `handler`.
    pub fn new(public: [u8; 32], handler: Handler<T>, config: AxonConfig) -> Arc<Self> {
        let hotkey = bt_chain::AccountId32(public).to_string();
        let btauth = Verifier::new(Policy::new(hotkey.clone()))
            .memory_limits(config.nonce_capacity, config.nonce_per_hotkey)
            .allowlist(config.allowlist.clone())
            .max_body_bytes(config.max_body_bytes)
            .layer();
        Arc::new(Self {
            hotkey,
            uuid: uuid::Uuid::new_v4().to_string(),
            handler,
            allow: config.allowlist,
            nonces: Mutex::new(HashMap::new()),
            max_body_bytes: config.max_body_bytes,
            btauth,
        })
    }

    /// The axon's hotkey (SS58).
    pub fn hotkey(&self) -> &str {
        &self.hotkey
    }

    /// The Synapse router: `POST /{SynapseName}` (any other name is a 404).
    pub fn router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new()
            .route("/{name}", axum::routing::post(serve::<T>).get(serve::<T>))
            .with_state(self.clone())
    }

    /// The btauth router: `POST {ROUTE}`, verified by one [`BtauthLayer`] (one replay store)
    /// however many routers are made. Other routes are a 404 (and other methods a 405) before
    /// any verification, so a caller on the wrong protocol is told so.
    pub fn btauth_router(self: &Arc<Self>) -> axum::Router {
        axum::Router::new()
            .route(T::ROUTE, post(serve_json::<T>))
            .route_layer(self.btauth.clone())
            .with_state(self.clone())
    }

    /// The router for `protocols` (both on one port: btauth at its route, Synapse at the rest).
    pub fn router_for(self: &Arc<Self>, protocols: &[Protocol]) -> axum::Router {
        let mut router = axum::Router::new();
        if protocols.contains(&Protocol::Btauth) {
            router = router.merge(self.btauth_router());
        }
        if protocols.contains(&Protocol::Synapse) {
            router = router.merge(self.router());
        }
        router
    }

    /// The btauth verifier (its policy, replay store and allowlist).
    pub fn btauth_verifier(&self) -> &Verifier {
        self.btauth.verifier()
    }

    fn error(
        &self,
        status: u16,
        message: String,
        dendrite: &TerminalInfo,
        start: Instant,
    ) -> Response {
        let axon = TerminalInfo {
            status_code: Some(i64::from(status)),
            status_message: Some(message.clone()),
            process_time: Some(start.elapsed().as_secs_f64()),
            version: Some(SDK_VERSION),
            uuid: Some(self.uuid.clone()),
            hotkey: Some(self.hotkey.clone()),
            ..TerminalInfo::default()
        };
        let mut headers = HeaderMap::new();
        for (k, v) in terminal_headers("axon", &axon)
            .into_iter()
            .chain(terminal_headers("dendrite", dendrite))
        {
            if let (Ok(k), Ok(v)) = (
                axum::http::HeaderName::from_str(&k),
                axum::http::HeaderValue::from_str(&v),
            ) {
                headers.insert(k, v);
            }
        }
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST);
        (
            code,
            headers,
            axum::Json(serde_json::json!({ "message": message })),
        )
            .into_response()
    }

    /// v9's `default_verify`: nonce rules, then the signature (mandatory).
    fn verify(
        &self,
        d: &TerminalInfo,
        timeout_s: f64,
        body_hash_header: &str,
    ) -> Result<(), String> {
        let nonce = d.nonce.ok_or("Missing Nonce")?;
        let hotkey = d.hotkey.as_deref().ok_or("Missing dendrite hotkey")?;
        let uuid = d.uuid.as_deref().unwrap_or("");
        let key = format!("{hotkey}:{uuid}");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|x| x.as_nanos() as i64)
            .unwrap_or(0);
        let mut nonces = self.nonces.lock().map_err(|_| "internal error")?;
        match nonces.get(&key) {
            None if d.version.unwrap_or(0) >= V_7_2_0 => {
                let window =
                    NONCE_WINDOW_NS + ((timeout_s * 1e9) as i64).min(MAX_TIMEOUT_IN_WINDOW_NS);
                if nonce <= now - window {
                    return Err(format!(
                        "Nonce is too old: acceptable delta is {:.2} seconds but request was {:.2} seconds old",
                        window as f64 / 1e9,
                        (now - nonce) as f64 / 1e9
                    ));
                }
            }
            Some(&last) if nonce <= last => {
                return Err("Nonce is too old, a newer one was last processed".into())
            }
            _ => {}
        }
        let signature = d.signature.as_deref().ok_or("Missing Signature")?;
        let sig_bytes: [u8; 64] = hex::decode(signature.strip_prefix("0x").unwrap_or(signature))
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("Signature is not 64 hex bytes")?;
        let public = bt_chain::AccountId32::from_str(hotkey)
            .map_err(|_| "the dendrite hotkey is not an SS58 address")?;
        let message = signing_message(nonce, hotkey, &self.hotkey, uuid, body_hash_header);
        if !sr25519::verify(
            &sr25519::Signature(sig_bytes),
            message.as_bytes(),
            &sr25519::PublicKey(public.0),
        ) {
            return Err(format!("Signature mismatch with {message} and {signature}"));
        }
        if nonces.len() >= MAX_REMEMBERED_ENDPOINTS {
            let oldest_open = now - NONCE_WINDOW_NS - MAX_TIMEOUT_IN_WINDOW_NS;
            nonces.retain(|_, last| *last > oldest_open);
        }
        nonces.insert(key, nonce);
        Ok(())
    }
}

async fn serve<T: Synapse>(
    State(axon): State<Arc<Axon<T>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let start = Instant::now();
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let dendrite = terminal_from_headers("dendrite", header);
    if name != T::NAME {
        return axon.error(
            404,
            format!(
                "Synapse name '{name}' not found. Available synapses ['{}']",
                T::NAME
            ),
            &dendrite,
            start,
        );
    }
    let timeout: f64 = match header("timeout").map(|t| t.parse::<f64>()) {
        None => 12.0,
        Some(Ok(t)) if t.is_finite() && t >= 0.0 => t,
        Some(_) => {
            return axon.error(
                400,
                "Internal Server Error: cannot parse the timeout header".into(),
                &dendrite,
                start,
            )
        }
    };
    // Blacklist, before verification (as the SDK orders them).
    let hotkey = dendrite.hotkey.clone().unwrap_or_default();
    if axon.allow.check_ss58(&hotkey).is_err() {
        return axon.error(
            403,
            "Forbidden. Key is blacklisted: Unrecognized hotkey.".into(),
            &dendrite,
            start,
        );
    }
    let hash_header = header("computed_body_hash").unwrap_or_default();
    if let Err(reason) = axon.verify(&dendrite, timeout, &hash_header) {
        return axon.error(
            401,
            format!("Not Verified with error: {reason}"),
            &dendrite,
            start,
        );
    }
    if body.len() > axon.max_body_bytes {
        return axon.error(
            413,
            format!("the request body is over {} bytes", axon.max_body_bytes),
            &dendrite,
            start,
        );
    }
    let request: Envelope<T> = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(_) => {
            return axon.error(
                500,
                format!("Internal Server Error #{}", uuid::Uuid::new_v4()),
                &dendrite,
                start,
            )
        }
    };
    if body_hash(&request.body) != hash_header {
        return axon.error(
            500,
            format!("Internal Server Error #{}", uuid::Uuid::new_v4()),
            &dendrite,
            start,
        );
    }
    let answer = match (axon.handler)(request.body).await {
        Ok(a) => a,
        Err((status, message)) => return axon.error(status, message, &dendrite, start),
    };
    let axon_info = TerminalInfo {
        status_code: Some(200),
        status_message: Some("Success".into()),
        process_time: Some(start.elapsed().as_secs_f64()),
        hotkey: Some(axon.hotkey.clone()),
        ..request.axon.clone().unwrap_or_default()
    };
    let response = Envelope {
        name: T::NAME.to_string(),
        timeout,
        total_size: request.total_size,
        header_size: request.header_size,
        dendrite: request.dendrite.clone(),
        axon: Some(axon_info.clone()),
        computed_body_hash: request.computed_body_hash.clone(),
        body: answer,
    };
    let mut out_headers = HeaderMap::new();
    for (k, v) in terminal_headers("axon", &axon_info)
        .into_iter()
        .chain(terminal_headers("dendrite", &dendrite))
    {
        if let (Ok(k), Ok(v)) = (
            axum::http::HeaderName::from_str(&k),
            axum::http::HeaderValue::from_str(&v),
        ) {
            out_headers.insert(k, v);
        }
    }
    (StatusCode::OK, out_headers, axum::Json(response)).into_response()
}

/// A btauth request: the caller is authenticated (and admitted) by the layer; the body is the
/// request's JSON.
async fn serve_json<T: Synapse>(
    State(axon): State<Arc<Axon<T>>>,
    caller: Caller,
    body: Bytes,
) -> Response {
    let json_error = |status: u16, message: String| {
        (
            StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            axum::Json(serde_json::json!({ "message": message })),
        )
            .into_response()
    };
    let request: T = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => {
            return json_error(
                422,
                format!("the body is not a {}: {}", T::NAME, json_problem(&e)),
            )
        }
    };
    tracing::debug!(caller = %caller.hotkey, uid = ?caller.uid, "btauth request");
    match (axon.handler)(request).await {
        Ok(answer) => (StatusCode::OK, axum::Json(answer)).into_response(),
        Err((status, message)) => json_error(status, message),
    }
}

/// serde_json's error category, without the input it quotes.
fn json_problem(e: &serde_json::Error) -> &'static str {
    match e.classify() {
        serde_json::error::Category::Io => "unreadable",
        serde_json::error::Category::Syntax => "not JSON",
        serde_json::error::Category::Data => "wrong fields or types",
        serde_json::error::Category::Eof => "truncated JSON",
    }
}
