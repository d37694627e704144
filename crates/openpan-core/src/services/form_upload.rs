//! The browser form upload of `/api/v1/file`: an app obtains an upload token for one of its
//! users and a folder, hands it to a browser, and the browser posts a multipart form with it
//! straight to openpan. The file then goes through the same upload path as an upload URL's
//! (checks, quota, crash safety, audit); the token is single-use, and the app hears of the
//! outcome through the browser's signed redirect and/or a signed `file.uploaded` notice.

use crate::auth::{Principal, PrincipalKind};
use crate::blob::ByteStream;
use crate::drive::ItemKind;
use crate::error::{Error, NotFoundKind, Result};
use crate::ids::{AppId, ItemId};
use crate::model::{AppStatus, check_http_url};
use crate::notice::signed_params;
use crate::ports::{FormUpload, FormUploadStatus, NameClash};
use crate::secrets::random_hex;
use crate::services::Core;
use crate::services::drive::{ItemDetail, Reached, item_name};
use crate::services::transfer::{UPLOAD_URL_TTL_SECS, UploadRequest, UploadTarget};

/// How long an upload token works when the app does not say.
pub const DEFAULT_FORM_UPLOAD_SECS: i64 = 3600;
/// The range an app may choose from.
pub const FORM_UPLOAD_SECS: std::ops::RangeInclusive<i64> = 60..=86_400;
/// The longest `state` an app may attach.
const MAX_STATE_CHARS: usize = 512;
/// How long the upload session made for an arriving form lives: as an upload URL's, since the
/// collector measures abandoned sessions from their expiry and a large file takes a while.
const INNER_UPLOAD_SECS: i64 = UPLOAD_URL_TTL_SECS;

/// What an app asks for in `file/upload_token`.
#[derive(Debug, Clone)]
pub struct FormUploadRequest {
    /// 0: the user's personal root.
    pub folder_id: ItemId,
    pub redirect: Option<String>,
    pub notify: bool,
    pub state: Option<String>,
    pub on_conflict: NameClash,
    pub expires_in: Option<i64>,
}

/// An issued upload token.
#[derive(Debug, Clone)]
pub struct FormUploadTicket {
    pub token: String,
    /// The folder's own id (also when 0 was asked).
    pub folder_id: ItemId,
    pub expires_at: i64,
}

impl Core {
    /// `file/upload_token`: for a user's token; the folder must take uploads from them now (it
    /// is checked again when the file arrives).
    pub async fn issue_form_upload(
        &self,
        principal: &Principal,
        request: FormUploadRequest,
    ) -> Result<FormUploadTicket> {
        let PrincipalKind::User {
            enterprise_id,
            user_id,
            app_id,
        } = principal.kind()
        else {
            return Err(Error::invalid("access_token", "需要用户令牌：文件上传到用户的空间"));
        };
        let ttl = request.expires_in.unwrap_or(DEFAULT_FORM_UPLOAD_SECS);
        if !FORM_UPLOAD_SECS.contains(&ttl) {
            return Err(Error::invalid("expires_in", "必须在60到86400秒之间"));
        }
        if let Some(url) = &request.redirect {
            check_http_url("redirect", url).map_err(|error| Error::Invalid(vec![error]))?;
        }
        if let Some(state) = &request.state
            && (state.chars().count() > MAX_STATE_CHARS || state.chars().any(char::is_control))
        {
            return Err(Error::invalid("state", "不能超过512个字符，不能有控制字符"));
        }
        if request.notify {
            let app = self.repo.find_app(app_id).await?;
            if app.is_none_or(|app| app.callback_url.is_none()) {
                return Err(Error::invalid(
                    "callback",
                    "应用未设置回调地址（account/update_auth_config）",
                ));
            }
        }
        let Reached { item: folder, .. } = self.target_folder(principal, request.folder_id).await?;
        let now = self.clock.now();
        let token = random_hex(32);
        self.repo
            .create_form_upload(&FormUpload {
                token_hash: self.key.hash(&token),
                enterprise_id,
                user_id,
                app_id,
                // The folder itself, not 0: the token names one place even if the root changes.
                folder_id: folder.id,
                redirect_url: request.redirect,
                notify: request.notify,
                state: request.state,
                on_conflict: request.on_conflict,
                status: FormUploadStatus::Open,
                file_id: None,
                expires_at: now + ttl,
                created_at: now,
            })
            .await?;
        Ok(FormUploadTicket {
            token,
            folder_id: folder.id,
            expires_at: now + ttl,
        })
    }

    /// The unexpired, unused upload token `token` names.
    pub async fn open_form_upload(&self, token: &str) -> Result<FormUpload> {
        let found = self.repo.find_form_upload(&self.key.hash(token)).await?;
        found
            .filter(|form| form.status == FormUploadStatus::Open && form.expires_at > self.clock.now())
            .ok_or(Error::not_found(NotFoundKind::Link))
    }

    /// A browser's file for `form`: stores it as `file_name` (its path dropped) and uses the
    /// token up. When nothing was stored (a refusal, a broken transfer, the browser going
    /// away) the token can be tried again until it expires.
    pub async fn receive_form_upload(
        &self,
        form: &FormUpload,
        file_name: &str,
        body: ByteStream,
    ) -> Result<ItemDetail> {
        if !self.repo.claim_form_upload(&form.token_hash, self.clock.now()).await? {
            return Err(Error::not_found(NotFoundKind::Link));
        }
        // Settles the claim if this future is dropped midway (the browser disconnected).
        let mut claim = FormClaim {
            core: self.clone(),
            token_hash: form.token_hash.clone(),
            inner: None,
            settled: false,
        };
        let received = self.store_form_file(form, file_name, body, &mut claim.inner).await;
        claim.settled = true;
        let detail = match received {
            Ok(detail) => detail,
            Err(err) => {
                self.settle_failed_claim(&form.token_hash, claim.inner.as_deref()).await;
                return Err(err);
            }
        };
        let file = &detail.view.item;
        // The file is in: failing to mark the token spent leaves it claimed (unusable), which
        // is safe; the browser is still told of its file.
        if let Err(err) = self.repo.finish_form_upload(&form.token_hash, Some(file.id)).await {
            tracing::error!(error = ?err, file = file.id.0, "could not mark an upload token used");
        }
        if form.notify {
            let data = serde_json::json!({
                "file": {
                    "id": file.id.0,
                    "name": file.name,
                    "size": file.size,
                    "sha1": file.sha1,
                    "parent_id": file.parent_id.map(|id| id.0),
                    "created_at": file.created_at,
                    "modified_at": file.modified_at,
                },
                "user_id": form.user_id.0,
                "state": form.state,
            });
            // A notice that cannot be recorded is logged, not a failed upload.
            if let Err(err) = self
                .queue_notice(form.enterprise_id, form.app_id, "file.uploaded", data)
                .await
            {
                tracing::error!(error = ?err, file = file.id.0, "could not record a file.uploaded notice");
            }
        }
        Ok(detail)
    }

    /// After a failed or abandoned transfer: the token is spent if its file was committed after
    /// all (a failure after the commit), else handed back.
    async fn settle_failed_claim(&self, token_hash: &[u8], inner: Option<&str>) {
        let committed = match inner {
            Some(upload_id) => match self.repo.find_upload_session(upload_id).await {
                Ok(session) => session.is_some_and(|session| session.committed),
                // Unknown: count it as committed and spend the token rather than risk a second
                // file on it.
                Err(_) => true,
            },
            None => false,
        };
        let settled = if committed {
            self.repo.finish_form_upload(token_hash, None).await
        } else {
            self.repo.release_form_upload(token_hash).await
        };
        if let Err(err) = settled {
            tracing::warn!(error = ?err, "could not settle an upload token after a failed transfer");
        }
    }

    async fn store_form_file(
        &self,
        form: &FormUpload,
        file_name: &str,
        body: ByteStream,
        inner: &mut Option<String>,
    ) -> Result<ItemDetail> {
        // A token dies with its app: disabled or deleted apps' tokens are refused.
        let app = self.repo.find_app(form.app_id).await?;
        if !app.is_some_and(|app| app.status == AppStatus::Active) {
            return Err(Error::not_found(NotFoundKind::Link));
        }
        let principal = Principal::new(PrincipalKind::User {
            enterprise_id: form.enterprise_id,
            user_id: form.user_id,
            app_id: form.app_id,
        });
        // Browsers may send a whole client path (`C:\fakepath\a.txt`); the last part is the name.
        let base = file_name.rsplit(['/', '\\']).next().unwrap_or_default();
        let mut name = item_name("file", base)?;
        let mut is_covered = false;
        match form.on_conflict {
            NameClash::Fail => {}
            NameClash::Overwrite => is_covered = true,
            NameClash::Rename => {
                let Reached { item: folder, .. } = self.target_folder(&principal, form.folder_id).await?;
                name = self.free_name(folder.id, &name, ItemKind::File).await?;
            }
        }
        let request = UploadRequest {
            target: UploadTarget::Folder(form.folder_id),
            name: Some(name.into_inner()),
            is_covered,
            declared_size: None,
            remark: None,
            sha1: None,
        };
        let ticket = self.issue_upload(&principal, request, None, INNER_UPLOAD_SECS).await?;
        *inner = Some(ticket.upload_id.clone());
        let session = self.open_session(&ticket.upload_id, &ticket.secret).await?;
        self.commit_session(&session, None, body).await
    }

    /// The query parameters that tell `app` an outcome through a browser redirect, with the
    /// time and a signature under the app's notice key added.
    pub async fn signed_redirect_params(
        &self,
        app: AppId,
        mut params: Vec<(String, String)>,
    ) -> Result<Vec<(String, String)>> {
        params.push(("timestamp".to_owned(), self.clock.now().to_string()));
        let keys = self.signing_keys(app).await?;
        Ok(signed_params(&keys[0], params))
    }
}

/// A claimed upload token while its transfer runs; dropped unsettled (the request went away
/// mid-transfer), it settles the claim in the background so the token is not stuck.
struct FormClaim {
    core: Core,
    token_hash: Vec<u8>,
    /// The upload session the file went into, once made.
    inner: Option<String>,
    settled: bool,
}

impl Drop for FormClaim {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let (core, token_hash, inner) = (
            self.core.clone(),
            std::mem::take(&mut self.token_hash),
            self.inner.take(),
        );
        runtime.spawn(async move { core.settle_failed_claim(&token_hash, inner.as_deref()).await });
    }
}
