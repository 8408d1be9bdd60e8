//! The page's URL holds the endpoint, the netuid, the mechanism and a pinned block
//! (`?endpoint=ws://…&netuid=2&mechanism=1&block=1200`), a validator's status URL
//! (`status=http://127.0.0.1:9200/status`) and a looked-up key (`lookup=5F…`), so a view can
//! be shared; presets are btcli's network names, resolved by `bt-chain`.

use web_sys::UrlSearchParams;

/// The local node a fresh page points at.
pub const DEFAULT_ENDPOINT: &str = "ws://127.0.0.1:9944";

/// The preset buttons: btcli's network names.
pub const PRESETS: [&str; 3] = ["finney", "test", "local"];

/// What the URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The node's websocket URL.
    pub endpoint: String,
    /// The subnet; `None` picks the first non-root subnet.
    pub netuid: Option<u16>,
    /// The mechanism shown (0 when absent).
    pub mechanism: u8,
    /// The past block shown; `None` follows new blocks.
    pub block: Option<u64>,
    /// "My validator": the URL of a validator's `GET /status`.
    pub status: Option<String>,
    /// The hotkey or coldkey looked up across subnets (SS58).
    pub lookup: Option<String>,
}

impl Default for Route {
    fn default() -> Self {
        Self {
            endpoint: DEFAULT_ENDPOINT.to_string(),
            netuid: None,
            mechanism: 0,
            block: None,
            status: None,
            lookup: None,
        }
    }
}

impl Route {
    /// Parses a query string (`?endpoint=…&netuid=…&mechanism=…&block=…`, the `?` optional).
    /// A missing or empty endpoint is the default; a netuid, mechanism or block that is not a
    /// number of its type is ignored. A preset name is accepted as the endpoint
    /// (`?endpoint=finney`).
    pub fn from_query(query: &str) -> Self {
        let Ok(params) = UrlSearchParams::new_with_str(query) else {
            return Self::default();
        };
        let endpoint = params
            .get("endpoint")
            .map(|e| e.trim().to_string())
            .filter(|e| !e.is_empty())
            .map(|e| resolve(&e).unwrap_or(e))
            .unwrap_or_else(|| DEFAULT_ENDPOINT.to_string());
        let netuid = params.get("netuid").and_then(|n| n.trim().parse().ok());
        let mechanism = params
            .get("mechanism")
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0);
        let block = params.get("block").and_then(|n| n.trim().parse().ok());
        let text = |name: &str| {
            params
                .get(name)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        Self {
            endpoint,
            netuid,
            mechanism,
            block,
            status: text("status"),
            lookup: text("lookup"),
        }
    }

    /// The query string for this route (`?endpoint=…&netuid=…`, then `mechanism` when not 0
    /// and `block` when pinned).
    pub fn to_query(&self) -> String {
        let Ok(params) = UrlSearchParams::new() else {
            return String::new();
        };
        params.append("endpoint", &self.endpoint);
        if let Some(netuid) = self.netuid {
            params.append("netuid", &netuid.to_string());
        }
        if self.mechanism != 0 {
            params.append("mechanism", &self.mechanism.to_string());
        }
        if let Some(block) = self.block {
            params.append("block", &block.to_string());
        }
        if let Some(status) = &self.status {
            params.append("status", status);
        }
        if let Some(key) = &self.lookup {
            params.append("lookup", key);
        }
        format!("?{}", String::from(params.to_string()))
    }

    /// The route of the page's current URL.
    pub fn current() -> Self {
        web_sys::window()
            .and_then(|w| w.location().search().ok())
            .map(|q| Self::from_query(&q))
            .unwrap_or_default()
    }

    /// Writes this route into the address bar without reloading or adding history.
    pub fn replace_current(&self) {
        let Some(window) = web_sys::window() else {
            return;
        };
        let Ok(history) = window.history() else {
            return;
        };
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&self.to_query()),
        );
    }
}

/// The URL of a preset name or a typed endpoint; an error says what is wrong with it.
pub fn resolve(input: &str) -> Result<String, String> {
    let input = input.trim();
    let resolved = if input.contains("://") {
        bt_chain::resolve_endpoint(None, Some(input))
    } else {
        bt_chain::resolve_endpoint(Some(input), None)
    };
    resolved.map_err(|_| {
        format!("“{input}” is not a node address: type a ws:// or wss:// URL, or pick finney, test or local")
    })
}
