//! The explorer's link to a node: connect (one connection per endpoint, kept), list the
//! subnets, read the chosen one at the newest block or a pinned past block, follow new
//! blocks, and read the subnet's last epochs (history) and two epochs to compare (diff), with
//! every step's progress or failure in a signal.

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::time::Duration;

use bt_chain::blocks::Heads;
use bt_chain::storage::AtBlock;
use bt_chain::{drand, history, metagraph, Chain, ChainError};
use bt_core::history::{EpochPoint, History};
use bt_core::metagraph::{Metagraph, SubnetSummary};
use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::route::Route;

/// Deadline for connecting and for each read.
const TIMEOUT: Duration = Duration::from_secs(15);

/// How many epochs the history reads unless the user asks for another number.
pub const DEFAULT_EPOCHS: usize = 20;

/// Where the page is with its node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Opening the websocket and reading the metadata.
    Connecting(String),
    /// Reading the list of subnets.
    ListingSubnets,
    /// Reading the subnet (at a past block when `Some`).
    Loading(u16, Option<u64>),
    /// Showing the subnet, following new blocks.
    Live,
    /// Showing the subnet at a past block.
    Pinned(u64),
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

/// Where a longer read (history, diff) is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Progress {
    /// Nothing read yet.
    #[default]
    Idle,
    /// Finding the epoch blocks.
    Finding,
    /// `done` of `total` blocks read.
    Reading {
        /// Blocks read.
        done: usize,
        /// Blocks to read.
        total: usize,
    },
    /// Read in this many milliseconds.
    Done(u64),
    /// The read failed.
    Failed(String),
}

/// The explorer's shared state (all signals, so it is `Copy` into every closure).
#[derive(Debug, Clone, Copy)]
pub struct Explorer {
    /// The node's websocket URL.
    pub endpoint: RwSignal<String>,
    /// The subnet shown (set once known).
    pub netuid: RwSignal<Option<u16>>,
    /// The mechanism shown.
    pub mecid: RwSignal<u8>,
    /// The past block shown (None: the newest, following new blocks).
    pub pinned: RwSignal<Option<u64>>,
    /// The chain's subnets with their overview figures.
    pub subnets: RwSignal<Vec<SubnetSummary>>,
    /// The subnet as read (every mechanism; neurons show mechanism 0).
    pub read: RwSignal<Option<Arc<Metagraph>>>,
    /// The subnet with its neurons showing the mechanism selected.
    pub metagraph: Memo<Option<Arc<Metagraph>>>,
    /// The newest block the node announced.
    pub head: RwSignal<Option<u64>>,
    /// Progress or failure.
    pub status: RwSignal<Status>,
    /// The validator picked in the validator view and the what-if.
    pub selected: RwSignal<Option<u16>>,
    /// The uid the detail panel explains.
    pub focus: RwSignal<Option<u16>>,
    /// How many epochs the history reads.
    pub epochs: RwSignal<usize>,
    /// The subnet's last epochs (oldest first).
    pub history: RwSignal<Option<Arc<History>>>,
    /// The history read's progress.
    pub history_progress: RwSignal<Progress>,
    /// The two epoch blocks compared.
    pub diff_blocks: RwSignal<Option<(u64, u64)>>,
    /// The subnet read at both (every mechanism; the diff panel compares the one shown).
    pub diff_reads: RwSignal<Option<Arc<(Metagraph, Metagraph)>>>,
    /// The comparison's progress.
    pub diff_progress: RwSignal<Progress>,
    /// `Drand::LastStoredRound` at the block shown (the newest drand pulse on chain).
    pub last_stored_round: RwSignal<Option<u64>>,
    /// "My validator": the URL of its `GET /status`.
    pub status_url: RwSignal<Option<String>>,
    /// The key looked up across subnets (SS58, as typed).
    pub lookup_key: RwSignal<Option<String>>,
}

thread_local! {
    /// Bumped by each [`Explorer::load`]; a follower whose number is stale stops.
    static GENERATION: Cell<u64> = const { Cell::new(0) };
    /// Bumped by each history read; a stale one stops.
    static HISTORY_GENERATION: Cell<u64> = const { Cell::new(0) };
    /// The history was read up to the newest block (not a pinned one).
    static HISTORY_LIVE: Cell<bool> = const { Cell::new(false) };
    /// The open connection (one per endpoint).
    static CONNECTION: RefCell<Option<Chain>> = const { RefCell::new(None) };
    /// The client pinned at the block shown (its metadata decodes the history's past reads).
    static SHOWN_AT: RefCell<Option<AtBlock>> = const { RefCell::new(None) };
}

fn is_current(generation: u64) -> bool {
    GENERATION.with(|g| g.get() == generation)
}

fn bump(counter: &'static std::thread::LocalKey<Cell<u64>>) -> u64 {
    counter.with(|g| {
        g.set(g.get() + 1);
        g.get()
    })
}

/// The open connection to `endpoint`, or a new one.
async fn connection(endpoint: &str) -> Result<Chain, ChainError> {
    let open = CONNECTION.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|c| c.endpoint() == endpoint)
            .cloned()
    });
    if let Some(chain) = open {
        return Ok(chain);
    }
    let chain = Chain::connect(endpoint, TIMEOUT).await?;
    CONNECTION.with(|c| *c.borrow_mut() = Some(chain.clone()));
    Ok(chain)
}

/// Forgets the connection to `endpoint` (after a failed read), so the next read reconnects.
fn drop_connection(endpoint: &str) {
    CONNECTION.with(|c| {
        let mut c = c.borrow_mut();
        if c.as_ref().is_some_and(|c| c.endpoint() == endpoint) {
            *c = None;
        }
    });
}

/// The client pinned at the block shown, when it is `block`.
fn shown_at(block: u64) -> Option<AtBlock> {
    SHOWN_AT.with(|s| {
        s.borrow()
            .as_ref()
            .filter(|at| at.block_number() == block)
            .cloned()
    })
}

/// Records a `performance.mark` (the page's read phases, for the benchmark and the browser's
/// performance panel).
pub fn mark(name: &str) {
    if let Some(p) = web_sys::window().and_then(|w| w.performance()) {
        let _ = p.mark(name);
    }
}

/// Milliseconds since navigation start.
pub fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
        .unwrap_or(0.0)
}

impl Explorer {
    /// The state for `route`, nothing loaded yet.
    pub fn new(route: &Route) -> Self {
        let read: RwSignal<Option<Arc<Metagraph>>> = RwSignal::new(None);
        let mecid = RwSignal::new(route.mechanism);
        let metagraph = Memo::new_with_compare(
            move |_| {
                let mecid = mecid.get();
                read.with(|m| {
                    let m = m.as_ref()?;
                    if m.mecid == mecid {
                        return Some(Arc::clone(m));
                    }
                    m.for_mechanism(mecid).map(Arc::new)
                })
            },
            |a: Option<&Option<Arc<Metagraph>>>, b: Option<&Option<Arc<Metagraph>>>| match (a, b) {
                (Some(Some(a)), Some(Some(b))) => !Arc::ptr_eq(a, b),
                (Some(None), Some(None)) => false,
                _ => true,
            },
        );
        Self {
            endpoint: RwSignal::new(route.endpoint.clone()),
            netuid: RwSignal::new(route.netuid),
            mecid,
            pinned: RwSignal::new(route.block),
            subnets: RwSignal::new(Vec::new()),
            read,
            metagraph,
            head: RwSignal::new(None),
            status: RwSignal::new(Status::Connecting(route.endpoint.clone())),
            selected: RwSignal::new(None),
            focus: RwSignal::new(None),
            epochs: RwSignal::new(DEFAULT_EPOCHS),
            history: RwSignal::new(None),
            history_progress: RwSignal::new(Progress::Idle),
            diff_blocks: RwSignal::new(None),
            diff_reads: RwSignal::new(None),
            diff_progress: RwSignal::new(Progress::Idle),
            last_stored_round: RwSignal::new(None),
            status_url: RwSignal::new(route.status.clone()),
            lookup_key: RwSignal::new(route.lookup.clone()),
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
            mechanism: self.mecid.get(),
            block: self.pinned.get(),
            status: self.status_url.get(),
            lookup: self.lookup_key.get(),
        }
    }

    /// Opens subnet `netuid` at the newest block, mechanism 0, nothing selected.
    pub fn open_subnet(self, netuid: u16) {
        self.netuid.set(Some(netuid));
        self.mecid.set(0);
        self.pinned.set(None);
        self.selected.set(None);
        self.focus.set(None);
        self.load();
    }

    /// Shows the subnet at past block `block` (None: the newest, following new blocks).
    pub fn pin(self, block: Option<u64>) {
        if self.pinned.get_untracked() != block {
            self.pinned.set(block);
            self.load();
        }
    }

    /// (Re)reads the current endpoint, subnet and block; an earlier follower stops. The
    /// history is read again when the subnet or endpoint changed.
    pub fn load(self) {
        let generation = bump(&GENERATION);
        let endpoint = self.endpoint.get_untracked();
        let netuid = self.netuid.get_untracked();
        let pinned = self.pinned.get_untracked();
        spawn_local(async move { self.follow(generation, endpoint, netuid, pinned).await });
    }

    fn fail(&self, generation: u64, message: String, hint: String) {
        if is_current(generation) {
            self.status.set(Status::Failed { message, hint });
        }
    }

    fn shown(&self, mg: Metagraph, pinned: Option<u64>) {
        let same_subnet = self
            .read
            .with_untracked(|m| m.as_ref().map(|m| m.netuid) == Some(mg.netuid));
        let mechanisms = mg.mechanisms.len().max(1);
        if usize::from(self.mecid.get_untracked()) >= mechanisms {
            self.mecid.set(0);
        }
        self.read.set(Some(Arc::new(mg)));
        self.status.set(match pinned {
            Some(b) => Status::Pinned(b),
            None => Status::Live,
        });
        // A history read up to a pinned block is read again once the page follows the chain.
        let stale_history = pinned.is_none() && !HISTORY_LIVE.with(Cell::get);
        if !same_subnet {
            self.history.set(None);
            self.diff_reads.set(None);
            self.diff_blocks.set(None);
            self.diff_progress.set(Progress::Idle);
            self.load_history();
        } else if stale_history {
            self.load_history();
        }
    }

    async fn follow(
        self,
        generation: u64,
        endpoint: String,
        netuid: Option<u16>,
        pinned: Option<u64>,
    ) {
        let known = !self.subnets.with_untracked(Vec::is_empty);
        if !known {
            self.status.set(Status::Connecting(endpoint.clone()));
        }
        mark("bt:connect");
        let connected = connection(&endpoint).await;
        mark("bt:connected");
        if !is_current(generation) {
            return;
        }
        let chain = match connected {
            Ok(chain) => chain,
            Err(e) => {
                self.read.set(None);
                let (message, hint) = explain(&e, &endpoint);
                return self.fail(generation, message, hint);
            }
        };
        if !known {
            self.status.set(Status::ListingSubnets);
        }
        // One client pinned at the block shown serves every read of it.
        let read = async {
            let at = match pinned {
                Some(b) => chain.at_number(b).await?,
                None => chain.at_best().await?,
            };
            mark("bt:at-block");
            let subnets = metagraph::subnet_summaries_at(&chain, &at).await?;
            mark("bt:subnets");
            Ok::<_, ChainError>((at, subnets))
        };
        let (at, subnets) = match read.await {
            Ok(read) => read,
            Err(e) => {
                drop_connection(&endpoint);
                let (message, hint) = explain(&e, &endpoint);
                return self.fail(generation, message, hint);
            }
        };
        if !is_current(generation) {
            return;
        }
        let netuids: Vec<u16> = subnets.iter().map(|s| s.netuid).collect();
        self.subnets.set(subnets);
        let Some(netuid) = netuid.or_else(|| {
            netuids
                .iter()
                .copied()
                .find(|&n| n != 0)
                .or(netuids.first().copied())
        }) else {
            self.read.set(None);
            return self.fail(
                generation,
                format!("{endpoint} has no subnets"),
                "Create one (btcli subnet create), or run `validator localnet`, which bootstraps one.".into(),
            );
        };
        if !netuids.contains(&netuid) {
            self.read.set(None);
            self.netuid.set(Some(netuid));
            return self.fail(
                generation,
                format!("subnet {netuid} does not exist on this chain"),
                format!("Pick one of the chain's subnets: {}.", list(&netuids)),
            );
        }
        self.netuid.set(Some(netuid));
        self.status.set(Status::Loading(netuid, pinned));
        let (synced, round) = futures::join!(
            metagraph::sync_at(&chain, &at, netuid, 0),
            drand::last_stored_round(&chain, &at)
        );
        match synced {
            Ok(mg) if is_current(generation) => {
                mark("bt:synced");
                self.last_stored_round.set(round.ok());
                SHOWN_AT.with(|s| *s.borrow_mut() = Some(at));
                self.shown(mg, pinned)
            }
            Ok(_) => return,
            Err(e) => {
                let (message, hint) = explain(&e, &endpoint);
                return self.fail(generation, message, hint);
            }
        }

        let mut heads = Heads::new(&endpoint, None);
        loop {
            let head = heads.next().await;
            if !is_current(generation) {
                return;
            }
            let Ok(head) = head else { continue };
            self.head.set(Some(head));
            if pinned.is_some() {
                continue;
            }
            let shown = self
                .read
                .with_untracked(|m| m.as_ref().map(|m| m.block).unwrap_or(0));
            if head <= shown {
                continue;
            }
            let chain = match connection(&endpoint).await {
                Ok(chain) => chain,
                Err(_) => {
                    self.status
                        .set(Status::Retrying(format!("reconnecting to {endpoint}")));
                    continue;
                }
            };
            let read = async {
                let at = chain.at_best().await?;
                let (mg, round) = futures::join!(
                    metagraph::sync_at(&chain, &at, netuid, 0),
                    drand::last_stored_round(&chain, &at)
                );
                Ok::<_, ChainError>((at, mg?, round.ok()))
            };
            match read.await {
                Ok((at, mg, round)) if is_current(generation) => {
                    self.last_stored_round.set(round);
                    let epoch = mg.schedule.last_epoch_block;
                    SHOWN_AT.with(|s| *s.borrow_mut() = Some(at));
                    self.shown(mg, None);
                    self.extend_history(epoch);
                }
                Ok(_) => return,
                Err(e) => {
                    if is_current(generation) {
                        self.status.set(Status::Retrying(e.to_string()));
                    }
                    drop_connection(&endpoint);
                }
            }
        }
    }

    /// Reads the subnet's last [`Explorer::epochs`] epochs up to the block shown, with
    /// progress; the time it took lands in `Progress::Done`.
    pub fn load_history(self) {
        let generation = bump(&HISTORY_GENERATION);
        let endpoint = self.endpoint.get_untracked();
        let count = self.epochs.get_untracked().max(1);
        let Some((netuid, block, n, last_epoch)) = self.read.with_untracked(|m| {
            m.as_ref().map(|m| {
                let n = u16::try_from(m.n()).unwrap_or(u16::MAX);
                (m.netuid, m.block, n, m.schedule.last_epoch_block)
            })
        }) else {
            return;
        };
        let current = move || HISTORY_GENERATION.with(|g| g.get() == generation);
        HISTORY_LIVE.with(|l| l.set(self.pinned.get_untracked().is_none()));
        spawn_local(async move {
            let start = now_ms();
            self.history_progress.set(Progress::Finding);
            let read = async {
                let chain = connection(&endpoint).await?;
                let at = match shown_at(block) {
                    Some(at) => at,
                    None => chain.at_number(block).await?,
                };
                let blocks = history::epoch_blocks(&chain, &at, netuid, last_epoch, count).await?;
                self.history_progress.set(Progress::Reading {
                    done: 0,
                    total: blocks.len(),
                });
                history::epoch_points(&chain, &at, netuid, n, &blocks, |done, total| {
                    if current() {
                        self.history_progress.set(Progress::Reading { done, total });
                    }
                })
                .await
            };
            let result = read.await;
            if !current() {
                return;
            }
            match result {
                Ok(points) => {
                    self.history.set(Some(Arc::new(History::new(points))));
                    self.history_progress
                        .set(Progress::Done((now_ms() - start).round() as u64));
                    self.default_diff();
                }
                Err(e) => self.history_progress.set(Progress::Failed(e.to_string())),
            }
        });
    }

    /// Adds the epoch at `epoch` to the history when it is newer than its last point.
    fn extend_history(self, epoch: u64) {
        let newest = self
            .history
            .with_untracked(|h| h.as_ref().and_then(|h| h.points.last().map(|p| p.block)));
        let Some(newest) = newest else { return };
        if epoch <= newest {
            return;
        }
        let generation = HISTORY_GENERATION.with(Cell::get);
        let endpoint = self.endpoint.get_untracked();
        let Some((netuid, n)) = self.read.with_untracked(|m| {
            m.as_ref()
                .map(|m| (m.netuid, u16::try_from(m.n()).unwrap_or(u16::MAX)))
        }) else {
            return;
        };
        spawn_local(async move {
            let read = async {
                let chain = connection(&endpoint).await?;
                let at = match SHOWN_AT.with(|s| s.borrow().clone()) {
                    Some(at) => at,
                    None => chain.at_number(epoch).await?,
                };
                history::epoch_points(&chain, &at, netuid, n, &[epoch], |_, _| {}).await
            };
            let Ok(points) = read.await else { return };
            if HISTORY_GENERATION.with(|g| g.get() != generation) {
                return;
            }
            let limit = self.epochs.get_untracked().max(1);
            self.history.update(|h| {
                let mut all: Vec<EpochPoint> =
                    h.as_ref().map(|h| h.points.clone()).unwrap_or_default();
                all.extend(points);
                let mut next = History::new(all);
                let excess = next.points.len().saturating_sub(limit);
                next.points.drain(..excess);
                *h = Some(Arc::new(next));
            });
        });
    }

    /// Compares the last two epochs of the history unless two are already chosen.
    fn default_diff(self) {
        if self.diff_blocks.get_untracked().is_some() {
            return;
        }
        let blocks = self
            .history
            .with_untracked(|h| h.as_ref().map(|h| h.blocks()).unwrap_or_default());
        if let [.., a, b] = blocks[..] {
            self.compare(a, b);
        }
    }

    /// Reads the subnet at epoch blocks `from` and `to` and compares them (the mechanism
    /// shown), with progress.
    pub fn compare(self, from: u64, to: u64) {
        let endpoint = self.endpoint.get_untracked();
        let Some(netuid) = self.netuid.get_untracked() else {
            return;
        };
        self.diff_blocks.set(Some((from, to)));
        spawn_local(async move {
            let start = now_ms();
            self.diff_progress
                .set(Progress::Reading { done: 0, total: 2 });
            let read = async {
                let chain = connection(&endpoint).await?;
                let (a, b) = futures::join!(
                    metagraph::sync(&chain, netuid, Some(from)),
                    metagraph::sync(&chain, netuid, Some(to))
                );
                Ok::<_, ChainError>((a?, b?))
            };
            let result = read.await;
            if self.diff_blocks.get_untracked() != Some((from, to)) {
                return;
            }
            match result {
                Ok((a, b)) => {
                    self.diff_reads.set(Some(Arc::new((a, b))));
                    self.diff_progress
                        .set(Progress::Done((now_ms() - start).round() as u64));
                }
                Err(e) => self.diff_progress.set(Progress::Failed(e.to_string())),
            }
        });
    }
}

fn list(netuids: &[u16]) -> String {
    netuids
        .iter()
        .map(u16::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The open connection to the page's endpoint (for reads outside the subnet shown).
pub async fn open(endpoint: &str) -> Result<Chain, ChainError> {
    connection(endpoint).await
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
        ChainError::NoSuchSubnet { netuid, block } => (
            format!("subnet {netuid} does not exist at block {block}"),
            "Pick a subnet from the list, or a later block.".into(),
        ),
        ChainError::Unsupported { item } => (
            format!("this node's runtime has no {item}"),
            "It runs a subtensor version the explorer cannot read; use a subtensor node.".into(),
        ),
        other => (
            other.to_string(),
            "Try again; if it persists, the node may not be a subtensor node (or not an archive node, for past blocks).".into(),
        ),
    }
}
