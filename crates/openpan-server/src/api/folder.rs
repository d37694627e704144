//! `/api/v2/folder/*` (user token).

use axum::Json;
use axum::extract::State;

use openpan_core::ids::FolderId;
use openpan_types as wire;

use crate::AppState;
use crate::convert;
use crate::error::Result;
use crate::extract::{Caller, PathId};

pub async fn folder_info(
    State(state): State<AppState>,
    Caller(principal): Caller,
    PathId(id): PathId,
) -> Result<Json<wire::Folder>> {
    let info = state.core.folder_info(&principal, FolderId(id)).await?;
    Ok(Json(convert::folder(&info)))
}
