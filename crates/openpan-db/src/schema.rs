//! Table and column names for the query builder. Column names mirror the SQL, so a key
//! column repeats its table name (`enterprise.enterprise_id`).
#![allow(clippy::enum_variant_names)]

use sea_query::Iden;

#[derive(Iden, Clone, Copy)]
pub(crate) enum Enterprise {
    Table,
    EnterpriseId,
    Name,
    ShortName,
    AdminUserId,
    CreatedAt,
    SpaceTotal,
    SpaceUsed,
    DirectoryGeneration,
    AccountSyncEnabled,
    DisableShare,
    PaidUntil,
    PasswordGrantEnabled,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum UserAccount {
    Table,
    UserId,
    EnterpriseId,
    Name,
    Email,
    Phone,
    PasswordHash,
    Active,
    IsAdmin,
    HidePhone,
    DisableDownload,
    SpaceTotal,
    SpaceUsed,
    CreatedAt,
    LastLoginAt,
    ProfilePicKey,
    DeletedAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum UserTicket {
    Table,
    EnterpriseId,
    PlatformId,
    CustomId,
    UserId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum App {
    Table,
    AppId,
    EnterpriseId,
    Name,
    ClientId,
    ClientSecretHash,
    CallbackUrl,
    Status,
    CreatedAt,
    UserField,
    ClientType,
    RedirectUris,
    AllowedScopes,
    PreviousSecretHash,
    PreviousSecretUntil,
    JwtPublicKey,
    JwtKeyId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum OauthToken {
    Table,
    TokenId,
    AppId,
    EnterpriseId,
    UserId,
    AccessHash,
    RefreshHash,
    AccessExpiresAt,
    RefreshExpiresAt,
    CreatedAt,
    Scope,
    FamilyId,
    UsedRefreshHash,
    RootItemId,
    ActingUserId,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum OauthJti {
    Table,
    AppId,
    Jti,
    ExpiresAt,
}

#[derive(Iden, Clone, Copy)]
pub(crate) enum RevocationEpoch {
    Table,
    EpochId,
    Seq,
}
