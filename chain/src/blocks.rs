//! New-head subscription that survives a dropped websocket: it reconnects with exponential
//! backoff (0.5 s doubling to 30 s) and resumes, so a validator loop never spins or dies
//! because the node restarted.

use std::time::Duration;

use subxt::config::RpcConfigFor;
use subxt::rpcs::methods::LegacyRpcMethods;
use subxt::rpcs::RpcClient;

use crate::client::{with_timeout, Config};
use crate::error::ChainError;

const FIRST_BACKOFF: Duration = Duration::from_millis(500);
const MAX_BACKOFF: Duration = Duration::from_secs(30);

type HeaderSub =
    subxt::rpcs::client::RpcSubscription<<RpcConfigFor<Config> as subxt::rpcs::RpcConfig>::Header>;

/// A stream of best-block numbers from one endpoint.
pub struct Heads {
    endpoint: String,
    // The client must outlive its subscription: dropping it closes the websocket.
    sub: Option<(RpcClient, HeaderSub)>,
    backoff: Duration,
    max_attempts: Option<u32>,
    /// How many times the stream has reconnected so far.
    pub reconnects: u32,
}

impl Heads {
    /// Follows `endpoint`; `max_attempts` bounds consecutive failed reconnects (None: forever).
    pub fn new(endpoint: &str, max_attempts: Option<u32>) -> Self {
        Self {
            endpoint: endpoint.to_string(),
            sub: None,
            backoff: FIRST_BACKOFF,
            max_attempts,
            reconnects: 0,
        }
    }

    async fn subscribe(&self) -> Result<(RpcClient, HeaderSub), ChainError> {
        let limit = Duration::from_secs(10);
        let rpc = with_timeout(
            "connecting",
            limit,
            RpcClient::from_insecure_url(&self.endpoint),
        )
        .await
        .map_err(|e| match e {
            ChainError::Rpc { reason, .. } => ChainError::Connect {
                endpoint: self.endpoint.clone(),
                reason,
            },
            other => other,
        })?;
        let legacy = LegacyRpcMethods::<RpcConfigFor<Config>>::new(rpc.clone());
        let sub = with_timeout(
            "subscribing to new heads",
            limit,
            legacy.chain_subscribe_new_heads(),
        )
        .await?;
        Ok((rpc, sub))
    }

    /// The next best block's number; reconnects (with backoff) as often as needed.
    pub async fn next(&mut self) -> Result<u64, ChainError> {
        let mut failures = 0u32;
        loop {
            if self.sub.is_none() {
                match self.subscribe().await {
                    Ok(sub) => {
                        if failures > 0 || self.reconnects > 0 {
                            tracing::info!(endpoint = %self.endpoint, "new-head subscription re-established");
                        }
                        self.sub = Some(sub);
                    }
                    Err(e) => {
                        failures += 1;
                        if self.max_attempts.is_some_and(|m| failures >= m) {
                            return Err(e);
                        }
                        tracing::warn!(endpoint = %self.endpoint, error = %e, wait_ms = self.backoff.as_millis() as u64, "node unreachable, retrying");
                        futures_timer::Delay::new(self.backoff).await;
                        self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
                        continue;
                    }
                }
            }
            let Some((_, sub)) = self.sub.as_mut() else {
                continue;
            };
            match sub.next().await {
                Some(Ok(header)) => {
                    self.backoff = FIRST_BACKOFF;
                    return Ok(header.number);
                }
                Some(Err(e)) => {
                    tracing::warn!(endpoint = %self.endpoint, error = %e, "new-head subscription failed; reconnecting");
                }
                None => {
                    tracing::warn!(endpoint = %self.endpoint, "new-head subscription closed; reconnecting");
                }
            }
            self.sub = None;
            self.reconnects += 1;
            // A node that accepts the subscription and drops it at once must not make this
            // loop spin: wait before subscribing again.
            futures_timer::Delay::new(self.backoff).await;
            self.backoff = (self.backoff * 2).min(MAX_BACKOFF);
        }
    }
}
