//! The port implementations. Each method builds its statements once; `on_pool!` compiles the
//! same code for both engines.

use async_trait::async_trait;
use sea_query::{Alias, Asterisk, Cond, Expr, Func, LikeExpr, Order, Query};
use sea_query_binder::SqlxBinder;

use openpan_core::RepoError;
use openpan_core::auth_service::EnterpriseProfile;
use openpan_core::error::ConflictKind;
use openpan_core::ids::{AppId, EnterpriseId, ItemId, TokenId, UserId};
use openpan_core::model::{self, AppStatus, NewToken, Page, Subject, TokenHashes, TokenRecord};
use openpan_core::ports::RotatedPair;
use openpan_core::ports::{
    AppRepo, EnterpriseRepo, Heir, NewApp, NewEnterprise, NewUser, RepoResult, TokenRepo, UserChanges, UserRepo,
};
use openpan_core::scope::Scopes;

use crate::batch::{Issue, Op, Rotate};
use crate::errors::{classify, other};
use crate::pool::{SqlRepo, commit, exec, execute, fetch, fetch_optional, fetch_scalar, on_pool};
use crate::schema::{App, Enterprise, OauthJti, OauthToken, RevocationEpoch, UserAccount, UserTicket};

#[derive(sqlx::FromRow)]
struct EnterpriseRow {
    enterprise_id: i64,
    name: String,
    short_name: String,
    admin_user_id: Option<i64>,
    created_at: i64,
    space_total: i64,
    space_used: i64,
    account_sync_enabled: bool,
    disable_share: bool,
    paid_until: Option<i64>,
    password_grant_enabled: bool,
}

impl From<EnterpriseRow> for model::Enterprise {
    fn from(row: EnterpriseRow) -> Self {
        Self {
            id: EnterpriseId(row.enterprise_id),
            name: row.name,
            short_name: row.short_name,
            admin_user_id: UserId(row.admin_user_id.unwrap_or_default()),
            created_at: row.created_at,
            space_total: row.space_total,
            space_used: row.space_used,
            account_sync_enabled: row.account_sync_enabled,
            disable_share: row.disable_share,
            paid_until: row.paid_until,
            password_grant_enabled: row.password_grant_enabled,
        }
    }
}

const ENTERPRISE_COLUMNS: [Enterprise; 11] = [
    Enterprise::EnterpriseId,
    Enterprise::Name,
    Enterprise::ShortName,
    Enterprise::AdminUserId,
    Enterprise::CreatedAt,
    Enterprise::SpaceTotal,
    Enterprise::SpaceUsed,
    Enterprise::AccountSyncEnabled,
    Enterprise::DisableShare,
    Enterprise::PaidUntil,
    Enterprise::PasswordGrantEnabled,
];

#[derive(sqlx::FromRow)]
pub(crate) struct UserRow {
    pub(crate) user_id: i64,
    enterprise_id: i64,
    name: String,
    email: Option<String>,
    phone: Option<String>,
    active: bool,
    is_admin: bool,
    hide_phone: bool,
    disable_download: bool,
    space_total: i64,
    space_used: i64,
    created_at: i64,
    last_login_at: Option<i64>,
    profile_pic_key: Option<String>,
}

impl From<UserRow> for model::User {
    fn from(row: UserRow) -> Self {
        Self {
            id: UserId(row.user_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            name: row.name,
            email: row.email,
            phone: row.phone,
            active: row.active,
            is_admin: row.is_admin,
            hide_phone: row.hide_phone,
            disable_download: row.disable_download,
            space_total: row.space_total,
            space_used: row.space_used,
            created_at: row.created_at,
            last_login_at: row.last_login_at,
            profile_pic_key: row.profile_pic_key,
        }
    }
}

/// [`UserRow`]'s columns qualified by a table alias, for raw SQL joins.
pub(crate) fn user_columns_of(alias: &str) -> String {
    USER_COLUMN_NAMES.map(|column| format!("{alias}.{column}")).join(", ")
}

/// [`UserRow`]'s columns by name.
pub(crate) const USER_COLUMN_NAMES: [&str; 14] = [
    "user_id",
    "enterprise_id",
    "name",
    "email",
    "phone",
    "active",
    "is_admin",
    "hide_phone",
    "disable_download",
    "space_total",
    "space_used",
    "created_at",
    "last_login_at",
    "profile_pic_key",
];

const USER_COLUMNS: [UserAccount; 14] = [
    UserAccount::UserId,
    UserAccount::EnterpriseId,
    UserAccount::Name,
    UserAccount::Email,
    UserAccount::Phone,
    UserAccount::Active,
    UserAccount::IsAdmin,
    UserAccount::HidePhone,
    UserAccount::DisableDownload,
    UserAccount::SpaceTotal,
    UserAccount::SpaceUsed,
    UserAccount::CreatedAt,
    UserAccount::LastLoginAt,
    UserAccount::ProfilePicKey,
];

#[derive(sqlx::FromRow)]
pub(crate) struct AppRow {
    app_id: i64,
    enterprise_id: i64,
    name: String,
    client_id: String,
    client_secret_hash: Vec<u8>,
    callback_url: Option<String>,
    status: String,
    created_at: i64,
    user_field: String,
    client_type: String,
    redirect_uris: String,
    allowed_scopes: Option<String>,
    previous_secret_hash: Option<Vec<u8>>,
    previous_secret_until: Option<i64>,
    jwt_public_key: Option<String>,
    jwt_key_id: Option<String>,
}

impl TryFrom<AppRow> for model::App {
    type Error = RepoError;

    fn try_from(row: AppRow) -> Result<Self, RepoError> {
        let status = AppStatus::parse(&row.status).ok_or_else(|| {
            RepoError::Other(format!("app {} has unknown status {:?}", row.app_id, row.status).into())
        })?;
        Ok(Self {
            id: AppId(row.app_id),
            enterprise_id: EnterpriseId(row.enterprise_id),
            name: row.name,
            client_id: row.client_id,
            client_secret_hash: row.client_secret_hash,
            callback_url: row.callback_url,
            status,
            created_at: row.created_at,
            // A value this build does not know (written by a newer one) falls back to the
            // default rather than locking the app out.
            user_field: model::UserField::parse(&row.user_field).unwrap_or_default(),
            // An unknown kind is treated as public: it then needs PKCE and gets no secret checks.
            client_type: model::ClientType::parse(&row.client_type).unwrap_or(model::ClientType::Public),
            redirect_uris: row
                .redirect_uris
                .lines()
                .filter(|uri| !uri.is_empty())
                .map(str::to_owned)
                .collect(),
            allowed_scopes: row.allowed_scopes.as_deref().map(Scopes::parse_stored),
            previous_secret_hash: row.previous_secret_hash,
            previous_secret_until: row.previous_secret_until,
            jwt_public_key: row.jwt_public_key,
            jwt_key_id: row.jwt_key_id,
        })
    }
}

pub(crate) const APP_COLUMNS: [App; 16] = [
    App::AppId,
    App::EnterpriseId,
    App::Name,
    App::ClientId,
    App::ClientSecretHash,
    App::CallbackUrl,
    App::Status,
    App::CreatedAt,
    App::UserField,
    App::ClientType,
    App::RedirectUris,
    App::AllowedScopes,
    App::PreviousSecretHash,
    App::PreviousSecretUntil,
    App::JwtPublicKey,
    App::JwtKeyId,
];

#[derive(sqlx::FromRow)]
struct TokenRow {
    token_id: i64,
    app_id: i64,
    enterprise_id: i64,
    user_id: Option<i64>,
    access_hash: Vec<u8>,
    refresh_hash: Option<Vec<u8>>,
    access_expires_at: i64,
    refresh_expires_at: i64,
    scope: Option<String>,
    root_item_id: Option<i64>,
    acting_user_id: Option<i64>,
    family_id: Option<i64>,
}

impl From<TokenRow> for TokenRecord {
    fn from(row: TokenRow) -> Self {
        let enterprise_id = EnterpriseId(row.enterprise_id);
        let subject = match row.user_id {
            Some(user_id) => Subject::User(enterprise_id, UserId(user_id)),
            None => Subject::Enterprise(enterprise_id),
        };
        Self {
            token_id: TokenId(row.token_id),
            app_id: AppId(row.app_id),
            subject,
            access_hash: row.access_hash,
            refresh_hash: row.refresh_hash,
            access_expires_at: row.access_expires_at,
            refresh_expires_at: row.refresh_expires_at,
            scopes: token_scopes(row.scope.as_deref(), subject),
            root: row.root_item_id.map(ItemId),
            acting: row.acting_user_id.map(UserId),
            family: TokenId(row.family_id.unwrap_or(row.token_id)),
        }
    }
}

/// A token's stored scope, or the whole of its kind when it has none.
pub(crate) fn token_scopes(stored: Option<&str>, subject: Subject) -> Scopes {
    match (stored, subject) {
        (Some(text), _) => Scopes::parse_stored(text),
        (None, Subject::Enterprise(_)) => Scopes::enterprise_default(),
        (None, Subject::User(..)) => Scopes::user_default(),
    }
}

const TOKEN_COLUMNS: [OauthToken; 12] = [
    OauthToken::TokenId,
    OauthToken::AppId,
    OauthToken::EnterpriseId,
    OauthToken::UserId,
    OauthToken::AccessHash,
    OauthToken::RefreshHash,
    OauthToken::AccessExpiresAt,
    OauthToken::RefreshExpiresAt,
    OauthToken::Scope,
    OauthToken::RootItemId,
    OauthToken::ActingUserId,
    OauthToken::FamilyId,
];

fn user_by_id(id: UserId) -> sea_query::SelectStatement {
    Query::select()
        .columns(USER_COLUMNS.map(|column| (UserAccount::Table, column)))
        .from(UserAccount::Table)
        .and_where(Expr::col((UserAccount::Table, UserAccount::UserId)).eq(id.0))
        .and_where(Expr::col((UserAccount::Table, UserAccount::DeletedAt)).is_null())
        .to_owned()
}

#[derive(sqlx::FromRow)]
struct UserRecordRow {
    #[sqlx(flatten)]
    user: UserRow,
    deleted_at: Option<i64>,
}

/// A profile picture's storage key, as one column (a named alias, since formatting a macro
/// call turns a bare one-element tuple into a parenthesised type).
type StorageKeyRow = (Option<String>,);

/// A user row joined with its enterprise; the enterprise's columns are aliased because both
/// tables have `name` and `created_at`.
#[derive(sqlx::FromRow)]
struct UserWithEnterpriseRow {
    #[sqlx(flatten)]
    user: UserRow,
    enterprise_name: String,
    enterprise_short_name: String,
    enterprise_admin_user_id: Option<i64>,
    enterprise_created_at: i64,
    enterprise_space_total: i64,
    enterprise_space_used: i64,
    enterprise_account_sync_enabled: bool,
    enterprise_disable_share: bool,
    enterprise_paid_until: Option<i64>,
    enterprise_password_grant_enabled: bool,
}

impl From<UserWithEnterpriseRow> for model::UserWithEnterprise {
    fn from(row: UserWithEnterpriseRow) -> Self {
        let enterprise = EnterpriseRow {
            enterprise_id: row.user.enterprise_id,
            name: row.enterprise_name,
            short_name: row.enterprise_short_name,
            admin_user_id: row.enterprise_admin_user_id,
            created_at: row.enterprise_created_at,
            space_total: row.enterprise_space_total,
            space_used: row.enterprise_space_used,
            account_sync_enabled: row.enterprise_account_sync_enabled,
            disable_share: row.enterprise_disable_share,
            paid_until: row.enterprise_paid_until,
            password_grant_enabled: row.enterprise_password_grant_enabled,
        };
        Self {
            user: row.user.into(),
            enterprise: enterprise.into(),
        }
    }
}

pub(crate) fn insert_user(new: &NewUser, enterprise_id: EnterpriseId) -> sea_query::InsertStatement {
    Query::insert()
        .into_table(UserAccount::Table)
        .columns([
            UserAccount::EnterpriseId,
            UserAccount::Name,
            UserAccount::Email,
            UserAccount::Phone,
            UserAccount::PasswordHash,
            UserAccount::Active,
            UserAccount::IsAdmin,
            UserAccount::HidePhone,
            UserAccount::DisableDownload,
            UserAccount::SpaceTotal,
            UserAccount::CreatedAt,
        ])
        .values_panic([
            enterprise_id.0.into(),
            new.name.clone().into(),
            new.email.clone().into(),
            new.phone.clone().into(),
            new.password_hash.clone().into(),
            new.active.into(),
            new.is_admin.into(),
            new.hide_phone.into(),
            new.disable_download.into(),
            new.space_total.into(),
            new.created_at.into(),
        ])
        .returning(Query::returning().columns(USER_COLUMNS))
        .to_owned()
}

/// One multi-row insert of token pairs.
/// Which of these apps are active, their rows locked against status changes until commit
/// (PostgreSQL; SQLite has one writer).
pub(crate) fn active_apps(ids: impl IntoIterator<Item = i64>) -> sea_query::SelectStatement {
    let ids: std::collections::HashSet<i64> = ids.into_iter().collect();
    Query::select()
        .column(App::AppId)
        .from(App::Table)
        .and_where(Expr::col(App::AppId).is_in(ids))
        .and_where(Expr::col(App::Status).eq(AppStatus::Active.as_str()))
        .lock_shared()
        .to_owned()
}

pub(crate) fn insert_tokens(tokens: &[&NewToken]) -> sea_query::InsertStatement {
    let mut insert = Query::insert()
        .into_table(OauthToken::Table)
        .columns([
            OauthToken::AppId,
            OauthToken::EnterpriseId,
            OauthToken::UserId,
            OauthToken::AccessHash,
            OauthToken::RefreshHash,
            OauthToken::AccessExpiresAt,
            OauthToken::RefreshExpiresAt,
            OauthToken::CreatedAt,
            OauthToken::Scope,
            OauthToken::FamilyId,
            OauthToken::RootItemId,
            OauthToken::ActingUserId,
        ])
        .to_owned();
    for token in tokens {
        let user_id = match token.subject {
            Subject::User(_, user_id) => Some(user_id.0),
            Subject::Enterprise(_) => None,
        };
        insert.values_panic([
            token.app_id.0.into(),
            token.subject.enterprise_id().0.into(),
            user_id.into(),
            token.secrets.access_hash.clone().into(),
            token.secrets.refresh_hash.clone().into(),
            token.secrets.access_expires_at.into(),
            token.secrets.refresh_expires_at.into(),
            token.secrets.created_at.into(),
            token.scopes.map(|scopes| scopes.to_string()).into(),
            token.family.map(|family| family.0).into(),
            token.root.map(|root| root.0).into(),
            token.acting.map(|user| user.0).into(),
        ]);
    }
    insert
}

/// Bumps the revocation counter; part of every transaction that revokes access.
impl SqlRepo {
    /// Runs one update of a single row and bumps the revocation epoch with it, so every node
    /// drops its cached copy; `NotFound` when the row is gone.
    pub(crate) async fn update_and_bump(&self, update: sea_query::UpdateStatement) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            if execute!(&mut *tx, builder, update)?.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            commit!(tx, builder)
        })
    }
}

pub(crate) fn bump_revocation_epoch() -> sea_query::UpdateStatement {
    Query::update()
        .table(RevocationEpoch::Table)
        .value(RevocationEpoch::Seq, Expr::col(RevocationEpoch::Seq).add(1))
        .and_where(Expr::col(RevocationEpoch::EpochId).eq(1))
        .to_owned()
}

/// Marks every cached listing of the user's enterprise stale: listings name items' owners and
/// last modifiers, so a change to who a user is (name, login, existence) changes them.
pub(crate) fn bump_directory_generation(user: i64) -> sea_query::UpdateStatement {
    Query::update()
        .table(Enterprise::Table)
        .value(
            Enterprise::DirectoryGeneration,
            Expr::col(Enterprise::DirectoryGeneration).add(1),
        )
        .and_where(
            Expr::col(Enterprise::EnterpriseId).in_subquery(
                Query::select()
                    .column(UserAccount::EnterpriseId)
                    .from(UserAccount::Table)
                    .and_where(Expr::col(UserAccount::UserId).eq(user))
                    .to_owned(),
            ),
        )
        .to_owned()
}

/// Marks a live user deleted and inactive.
pub(crate) fn mark_user_deleted(id: UserId, at: i64) -> sea_query::UpdateStatement {
    Query::update()
        .table(UserAccount::Table)
        .value(UserAccount::DeletedAt, at)
        .value(UserAccount::Active, false)
        .and_where(Expr::col(UserAccount::UserId).eq(id.0))
        .and_where(Expr::col(UserAccount::DeletedAt).is_null())
        .to_owned()
}

/// `s` with LIKE's wildcards and the escape character escaped by `\`.
pub(crate) fn escape_like(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

pub(crate) fn delete_tokens_where(column: OauthToken, id: i64) -> sea_query::DeleteStatement {
    Query::delete()
        .from_table(OauthToken::Table)
        .and_where(Expr::col(column).eq(id))
        .to_owned()
}

#[async_trait]
impl EnterpriseRepo for SqlRepo {
    #[tracing::instrument(skip_all)]
    async fn create_enterprise(&self, new: NewEnterprise) -> RepoResult<(model::Enterprise, model::User)> {
        let insert_enterprise = Query::insert()
            .into_table(Enterprise::Table)
            .columns([Enterprise::Name, Enterprise::ShortName, Enterprise::CreatedAt])
            .values_panic([
                new.name.clone().into(),
                new.short_name.clone().into(),
                new.created_at.into(),
            ])
            .returning_col(Enterprise::EnterpriseId)
            .to_owned();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let (sql, values) = insert_enterprise.build_sqlx(builder());
            let enterprise_id: i64 = sqlx::query_scalar_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| classify(err, Some(ConflictKind::EnterpriseShortName)))?;
            let (sql, values) = insert_user(&new.admin, EnterpriseId(enterprise_id)).build_sqlx(builder());
            let admin: UserRow = sqlx::query_as_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| classify(err, Some(ConflictKind::UserLogin)))?;
            let (sql, values) = Query::update()
                .table(Enterprise::Table)
                .value(Enterprise::AdminUserId, admin.user_id)
                .and_where(Expr::col(Enterprise::EnterpriseId).eq(enterprise_id))
                .returning(Query::returning().columns(ENTERPRISE_COLUMNS))
                .to_owned()
                .build_sqlx(builder());
            let enterprise: EnterpriseRow = sqlx::query_as_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
            commit!(tx, builder)?;
            Ok((enterprise.into(), admin.into()))
        })
    }

    async fn find_enterprise(&self, id: EnterpriseId) -> RepoResult<Option<model::Enterprise>> {
        let query = Query::select()
            .columns(ENTERPRISE_COLUMNS)
            .from(Enterprise::Table)
            .and_where(Expr::col(Enterprise::EnterpriseId).eq(id.0))
            .to_owned();
        Ok(fetch_optional!(self, query => EnterpriseRow)?.map(Into::into))
    }

    async fn count_enterprises(&self) -> RepoResult<i64> {
        let query = Query::select()
            .expr(Expr::col(Asterisk).count())
            .from(Enterprise::Table)
            .to_owned();
        fetch_scalar!(self, query)
    }

    async fn find_enterprise_profile(&self, id: EnterpriseId) -> RepoResult<EnterpriseProfile> {
        let row = on_pool!(self, read, |pool, builder| {
            fetch!(
                optional ProfileRow,
                pool,
                builder,
                "select company_type, tax_number, province, city, zone, address, tel_phone, \
                 legal_person_phone, legal_person_name from enterprise_profile where enterprise_id = ?",
                id.0
            )
            .map_err(other)
        })?;
        Ok(row.map(Into::into).unwrap_or_default())
    }

    async fn update_enterprise_profile(&self, id: EnterpriseId, profile: &EnterpriseProfile) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            exec!(
                &mut *tx,
                builder,
                "insert into enterprise_profile (enterprise_id, company_type, tax_number, province, city, zone, \
                 address, tel_phone, legal_person_phone, legal_person_name) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 on conflict (enterprise_id) do update set company_type = excluded.company_type, \
                 tax_number = excluded.tax_number, province = excluded.province, city = excluded.city, \
                 zone = excluded.zone, address = excluded.address, tel_phone = excluded.tel_phone, \
                 legal_person_phone = excluded.legal_person_phone, legal_person_name = excluded.legal_person_name",
                id.0,
                &profile.company_type,
                &profile.tax_number,
                &profile.province,
                &profile.city,
                &profile.zone,
                &profile.address,
                &profile.tel_phone,
                &profile.legal_person_phone,
                &profile.legal_person_name
            )
            .map_err(other)?;
            commit!(tx, builder)
        })
    }
}

#[derive(sqlx::FromRow)]
struct ProfileRow {
    company_type: String,
    tax_number: String,
    province: String,
    city: String,
    zone: String,
    address: String,
    tel_phone: String,
    legal_person_phone: String,
    legal_person_name: String,
}

impl From<ProfileRow> for EnterpriseProfile {
    fn from(row: ProfileRow) -> Self {
        EnterpriseProfile {
            company_type: row.company_type,
            tax_number: row.tax_number,
            province: row.province,
            city: row.city,
            zone: row.zone,
            address: row.address,
            tel_phone: row.tel_phone,
            legal_person_phone: row.legal_person_phone,
            legal_person_name: row.legal_person_name,
        }
    }
}

#[async_trait]
impl UserRepo for SqlRepo {
    #[tracing::instrument(skip_all)]
    async fn create_user(&self, new: NewUser) -> RepoResult<model::User> {
        let insert = insert_user(&new, new.enterprise_id);
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let (sql, values) = insert.build_sqlx(builder());
            let row: UserRow = sqlx::query_as_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(|err| classify(err, Some(ConflictKind::UserLogin)))?;
            let created = row.user_id;
            commit!(tx, builder, Some(created))?;
            Ok(row.into())
        })
    }

    async fn find_user(&self, id: UserId) -> RepoResult<Option<model::User>> {
        let query = user_by_id(id);
        Ok(fetch_optional!(self, query => UserRow)?.map(Into::into))
    }

    async fn list_users_by_id(&self, ids: &[UserId]) -> RepoResult<Vec<model::User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let query = Query::select()
            .columns(USER_COLUMNS)
            .from(UserAccount::Table)
            .and_where(Expr::col(UserAccount::UserId).is_in(ids.iter().map(|id| id.0)))
            .to_owned();
        let rows = on_pool!(self, read, |pool, builder| {
            let (sql, values) = query.build_sqlx(builder());
            sqlx::query_as_with::<_, UserRow, _>(&sql, values)
                .fetch_all(pool)
                .await
                .map_err(other)
        })?;
        Ok(rows.into_iter().map(Into::into).collect())
    }

    async fn find_user_with_enterprise(&self, id: UserId) -> RepoResult<Option<model::UserWithEnterprise>> {
        let mut query = user_by_id(id);
        for (column, alias) in [
            (Enterprise::Name, "enterprise_name"),
            (Enterprise::ShortName, "enterprise_short_name"),
            (Enterprise::AdminUserId, "enterprise_admin_user_id"),
            (Enterprise::CreatedAt, "enterprise_created_at"),
            (Enterprise::SpaceTotal, "enterprise_space_total"),
            (Enterprise::SpaceUsed, "enterprise_space_used"),
            (Enterprise::AccountSyncEnabled, "enterprise_account_sync_enabled"),
            (Enterprise::DisableShare, "enterprise_disable_share"),
            (Enterprise::PaidUntil, "enterprise_paid_until"),
            (Enterprise::PasswordGrantEnabled, "enterprise_password_grant_enabled"),
        ] {
            query.expr_as(Expr::col((Enterprise::Table, column)), Alias::new(alias));
        }
        let query = query
            .inner_join(
                Enterprise::Table,
                Expr::col((Enterprise::Table, Enterprise::EnterpriseId))
                    .equals((UserAccount::Table, UserAccount::EnterpriseId)),
            )
            .to_owned();
        Ok(fetch_optional!(self, query => UserWithEnterpriseRow)?.map(Into::into))
    }

    async fn find_user_by_login(&self, enterprise_id: EnterpriseId, login: &str) -> RepoResult<Option<model::User>> {
        let query = Query::select()
            .columns(USER_COLUMNS)
            .from(UserAccount::Table)
            .and_where(Expr::col(UserAccount::EnterpriseId).eq(enterprise_id.0))
            .and_where(Expr::col(UserAccount::DeletedAt).is_null())
            .cond_where(
                Cond::any()
                    .add(Expr::col(UserAccount::Email).eq(login.to_lowercase()))
                    .add(Expr::col(UserAccount::Phone).eq(login)),
            )
            .limit(1)
            .to_owned();
        Ok(fetch_optional!(self, query => UserRow)?.map(Into::into))
    }

    async fn find_user_by_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        ticket: &str,
    ) -> RepoResult<Option<model::User>> {
        let query = Query::select()
            .columns(USER_COLUMNS.map(|column| (UserAccount::Table, column)))
            .from(UserTicket::Table)
            .inner_join(
                UserAccount::Table,
                Expr::col((UserAccount::Table, UserAccount::UserId)).equals((UserTicket::Table, UserTicket::UserId)),
            )
            .and_where(Expr::col((UserTicket::Table, UserTicket::EnterpriseId)).eq(enterprise_id.0))
            .and_where(Expr::col((UserTicket::Table, UserTicket::PlatformId)).eq(platform_id))
            .and_where(Expr::col((UserTicket::Table, UserTicket::CustomId)).eq(ticket))
            .and_where(Expr::col((UserAccount::Table, UserAccount::DeletedAt)).is_null())
            .to_owned();
        Ok(fetch_optional!(self, query => UserRow)?.map(Into::into))
    }

    async fn create_user_ticket(
        &self,
        enterprise_id: EnterpriseId,
        platform_id: i64,
        ticket: &str,
        user_id: UserId,
    ) -> RepoResult<()> {
        let insert = Query::insert()
            .into_table(UserTicket::Table)
            .columns([
                UserTicket::EnterpriseId,
                UserTicket::PlatformId,
                UserTicket::CustomId,
                UserTicket::UserId,
            ])
            .values_panic([
                enterprise_id.0.into(),
                platform_id.into(),
                ticket.into(),
                user_id.0.into(),
            ])
            .to_owned();
        on_pool!(self, write, |pool, builder| {
            let (sql, values) = insert.build_sqlx(builder());
            sqlx::query_with(&sql, values)
                .execute(pool)
                .await
                .map_err(|err| classify(err, Some(ConflictKind::UserTicket)))?;
            Ok(())
        })
    }

    async fn list_users(&self, enterprise_id: EnterpriseId, page: Page) -> RepoResult<(Vec<model::User>, i64)> {
        let filter = Cond::all()
            .add(Expr::col(UserAccount::EnterpriseId).eq(enterprise_id.0))
            .add(Expr::col(UserAccount::DeletedAt).is_null());
        self.user_page(filter, &[UserAccount::UserId], page).await
    }

    #[tracing::instrument(skip_all)]
    async fn set_profile_pic(
        &self,
        user: UserId,
        key: &str,
        storage_key: &str,
        content_type: &str,
    ) -> RepoResult<Option<String>> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let old = crate::pool::fetch!(
                optional StorageKeyRow,
                &mut *tx,
                builder,
                "select profile_pic_storage_key from user_account where user_id = ? and deleted_at is null",
                user.0
            )
            .map_err(other)?
            .ok_or(RepoError::NotFound)?
            .0;
            crate::pool::exec!(
                &mut *tx,
                builder,
                "update user_account set profile_pic_key = ?, profile_pic_storage_key = ?, profile_pic_type = ? \
                 where user_id = ?",
                key,
                storage_key,
                content_type,
                user.0
            )
            .map_err(other)?;
            // Every node's cached record of the user carries the key.
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            commit!(tx, builder)?;
            Ok(old)
        })
    }

    async fn find_profile_pic(&self, user: UserId) -> RepoResult<Option<(String, String, String)>> {
        let row = on_pool!(self, read, |pool, builder| {
            crate::pool::fetch!(
                optional(Option<String>, Option<String>, Option<String>),
                pool,
                builder,
                "select profile_pic_key, profile_pic_storage_key, profile_pic_type from user_account \
                 where user_id = ? and deleted_at is null",
                user.0
            )
            .map_err(other)
        })?;
        Ok(row.and_then(|(key, storage, kind)| Some((key?, storage?, kind?))))
    }

    async fn find_user_record(&self, id: UserId) -> RepoResult<Option<(model::User, Option<i64>)>> {
        let query = Query::select()
            .columns(USER_COLUMNS)
            .column(UserAccount::DeletedAt)
            .from(UserAccount::Table)
            .and_where(Expr::col(UserAccount::UserId).eq(id.0))
            .to_owned();
        let row = fetch_optional!(self, query => UserRecordRow)?;
        Ok(row.map(|row| (row.user.into(), row.deleted_at)))
    }

    #[tracing::instrument(skip_all)]
    async fn update_user(&self, id: UserId, changes: UserChanges) -> RepoResult<model::User> {
        let mut update = Query::update();
        update.table(UserAccount::Table);
        if let Some(name) = changes.name {
            update.value(UserAccount::Name, name);
        }
        if let Some(space_total) = changes.space_total {
            update.value(UserAccount::SpaceTotal, space_total);
        }
        if let Some(hide_phone) = changes.hide_phone {
            update.value(UserAccount::HidePhone, hide_phone);
        }
        if let Some(disable_download) = changes.disable_download {
            update.value(UserAccount::DisableDownload, disable_download);
        }
        // Always set something, so an empty change still answers the current record.
        update
            .value(UserAccount::UserId, Expr::col(UserAccount::UserId))
            .and_where(Expr::col(UserAccount::UserId).eq(id.0))
            .and_where(Expr::col(UserAccount::DeletedAt).is_null())
            .returning(Query::returning().columns(USER_COLUMNS));
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let (sql, values) = update.build_sqlx(builder());
            let row: Option<UserRow> = sqlx::query_as_with(&sql, values)
                .fetch_optional(&mut *tx)
                .await
                .map_err(other)?;
            let row = row.ok_or(RepoError::NotFound)?;
            // Other nodes keep user records in their token-check caches, and listings name users.
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            execute!(&mut *tx, builder, bump_directory_generation(id.0))?;
            commit!(tx, builder)?;
            Ok(row.into())
        })
    }

    async fn search_users(
        &self,
        enterprise_id: EnterpriseId,
        words: Option<&str>,
        page: Page,
    ) -> RepoResult<(Vec<model::User>, i64)> {
        let mut filter = Cond::all()
            .add(Expr::col(UserAccount::EnterpriseId).eq(enterprise_id.0))
            .add(Expr::col(UserAccount::DeletedAt).is_null());
        if let Some(words) = words {
            let pattern = format!("%{}%", escape_like(&words.to_lowercase()));
            let like = |column: UserAccount| {
                Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern.clone()).escape('\\'))
            };
            filter = filter.add(
                Cond::any()
                    .add(like(UserAccount::Name))
                    .add(like(UserAccount::Email))
                    .add(like(UserAccount::Phone)),
            );
        }
        self.user_page(filter, &[UserAccount::Name, UserAccount::UserId], page)
            .await
    }

    #[tracing::instrument(skip_all)]
    async fn delete_user(&self, id: UserId, heir: Option<Heir>, at: i64) -> RepoResult<()> {
        self.delete_user_handing_over(id, heir, at).await
    }
}

impl SqlRepo {
    /// One page of the users `filter` selects, in `order`, and how many it selects.
    async fn user_page(&self, filter: Cond, order: &[UserAccount], page: Page) -> RepoResult<(Vec<model::User>, i64)> {
        let mut list = Query::select();
        list.columns(USER_COLUMNS).from(UserAccount::Table).cond_where(filter);
        for column in order {
            list.order_by(*column, Order::Asc);
        }
        let (rows, total) = self.counted_page::<UserRow>(list, page).await?;
        Ok((rows.into_iter().map(model::User::from).collect(), total))
    }
}

#[async_trait]
impl AppRepo for SqlRepo {
    #[tracing::instrument(skip_all)]
    async fn create_app(&self, new: NewApp) -> RepoResult<model::App> {
        let insert = Query::insert()
            .into_table(App::Table)
            .columns([
                App::EnterpriseId,
                App::Name,
                App::ClientId,
                App::ClientSecretHash,
                App::CallbackUrl,
                App::Status,
                App::CreatedAt,
                App::ClientType,
                App::RedirectUris,
                App::AllowedScopes,
            ])
            .values_panic([
                new.enterprise_id.0.into(),
                new.name.into(),
                new.client_id.into(),
                new.client_secret_hash.into(),
                new.callback_url.into(),
                AppStatus::Active.as_str().into(),
                new.created_at.into(),
                new.client_type.as_str().into(),
                new.redirect_uris.join("\n").into(),
                new.allowed_scopes.map(|scopes| scopes.to_string()).into(),
            ])
            .returning(Query::returning().columns(APP_COLUMNS))
            .to_owned();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let (sql, values) = insert.build_sqlx(builder());
            let row: AppRow = sqlx::query_as_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
            commit!(tx, builder, Some(row.app_id))?;
            row.try_into()
        })
    }

    async fn find_app_by_client_id(&self, client_id: &str) -> RepoResult<Option<model::App>> {
        let query = Query::select()
            .columns(APP_COLUMNS)
            .from(App::Table)
            .and_where(Expr::col(App::ClientId).eq(client_id))
            .to_owned();
        fetch_optional!(self, query => AppRow)?
            .map(TryInto::try_into)
            .transpose()
    }

    async fn find_app(&self, id: AppId) -> RepoResult<Option<model::App>> {
        let query = Query::select()
            .columns(APP_COLUMNS)
            .from(App::Table)
            .and_where(Expr::col(App::AppId).eq(id.0))
            .to_owned();
        fetch_optional!(self, query => AppRow)?
            .map(TryInto::try_into)
            .transpose()
    }

    #[tracing::instrument(skip_all)]
    async fn update_app_status(&self, id: AppId, status: AppStatus) -> RepoResult<()> {
        let update = Query::update()
            .table(App::Table)
            .value(App::Status, status.as_str())
            .and_where(Expr::col(App::AppId).eq(id.0))
            .to_owned();
        let revoke = (status != AppStatus::Active).then(|| delete_tokens_where(OauthToken::AppId, id.0));
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let updated = execute!(&mut *tx, builder, update)?;
            if updated.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            if let Some(revoke) = &revoke {
                execute!(&mut *tx, builder, revoke)?;
            }
            // Every status change, re-enabling too, invalidates nodes' cached copies of the app.
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            commit!(tx, builder)
        })
    }

    async fn update_app_settings(&self, app: &model::App, revoke_tokens: bool) -> RepoResult<()> {
        let update = Query::update()
            .table(App::Table)
            .value(App::Name, app.name.clone())
            .value(App::RedirectUris, app.redirect_uris.join("\n"))
            .value(App::AllowedScopes, app.allowed_scopes.map(|scopes| scopes.to_string()))
            .value(App::JwtPublicKey, app.jwt_public_key.clone())
            .value(App::JwtKeyId, app.jwt_key_id.clone())
            .and_where(Expr::col(App::AppId).eq(app.id.0))
            .to_owned();
        let revoke = revoke_tokens.then(|| delete_tokens_where(OauthToken::AppId, app.id.0));
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            if execute!(&mut *tx, builder, update)?.rows_affected() == 0 {
                return Err(RepoError::NotFound);
            }
            if let Some(revoke) = &revoke {
                execute!(&mut *tx, builder, revoke)?;
            }
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            commit!(tx, builder)
        })
    }

    async fn rotate_app_secret(&self, id: AppId, secret_hash: &[u8], until: i64) -> RepoResult<()> {
        let update = Query::update()
            .table(App::Table)
            .value(App::PreviousSecretHash, Expr::col(App::ClientSecretHash))
            .value(App::PreviousSecretUntil, until)
            .value(App::ClientSecretHash, secret_hash.to_vec())
            .and_where(Expr::col(App::AppId).eq(id.0))
            .to_owned();
        self.update_and_bump(update).await
    }

    async fn update_app_user_field(&self, id: AppId, field: model::UserField) -> RepoResult<()> {
        let update = Query::update()
            .table(App::Table)
            .value(App::UserField, field.as_string())
            .and_where(Expr::col(App::AppId).eq(id.0))
            .to_owned();
        self.update_and_bump(update).await
    }
}

/// What `replace_token` takes from the pair it replaces.
type ReplacedRow = (i64, i64, Option<i64>, i64, bool, Option<String>, i64);

fn token_writer_stopped() -> RepoError {
    RepoError::Unavailable("the token writer has stopped".into())
}

impl SqlRepo {
    /// Hands an operation to the token writer (see `batch`) and waits for its answer.
    async fn submit<T>(&self, op: impl FnOnce(tokio::sync::oneshot::Sender<RepoResult<T>>) -> Op) -> RepoResult<T> {
        let (reply, outcome) = tokio::sync::oneshot::channel();
        self.token_writer
            .send(op(reply))
            .await
            .map_err(|_| token_writer_stopped())?;
        outcome.await.map_err(|_| token_writer_stopped())?
    }
}

#[async_trait]
impl TokenRepo for SqlRepo {
    #[tracing::instrument(skip_all)]
    async fn create_token_for_assertion(
        &self,
        app_id: AppId,
        jti: &str,
        jti_expires_at: i64,
        token: NewToken,
    ) -> RepoResult<TokenId> {
        let jti = jti.to_owned();
        self.submit(|reply| {
            Op::Issue(Issue {
                app_id,
                jti,
                jti_expires_at,
                token,
                reply,
            })
        })
        .await
    }

    async fn create_token(&self, token: NewToken) -> RepoResult<TokenId> {
        let app = token.app_id;
        let active = active_apps([app.0]);
        let insert = insert_tokens(&[&token])
            .returning(Query::returning().column(OauthToken::TokenId))
            .to_owned();
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // Held until commit, so a concurrent disable either waits for this token (and
            // deletes it) or is seen here.
            let (sql, values) = active.build_sqlx(builder());
            let found: Option<i64> = sqlx::query_scalar_with(&sql, values)
                .fetch_optional(&mut *tx)
                .await
                .map_err(other)?;
            if found.is_none() {
                return Err(RepoError::Conflict(ConflictKind::AppInactive));
            }
            let (sql, values) = insert.build_sqlx(builder());
            let id: i64 = sqlx::query_scalar_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
            commit!(tx, builder)?;
            Ok(TokenId(id))
        })
    }

    async fn find_token_pair(&self, id: TokenId) -> RepoResult<Option<(AppId, Vec<u8>, Option<Vec<u8>>)>> {
        let query = Query::select()
            .columns([OauthToken::AppId, OauthToken::AccessHash, OauthToken::RefreshHash])
            .from(OauthToken::Table)
            .and_where(Expr::col(OauthToken::TokenId).eq(id.0))
            .to_owned();
        Ok(fetch_optional!(self, query => (i64, Vec<u8>, Option<Vec<u8>>))?
            .map(|(app, access, refresh)| (AppId(app), access, refresh)))
    }

    async fn delete_token_pair(&self, id: TokenId) -> RepoResult<bool> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            // Embedded components' tokens exchanged from this pair's chain end with it (not
            // when the pair is itself one of them: its siblings stay).
            let deleted = exec!(
                &mut *tx,
                builder,
                "delete from oauth_token where token_id = ? or (root_item_id is not null and family_id = \
                 (select coalesce(family_id, token_id) from oauth_token where token_id = ? and root_item_id is null))",
                id.0,
                id.0
            )
            .map_err(other)?;
            if deleted.rows_affected() == 0 {
                return Ok(false);
            }
            // Nodes that cached the token's check must stop trusting it.
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            commit!(tx, builder)?;
            Ok(true)
        })
    }

    async fn replace_token(&self, old: TokenId, now: i64, replacement: TokenHashes) -> RepoResult<Option<RotatedPair>> {
        on_pool!(self, write, |pool, builder| {
            let mut tx = crate::pool::begin!(pool, builder).map_err(other)?;
            let removed: Option<ReplacedRow> = crate::pool::fetch!(
                optional(i64, i64, Option<i64>, i64, bool, Option<String>, i64),
                &mut *tx,
                builder,
                "delete from oauth_token where token_id = ? and access_expires_at > ? \
                 returning app_id, enterprise_id, user_id, refresh_expires_at, refresh_hash is not null, \
                 scope, coalesce(family_id, token_id)",
                old.0,
                now
            )
            .map_err(other)?;
            let Some((app_id, enterprise_id, user_id, refresh_expires_at, refreshable, scope, family)) = removed else {
                return Ok(None);
            };
            let active: Option<(i64,)> = crate::pool::fetch!(
                optional(i64,),
                &mut *tx,
                builder,
                &format!(
                    "select app_id from app where app_id = ? and status = 'active'{}",
                    crate::pool::row_lock(&builder(), " for share")
                ),
                app_id
            )
            .map_err(other)?;
            if active.is_none() {
                return Ok(None);
            }
            let enterprise_id = EnterpriseId(enterprise_id);
            let subject = match user_id {
                Some(user_id) => Subject::User(enterprise_id, UserId(user_id)),
                None => Subject::Enterprise(enterprise_id),
            };
            let mut secrets = replacement;
            secrets.refresh_expires_at = secrets.refresh_expires_at.min(refresh_expires_at);
            secrets.access_expires_at = secrets.access_expires_at.min(secrets.refresh_expires_at);
            let scopes = scope.as_deref().map(Scopes::parse_stored);
            let mut token = NewToken {
                app_id: AppId(app_id),
                subject,
                secrets,
                scopes,
                family: Some(TokenId(family)),
                root: None,
                acting: None,
            };
            if !refreshable {
                // The old refresh token was used: the new pair cannot be refreshed either. A
                // fresh random hash nobody holds keeps the column unique and unusable.
                token.secrets.refresh_hash = openpan_core::secrets::random_hex(32).into_bytes();
                token.secrets.refresh_expires_at = now;
            }
            let insert = insert_tokens(&[&token])
                .returning(Query::returning().column(OauthToken::TokenId))
                .to_owned();
            let (sql, values) = insert.build_sqlx(builder());
            let id: i64 = sqlx::query_scalar_with(&sql, values)
                .fetch_one(&mut *tx)
                .await
                .map_err(other)?;
            // Nodes that cached the old token's check must stop trusting it.
            execute!(&mut *tx, builder, bump_revocation_epoch())?;
            commit!(tx, builder)?;
            Ok(Some((TokenId(id), subject, scopes)))
        })
    }

    async fn find_access_token(&self, id: TokenId, now: i64) -> RepoResult<Option<TokenRecord>> {
        let query = Query::select()
            .columns(TOKEN_COLUMNS.map(|column| (OauthToken::Table, column)))
            .from(OauthToken::Table)
            .inner_join(
                App::Table,
                Expr::col((App::Table, App::AppId)).equals((OauthToken::Table, OauthToken::AppId)),
            )
            .left_join(
                UserAccount::Table,
                Expr::col((UserAccount::Table, UserAccount::UserId)).equals((OauthToken::Table, OauthToken::UserId)),
            )
            .and_where(Expr::col((OauthToken::Table, OauthToken::TokenId)).eq(id.0))
            .and_where(Expr::col((OauthToken::Table, OauthToken::AccessExpiresAt)).gt(now))
            .and_where(Expr::col((App::Table, App::Status)).eq(AppStatus::Active.as_str()))
            .cond_where(
                Cond::any()
                    .add(Expr::col((OauthToken::Table, OauthToken::UserId)).is_null())
                    .add(
                        Cond::all()
                            .add(Expr::col((UserAccount::Table, UserAccount::Active)).eq(true))
                            .add(Expr::col((UserAccount::Table, UserAccount::DeletedAt)).is_null()),
                    ),
            )
            // A token acting for an administrator lasts only while they are one.
            .cond_where(
                Cond::any()
                    .add(Expr::col((OauthToken::Table, OauthToken::ActingUserId)).is_null())
                    .add(
                        Expr::col((OauthToken::Table, OauthToken::ActingUserId)).in_subquery(
                            Query::select()
                                .column(UserAccount::UserId)
                                .from(UserAccount::Table)
                                .and_where(Expr::col(UserAccount::Active).eq(true))
                                .and_where(Expr::col(UserAccount::DeletedAt).is_null())
                                .and_where(Expr::col(UserAccount::IsAdmin).eq(true))
                                .to_owned(),
                        ),
                    ),
            )
            .to_owned();
        Ok(fetch_optional!(self, query => TokenRow)?.map(Into::into))
    }

    async fn rotate_refresh_token(
        &self,
        app_id: AppId,
        id: TokenId,
        refresh_hash: &[u8],
        now: i64,
        replacement: TokenHashes,
    ) -> RepoResult<Option<RotatedPair>> {
        let refresh_hash = refresh_hash.to_vec();
        self.submit(|reply| {
            Op::Rotate(Rotate {
                app_id,
                token_id: id,
                refresh_hash,
                now,
                replacement,
                reply,
            })
        })
        .await
    }

    async fn revocation_epoch(&self) -> RepoResult<i64> {
        let query = Query::select()
            .column(RevocationEpoch::Seq)
            .from(RevocationEpoch::Table)
            .and_where(Expr::col(RevocationEpoch::EpochId).eq(1))
            .to_owned();
        fetch_scalar!(self, query)
    }

    async fn report_epoch(&self, node: &str, seq: i64) -> RepoResult<()> {
        on_pool!(self, write, |pool, builder| {
            let sql = if crate::pool::is_postgres(&builder()) {
                "insert into node_epoch (node_id, seq, seen_at) values (?, ?, extract(epoch from now())::bigint) \
                 on conflict (node_id) do update set seq = greatest(node_epoch.seq, excluded.seq), \
                 seen_at = excluded.seen_at"
            } else {
                "insert into node_epoch (node_id, seq, seen_at) values (?, ?, unixepoch()) \
                 on conflict (node_id) do update set seq = max(node_epoch.seq, excluded.seq), \
                 seen_at = excluded.seen_at"
            };
            crate::pool::exec!(pool, builder, sql, node, seq).map_err(other)?;
            Ok(())
        })
    }

    async fn wait_for_nodes(
        &self,
        node: &str,
        seq: i64,
        live_secs: i64,
        patience: std::time::Duration,
    ) -> RepoResult<i64> {
        let started = std::time::Instant::now();
        let mut pause = std::time::Duration::from_millis(2);
        loop {
            let behind: i64 = on_pool!(self, read, |pool, builder| {
                let sql = if crate::pool::is_postgres(&builder()) {
                    "select count(*) from node_epoch where node_id <> ? and seq < ? \
                     and seen_at >= extract(epoch from now())::bigint - ?"
                } else {
                    "select count(*) from node_epoch where node_id <> ? and seq < ? and seen_at >= unixepoch() - ?"
                };
                crate::pool::scalar!(i64, pool, builder, sql, node, seq, live_secs).map_err(other)
            })?;
            if behind == 0 || started.elapsed() >= patience {
                return Ok(behind);
            }
            // Told at once on PostgreSQL, other nodes catch up within a few milliseconds; one
            // that just stopped is waited for at a slowing pace.
            tokio::time::sleep(pause).await;
            pause = (pause * 2).min(std::time::Duration::from_millis(50));
        }
    }

    async fn purge_expired(&self, now: i64) -> RepoResult<u64> {
        let tokens = Query::delete()
            .from_table(OauthToken::Table)
            .and_where(Expr::col(OauthToken::AccessExpiresAt).lte(now))
            // A used refresh token stays (as its hash) until it would have expired, so a replay
            // of it is still recognised.
            .and_where(Expr::col(OauthToken::RefreshExpiresAt).lte(now))
            .to_owned();
        let jtis = Query::delete()
            .from_table(OauthJti::Table)
            .and_where(Expr::col(OauthJti::ExpiresAt).lte(now))
            .to_owned();
        on_pool!(self, write, |pool, builder| {
            let deleted_tokens = execute!(pool, builder, tokens)?.rows_affected();
            let deleted_jtis = execute!(pool, builder, jtis)?.rows_affected();
            let deleted_codes = crate::pool::exec!(pool, builder, "delete from oauth_code where expires_at <= ?", now)
                .map_err(other)?
                .rows_affected();
            let deleted_devices =
                crate::pool::exec!(pool, builder, "delete from oauth_device where expires_at <= ?", now)
                    .map_err(other)?
                    .rows_affected();
            // Nodes gone for a day are forgotten (by the database's clock, like their reports).
            let sql = if crate::pool::is_postgres(&builder()) {
                "delete from node_epoch where seen_at < extract(epoch from now())::bigint - 86400"
            } else {
                "delete from node_epoch where seen_at < unixepoch() - 86400"
            };
            crate::pool::exec!(pool, builder, sql).map_err(other)?;
            Ok(deleted_tokens + deleted_jtis + deleted_codes + deleted_devices)
        })
    }
}
