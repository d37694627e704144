//! A node-local memory of token checks, the user records they lead to, apps by client id and
//! enterprises (with their plan's end),
//! so the hot paths (every API call, every token grant) need no database read.
//!
//! It is only trusted while the database's revocation epoch (bumped in the same transaction as
//! every revocation) is the one it was filled under. The binary polls the epoch (every 100 ms by
//! default) and [`Core`](crate::services::Core) re-reads it right after revoking anything itself.
//! Until the first poll, nothing is cached.
//!
//! Each node reports the epoch it serves from (`node_epoch`, when it changes and every
//! second), and whatever revoked something (a node, the admin CLI) waits until every node heard
//! from lately has caught up before answering, so behind a load balancer a revocation is in
//! force on every node by the time its answer arrives. A node trusts its entries only for a
//! while after its last report, so one that stopped reporting caches nothing.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::ids::{EnterpriseId, TokenId, UserId};
use crate::model::{App, Enterprise, TokenRecord, UserWithEnterprise};

/// Beyond this many entries the cache starts over rather than growing without bound.
const MAX_ENTRIES: usize = 100_000;

/// How often a node says which epoch it serves from even when it did not change.
const REPORT_EVERY: Duration = Duration::from_secs(1);
/// A node not heard from for this long is not waited for: it stopped, or (failing to read or
/// report the epoch for a second) suspended its cache.
pub(crate) const NODE_LIVE_SECS: i64 = 4;
/// How long a revoking node waits for the others before answering anyway.
pub(crate) const PEER_PATIENCE: Duration = Duration::from_secs(2);
/// How long after its last report a node trusts its cache. A node that could not report for
/// this long (a stalled database, a paused process) reads everything afresh until it reports
/// again; it is shorter than `NODE_LIVE_SECS`, so a node others stopped waiting for has
/// already stopped trusting its cache.
const TRUST_AFTER_REPORT: Duration = Duration::from_millis(2500);

#[derive(Default)]
struct State {
    /// `None` until the epoch has been read once; nothing is cached then.
    epoch: Option<i64>,
    /// The epoch last reported, and when; entries are used for `TRUST_AFTER_REPORT` after.
    reported: Option<(i64, Instant)>,
    tokens: HashMap<TokenId, TokenRecord>,
    users: HashMap<UserId, UserWithEnterprise>,
    apps: HashMap<String, App>,
    enterprises: HashMap<EnterpriseId, Enterprise>,
}

pub struct AuthCache {
    state: RwLock<State>,
    /// This node's name in `node_epoch`, new at every start.
    node: String,
}

impl Default for AuthCache {
    fn default() -> Self {
        Self {
            state: RwLock::default(),
            node: crate::secrets::random_hex(8),
        }
    }
}

impl AuthCache {
    pub fn new() -> Self {
        Self::default()
    }

    pub(crate) fn node(&self) -> &str {
        &self.node
    }

    /// Whether `epoch` should be reported now: it is news, or the last report is getting old.
    pub(crate) fn report_due(&self, epoch: i64) -> bool {
        let reported = self.state.read().ok().and_then(|state| state.reported);
        !matches!(reported, Some((seq, at)) if seq == epoch && at.elapsed() < REPORT_EVERY)
    }

    pub(crate) fn reported(&self, epoch: i64) {
        if let Ok(mut state) = self.state.write() {
            state.reported = Some((epoch, Instant::now()));
        }
    }

    /// The epoch entries are valid under, to pass back to `remember_*` after a database read;
    /// `None` while the cache is not trusted.
    pub(crate) fn epoch(&self) -> Option<i64> {
        self.state.read().ok().and_then(|state| state.trusted())
    }

    /// The stored token with this id; the caller still checks the secret and the expiry.
    pub(crate) fn token(&self, token_id: TokenId) -> Option<TokenRecord> {
        let state = self.state.read().ok()?;
        state.trusted()?;
        state.tokens.get(&token_id).cloned()
    }

    pub(crate) fn user(&self, user_id: UserId) -> Option<UserWithEnterprise> {
        let state = self.state.read().ok()?;
        state.trusted()?;
        state.users.get(&user_id).cloned()
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<App> {
        let state = self.state.read().ok()?;
        state.trusted()?;
        state.apps.get(client_id).cloned()
    }

    pub(crate) fn enterprise(&self, enterprise_id: EnterpriseId) -> Option<Enterprise> {
        let state = self.state.read().ok()?;
        state.trusted()?;
        state.enterprises.get(&enterprise_id).cloned()
    }

    pub(crate) fn remember_enterprise(&self, read_under: Option<i64>, enterprise: Enterprise) {
        self.remember(read_under, |state| {
            state.enterprises.insert(enterprise.id, enterprise);
        });
    }

    pub(crate) fn remember_app(&self, read_under: Option<i64>, app: App) {
        self.remember(read_under, |state| {
            state.apps.insert(app.client_id.clone(), app);
        });
    }

    /// Stores what a database read found, unless the epoch moved since `read_under` was taken
    /// (the read may predate a revocation).
    pub(crate) fn remember_token(&self, read_under: Option<i64>, record: TokenRecord) {
        self.remember(read_under, |state| {
            state.tokens.insert(record.token_id, record);
        });
    }

    pub(crate) fn remember_user(&self, read_under: Option<i64>, user: UserWithEnterprise) {
        self.remember(read_under, |state| {
            state.users.insert(user.user.id, user);
        });
    }

    fn remember(&self, read_under: Option<i64>, insert: impl FnOnce(&mut State)) {
        let Ok(mut state) = self.state.write() else { return };
        if read_under.is_none() || state.trusted() != read_under {
            return;
        }
        if state.tokens.len() + state.users.len() + state.apps.len() + state.enterprises.len() >= MAX_ENTRIES {
            state.clear();
        }
        insert(&mut state);
    }

    /// Records the database's current epoch; a change drops everything. Epochs only grow, so
    /// an older reading (a poll that started before a revocation made here) is ignored.
    pub(crate) fn observe_epoch(&self, epoch: i64) {
        let Ok(mut state) = self.state.write() else { return };
        if state.epoch.is_none_or(|current| epoch > current) {
            state.epoch = Some(epoch);
            state.clear();
        }
    }

    /// Forgets everything and caches nothing until the epoch is read again: used when reading
    /// it failed, so a node that cannot see revocations stops trusting its cache.
    pub fn suspend(&self) {
        if let Ok(mut state) = self.state.write() {
            state.epoch = None;
            state.reported = None;
            state.clear();
        }
    }
}

impl State {
    /// The epoch, while entries may be used.
    fn trusted(&self) -> Option<i64> {
        self.epoch
            .filter(|_| self.reported.is_some_and(|(_, at)| at.elapsed() < TRUST_AFTER_REPORT))
    }

    fn clear(&mut self) {
        self.tokens.clear();
        self.users.clear();
        self.apps.clear();
        self.enterprises.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AppId, EnterpriseId};
    use crate::model::Subject;

    fn record() -> TokenRecord {
        TokenRecord {
            token_id: TokenId(7),
            app_id: AppId(1),
            subject: Subject::Enterprise(EnterpriseId(1)),
            access_hash: vec![1],
            refresh_hash: None,
            access_expires_at: 10,
            refresh_expires_at: 10,
            scopes: crate::scope::Scopes::enterprise_default(),
            root: None,
            acting: None,
            family: TokenId(7),
        }
    }

    #[test]
    fn nothing_is_cached_before_the_epoch_is_known() {
        let cache = AuthCache::new();
        cache.remember_token(cache.epoch(), record());
        assert!(cache.token(TokenId(7)).is_none());
    }

    #[test]
    fn a_new_epoch_drops_entries_and_refuses_reads_made_under_the_old_one() {
        let cache = AuthCache::new();
        cache.observe_epoch(1);
        cache.reported(1);
        let read_under = cache.epoch();
        cache.remember_token(read_under, record());
        assert!(cache.token(TokenId(7)).is_some());
        let stale_read = cache.epoch();
        cache.observe_epoch(2);
        cache.reported(2);
        assert!(cache.token(TokenId(7)).is_none());
        cache.remember_token(stale_read, record());
        assert!(
            cache.token(TokenId(7)).is_none(),
            "a read made before the revocation is not cached"
        );
    }

    #[test]
    fn entries_are_used_only_while_the_node_has_reported_lately() {
        let cache = AuthCache::new();
        cache.observe_epoch(1);
        assert!(cache.epoch().is_none(), "not before the first report");
        cache.reported(1);
        cache.remember_token(cache.epoch(), record());
        assert!(cache.token(TokenId(7)).is_some());
        // A report that lapsed: as if the node had stalled past its trust.
        if let Ok(mut state) = cache.state.write() {
            state.reported = Some((1, Instant::now() - TRUST_AFTER_REPORT));
        }
        assert!(cache.token(TokenId(7)).is_none());
        assert!(cache.epoch().is_none());
    }
}
