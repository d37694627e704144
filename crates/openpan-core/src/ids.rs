//! 64-bit integer ids, as every seed puts them on the wire.

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident;)*) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type! {
    /// An enterprise (tenant). Every other record belongs to exactly one.
    EnterpriseId;
    /// A user of one enterprise.
    UserId;
    /// An OAuth2 app (client) of one enterprise.
    AppId;
    /// A folder or a file: both live in one id space. On the wire, folder 0 is the caller's root.
    ItemId;
    /// One version of a file's content.
    VersionId;
    /// An issued access/refresh token pair; the public half of both token strings.
    TokenId;
    /// A department of one enterprise's tree. On the wire, department 0 is the enterprise itself.
    DepartmentId;
    /// A group of users of one enterprise.
    GroupId;
    /// A collaboration: one user, group or department invited to one folder with one role.
    CollabId;
    /// A share link; clients know it by its `unique_name`.
    ShareLinkId;
    /// A comment on a file.
    CommentId;
    /// A tag name of one enterprise.
    TagId;
    /// A review: files put before invited reviewers.
    ReviewId;
    /// A comment in a review's discussion.
    ReviewCommentId;
}
