//! `/api/v2/collab/*`, `folder/{id}/collabs` and `folder/collab_folders` (user token).

use axum::Json;
use axum::extract::State;
use serde::Deserialize;

use openpan_core::collab::Accessor;
use openpan_core::ids::{CollabId, DepartmentId, GroupId, ItemId, UserId};
use openpan_core::services::Invitation;
use openpan_types as wire;

use super::items::{listing_params, required, success};
use crate::AppState;
use crate::convert;
use crate::error::{ApiError, Result};
use crate::extract::{Caller, JsonBody, Params, PathId, lenient_i64, lenient_string};

/// How many users, groups and departments one batch may invite.
const MAX_BATCH_INVITES: usize = 200;

/// Who is invited, and as what.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct Invitee {
    /// `user`, `group` or `department`.
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    #[schema(pattern = "^(user|group|department)$")]
    kind: Option<String>,
    #[serde(flatten)]
    who: InvitedUser,
}

/// Who is invited in the Python SDK's spelling (`invited_user`): a user, with no `type`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct InvitedUser {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    id: Option<i64>,
    /// The role (or give it beside the invitee).
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(
        pattern = "^(coowner|editor|edit|online_collaborator|viewer_uploader|viewer|previewer_uploader|previewer|uploader|reset)$"
    )]
    role: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CollabInvite)]
pub struct InviteArgs {
    /// The folder to share.
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    folder_id: Option<i64>,
    accessible_by: Option<Invitee>,
    /// The Python SDK's spelling: a user only.
    invited_user: Option<InvitedUser>,
    /// Some clients put the role beside `accessible_by` instead of inside it.
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(
        pattern = "^(coowner|editor|edit|online_collaborator|viewer_uploader|viewer|previewer_uploader|previewer|uploader|reset)$"
    )]
    role: Option<String>,
    /// A note for the invited.
    #[serde(default, deserialize_with = "lenient_string")]
    invitation_message: Option<String>,
}

fn accessor(kind: &str, id: i64, field: &str) -> Result<Accessor> {
    if id <= 0 {
        return Err(ApiError::field(field, "必须是正整数"));
    }
    Ok(match kind {
        "user" | "user_list" => Accessor::User(UserId(id)),
        "group" | "group_list" => Accessor::Group(GroupId(id)),
        "department" | "department_list" => Accessor::Department(DepartmentId(id)),
        _ => {
            return Err(ApiError::field(
                format!("{field}.type"),
                "必须是user、group或department",
            ));
        }
    })
}

fn role_of(role: Option<String>, field: &str) -> Result<String> {
    role.filter(|role| !role.trim().is_empty())
        .ok_or_else(|| ApiError::field(field, "不能为空"))
}

/// Shares a folder with a user, group or department.
#[utoipa::path(post, path = "/collab/invite", tag = "collaboration", request_body = InviteArgs, responses((status = 200, body = wire::Collab)))]
pub async fn invite(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<InviteArgs>,
) -> Result<Json<wire::Collab>> {
    let folder = required(args.folder_id, "folder_id")?;
    let (invitee, field, kind) = match (args.accessible_by, args.invited_user) {
        (Some(invitee), _) => {
            let kind = invitee.kind.clone();
            (invitee, "accessible_by", kind)
        }
        (None, Some(user)) => (
            Invitee { kind: None, who: user },
            "invited_user",
            Some("user".to_owned()),
        ),
        (None, None) => return Err(ApiError::field("accessible_by", "不能为空")),
    };
    let kind = kind.ok_or_else(|| ApiError::field(format!("{field}.type"), "不能为空"))?;
    let id = required(invitee.who.id, &format!("{field}.id"))?;
    let invitation = Invitation {
        accessor: accessor(kind.trim(), id, field)?,
        role: role_of(invitee.who.role.or(args.role), &format!("{field}.role"))?,
    };
    let mut views = state
        .core
        .invite_collaborators(
            &principal,
            ItemId(folder),
            &[invitation],
            args.invitation_message.as_deref(),
        )
        .await?;
    let view = views
        .pop()
        .ok_or_else(|| ApiError::from(openpan_core::Error::internal("an invitation created nothing")))?;
    Ok(Json(convert::collab(&view)))
}

/// Several of one kind, invited with one role.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
pub struct BatchInvitees {
    /// `user`, `group` or `department`.
    #[serde(default, rename = "type", deserialize_with = "lenient_string")]
    #[schema(value_type = String, required, pattern = "^(user|group|department)$")]
    kind: Option<String>,
    #[serde(default)]
    ids: Vec<i64>,
    /// One more id.
    #[serde(default, deserialize_with = "lenient_i64")]
    id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required, pattern = "^(coowner|editor|edit|online_collaborator|viewer_uploader|viewer|previewer_uploader|previewer|uploader|reset)$")]
    role: Option<String>,
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CollabInviteBatch)]
pub struct InviteBatchArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    folder_id: Option<i64>,
    /// Up to 200 invitations in all.
    #[schema(value_type = Vec<BatchInvitees>, required, min_items = 1)]
    accessible_by: Option<Vec<BatchInvitees>>,
    #[serde(default, deserialize_with = "lenient_string")]
    invitation_message: Option<String>,
}

/// Shares a folder with many users, groups and departments at once.
#[utoipa::path(post, path = "/collab/invite_batch", tag = "collaboration", request_body = InviteBatchArgs, responses((status = 200, body = wire::InvitedCollabs)))]
pub async fn invite_batch(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<InviteBatchArgs>,
) -> Result<Json<wire::InvitedCollabs>> {
    let folder = required(args.folder_id, "folder_id")?;
    let groups = args
        .accessible_by
        .filter(|groups| !groups.is_empty())
        .ok_or_else(|| ApiError::field("accessible_by", "不能为空"))?;
    let mut invitations = Vec::new();
    for (n, group) in groups.into_iter().enumerate() {
        let field = format!("accessible_by[{n}]");
        let kind = group
            .kind
            .ok_or_else(|| ApiError::field(format!("{field}.type"), "不能为空"))?;
        let role = role_of(group.role, &format!("{field}.role"))?;
        let ids: Vec<i64> = group.ids.into_iter().chain(group.id).collect();
        if ids.is_empty() {
            return Err(ApiError::field(format!("{field}.ids"), "不能为空"));
        }
        for id in ids {
            invitations.push(Invitation {
                accessor: accessor(kind.trim(), id, &field)?,
                role: role.clone(),
            });
        }
    }
    if invitations.len() > MAX_BATCH_INVITES {
        return Err(ApiError::field("accessible_by", "一次最多邀请200个"));
    }
    let views = state
        .core
        .invite_collaborators(
            &principal,
            ItemId(folder),
            &invitations,
            args.invitation_message.as_deref(),
        )
        .await?;
    Ok(Json(wire::InvitedCollabs {
        success: true,
        collabs: views.iter().map(convert::collab).collect(),
    }))
}

#[utoipa::path(get, path = "/collab/{id}/info", tag = "collaboration", responses((status = 200, body = wire::Collab)))]
pub async fn info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Collab>> {
    let view = state.core.collab_info(&principal, CollabId(id)).await?;
    Ok(Json(convert::collab(&view)))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CollabUpdate)]
pub struct UpdateArgs {
    #[serde(default, deserialize_with = "lenient_string")]
    #[schema(value_type = String, required, pattern = "^(coowner|editor|edit|online_collaborator|viewer_uploader|viewer|previewer_uploader|previewer|uploader|reset)$")]
    role: Option<String>,
}

/// Changes a collaborator's role.
#[utoipa::path(post, path = "/collab/{id}/update", tag = "collaboration", request_body = UpdateArgs, responses((status = 200, body = wire::Collab)))]
pub async fn update(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
    JsonBody(args): JsonBody<UpdateArgs>,
) -> Result<Json<wire::Collab>> {
    let role = role_of(args.role, "role")?;
    let view = state.core.update_collab(&principal, CollabId(id), &role).await?;
    Ok(Json(convert::collab(&view)))
}

/// Accepts an invitation to a folder.
#[utoipa::path(post, path = "/collab/{id}/accept", tag = "collaboration", responses((status = 200, body = wire::Collab)))]
pub async fn accept(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Collab>> {
    let view = state.core.accept_collab(&principal, CollabId(id)).await?;
    Ok(Json(convert::collab(&view)))
}

/// Ends a collaboration (the owner, or the collaborator leaving).
#[utoipa::path(post, path = "/collab/{id}/delete", tag = "collaboration", responses((status = 200, body = wire::SuccessBody)))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::SuccessBody>> {
    state.core.delete_collab(&principal, CollabId(id)).await?;
    Ok(success())
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[schema(as = CollabRemove)]
pub struct RemoveArgs {
    #[serde(default, deserialize_with = "lenient_i64")]
    #[schema(value_type = i64, required, minimum = 1)]
    folder_id: Option<i64>,
    /// 1 to 200 collaborations of the folder.
    #[serde(default)]
    #[schema(required, min_items = 1, max_items = 200)]
    collab_ids: Vec<i64>,
}

/// Ends several collaborations of one folder at once.
#[utoipa::path(post, path = "/collab/remove", tag = "collaboration", request_body = RemoveArgs, responses((status = 200, body = wire::SuccessBody)))]
pub async fn remove(
    State(state): State<AppState>,
    Caller(principal): Caller,
    JsonBody(args): JsonBody<RemoveArgs>,
) -> Result<Json<wire::SuccessBody>> {
    let folder = required(args.folder_id, "folder_id")?;
    if args.collab_ids.is_empty() {
        return Err(ApiError::field("collab_ids", "不能为空"));
    }
    if args.collab_ids.len() > MAX_BATCH_INVITES {
        return Err(ApiError::field("collab_ids", "一次最多200个"));
    }
    let ids: Vec<CollabId> = args.collab_ids.into_iter().map(CollabId).collect();
    state.core.remove_collabs(&principal, ItemId(folder), &ids).await?;
    Ok(success())
}

#[utoipa::path(get, path = "/folder/{id}/collabs", tag = "collaboration", responses((status = 200, body = wire::FolderCollabs)))]
pub async fn folder_collabs(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::FolderCollabs>> {
    let view = state.core.folder_collabs(&principal, ItemId(id)).await?;
    Ok(Json(convert::folder_collabs(&view)))
}

#[utoipa::path(get, path = "/folder/collab_folders", tag = "collaboration", params(crate::openapi::PageQuery, crate::openapi::SortQuery, ("type" = Option<crate::openapi::ItemType>, Query, description = "Accepted for compatibility: only folders are listed")), responses((status = 200, body = wire::ItemPage)))]
pub async fn collab_folders(
    State(state): State<AppState>,
    Caller(principal): Caller,
    params: Params,
) -> Result<Json<wire::ItemPage>> {
    let (_, sort, page) = listing_params(&params)?;
    let listing = state.core.collab_folders(&principal, sort, page).await?;
    Ok(Json(convert::item_page(&listing)))
}
