//! Verifying a btauth request, in the SDK's order: header shape, receiver binding, freshness,
//! the signature (under the declared scheme only), replay. [`precheck`] does the first three
//! from the headers alone (a server runs them before it reads the body);
//! [`Prechecked::check_signature`] the fourth, over the body; [`authenticate`] the first
//! four, which need no state; [`Authenticated::check_replay`] the fifth, against a
//! [`NonceStore`]; [`verify`] all five.

use std::time::Duration;

use super::headers::{parse_crypto, parse_nonce, parse_signature, RawHeaders};
use super::nonce::{NonceStore, StoreError};
use super::protocol::{
    now_ns, payload, AuthError, Caller, Malformed, Scheme, DEFAULT_ALLOWED_SKEW, DEFAULT_MAX_AGE,
    VERSION,
};
use bt_core::ss58;

/// What a server accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The server's own hotkey (SS58): requests must be signed for it.
    pub receiver: String,
    /// How old a nonce may be.
    pub max_age: Duration,
    /// How far ahead of our clock a nonce may be.
    pub allowed_skew: Duration,
    /// Refuse requests that name no receiver (the SDK's default).
    pub require_receiver: bool,
}

impl Policy {
    /// The SDK's defaults for a server whose hotkey is `receiver`: 10 s back, 2 s ahead, a
    /// receiver required.
    pub fn new(receiver: impl Into<String>) -> Self {
        Self {
            receiver: receiver.into(),
            max_age: DEFAULT_MAX_AGE,
            allowed_skew: DEFAULT_ALLOWED_SKEW,
            require_receiver: true,
        }
    }

    /// The freshness window a nonce store must cover: `max_age + allowed_skew`.
    pub fn window(&self) -> Duration {
        self.max_age + self.allowed_skew
    }
}

/// Why a request was refused: an authentication failure, or a store that could not record it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Authentication failed.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// The signature held, but the nonce could not be recorded.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A request whose signature verified, not yet checked for replay.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a request is verified only once its replay check passes"]
pub struct Authenticated {
    caller: Caller,
}

impl Authenticated {
    /// The sender, as signed.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }

    /// Step 5: refuses a (hotkey, nonce) pair seen inside the window, else records it.
    pub async fn check_replay<S: NonceStore>(self, store: &S) -> Result<Caller, VerifyError> {
        if store
            .check_and_store(&self.caller.hotkey, self.caller.nonce_ns)
            .await?
        {
            Ok(self.caller)
        } else {
            Err(AuthError::Replayed.into())
        }
    }
}

/// A request whose headers passed steps 1–3 (shape, receiver binding, freshness): all that
/// can be checked before its body is read. The signature (step 4) covers the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use = "a request is authenticated only once its signature is checked"]
pub struct Prechecked {
    sender: String,
    public: [u8; 32],
    nonce_ns: i64,
    scheme: Scheme,
    signature: [u8; 64],
    receiver: Option<String>,
}

impl Prechecked {
    /// The hotkey the headers claim (not yet proven: the signature is not checked).
    pub fn claimed_public(&self) -> &[u8; 32] {
        &self.public
    }

    /// Step 4: the signature over the payload rebuilt from `method`, `target` (path and
    /// `?query` as received) and the raw `body` bytes, under the declared scheme only.
    pub fn check_signature(
        self,
        body: &[u8],
        method: &str,
        target: &str,
    ) -> Result<Authenticated, AuthError> {
        let message = payload(
            self.scheme,
            method,
            target,
            body,
            self.nonce_ns,
            &self.sender,
            self.receiver.as_deref(),
        );
        if !verify_signature(self.scheme, &self.public, &self.signature, &message) {
            return Err(AuthError::BadSignature);
        }
        Ok(Authenticated {
            caller: Caller {
                hotkey: self.sender,
                public: self.public,
                nonce_ns: self.nonce_ns,
                crypto: self.scheme,
                uid: None,
            },
        })
    }
}

/// Steps 1–3, from the headers alone: shape (in the SDK's order), receiver binding, and
/// freshness at `now_ns`.
pub fn precheck(
    headers: &RawHeaders<'_>,
    policy: &Policy,
    now_ns: i128,
) -> Result<Prechecked, AuthError> {
    let malformed = AuthError::Malformed;
    // 1. Shape, in the SDK's order.
    if headers.version.as_deref() != Some(VERSION) {
        return Err(malformed(Malformed::Version));
    }
    let sender = headers
        .hotkey
        .as_deref()
        .filter(|h| !h.is_empty())
        .ok_or(malformed(Malformed::MissingHotkey))?;
    let nonce = parse_nonce(
        headers
            .nonce
            .as_deref()
            .ok_or(malformed(Malformed::MissingNonce))?,
    )?;
    let scheme = parse_crypto(headers.crypto.as_deref())?;
    let signature = parse_signature(
        headers
            .signature
            .as_deref()
            .ok_or(malformed(Malformed::MissingSignature))?,
    )?;

    // 2. Receiver binding.
    let receiver = headers.receiver.as_deref();
    match receiver {
        None if policy.require_receiver => return Err(AuthError::WrongReceiver { missing: true }),
        Some(r) if r != policy.receiver => return Err(AuthError::WrongReceiver { missing: false }),
        _ => {}
    }

    // 3. Freshness.
    if now_ns.saturating_sub(nonce) > policy.max_age.as_nanos() as i128 {
        return Err(AuthError::Stale {
            future: false,
            window: policy.max_age,
        });
    }
    if nonce.saturating_sub(now_ns) > policy.allowed_skew.as_nanos() as i128 {
        return Err(AuthError::Stale {
            future: true,
            window: policy.allowed_skew,
        });
    }
    // Inside the window, the nonce is within a few seconds of a clock that fits in i64.
    let nonce_ns = i64::try_from(nonce).map_err(|_| AuthError::Stale {
        future: nonce > 0,
        window: policy.max_age,
    })?;

    let (public, _format) = ss58::decode(sender).map_err(|_| malformed(Malformed::Encoding))?;
    let signature: [u8; 64] = signature
        .try_into()
        .map_err(|_| malformed(Malformed::Encoding))?;
    Ok(Prechecked {
        sender: sender.to_string(),
        public,
        nonce_ns,
        scheme,
        signature,
        receiver: receiver.map(str::to_string),
    })
}

/// Steps 1–4: [`precheck`] of the headers at `now_ns`, then
/// [`Prechecked::check_signature`] over `method`, `target` and the raw `body`.
pub fn authenticate(
    headers: &RawHeaders<'_>,
    body: &[u8],
    method: &str,
    target: &str,
    policy: &Policy,
    now_ns: i128,
) -> Result<Authenticated, AuthError> {
    precheck(headers, policy, now_ns)?.check_signature(body, method, target)
}

/// All five steps: [`authenticate`], then [`Authenticated::check_replay`] against `store`,
/// which must keep pairs at least [`Policy::window`] (checked by [`check_store`]).
pub async fn verify<S: NonceStore>(
    headers: &RawHeaders<'_>,
    body: &[u8],
    method: &str,
    target: &str,
    policy: &Policy,
    store: &S,
) -> Result<Caller, VerifyError> {
    authenticate(headers, body, method, target, policy, now_ns())?
        .check_replay(store)
        .await
}

/// A store that forgets a pair before the window closes would let a replay through.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the nonce store keeps pairs {retention:?} but the freshness window is {window:?}: replays inside the gap would be accepted; use a retention of at least max_age + allowed_skew")]
pub struct RetentionTooShort {
    /// The store's retention.
    pub retention: Duration,
    /// The policy's window.
    pub window: Duration,
}

/// Refuses a store whose retention is shorter than the policy's window.
pub fn check_store<S: NonceStore>(policy: &Policy, store: &S) -> Result<(), RetentionTooShort> {
    if store.retention() < policy.window() {
        return Err(RetentionTooShort {
            retention: store.retention(),
            window: policy.window(),
        });
    }
    Ok(())
}

/// The bare signature check of `message` by `public` under `scheme`, as sp-core does it
/// (schnorrkel with the `substrate` context; ed25519-zebra).
pub fn verify_signature(
    scheme: Scheme,
    public: &[u8; 32],
    signature: &[u8; 64],
    message: &[u8],
) -> bool {
    match scheme {
        Scheme::Sr25519 => subxt_signer::sr25519::verify(
            &subxt_signer::sr25519::Signature(*signature),
            message,
            &subxt_signer::sr25519::PublicKey(*public),
        ),
        Scheme::Ed25519 => ed25519_zebra::VerificationKey::try_from(*public)
            .map(|key| {
                key.verify(&ed25519_zebra::Signature::from_bytes(signature), message)
                    .is_ok()
            })
            .unwrap_or(false),
    }
}

#[cfg(test)]
mod tests {
    use super::super::nonce::{Limits, MemoryNonceStore};
    use super::super::sign::Signer;
    use super::*;

    const NOW: i128 = 1_800_000_000_000_000_000;

    fn signer(seed: u8) -> Signer {
        Signer::sr25519(subxt_signer::sr25519::Keypair::from_secret_key([seed; 32]).unwrap())
    }

    fn check(
        pairs: &[(&str, String)],
        body: &[u8],
        target: &str,
        policy: &Policy,
    ) -> Result<Authenticated, AuthError> {
        let raw = RawHeaders::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        authenticate(&raw, body, "POST", target, policy, NOW)
    }

    #[test]
    fn each_step_has_its_error() {
        let client = signer(1);
        let server = signer(2);
        let policy = Policy::new(server.hotkey());
        let nonce = (NOW - 1_000_000_000) as i64;
        let headers = client.sign_with_nonce("POST", "/q?x=1", b"{}", Some(server.hotkey()), nonce);
        let pairs: Vec<(&str, String)> = headers.iter().map(|(k, v)| (k, v.to_string())).collect();
        let ok = check(&pairs, b"{}", "/q?x=1", &policy).unwrap();
        assert_eq!(ok.caller().hotkey, client.hotkey());
        assert_eq!(ok.caller().nonce_ns, nonce);

        let with = |name: &str, value: Option<&str>| {
            let mut p: Vec<(&str, String)> =
                pairs.iter().filter(|(k, _)| *k != name).cloned().collect();
            if let Some(v) = value {
                p.push((
                    pairs
                        .iter()
                        .find(|(k, _)| *k == name)
                        .map_or(name, |(k, _)| k),
                    v.to_string(),
                ));
            }
            check(&p, b"{}", "/q?x=1", &policy).map(|_| ())
        };
        use super::super::protocol::{
            HEADER_NONCE, HEADER_RECEIVER, HEADER_SIGNATURE, HEADER_VERSION,
        };
        let m = |x| Err(AuthError::Malformed(x));
        assert_eq!(with(HEADER_VERSION, Some("2")), m(Malformed::Version));
        assert_eq!(with(HEADER_NONCE, Some("soon")), m(Malformed::Nonce));
        assert_eq!(with(HEADER_SIGNATURE, None), m(Malformed::MissingSignature));
        assert_eq!(
            with(HEADER_RECEIVER, None),
            Err(AuthError::WrongReceiver { missing: true })
        );
        assert_eq!(
            with(HEADER_RECEIVER, Some(client.hotkey())),
            Err(AuthError::WrongReceiver { missing: false })
        );
        assert!(matches!(
            with(HEADER_NONCE, Some(&(NOW - 11_000_000_000).to_string())),
            Err(AuthError::Stale { future: false, .. })
        ));
        assert!(matches!(
            with(HEADER_NONCE, Some(&(NOW + 3_000_000_000).to_string())),
            Err(AuthError::Stale { future: true, .. })
        ));
        assert_eq!(
            with(HEADER_NONCE, Some(&(nonce + 1).to_string())),
            Err(AuthError::BadSignature)
        );
        assert_eq!(with(HEADER_SIGNATURE, Some("0x00")), m(Malformed::Encoding));
        // The body and the query are signed.
        assert_eq!(
            check(&pairs, b"{ }", "/q?x=1", &policy).map(|_| ()),
            Err(AuthError::BadSignature)
        );
        assert_eq!(
            check(&pairs, b"{}", "/q?x=2", &policy).map(|_| ()),
            Err(AuthError::BadSignature)
        );
    }

    #[test]
    fn the_window_edges_are_inclusive() {
        let client = signer(1);
        let policy = Policy {
            require_receiver: false,
            ..Policy::new("me")
        };
        for (nonce, ok) in [
            (NOW - 10_000_000_000, true),
            (NOW - 10_000_000_001, false),
            (NOW + 2_000_000_000, true),
            (NOW + 2_000_000_001, false),
        ] {
            let h = client.sign_with_nonce("POST", "/", b"", None, nonce as i64);
            let pairs: Vec<(&str, String)> = h.iter().map(|(k, v)| (k, v.to_string())).collect();
            assert_eq!(check(&pairs, b"", "/", &policy).is_ok(), ok, "{nonce}");
        }
    }

    #[test]
    fn ed25519_and_only_the_declared_scheme() {
        let client = Signer::ed25519([4; 32]);
        let policy = Policy::new("5Server");
        let h = client.sign_with_nonce("POST", "/", b"", Some("5Server"), NOW as i64);
        let pairs: Vec<(&str, String)> = h.iter().map(|(k, v)| (k, v.to_string())).collect();
        assert_eq!(
            check(&pairs, b"", "/", &policy).unwrap().caller().crypto,
            Scheme::Ed25519
        );
        // The same signature declared as sr25519 does not verify: never try both.
        let as_sr: Vec<(&str, String)> = pairs
            .iter()
            .filter(|(k, _)| *k != super::super::protocol::HEADER_CRYPTO)
            .cloned()
            .collect();
        assert_eq!(
            check(&as_sr, b"", "/", &policy).map(|_| ()),
            Err(AuthError::BadSignature)
        );
    }

    #[tokio::test]
    async fn replays_are_refused_after_the_signature_holds() {
        let client = signer(1);
        let policy = Policy::new("5Server");
        let store = MemoryNonceStore::new(Limits::default());
        check_store(&policy, &store).unwrap();
        let h = client.sign("POST", "/", b"x", Some("5Server"));
        let pairs: Vec<(&str, String)> = h.iter().map(|(k, v)| (k, v.to_string())).collect();
        let raw = RawHeaders::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        let first = verify(&raw, b"x", "POST", "/", &policy, &store).await;
        assert!(first.is_ok(), "{first:?}");
        assert_eq!(
            verify(&raw, b"x", "POST", "/", &policy, &store).await,
            Err(VerifyError::Auth(AuthError::Replayed))
        );
        // A forged signature on a fresh nonce is refused before the store: nothing recorded.
        let before = store.len();
        let forged: Vec<(&str, String)> = pairs
            .iter()
            .map(|(k, v)| {
                if *k == super::super::protocol::HEADER_SIGNATURE {
                    (*k, format!("0x{}", "11".repeat(64)))
                } else {
                    (*k, v.clone())
                }
            })
            .collect();
        let raw = RawHeaders::from_pairs(forged.iter().map(|(k, v)| (*k, v.as_str()))).unwrap();
        assert!(verify(&raw, b"x", "POST", "/", &policy, &store)
            .await
            .is_err());
        assert_eq!(store.len(), before);
        let short = MemoryNonceStore::new(Limits {
            retention: Duration::from_secs(5),
            ..Limits::default()
        });
        assert!(check_store(&policy, &short).is_err());
    }
}
