//! The use cases. Every public function takes the calling [`Principal`](crate::auth::Principal)
//! first (or credentials to turn into one) and enforces its permission rules itself, so HTTP,
//! the admin CLI and the console all get the same policy.

mod admin;
mod folders;
mod users;

use std::sync::Arc;

use crate::cache::AuthCache;
use crate::clock::Clock;
use crate::ports::Repo;
use crate::secrets::SecretKey;

pub use admin::{CreateApp, CreateEnterprise, CreateUser, CreatedApp, CreatedEnterprise};
pub use folders::FolderInfo;
pub use users::{IdentifierType, UserLookup};

/// The domain services over their ports.
#[derive(Clone)]
pub struct Core {
    pub(crate) repo: Arc<dyn Repo>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) key: SecretKey,
    pub(crate) cache: Arc<AuthCache>,
}

impl Core {
    pub fn new(repo: Arc<dyn Repo>, clock: Arc<dyn Clock>, key: SecretKey) -> Self {
        Self {
            repo,
            clock,
            key,
            cache: Arc::new(AuthCache::new()),
        }
    }

    /// Reads the revocation epoch and drops cached token checks if it moved. The binary calls
    /// this on a timer; until it is called once, nothing is cached.
    pub async fn sync_revocations(&self) -> crate::Result<()> {
        let epoch = self.repo.revocation_epoch().await?;
        self.cache.observe_epoch(epoch);
        Ok(())
    }

    /// After a revocation made here: drop what this node cached at once (when caching is on).
    async fn after_revocation(&self) -> crate::Result<()> {
        if self.cache.epoch().is_some() {
            self.sync_revocations().await?;
        }
        Ok(())
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
