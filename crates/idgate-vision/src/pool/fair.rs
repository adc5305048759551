//! A blocking job queue shared fairly between tenants: one bounded FIFO per tenant, served
//! round-robin (a worker takes the next job of the tenant whose turn it is, then that tenant goes
//! to the back of the line). One tenant's burst therefore waits behind itself, never in front of
//! another tenant's request. Full (per tenant, or in all) is refused at once, never waited for.

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Why a job was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// This tenant already has its share waiting, or every tenant together has the total.
    Full,
    /// The queue was closed (the pool is stopping).
    Closed,
}

struct Inner<J> {
    queues: HashMap<String, VecDeque<J>>,
    /// Tenants with waiting jobs, in the order they get their next turn.
    turns: VecDeque<String>,
    waiting: usize,
    closed: bool,
}

pub struct FairQueue<J> {
    inner: Mutex<Inner<J>>,
    ready: Condvar,
    per_tenant: usize,
    total: usize,
}

impl<J> FairQueue<J> {
    /// At most `per_tenant` jobs of one tenant and `total` jobs in all may wait.
    pub fn new(per_tenant: usize, total: usize) -> Self {
        Self {
            inner: Mutex::new(Inner {
                queues: HashMap::new(),
                turns: VecDeque::new(),
                waiting: 0,
                closed: false,
            }),
            ready: Condvar::new(),
            per_tenant: per_tenant.max(1),
            total: total.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<J>> {
        // a job never runs under this lock, so a poisoned lock still holds consistent data
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues `job` behind the tenant's earlier jobs.
    pub fn push(&self, tenant: &str, job: J) -> Result<(), Refused> {
        let mut g = self.lock();
        if g.closed {
            return Err(Refused::Closed);
        }
        let mine = g.queues.get(tenant).map_or(0, VecDeque::len);
        if mine >= self.per_tenant || g.waiting >= self.total {
            return Err(Refused::Full);
        }
        if mine == 0 {
            g.turns.push_back(tenant.to_owned());
        }
        g.queues
            .entry(tenant.to_owned())
            .or_default()
            .push_back(job);
        g.waiting += 1;
        drop(g);
        self.ready.notify_one();
        Ok(())
    }

    /// The next job by round-robin over tenants; blocks while none waits. `None` once the queue
    /// is closed and drained.
    pub fn pop(&self) -> Option<J> {
        let mut g = self.lock();
        loop {
            if let Some(job) = take_next(&mut g) {
                return Some(job);
            }
            if g.closed {
                return None;
            }
            g = self.ready.wait(g).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Refuses new jobs; waiting ones are still handed out, then `pop` answers `None`.
    pub fn close(&self) {
        self.lock().closed = true;
        self.ready.notify_all();
    }

    /// Jobs waiting, in all.
    pub fn waiting(&self) -> usize {
        self.lock().waiting
    }
}

fn take_next<J>(g: &mut Inner<J>) -> Option<J> {
    let tenant = g.turns.pop_front()?;
    let queue = g.queues.get_mut(&tenant)?;
    let job = queue.pop_front();
    if queue.is_empty() {
        g.queues.remove(&tenant);
    } else {
        g.turns.push_back(tenant);
    }
    if job.is_some() {
        g.waiting -= 1;
    }
    job
}

#[cfg(test)]
mod tests {
    use super::*;

    fn drain(q: &FairQueue<&'static str>) -> Vec<&'static str> {
        q.close();
        std::iter::from_fn(|| q.pop()).collect()
    }

    #[test]
    fn tenants_take_turns_and_each_keeps_its_own_order() {
        let q = FairQueue::new(10, 100);
        for j in ["a1", "a2", "a3", "a4"] {
            q.push("a", j).unwrap();
        }
        q.push("b", "b1").unwrap();
        q.push("c", "c1").unwrap();
        q.push("b", "b2").unwrap();
        assert_eq!(drain(&q), ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]);
    }

    #[test]
    fn a_full_tenant_is_refused_without_touching_the_others() {
        let q = FairQueue::new(2, 100);
        q.push("a", "a1").unwrap();
        q.push("a", "a2").unwrap();
        assert_eq!(q.push("a", "a3"), Err(Refused::Full));
        q.push("b", "b1").unwrap();
        assert_eq!(q.waiting(), 3);
        assert_eq!(drain(&q), ["a1", "b1", "a2"]);
    }

    #[test]
    fn the_total_bounds_all_tenants_together() {
        let q = FairQueue::new(2, 3);
        q.push("a", "a1").unwrap();
        q.push("b", "b1").unwrap();
        q.push("c", "c1").unwrap();
        assert_eq!(q.push("d", "d1"), Err(Refused::Full));
        assert_eq!(q.pop(), Some("a1"));
        q.push("d", "d1").unwrap();
        assert_eq!(drain(&q), ["b1", "c1", "d1"]);
    }

    #[test]
    fn a_closed_queue_refuses_and_drains() {
        let q = FairQueue::new(2, 3);
        q.push("a", "a1").unwrap();
        q.close();
        assert_eq!(q.push("a", "a2"), Err(Refused::Closed));
        assert_eq!(q.pop(), Some("a1"));
        assert_eq!(q.pop(), None);
    }
}
