//! Which web sockets follow which session, on this node. A session's change reaches the node's
//! login hub (from this node, or from any node through PostgreSQL `NOTIFY`) as
//! `session:<id>`; one dispatcher task per node bumps that session's watch counter, so only its
//! sockets wake (10,000 idle sockets cost nothing when another session changes).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::state::AppState;

/// Prefix of a session id on the login hub (login ids never carry it).
pub const PREFIX: &str = "session:";

#[derive(Default)]
pub struct Hub {
    subs: Mutex<HashMap<String, watch::Sender<u64>>>,
    started: OnceLock<()>,
}

/// A socket's subscription to one session; unsubscribes when dropped.
pub struct Subscription<'a> {
    hub: &'a Hub,
    id: String,
    pub rx: watch::Receiver<u64>,
}

impl Drop for Subscription<'_> {
    fn drop(&mut self) {
        let mut subs = self.hub.subs.lock().unwrap_or_else(|e| e.into_inner());
        if subs
            .get(&self.id)
            .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            subs.remove(&self.id);
        }
    }
}

impl Hub {
    /// Follows session `id` (starting the node's dispatcher on first use).
    pub fn subscribe<'a>(&'a self, st: &AppState, id: &str) -> Subscription<'a> {
        self.started.get_or_init(|| {
            tokio::spawn(dispatch(st.clone()));
        });
        let mut subs = self.subs.lock().unwrap_or_else(|e| e.into_inner());
        let rx = subs
            .entry(id.to_owned())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            hub: self,
            id: id.to_owned(),
            rx,
        }
    }

    fn bump(&self, id: Option<&str>) {
        let subs = self.subs.lock().unwrap_or_else(|e| e.into_inner());
        match id {
            Some(id) => {
                if let Some(tx) = subs.get(id) {
                    tx.send_modify(|n| *n += 1);
                }
            }
            // lagged: every socket re-reads its session
            None => subs.values().for_each(|tx| tx.send_modify(|n| *n += 1)),
        }
    }

    /// Sessions followed on this node (for tests and metrics).
    pub fn followed(&self) -> usize {
        self.subs.lock().map(|s| s.len()).unwrap_or(0)
    }
}

async fn dispatch(st: AppState) {
    let mut rx = st.login.hub.subscribe();
    let mut closing = st.login.closing.subscribe();
    loop {
        tokio::select! {
            m = rx.recv() => match m {
                Ok(p) => if let Some(id) = p.strip_prefix(PREFIX) { st.uqudo.hub.bump(Some(id)) },
                Err(RecvError::Lagged(_)) => st.uqudo.hub.bump(None),
                Err(RecvError::Closed) => return,
            },
            _ = closing.changed() => return,
        }
    }
}

/// Tells the sockets following session `id`, on every node, that it changed.
pub async fn changed(st: &AppState, id: &str) {
    crate::app::login_runtime::publish(st, &format!("{PREFIX}{id}")).await;
}
