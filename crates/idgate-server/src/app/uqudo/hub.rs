//! Which web sockets follow which session, on this node. A session saved on this node bumps
//! its watch at once, with the commit instant and the row as committed (so its sockets need no
//! database read, which would queue behind a burst of requests); other nodes hear of it
//! through PostgreSQL
//! `NOTIFY idgate_login` (payload `session:<id>:<commit ms>:<node>`), which one dispatcher task
//! per node forwards from the login hub, skipping its own node's echoes. Only the sockets of
//! that session wake (10,000 idle sockets cost nothing when another session changes).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use idgate_store::SessionRow;

use rand::RngCore;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::watch;

use crate::app::login_runtime::CHANNEL;
use crate::state::AppState;

/// Prefix of a session change on the login hub (login ids never carry it).
pub const PREFIX: &str = "session:";

/// What a socket's watch holds: how many changes it was told of, the commit instant (unix ms)
/// of the latest one (0 when unknown: after a lagged hub every socket re-reads), and the
/// session as this node last committed it.
#[derive(Debug, Clone, Default)]
pub struct Change {
    pub seq: u64,
    pub at: i64,
    /// The newest row this node committed, `None` when a change came without one.
    pub row: Option<Arc<SessionRow>>,
    /// `seq` of the latest change without a row (another node's, a deletion, a lag): a socket
    /// that has not seen it must read the database.
    pub bare: u64,
}

impl Change {
    /// The committed row to use instead of a database read, for a socket that last handled
    /// change `seen`.
    pub fn row_after(&self, seen: u64) -> Option<&SessionRow> {
        self.row.as_deref().filter(|_| self.bare <= seen)
    }
}

pub struct Hub {
    subs: Mutex<HashMap<String, watch::Sender<Change>>>,
    started: OnceLock<()>,
    /// This node's tag in `NOTIFY` payloads (random per process).
    node: String,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            subs: Mutex::default(),
            started: OnceLock::new(),
            node: format!("{:016x}", rand::rngs::OsRng.next_u64()),
        }
    }
}

/// A socket's subscription to one session; unsubscribes when dropped.
pub struct Subscription<'a> {
    hub: &'a Hub,
    id: String,
    pub rx: watch::Receiver<Change>,
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
            .or_insert_with(|| watch::channel(Change::default()).0)
            .subscribe();
        Subscription {
            hub: self,
            id: id.to_owned(),
            rx,
        }
    }

    /// Wakes the sockets of session `id` (of every session when `None`), with the row as
    /// committed when known. A row older (`updated_at`) than the one held is ignored; on a tie
    /// the later call wins (saves of one session are committed one after another, and a
    /// request saves, then bumps; were two concurrent requests to commit in one millisecond
    /// and bump in reverse order, the sockets would see the newest state at their next
    /// periodic re-read).
    fn bump(&self, id: Option<&str>, at: i64, row: Option<&SessionRow>) {
        let subs = self.subs.lock().unwrap_or_else(|e| e.into_inner());
        let tell = |tx: &watch::Sender<Change>| {
            tx.send_modify(|c| {
                c.seq += 1;
                c.at = at;
                let held = c.row.as_ref().map(|r| r.updated_at);
                match row {
                    Some(r) if held.is_some_and(|h| r.updated_at < h) => {}
                    Some(r) => c.row = Some(Arc::new(r.clone())),
                    None => {
                        c.row = None;
                        c.bare = c.seq;
                    }
                }
            })
        };
        match id {
            Some(id) => subs.get(id).into_iter().for_each(tell),
            None => subs.values().for_each(tell),
        }
    }

    /// Applies a hub message from another node (`session:<id>:<at>:<node>`); others are ignored.
    fn remote(&self, msg: &str) {
        let Some(rest) = msg.strip_prefix(PREFIX) else {
            return;
        };
        let mut parts = rest.rsplitn(3, ':');
        let (Some(node), Some(at), Some(id)) = (parts.next(), parts.next(), parts.next()) else {
            return;
        };
        if node != self.node {
            self.bump(Some(id), at.parse().unwrap_or(0), None);
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
                Ok(p) => st.uqudo.hub.remote(&p),
                // lagged: every socket re-reads its session
                Err(RecvError::Lagged(_)) => st.uqudo.hub.bump(None, 0, None),
                Err(RecvError::Closed) => return,
            },
            _ = closing.changed() => return,
        }
    }
}

/// Tells the sockets following session `id` that it changed (just committed, as `row` when
/// given): this node's at once, other nodes' by `NOTIFY` (on PostgreSQL).
pub async fn changed(st: &AppState, id: &str, row: Option<&SessionRow>) {
    let at = st.now();
    let hub = &st.uqudo.hub;
    hub.bump(Some(id), at, row);
    let msg = format!("{PREFIX}{id}:{at}:{}", hub.node);
    if let Err(e) = st.store.notify(CHANNEL, &msg).await {
        tracing::warn!(error = %e, "NOTIFY failed; other nodes' sockets see the change at their next re-read");
    }
}
