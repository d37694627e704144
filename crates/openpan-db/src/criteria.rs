//! `ListRepo`: lists filtered and ordered by checked criteria (`openpan_core::criteria`).
//!
//! Each list maps its field enum to a column expression here; conditions are rendered from
//! those expressions and bound values only, so nothing a caller typed becomes SQL text.

use async_trait::async_trait;
use sea_query::{
    Alias, Asterisk, Cond, Expr, Func, IntoColumnRef, LikeExpr, NullOrdering, Order, Query, SelectStatement, SimpleExpr,
};
use sea_query_binder::SqlxBinder;

use openpan_core::audit::StoredEvent;
use openpan_core::criteria::{
    AuditField, Cmp, Criteria, DepartmentField, Direction, Field, GroupField, ItemField, Test, UserField, Value,
};
use openpan_core::drive::Item;
use openpan_core::ids::{EnterpriseId, ItemId, UserId};
use openpan_core::model::{Page, User};
use openpan_core::org::{Department, Group};
use openpan_core::ports::{ListRepo, RepoResult};

use crate::errors::other;
use crate::pool::{SqlRepo, on_pool};
use crate::repo::{USER_COLUMN_NAMES, escape_like};

/// How a field appears in SQL.
enum Column {
    /// Compared, ordered and tested for null as it is.
    Plain(SimpleExpr),
    /// Text: compared as is, searched by `Contains` in its case-folded form.
    Text { exact: SimpleExpr, folded: SimpleExpr },
    /// "Belongs to": `outer` appears as `member` in rows of `table` whose `key` is the value.
    Member {
        table: &'static str,
        key: &'static str,
        member: &'static str,
        outer: SimpleExpr,
        /// A further condition on the membership rows (which of them the caller may see).
        only: Option<SimpleExpr>,
    },
}

impl Column {
    fn text(exact: SimpleExpr) -> Self {
        Column::Text {
            folded: Func::lower(exact.clone()).into(),
            exact,
        }
    }

    /// What the column is ordered by: text in its case-folded form, as it is searched.
    fn ordered(&self) -> Option<SimpleExpr> {
        match self {
            Column::Plain(expr) => Some(expr.clone()),
            Column::Text { folded, .. } => Some(folded.clone()),
            Column::Member { .. } => None,
        }
    }
}

fn col(table: &'static str, column: &'static str) -> SimpleExpr {
    Expr::col((Alias::new(table), Alias::new(column)).into_column_ref()).into()
}

fn bound(value: &Value) -> sea_query::Value {
    match value {
        Value::Int(number) => (*number).into(),
        Value::Text(text) => text.clone().into(),
        Value::Bool(flag) => (*flag).into(),
    }
}

/// Joins tests, all of which `render` made non-empty.
fn join(tests: &[Test], column: &Column, both: bool) -> SimpleExpr {
    tests
        .iter()
        .map(|test| render(column, test))
        .reduce(|left, right| if both { left.and(right) } else { left.or(right) })
        .unwrap_or_else(|| Expr::value(both))
}

fn render(column: &Column, test: &Test) -> SimpleExpr {
    let (exact, folded) = match column {
        Column::Plain(expr) => (expr, expr),
        Column::Text { exact, folded } => (exact, folded),
        Column::Member {
            table,
            key,
            member,
            outer,
            only,
        } => {
            return match test {
                Test::Any(values) => {
                    let mut belongs = Query::select()
                        .expr(Expr::value(1))
                        .from(Alias::new(*table))
                        .and_where(Expr::expr(col(table, member)).eq(outer.clone()))
                        .and_where(Expr::expr(col(table, key)).is_in(values.iter().map(bound)))
                        .to_owned();
                    if let Some(only) = only {
                        belongs.and_where(only.clone());
                    }
                    Expr::exists(belongs)
                }
                Test::Not(inner) => render(column, inner).not(),
                // The core lowers membership to `Any` and `Not(Any)` only.
                _ => Expr::value(false),
            };
        }
    };
    let exact = Expr::expr(exact.clone());
    match test {
        Test::Cmp(cmp, value) => {
            let value = bound(value);
            match cmp {
                Cmp::Eq => exact.eq(value),
                Cmp::Gt => exact.gt(value),
                Cmp::Ge => exact.gte(value),
                Cmp::Lt => exact.lt(value),
                Cmp::Le => exact.lte(value),
            }
        }
        Test::Any(values) => exact.is_in(values.iter().map(bound)),
        Test::Contains(needle) => {
            Expr::expr(folded.clone()).like(LikeExpr::new(format!("%{}%", escape_like(needle))).escape('\\'))
        }
        Test::All(tests) => join(tests, column, true),
        Test::Either(tests) => join(tests, column, false),
        // A row without the value is not equal to anything either.
        Test::Not(inner) => exact.clone().is_null().or(render(column, inner).not()),
    }
}

/// Adds `criteria`'s conditions and order to `select`, then `key` as the last order.
fn apply<F: Field>(
    select: &mut SelectStatement,
    criteria: &Criteria<F>,
    column: impl Fn(F) -> Column,
    key: SimpleExpr,
) {
    let mut all = Cond::all();
    for condition in &criteria.conditions {
        all = all.add(render(&column(condition.field), &condition.test));
    }
    select.cond_where(all);
    for (field, direction) in &criteria.order {
        if let Some(expr) = column(*field).ordered() {
            // Rows without the value come last either way, on both engines.
            let order = match direction {
                Direction::Asc => Order::Asc,
                Direction::Desc => Order::Desc,
            };
            select.order_by_expr_with_nulls(expr, order, NullOrdering::Last);
        }
    }
    select.order_by_expr(key, Order::Asc);
}

/// A row of a page with the size of the whole selection.
struct Counted<T> {
    row: T,
    total_count: i64,
}

impl<'r, R, T> sqlx::FromRow<'r, R> for Counted<T>
where
    R: sqlx::Row,
    T: sqlx::FromRow<'r, R>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    &'r str: sqlx::ColumnIndex<R>,
{
    fn from_row(row: &'r R) -> Result<Self, sqlx::Error> {
        Ok(Self {
            row: T::from_row(row)?,
            total_count: row.try_get("total_count")?,
        })
    }
}

impl SqlRepo {
    /// One page of `select`'s rows and how many it selects: the count rides along as a window
    /// over the same scan, so a filter no index serves is evaluated once.
    pub(crate) async fn counted_page<T>(&self, select: SelectStatement, page: Page) -> RepoResult<(Vec<T>, i64)>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let count = Query::select()
            .expr(Expr::col(Asterisk).count())
            .from_subquery(select.clone(), Alias::new("selection"))
            .to_owned();
        let mut list = select;
        list.expr_as(Expr::cust("count(*) over ()"), Alias::new("total_count"))
            .limit(page.capacity as u64)
            .offset(page.offset() as u64);
        on_pool!(self, read, |pool, builder| {
            let (sql, values) = list.build_sqlx(builder());
            let rows: Vec<Counted<T>> = sqlx::query_as_with(&sql, values).fetch_all(pool).await.map_err(other)?;
            let total = match rows.first() {
                Some(first) => first.total_count,
                None if page.offset() == 0 => 0,
                // A page past the end has no row to carry the count.
                None => {
                    let (sql, values) = count.build_sqlx(builder());
                    sqlx::query_scalar_with(&sql, values)
                        .fetch_one(pool)
                        .await
                        .map_err(other)?
                }
            };
            Ok((rows.into_iter().map(|counted| counted.row).collect(), total))
        })
    }
}

/// `group_member.group_id` is one of the groups `viewer` sees: visible ones and their own.
fn visible_groups(enterprise_id: EnterpriseId, viewer: UserId) -> SimpleExpr {
    let own = Query::select()
        .expr(Expr::value(1))
        .from_as(Alias::new("group_member"), Alias::new("own"))
        .and_where(Expr::expr(col("own", "group_id")).equals((Alias::new("user_group"), Alias::new("group_id"))))
        .and_where(Expr::expr(col("own", "user_id")).eq(viewer.0))
        .to_owned();
    let seen = Query::select()
        .expr(col("user_group", "group_id"))
        .from(Alias::new("user_group"))
        .and_where(Expr::expr(col("user_group", "enterprise_id")).eq(enterprise_id.0))
        .cond_where(
            Cond::any()
                .add(Expr::expr(col("user_group", "is_visible")).eq(true))
                .add(Expr::exists(own)),
        )
        .to_owned();
    Expr::expr(col("group_member", "group_id")).in_subquery(seen)
}

/// `select t.a, t.b, …` of one table's columns.
fn select_columns(table: &'static str, columns: &[&'static str]) -> SelectStatement {
    let mut select = Query::select();
    select.from(Alias::new(table));
    for column in columns {
        select.expr_as(col(table, column), Alias::new(*column));
    }
    select
}

const DEPARTMENT_COLUMNS: &[&str] = &[
    "department_id",
    "enterprise_id",
    "parent_id",
    "name",
    "director_id",
    "space_total",
    "space_used",
    "hide_phone",
    "disable_share",
    "enable_watermark",
    "collab_auto_accepted",
    "permission_type",
    "sort_order",
    "user_count",
    "children_count",
    "created_at",
];

const GROUP_COLUMNS: &[&str] = &[
    "group_id",
    "enterprise_id",
    "name",
    "description",
    "admin_user_id",
    "is_visible",
    "collab_auto_accepted",
    "user_count",
    "created_at",
];

const ITEM_COLUMNS: &[&str] = &[
    "item_id",
    "enterprise_id",
    "space_kind",
    "space_id",
    "is_folder",
    "parent_id",
    "name",
    "description",
    "size",
    "folder_count",
    "file_count",
    "owner_id",
    "created_by",
    "modified_by",
    "created_at",
    "modified_at",
    "sequence_id",
    "current_version_id",
    "trash_root_id",
    "trashed_at",
    "trashed_by",
    "comment_count",
];

const EVENT_COLUMNS: &[&str] = &[
    "event_id",
    "enterprise_id",
    "action",
    "operator_id",
    "app_id",
    "target_kind",
    "target_id",
    "target_name",
    "target_size",
    "department_id",
    "detail",
    "ip",
    "user_agent",
    "service",
    "created_at",
];

#[async_trait]
impl ListRepo for SqlRepo {
    async fn find_users(
        &self,
        enterprise_id: EnterpriseId,
        criteria: &Criteria<UserField>,
        viewer: Option<UserId>,
    ) -> RepoResult<(Vec<User>, i64)> {
        let user = |column| col("user_account", column);
        // A phone its owner hides is absent to the caller: not matched, not ordered by.
        let phone = if viewer.is_some() {
            Expr::case(Expr::expr(user("hide_phone")).eq(false), user("phone"))
                .finally(Expr::value(Option::<String>::None))
                .into()
        } else {
            user("phone")
        };
        let mut select = select_columns("user_account", &USER_COLUMN_NAMES);
        select
            .and_where(Expr::expr(user("enterprise_id")).eq(enterprise_id.0))
            .and_where(Expr::expr(user("deleted_at")).is_null());
        let column = |field| match field {
            UserField::UserId => Column::Plain(user("user_id")),
            UserField::UserName => Column::text(user("name")),
            UserField::Email => Column::text(user("email")),
            UserField::Phone => Column::text(phone.clone()),
            UserField::IsAdmin => Column::Plain(user("is_admin")),
            UserField::Active => Column::Plain(user("active")),
            UserField::DepartmentId => Column::Member {
                table: "department_user",
                key: "department_id",
                member: "user_id",
                outer: user("user_id"),
                only: None,
            },
            UserField::GroupId => Column::Member {
                table: "group_member",
                key: "group_id",
                member: "user_id",
                outer: user("user_id"),
                only: viewer.map(|viewer| visible_groups(enterprise_id, viewer)),
            },
            UserField::CreatedAt => Column::Plain(user("created_at")),
            UserField::LastLoginAt => Column::Plain(user("last_login_at")),
        };
        apply(&mut select, criteria, column, user("user_id"));
        let (rows, total) = self
            .counted_page::<crate::repo::UserRow>(select, criteria.window())
            .await?;
        Ok((rows.into_iter().map(User::from).collect(), total))
    }

    async fn find_departments(
        &self,
        enterprise_id: EnterpriseId,
        criteria: &Criteria<DepartmentField>,
    ) -> RepoResult<(Vec<Department>, i64)> {
        let department = |column| col("department", column);
        let mut select = select_columns("department", DEPARTMENT_COLUMNS);
        select.and_where(Expr::expr(department("enterprise_id")).eq(enterprise_id.0));
        let column = |field| match field {
            DepartmentField::DepartmentId => Column::Plain(department("department_id")),
            DepartmentField::DepartmentName => Column::Text {
                exact: department("name"),
                folded: department("name_key"),
            },
            DepartmentField::ParentId => Column::Plain(department("parent_id")),
            DepartmentField::DirectorId => Column::Plain(department("director_id")),
            DepartmentField::UserCount => Column::Plain(department("user_count")),
            DepartmentField::ChildrenCount => Column::Plain(department("children_count")),
            DepartmentField::CreatedAt => Column::Plain(department("created_at")),
        };
        apply(&mut select, criteria, column, department("department_id"));
        let (rows, total) = self
            .counted_page::<crate::org::DepartmentRow>(select, criteria.window())
            .await?;
        Ok((rows.into_iter().map(Department::from).collect(), total))
    }

    async fn find_groups(
        &self,
        enterprise_id: EnterpriseId,
        viewer: Option<UserId>,
        criteria: &Criteria<GroupField>,
    ) -> RepoResult<(Vec<Group>, i64)> {
        let group = |column| col("user_group", column);
        let mut select = select_columns("user_group", GROUP_COLUMNS);
        select.and_where(Expr::expr(group("enterprise_id")).eq(enterprise_id.0));
        if let Some(viewer) = viewer {
            let member = Query::select()
                .expr(Expr::value(1))
                .from(Alias::new("group_member"))
                .and_where(Expr::expr(col("group_member", "group_id")).eq(group("group_id")))
                .and_where(Expr::expr(col("group_member", "user_id")).eq(viewer.0))
                .to_owned();
            select.cond_where(
                Cond::any()
                    .add(Expr::expr(group("is_visible")).eq(true))
                    .add(Expr::exists(member)),
            );
        }
        let column = |field| match field {
            GroupField::GroupId => Column::Plain(group("group_id")),
            GroupField::GroupName => Column::Text {
                exact: group("name"),
                folded: group("name_key"),
            },
            GroupField::Description => Column::text(group("description")),
            GroupField::AdminUserId => Column::Plain(group("admin_user_id")),
            GroupField::UserCount => Column::Plain(group("user_count")),
            GroupField::IsVisible => Column::Plain(group("is_visible")),
            GroupField::CreatedAt => Column::Plain(group("created_at")),
        };
        apply(&mut select, criteria, column, group("group_id"));
        let (rows, total) = self
            .counted_page::<crate::org::GroupRow>(select, criteria.window())
            .await?;
        Ok((rows.into_iter().map(Group::from).collect(), total))
    }

    async fn find_children(&self, folder: ItemId, criteria: &Criteria<ItemField>) -> RepoResult<(Vec<Item>, i64)> {
        let item = |column| col("item", column);
        let mut select = select_columns("item", ITEM_COLUMNS);
        select
            .left_join(
                Alias::new("file_version"),
                Expr::expr(col("file_version", "version_id"))
                    .equals((Alias::new("item"), Alias::new("current_version_id"))),
            )
            .expr_as(col("file_version", "sha1"), Alias::new("sha1"))
            .and_where(Expr::expr(item("parent_id")).eq(folder.0))
            .and_where(Expr::expr(item("trash_root_id")).is_null());
        let column = |field| match field {
            ItemField::ItemId => Column::Plain(item("item_id")),
            ItemField::Name => Column::Text {
                exact: item("name"),
                folded: item("name_key"),
            },
            ItemField::Type => Column::Plain(Expr::case(Expr::expr(item("is_folder")).eq(true), 1).finally(0).into()),
            ItemField::Size => Column::Plain(item("size")),
            ItemField::Description => Column::text(item("description")),
            ItemField::OwnerId => Column::Plain(item("owner_id")),
            ItemField::ModifiedBy => Column::Plain(item("modified_by")),
            ItemField::CreatedAt => Column::Plain(item("created_at")),
            ItemField::ModifiedAt => Column::Plain(item("modified_at")),
        };
        apply(&mut select, criteria, column, item("item_id"));
        let (rows, total) = self
            .counted_page::<crate::drive::ItemRow>(select, criteria.window())
            .await?;
        let items = rows.into_iter().map(Item::try_from).collect::<RepoResult<Vec<_>>>()?;
        Ok((items, total))
    }

    async fn find_audit_events(
        &self,
        enterprise_id: EnterpriseId,
        criteria: &Criteria<AuditField>,
    ) -> RepoResult<(Vec<StoredEvent>, i64)> {
        let event = |column| col("audit_event", column);
        let mut select = select_columns("audit_event", EVENT_COLUMNS);
        select.and_where(Expr::expr(event("enterprise_id")).eq(enterprise_id.0));
        let column = |field| match field {
            AuditField::LogId => Column::Plain(event("event_id")),
            AuditField::ActionType => Column::Plain(event("action")),
            AuditField::OperatorId => Column::Plain(event("operator_id")),
            AuditField::AppId => Column::Plain(event("app_id")),
            AuditField::TargetId => Column::Plain(event("target_id")),
            AuditField::TargetName => Column::text(event("target_name")),
            AuditField::DepartmentId => Column::Plain(event("department_id")),
            AuditField::Ip => Column::text(event("ip")),
            AuditField::CreatedAt => Column::Plain(event("created_at")),
        };
        apply(&mut select, criteria, column, event("event_id"));
        let (rows, total) = self
            .counted_page::<crate::audit::EventRow>(select, criteria.window())
            .await?;
        Ok((rows.into_iter().map(StoredEvent::from).collect(), total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use openpan_core::criteria::ListRequest;

    fn sql(search: &str) -> String {
        let criteria = Criteria::<UserField>::parse(ListRequest {
            search: Some(search),
            ..ListRequest::default()
        })
        .unwrap();
        let mut select = Query::select();
        select.expr(Expr::value(1)).from(Alias::new("user_account"));
        let column = |field| match field {
            UserField::DepartmentId => Column::Member {
                table: "department_user",
                key: "department_id",
                member: "user_id",
                outer: col("user_account", "user_id"),
                only: None,
            },
            UserField::UserName => Column::text(col("user_account", "name")),
            _ => Column::Plain(col("user_account", "created_at")),
        };
        apply(&mut select, &criteria, column, col("user_account", "user_id"));
        select.to_string(sea_query::SqliteQueryBuilder)
    }

    #[test]
    fn negations_keep_rows_without_a_value_and_group_their_parts() {
        let rendered = sql(r#"{"created_at": [["2020-01-01", "2020-01-03"], "not_in"]}"#);
        assert!(
            rendered.contains(r#"WHERE "user_account"."created_at" IS NULL OR (NOT (("#),
            "{rendered}"
        );
    }

    #[test]
    fn each_condition_is_grouped_before_they_are_joined() {
        let rendered = sql(r#"{"created_at": ["2020-01-01", "!="], "user_name": ["a", "like"]}"#);
        assert!(
            rendered.contains(r#"WHERE ("user_account"."created_at" IS NULL OR (NOT ("#),
            "{rendered}"
        );
        assert!(
            rendered.contains(r#")) AND LOWER("user_account"."name") LIKE"#),
            "{rendered}"
        );
    }

    #[test]
    fn caller_text_is_bound_never_spliced() {
        let criteria = Criteria::<UserField>::parse(ListRequest {
            search: Some(r#"{"user_name": ["x' or '1'='1", "like"]}"#),
            ..ListRequest::default()
        })
        .unwrap();
        let mut select = Query::select();
        select.expr(Expr::value(1)).from(Alias::new("user_account"));
        apply(
            &mut select,
            &criteria,
            |_| Column::text(col("user_account", "name")),
            col("user_account", "user_id"),
        );
        let (statement, values) = select.build(sea_query::SqliteQueryBuilder);
        assert!(!statement.contains("'1'='1"), "{statement}");
        assert!(statement.contains("LIKE ? ESCAPE"), "{statement}");
        assert!(
            values.0.contains(&sea_query::Value::from("%x' or '1'='1%")),
            "{values:?}"
        );
    }

    #[test]
    fn membership_is_an_exists_over_the_membership_table() {
        let rendered = sql(r#"{"department_id": [[1, 2], "not_in"]}"#);
        assert!(
            rendered.contains(r#"NOT EXISTS(SELECT 1 FROM "department_user""#),
            "{rendered}"
        );
    }
}
