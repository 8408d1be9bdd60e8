//! The connection to a node: endpoint names, connecting with a deadline, and the few raw
//! RPCs the typed client does not cover (batched storage reads, dev_* calls on chopsticks).

use std::future::Future;
use std::time::Duration;

use futures::FutureExt;
use subxt::backend::LegacyBackend;
use subxt::config::RpcConfigFor;
use subxt::rpcs::methods::LegacyRpcMethods;
use subxt::rpcs::RpcClient;
use subxt::{OnlineClient, SubstrateConfig};

use crate::storage::AtBlock;

use crate::error::ChainError;

/// Subtensor speaks plain Substrate types: sr25519/MultiSignature, u32 block numbers.
pub type Config = SubstrateConfig;
/// A block hash.
pub type Hash = subxt::config::HashFor<Config>;

/// The deadline for one request unless the caller sets another.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Resolves btcli's `--subtensor.network` / `--subtensor.chain_endpoint` pair to a URL.
/// An explicit endpoint wins; otherwise the network name picks one.
pub fn resolve_endpoint(
    network: Option<&str>,
    chain_endpoint: Option<&str>,
) -> Result<String, ChainError> {
    if let Some(url) = chain_endpoint.filter(|u| !u.trim().is_empty()) {
        let url = url.trim();
        if !(url.starts_with("ws://") || url.starts_with("wss://")) {
            return Err(ChainError::Connect {
                endpoint: url.to_string(),
                reason: "the endpoint must be a websocket URL (ws:// or wss://)".into(),
            });
        }
        return Ok(url.to_string());
    }
    match network.unwrap_or("finney") {
        "finney" => Ok("wss://entrypoint-finney.opentensor.ai:443".into()),
        "test" => Ok("wss://test.finney.opentensor.ai:443".into()),
        "archive" => Ok("wss://archive.chain.opentensor.ai:443".into()),
        "local" => Ok("ws://127.0.0.1:9944".into()),
        other if other.starts_with("ws://") || other.starts_with("wss://") => Ok(other.into()),
        other => Err(ChainError::Connect {
            endpoint: other.to_string(),
            reason: "unknown network: use finney, test, local, or a ws:// URL".into(),
        }),
    }
}

/// Runs `fut` with a deadline; `what` names the operation in the error.
pub async fn with_timeout<T, E, F>(what: &str, limit: Duration, fut: F) -> Result<T, ChainError>
where
    F: Future<Output = Result<T, E>>,
    E: std::fmt::Display,
{
    let timer = futures_timer::Delay::new(limit).fuse();
    let fut = fut.fuse();
    futures::pin_mut!(timer, fut);
    futures::select! {
        out = fut => out.map_err(|e| ChainError::Rpc { what: what.to_string(), reason: e.to_string() }),
        _ = timer => Err(ChainError::Timeout { what: what.to_string(), seconds: limit.as_secs() }),
    }
}

/// Read clients, one per runtime version: each one's configuration names its spec version
/// for every block, so a block whose version the node reports (`state_getRuntimeVersion`,
/// which nodes answer without executing the runtime) opens without a runtime call; each
/// fetches its runtime's metadata once.
type Versioned = std::sync::Arc<std::sync::Mutex<Vec<(u32, OnlineClient<Config>)>>>;

/// A live connection to one node.
#[derive(Clone)]
pub struct Chain {
    endpoint: String,
    client: OnlineClient<Config>,
    backend: std::sync::Arc<LegacyBackend<Config>>,
    versioned: Versioned,
    rpc: RpcClient,
    legacy: LegacyRpcMethods<RpcConfigFor<Config>>,
    timeout: Duration,
}

impl Chain {
    /// Connects to `endpoint` (ws:// or wss://) within `timeout` and loads the metadata.
    pub async fn connect(endpoint: &str, timeout: Duration) -> Result<Self, ChainError> {
        let connect_err = |reason: String| ChainError::Connect {
            endpoint: endpoint.to_string(),
            reason,
        };
        let rpc = match with_timeout(
            "connecting",
            timeout,
            RpcClient::from_insecure_url(endpoint),
        )
        .await
        {
            Ok(rpc) => rpc,
            Err(ChainError::Rpc { reason, .. }) => return Err(connect_err(reason)),
            Err(e) => return Err(connect_err(e.to_string())),
        };
        let backend = std::sync::Arc::new(LegacyBackend::<Config>::builder().build(rpc.clone()));
        let client = with_timeout(
            "reading the genesis hash",
            timeout,
            OnlineClient::<Config>::from_backend(backend.clone()),
        )
        .await
        .map_err(|e| connect_err(e.to_string()))?;
        Ok(Self {
            endpoint: endpoint.to_string(),
            legacy: LegacyRpcMethods::new(rpc.clone()),
            client,
            backend,
            versioned: Versioned::default(),
            rpc,
            timeout,
        })
    }

    /// The URL this connection talks to.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The per-request deadline.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The typed subxt client.
    pub fn client(&self) -> &OnlineClient<Config> {
        &self.client
    }

    /// The raw RPC client (for dev_* and other untyped calls).
    pub fn rpc(&self) -> &RpcClient {
        &self.rpc
    }

    /// The legacy RPC methods (state_queryStorageAt, chain_getHeader, …).
    pub fn legacy(&self) -> &LegacyRpcMethods<RpcConfigFor<Config>> {
        &self.legacy
    }

    /// The client at the best (finalized) block.
    pub async fn at_best(&self) -> Result<AtBlock, ChainError> {
        let what = "reading the best block";
        let hash = with_timeout(what, self.timeout, self.legacy.chain_get_finalized_head()).await?;
        let header = with_timeout(what, self.timeout, self.legacy.chain_get_header(Some(hash)))
            .await?
            .ok_or_else(|| ChainError::Rpc {
                what: what.into(),
                reason: "the node returned no header".into(),
            })?;
        self.at_hash(hash, header.number).await
    }

    /// The client at block `number`.
    pub async fn at_number(&self, number: u64) -> Result<AtBlock, ChainError> {
        let hash = self.block_hash(number).await?;
        self.at_hash(hash, number).await
    }

    /// The client at block `number` whose hash is `hash`, with the metadata of the runtime
    /// that block runs.
    pub async fn at_hash(&self, hash: Hash, number: u64) -> Result<AtBlock, ChainError> {
        let what = format!("reading block #{number}");
        let version = with_timeout(
            &what,
            self.timeout,
            self.legacy.state_get_runtime_version(Some(hash)),
        )
        .await?;
        let client = self
            .client_for(hash, version.spec_version, version.transaction_version)
            .await?;
        with_timeout(
            &what,
            self.timeout,
            client.at_block_hash_and_number(hash, number),
        )
        .await
    }

    /// The runtime's metadata at block `hash` in one runtime call (`Metadata_metadata_at_version`,
    /// V16 or else V15, with the runtime API types the reads need); None when the runtime has
    /// neither (subxt then finds a version itself).
    async fn fetch_metadata(&self, hash: Hash) -> Option<subxt::metadata::ArcMetadata> {
        use codec::{Decode, Encode};
        for version in [16u32, 15] {
            let Ok(bytes) = self
                .state_call("Metadata_metadata_at_version", &version.encode(), hash)
                .await
            else {
                return None;
            };
            if let Ok(Some(opaque)) = Option::<Vec<u8>>::decode(&mut bytes.as_slice()) {
                return subxt::Metadata::decode_from(&opaque).ok().map(Into::into);
            }
        }
        None
    }

    /// The read client of runtime `spec_version` (created on first use with the metadata read
    /// at `hash`).
    async fn client_for(
        &self,
        hash: Hash,
        spec_version: u32,
        transaction_version: u32,
    ) -> Result<OnlineClient<Config>, ChainError> {
        let lock = || {
            self.versioned
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        };
        let known = lock()
            .iter()
            .find(|(v, _)| *v == spec_version)
            .map(|(_, c)| c.clone());
        if let Some(client) = known {
            return Ok(client);
        }
        let mut config = SubstrateConfig::builder()
            .set_genesis_hash(self.client.genesis_hash())
            .set_spec_version_for_block_ranges([subxt::config::substrate::SpecVersionForRange {
                block_range: 0..u64::MAX,
                spec_version,
                transaction_version,
            }]);
        if let Some(metadata) = self.fetch_metadata(hash).await {
            config = config.set_metadata_for_spec_versions([(spec_version, metadata)]);
        }
        let config = config.build();
        let client = with_timeout(
            "opening a read client",
            self.timeout,
            OnlineClient::from_backend_with_config(config, self.backend.clone()),
        )
        .await?;
        lock().push((spec_version, client.clone()));
        Ok(client)
    }

    /// The best block's number.
    pub async fn best_number(&self) -> Result<u64, ChainError> {
        let header = with_timeout(
            "reading the best header",
            self.timeout,
            self.legacy.chain_get_header(None),
        )
        .await?;
        header.map(|h| h.number).ok_or_else(|| ChainError::Rpc {
            what: "reading the best header".into(),
            reason: "the node returned no header".into(),
        })
    }

    /// The hash of block `number` (an error when the node does not have it).
    pub async fn block_hash(&self, number: u64) -> Result<Hash, ChainError> {
        let what = format!("reading the hash of block #{number}");
        let hash = with_timeout(
            &what,
            self.timeout,
            self.legacy.chain_get_block_hash(Some(
                subxt::rpcs::methods::legacy::NumberOrHex::Number(number),
            )),
        )
        .await?;
        hash.ok_or_else(|| ChainError::Rpc {
            what,
            reason: "the node does not have this block (an archive node keeps every block)".into(),
        })
    }

    /// Calls runtime API function `function` (`Trait_method`) with SCALE-encoded `args` at
    /// block `at`; returns the SCALE-encoded result.
    pub async fn state_call(
        &self,
        function: &str,
        args: &[u8],
        at: Hash,
    ) -> Result<Vec<u8>, ChainError> {
        with_timeout(
            &format!("calling {function}"),
            self.timeout,
            self.legacy.state_call(function, Some(args), Some(at)),
        )
        .await
    }

    /// Every storage key that starts with `prefix` at block `at` (`state_getKeysPaged`,
    /// `page` keys per request).
    pub async fn keys_paged(
        &self,
        prefix: &[u8],
        page: u32,
        at: Hash,
    ) -> Result<Vec<Vec<u8>>, ChainError> {
        let mut keys: Vec<Vec<u8>> = Vec::new();
        loop {
            let start = keys.last().cloned();
            let batch = with_timeout(
                "listing storage keys",
                self.timeout,
                self.legacy
                    .state_get_keys_paged(prefix, page, start.as_deref(), Some(at)),
            )
            .await?;
            let count = batch.len();
            keys.extend(batch);
            if count < page as usize {
                return Ok(keys);
            }
        }
    }

    /// Raw values of many storage keys at block `at`, in one request. Absent keys are `None`.
    pub async fn query_storage_at(
        &self,
        keys: &[Vec<u8>],
        at: Hash,
    ) -> Result<Vec<Option<Vec<u8>>>, ChainError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let sets = with_timeout(
            "reading storage",
            self.timeout,
            self.legacy
                .state_query_storage_at(keys.iter().map(|k| k.as_slice()), Some(at)),
        )
        .await?;
        let mut found: std::collections::HashMap<Vec<u8>, Option<Vec<u8>>> =
            std::collections::HashMap::new();
        for set in sets {
            for (key, value) in set.changes {
                found.insert(key.0, value.map(|v| v.0));
            }
        }
        Ok(keys
            .iter()
            .map(|k| found.get(k).cloned().flatten())
            .collect())
    }

    /// How many transactions wait in the node's pool (`author_pendingExtrinsics`).
    pub async fn pending_extrinsics(&self) -> Result<usize, ChainError> {
        let pending: Vec<String> = self
            .request("author_pendingExtrinsics", subxt_rpcs::rpc_params![])
            .await?;
        Ok(pending.len())
    }

    /// Calls a JSON-RPC method by name (chopsticks' dev_* methods, for example).
    pub async fn request<R: serde::de::DeserializeOwned>(
        &self,
        method: &str,
        params: subxt::rpcs::client::RpcParams,
    ) -> Result<R, ChainError> {
        with_timeout(method, self.timeout, self.rpc.request::<R>(method, params)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_resolve_like_btcli() {
        assert_eq!(
            resolve_endpoint(Some("local"), None).unwrap(),
            "ws://127.0.0.1:9944"
        );
        assert!(resolve_endpoint(Some("finney"), None)
            .unwrap()
            .starts_with("wss://"));
        assert!(resolve_endpoint(None, None).unwrap().contains("finney"));
        assert_eq!(
            resolve_endpoint(Some("finney"), Some("ws://127.0.0.1:1234")).unwrap(),
            "ws://127.0.0.1:1234"
        );
        assert!(resolve_endpoint(Some("mainnet"), None).is_err());
        assert!(resolve_endpoint(None, Some("http://127.0.0.1:9944")).is_err());
    }
}
