//! The client side: a hotkey that signs requests ([`Signer`]) and the headers it produces
//! ([`AuthHeaders`]). Nonces come from the wall clock in ns and strictly increase per signer, so
//! a retry or two requests in the same nanosecond never repeat one.

use std::sync::atomic::{AtomicI64, Ordering};

use super::protocol::{
    payload, Scheme, HEADER_CRYPTO, HEADER_HOTKEY, HEADER_NONCE, HEADER_RECEIVER, HEADER_SIGNATURE,
    HEADER_VERSION, VERSION,
};
use bt_core::ss58;

enum Key {
    Sr25519(subxt_signer::sr25519::Keypair),
    Ed25519(ed25519_zebra::SigningKey),
}

/// A hotkey that signs btauth requests (sr25519, as wallets' hotkeys are, or ed25519).
pub struct Signer {
    key: Key,
    public: [u8; 32],
    hotkey: String,
    last_nonce: AtomicI64,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("hotkey", &self.hotkey)
            .field("scheme", &self.scheme())
            .finish_non_exhaustive()
    }
}

impl Signer {
    fn with(key: Key, public: [u8; 32]) -> Self {
        Self {
            key,
            public,
            hotkey: ss58::bittensor(&public),
            last_nonce: AtomicI64::new(0),
        }
    }

    /// An sr25519 hotkey (what `wallet::load_hotkey` gives).
    pub fn sr25519(keypair: subxt_signer::sr25519::Keypair) -> Self {
        let public = keypair.public_key().0;
        Self::with(Key::Sr25519(keypair), public)
    }

    /// An ed25519 key from its 32-byte seed (as sp-core and the SDK derive it).
    pub fn ed25519(seed: [u8; 32]) -> Self {
        let key = ed25519_zebra::SigningKey::from(seed);
        let public: [u8; 32] = ed25519_zebra::VerificationKey::from(&key).into();
        Self::with(Key::Ed25519(key), public)
    }

    /// The signing hotkey (SS58, format 42).
    pub fn hotkey(&self) -> &str {
        &self.hotkey
    }

    /// Its public key.
    pub fn public(&self) -> [u8; 32] {
        self.public
    }

    /// Its scheme.
    pub fn scheme(&self) -> Scheme {
        match self.key {
            Key::Sr25519(_) => Scheme::Sr25519,
            Key::Ed25519(_) => Scheme::Ed25519,
        }
    }

    /// The next nonce: the wall clock in ns, strictly above the last one this signer used.
    pub fn next_nonce(&self) -> i64 {
        let now = super::protocol::now_ns().clamp(0, i128::from(i64::MAX)) as i64;
        let mut last = self.last_nonce.load(Ordering::Relaxed);
        loop {
            let next = now.max(last.saturating_add(1));
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

    /// The headers for a request of `method` to `target` (path and `?query` exactly as it will
    /// be sent) with `body`, bound to `receiver` (the server's hotkey), with a fresh nonce.
    pub fn sign(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        receiver: Option<&str>,
    ) -> AuthHeaders {
        self.sign_with_nonce(method, target, body, receiver, self.next_nonce())
    }

    /// [`Signer::sign`] with a given nonce (test vectors; a real request needs a fresh one).
    pub fn sign_with_nonce(
        &self,
        method: &str,
        target: &str,
        body: &[u8],
        receiver: Option<&str>,
        nonce_ns: i64,
    ) -> AuthHeaders {
        let scheme = self.scheme();
        let message = payload(
            scheme,
            method,
            target,
            body,
            nonce_ns,
            &self.hotkey,
            receiver,
        );
        let signature: [u8; 64] = match &self.key {
            Key::Sr25519(k) => k.sign(&message).0,
            Key::Ed25519(k) => k.sign(&message).to_bytes(),
        };
        AuthHeaders {
            hotkey: self.hotkey.clone(),
            receiver: receiver.map(str::to_string),
            nonce: nonce_ns.to_string(),
            crypto: (scheme != Scheme::Sr25519).then_some(scheme.name()),
            signature: format!("0x{}", hex::encode(signature)),
        }
    }
}

/// The headers that authenticate one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeaders {
    /// `X-Bittensor-Hotkey`.
    pub hotkey: String,
    /// `X-Bittensor-Receiver`, when bound.
    pub receiver: Option<String>,
    /// `X-Bittensor-Nonce`.
    pub nonce: String,
    /// `X-Bittensor-Crypto`, for schemes other than sr25519.
    pub crypto: Option<&'static str>,
    /// `X-Bittensor-Signature`.
    pub signature: String,
}

impl AuthHeaders {
    /// `(name, value)` in the SDK's order: version, hotkey, nonce, signature, then crypto and
    /// receiver when present.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            Some((HEADER_VERSION, VERSION)),
            Some((HEADER_HOTKEY, self.hotkey.as_str())),
            Some((HEADER_NONCE, self.nonce.as_str())),
            Some((HEADER_SIGNATURE, self.signature.as_str())),
            self.crypto.map(|c| (HEADER_CRYPTO, c)),
            self.receiver.as_deref().map(|r| (HEADER_RECEIVER, r)),
        ]
        .into_iter()
        .flatten()
    }

    /// The headers as a JSON object, in [`AuthHeaders::iter`]'s order.
    pub fn to_json(&self) -> String {
        let fields: Vec<String> = self
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}: {}",
                    serde_json::Value::from(k),
                    serde_json::Value::from(v)
                )
            })
            .collect();
        format!("{{{}}}", fields.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonces_strictly_increase() {
        let s = Signer::ed25519([1; 32]);
        let a = s.next_nonce();
        let b = s.next_nonce();
        assert!(b > a);
    }

    #[test]
    fn ed25519_signatures_are_deterministic_and_headers_ordered() {
        let s = Signer::ed25519([1; 32]);
        let a = s.sign_with_nonce("GET", "/", b"", Some("5R"), 7);
        assert_eq!(a, s.sign_with_nonce("GET", "/", b"", Some("5R"), 7));
        let names: Vec<&str> = a.iter().map(|(k, _)| k).collect();
        assert_eq!(
            names,
            [
                HEADER_VERSION,
                HEADER_HOTKEY,
                HEADER_NONCE,
                HEADER_SIGNATURE,
                HEADER_CRYPTO,
                HEADER_RECEIVER
            ]
        );
        let json: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
        assert_eq!(json[HEADER_CRYPTO], "ed25519");
        assert_eq!(json[HEADER_NONCE], "7");
    }
}
