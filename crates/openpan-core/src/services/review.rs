//! Reviews: an inviter puts files they may share before reviewers of their enterprise until a
//! due date; while the review is open the reviewers may at least preview the files (see
//! `Core::access_to`) and discuss them. Only the inviter edits, completes or deletes it; only
//! its inviter and reviewers see it.

use std::collections::HashMap;

use crate::audit::{TargetKind, action};
use crate::auth::Principal;
use crate::collab::Capability;
use crate::drive::{Item, ItemKind};
use crate::error::{Error, NotFoundKind, Result, gone};
use crate::ids::{ItemId, ReviewCommentId, ReviewId, UserId};
use crate::model::{Page, User};
use crate::review::{
    MAX_REVIEW_COMMENT_CHARS, MAX_REVIEW_DESCRIPTION_CHARS, MAX_REVIEW_FILES, MAX_REVIEW_TITLE_CHARS, MAX_REVIEWERS,
    NewReview, Review, ReviewChanges, ReviewComment, ReviewRole,
};
use crate::services::Core;
use crate::services::audit_log::Audit;
use crate::services::comment::comment_text;
use crate::services::drive::deleted;

/// `review/create`, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct ReviewRequest {
    pub file_ids: Vec<i64>,
    pub title: Option<String>,
    /// `YYYY-MM-DD`; empty or absent for none.
    pub due_time: Option<String>,
    pub description: Option<String>,
    pub invited_user_ids: Vec<i64>,
}

/// `review/edit/{id}`, as the client sent it.
#[derive(Debug, Clone, Default)]
pub struct ReviewEdit {
    pub deleted_reviewers: Vec<i64>,
    pub added_reviewers: Vec<i64>,
    /// `YYYY-MM-DD`; empty clears it, absent keeps it.
    pub due_time: Option<String>,
}

/// One of a review's files: the item, when it still exists and the viewer may be shown it.
#[derive(Debug, Clone)]
pub struct ReviewItemView {
    pub id: ItemId,
    pub name: String,
    pub item: Option<Item>,
    /// Deleted for good.
    pub deleted: bool,
}

/// A review ready to render for one viewer.
#[derive(Debug, Clone)]
pub struct ReviewView {
    pub review: Review,
    pub inviter: Option<User>,
    pub reviewers: Vec<User>,
    pub items: Vec<ReviewItemView>,
    /// Whether the viewer started it (only they see where its files live).
    pub viewer_is_inviter: bool,
    pub expired: bool,
}

#[derive(Debug, Clone)]
pub struct ReviewCommentView {
    pub comment: ReviewComment,
    pub author: Option<User>,
}

fn review_not_found() -> Error {
    Error::not_found(NotFoundKind::Review)
}

fn review_audit(action: i32, review_id: i64, name: &str, event: &'static str) -> Audit {
    Audit::new(action, TargetKind::Review, review_id, name).feed(event, review_id)
}

/// Ids given once each, in order.
fn distinct(ids: &[i64]) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::with_capacity(ids.len());
    for id in ids {
        if !out.contains(id) {
            out.push(*id);
        }
    }
    out
}

impl Core {
    /// The active users of the caller's enterprise these ids name; any other id answers
    /// `user_not_found`.
    async fn reviewers_named(&self, enterprise: crate::ids::EnterpriseId, ids: &[i64]) -> Result<Vec<UserId>> {
        let ids: Vec<UserId> = distinct(ids).into_iter().map(UserId).collect();
        let found = self.users_by_id(ids.iter().copied().collect()).await?;
        for id in &ids {
            match found.get(*id) {
                Some(user) if user.enterprise_id == enterprise && user.active => {}
                _ => return Err(Error::not_found(NotFoundKind::User)),
            }
        }
        Ok(ids)
    }

    /// A review the caller started or reviews; `review_not_found` otherwise.
    async fn seen_review(&self, principal: &Principal, id: ReviewId) -> Result<(User, Review)> {
        let (me, _) = self.personal_space(principal).await?;
        let review = self
            .repo
            .find_review(id)
            .await?
            .filter(|review| {
                review.enterprise_id == me.user.enterprise_id
                    && (review.inviter_id == me.user.id || review.is_reviewer(me.user.id))
            })
            .ok_or_else(review_not_found)?;
        Ok((me.user, review))
    }

    /// A review the caller started (reviewers are refused).
    async fn own_review(&self, principal: &Principal, id: ReviewId) -> Result<(User, Review)> {
        let (me, review) = self.seen_review(principal, id).await?;
        if review.inviter_id != me.id {
            return Err(Error::PermissionDenied);
        }
        Ok((me, review))
    }

    async fn review_view(&self, viewer: UserId, review: Review) -> Result<ReviewView> {
        let mut user_ids = review.reviewers.clone();
        user_ids.push(review.inviter_id);
        let users = self.users_by_id(user_ids.into_iter().collect()).await?;
        let ids: Vec<ItemId> = review.items.iter().map(|(id, _)| *id).collect();
        let mut found: HashMap<ItemId, Item> = self
            .repo
            .list_items_by_id(&ids)
            .await?
            .into_iter()
            .map(|item| (item.id, item))
            .collect();
        // Reviewers learn about a file only while they may preview it (the review is open and
        // its inviter may still share it, or they reach it otherwise); else they keep the name
        // the review showed them.
        let mut items = Vec::with_capacity(review.items.len());
        for (id, name) in &review.items {
            let item = found.remove(id);
            let deleted = item.is_none();
            let item = match item {
                Some(item) if viewer == review.inviter_id => Some(item),
                Some(item) if self.access_to(viewer, &item).await?.allows(Capability::Preview) => Some(item),
                _ => None,
            };
            items.push(ReviewItemView {
                id: *id,
                name: item.as_ref().map_or_else(|| name.clone(), |item| item.name.clone()),
                item,
                deleted,
            });
        }
        Ok(ReviewView {
            inviter: users.get(review.inviter_id).cloned(),
            reviewers: review
                .reviewers
                .iter()
                .filter_map(|id| users.get(*id).cloned())
                .collect(),
            items,
            viewer_is_inviter: viewer == review.inviter_id,
            expired: review.expired(self.clock.now()),
            review,
        })
    }

    /// `review/create`: answers the new review.
    pub async fn create_review(&self, principal: &Principal, request: ReviewRequest) -> Result<Review> {
        let title = request.title.as_deref().map(str::trim).unwrap_or_default();
        if title.is_empty() {
            return Err(Error::invalid("title", "不能为空"));
        }
        if title.chars().count() > MAX_REVIEW_TITLE_CHARS {
            return Err(Error::invalid(
                "title",
                format!("长度不能超过{MAX_REVIEW_TITLE_CHARS}个字符"),
            ));
        }
        let description = request.description.as_deref().unwrap_or_default();
        if description.chars().count() > MAX_REVIEW_DESCRIPTION_CHARS {
            return Err(Error::invalid(
                "description",
                format!("长度不能超过{MAX_REVIEW_DESCRIPTION_CHARS}个字符"),
            ));
        }
        let file_ids = distinct(&request.file_ids);
        if file_ids.is_empty() || file_ids.len() > MAX_REVIEW_FILES {
            return Err(Error::invalid("file_ids", format!("须有1-{MAX_REVIEW_FILES}个文件")));
        }
        let reviewer_ids: Vec<i64> = distinct(&request.invited_user_ids);
        if reviewer_ids.is_empty() || reviewer_ids.len() > MAX_REVIEWERS {
            return Err(Error::invalid(
                "invited_user_ids",
                format!("须有1-{MAX_REVIEWERS}个审阅人"),
            ));
        }
        let due_at = self.due_time(request.due_time.as_deref())?.flatten();
        let (me, _) = self.personal_space(principal).await?;
        let mut items = Vec::with_capacity(file_ids.len());
        for id in file_ids {
            // Reviewers will see the files: only what the inviter may share goes in.
            let file = self
                .live(principal, ItemId(id), ItemKind::File, Capability::Share)
                .await?;
            if self.sharing_disabled(me.user.id, &file).await? {
                return Err(Error::PermissionDenied);
            }
            items.push((file.id, file.name));
        }
        let reviewers: Vec<UserId> = self
            .reviewers_named(me.user.enterprise_id, &reviewer_ids)
            .await?
            .into_iter()
            .filter(|id| *id != me.user.id)
            .collect();
        if reviewers.is_empty() {
            return Err(Error::invalid("invited_user_ids", "须邀请自己以外的审阅人"));
        }
        let new = NewReview {
            enterprise_id: me.user.enterprise_id,
            inviter_id: me.user.id,
            name: title.to_owned(),
            description: description.to_owned(),
            due_at,
            items,
            reviewers,
            at: self.clock.now(),
        };
        let audit = review_audit(action::START_REVIEW, 0, &new.name, "review.created")
            .with("file_ids", new.items.iter().map(|(id, _)| id.0).collect::<Vec<_>>())
            .with("reviewer_ids", new.reviewers.iter().map(|id| id.0).collect::<Vec<_>>());
        let id = self
            .audited(principal, me.user.enterprise_id, audit, self.repo.create_review(&new))
            .await
            .map_err(gone(|| deleted(ItemKind::File)))?;
        self.repo.find_review(id).await?.ok_or_else(review_not_found)
    }

    /// `review/edit/{id}`: reviewers in and out, and the due date, while it is not completed.
    pub async fn edit_review(&self, principal: &Principal, id: ReviewId, edit: ReviewEdit) -> Result<ReviewView> {
        let due_at = self.due_time(edit.due_time.as_deref())?;
        let (me, review) = self.own_review(principal, id).await?;
        if review.completed_at.is_some() {
            return Err(Error::PermissionDenied);
        }
        let added: Vec<UserId> = self
            .reviewers_named(me.enterprise_id, &edit.added_reviewers)
            .await?
            .into_iter()
            .filter(|id| *id != me.id)
            .collect();
        let removed: Vec<UserId> = distinct(&edit.deleted_reviewers).into_iter().map(UserId).collect();
        let remaining = review
            .reviewers
            .iter()
            .chain(&added)
            .filter(|id| !removed.contains(id))
            .collect::<std::collections::HashSet<_>>()
            .len();
        if remaining > MAX_REVIEWERS {
            return Err(Error::invalid(
                "added_reviewers",
                format!("审阅人最多{MAX_REVIEWERS}个"),
            ));
        }
        let changes = ReviewChanges { added, removed, due_at };
        let audit = review_audit(action::EDIT_REVIEW, review.id.0, &review.name, "review.updated")
            .with(
                "added_reviewers",
                changes.added.iter().map(|id| id.0).collect::<Vec<_>>(),
            )
            .with(
                "deleted_reviewers",
                changes.removed.iter().map(|id| id.0).collect::<Vec<_>>(),
            );
        self.audited(
            principal,
            review.enterprise_id,
            audit,
            self.repo.update_review(review.id, &changes, self.clock.now()),
        )
        .await
        .map_err(gone(review_not_found))?;
        let review = self.repo.find_review(id).await?.ok_or_else(review_not_found)?;
        self.review_view(me.id, review).await
    }

    /// `review/info/{id}`.
    pub async fn review_info(&self, principal: &Principal, id: ReviewId) -> Result<ReviewView> {
        let (me, review) = self.seen_review(principal, id).await?;
        self.review_view(me.id, review).await
    }

    /// `review/list`: the caller's reviews, newest first.
    pub async fn list_reviews(
        &self,
        principal: &Principal,
        role: ReviewRole,
        page: Page,
    ) -> Result<(Vec<ReviewView>, i64)> {
        let (me, _) = self.personal_space(principal).await?;
        let (reviews, total) = self.repo.list_reviews(me.user.id, role, page).await?;
        let mut views = Vec::with_capacity(reviews.len());
        for review in reviews {
            views.push(self.review_view(me.user.id, review).await?);
        }
        Ok((views, total))
    }

    /// `review/complete/{id}`: ends it; reviewers lose what it gave them.
    pub async fn complete_review(&self, principal: &Principal, id: ReviewId) -> Result<ReviewView> {
        let (me, review) = self.own_review(principal, id).await?;
        if review.completed_at.is_none() {
            let audit = review_audit(action::COMPLETE_REVIEW, review.id.0, &review.name, "review.completed");
            self.audited(
                principal,
                review.enterprise_id,
                audit,
                self.repo.complete_review(review.id, self.clock.now()),
            )
            .await
            .map_err(gone(review_not_found))?;
        }
        let review = self.repo.find_review(id).await?.ok_or_else(review_not_found)?;
        self.review_view(me.id, review).await
    }

    /// `review/delete/{id}`: closes it for good; nobody sees it any more.
    pub async fn delete_review(&self, principal: &Principal, id: ReviewId) -> Result<()> {
        let (_, review) = self.own_review(principal, id).await?;
        let audit = review_audit(action::CLOSE_REVIEW, review.id.0, &review.name, "review.deleted");
        self.audited(
            principal,
            review.enterprise_id,
            audit,
            self.repo.delete_review(review.id, self.clock.now()),
        )
        .await
        .map_err(gone(review_not_found))
    }

    async fn review_comment_views(&self, comments: Vec<ReviewComment>) -> Result<Vec<ReviewCommentView>> {
        let users = self
            .users_by_id(comments.iter().map(|comment| comment.user_id).collect())
            .await?;
        Ok(comments
            .into_iter()
            .map(|comment| ReviewCommentView {
                author: users.get(comment.user_id).cloned(),
                comment,
            })
            .collect())
    }

    /// `review/comment_list/{id}`: the discussion, oldest first.
    pub async fn review_comments(
        &self,
        principal: &Principal,
        id: ReviewId,
        page: Page,
    ) -> Result<(Review, Vec<ReviewCommentView>, i64)> {
        let (_, review) = self.seen_review(principal, id).await?;
        let (comments, total) = self.repo.list_review_comments(review.id, page).await?;
        Ok((review, self.review_comment_views(comments).await?, total))
    }

    /// `review_comment/create`: by the inviter or a reviewer, while the review is open.
    pub async fn create_review_comment(
        &self,
        principal: &Principal,
        id: ReviewId,
        content: &str,
    ) -> Result<(Review, ReviewCommentView)> {
        let content = comment_text("content", content, MAX_REVIEW_COMMENT_CHARS)?;
        let (me, review) = self.seen_review(principal, id).await?;
        if !review.open(self.clock.now()) {
            return Err(Error::PermissionDenied);
        }
        // The comment is the event's subject (filled in when it is written); the review its target.
        let audit = Audit::new(action::REVIEW_COMMENT, TargetKind::Review, review.id.0, &review.name)
            .feed("review_comment.created", 0);
        let comment = self
            .audited(
                principal,
                review.enterprise_id,
                audit,
                self.repo
                    .create_review_comment(review.id, me.id, content, self.clock.now()),
            )
            .await
            .map_err(gone(review_not_found))?;
        Ok((
            review,
            ReviewCommentView {
                comment,
                author: Some(me),
            },
        ))
    }

    /// `review_comment/delete/{id}`: by its author or the review's inviter.
    pub async fn delete_review_comment(&self, principal: &Principal, id: ReviewCommentId) -> Result<()> {
        let comment_not_found = || Error::not_found(NotFoundKind::Comment);
        let comment = self.repo.find_review_comment(id).await?.ok_or_else(comment_not_found)?;
        let (me, review) = match self.seen_review(principal, comment.review_id).await {
            Ok(seen) => seen,
            Err(Error::NotFound { .. }) => return Err(comment_not_found()),
            Err(err) => return Err(err),
        };
        if comment.user_id != me.id && review.inviter_id != me.id {
            return Err(Error::PermissionDenied);
        }
        let audit = review_audit(
            action::DELETE_COMMENT,
            review.id.0,
            &review.name,
            "review_comment.deleted",
        )
        .with("review_comment_id", comment.id.0)
        .feed("review_comment.deleted", comment.id.0);
        self.audited(
            principal,
            review.enterprise_id,
            audit,
            self.repo.delete_review_comment(comment.id),
        )
        .await
        .map_err(gone(comment_not_found))
    }
}
