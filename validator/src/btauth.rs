//! `validator btauth sign|verify`: btauth/1 (SDK 11's hotkey-signed HTTP) from the command line,
//! for scripts and debugging. `sign` prints a request's headers as JSON; `verify` checks a
//! request (headers as JSON, body file, method, path) for a receiving hotkey and prints the
//! caller, or exits with the error's own code.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use bt_wire::btauth::headers::RawHeaders;
use bt_wire::btauth::now_ns;
use bt_wire::btauth::verify::{authenticate, Policy};
use bt_wire::btauth::{AuthError, Signer};
use bt_wire::wallet::{self, Password, WalletArgs};

/// `validator btauth …`.
#[derive(Debug, clap::Subcommand)]
pub enum BtauthCommand {
    /// Sign a request with the wallet's hotkey; prints its X-Bittensor-* headers as JSON.
    Sign {
        #[command(flatten)]
        wallet: WalletArgs,
        /// The HTTP method.
        #[arg(long, default_value = "POST")]
        method: String,
        /// The request target exactly as it will be sent: path and `?query`.
        #[arg(long = "path")]
        target: String,
        /// The body's file (`-` for stdin); none for an empty body.
        #[arg(long)]
        body: Option<PathBuf>,
        /// The receiver's hotkey (SS58); without it the request is unbound, which servers
        /// refuse by default.
        #[arg(long)]
        receiver: Option<String>,
        /// The nonce (ns) instead of the clock, for test vectors.
        #[arg(long)]
        nonce: Option<i64>,
    },
    /// Verify a request as a server whose hotkey is --receiver would (header shape, receiver,
    /// freshness, signature; one invocation remembers no nonces, so it cannot see a replay).
    /// Prints the caller as JSON and exits 0; or prints {"error","sdk","message"} and exits 3
    /// (malformed), 4 (wrong receiver), 5 (stale) or 6 (bad signature).
    Verify {
        /// The headers' file, a JSON object of strings (`-` for stdin), e.g. `btauth sign`'s.
        #[arg(long)]
        headers: PathBuf,
        /// The body's file (`-` for stdin); none for an empty body.
        #[arg(long)]
        body: Option<PathBuf>,
        /// The HTTP method.
        #[arg(long, default_value = "POST")]
        method: String,
        /// The request target as received: path and `?query`.
        #[arg(long = "path")]
        target: String,
        /// The receiving (our) hotkey, SS58.
        #[arg(long)]
        receiver: String,
        /// Seconds a nonce may be old.
        #[arg(long, default_value_t = 10.0)]
        max_age: f64,
        /// Seconds a nonce may be ahead of our clock.
        #[arg(long, default_value_t = 2.0)]
        allowed_skew: f64,
        /// Accept requests bound to no receiver.
        #[arg(long)]
        allow_unbound: bool,
        /// Our clock (ns) instead of the wall clock, for test vectors.
        #[arg(long)]
        now: Option<i64>,
    },
}

/// A request `verify` refused: the process exits with [`Refused::exit_code`].
#[derive(Debug, thiserror::Error)]
#[error("btauth {0}")]
pub struct Refused(pub AuthError);

impl Refused {
    /// 3 malformed, 4 wrong receiver, 5 stale, 6 bad signature, 7 replayed.
    pub fn exit_code(&self) -> u8 {
        match self.0 {
            AuthError::Malformed(_) => 3,
            AuthError::WrongReceiver { .. } => 4,
            AuthError::Stale { .. } => 5,
            AuthError::BadSignature => 6,
            AuthError::Replayed => 7,
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut out = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut out)?;
        return Ok(out);
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn seconds(value: f64, flag: &str) -> Result<std::time::Duration> {
    std::time::Duration::try_from_secs_f64(value)
        .with_context(|| format!("{flag} must be a non-negative number of seconds"))
}

/// Runs a `validator btauth` command.
pub fn run(command: BtauthCommand) -> Result<()> {
    match command {
        BtauthCommand::Sign {
            wallet,
            method,
            target,
            body,
            receiver,
            nonce,
        } => {
            let body = body.as_deref().map(read).transpose()?.unwrap_or_default();
            let hotkey = wallet::load_hotkey(&wallet.paths(), &Password::default())?;
            let signer = Signer::sr25519(hotkey);
            let receiver = receiver.as_deref();
            let headers = match nonce {
                Some(n) => signer.sign_with_nonce(&method, &target, &body, receiver, n),
                None => signer.sign(&method, &target, &body, receiver),
            };
            println!("{}", headers.to_json());
        }
        BtauthCommand::Verify {
            headers,
            body,
            method,
            target,
            receiver,
            max_age,
            allowed_skew,
            allow_unbound,
            now,
        } => {
            let text = read(&headers)?;
            let object: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&text)
                .with_context(|| {
                    format!("{} is not a JSON object of headers", headers.display())
                })?;
            let mut pairs = Vec::with_capacity(object.len());
            for (name, value) in &object {
                let value = value.as_str().with_context(|| {
                    format!("the header {name} is not a string in {}", headers.display())
                })?;
                pairs.push((name.as_str(), value));
            }
            let body = body.as_deref().map(read).transpose()?.unwrap_or_default();
            let policy = Policy {
                max_age: seconds(max_age, "--max-age")?,
                allowed_skew: seconds(allowed_skew, "--allowed-skew")?,
                require_receiver: !allow_unbound,
                ..Policy::new(receiver)
            };
            let now = now.map_or_else(now_ns, i128::from);
            // One invocation has no memory of earlier requests: steps 1–4, no replay check.
            let verdict = RawHeaders::from_pairs(pairs).and_then(|raw| {
                authenticate(&raw, &body, &method, &target, &policy, now)
                    .map(|a| a.caller().clone())
            });
            match verdict {
                Ok(caller) => println!("{}", serde_json::to_string(&caller)?),
                Err(e) => {
                    println!(
                        "{}",
                        serde_json::json!({ "error": e.kind(), "sdk": e.sdk_class(), "message": e.to_string() })
                    );
                    return Err(Refused(e).into());
                }
            }
        }
    }
    Ok(())
}
