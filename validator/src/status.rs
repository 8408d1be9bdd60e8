//! `GET /status`: the validator's live state as JSON, for the explorer's "My validator" view
//! and for operators (`--status.port`, bound to 127.0.0.1 unless `--status.ip` says otherwise).
//!
//! What it holds ([`ValidatorStatus`], defined in `bt_core::status` so that the explorer reads
//! what is written here): the hotkey (SS58, public), netuid, mechanism, step and block;
//! the per-uid moving-average scores; the weights last computed from them and the weights last
//! sent; the pending commit (kind, commit block, reveal round or reveal epoch, expected reveal
//! block); the last verification (`match`, `mismatch`, `dropped` with its reason and block);
//! the next block at which the rate limit lets the validator set weights; the last errors with
//! their kinds.
//!
//! What it never holds: key material, salts, signed transactions, file paths or the node's
//! address (which may carry an API key). Error messages are passed through [`public_message`].
//!
//! It is read-only: every method but GET (HEAD included) is answered 405. Every answer carries
//! `Access-Control-Allow-Origin: *`, so a page on any origin can read it with a simple GET
//! (no preflight is needed, and none is answered).

use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};

pub use bt_core::status::{ReadBack, StatusCommit, StatusError, StatusWeights, ValidatorStatus};

use crate::error::Error;
use crate::state::SentWeights;

impl From<&SentWeights> for StatusWeights {
    fn from(w: &SentWeights) -> Self {
        Self {
            block: w.block,
            uids: w.uids.clone(),
            values: w.values.clone(),
            version_key: Some(w.version_key),
        }
    }
}

/// The saved read-back (a chain `Verification`, or a drop with its reason) as the status
/// shows it; `None` for a shape it does not know.
pub fn read_back(saved: &serde_json::Value) -> Option<ReadBack> {
    serde_json::from_value(saved.clone()).ok()
}

/// How many recent errors the status keeps.
pub const ERRORS_KEPT: usize = 10;

/// Unix milliseconds now.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// An error's message as the status shows it: the Display text, except where that names a
/// file (the state file's errors) and with the node's address replaced by "the node".
pub fn public_message(e: &Error, endpoint: &str) -> String {
    match e {
        Error::State(_) => {
            "the state file could not be read or written (the validator's log names it)".into()
        }
        Error::OtherSubnet { saved, wanted, .. } => {
            format!("the saved state is for netuid {saved}, not {wanted}")
        }
        other => {
            let text = other.to_string();
            if endpoint.is_empty() {
                text
            } else {
                text.replace(endpoint, "the node")
            }
        }
    }
}

/// The status shared between the loop (writer) and the server (reader).
#[derive(Debug, Clone)]
pub struct StatusBoard(Arc<RwLock<ValidatorStatus>>);

impl StatusBoard {
    /// A board holding `status`.
    pub fn new(status: ValidatorStatus) -> Self {
        Self(Arc::new(RwLock::new(status)))
    }

    /// Changes the status in place.
    pub fn update(&self, f: impl FnOnce(&mut ValidatorStatus)) {
        if let Ok(mut s) = self.0.write() {
            f(&mut s);
            s.updated_ms = now_ms();
        }
    }

    /// Records an error (keeping the last [`ERRORS_KEPT`]).
    pub fn push_error(&self, entry: StatusError) {
        self.update(|s| {
            s.errors.push(entry);
            let excess = s.errors.len().saturating_sub(ERRORS_KEPT);
            s.errors.drain(..excess);
        });
    }

    /// The status as JSON.
    pub fn json(&self) -> Vec<u8> {
        match self.0.read() {
            Ok(s) => serde_json::to_vec(&*s).unwrap_or_default(),
            Err(_) => b"{}".to_vec(),
        }
    }
}

/// The answer to one request: the status for GET, 405 for anything else.
async fn answer(method: Method, board: StatusBoard) -> Response {
    let cors = (
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    if method != Method::GET {
        return (
            StatusCode::METHOD_NOT_ALLOWED,
            [cors, (header::ALLOW, HeaderValue::from_static("GET"))],
            "only GET is served here\n",
        )
            .into_response();
    }
    (
        StatusCode::OK,
        [
            cors,
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        board.json(),
    )
        .into_response()
}

/// Serves `GET /status` on `addr` in the background; returns the address bound (the port
/// chosen when `addr`'s is 0).
pub async fn serve(addr: SocketAddr, board: StatusBoard) -> Result<SocketAddr, Error> {
    let app = axum::Router::new().route(
        "/status",
        axum::routing::any(move |method: Method| answer(method, board.clone())),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|source| Error::Listen {
            what: "status",
            addr,
            source,
        })?;
    let bound = listener.local_addr().map_err(|source| Error::Listen {
        what: "status",
        addr,
        source,
    })?;
    tracing::info!(addr = %bound, "status at /status");
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "status server stopped");
        }
    });
    Ok(bound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// One raw HTTP/1.1 request; the status line and headers, lowercased, and the body.
    async fn request(addr: SocketAddr, method: &str) -> (String, String) {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let req = format!(
            "{method} /status HTTP/1.1\r\nHost: x\r\nOrigin: http://page.example\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).await.unwrap();
        let text = String::from_utf8_lossy(&out).to_string();
        let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
        (head.to_lowercase(), body.to_string())
    }

    #[tokio::test]
    async fn get_is_served_with_cors_and_every_other_method_is_refused() {
        let board = StatusBoard::new(ValidatorStatus::new("5Fhot".into(), 2, 0, now_ms()));
        board.update(|s| s.scores = vec![0.5, 0.25]);
        let addr = serve("127.0.0.1:0".parse().unwrap(), board).await.unwrap();
        let (head, body) = request(addr, "GET").await;
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(head.contains("access-control-allow-origin: *"), "{head}");
        assert!(head.contains("content-type: application/json"), "{head}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["netuid"], 2);
        assert_eq!(v["scores"][1], 0.25);
        for method in [
            "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND",
        ] {
            let (head, body) = request(addr, method).await;
            assert!(
                head.starts_with("http/1.1 405"),
                "{method} must be refused: {head}"
            );
            assert!(head.contains("allow: get"), "{method}: {head}");
            assert!(!body.contains("5Fhot"), "{method} must not see the status");
        }
    }

    #[test]
    fn messages_name_neither_files_nor_the_node() {
        let e = Error::OtherSubnet {
            dir: "/home/op/.bittensor/secret-dir".into(),
            saved: 1,
            wanted: 2,
        };
        let m = public_message(&e, "ws://10.0.0.1:9944/?key=abc");
        assert!(!m.contains("/home") && m.contains("netuid 1"), "{m}");
        let e = Error::Chain(bt_chain::ChainError::Timeout {
            what: "connecting to ws://10.0.0.1:9944/?key=abc".into(),
            seconds: 3,
        });
        let m = public_message(&e, "ws://10.0.0.1:9944/?key=abc");
        assert!(!m.contains("key=abc"), "{m}");
    }
}
