//! The permission model as a property: for random trees of folders and files, random
//! collaborations (users, a group, a department with a sub-department, every role including
//! `reset`) and every user, each drive API answers exactly what the role matrix allows —
//! reading, listing, downloading, searching, uploading, sharing, renaming, moving, trashing and
//! inviting.
//!
//! Cases run against one server, each in a fresh enterprise. `OPENPAN_PERMISSION_CASES` sets
//! how many (default 10); a failure prints the case to replay.

use std::collections::{BTreeMap, BTreeSet};

use openpan_core::collab::{Capability, Grants, Role};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestCaseError, TestRunner};
use serde_json::{Value, json};

use crate::harness::{Tenant, TestApp};

/// Who a collaboration invites: one of the three users, the group or the department.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Who {
    User(usize),
    Group,
    Department,
}

#[derive(Debug, Clone)]
struct Scenario {
    /// For each folder (index into the folders), its parent folder (`None`: the owner's root).
    folders: Vec<Option<usize>>,
    /// For each file, its folder.
    files: Vec<Option<usize>>,
    /// (folder, who, role); later duplicates of a (folder, who) pair are dropped.
    grants: Vec<(usize, Who, Role)>,
    /// Which of the three users are in the group, and which are in the department's
    /// sub-department (a grant to the department reaches them).
    group: [bool; 3],
    in_sub_department: [bool; 3],
}

const USERS: usize = 3;
const GRANTABLE: [Role; 9] = [
    Role::Reset,
    Role::Uploader,
    Role::Previewer,
    Role::PreviewerUploader,
    Role::Viewer,
    Role::ViewerUploader,
    Role::OnlineCollaborator,
    Role::Editor,
    Role::Coowner,
];

fn scenario() -> impl Strategy<Value = Scenario> {
    (2usize..7).prop_flat_map(|folder_count| {
        let folders = (0..folder_count)
            .map(|i| {
                if i == 0 {
                    Just(None).boxed()
                } else {
                    prop::option::weighted(0.8, 0..i).boxed()
                }
            })
            .collect::<Vec<_>>();
        let files = prop::collection::vec(prop::option::weighted(0.85, 0..folder_count), 1..6);
        let who = prop_oneof![(0..USERS).prop_map(Who::User), Just(Who::Group), Just(Who::Department),];
        let grants = prop::collection::vec((0..folder_count, who, prop::sample::select(GRANTABLE.to_vec())), 1..6);
        (folders, files, grants, any::<[bool; 3]>(), any::<[bool; 3]>()).prop_map(
            |(folders, files, grants, group, in_sub_department)| Scenario {
                folders,
                files,
                grants,
                group,
                in_sub_department,
            },
        )
    })
}

/// An item of the scenario as created: its id, whether it is a folder, and its chain of
/// folders from the top down (itself included for folders).
#[derive(Debug, Clone)]
struct Made {
    id: i64,
    is_folder: bool,
    parent: Option<i64>,
    chain: Vec<i64>,
    name: String,
}

struct World {
    tenant: Tenant,
    owner: String,
    owner_id: i64,
    users: Vec<(i64, String)>,
    items: Vec<Made>,
    /// Folder id → (who, role) granted there, accepted.
    grants: BTreeMap<i64, Vec<(Who, Role)>>,
    scenario: Scenario,
}

impl World {
    fn reaches(&self, user: usize, who: Who) -> bool {
        match who {
            Who::User(u) => u == user,
            Who::Group => self.scenario.group[user],
            Who::Department => self.scenario.in_sub_department[user],
        }
    }

    /// The model: the grants reaching `user` on the item's chain, outermost first.
    fn access(&self, user: usize, item: &Made) -> (Grants, Option<i64>) {
        let mut roles = Vec::new();
        let mut top = None;
        for folder in &item.chain {
            for (who, role) in self.grants.get(folder).into_iter().flatten() {
                if *role != Role::Reset && self.reaches(user, *who) {
                    top.get_or_insert(*folder);
                    roles.push(*role);
                }
            }
        }
        (Grants(roles), top)
    }

    /// The status an API needing `capability` on `item` must answer `user`.
    fn expected(&self, user: usize, item: &Made, capability: Capability) -> u16 {
        let (grants, top) = self.access(user, item);
        if grants.allows(capability) {
            200
        } else if grants.0.is_empty() {
            404
        } else if grants.allows(Capability::List) || top == Some(item.id) {
            403
        } else {
            404
        }
    }
}

async fn build(app: &TestApp, case: usize, scenario: Scenario) -> World {
    let tenant = app
        .other_tenant(&format!("Case {case}"), &format!("admin{case}@case.test"))
        .await;
    let admin = app.enterprise_token(&tenant).await;
    let owner_id = app
        .create_user(&tenant, "Owner", &format!("owner{case}@case.test"))
        .await;
    let owner = app.user_token(&tenant, owner_id).await;
    let mut users = Vec::new();
    for n in 0..USERS {
        let id = app
            .create_user(&tenant, &format!("User{n}"), &format!("user{n}.{case}@case.test"))
            .await;
        users.push((id, app.user_token(&tenant, id).await));
    }
    let group = app
        .post_ok(
            "/api/v2/admin/group/create",
            &admin,
            &json!({"name": "G", "collab_auto_accepted": true}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let department = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "D", "parent_id": 0, "collab_auto_accepted": true}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    let sub = app
        .post_ok(
            "/api/v2/admin/department/create",
            &admin,
            &json!({"name": "D1", "parent_id": department}),
        )
        .await["id"]
        .as_i64()
        .unwrap();
    for (n, (id, _)) in users.iter().enumerate() {
        if scenario.group[n] {
            app.post_ok(
                &format!("/api/v2/admin/group/{group}/add_user"),
                &admin,
                &json!({"user_id": id}),
            )
            .await;
        }
        if scenario.in_sub_department[n] {
            app.post_ok(
                &format!("/api/v2/admin/department/{sub}/add_user"),
                &admin,
                &json!({"user_id": id}),
            )
            .await;
        }
    }

    let mut items: Vec<Made> = Vec::new();
    let mut folder_ids: Vec<usize> = Vec::new();
    for (n, parent) in scenario.folders.iter().enumerate() {
        let (parent_id, mut chain) = match parent {
            Some(p) => {
                let made = &items[folder_ids[*p]];
                (made.id, made.chain.clone())
            }
            None => (0, Vec::new()),
        };
        let name = format!("共享目录{n}");
        let folder = app.mkdir(&owner, parent_id, &name).await;
        let id = folder["id"].as_i64().unwrap();
        chain.push(id);
        folder_ids.push(items.len());
        items.push(Made {
            id,
            is_folder: true,
            parent: (parent_id != 0).then_some(parent_id),
            chain,
            name,
        });
    }
    for (n, folder) in scenario.files.iter().enumerate() {
        let (parent_id, chain) = match folder {
            Some(f) => {
                let made = &items[folder_ids[*f]];
                (made.id, made.chain.clone())
            }
            None => (0, Vec::new()),
        };
        let name = format!("共享文件{n}.txt");
        let file = app.upload(&owner, parent_id, &name, name.as_bytes()).await;
        items.push(Made {
            id: file["id"].as_i64().unwrap(),
            is_folder: false,
            parent: (parent_id != 0).then_some(parent_id),
            chain,
            name,
        });
    }

    let mut grants: BTreeMap<i64, Vec<(Who, Role)>> = BTreeMap::new();
    let mut seen = BTreeSet::new();
    for (folder, who, role) in &scenario.grants {
        let folder_id = items[folder_ids[*folder]].id;
        if !seen.insert((folder_id, *who)) {
            continue;
        }
        let (kind, accessor) = match who {
            Who::User(n) => ("user", users[*n].0),
            Who::Group => ("group", group),
            Who::Department => ("department", department),
        };
        // `reset` is given by changing an invitation, as clients do.
        let invited_as = if *role == Role::Reset { "viewer" } else { role.as_str() };
        let collab = app
            .post_ok(
                "/api/v2/collab/invite",
                &owner,
                &json!({"folder_id": folder_id, "accessible_by": {"type": kind, "id": accessor, "role": invited_as}}),
            )
            .await;
        if *role == Role::Reset {
            app.post_ok(
                &format!("/api/v2/collab/{}/update", collab["id"]),
                &owner,
                &json!({"role": "reset"}),
            )
            .await;
        }
        grants.entry(folder_id).or_default().push((*who, *role));
    }
    World {
        tenant,
        owner,
        owner_id,
        users,
        items,
        grants,
        scenario,
    }
}

fn check(what: &str, status: u16, expected: u16, body: &Value) -> Result<(), TestCaseError> {
    if status == expected {
        Ok(())
    } else {
        Err(TestCaseError::fail(format!(
            "{what}: answered {status}, the matrix says {expected}: {body}"
        )))
    }
}

async fn status_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, body)
}

async fn verify(app: &TestApp, world: &World) -> Result<(), TestCaseError> {
    for (n, (_, token)) in world.users.iter().enumerate() {
        for item in &world.items {
            let kind = if item.is_folder { "folder" } else { "file" };
            let who = format!("user {n} on {kind} {}", item.name);

            let (status, body) = status_of(app.get(&format!("/api/v2/{kind}/{}/info", item.id), token).await).await;
            check(
                &format!("{who}: info"),
                status,
                world.expected(n, item, Capability::List),
                &body,
            )?;
            if status == 200 {
                let (grants, _) = world.access(n, item);
                let mut permissions: Vec<String> = body["permissions"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|p| p.as_str().map(str::to_owned))
                    .collect();
                permissions.sort();
                let mut expected: Vec<String> = grants.permissions().into_iter().map(str::to_owned).collect();
                expected.sort();
                if permissions != expected {
                    return Err(TestCaseError::fail(format!(
                        "{who}: permissions {permissions:?}, the matrix says {expected:?}"
                    )));
                }
                // The path starts at the outermost folder shared with the user: nothing of the
                // owner's above it shows.
                let (_, top) = world.access(n, item);
                let start = item.chain.iter().position(|folder| Some(*folder) == top).unwrap_or(0);
                let expected_path: Vec<i64> = std::iter::once(0)
                    .chain(item.chain[start..].iter().copied().filter(|folder| *folder != item.id))
                    .collect();
                let path: Vec<i64> = body["path"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|entry| entry["id"].as_i64())
                    .collect();
                if path != expected_path {
                    return Err(TestCaseError::fail(format!(
                        "{who}: path {path:?}, expected {expected_path:?}"
                    )));
                }
            }

            if item.is_folder {
                let (status, body) =
                    status_of(app.get(&format!("/api/v2/folder/{}/children", item.id), token).await).await;
                check(
                    &format!("{who}: children"),
                    status,
                    world.expected(n, item, Capability::List),
                    &body,
                )?;
                let (status, body) = status_of(
                    app.post(
                        "/api/v2/file/upload_v2",
                        token,
                        &json!({"parent_id": item.id, "name": format!("新文件{n}.txt"), "upload_type": "api"}),
                    )
                    .await,
                )
                .await;
                check(
                    &format!("{who}: upload"),
                    status,
                    world.expected(n, item, Capability::Upload),
                    &body,
                )?;
                let expected = world.expected(n, item, Capability::Invite);
                let (status, body) = status_of(
                    app.post(
                        "/api/v2/collab/invite",
                        token,
                        &json!({"folder_id": item.id, "accessible_by": {"type": "user", "id": world.owner_id, "role": "viewer"}}),
                    )
                    .await,
                )
                .await;
                // Allowed to invite, but not the owner.
                let expected = if expected == 200 { 400 } else { expected };
                check(&format!("{who}: invite"), status, expected, &body)?;
            } else {
                let (status, body) =
                    status_of(app.get(&format!("/api/v2/file/{}/download", item.id), token).await).await;
                check(
                    &format!("{who}: download"),
                    status,
                    world.expected(n, item, Capability::Download),
                    &body,
                )?;
            }

            // Share links only for those who may share.
            let id_field = if item.is_folder { "folder_id" } else { "file_id" };
            let (status, body) = status_of(
                app.post("/api/v2/share_link/create", token, &json!({ id_field: item.id }))
                    .await,
            )
            .await;
            check(
                &format!("{who}: share"),
                status,
                world.expected(n, item, Capability::Share),
                &body,
            )?;

            // Rename, and back.
            let (status, body) = status_of(
                app.post(
                    &format!("/api/v2/{kind}/{}/update", item.id),
                    token,
                    &json!({"name": format!("改名{n}-{}", item.name)}),
                )
                .await,
            )
            .await;
            check(
                &format!("{who}: rename"),
                status,
                world.expected(n, item, Capability::Rename),
                &body,
            )?;
            if status == 200 {
                app.post_ok(
                    &format!("/api/v2/{kind}/{}/update", item.id),
                    &world.owner,
                    &json!({"name": item.name}),
                )
                .await;
            }

            // A move to where it is: needs `move` on it and on its folder (taking it out), and
            // `upload` on the folder (putting it in).
            if let Some(parent) = item.parent {
                let parent_item = world.items.iter().find(|i| i.id == parent).unwrap();
                let item_status = world.expected(n, item, Capability::Move);
                let allows = |capability| world.access(n, parent_item).0.allows(capability);
                let expected = if item_status != 200 {
                    item_status
                } else if allows(Capability::Move) && allows(Capability::Upload) {
                    200
                } else {
                    403
                };
                let (status, body) = status_of(
                    app.post(
                        &format!("/api/v2/{kind}/{}/move", item.id),
                        token,
                        &json!({"target_folder_id": parent}),
                    )
                    .await,
                )
                .await;
                check(&format!("{who}: move"), status, expected, &body)?;
            }

            // Trash (which takes it out of its folder too), and the owner restores.
            let item_status = world.expected(n, item, Capability::Delete);
            let parent_allows = item.parent.is_some_and(|parent| {
                let parent_item = world.items.iter().find(|i| i.id == parent).unwrap();
                world.access(n, parent_item).0.allows(Capability::Delete)
            });
            let expected = if item_status == 200 && !parent_allows {
                403
            } else {
                item_status
            };
            let (status, body) = status_of(
                app.post(&format!("/api/v2/{kind}/{}/delete", item.id), token, &json!({}))
                    .await,
            )
            .await;
            check(&format!("{who}: trash"), status, expected, &body)?;
            if status == 200 {
                app.post_ok(
                    &format!("/api/v2/{kind}/{}/restore_from_trash", item.id),
                    &world.owner,
                    &json!({}),
                )
                .await;
            }
        }

        // Search finds exactly what the user may list.
        let found = app
            .get_ok("/api/v2/item/search?query_words=共享&page_capacity=100", token)
            .await;
        let mut hits: Vec<i64> = ["files", "folders"]
            .iter()
            .flat_map(|list| found[*list].as_array().cloned().unwrap_or_default())
            .filter_map(|item| item["id"].as_i64())
            .collect();
        hits.sort();
        let mut expected: Vec<i64> = world
            .items
            .iter()
            .filter(|item| world.access(n, item).0.allows(Capability::List))
            .map(|item| item.id)
            .collect();
        expected.sort();
        if hits != expected {
            return Err(TestCaseError::fail(format!(
                "user {n}: search found {hits:?}, the matrix allows {expected:?}"
            )));
        }
    }
    let _ = &world.tenant;
    Ok(())
}

#[test]
fn no_api_lets_anyone_past_what_their_roles_allow() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let app = runtime.block_on(TestApp::spawn());
    let cases = std::env::var("OPENPAN_PERMISSION_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(10);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        // Every case builds its own enterprise over HTTP; shrinking would replay many.
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let case = std::sync::atomic::AtomicUsize::new(0);
    let result = runner.run(&scenario(), |scenario| {
        let case = case.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        runtime.block_on(async {
            let world = build(&app, case, scenario).await;
            verify(&app, &world).await
        })
    });
    runtime.block_on(async move { drop(app) });
    if let Err(err) = result {
        panic!("{err}");
    }
}
