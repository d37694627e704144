//! The use cases. Every public function takes the calling [`Principal`](crate::auth::Principal)
//! first (or credentials to turn into one) and enforces its permission rules itself, so HTTP,
//! the admin CLI and the console all get the same policy.

mod admin;
mod folders;
mod users;

use std::sync::Arc;

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
}

impl Core {
    pub fn new(repo: Arc<dyn Repo>, clock: Arc<dyn Clock>, key: SecretKey) -> Self {
        Self { repo, clock, key }
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }
}
