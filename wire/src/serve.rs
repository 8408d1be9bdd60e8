//! The miner's listener: an axum router served over HTTP/1.1 with what a server on the open
//! internet needs against hostile connections (slowloris, idle floods):
//! - a deadline for each request's headers, from the moment the connection waits for them
//!   (a new connection, or a kept-alive one between requests): a client that sends nothing,
//!   or one byte a second, is closed when it passes;
//! - a cap on open connections: at the cap, the connection that has waited longest for a
//!   request is closed to make room (those that never sent one go first), so a flood of idle
//!   connections cannot lock out a caller who sends a request at once; when every open
//!   connection is busy with a request, the newcomer is closed instead.
//!
//! The deadline for request bodies is the axon's ([`crate::axon::AxonConfig::body_timeout`]),
//! since only it knows when a body is worth reading.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::task::AbortHandle;
use tower_service::Service;

/// How the listener bounds its connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Connections open at once, at most (each holds a file descriptor).
    pub max_connections: usize,
    /// How long a connection may take to send a request's headers.
    pub header_timeout: Duration,
}

impl Default for ConnectionLimits {
    /// 1,024 connections, 5 s for the headers.
    fn default() -> Self {
        Self {
            max_connections: 1024,
            header_timeout: Duration::from_secs(5),
        }
    }
}

/// File descriptors kept free beside the connections (the listener, logs, the chain client).
const SPARE_DESCRIPTORS: u64 = 256;

impl ConnectionLimits {
    /// Raises this process's open-file limit (its soft limit, up to the hard one) to hold
    /// the cap and some spare; where the hard limit is lower, lowers the cap to fit and says
    /// so. Without this, a cap above the usual soft limit of 1,024 would never be reached:
    /// `accept` would fail first, and callers would wait in the kernel's queue.
    pub fn fit_to_descriptors(mut self) -> Self {
        let wanted = self.max_connections as u64 + SPARE_DESCRIPTORS;
        let got = rlimit::increase_nofile_limit(wanted).unwrap_or(0);
        if got < wanted {
            let fits = got.saturating_sub(SPARE_DESCRIPTORS).max(16) as usize;
            tracing::warn!(
                wanted = self.max_connections,
                fits,
                open_file_limit = got,
                "the open-file limit (ulimit -n) is too low for the connection cap; lowering the cap"
            );
            self.max_connections = fits;
        }
        self
    }
}

/// One open connection, as the cap sees it.
struct Open {
    /// Since when it waits for a request (`None` while one is being answered).
    waiting_since: Option<Instant>,
    /// Requests it has sent.
    requests: u64,
    /// Closes it (`None` for the moment between its registration and its task's start).
    abort: Option<AbortHandle>,
}

/// The open connections.
#[derive(Default)]
struct Table {
    open: HashMap<u64, Open>,
    next_id: u64,
}

type Shared = Arc<Mutex<Table>>;

impl Table {
    /// Makes room for one more under `max`: closes the connection waiting longest for a
    /// request (never-used ones first). False when all are busy.
    fn make_room(&mut self, max: usize) -> bool {
        if self.open.len() < max {
            return true;
        }
        let victim = self
            .open
            .iter()
            .filter_map(|(id, c)| {
                let since = c.waiting_since?;
                c.abort.as_ref()?;
                Some((c.requests > 0, since, *id))
            })
            .min()
            .map(|(_, _, id)| id);
        match victim.and_then(|id| self.open.remove(&id)) {
            Some(c) => {
                if let Some(a) = c.abort {
                    a.abort();
                }
                true
            }
            None => false,
        }
    }
}

/// Removes a connection from the table when its task ends (or is aborted).
struct Registered {
    table: Shared,
    id: u64,
}

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut t) = self.table.lock() {
            t.open.remove(&self.id);
        }
    }
}

fn mark(table: &Shared, id: u64, busy: bool) {
    if let Ok(mut t) = table.lock() {
        if let Some(c) = t.open.get_mut(&id) {
            if busy {
                c.waiting_since = None;
                c.requests += 1;
            } else {
                c.waiting_since = Some(Instant::now());
            }
        }
    }
}

/// Serves `app` on `listener` within `limits` until `shutdown` resolves (then stops
/// accepting; open connections are closed with the task). Errors accepting a connection
/// (out of file descriptors, a reset before accept) are logged and waited out, never fatal.
pub async fn serve(
    listener: TcpListener,
    app: axum::Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()>,
) {
    let table: Shared = Arc::default();
    let max = limits.max_connections.max(1);
    // One permit per open connection, held by its task until its socket is closed: a closed
    // connection's descriptor is free before another is taken, so the cap holds exactly.
    let permits = Arc::new(tokio::sync::Semaphore::new(max));
    tokio::pin!(shutdown);
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = &mut shutdown => break,
            a = listener.accept() => a,
        };
        // Reap finished connection tasks so the set does not grow.
        while connections.try_join_next().is_some() {}
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!(error = %e, "accept failed; waiting 100 ms");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let permit = match permits.clone().try_acquire_owned() {
            Ok(p) => p,
            Err(_) => {
                let room = table.lock().map(|mut t| t.make_room(max)).unwrap_or(false);
                if !room {
                    tracing::debug!("every connection is busy with a request; closing a new one");
                    continue;
                }
                // The closed connection's task gives its permit back as it ends.
                match permits.clone().acquire_owned().await {
                    Ok(p) => p,
                    Err(_) => break,
                }
            }
        };
        let id = {
            let Ok(mut t) = table.lock() else { break };
            let id = t.next_id;
            t.next_id += 1;
            t.open.insert(
                id,
                Open {
                    waiting_since: Some(Instant::now()),
                    requests: 0,
                    abort: None,
                },
            );
            id
        };
        let registered = Registered {
            table: table.clone(),
            id,
        };
        let (app, marks) = (app.clone(), table.clone());
        let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
            let (mut app, marks) = (app.clone(), marks.clone());
            async move {
                mark(&marks, id, true);
                let response = app.call(request.map(axum::body::Body::new)).await;
                mark(&marks, id, false);
                response
            }
        });
        let header_timeout = limits.header_timeout;
        let abort = connections.spawn(async move {
            let _registered = registered;
            let _permit = permit;
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
        if let Ok(mut t) = table.lock() {
            if let Some(c) = t.open.get_mut(&id) {
                c.abort = Some(abort);
            }
        }
        // Let the connections run before the next accept: a caller's headers, sent with its
        // connection, are read before a burst of newcomers can make it the oldest waiting.
        tokio::task::yield_now().await;
    }
    connections.abort_all();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open(waiting: Option<u64>, requests: u64) -> Open {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let abort = rt.block_on(async { tokio::spawn(async {}).abort_handle() });
        Open {
            waiting_since: waiting.map(|s| Instant::now() - Duration::from_secs(s)),
            requests,
            abort: Some(abort),
        }
    }

    #[test]
    fn at_the_cap_the_longest_waiting_never_used_connection_goes_first() {
        let mut t = Table::default();
        t.open.insert(1, open(Some(50), 3)); // a kept-alive caller, idle for long
        t.open.insert(2, open(Some(10), 0)); // never sent a request
        t.open.insert(3, open(Some(20), 0)); // never sent one, for longer
        t.open.insert(4, open(None, 1)); // answering a request
        assert!(t.make_room(4));
        assert!(!t.open.contains_key(&3));
        assert!(t.make_room(3));
        assert!(!t.open.contains_key(&2));
        assert!(t.make_room(2));
        assert!(!t.open.contains_key(&1), "then the idle kept-alive one");
        assert!(!t.make_room(1), "a busy connection is never closed");
        assert!(t.open.contains_key(&4));
    }
}
