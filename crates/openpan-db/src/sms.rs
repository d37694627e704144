//! `SmsRepo`: the SMS module's templates and the record of every message sent.

use async_trait::async_trait;

use openpan_core::RepoError;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{AppId, EnterpriseId, UserId};
use openpan_core::model::Page;
use openpan_core::ports::{RepoResult, SmsRepo};
use openpan_core::sms::{SmsMessage, SmsStatus, SmsTemplate};

use crate::errors::{classify, other};
use crate::pool::{SqlRepo, exec, fetch, on_pool, scalar};

#[derive(sqlx::FromRow)]
struct TemplateRow {
    enterprise_id: i64,
    name: String,
    content: String,
    created_at: i64,
}

impl From<TemplateRow> for SmsTemplate {
    fn from(row: TemplateRow) -> Self {
        Self {
            enterprise_id: EnterpriseId(row.enterprise_id),
            name: row.name,
            content: row.content,
            created_at: row.created_at,
        }
    }
}

#[derive(sqlx::FromRow)]
struct MessageRow {
    message_id: i64,
    enterprise_id: i64,
    app_id: Option<i64>,
    user_id: Option<i64>,
    phone: String,
    content: String,
    template_name: Option<String>,
    status: String,
    gateway: String,
    gateway_ref: Option<String>,
    error: Option<String>,
    created_at: i64,
    sent_at: Option<i64>,
}

impl TryFrom<MessageRow> for SmsMessage {
    type Error = RepoError;

    fn try_from(row: MessageRow) -> Result<Self, RepoError> {
        let status = SmsStatus::parse(&row.status).ok_or_else(|| {
            RepoError::Other(format!("message {} has status {:?}", row.message_id, row.status).into())
        })?;
        Ok(Self {
            id: row.message_id,
            enterprise_id: EnterpriseId(row.enterprise_id),
            app_id: row.app_id.map(AppId),
            user_id: row.user_id.map(UserId),
            phone: row.phone,
            content: row.content,
            template: row.template_name,
            status,
            gateway: row.gateway,
            gateway_ref: row.gateway_ref,
            error: row.error,
            created_at: row.created_at,
            sent_at: row.sent_at,
        })
    }
}

const MESSAGE_COLUMNS: &str = "message_id, enterprise_id, app_id, user_id, phone, content, template_name, status, \
     gateway, gateway_ref, error, created_at, sent_at";

#[async_trait]
impl SmsRepo for SqlRepo {
    async fn create_sms_template(&self, template: &SmsTemplate) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "insert into sms_template (enterprise_id, name, content, created_at) values (?, ?, ?, ?)",
                template.enterprise_id.0,
                &template.name,
                &template.content,
                template.created_at
            )
            .map_err(|err| classify(err, Some(ConflictKind::SmsTemplate)))?;
            Ok(())
        })
    }

    async fn list_sms_templates(&self, enterprise: EnterpriseId) -> RepoResult<Vec<SmsTemplate>> {
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(
                all TemplateRow,
                pool,
                builder,
                "select enterprise_id, name, content, created_at from sms_template where enterprise_id = ? order by name",
                enterprise.0
            )
            .map_err(other)?;
            Ok(rows.into_iter().map(SmsTemplate::from).collect())
        })
    }

    async fn find_sms_template(&self, enterprise: EnterpriseId, name: &str) -> RepoResult<Option<SmsTemplate>> {
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(
                optional TemplateRow,
                pool,
                builder,
                "select enterprise_id, name, content, created_at from sms_template where enterprise_id = ? and name = ?",
                enterprise.0,
                name
            )
            .map_err(other)?;
            Ok(row.map(SmsTemplate::from))
        })
    }

    async fn delete_sms_template(&self, enterprise: EnterpriseId, name: &str) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let deleted = exec!(
                pool,
                builder,
                "delete from sms_template where enterprise_id = ? and name = ?",
                enterprise.0,
                name
            )
            .map_err(other)?;
            Ok(deleted.rows_affected() > 0)
        })
    }

    async fn create_sms_message(&self, message: &SmsMessage) -> RepoResult<i64> {
        on_pool!(self, write, |pool, builder| {
            scalar!(
                i64,
                pool,
                builder,
                "insert into sms_message (enterprise_id, app_id, user_id, phone, content, template_name, status, \
                 gateway, gateway_ref, error, created_at, sent_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 returning message_id",
                message.enterprise_id.0,
                message.app_id.map(|id| id.0),
                message.user_id.map(|id| id.0),
                &message.phone,
                &message.content,
                message.template.as_deref(),
                message.status.as_str(),
                &message.gateway,
                message.gateway_ref.as_deref(),
                message.error.as_deref(),
                message.created_at,
                message.sent_at
            )
            .map_err(other)
        })
    }

    async fn finish_sms_message(
        &self,
        id: i64,
        status: SmsStatus,
        gateway_ref: Option<&str>,
        error: Option<&str>,
        sent_at: Option<i64>,
    ) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            exec!(
                pool,
                builder,
                "update sms_message set status = ?, gateway_ref = ?, error = ?, sent_at = ? where message_id = ?",
                status.as_str(),
                gateway_ref,
                error,
                sent_at,
                id
            )
            .map_err(other)?;
            Ok(())
        })
    }

    async fn list_sms_messages(&self, enterprise: EnterpriseId, page: Page) -> RepoResult<(Vec<SmsMessage>, i64)> {
        let list = format!(
            "select {MESSAGE_COLUMNS} from sms_message where enterprise_id = ? order by message_id desc limit ? offset ?"
        );
        on_pool!(self, read, |pool, builder| {
            let rows = fetch!(all MessageRow, pool, builder, &list, enterprise.0, page.capacity, page.offset())
                .map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from sms_message where enterprise_id = ?",
                enterprise.0
            )
            .map_err(other)?;
            let messages = rows
                .into_iter()
                .map(SmsMessage::try_from)
                .collect::<RepoResult<Vec<_>>>()?;
            Ok((messages, total))
        })
    }

    async fn find_sms_message(&self, id: i64) -> RepoResult<Option<SmsMessage>> {
        let select = format!("select {MESSAGE_COLUMNS} from sms_message where message_id = ?");
        on_pool!(self, read, |pool, builder| {
            let row = fetch!(optional MessageRow, pool, builder, &select, id).map_err(other)?;
            row.map(SmsMessage::try_from).transpose()
        })
    }
}
