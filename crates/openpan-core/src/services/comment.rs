//! Comments on files: written by whoever may comment on the file, read by whoever may preview
//! it, deleted by their author or by whoever co-owns the file.

use crate::audit::action;
use crate::auth::Principal;
use crate::collab::{Capability, Role};
use crate::comment::{Comment, MAX_COMMENT_CHARS, NewComment, mentions};
use crate::drive::{Item, ItemKind};
use crate::error::{Error, NotFoundKind, Result, gone};
use crate::ids::{CommentId, ItemId, UserId};
use crate::model::{Page, User};
use crate::services::audit_log::Audit;
use crate::services::drive::deleted;
use crate::services::{Core, Users};

/// A comment with what clients are shown of its file and author.
#[derive(Debug, Clone)]
pub struct CommentView {
    pub comment: Comment,
    pub file_name: String,
    pub author: Option<User>,
}

/// A comment's text: not blank, at most 1001 characters.
pub(crate) fn comment_text<'a>(field: &str, raw: &'a str, max: usize) -> Result<&'a str> {
    if raw.trim().is_empty() {
        return Err(Error::invalid(field, "不能为空"));
    }
    if raw.chars().count() > max {
        return Err(Error::invalid(field, format!("长度不能超过{max}个字符")));
    }
    Ok(raw)
}

fn comment_not_found() -> Error {
    Error::not_found(NotFoundKind::Comment)
}

impl Core {
    fn file_comment_views(comments: Vec<Comment>, file: &Item, users: &Users) -> Vec<CommentView> {
        comments
            .into_iter()
            .map(|comment| CommentView {
                author: users.get(comment.user_id).cloned(),
                file_name: file.name.clone(),
                comment,
            })
            .collect()
    }

    /// `comment/create`: a comment on a file the caller may comment on. Mentions of users of
    /// the enterprise are recorded (and announced in the event log); others stay text.
    pub async fn create_comment(&self, principal: &Principal, file_id: ItemId, content: &str) -> Result<CommentView> {
        let content = comment_text("content", content, MAX_COMMENT_CHARS)?;
        let (me, _) = self.personal_space(principal).await?;
        let file = self
            .live(principal, file_id, ItemKind::File, Capability::Comment)
            .await?;
        let named = mentions(content);
        let mentioned: Vec<UserId> = if named.is_empty() {
            Vec::new()
        } else {
            let found = self.users_by_id(named.iter().copied().collect()).await?;
            named
                .into_iter()
                .filter(|id| {
                    found
                        .get(*id)
                        .is_some_and(|user| user.enterprise_id == file.enterprise_id)
                })
                .collect()
        };
        let new = NewComment {
            enterprise_id: file.enterprise_id,
            file_id: file.id,
            user_id: me.user.id,
            content: content.to_owned(),
            mentions: mentioned.clone(),
            at: self.clock.now(),
        };
        let audit = Audit::item(action::ADD_COMMENT, &file)
            .with(
                "mentioned_user_ids",
                mentioned.iter().map(|id| id.0).collect::<Vec<_>>(),
            )
            .feed("comment.created", 0);
        let comment = self
            .audited(principal, file.enterprise_id, audit, self.repo.create_comment(&new))
            .await
            .map_err(gone(|| deleted(ItemKind::File)))?;
        Ok(CommentView {
            comment,
            file_name: file.name,
            author: Some(me.user),
        })
    }

    /// `file/{id}/comments`: for whoever may preview the file, oldest first.
    pub async fn list_comments(
        &self,
        principal: &Principal,
        file_id: ItemId,
        page: Page,
    ) -> Result<(Vec<CommentView>, i64)> {
        let file = self
            .live(principal, file_id, ItemKind::File, Capability::Preview)
            .await?;
        let (comments, total) = self.repo.list_comments(file.id, page).await?;
        let users = self
            .users_by_id(comments.iter().map(|comment| comment.user_id).collect())
            .await?;
        Ok((Self::file_comment_views(comments, &file, &users), total))
    }

    /// `comment/{id}/delete`: by its author while they still see the file, or by whoever
    /// co-owns the file. A comment on a file the caller cannot see answers as missing.
    pub async fn delete_comment(&self, principal: &Principal, id: CommentId) -> Result<()> {
        let (me, _) = self.personal_space(principal).await?;
        let comment = self
            .repo
            .find_comment(id)
            .await?
            .filter(|comment| comment.enterprise_id == me.user.enterprise_id)
            .ok_or_else(comment_not_found)?;
        let reached = match self
            .live_reached(principal, comment.file_id, ItemKind::File, Capability::List)
            .await
        {
            Ok(reached) => reached,
            Err(Error::NotFound { .. }) => return Err(comment_not_found()),
            Err(err) => return Err(err),
        };
        let coowns = reached.access.grants.0.iter().any(|role| *role >= Role::Coowner);
        if comment.user_id != me.user.id && !coowns {
            return Err(Error::PermissionDenied);
        }
        let audit = Audit::item(action::DELETE_COMMENT, &reached.item)
            .with("comment_id", comment.id.0)
            .feed("comment.deleted", comment.id.0);
        self.audited(
            principal,
            comment.enterprise_id,
            audit,
            self.repo.delete_comment(comment.id),
        )
        .await
        .map_err(gone(comment_not_found))
    }
}
