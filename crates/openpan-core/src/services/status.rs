//! What an enterprise's administrator sees on the console's status page: how many people and
//! bytes the enterprise holds against its quota, and how far behind each app's webhook is.
//! The server adds what only it knows (its version, uptime and the stores' health).

use crate::auth::Principal;
use crate::error::{Error, Result};
use crate::model::{Enterprise, Page};
use crate::services::Core;
use crate::services::webhook::WebhookView;

/// The enterprise's usage and its apps' webhooks.
#[derive(Debug, Clone)]
pub struct EnterpriseStatus {
    pub enterprise: Enterprise,
    pub user_count: i64,
    /// One per app (deleted apps and the console's own are not listed), by app id.
    pub webhooks: Vec<WebhookView>,
}

impl Core {
    /// `admin/enterprise/status`: the administered enterprise's usage and webhook queues.
    pub async fn enterprise_status(&self, principal: &Principal) -> Result<EnterpriseStatus> {
        let enterprise_id = principal.administered_enterprise()?;
        let enterprise = self
            .repo
            .find_enterprise(enterprise_id)
            .await?
            .ok_or_else(|| Error::internal("token of a vanished enterprise"))?;
        let (_, user_count) = self
            .list_users(
                principal,
                Page {
                    page_id: 0,
                    capacity: 1,
                },
            )
            .await?;
        let mut webhooks = Vec::new();
        for app in self.list_apps(principal, enterprise_id).await? {
            webhooks.push(self.webhook_info(principal, app.id).await?);
        }
        Ok(EnterpriseStatus {
            enterprise,
            user_count,
            webhooks,
        })
    }
}
