//! Tokens for embedded components (the picker, uploader and previewer an integrator puts in
//! its own pages): the integrator's server trades one of its user tokens for a short one,
//! confined to one folder or file and to `item.*` scopes (RFC 8693 token exchange). Such a
//! token reaches its item and what is below it, never more than the user may and never more
//! than its scopes say.

use crate::auth::{Principal, PrincipalKind};
use crate::collab::{Capability, Role};
use crate::drive::ItemKind;
use crate::error::{Error, OAuthFailure, Result};
use crate::ids::ItemId;
use crate::model::{App, Subject};
use crate::oauth::{IssuedToken, invalid_grant, invalid_scope, principal_of};
use crate::scope::{Scope, Scopes};
use crate::services::Core;
use crate::services::drive::{Access, Reached, not_found};

/// The only `subject_token_type` exchanged: one of the app's access tokens.
pub const ACCESS_TOKEN_TYPE: &str = "urn:ietf:params:oauth:token-type:access_token";
/// An embedded component's token lasts an hour at most (never past its subject token).
pub const ITEM_TOKEN_TTL_SECS: i64 = 3600;

fn invalid_target(message: impl Into<String>) -> Error {
    Error::OAuth(OAuthFailure::InvalidTarget(message.into()))
}

/// The most a confined token's holder may do, by its scopes: previewing, downloading (which
/// includes previewing), uploading, or uploading beside one of the others.
pub(crate) fn ceiling(scopes: Scopes) -> Option<Role> {
    let upload = scopes.contains(Scope::ItemUpload);
    let read = if scopes.contains(Scope::ItemDownload) {
        Some(true)
    } else if scopes.contains(Scope::ItemPreview) {
        Some(false)
    } else {
        None
    };
    match (read, upload) {
        (Some(true), true) => Some(Role::ViewerUploader),
        (Some(true), false) => Some(Role::Viewer),
        (Some(false), true) => Some(Role::PreviewerUploader),
        (Some(false), false) => Some(Role::Previewer),
        (None, true) => Some(Role::Uploader),
        (None, false) => None,
    }
}

/// The item a `resource` names: a path or a URL on this server (`issuer`, its public URL)
/// ending in `/folder/{id}` or `/file/{id}` (the item's API address, as other platforms'
/// token exchanges name theirs). A URL of another server names nothing here: a token the
/// integrator meant for elsewhere is not quietly made for this one.
fn resource_item(resource: &str, issuer: &str) -> Option<(ItemKind, ItemId)> {
    let is_path = (resource.starts_with('/') && !resource.starts_with("//"))
        || resource.starts_with("folder/")
        || resource.starts_with("file/");
    let path = if is_path {
        resource
    } else {
        // Anything else is a URL, and must be this server's (scheme and host in any case).
        let base = issuer.trim_end_matches('/');
        let head = resource.get(..base.len())?;
        let rest = &resource[base.len()..];
        if base.is_empty() || !head.eq_ignore_ascii_case(base) || !rest.starts_with('/') {
            return None;
        }
        rest
    };
    let path = path.split(['?', '#']).next()?.trim_end_matches('/');
    let mut parts = path.rsplit('/');
    let id = parts.next()?.parse::<i64>().ok().filter(|id| *id >= 0)?;
    let kind = match parts.next()? {
        "folder" => ItemKind::Folder,
        "file" if id > 0 => ItemKind::File,
        _ => return None,
    };
    Some((kind, ItemId(id)))
}

impl Core {
    /// `grant_type=urn:ietf:params:oauth:grant-type:token-exchange`: `subject_token` is one of
    /// the app's own user tokens; the answer is a token for `resource` with `scope` (one or
    /// more of `item.preview`, `item.download`, `item.upload`), which the user must be allowed
    /// on that item now. Not refreshable: the integrator's server asks again. `issuer`: this
    /// server's public URL, the only host a `resource` URL may name.
    pub(crate) async fn exchange_for_item(
        &self,
        app: &App,
        subject_token: &str,
        subject_token_type: &str,
        scope: Option<&str>,
        resource: Option<&str>,
        issuer: &str,
    ) -> Result<IssuedToken> {
        if subject_token_type != ACCESS_TOKEN_TYPE {
            return Err(Error::OAuth(OAuthFailure::InvalidRequest(format!(
                "subject_token_type must be {ACCESS_TOKEN_TYPE}"
            ))));
        }
        let record = match self.bearer_record(subject_token).await {
            Ok(record) => record,
            Err(Error::InvalidToken) => return Err(invalid_grant("subject_token is invalid or expired")),
            Err(other) => return Err(other),
        };
        let subject = principal_of(&record);
        let PrincipalKind::User {
            enterprise_id, user_id, ..
        } = subject.kind()
        else {
            return Err(invalid_grant("subject_token must be a user token"));
        };
        if subject.app_id() != Some(app.id) {
            return Err(invalid_grant("subject_token was issued to another app"));
        }
        if subject.root().is_some() {
            return Err(invalid_grant("subject_token is already confined to an item"));
        }
        let scopes = Scopes::parse(scope.unwrap_or_default())
            .map_err(|unknown| invalid_scope(format!("unknown scope {}", unknown.0)))?;
        if scopes.is_empty() || !scopes.iter().all(Scope::is_item) {
            return Err(invalid_scope(
                "scope must be one or more of item.preview, item.download and item.upload",
            ));
        }
        let reading = scopes.contains(Scope::ItemPreview) || scopes.contains(Scope::ItemDownload);
        if reading && !subject.scopes().grants(Scope::FilesRead)
            || scopes.contains(Scope::ItemUpload) && !subject.scopes().grants(Scope::FilesWrite)
        {
            return Err(invalid_scope("the subject token may not do what the scope asks"));
        }
        let (kind, id) = resource
            .and_then(|resource| resource_item(resource, issuer))
            .ok_or_else(|| {
                invalid_target("resource must name a folder or a file of this server (…/folder/{id} or …/file/{id})")
            })?;
        if kind == ItemKind::File && scopes.contains(Scope::ItemUpload) {
            return Err(invalid_target("uploads go into a folder"));
        }
        let reached = match self.reach(&subject, id, kind).await {
            Ok(reached) if reached.item.trash.is_none() => reached,
            Ok(_) | Err(Error::NotFound { .. }) => return Err(invalid_target("no such folder or file")),
            Err(other) => return Err(other),
        };
        for (wanted, capability) in [
            (Scope::ItemPreview, Capability::Preview),
            (Scope::ItemDownload, Capability::Download),
            (Scope::ItemUpload, Capability::Upload),
        ] {
            if scopes.contains(wanted) && !reached.access.allows(capability) {
                return Err(invalid_scope(format!("the user may not {} there", wanted.as_str())));
            }
        }
        let remaining = record.access_expires_at - self.clock.now();
        let ttl = ITEM_TOKEN_TTL_SECS.min(remaining).max(1);
        self.store_token_confined(
            app.id,
            Subject::User(enterprise_id, user_id),
            Some(scopes),
            false,
            ttl,
            crate::oauth::TokenBounds {
                root: Some(reached.item.id),
                acting: None,
                family: Some(record.family),
            },
        )
        .await
    }

    /// The addresses an active app registered (its redirect URIs): the pages of the app's
    /// own sites, which may frame the embedded components for it.
    pub async fn embedding_sites(&self, client_id: &str) -> Result<Vec<String>> {
        Ok(self
            .app_by_client_id(client_id)
            .await?
            .filter(|app| app.status == crate::model::AppStatus::Active && !app.is_console())
            .map(|app| app.redirect_uris)
            .unwrap_or_default())
    }

    /// What an embedded component's token may do to `reached`: nothing outside its item
    /// (answered as missing), and inside no more than its scopes allow. Paths start at its
    /// item, as a collaborator's start at the shared folder.
    pub(crate) async fn confine(&self, principal: &Principal, root: ItemId, reached: Reached) -> Result<Reached> {
        let kind = reached.item.kind;
        let under = self.under(&reached.item, root).await?;
        let (Some(root_is_space_root), Some(ceiling)) = (under, ceiling(principal.scopes())) else {
            return Err(not_found(kind));
        };
        let access = reached.access.capped(ceiling);
        // A space's root shows the whole path anyway; any other root hides what is above it.
        let shared_from = if root_is_space_root {
            access.shared_from
        } else {
            Some(root)
        };
        Ok(Reached {
            item: reached.item,
            access: Access { shared_from, ..access },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_names_a_folder_or_a_file_by_its_api_address() {
        let here = "https://pan.example.com/";
        assert_eq!(
            resource_item("https://pan.example.com/api/v2/folder/42", here),
            Some((ItemKind::Folder, ItemId(42)))
        );
        assert_eq!(
            resource_item("/api/v2/file/7/", here),
            Some((ItemKind::File, ItemId(7)))
        );
        assert_eq!(resource_item("folder/0", here), Some((ItemKind::Folder, ItemId(0))));
        assert_eq!(
            resource_item("HTTPS://PAN.example.com/api/v2/folder/42", here),
            Some((ItemKind::Folder, ItemId(42)))
        );
        for wrong in [
            "https://pan.example.com/api/v2/file/0",
            "//drive.example.org/api/v2/folder/42",
            "https:/drive.example.org/api/v2/folder/42",
            "https://pan.example.com@evil.test/api/v2/folder/42",
            "mailto:x/folder/42",
            "https://drive.example.org/api/v2/folder/42",
            "https://pan.example.com.evil.test/api/v2/folder/42",
            "folder/-1",
            "user/3",
            "42",
            "",
            "folder/x",
        ] {
            assert_eq!(resource_item(wrong, here), None, "{wrong}");
        }
    }

    #[test]
    fn item_scopes_cap_the_role_of_an_embedded_components_token() {
        let of = |text: &str| ceiling(Scopes::parse(text).unwrap());
        assert_eq!(of("item.preview"), Some(Role::Previewer));
        assert_eq!(of("item.download"), Some(Role::Viewer));
        assert_eq!(of("item.preview item.download"), Some(Role::Viewer));
        assert_eq!(of("item.upload"), Some(Role::Uploader));
        assert_eq!(of("item.preview item.upload"), Some(Role::PreviewerUploader));
        assert_eq!(of("item.download item.upload"), Some(Role::ViewerUploader));
        assert_eq!(of("files.read"), None);
    }
}
