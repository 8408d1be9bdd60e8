//! The explorer's link to a node: connect, list the subnets, read the chosen one, and read it
//! again on every new block, with every step's progress or failure in [`Explorer::status`].

use std::cell::Cell;
use std::sync::Arc;
use std::time::Duration;

use bt_chain::blocks::Heads;
use bt_chain::{metagraph, Chain, ChainError};
use bt_core::metagraph::Metagraph;
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::route::Route;

/// Deadline for connecting and for each read.
const TIMEOUT: Duration = Duration::from_secs(15);

/// Where the page is with its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Opening the websocket and reading the metadata.
    Connecting(String),
    /// Reading the subnet.
    Loading(u16),
    /// Showing the subnet, following new blocks.
    Live,
    /// A read failed; the page keeps the last data and tries again on the next block.
    Retrying(String),
    /// Nothing to show: what went wrong and what to do.
    Failed {
        /// What went wrong.
        message: String,
        /// What the user can do about it.
        hint: String,
    },
}

/// The explorer's shared state (all signals, so it is `Copy` into every closure).
#[derive(Debug, Clone, Copy)]
pub struct Explorer {
    /// The node's websocket URL.
    pub endpoint: RwSignal<String>,
    /// The subnet shown (set once known).
    pub netuid: RwSignal<Option<u16>>,
    /// The netuids on the chain.
    pub subnets: RwSignal<Vec<u16>>,
    /// The subnet at the newest block read.
    pub metagraph: RwSignal<Option<Arc<Metagraph>>>,
    /// Progress or failure.
    pub status: RwSignal<Status>,
    /// The validator picked in the validator view and the what-if.
    pub selected: RwSignal<Option<u16>>,
}

thread_local! {
    /// Bumped by each [`Explorer::load`]; a follower whose number is stale stops.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
}

fn is_current(generation: u64) -> bool {
    GENERATION.with(|g| g.get() == generation)
}

impl Explorer {
    /// The state for `route`, nothing loaded yet.
    pub fn new(route: &Route) -> Self {
        Self {
            endpoint: RwSignal::new(route.endpoint.clone()),
            netuid: RwSignal::new(route.netuid),
            subnets: RwSignal::new(Vec::new()),
            metagraph: RwSignal::new(None),
            status: RwSignal::new(Status::Connecting(route.endpoint.clone())),
            selected: RwSignal::new(None),
        }
    }

    /// `f` of the selected validator's neuron, if one is selected and in the subnet shown
    /// (tracked: re-runs when either changes).
    pub fn with_selected<R>(&self, f: impl FnOnce(&bt_core::metagraph::Neuron) -> R) -> Option<R> {
        let uid = self.selected.get()?;
        self.metagraph
            .with(|m| m.as_ref()?.neurons.iter().find(|n| n.uid == uid).map(f))
    }

    /// The route this state shows (for the URL).
    pub fn route(&self) -> Route {
        Route {
            endpoint: self.endpoint.get(),
            netuid: self.netuid.get(),
        }
    }

    /// (Re)connects to the current endpoint and subnet; an earlier follower stops.
    pub fn load(self) {
        let generation = GENERATION.with(|g| {
            g.set(g.get() + 1);
            g.get()
        });
        let endpoint = self.endpoint.get_untracked();
        let netuid = self.netuid.get_untracked();
        spawn_local(async move { self.follow(generation, endpoint, netuid).await });
    }

    fn fail(&self, generation: u64, message: String, hint: String) {
        if is_current(generation) {
            self.status.set(Status::Failed { message, hint });
        }
    }

    async fn follow(self, generation: u64, endpoint: String, netuid: Option<u16>) {
        self.status.set(Status::Connecting(endpoint.clone()));
        let connected = Chain::connect(&endpoint, TIMEOUT).await;
        if !is_current(generation) {
            return;
        }
        let chain = match connected {
            Ok(chain) => chain,
            Err(e) => {
                self.metagraph.set(None);
                let (message, hint) = explain(&e, &endpoint);
                return self.fail(generation, message, hint);
            }
        };
        let subnets = match metagraph::subnets(&chain).await {
            Ok(s) => s,
            Err(e) => {
                let (message, hint) = explain(&e, &endpoint);
                return self.fail(generation, message, hint);
            }
        };
        if !is_current(generation) {
            return;
        }
        self.subnets.set(subnets.clone());
        let Some(netuid) = netuid.or_else(|| {
            subnets
                .iter()
                .copied()
                .find(|&n| n != 0)
                .or(subnets.first().copied())
        }) else {
            self.metagraph.set(None);
            return self.fail(
                generation,
                format!("{endpoint} has no subnets"),
                "Create one (btcli subnet create), or run `validator localnet`, which bootstraps one.".into(),
            );
        };
        if !subnets.contains(&netuid) {
            self.metagraph.set(None);
            self.netuid.set(Some(netuid));
            return self.fail(
                generation,
                format!("subnet {netuid} does not exist on this chain"),
                format!("Pick one of the chain's subnets: {}.", list(&subnets)),
            );
        }
        self.netuid.set(Some(netuid));
        self.status.set(Status::Loading(netuid));
        match metagraph::sync(&chain, netuid, None).await {
            Ok(mg) if is_current(generation) => {
                self.metagraph.set(Some(Arc::new(mg)));
                self.status.set(Status::Live);
            }
            Ok(_) => return,
            Err(e) => {
                let (message, hint) = explain(&e, &endpoint);
                return self.fail(generation, message, hint);
            }
        }

        let mut heads = Heads::new(&endpoint, None);
        let mut chain = Some(chain);
        loop {
            let head = heads.next().await;
            if !is_current(generation) {
                return;
            }
            let Ok(head) = head else { continue };
            let shown = self
                .metagraph
                .with_untracked(|m| m.as_ref().map(|m| m.block).unwrap_or(0));
            if head <= shown {
                continue;
            }
            if chain.is_none() {
                chain = Chain::connect(&endpoint, TIMEOUT).await.ok();
            }
            let Some(c) = &chain else {
                self.status
                    .set(Status::Retrying(format!("reconnecting to {endpoint}")));
                continue;
            };
            match metagraph::sync(c, netuid, None).await {
                Ok(mg) if is_current(generation) => {
                    self.metagraph.set(Some(Arc::new(mg)));
                    self.status.set(Status::Live);
                }
                Ok(_) => return,
                Err(e) => {
                    if is_current(generation) {
                        self.status.set(Status::Retrying(e.to_string()));
                    }
                    chain = None;
                }
            }
        }
    }
}

fn list(netuids: &[u16]) -> String {
    netuids
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// What went wrong, and what to do, for a page (not a command line).
pub fn explain(error: &ChainError, endpoint: &str) -> (String, String) {
    match error {
        ChainError::Connect { reason, .. } => (
            format!("cannot reach {endpoint} ({reason})"),
            "Check that a node is running there. For a local chain run `validator localnet` (it serves ws://127.0.0.1:9944), or pick a preset. A page served over https can only open wss:// endpoints.".into(),
        ),
        ChainError::Timeout { what, seconds } => (
            format!("{endpoint} did not answer in time ({what}, {seconds} s)"),
            "The node may be overloaded or still syncing: try again, or use another endpoint.".into(),
        ),
        ChainError::NoSuchSubnet { netuid, .. } => (
            format!("subnet {netuid} does not exist on this chain"),
            "Pick a subnet from the list.".into(),
        ),
        ChainError::Unsupported { item } => (
            format!("this node's runtime has no {item}"),
            "It runs a subtensor version the explorer cannot read; use a subtensor node.".into(),
        ),
        other => (
            other.to_string(),
            "Try again; if it persists, the node may not be a subtensor node.".into(),
        ),
    }
}
