//! `ReviewRepo`: reviews, their files and reviewers, and their discussion.

use std::collections::HashMap;

use async_trait::async_trait;
use openpan_core::RepoError;
use openpan_core::ids::{EnterpriseId, ItemId, ReviewCommentId, ReviewId, UserId};
use openpan_core::model::Page;
use openpan_core::ports::{RepoResult, ReviewRepo};
use openpan_core::review::{NewReview, Review, ReviewChanges, ReviewComment, ReviewRole};

use crate::errors::other;
use crate::pool::{SqlRepo, commit, dialect, exec, fetch, on_pool, row_lock, scalar};

#[derive(sqlx::FromRow)]
struct ReviewRow {
    review_id: i64,
    enterprise_id: i64,
    inviter_id: i64,
    name: String,
    description: String,
    due_at: Option<i64>,
    created_at: i64,
    modified_at: i64,
    completed_at: Option<i64>,
}

const REVIEW_COLUMNS: &str = "r.review_id, r.enterprise_id, r.inviter_id, r.name, r.description, r.due_at, r.created_at, r.modified_at, \
     r.completed_at";

#[derive(sqlx::FromRow)]
struct ReviewCommentRow {
    review_comment_id: i64,
    review_id: i64,
    user_id: i64,
    content: String,
    created_at: i64,
}

impl From<ReviewCommentRow> for ReviewComment {
    fn from(row: ReviewCommentRow) -> Self {
        ReviewComment {
            id: ReviewCommentId(row.review_comment_id),
            review_id: ReviewId(row.review_id),
            user_id: UserId(row.user_id),
            content: row.content,
            created_at: row.created_at,
        }
    }
}

const COMMENT_SELECT: &str = "select review_comment_id, review_id, user_id, content, created_at from review_comment";

/// Which reviews of a user a listing takes (`r`), and how many times it binds the user.
fn role_condition(role: ReviewRole) -> (&'static str, usize) {
    const REVIEWS: &str = "r.review_id in (select review_id from review_reviewer where user_id = ?)";
    match role {
        ReviewRole::Any => (
            "(r.inviter_id = ? or r.review_id in (select review_id from review_reviewer where user_id = ?))",
            2,
        ),
        ReviewRole::Inviter => ("r.inviter_id = ?", 1),
        ReviewRole::Reviewer => (REVIEWS, 1),
    }
}

impl SqlRepo {
    /// The reviews of these rows with their files (by id) and reviewers, in the rows' order.
    async fn with_members(&self, rows: Vec<ReviewRow>) -> RepoResult<Vec<Review>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = rows.iter().map(|row| row.review_id).collect();
        let marks = crate::pool::marks(ids.len());
        let items_sql = format!(
            "select review_id, item_id, name from review_item where review_id in ({marks}) order by review_id, item_id"
        );
        let reviewers_sql = format!(
            "select review_id, user_id from review_reviewer where review_id in ({marks}) order by review_id, user_id"
        );
        let (items, reviewers) = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &items_sql);
            let mut query = sqlx::query_as::<_, (i64, i64, String)>(&sql);
            for id in &ids {
                query = query.bind(*id);
            }
            let items = query.fetch_all(pool).await.map_err(other)?;
            let sql = dialect(&builder(), &reviewers_sql);
            let mut query = sqlx::query_as::<_, (i64, i64)>(&sql);
            for id in &ids {
                query = query.bind(*id);
            }
            let reviewers = query.fetch_all(pool).await.map_err(other)?;
            Ok::<_, RepoError>((items, reviewers))
        })?;
        let mut item_map: HashMap<i64, Vec<(ItemId, String)>> = HashMap::new();
        for (review, item, name) in items {
            item_map.entry(review).or_default().push((ItemId(item), name));
        }
        let mut reviewer_map: HashMap<i64, Vec<UserId>> = HashMap::new();
        for (review, user) in reviewers {
            reviewer_map.entry(review).or_default().push(UserId(user));
        }
        Ok(rows
            .into_iter()
            .map(|row| Review {
                id: ReviewId(row.review_id),
                enterprise_id: EnterpriseId(row.enterprise_id),
                inviter_id: UserId(row.inviter_id),
                name: row.name,
                description: row.description,
                due_at: row.due_at,
                created_at: row.created_at,
                modified_at: row.modified_at,
                completed_at: row.completed_at,
                items: item_map.remove(&row.review_id).unwrap_or_default(),
                reviewers: reviewer_map.remove(&row.review_id).unwrap_or_default(),
            })
            .collect())
    }
}

/// Locks a review that was not deleted for the rest of the transaction (on PostgreSQL), or
/// answers `NotFound`.
macro_rules! live_review {
    ($tx:expr, $builder:ident, $id:expr) => {{
        let select = format!(
            "select review_id from review where review_id = ? and deleted_at is null{}",
            row_lock(&$builder(), " for update")
        );
        sqlx::query_scalar::<_, i64>(&dialect(&$builder(), &select))
            .bind($id)
            .fetch_optional(&mut *$tx)
            .await
            .map_err(other)?
            .ok_or(RepoError::NotFound)?
    }};
}

#[async_trait]
impl ReviewRepo for SqlRepo {
    async fn create_review(&self, new: &NewReview) -> RepoResult<ReviewId> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into review (enterprise_id, inviter_id, name, description, due_at, created_at, modified_at) \
                 values (?, ?, ?, ?, ?, ?, ?) returning review_id",
                new.enterprise_id.0,
                new.inviter_id.0,
                &new.name,
                &new.description,
                new.due_at,
                new.at,
                new.at
            )
            .map_err(other)?;
            for (item, name) in &new.items {
                // Not locked: a file trashed or purged meanwhile shows as such in the review
                // (which names it without a reference), and tree writes never wait on a review.
                let live = fetch!(
                    optional(i64,),
                    &mut *tx,
                    builder,
                    "select item_id from item where item_id = ? and not is_folder and trash_root_id is null",
                    item.0
                )
                .map_err(other)?;
                if live.is_none() {
                    return Err(RepoError::NotFound);
                }
                exec!(
                    &mut *tx,
                    builder,
                    "insert into review_item (review_id, item_id, name) values (?, ?, ?)",
                    id,
                    item.0,
                    name
                )
                .map_err(other)?;
            }
            for user in &new.reviewers {
                exec!(
                    &mut *tx,
                    builder,
                    "insert into review_reviewer (review_id, user_id) values (?, ?)",
                    id,
                    user.0
                )
                .map_err(other)?;
            }
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        Ok(ReviewId(id))
    }

    async fn find_review(&self, id: ReviewId) -> RepoResult<Option<Review>> {
        let select = format!("select {REVIEW_COLUMNS} from review r where r.review_id = ? and r.deleted_at is null");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional ReviewRow, pool, builder, &select, id.0).map_err(other)
        })?;
        Ok(self.with_members(row.into_iter().collect()).await?.pop())
    }

    async fn update_review(&self, id: ReviewId, changes: &ReviewChanges, at: i64) -> RepoResult<()> {
        let (set_due, due_at) = match changes.due_at {
            None => (false, None),
            Some(value) => (true, value),
        };
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            live_review!(tx, builder, id.0);
            for user in &changes.removed {
                exec!(
                    &mut *tx,
                    builder,
                    "delete from review_reviewer where review_id = ? and user_id = ?",
                    id.0,
                    user.0
                )
                .map_err(other)?;
            }
            for user in &changes.added {
                exec!(
                    &mut *tx,
                    builder,
                    "insert into review_reviewer (review_id, user_id) values (?, ?) \
                     on conflict (review_id, user_id) do nothing",
                    id.0,
                    user.0
                )
                .map_err(other)?;
            }
            exec!(
                &mut *tx,
                builder,
                "update review set due_at = case when ? then ? else due_at end, modified_at = ? where review_id = ?",
                set_due,
                due_at,
                at,
                id.0
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }

    async fn complete_review(&self, id: ReviewId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            live_review!(tx, builder, id.0);
            exec!(
                &mut *tx,
                builder,
                "update review set completed_at = coalesce(completed_at, ?), modified_at = ? where review_id = ?",
                at,
                at,
                id.0
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }

    async fn delete_review(&self, id: ReviewId, at: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            live_review!(tx, builder, id.0);
            exec!(
                &mut *tx,
                builder,
                "update review set deleted_at = ?, modified_at = ? where review_id = ?",
                at,
                at,
                id.0
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }

    async fn list_reviews(&self, user: UserId, role: ReviewRole, page: Page) -> RepoResult<(Vec<Review>, i64)> {
        let (condition, binds) = role_condition(role);
        let select = format!(
            "select {REVIEW_COLUMNS} from review r where r.deleted_at is null and {condition} \
             order by r.review_id desc limit ? offset ?"
        );
        let count = format!("select count(*) from review r where r.deleted_at is null and {condition}");
        let binds = vec![user.0; binds];
        let (rows, total) = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &select);
            let mut query = sqlx::query_as::<_, ReviewRow>(&sql);
            for bind in &binds {
                query = query.bind(*bind);
            }
            let rows = query
                .bind(page.capacity)
                .bind(page.offset())
                .fetch_all(pool)
                .await
                .map_err(other)?;
            let sql = dialect(&builder(), &count);
            let mut query = sqlx::query_scalar::<_, i64>(&sql);
            for bind in &binds {
                query = query.bind(*bind);
            }
            let total = query.fetch_one(pool).await.map_err(other)?;
            Ok::<_, RepoError>((rows, total))
        })?;
        Ok((self.with_members(rows).await?, total))
    }

    async fn review_inviters(&self, user: UserId, item: ItemId, now: i64) -> RepoResult<Vec<UserId>> {
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(
                all(i64,),
                pool,
                builder,
                "select distinct r.inviter_id from review_item ri \
                 join review_reviewer rr on rr.review_id = ri.review_id and rr.user_id = ? \
                 join review r on r.review_id = ri.review_id \
                 where ri.item_id = ? and r.deleted_at is null and r.completed_at is null \
                 and (r.due_at is null or r.due_at > ?) order by r.inviter_id limit 20",
                user.0,
                item.0,
                now
            )
            .map_err(other)
        })?;
        Ok(rows.into_iter().map(|(id,)| UserId(id)).collect())
    }

    async fn create_review_comment(
        &self,
        review: ReviewId,
        user: UserId,
        content: &str,
        at: i64,
    ) -> RepoResult<ReviewComment> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            live_review!(tx, builder, review.0);
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into review_comment (review_id, user_id, content, created_at) values (?, ?, ?, ?) \
                 returning review_comment_id",
                review.0,
                user.0,
                content,
                at
            )
            .map_err(other)?;
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        self.find_review_comment(ReviewCommentId(id))
            .await?
            .ok_or(RepoError::NotFound)
    }

    async fn find_review_comment(&self, id: ReviewCommentId) -> RepoResult<Option<ReviewComment>> {
        let select = format!("{COMMENT_SELECT} where review_comment_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional ReviewCommentRow, pool, builder, &select, id.0).map_err(other)
        })?;
        Ok(row.map(ReviewComment::from))
    }

    async fn list_review_comments(&self, review: ReviewId, page: Page) -> RepoResult<(Vec<ReviewComment>, i64)> {
        let select = format!("{COMMENT_SELECT} where review_id = ? order by review_comment_id limit ? offset ?");
        let (rows, total) = on_pool!(self, read, |pool, builder| {
            let rows = fetch!(all ReviewCommentRow, pool, builder, &select, review.0, page.capacity, page.offset())
                .map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from review_comment where review_id = ?",
                review.0
            )
            .map_err(other)?;
            Ok::<_, RepoError>((rows, total))
        })?;
        Ok((rows.into_iter().map(ReviewComment::from).collect(), total))
    }

    async fn delete_review_comment(&self, id: ReviewCommentId) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let deleted = exec!(
                &mut *tx,
                builder,
                "delete from review_comment where review_comment_id = ?",
                id.0
            )
            .map_err(other)?;
            if deleted.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            commit!(tx, builder)
        })
    }
}
