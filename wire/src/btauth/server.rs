//! The server side for axum (any tower stack): [`BtauthLayer`] checks what the headers alone
//! can tell (shape, receiver, freshness) and whether the hotkey they claim is on the
//! [`Allowlist`] (e.g. the subnet's metagraph), refuses a declared body over the limit, and
//! only then reads the body (bounded in size and time), checks the signature over it and the
//! replay store, and hands the handler the authenticated [`Caller`] as an extractor; a refused
//! request never reaches the handler, and an unsigned flood costs no body reads.
//!
//! ```no_run
//! use axum::{routing::post, Router};
//! use bt_wire::btauth::{server::Verifier, Caller, Policy};
//!
//! async fn generate(caller: Caller, body: String) -> String {
//!     format!("hello {}, you sent {} bytes", caller.hotkey, body.len())
//! }
//!
//! # fn demo(my_hotkey: &str) {
//! let app: Router = Router::new()
//!     .route("/generate", post(generate))
//!     .layer(Verifier::new(Policy::new(my_hotkey)).layer());
//! # }
//! ```
//!
//! Refusals are JSON `{"error": kind, "message": text}`, never echoing a header: 401 for the
//! five authentication failures, 403 for a caller the allowlist does not admit, 429 for a hotkey
//! over its share of the replay store, 503 when the store is full or away, 413 for a body over
//! the limit, 408 for a body that does not arrive in time. The allowlist is asked before the
//! body is read (for the hotkey the headers claim) and so before the signature, which covers
//! the body; the replay check comes last, so only admitted, signed callers write to the store.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::{Body, Bytes};
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::{request::Parts, HeaderMap, Method, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};

use super::headers::RawHeaders;
use super::nonce::{Limits, MemoryNonceStore, NonceStore, StoreError};
use super::protocol::{now_ns, AuthError, Caller};
use super::verify::{check_store, precheck, Policy, RetentionTooShort, VerifyError};
use crate::allowlist::Allowlist;

/// Bodies larger than this are refused unless the verifier says otherwise.
pub const DEFAULT_MAX_BODY_BYTES: usize = 1 << 20;
/// How long a body may take to arrive, unless the verifier says otherwise.
pub const DEFAULT_BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// Why a request was refused before its handler.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Authentication failed (401).
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The caller is not on the allowlist (403).
    #[error("forbidden: the caller's hotkey is not registered on this subnet")]
    NotRegistered,
    /// The replay store could not record the nonce (429 per hotkey, 503 overall).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The body is over the limit (413).
    #[error("the request body is over {limit} bytes")]
    BodyTooLarge {
        /// The limit.
        limit: usize,
    },
    /// The body could not be read (400).
    #[error("the request body could not be read")]
    BodyUnreadable,
    /// The body did not arrive within the deadline (408).
    #[error("the request body did not arrive within {seconds} s")]
    BodyTimeout {
        /// The deadline.
        seconds: u64,
    },
}

impl From<VerifyError> for Rejection {
    fn from(e: VerifyError) -> Self {
        match e {
            VerifyError::Auth(a) => Rejection::Auth(a),
            VerifyError::Store(s) => Rejection::Store(s),
        }
    }
}

impl Rejection {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            Rejection::Auth(_) => StatusCode::UNAUTHORIZED,
            Rejection::NotRegistered => StatusCode::FORBIDDEN,
            Rejection::Store(StoreError::HotkeyFull) => StatusCode::TOO_MANY_REQUESTS,
            Rejection::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            Rejection::BodyTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::BodyUnreadable => StatusCode::BAD_REQUEST,
            Rejection::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
        }
    }

    /// A short name: the [`AuthError::kind`], or `not_registered`, `busy`, `body_too_large`,
    /// `body_unreadable`, `body_timeout`.
    pub fn kind(&self) -> &'static str {
        match self {
            Rejection::Auth(a) => a.kind(),
            Rejection::NotRegistered => "not_registered",
            Rejection::Store(_) => "busy",
            Rejection::BodyTooLarge { .. } => "body_too_large",
            Rejection::BodyUnreadable => "body_unreadable",
            Rejection::BodyTimeout { .. } => "body_timeout",
        }
    }
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (
            self.status(),
            axum::Json(serde_json::json!({ "error": self.kind(), "message": self.to_string() })),
        )
            .into_response()
    }
}

/// What a server checks: its [`Policy`], its replay store, who may call, how big a body may be.
#[derive(Debug)]
pub struct Verifier<S = MemoryNonceStore> {
    policy: Policy,
    store: S,
    allowlist: Allowlist,
    max_body_bytes: usize,
    body_timeout: std::time::Duration,
}

impl Verifier<MemoryNonceStore> {
    /// A verifier with an in-memory store that keeps pairs for the policy's window, admitting
    /// every caller, bodies up to [`DEFAULT_MAX_BODY_BYTES`] arriving within
    /// [`DEFAULT_BODY_TIMEOUT`].
    pub fn new(policy: Policy) -> Self {
        let store = MemoryNonceStore::new(Limits {
            retention: policy.window(),
            ..Limits::default()
        });
        Self {
            policy,
            store,
            allowlist: Allowlist::everyone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

impl Verifier<MemoryNonceStore> {
    /// Bounds the in-memory store: `capacity` pairs, `per_hotkey` for one hotkey (kept for the
    /// policy's window).
    pub fn memory_limits(mut self, capacity: usize, per_hotkey: usize) -> Self {
        self.store = MemoryNonceStore::new(Limits {
            retention: self.policy.window(),
            capacity,
            per_hotkey,
        });
        self
    }
}

impl<S: NonceStore> Verifier<S> {
    /// A verifier with `store` (refused when it forgets sooner than the policy's window).
    pub fn with_store(policy: Policy, store: S) -> Result<Self, RetentionTooShort> {
        check_store(&policy, &store)?;
        Ok(Self {
            policy,
            store,
            allowlist: Allowlist::everyone(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        })
    }

    /// Admits only the callers `allowlist` admits (e.g. [`Allowlist::follow_metagraph`]).
    pub fn allowlist(mut self, allowlist: Allowlist) -> Self {
        self.allowlist = allowlist;
        self
    }

    /// Refuses bodies over `bytes`.
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Refuses bodies that take longer than `limit` to arrive.
    pub fn body_timeout(mut self, limit: std::time::Duration) -> Self {
        self.body_timeout = limit;
        self
    }

    /// The policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The replay store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// Verifies one request whose body is at hand (its headers, method, target as received,
    /// and raw body): [`Self::check_headers`], then [`Self::check_body`].
    pub async fn check(
        &self,
        headers: &HeaderMap,
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> Result<Caller, Rejection> {
        let admitted = self.check_headers(headers)?;
        self.check_body(admitted, method, target, body).await
    }

    /// What the headers alone tell: shape, receiver, freshness, and whether the allowlist
    /// admits the hotkey they claim (proven only by [`Self::check_body`]).
    pub fn check_headers(&self, headers: &HeaderMap) -> Result<Admitted, Rejection> {
        let raw = RawHeaders::from_http(headers)?;
        let prechecked = precheck(&raw, &self.policy, now_ns())?;
        let uid = self
            .allowlist
            .check(prechecked.claimed_public())
            .map_err(|_| Rejection::NotRegistered)?;
        Ok(Admitted { prechecked, uid })
    }

    /// The signature over the body, then the replay store.
    pub async fn check_body(
        &self,
        admitted: Admitted,
        method: &Method,
        target: &str,
        body: &[u8],
    ) -> Result<Caller, Rejection> {
        let authenticated = admitted
            .prechecked
            .check_signature(body, method.as_str(), target)
            .map_err(VerifyError::from)?;
        let mut caller = authenticated.check_replay(&self.store).await?;
        caller.uid = admitted.uid;
        Ok(caller)
    }

    /// The tower layer that runs this verifier in front of a service.
    pub fn layer(self) -> BtauthLayer<S> {
        BtauthLayer {
            verifier: Arc::new(self),
        }
    }
}

/// A request whose headers passed [`Verifier::check_headers`]: its body is worth reading.
#[derive(Debug)]
pub struct Admitted {
    prechecked: super::verify::Prechecked,
    uid: Option<u16>,
}

/// A tower layer verifying btauth requests (see the module's example).
#[derive(Debug)]
pub struct BtauthLayer<S = MemoryNonceStore> {
    verifier: Arc<Verifier<S>>,
}

impl<S> Clone for BtauthLayer<S> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
        }
    }
}

impl<S> BtauthLayer<S> {
    /// The verifier it runs.
    pub fn verifier(&self) -> &Arc<Verifier<S>> {
        &self.verifier
    }
}

impl<S, I> tower_layer::Layer<I> for BtauthLayer<S> {
    type Service = Btauth<S, I>;

    fn layer(&self, inner: I) -> Self::Service {
        Btauth {
            verifier: self.verifier.clone(),
            inner,
        }
    }
}

/// The service [`BtauthLayer`] wraps around `I`.
#[derive(Debug)]
pub struct Btauth<S, I> {
    verifier: Arc<Verifier<S>>,
    inner: I,
}

impl<S, I: Clone> Clone for Btauth<S, I> {
    fn clone(&self) -> Self {
        Self {
            verifier: self.verifier.clone(),
            inner: self.inner.clone(),
        }
    }
}

impl<S, I> tower_service::Service<Request<Body>> for Btauth<S, I>
where
    S: NonceStore,
    I: tower_service::Service<Request<Body>, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    I::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        // The inner service that was polled ready goes with this call; a fresh clone stays.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let verifier = self.verifier.clone();
        Box::pin(async move {
            let (parts, body) = request.into_parts();
            let admitted = match verifier.check_headers(&parts.headers) {
                Ok(a) => a,
                Err(r) => {
                    tracing::debug!(kind = r.kind(), "btauth refused a request by its headers");
                    let response = r.into_response();
                    return Ok(refuse_unread(
                        response,
                        &parts.headers,
                        body,
                        verifier.body_timeout,
                    )
                    .await);
                }
            };
            let bytes = match read_body(
                &parts.headers,
                body,
                verifier.max_body_bytes,
                verifier.body_timeout,
            )
            .await
            {
                Ok(b) => b,
                // The body was not read in full: the connection closes.
                Err(r) => return Ok(closing(r.into_response())),
            };
            // Under a nested router the URI has lost its prefix; the signature covers what was
            // sent.
            let uri = parts
                .extensions
                .get::<OriginalUri>()
                .map_or(&parts.uri, |o| &o.0);
            let target = uri
                .path_and_query()
                .map_or_else(|| uri.path(), |p| p.as_str());
            match verifier
                .check_body(admitted, &parts.method, target, &bytes)
                .await
            {
                Err(r) => {
                    tracing::debug!(kind = r.kind(), "btauth refused a request");
                    Ok(r.into_response())
                }
                Ok(caller) => {
                    let mut request = Request::from_parts(parts, Body::from(bytes));
                    request.extensions_mut().insert(caller);
                    inner.call(request).await
                }
            }
        })
    }
}

/// How much of a body refused by its headers the server reads, and drops, to keep the
/// connection for the caller's next request. A refused body larger than this is not read: the
/// connection closes instead.
pub const DRAIN_LIMIT: usize = 64 * 1024;

/// The answer to a request refused before its body was read. A small body (at most
/// [`DRAIN_LIMIT`], arriving within `deadline`) is read and dropped first, never kept: the
/// caller then reads the refusal whole and may send its next request on the same
/// connection. A larger or slower one is left unread and the answer closes the connection
/// ([`closing`]): a flood of big unsigned bodies costs neither memory nor their bandwidth.
pub async fn refuse_unread(
    response: Response,
    headers: &HeaderMap,
    body: Body,
    deadline: std::time::Duration,
) -> Response {
    if content_length(headers).is_none_or(|n| n <= DRAIN_LIMIT as u64) {
        let drain = async {
            let mut body = Limited::new(body, DRAIN_LIMIT);
            while let Some(frame) = body.frame().await {
                if frame.is_err() {
                    return false;
                }
            }
            true
        };
        if matches!(tokio::time::timeout(deadline, drain).await, Ok(true)) {
            return response;
        }
    }
    closing(response)
}

fn content_length(headers: &HeaderMap) -> Option<u64> {
    headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// `response` with `Connection: close`, for a refusal sent before the request's body was read
/// in full. The server closes such a connection after the answer; a client told so sends its
/// next request on a new connection instead of losing it to the close.
pub fn closing(mut response: Response) -> Response {
    response.headers_mut().insert(
        http::header::CONNECTION,
        http::HeaderValue::from_static("close"),
    );
    response
}

/// A request body, at most `limit` bytes (a larger declared `Content-Length` is refused
/// before reading), arriving within `deadline`.
pub async fn read_body(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
    deadline: std::time::Duration,
) -> Result<Bytes, Rejection> {
    if content_length(headers).is_some_and(|n| n > limit as u64) {
        return Err(Rejection::BodyTooLarge { limit });
    }
    match tokio::time::timeout(deadline, Limited::new(body, limit).collect()).await {
        Err(_) => Err(Rejection::BodyTimeout {
            seconds: deadline.as_secs(),
        }),
        Ok(Ok(collected)) => Ok(collected.to_bytes()),
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            Err(Rejection::BodyTooLarge { limit })
        }
        Ok(Err(_)) => Err(Rejection::BodyUnreadable),
    }
}

/// The authenticated caller, for handlers behind [`BtauthLayer`]. Without the layer there is
/// none: the handler answers 500 rather than serve an unauthenticated request.
impl<St: Send + Sync> FromRequestParts<St> for Caller {
    type Rejection = (StatusCode, &'static str);

    async fn from_request_parts(parts: &mut Parts, _state: &St) -> Result<Self, Self::Rejection> {
        parts.extensions.get::<Caller>().cloned().ok_or((
            StatusCode::INTERNAL_SERVER_ERROR,
            "this route has no btauth layer",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btauth::sign::Signer;
    use axum::routing::post;
    use tower_service::Service;

    fn app(verifier: Verifier) -> axum::Router {
        axum::Router::new()
            .route(
                "/echo",
                post(|caller: Caller, body: Bytes| async move {
                    format!("{} {}", caller.hotkey, body.len())
                }),
            )
            .layer(verifier.layer())
    }

    async fn send(app: &mut axum::Router, request: Request<Body>) -> (StatusCode, String) {
        let response = app.call(request).await.unwrap();
        let status = response.status();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20)
            .await
            .unwrap();
        (status, String::from_utf8_lossy(&body).into_owned())
    }

    fn signed(signer: &Signer, receiver: &str, target: &str, body: &'static str) -> Request<Body> {
        let headers = signer.sign("POST", target, body.as_bytes(), Some(receiver));
        let mut r = Request::post(target);
        for (k, v) in headers.iter() {
            r = r.header(k, v);
        }
        r.body(Body::from(body)).unwrap()
    }

    #[tokio::test]
    async fn the_handler_gets_the_caller_and_refusals_never_reach_it() {
        let me = Signer::ed25519([8; 32]);
        let client = Signer::ed25519([9; 32]);
        let mut open = app(Verifier::new(Policy::new(me.hotkey())));
        let (status, body) = send(&mut open, signed(&client, me.hotkey(), "/echo?a=1", "hi")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body, format!("{} 2", client.hotkey()));

        // Replayed: the same request twice.
        let request = signed(&client, me.hotkey(), "/echo", "x");
        let (parts, b) = request.into_parts();
        let again = Request::from_parts(parts.clone(), Body::from("x"));
        assert_eq!(
            send(&mut open, Request::from_parts(parts, b)).await.0,
            StatusCode::OK
        );
        let (status, body) = send(&mut open, again).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("\"replayed\""), "{body}");

        // Unsigned: 401, and the message names the header, not any value.
        let (status, body) = send(
            &mut open,
            Request::post("/echo").body(Body::from("x")).unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("malformed"), "{body}");

        // Not on the allowlist: 403, and its nonce is not recorded.
        let verifier = Verifier::new(Policy::new(me.hotkey()))
            .allowlist(Allowlist::registered([(me.public(), 0)]));
        let mut closed = app(verifier);
        assert_eq!(
            send(&mut closed, signed(&client, me.hotkey(), "/echo", "x"))
                .await
                .0,
            StatusCode::FORBIDDEN
        );

        // Too big.
        let mut small = app(Verifier::new(Policy::new(me.hotkey())).max_body_bytes(4));
        let (status, body) = send(
            &mut small,
            signed(&client, me.hotkey(), "/echo", "0123456789"),
        )
        .await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    }

    #[tokio::test]
    async fn a_refusal_before_the_body_is_read_closes_the_connection() {
        let me = Signer::ed25519([8; 32]);
        let client = Signer::ed25519([9; 32]);
        let mut open = app(Verifier::new(Policy::new(me.hotkey())));
        let close = |r: &Response| r.headers().get(http::header::CONNECTION).cloned();
        // Refused by its headers: a small body is read and dropped, and the connection stays;
        // a big one is left unread, and the connection closes.
        let unsigned = Request::post("/echo").body(Body::from("x")).unwrap();
        let r = open.call(unsigned).await.unwrap();
        assert_eq!((r.status(), close(&r)), (StatusCode::UNAUTHORIZED, None));
        let big = vec![b'x'; DRAIN_LIMIT + 1];
        let unsigned = Request::post("/echo")
            .header(http::header::CONTENT_LENGTH, big.len())
            .body(Body::from(big))
            .unwrap();
        let r = open.call(unsigned).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(close(&r), Some(http::HeaderValue::from_static("close")));
        // Refused after the body was read (a replay), or served: the connection stays.
        let request = signed(&client, me.hotkey(), "/echo", "x");
        let (parts, b) = request.into_parts();
        let again = Request::from_parts(parts.clone(), Body::from("x"));
        let r = open.call(Request::from_parts(parts, b)).await.unwrap();
        assert_eq!((r.status(), close(&r)), (StatusCode::OK, None));
        let r = open.call(again).await.unwrap();
        assert_eq!((r.status(), close(&r)), (StatusCode::UNAUTHORIZED, None));
    }

    #[tokio::test]
    async fn a_signature_never_comes_back_in_a_refusal() {
        let me = Signer::ed25519([8; 32]);
        let client = Signer::ed25519([9; 32]);
        let mut open = app(Verifier::new(Policy::new(me.hotkey())));
        let request = signed(&client, "5SomeoneElse", "/echo", "x");
        let signature = request
            .headers()
            .get(crate::btauth::HEADER_SIGNATURE)
            .unwrap()
            .to_str()
            .unwrap()
            .to_string();
        let (status, body) = send(&mut open, request).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("wrong_receiver"), "{body}");
        assert!(!body.contains(&signature[2..20]), "{body}");
    }
}
