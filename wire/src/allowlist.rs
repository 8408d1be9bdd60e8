//! Who may call a miner: everyone, or the hotkeys registered on its subnet (the SDK's
//! blacklist of unregistered callers), kept current from the metagraph. One [`Allowlist`] is
//! shared by every server that checks it: cloning gives another handle on the same list.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bt_core::metagraph::Metagraph;

#[derive(Debug, Clone, Default)]
enum Admitted {
    #[default]
    Everyone,
    /// Public key → uid.
    Registered(HashMap<[u8; 32], u16>),
}

/// A caller the list does not admit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the caller's hotkey is not registered on this subnet")]
pub struct NotRegistered;

/// A shared, replaceable list of the hotkeys allowed to call.
#[derive(Debug, Clone, Default)]
pub struct Allowlist {
    inner: Arc<RwLock<Admitted>>,
}

impl Allowlist {
    /// Admits every caller.
    pub fn everyone() -> Self {
        Self::default()
    }

    /// Admits these public keys, each with its uid.
    pub fn registered(keys: impl IntoIterator<Item = ([u8; 32], u16)>) -> Self {
        Self {
            inner: Arc::new(RwLock::new(Admitted::Registered(
                keys.into_iter().collect(),
            ))),
        }
    }

    /// Admits the neurons of `metagraph`.
    pub fn from_metagraph(metagraph: &Metagraph) -> Self {
        Self::registered(metagraph.neurons.iter().map(|n| (n.hotkey, n.uid)))
    }

    /// Replaces the list, for every handle, with `other`'s.
    pub fn replace_with(&self, other: &Allowlist) {
        let next = match other.inner.read() {
            Ok(a) => a.clone(),
            Err(e) => e.into_inner().clone(),
        };
        match self.inner.write() {
            Ok(mut a) => *a = next,
            Err(e) => *e.into_inner() = next,
        }
    }

    /// Whether `public` may call, and its uid when the list is a subnet's.
    pub fn check(&self, public: &[u8; 32]) -> Result<Option<u16>, NotRegistered> {
        let admitted = match self.inner.read() {
            Ok(a) => a,
            Err(e) => e.into_inner(),
        };
        match &*admitted {
            Admitted::Everyone => Ok(None),
            Admitted::Registered(keys) => {
                keys.get(public).map(|uid| Some(*uid)).ok_or(NotRegistered)
            }
        }
    }

    /// [`Allowlist::check`] for an SS58 address (one that does not decode is not registered).
    pub fn check_ss58(&self, hotkey: &str) -> Result<Option<u16>, NotRegistered> {
        if self.admits_everyone() {
            return Ok(None);
        }
        let (public, _) = bt_core::ss58::decode(hotkey).map_err(|_| NotRegistered)?;
        self.check(&public)
    }

    /// Whether the list admits every caller.
    pub fn admits_everyone(&self) -> bool {
        let admitted = match self.inner.read() {
            Ok(a) => a,
            Err(e) => e.into_inner(),
        };
        matches!(&*admitted, Admitted::Everyone)
    }

    /// Keeps the list equal to the metagraph `read` returns (the subnet's, from whatever reads
    /// the chain): reads it now (an error if that fails), then again every `every` in the
    /// background, keeping the last list when a read fails.
    pub async fn follow_metagraph<F, Fut, E>(
        &self,
        mut read: F,
        every: Duration,
    ) -> Result<tokio::task::JoinHandle<()>, E>
    where
        F: FnMut() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Metagraph, E>> + Send,
        E: std::fmt::Display + Send + 'static,
    {
        let first = read().await?;
        self.replace_with(&Allowlist::from_metagraph(&first));
        let list = self.clone();
        Ok(tokio::spawn(async move {
            loop {
                tokio::time::sleep(every).await;
                match read().await {
                    Ok(mg) => list.replace_with(&Allowlist::from_metagraph(&mg)),
                    Err(e) => {
                        tracing::warn!(error = %e, "metagraph refresh failed; keeping the last allowlist")
                    }
                }
            }
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handles_share_one_list() {
        let list = Allowlist::everyone();
        let other = list.clone();
        assert_eq!(list.check(&[1; 32]), Ok(None));
        list.replace_with(&Allowlist::registered([([1; 32], 4)]));
        assert_eq!(other.check(&[1; 32]), Ok(Some(4)));
        assert_eq!(other.check(&[2; 32]), Err(NotRegistered));
    }
}
