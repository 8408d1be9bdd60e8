//! The protocol itself: its constants, the signature [`Scheme`]s, the signed [`payload`], the
//! clock nonces come from, what a verified request yields ([`Caller`]) and why one is refused
//! ([`AuthError`]). Everything else in `btauth` builds on this.

use std::fmt::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};

/// The payload's first line.
pub const PROTOCOL: &str = "btauth/1";
/// `X-Bittensor-Version`'s only value.
pub const VERSION: &str = "1";
/// The protocol version header.
pub const HEADER_VERSION: &str = "X-Bittensor-Version";
/// The sender's SS58.
pub const HEADER_HOTKEY: &str = "X-Bittensor-Hotkey";
/// The receiver's SS58.
pub const HEADER_RECEIVER: &str = "X-Bittensor-Receiver";
/// The nonce (ns, decimal).
pub const HEADER_NONCE: &str = "X-Bittensor-Nonce";
/// The signature scheme, when not sr25519.
pub const HEADER_CRYPTO: &str = "X-Bittensor-Crypto";
/// `0x` + hex signature.
pub const HEADER_SIGNATURE: &str = "X-Bittensor-Signature";
/// How old a nonce may be.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(10);
/// How far ahead of the receiver's clock a nonce may be.
pub const DEFAULT_ALLOWED_SKEW: Duration = Duration::from_secs(2);

/// A signature scheme.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scheme {
    /// Schnorr on Ristretto (substrate's, the default for hotkeys).
    Sr25519,
    /// Ed25519 (ZIP 215 verification, as sp-core's).
    Ed25519,
}

impl Scheme {
    /// The payload's and the header's name.
    pub fn name(self) -> &'static str {
        match self {
            Scheme::Sr25519 => "sr25519",
            Scheme::Ed25519 => "ed25519",
        }
    }

    /// The SDK's `crypto_type` number (ed25519 0, sr25519 1).
    pub fn crypto_type(self) -> u8 {
        match self {
            Scheme::Ed25519 => 0,
            Scheme::Sr25519 => 1,
        }
    }
}

/// The exact bytes that are signed: the `btauth/1` payload. `target` is the path plus `?query`
/// exactly as sent; `receiver` `None` writes `-`.
pub fn payload(
    scheme: Scheme,
    method: &str,
    target: &str,
    body: &[u8],
    nonce_ns: i64,
    sender: &str,
    receiver: Option<&str>,
) -> Vec<u8> {
    let mut out = String::with_capacity(160 + target.len());
    out.push_str(PROTOCOL);
    out.push('\n');
    out.push_str(scheme.name());
    out.push('\n');
    if method.is_ascii() {
        out.extend(method.chars().map(|c| c.to_ascii_uppercase()));
    } else {
        out.push_str(&method.to_uppercase());
    }
    out.push('\n');
    out.push_str(target);
    out.push('\n');
    out.push_str(&hex::encode(Sha256::digest(body)));
    let _ = write!(out, "\n{nonce_ns}\n{sender}\n");
    // The SDK writes `receiver or "-"`: an empty receiver is unbound too.
    out.push_str(receiver.filter(|r| !r.is_empty()).unwrap_or("-"));
    out.into_bytes()
}

/// The wall clock in ns: what nonces are made from and compared with.
pub fn now_ns() -> i128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as i128)
        .unwrap_or(0)
}

/// The authenticated sender of a verified request.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Caller {
    /// The sender's SS58, as it signed it.
    pub hotkey: String,
    /// Its public key.
    #[serde(skip)]
    pub public: [u8; 32],
    /// The request's nonce (the sender's clock, ns).
    pub nonce_ns: i64,
    /// The scheme it signed with.
    pub crypto: Scheme,
    /// Its uid, when the server checks callers against a subnet's metagraph.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u16>,
}

/// Why a header set is malformed (the SDK's `MalformedAuth`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    /// `X-Bittensor-Version` is missing or not `1`.
    Version,
    /// No (or an empty) `X-Bittensor-Hotkey`.
    MissingHotkey,
    /// No `X-Bittensor-Nonce`.
    MissingNonce,
    /// The nonce is not a decimal integer.
    Nonce,
    /// `X-Bittensor-Crypto` names no scheme we verify.
    Crypto,
    /// No `X-Bittensor-Signature`.
    MissingSignature,
    /// The signature is not hex.
    SignatureHex,
    /// The hotkey is no SS58 address, or the signature is not 64 bytes (found at the
    /// signature check, after receiver and freshness, as in the SDK).
    Encoding,
    /// One of the six headers came more than once.
    Repeated(&'static str),
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Malformed::Version => write!(
                f,
                "missing or unsupported {HEADER_VERSION} (expected '{VERSION}')"
            ),
            Malformed::MissingHotkey => write!(f, "missing {HEADER_HOTKEY}"),
            Malformed::MissingNonce => write!(f, "missing {HEADER_NONCE}"),
            Malformed::Nonce => write!(f, "{HEADER_NONCE} is not a decimal integer"),
            Malformed::Crypto => write!(f, "unsupported {HEADER_CRYPTO}"),
            Malformed::MissingSignature => write!(f, "missing {HEADER_SIGNATURE}"),
            Malformed::SignatureHex => write!(f, "{HEADER_SIGNATURE} is not hex"),
            Malformed::Encoding => write!(f, "invalid hotkey address or signature encoding"),
            Malformed::Repeated(name) => write!(f, "{name} is given more than once"),
        }
    }
}

/// Why a request failed authentication. Messages name what failed, never a header's value, so
/// they are safe to send back to an unauthenticated caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// A header is missing or unparseable.
    #[error("malformed: {0}")]
    Malformed(Malformed),
    /// Signed for another receiver, or for none while the server requires one.
    #[error("wrong receiver: {}", if *.missing { "missing X-Bittensor-Receiver: this server requires receiver-bound requests" } else { "request was signed for a different receiving hotkey" })]
    WrongReceiver {
        /// No receiver header at all.
        missing: bool,
    },
    /// The nonce is outside the freshness window.
    #[error("stale: {}", if *.future { format!("nonce is more than {}s in the future", .window.as_secs_f64()) } else { format!("nonce is older than the {}s freshness window", .window.as_secs_f64()) })]
    Stale {
        /// Ahead of our clock (rather than too old).
        future: bool,
        /// The bound it broke (max age, or allowed skew).
        window: Duration,
    },
    /// The signature does not verify against the claimed hotkey under the declared scheme.
    #[error("bad signature: signature does not verify against the claimed hotkey")]
    BadSignature,
    /// This (hotkey, nonce) was already accepted inside the window.
    #[error("replayed: this nonce was already accepted from this hotkey")]
    Replayed,
}

impl AuthError {
    /// A short name for logs, metrics and JSON: `malformed`, `wrong_receiver`, `stale`,
    /// `bad_signature` or `replayed`.
    pub fn kind(&self) -> &'static str {
        match self {
            AuthError::Malformed(_) => "malformed",
            AuthError::WrongReceiver { .. } => "wrong_receiver",
            AuthError::Stale { .. } => "stale",
            AuthError::BadSignature => "bad_signature",
            AuthError::Replayed => "replayed",
        }
    }

    /// The SDK's exception class for the same failure.
    pub fn sdk_class(&self) -> &'static str {
        match self {
            AuthError::Malformed(_) => "MalformedAuth",
            AuthError::WrongReceiver { .. } => "WrongReceiver",
            AuthError::Stale { .. } => "StaleRequest",
            AuthError::BadSignature => "BadSignature",
            AuthError::Replayed => "ReplayedRequest",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_payload_is_eight_lines() {
        let p = payload(
            Scheme::Sr25519,
            "post",
            "/a?b=1",
            b"{}",
            1_700_000_000_000_000_000,
            "5Sender",
            None,
        );
        assert_eq!(
            String::from_utf8(p).unwrap(),
            "btauth/1\nsr25519\nPOST\n/a?b=1\n\
             44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\n\
             1700000000000000000\n5Sender\n-"
        );
        let p = payload(Scheme::Ed25519, "GET", "/", b"", 5, "s", Some("r"));
        assert!(String::from_utf8(p).unwrap().ends_with(
            "\ned25519\nGET\n/\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n5\ns\nr"
        ));
    }

    #[test]
    fn messages_are_the_sdks() {
        assert_eq!(
            AuthError::Stale {
                future: false,
                window: DEFAULT_MAX_AGE
            }
            .to_string(),
            "stale: nonce is older than the 10s freshness window"
        );
        assert_eq!(
            AuthError::Malformed(Malformed::Version).to_string(),
            "malformed: missing or unsupported X-Bittensor-Version (expected '1')"
        );
    }
}
