//! `TagRepo`: an enterprise's tags, the items carrying them, and each user's recent and common
//! tags.

use std::collections::HashMap;

use async_trait::async_trait;
use openpan_core::drive::Space;
use openpan_core::ids::{EnterpriseId, ItemId, TagId, UserId};
use openpan_core::ports::{RepoResult, TagMatch, TagRepo};
use openpan_core::tag::{Tag, tag_key};

use crate::drive::TOUCH_SPACE;
use crate::errors::other;
use crate::pool::{SqlRepo, commit, dialect, exec, fetch, on_pool, scalar};
use crate::repo::escape_like;

#[derive(sqlx::FromRow)]
struct TagRow {
    tag_id: i64,
    name: String,
}

fn tags(rows: Vec<TagRow>) -> Vec<Tag> {
    rows.into_iter()
        .map(|row| Tag {
            id: TagId(row.tag_id),
            name: row.name,
        })
        .collect()
}

/// The tag of this name in the enterprise, made when new. Evaluates to its id.
macro_rules! ensure_tag {
    ($tx:expr, $builder:ident, $enterprise:expr, $name:expr, $at:expr) => {{
        let name: &str = $name;
        let key = tag_key(name);
        exec!(
            &mut *$tx,
            $builder,
            "insert into tag (enterprise_id, name, name_key, created_at) values (?, ?, ?, ?) \
             on conflict (enterprise_id, name_key) do nothing",
            $enterprise,
            name,
            &key,
            $at
        )
        .map_err(other)?;
        scalar!(
            i64,
            &mut *$tx,
            $builder,
            "select tag_id from tag where enterprise_id = ? and name_key = ?",
            $enterprise,
            &key
        )
        .map_err(other)?
    }};
}

#[async_trait]
impl TagRepo for SqlRepo {
    async fn tag_items(
        &self,
        enterprise: EnterpriseId,
        items: &[ItemId],
        names: &[String],
        user: UserId,
        at: i64,
    ) -> RepoResult<()> {
        // Rows are written in one order (names by key, items by id) so two taggings never wait
        // on each other crosswise; the items' space roots are touched first, as every tree
        // write does, so a purge and a tagging of the same items take turns.
        let mut names: Vec<&String> = names.iter().collect();
        names.sort_by_key(|name| tag_key(name));
        let mut items = items.to_vec();
        items.sort();
        let marks = crate::pool::marks(items.len());
        let spaces_sql = format!(
            "select distinct space_kind, space_id from item where item_id in ({marks}) order by space_kind, space_id"
        );
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            if !items.is_empty() {
                let sql = dialect(&builder(), &spaces_sql);
                let mut query = sqlx::query_as::<_, (i16, i64)>(&sql);
                for item in &items {
                    query = query.bind(item.0);
                }
                for (kind, id) in query.fetch_all(&mut *tx).await.map_err(other)? {
                    exec!(&mut *tx, builder, TOUCH_SPACE, kind, id).map_err(other)?;
                }
            }
            let mut tag_ids = Vec::with_capacity(names.len());
            for name in &names {
                tag_ids.push(ensure_tag!(tx, builder, enterprise.0, name, at));
            }
            for item in &items {
                for tag in &tag_ids {
                    // Only on items still live in the enterprise: a purge may have come between.
                    exec!(
                        &mut *tx,
                        builder,
                        "insert into item_tag (item_id, tag_id, tagged_by, tagged_at) \
                         select item_id, ?, ?, ? from item \
                         where item_id = ? and enterprise_id = ? and trash_root_id is null \
                         on conflict (item_id, tag_id) do nothing",
                        *tag,
                        user.0,
                        at,
                        item.0,
                        enterprise.0
                    )
                    .map_err(other)?;
                }
            }
            for tag in &tag_ids {
                exec!(
                    &mut *tx,
                    builder,
                    "insert into user_tag (user_id, tag_id, used_at) values (?, ?, ?) \
                     on conflict (user_id, tag_id) do update set used_at = excluded.used_at",
                    user.0,
                    *tag,
                    at
                )
                .map_err(other)?;
            }
            commit!(tx, builder)
        })
    }

    async fn untag_items(&self, enterprise: EnterpriseId, items: &[ItemId], names: &[String]) -> RepoResult<()> {
        let mut names: Vec<&String> = names.iter().collect();
        names.sort_by_key(|name| tag_key(name));
        let mut items = items.to_vec();
        items.sort();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            for item in &items {
                for name in &names {
                    exec!(
                        &mut *tx,
                        builder,
                        "delete from item_tag where item_id = ? and tag_id in \
                         (select tag_id from tag where enterprise_id = ? and name_key = ?)",
                        item.0,
                        enterprise.0,
                        tag_key(name)
                    )
                    .map_err(other)?;
                }
            }
            commit!(tx, builder)
        })
    }

    async fn item_tags(&self, items: &[ItemId]) -> RepoResult<HashMap<ItemId, Vec<Tag>>> {
        #[derive(sqlx::FromRow)]
        struct Row {
            item_id: i64,
            tag_id: i64,
            name: String,
        }
        if items.is_empty() {
            return Ok(HashMap::new());
        }
        let marks = crate::pool::marks(items.len());
        let select = format!(
            "select it.item_id, t.tag_id, t.name from item_tag it join tag t on t.tag_id = it.tag_id \
             where it.item_id in ({marks}) order by it.item_id, t.name_key"
        );
        let rows: Vec<Row> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &select);
            let mut query = sqlx::query_as(&sql);
            for item in items {
                query = query.bind(item.0);
            }
            query.fetch_all(pool).await.map_err(other)
        })?;
        let mut out: HashMap<ItemId, Vec<Tag>> = HashMap::new();
        for row in rows {
            out.entry(ItemId(row.item_id)).or_default().push(Tag {
                id: TagId(row.tag_id),
                name: row.name,
            });
        }
        Ok(out)
    }

    async fn recent_tags(&self, user: UserId, limit: i64) -> RepoResult<Vec<Tag>> {
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(
                all TagRow,
                pool,
                builder,
                "select t.tag_id, t.name from user_tag u join tag t on t.tag_id = u.tag_id \
                 where u.user_id = ? and u.used_at is not null order by u.used_at desc, t.tag_id desc limit ?",
                user.0,
                limit
            )
            .map_err(other)
        })?;
        Ok(tags(rows))
    }

    async fn common_tags(&self, user: UserId) -> RepoResult<Vec<Tag>> {
        let rows = on_pool!(self, read, |pool, builder| {
            fetch!(
                all TagRow,
                pool,
                builder,
                "select t.tag_id, t.name from user_tag u join tag t on t.tag_id = u.tag_id \
                 where u.user_id = ? and u.common_since is not null order by u.common_since, t.tag_id",
                user.0
            )
            .map_err(other)
        })?;
        Ok(tags(rows))
    }

    async fn set_common_tags(
        &self,
        enterprise: EnterpriseId,
        user: UserId,
        names: &[String],
        common: bool,
        at: i64,
    ) -> RepoResult<()> {
        let mut names: Vec<&String> = names.iter().collect();
        names.sort_by_key(|name| tag_key(name));
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            for name in names {
                if common {
                    let tag = ensure_tag!(tx, builder, enterprise.0, name, at);
                    exec!(
                        &mut *tx,
                        builder,
                        "insert into user_tag (user_id, tag_id, common_since) values (?, ?, ?) \
                         on conflict (user_id, tag_id) do update \
                         set common_since = coalesce(user_tag.common_since, excluded.common_since)",
                        user.0,
                        tag,
                        at
                    )
                    .map_err(other)?;
                } else {
                    exec!(
                        &mut *tx,
                        builder,
                        "update user_tag set common_since = null where user_id = ? and tag_id in \
                         (select tag_id from tag where enterprise_id = ? and name_key = ?)",
                        user.0,
                        enterprise.0,
                        tag_key(name)
                    )
                    .map_err(other)?;
                }
            }
            commit!(tx, builder)
        })
    }

    async fn tagged_items(
        &self,
        enterprise: EnterpriseId,
        tags: TagMatch<'_>,
        spaces: &[Space],
        limit: i64,
    ) -> RepoResult<Vec<ItemId>> {
        if spaces.is_empty() {
            return Ok(Vec::new());
        }
        let (condition, value) = match tags {
            TagMatch::Exactly(key) => ("t.name_key = ?", key.to_owned()),
            TagMatch::Containing(key) => ("t.name_key like ? escape '\\'", format!("%{}%", escape_like(key))),
        };
        let in_spaces = vec!["(i.space_kind = ? and i.space_id = ?)"; spaces.len()].join(" or ");
        let select = format!(
            "select it.item_id from item_tag it join tag t on t.tag_id = it.tag_id \
             join item i on i.item_id = it.item_id \
             where t.enterprise_id = ? and {condition} and i.trash_root_id is null and ({in_spaces}) \
             group by it.item_id order by max(it.tagged_at) desc, it.item_id desc limit ?"
        );
        let rows: Vec<(i64,)> = on_pool!(self, read, |pool, builder| {
            let sql = dialect(&builder(), &select);
            let mut query = sqlx::query_as(&sql).bind(enterprise.0).bind(&value);
            for space in spaces {
                let (kind, id) = space.to_parts();
                query = query.bind(kind).bind(id);
            }
            query.bind(limit).fetch_all(pool).await.map_err(other)
        })?;
        Ok(rows.into_iter().map(|(id,)| ItemId(id)).collect())
    }
}
