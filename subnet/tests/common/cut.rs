//! A TCP proxy between a validator and its node that can lose a transaction's fate: it reads
//! the validator's WebSocket frames (unmasking them, RFC 6455 §5.3) and, when armed, acts on
//! the next `author_submitAndWatchExtrinsic`:
//! - [`Cut::AfterSubmit`]: the submission reaches the node (which includes it), and the
//!   connection is cut before any answer comes back: the transaction landed, unseen;
//! - [`Cut::BeforeSubmit`]: the submission is dropped and the connection cut: it never
//!   reached the node.
//!
//! Everything else passes untouched. After a cut the proxy holds new connections (accepted,
//! not yet joined to the node) until the test [`Proxy::resume`]s it, having checked what the
//! node did with the submission; the cut connection's node side stays open meanwhile, so the
//! node takes what it was sent.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the proxy does to the next submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Cut {
    /// Nothing: everything passes.
    Off = 0,
    /// Forward the next submission, then cut the connection before its answer.
    AfterSubmit = 1,
    /// Drop the next submission and cut the connection.
    BeforeSubmit = 2,
    /// [`Cut::AfterSubmit`] for every submission until disarmed.
    EverySubmit = 3,
}

/// The proxy's controls.
#[derive(Clone)]
pub struct Proxy {
    /// The `ws://` address to give the validator.
    pub endpoint: String,
    mode: Arc<AtomicU8>,
    cuts: Arc<AtomicU64>,
    held: Arc<AtomicBool>,
}

impl Proxy {
    /// Arms (or disarms, with [`Cut::Off`]) the next cut.
    pub fn arm(&self, cut: Cut) {
        self.mode.store(cut as u8, Ordering::SeqCst);
    }

    /// Connections cut so far.
    pub fn cuts(&self) -> u64 {
        self.cuts.load(Ordering::SeqCst)
    }

    /// True while new connections are held after a cut.
    pub fn holding(&self) -> bool {
        self.held.load(Ordering::SeqCst)
    }

    /// Lets held and new connections through to the node again.
    pub fn resume(&self) {
        self.held.store(false, Ordering::SeqCst);
    }
}

/// Starts a proxy to the node at `upstream` (`ws://host:port`) on a thread of its own.
pub fn start(upstream: &str) -> Proxy {
    let upstream = upstream
        .trim_start_matches("ws://")
        .trim_end_matches('/')
        .to_string();
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let port = std_listener.local_addr().unwrap().port();
    let proxy = Proxy {
        endpoint: format!("ws://127.0.0.1:{port}"),
        mode: Arc::new(AtomicU8::new(Cut::Off as u8)),
        cuts: Arc::new(AtomicU64::new(0)),
        held: Arc::new(AtomicBool::new(false)),
    };
    let (mode, cuts, held) = (proxy.mode.clone(), proxy.cuts.clone(), proxy.held.clone());
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            while let Ok((client, _)) = listener.accept().await {
                let (upstream, mode, cuts, held) =
                    (upstream.clone(), mode.clone(), cuts.clone(), held.clone());
                tokio::spawn(async move {
                    while held.load(Ordering::SeqCst) {
                        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    }
                    if let Ok(server) = TcpStream::connect(&upstream).await {
                        relay(client, server, mode, cuts, held).await;
                    }
                });
            }
        });
    });
    proxy
}

/// One connection: the node's bytes pass as they are; the validator's are read frame by frame.
async fn relay(
    client: TcpStream,
    server: TcpStream,
    mode: Arc<AtomicU8>,
    cuts: Arc<AtomicU64>,
    held: Arc<AtomicBool>,
) {
    let (mut client_read, mut client_write) = client.into_split();
    let (mut server_read, mut server_write) = server.into_split();
    let (cut_tx, mut cut_rx) = tokio::sync::watch::channel(false);
    let down = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            tokio::select! {
                _ = cut_rx.changed() => return,
                n = server_read.read(&mut buf) => match n {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if *cut_rx.borrow() || client_write.write_all(&buf[..n]).await.is_err() {
                            return;
                        }
                    }
                },
            }
        }
    };
    let up = async move {
        let mut pending: Vec<u8> = Vec::new();
        let mut handshake_done = false;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match client_read.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => n,
            };
            pending.extend_from_slice(&buf[..n]);
            if !handshake_done {
                let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head: Vec<u8> = pending.drain(..end + 4).collect();
                if server_write.write_all(&head).await.is_err() {
                    return;
                }
                handshake_done = true;
            }
            while let Some((len, payload)) = frame(&pending) {
                let bytes: Vec<u8> = pending.drain(..len).collect();
                let submit = payload
                    .windows(SUBMIT.len())
                    .any(|w| w == SUBMIT.as_bytes());
                let m = mode.load(Ordering::SeqCst);
                if !submit || m == Cut::Off as u8 {
                    if server_write.write_all(&bytes).await.is_err() {
                        return;
                    }
                    continue;
                }
                let forward = m != Cut::BeforeSubmit as u8;
                if m != Cut::EverySubmit as u8 {
                    mode.store(Cut::Off as u8, Ordering::SeqCst);
                }
                held.store(true, Ordering::SeqCst);
                cuts.fetch_add(1, Ordering::SeqCst);
                let _ = cut_tx.send(true);
                if forward {
                    let _ = server_write.write_all(&bytes).await;
                }
                // The node side stays open a while: the node takes what it was sent.
                tokio::time::sleep(std::time::Duration::from_secs(60)).await;
                return;
            }
        }
    };
    tokio::join!(down, up);
}

const SUBMIT: &str = "author_submitAndWatchExtrinsic";

/// The first complete frame of `bytes` (a client's, masked): its length and its payload,
/// unmasked. `None` until it is all there.
fn frame(bytes: &[u8]) -> Option<(usize, Vec<u8>)> {
    let b1 = *bytes.get(1)?;
    let masked = b1 & 0x80 != 0;
    let (len, mut at) = match b1 & 0x7f {
        126 => (
            u16::from_be_bytes([*bytes.get(2)?, *bytes.get(3)?]) as usize,
            4,
        ),
        127 => {
            let raw: [u8; 8] = bytes.get(2..10)?.try_into().ok()?;
            (u64::from_be_bytes(raw) as usize, 10)
        }
        n => (n as usize, 2),
    };
    let mask: Option<[u8; 4]> = if masked {
        let m = bytes.get(at..at + 4)?.try_into().ok()?;
        at += 4;
        Some(m)
    } else {
        None
    };
    let data = bytes.get(at..at + len)?;
    let payload = match mask {
        Some(m) => data.iter().enumerate().map(|(i, b)| b ^ m[i % 4]).collect(),
        None => data.to_vec(),
    };
    Some((at + len, payload))
}
