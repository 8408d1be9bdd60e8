//! Signing a `reqwest` request: its method, its request target (path and `?query` as reqwest
//! will send them) and its body bytes, for a receiving hotkey.
//!
//! ```no_run
//! # async fn demo(signer: &bt_wire::btauth::Signer, miner_hotkey: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use bt_wire::btauth::client::SignExt;
//! let client = reqwest::Client::new();
//! let request = client
//!     .post("http://127.0.0.1:8091/generate")
//!     .header("content-type", "application/json")
//!     .body(r#"{"prompt": "hello"}"#)
//!     .btauth(signer, Some(miner_hotkey))?;
//! let response = client.execute(request).await?;
//! # Ok(()) }
//! ```

use super::sign::Signer;

/// Why a request could not be signed.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    /// The request does not build (a bad URL or header).
    #[error("the request does not build: {0}")]
    Build(String),
    /// Its body is a stream: the signature covers the body's bytes, so they must be known.
    #[error("the request's body is a stream; btauth signs bytes")]
    StreamingBody,
}

/// The request target reqwest sends for `url`: its path, then `?` and the query when there is
/// one (an empty query too).
pub fn request_target(url: &reqwest::Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

/// Adds btauth headers to `request`, signed by `signer` for `receiver`, with a fresh nonce.
pub fn sign_request(
    request: &mut reqwest::Request,
    signer: &Signer,
    receiver: Option<&str>,
) -> Result<(), SignError> {
    let body: &[u8] = match request.body() {
        None => &[],
        Some(b) => b.as_bytes().ok_or(SignError::StreamingBody)?,
    };
    let target = request_target(request.url());
    let headers = signer.sign(request.method().as_str(), &target, body, receiver);
    let map = request.headers_mut();
    for (name, value) in headers.iter() {
        let value = reqwest::header::HeaderValue::from_str(value)
            .map_err(|e| SignError::Build(e.to_string()))?;
        map.insert(name, value);
    }
    Ok(())
}

/// `RequestBuilder::btauth`: builds the request and signs it.
pub trait SignExt {
    /// The built request, signed by `signer` for `receiver`.
    fn btauth(self, signer: &Signer, receiver: Option<&str>)
        -> Result<reqwest::Request, SignError>;
}

impl SignExt for reqwest::RequestBuilder {
    fn btauth(
        self,
        signer: &Signer,
        receiver: Option<&str>,
    ) -> Result<reqwest::Request, SignError> {
        let mut request = self.build().map_err(|e| SignError::Build(e.to_string()))?;
        sign_request(&mut request, signer, receiver)?;
        Ok(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::btauth::headers::RawHeaders;
    use crate::btauth::now_ns;
    use crate::btauth::verify::{authenticate, Policy};

    #[test]
    fn a_signed_reqwest_request_verifies() {
        let signer = Signer::ed25519([3; 32]);
        let request = reqwest::Client::new()
            .post("http://127.0.0.1:1/a%20b/c?x=1&y=%2F")
            .body("{\"k\": 1}")
            .btauth(&signer, Some("5Miner"))
            .unwrap();
        assert_eq!(request_target(request.url()), "/a%20b/c?x=1&y=%2F");
        let raw = RawHeaders::from_http(request.headers()).unwrap();
        let body = request.body().and_then(|b| b.as_bytes()).unwrap();
        let caller = authenticate(
            &raw,
            body,
            "POST",
            "/a%20b/c?x=1&y=%2F",
            &Policy::new("5Miner"),
            now_ns(),
        )
        .unwrap();
        assert_eq!(caller.caller().hotkey, signer.hotkey());
    }
}
