//! The integration tests' hooks: pauses at the moments a test aims a SIGKILL or a change of
//! the subnet's rules at. They exist only with the `test-hooks` cargo feature, which only the
//! tests enable (`bt-subnet-tweets`' dev-dependencies): in a release build these functions do
//! nothing, and no environment variable set by mistake can stall a production validator.
//!
//! - `BT_TEST_CHECKPOINT_PAUSE_MS`: each step of a state save waits that long, so that a
//!   SIGKILL at a random moment often lands inside a checkpoint write (the crash test);
//! - `BT_TEST_COMMIT_PAUSE_MS`: a submission waits that long at the moments the tests aim at
//!   (a commit after it is saved and before it is sent, and after it lands and before that is
//!   saved; direct weights after the round read the subnet's rules and before they are sent);
//! - `BT_TEST_HOLD_FILE`: at those moments it waits instead for as long as that file exists
//!   (none: no wait), so a test changes the rules inside the window whatever the machine's
//!   speed. Each pause logs `test pause` with its moment first.

#[cfg(feature = "test-hooks")]
mod hooks {
    use std::path::PathBuf;
    use std::sync::OnceLock;
    use std::time::Duration;

    fn millis(var: &str) -> Option<Duration> {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .map(Duration::from_millis)
    }

    pub fn checkpoint_pause() {
        static PAUSE: OnceLock<Option<Duration>> = OnceLock::new();
        if let Some(pause) = PAUSE.get_or_init(|| millis("BT_TEST_CHECKPOINT_PAUSE_MS")) {
            std::thread::sleep(*pause);
        }
    }

    pub async fn commit_pause(at: &str) {
        static PAUSE: OnceLock<(Option<Duration>, Option<PathBuf>)> = OnceLock::new();
        let (pause, hold) = PAUSE.get_or_init(|| {
            (
                millis("BT_TEST_COMMIT_PAUSE_MS"),
                std::env::var_os("BT_TEST_HOLD_FILE").map(PathBuf::from),
            )
        });
        if let Some(hold) = hold {
            if hold.exists() {
                tracing::info!(at, "test pause");
                while hold.exists() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        } else if let Some(pause) = pause {
            tracing::info!(at, "test pause");
            tokio::time::sleep(*pause).await;
        }
    }
}

#[cfg(not(feature = "test-hooks"))]
mod hooks {
    pub fn checkpoint_pause() {}

    pub async fn commit_pause(_at: &str) {}
}

/// Between the steps of a state save (`BT_TEST_CHECKPOINT_PAUSE_MS`).
pub(crate) fn checkpoint_pause() {
    hooks::checkpoint_pause();
}

/// At a moment of a submission the tests aim at (`BT_TEST_COMMIT_PAUSE_MS`,
/// `BT_TEST_HOLD_FILE`), named by `at`.
pub(crate) async fn commit_pause(at: &str) {
    hooks::commit_pause(at).await;
}
