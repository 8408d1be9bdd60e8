//! The axon: a miner's HTTP server for one request type and one handler, over either
//! [`Protocol`] (or both on one port).
//!
//! Synapse (v9/v10), with v9's rules — the pipeline is name → headers → blacklist → verify
//! (nonce window and per-endpoint monotonic nonces, then the signature, mandatory, checked
//! with no lock held) → body (read only now: size cap, deadline; then the body hash) → the
//! nonce recorded ([`NonceBook`], bounded) → the handler → response; each refusal carries the
//! SDK's status code and message. A request that fails any check leaves no nonce behind.
//!
//! btauth/1 — `POST {ROUTE}` behind the [`BtauthLayer`] (body cap, verification, the same
//! blacklist, replay store) → the JSON body → the handler → the answer as JSON; refusals are
//! `{"error", "message"}` with 401/403/413/422/429/503.

use std::future::Future;
use std::pin::Pin;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use subxt_signer::sr25519;

use crate::allowlist::Allowlist;
use crate::btauth::nonce::{Limits, StoreError};
use crate::btauth::server::{
    closing, read_body, refuse_unread, BtauthLayer, Rejection, Verifier, DEFAULT_BODY_TIMEOUT,
};
use crate::btauth::{Caller, Policy};
use crate::nonce_book::NonceBook;
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
    nonces: Mutex<NonceBook>,
    max_body_bytes: usize,
    body_timeout: std::time::Duration,
    btauth: BtauthLayer,
}

/// How an axon is set up.
#[derive(Debug, Clone)]
pub struct AxonConfig {
    /// Largest request body accepted (413 above).
    pub max_body_bytes: usize,
    /// Who may call (403 for the others).
    pub allowlist: Allowlist,
    /// The replay memories' bound: btauth's (hotkey, nonce) pairs (see [`Limits`]), and
    /// Synapse's endpoints ([`NonceBook`]).
    pub nonce_capacity: usize,
    /// The same, per hotkey.
    pub nonce_per_hotkey: usize,
    /// How long a request body may take to arrive (408 after).
    pub body_timeout: std::time::Duration,
}

impl Default for AxonConfig {
    /// 1 MiB bodies arriving within 10 s, every caller admitted, the replay store's default
    /// limits.
    fn default() -> Self {
        let limits = Limits::default();
        Self {
            max_body_bytes: 1 << 20,
            allowlist: Allowlist::everyone(),
            nonce_capacity: limits.capacity,
            nonce_per_hotkey: limits.per_hotkey,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

impl<T: Synapse> Axon<T> {
    /// An axon for the hotkey `public`, answering `T` with `handler`.
    pub fn new(public: [u8; 32], handler: Handler<T>, config: AxonConfig) -> Arc<Self> {
        let hotkey = bt_core::ss58::bittensor(&public);
        let btauth = Verifier::new(Policy::new(hotkey.clone()))
            .memory_limits(config.nonce_capacity, config.nonce_per_hotkey)
            .allowlist(config.allowlist.clone())
            .max_body_bytes(config.max_body_bytes)
            .body_timeout(config.body_timeout)
            .layer();
        Arc::new(Self {
            hotkey,
            uuid: uuid::Uuid::new_v4().to_string(),
            handler,
            allow: config.allowlist,
            nonces: Mutex::new(NonceBook::new(
                config.nonce_capacity,
                config.nonce_per_hotkey,
            )),
            max_body_bytes: config.max_body_bytes,
            body_timeout: config.body_timeout,
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

    /// v9's `default_verify`, before the body: the nonce rules against what is recorded (a
    /// short lock), then the signature (mandatory), with no lock held. The nonce is recorded
    /// only after the body hash checks out ([`Self::record`]).
    fn verify(
        &self,
        d: &TerminalInfo,
        timeout_s: f64,
        body_hash_header: &str,
    ) -> Result<Endpoint, String> {
        let nonce = d.nonce.ok_or("Missing Nonce")?;
        let hotkey = d.hotkey.as_deref().ok_or("Missing dendrite hotkey")?;
        let uuid = d.uuid.as_deref().unwrap_or("");
        let now = now_ns();
        let last = self
            .nonces
            .lock()
            .map_err(|_| "internal error")?
            .last(hotkey, uuid);
        match last {
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
            Some(last) if nonce <= last => return Err(NEWER_PROCESSED.into()),
            _ => {}
        }
        let signature = d.signature.as_deref().ok_or("Missing Signature")?;
        let sig_bytes: [u8; 64] = hex::decode(signature.strip_prefix("0x").unwrap_or(signature))
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or("Signature is not 64 hex bytes")?;
        let (public, _format) = bt_core::ss58::decode(hotkey)
            .map_err(|_| "the dendrite hotkey is not an SS58 address")?;
        let message = signing_message(nonce, hotkey, &self.hotkey, uuid, body_hash_header);
        if !sr25519::verify(
            &sr25519::Signature(sig_bytes),
            message.as_bytes(),
            &sr25519::PublicKey(public),
        ) {
            return Err(format!("Signature mismatch with {message} and {signature}"));
        }
        Ok(Endpoint {
            hotkey: hotkey.to_string(),
            uuid: uuid.to_string(),
            nonce,
        })
    }

    /// Records a verified request's nonce, re-checking it: another request with the same or
    /// a newer nonce may have been recorded since [`Self::verify`].
    fn record(&self, e: &Endpoint) -> Result<(), (u16, String)> {
        let mut book = self
            .nonces
            .lock()
            .map_err(|_| (500, "Internal Server Error: the nonce book".to_string()))?;
        match book.record(&e.hotkey, &e.uuid, e.nonce, now_ns()) {
            Ok(true) => Ok(()),
            Ok(false) => Err((401, format!("Not Verified with error: {NEWER_PROCESSED}"))),
            Err(StoreError::HotkeyFull) => Err((429, StoreError::HotkeyFull.to_string())),
            Err(other) => Err((503, other.to_string())),
        }
    }
}

/// The SDK's refusal of a nonce that is not newer than the endpoint's last.
const NEWER_PROCESSED: &str = "Nonce is too old, a newer one was last processed";

/// A request that passed [`Axon::verify`]: whose nonce to record.
struct Endpoint {
    hotkey: String,
    uuid: String,
    nonce: i64,
}

fn now_ns() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|x| x.as_nanos() as i64)
        .unwrap_or(0)
}

/// A request whose headers passed [`admit`].
struct Admitted {
    /// Whose nonce to record once the body matches.
    endpoint: Endpoint,
    /// The body hash the headers declare.
    hash_header: String,
    /// The caller's timeout, in seconds.
    timeout: f64,
}

/// The checks an axon makes on a request's headers, in the SDK's order, before it reads the
/// body: the synapse's name, the timeout, the blacklist, the signature; or the refusal's
/// status and message.
fn admit<T: Synapse>(
    axon: &Axon<T>,
    name: &str,
    headers: &HeaderMap,
    dendrite: &TerminalInfo,
) -> Result<Admitted, (u16, String)> {
    let header = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    if name != T::NAME {
        return Err((
            404,
            format!(
                "Synapse name '{name}' not found. Available synapses ['{}']",
                T::NAME
            ),
        ));
    }
    let timeout: f64 = match header("timeout").map(|t| t.parse::<f64>()) {
        None => 12.0,
        Some(Ok(t)) if t.is_finite() && t >= 0.0 => t,
        Some(_) => {
            return Err((
                400,
                "Internal Server Error: cannot parse the timeout header".into(),
            ))
        }
    };
    // Blacklist, before verification (as the SDK orders them).
    let hotkey = dendrite.hotkey.clone().unwrap_or_default();
    if axon.allow.check_ss58(&hotkey).is_err() {
        return Err((
            403,
            "Forbidden. Key is blacklisted: Unrecognized hotkey.".into(),
        ));
    }
    let hash_header = header("computed_body_hash").unwrap_or_default();
    match axon.verify(dendrite, timeout, &hash_header) {
        Ok(endpoint) => Ok(Admitted {
            endpoint,
            hash_header,
            timeout,
        }),
        Err(reason) => Err((401, format!("Not Verified with error: {reason}"))),
    }
}

async fn serve<T: Synapse>(
    State(axon): State<Arc<Axon<T>>>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let start = Instant::now();
    let dendrite = terminal_from_headers("dendrite", |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    });
    let Admitted {
        endpoint,
        hash_header,
        timeout,
    } = match admit(&axon, &name, &headers, &dendrite) {
        Ok(admitted) => admitted,
        Err((status, message)) => {
            let refusal = axon.error(status, message, &dendrite, start);
            return refuse_unread(refusal, &headers, body, axon.body_timeout).await;
        }
    };
    let body = match read_body(&headers, body, axon.max_body_bytes, axon.body_timeout).await {
        Ok(b) => b,
        Err(r) => {
            let status = match r {
                Rejection::BodyTooLarge { .. } => 413,
                Rejection::BodyTimeout { .. } => 408,
                _ => 400,
            };
            // The body was not read in full: the connection closes.
            return closing(axon.error(status, r.to_string(), &dendrite, start));
        }
    };
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
    if let Err((status, message)) = axon.record(&endpoint) {
        return axon.error(status, message, &dendrite, start);
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
