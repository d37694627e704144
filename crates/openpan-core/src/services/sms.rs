//! The `/api/v1` SMS module: sending a message (literal text or an enterprise template) to a
//! checked number, within per-number and per-app budgets, through the configured gateway or
//! into the outbox; the outbox listing and templates for administrators.

use std::collections::HashMap;
use std::sync::Arc;

use crate::auth::Principal;
use crate::error::{Error, FieldError, Result};
use crate::model::Page;
use crate::ratelimit::{Quota, RateLimiter};
use crate::services::Core;
use crate::sms::{
    OutgoingSms, SmsGateway, SmsMessage, SmsStatus, SmsTemplate, render_template, sms_phone, sms_text,
    template_content, template_name,
};

/// How messages leave: the gateway (none: the outbox), and the budgets.
#[derive(Clone)]
pub struct SmsSettings {
    pub gateway: Option<Arc<dyn SmsGateway>>,
    pub limiter: Arc<dyn RateLimiter>,
    /// Messages to one number from one enterprise.
    pub per_phone: Quota,
    /// Messages from one app (or, for the operator's tokens, one enterprise).
    pub per_app: Quota,
}

/// What a caller asks to send: `text`, or `template` with `params`.
#[derive(Debug, Clone, Default)]
pub struct SmsRequest {
    pub phone: String,
    pub text: Option<String>,
    pub template: Option<String>,
    pub params: HashMap<String, String>,
}

/// The name outbox messages record as their gateway.
const OUTBOX: &str = "outbox";

impl Core {
    /// Configures how messages leave; without it, sending answers "unavailable".
    pub fn with_sms(mut self, settings: SmsSettings) -> Self {
        self.sms = Some(Arc::new(settings));
        self
    }

    fn sms_settings(&self) -> Result<Arc<SmsSettings>> {
        self.sms
            .clone()
            .ok_or_else(|| Error::Unavailable("SMS is not configured".into()))
    }

    /// Takes one unit of `key`'s budget; refuses when it is spent or cannot be checked (a
    /// limiter outage must not turn into unmetered messages, which cost money and annoy).
    async fn charge_sms(&self, settings: &SmsSettings, key: &str, quota: Quota) -> Result<()> {
        match settings.limiter.check(key, quota).await {
            Ok(decision) if decision.allowed => Ok(()),
            Ok(decision) => Err(Error::RateLimited {
                retry_after_secs: decision.retry_after_secs.max(1),
            }),
            Err(err) => Err(Error::Unavailable(format!("SMS rate limiter: {err}").into())),
        }
    }

    /// `sms/send`: checks the number and the text (or renders the template), charges the
    /// budgets, records the message and hands it to the gateway, recording its answer.
    pub async fn send_sms(&self, principal: &Principal, request: SmsRequest) -> Result<SmsMessage> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let settings = self.sms_settings()?;
        let mut errors: Vec<FieldError> = Vec::new();
        let phone = sms_phone(&request.phone).map_err(|e| errors.push(e)).ok();
        let (content, template) = match (request.text.as_deref(), request.template.as_deref()) {
            (Some(_), Some(_)) => {
                errors.push(FieldError::new("text", "text和template只能给一个"));
                (None, None)
            }
            (None, None) => {
                errors.push(FieldError::new("text", "text和template须给一个"));
                (None, None)
            }
            (Some(text), None) => (sms_text("text", text).map_err(|e| errors.push(e)).ok(), None),
            (None, Some(name)) => match template_name(name) {
                Err(error) => {
                    errors.push(error);
                    (None, None)
                }
                Ok(name) => match self.repo.find_sms_template(enterprise_id, &name).await? {
                    None => {
                        errors.push(FieldError::new("template", "模板不存在"));
                        (None, None)
                    }
                    Some(found) => match render_template(&found.content, &request.params) {
                        Ok(rendered) => (
                            sms_text("params", &rendered).map_err(|e| errors.push(e)).ok(),
                            Some(name),
                        ),
                        Err(Error::Invalid(missing)) => {
                            errors.extend(missing);
                            (None, None)
                        }
                        Err(other) => return Err(other),
                    },
                },
            },
        };
        let (Some(phone), Some(content)) = (phone, content) else {
            return Err(Error::Invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::Invalid(errors));
        }
        let sender = match principal.app_id() {
            Some(app) => format!("app:{}", app.0),
            None => format!("enterprise:{}", enterprise_id.0),
        };
        // The number's budget first, so a message it refuses does not use up the app's; kept
        // per enterprise, so one enterprise cannot silence a number for another.
        self.charge_sms(
            &settings,
            &format!("sms:phone:{}:{phone}", enterprise_id.0),
            settings.per_phone,
        )
        .await?;
        self.charge_sms(&settings, &format!("sms:{sender}"), settings.per_app)
            .await?;
        let gateway = settings.gateway.clone();
        let mut message = SmsMessage {
            id: 0,
            enterprise_id,
            app_id: principal.app_id(),
            user_id: principal.user_id(),
            phone,
            content,
            template,
            status: SmsStatus::Outbox,
            gateway: gateway.as_ref().map_or(OUTBOX, |gateway| gateway.name()).to_owned(),
            gateway_ref: None,
            error: None,
            created_at: self.clock.now(),
            sent_at: None,
        };
        // Recorded before it leaves, so a message the gateway took is never unrecorded.
        message.id = self.repo.create_sms_message(&message).await?;
        let Some(gateway) = gateway else {
            return Ok(message);
        };
        let outgoing = OutgoingSms {
            message_id: message.id,
            enterprise_id,
            phone: message.phone.clone(),
            text: message.content.clone(),
        };
        match gateway.deliver(&outgoing).await {
            Ok(gateway_ref) => {
                message.status = SmsStatus::Sent;
                message.gateway_ref = gateway_ref;
                message.sent_at = Some(self.clock.now());
            }
            Err(reason) => {
                tracing::warn!(message_id = message.id, %reason, "SMS gateway refused a message");
                message.status = SmsStatus::Failed;
                message.error = Some(reason);
            }
        }
        self.repo
            .finish_sms_message(
                message.id,
                message.status,
                message.gateway_ref.as_deref(),
                message.error.as_deref(),
                message.sent_at,
            )
            .await?;
        Ok(message)
    }

    /// `sms/list` (administrators): the enterprise's messages, newest first.
    pub async fn list_sms(&self, principal: &Principal, page: Page) -> Result<(Vec<SmsMessage>, i64)> {
        let enterprise_id = self.administered(principal).await?;
        Ok(self.repo.list_sms_messages(enterprise_id, page).await?)
    }

    /// `sms/get`: one message, for administrators, the app's own enterprise token, and the
    /// user whose token sent it (another user of the same app may not read it).
    pub async fn sms_message(&self, principal: &Principal, id: i64) -> Result<SmsMessage> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        let found = self.repo.find_sms_message(id).await?;
        let found = found.filter(|message| message.enterprise_id == enterprise_id);
        let Some(message) = found else {
            return Err(Error::invalid("message_id", "短信不存在"));
        };
        let same_app = message.app_id.is_some() && message.app_id == principal.app_id();
        let own = match principal.user_id() {
            Some(user) => message.user_id == Some(user),
            // The app's enterprise token: the app itself.
            None => true,
        };
        if same_app && own || self.administers(principal).await? {
            Ok(message)
        } else {
            Err(Error::PermissionDenied)
        }
    }

    /// `sms/create_template` (administrators).
    pub async fn create_sms_template(&self, principal: &Principal, name: &str, content: &str) -> Result<SmsTemplate> {
        let enterprise_id = self.administered(principal).await?;
        let name = template_name(name);
        let content = template_content(content);
        let (name, content) = match (name, content) {
            (Ok(name), Ok(content)) => (name, content),
            (name, content) => {
                return Err(Error::Invalid(
                    [name.err(), content.err()].into_iter().flatten().collect(),
                ));
            }
        };
        let template = SmsTemplate {
            enterprise_id,
            name,
            content,
            created_at: self.clock.now(),
        };
        self.repo.create_sms_template(&template).await?;
        Ok(template)
    }

    /// `sms/list_templates`: every member of the enterprise may see what can be sent.
    pub async fn list_sms_templates(&self, principal: &Principal) -> Result<Vec<SmsTemplate>> {
        let enterprise_id = Self::caller_enterprise(principal)?;
        Ok(self.repo.list_sms_templates(enterprise_id).await?)
    }

    /// `sms/delete_template` (administrators).
    pub async fn delete_sms_template(&self, principal: &Principal, name: &str) -> Result<()> {
        let enterprise_id = self.administered(principal).await?;
        let name = template_name(name).map_err(|error| Error::Invalid(vec![error]))?;
        if self.repo.delete_sms_template(enterprise_id, &name).await? {
            Ok(())
        } else {
            Err(Error::invalid("template", "模板不存在"))
        }
    }
}
