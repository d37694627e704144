//! `CommentRepo`: comments on files, their mentions, and the count listings show.

use async_trait::async_trait;
use openpan_core::RepoError;
use openpan_core::comment::{Comment, NewComment};
use openpan_core::ids::{CommentId, EnterpriseId, ItemId, UserId};
use openpan_core::model::Page;
use openpan_core::ports::{CommentRepo, RepoResult};

use crate::drive::TOUCH_SPACE;
use crate::errors::other;
use crate::pool::{SqlRepo, commit, exec, fetch, hold_live_item, on_pool, scalar};

#[derive(sqlx::FromRow)]
struct CommentRow {
    comment_id: i64,
    enterprise_id: i64,
    item_id: i64,
    user_id: i64,
    content: String,
    created_at: i64,
}

impl From<CommentRow> for Comment {
    fn from(row: CommentRow) -> Self {
        Comment {
            id: CommentId(row.comment_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            file_id: ItemId(row.item_id),
            user_id: UserId(row.user_id),
            content: row.content,
            created_at: row.created_at,
        }
    }
}

const COMMENT_SELECT: &str = "select comment_id, enterprise_id, item_id, user_id, content, created_at from comment";

/// Moves the listing generation of the space holding the file, before the file's row is
/// written: tree writes lock the space's root first too, so the two never wait on each other
/// in opposite orders. Evaluates to the space as `(kind, id)`.
macro_rules! touch_file_space {
    ($tx:expr, $builder:ident, $file:expr) => {{
        let space = fetch!(
            optional(i16, i64),
            &mut *$tx,
            $builder,
            "select space_kind, space_id from item where item_id = ?",
            $file
        )
        .map_err(other)?
        .ok_or(RepoError::NotFound)?;
        exec!(&mut *$tx, $builder, TOUCH_SPACE, space.0, space.1).map_err(other)?;
        space
    }};
}

#[async_trait]
impl CommentRepo for SqlRepo {
    async fn create_comment(&self, new: &NewComment) -> RepoResult<Comment> {
        let id = on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let touched = touch_file_space!(tx, builder, new.file_id.0);
            let space = hold_live_item!(tx, builder, new.file_id.0, " and not is_folder", " for update");
            // Moved to another space before the lock: that space's listings show the count.
            if space != touched {
                exec!(&mut *tx, builder, TOUCH_SPACE, space.0, space.1).map_err(other)?;
            }
            let id = scalar!(
                i64,
                &mut *tx,
                builder,
                "insert into comment (enterprise_id, item_id, user_id, content, created_at) values (?, ?, ?, ?, ?) \
                 returning comment_id",
                new.enterprise_id.0,
                new.file_id.0,
                new.user_id.0,
                &new.content,
                new.at
            )
            .map_err(other)?;
            for user in &new.mentions {
                exec!(
                    &mut *tx,
                    builder,
                    "insert into comment_mention (comment_id, user_id) values (?, ?)",
                    id,
                    user.0
                )
                .map_err(other)?;
            }
            exec!(
                &mut *tx,
                builder,
                "update item set comment_count = comment_count + 1 where item_id = ?",
                new.file_id.0
            )
            .map_err(other)?;
            commit!(tx, builder, Some(id))?;
            Ok::<i64, RepoError>(id)
        })?;
        self.find_comment(CommentId(id)).await?.ok_or(RepoError::NotFound)
    }

    async fn find_comment(&self, id: CommentId) -> RepoResult<Option<Comment>> {
        let select = format!("{COMMENT_SELECT} where comment_id = ?");
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(optional CommentRow, pool, builder, &select, id.0).map_err(other)
        })?;
        Ok(row.map(Comment::from))
    }

    async fn list_comments(&self, file: ItemId, page: Page) -> RepoResult<(Vec<Comment>, i64)> {
        let select = format!("{COMMENT_SELECT} where item_id = ? order by comment_id limit ? offset ?");
        let (rows, total) = on_pool!(self, read, |pool, builder| {
            let rows =
                fetch!(all CommentRow, pool, builder, &select, file.0, page.capacity, page.offset()).map_err(other)?;
            let total = scalar!(
                i64,
                pool,
                builder,
                "select count(*) from comment where item_id = ?",
                file.0
            )
            .map_err(other)?;
            Ok::<_, RepoError>((rows, total))
        })?;
        Ok((rows.into_iter().map(Comment::from).collect(), total))
    }

    async fn delete_comment(&self, id: CommentId) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let file = fetch!(
                optional(i64,),
                &mut *tx,
                builder,
                "select item_id from comment where comment_id = ?",
                id.0
            )
            .map_err(other)?
            .ok_or(RepoError::NotFound)?
            .0;
            touch_file_space!(tx, builder, file);
            exec!(
                &mut *tx,
                builder,
                "delete from comment_mention where comment_id = ?",
                id.0
            )
            .map_err(other)?;
            let deleted = exec!(&mut *tx, builder, "delete from comment where comment_id = ?", id.0).map_err(other)?;
            if deleted.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            exec!(
                &mut *tx,
                builder,
                "update item set comment_count = comment_count - 1 where item_id = ? and comment_count > 0",
                file
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }
}
