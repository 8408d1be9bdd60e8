//! What the explorer's browser tests share: the built `dist/` served on loopback, Debian's
//! chromium driven headless through chromedriver, and polling helpers. Each process is
//! stopped by its guard's Drop. Each test binary that includes it uses a part of it.
#![allow(dead_code)]

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use axum::http::{header, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{json, Value};

/// The repository root.
pub fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("web/ has a parent")
        .to_path_buf()
}

/// The built explorer; the test command builds it with `trunk build` first.
pub fn dist() -> PathBuf {
    let dist = repo().join("dist");
    assert!(
        dist.join("index.html").is_file(),
        "{} has no index.html: build the explorer first with `trunk build` (scripts/test.sh does)",
        dist.display()
    );
    dist
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next() {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("wasm") => "application/wasm",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    }
}

/// Serves `dir` on 127.0.0.1 (any free port) until the runtime stops; returns the base URL.
pub async fn serve(dir: PathBuf) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind the static server");
    let port = listener.local_addr().expect("local addr").port();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let dir = dir.clone();
        async move {
            let rel = uri.path().trim_start_matches('/');
            let rel = if rel.is_empty() { "index.html" } else { rel };
            if rel.split('/').any(|part| part == "..") {
                return StatusCode::NOT_FOUND.into_response();
            }
            match tokio::fs::read(dir.join(rel)).await {
                Ok(body) => Response::builder()
                    .header(header::CONTENT_TYPE, content_type(rel))
                    .body(axum::body::Body::from(body))
                    .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response()),
                Err(_) => StatusCode::NOT_FOUND.into_response(),
            }
        }
    });
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    format!("http://127.0.0.1:{port}")
}

/// A chromedriver process in its own process group; the group (chromedriver and the chromium
/// it started) is killed on drop, so a failed test leaves no browser behind.
pub struct Driver {
    child: Child,
    /// Its WebDriver URL.
    pub url: String,
    profile: tempfile::TempDir,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts chromedriver on a free loopback port and opens a headless chromium session.
pub async fn browser() -> (Driver, Client) {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .process_group(0)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs (apt install chromium chromium-driver; scripts/setup.sh does)");
    let profile = tempfile::tempdir().expect("a profile dir");
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
        profile,
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "chromedriver did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let caps = json!({
        "goog:chromeOptions": {
            "binary": "/usr/bin/chromium",
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--window-size=1400,1000",
                format!("--user-data-dir={}", driver.profile.path().display()),
            ]
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!("a JSON object literal")
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let client = ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a chromium session");
    (driver, client)
}

/// Polls `script` (a JS function body returning a value) until `done` accepts its result.
pub async fn wait_for<F: Fn(&Value) -> bool>(
    client: &Client,
    what: &str,
    limit: Duration,
    script: &str,
    done: F,
) -> Value {
    let deadline = Instant::now() + limit;
    loop {
        let value = client.execute(script, vec![]).await.unwrap_or(Value::Null);
        if done(&value) {
            return value;
        }
        if Instant::now() > deadline {
            let status = client.find(Locator::Css("#status")).await.ok();
            let status = match status {
                Some(s) => s.text().await.unwrap_or_default(),
                None => String::new(),
            };
            panic!("timed out after {limit:?} waiting for {what}; last value {value}; page status: {status}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page URL for `endpoint` and `netuid`.
pub fn page(base: &str, endpoint: &str, netuid: Option<u16>) -> String {
    let endpoint: String = endpoint
        .bytes()
        .map(|b| match b {
            b':' => "%3A".to_string(),
            b'/' => "%2F".to_string(),
            b => (b as char).to_string(),
        })
        .collect();
    match netuid {
        Some(n) => format!("{base}/?endpoint={endpoint}&netuid={n}"),
        None => format!("{base}/?endpoint={endpoint}"),
    }
}

/// The numbers after `block #` in the indicator, if any.
pub fn block_number(text: &Value) -> Option<u64> {
    text.as_str()?.strip_prefix("block #")?.trim().parse().ok()
}

/// Runs `script` (a JS function body) in the page and returns its value.
pub async fn js(client: &Client, script: &str) -> Value {
    client.execute(script, vec![]).await.expect("script runs")
}

/// Saves a screenshot of the page as `target/explorer-{view}.png`.
pub async fn shot(client: &Client, view: &str) {
    let png = client.screenshot().await.expect("screenshot");
    let path = repo().join(format!("target/explorer-{view}.png"));
    std::fs::write(&path, png).expect("save the screenshot");
    eprintln!("screenshot: {}", path.display());
}

/// Scrolls the element `selector` to the top of the viewport (for the screenshot).
pub async fn scroll_to(client: &Client, selector: &str) {
    js(
        client,
        &format!("document.querySelector('{selector}').scrollIntoView({{block: 'start'}}); window.scrollBy(0, -90); return true;"),
    )
    .await;
}
