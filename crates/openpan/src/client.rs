//! What a person's commands do (`openpan login | whoami | ls | upload | download | share |
//! logout`): calls to an openpan server through the SDK, with the sign-in kept in a file of the
//! person's own (mode 0600) and renewed tokens written back to it.
//!
//! These commands reach the server over HTTP only; they never open the database.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{Context, bail};
use futures_util::TryStreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};

use openpan_sdk::{Client, Item, NewShareLink, TokenStore, Tokens, UploadTarget};

/// The sign-in a person keeps between commands.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Saved {
    pub server: String,
    pub client_id: String,
    pub tokens: Tokens,
    /// Resumable uploads under way: what was being sent, and its session URL.
    #[serde(default)]
    pub uploads: Vec<PendingUpload>,
}

/// An upload that can be resumed by running the same command again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingUpload {
    pub local: PathBuf,
    pub size: u64,
    pub modified: i64,
    pub folder_id: i64,
    pub name: String,
    pub upload_url: String,
}

/// Where the sign-in is kept: `OPENPAN_CLIENT_FILE`, else `$XDG_CONFIG_HOME/openpan/client.json`,
/// else `~/.config/openpan/client.json`.
pub fn saved_path() -> anyhow::Result<PathBuf> {
    if let Some(file) = std::env::var_os("OPENPAN_CLIENT_FILE").filter(|file| !file.is_empty()) {
        return Ok(PathBuf::from(file));
    }
    let base = match std::env::var_os("XDG_CONFIG_HOME").filter(|dir| !dir.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(std::env::var_os("HOME").context("HOME is not set")?).join(".config"),
    };
    Ok(base.join("openpan").join("client.json"))
}

/// Holds the client file's lock (a file beside it) until dropped, so commands running at once
/// change the file one at a time.
struct SavedLock(std::fs::File);

impl Drop for SavedLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn lock_saved() -> anyhow::Result<SavedLock> {
    let path = saved_path()?.with_extension("lock");
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    file.lock().with_context(|| format!("cannot lock {}", path.display()))?;
    Ok(SavedLock(file))
}

/// Loads, changes and stores the client file under its lock.
fn update_saved(change: impl FnOnce(&mut Saved)) -> anyhow::Result<()> {
    let _lock = lock_saved()?;
    let mut saved = load()?;
    change(&mut saved);
    store(&saved)
}

fn load() -> anyhow::Result<Saved> {
    let path = saved_path()?;
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("not signed in (no {}); run `openpan login` first", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is damaged; run `openpan login` again", path.display()))
}

/// Writes the file whole and then renames it into place, readable by its owner only: it holds
/// tokens, and a crash mid-write must not lose the refresh token.
fn store(saved: &Saved) -> anyhow::Result<()> {
    let path = saved_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let staging = path.with_extension("json.new");
    {
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(&staging)
            .with_context(|| format!("cannot write {}", staging.display()))?;
        // A staging file left by a crash keeps its old mode; set it again.
        #[cfg(unix)]
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
        std::io::Write::write_all(&mut file, serde_json::to_string_pretty(saved)?.as_bytes())?;
        file.sync_all()?;
    }
    std::fs::rename(&staging, &path)?;
    Ok(())
}

fn client_builder(server: &str, client_id: &str) -> openpan_sdk::ClientBuilder {
    Client::builder(server, client_id).user_agent(&format!("openpan-cli/{}", env!("CARGO_PKG_VERSION")))
}

/// The client file as the SDK's shared token store: every renewal, at start or in the middle
/// of a long transfer, happens under the file's lock from the file's newest pair, so commands
/// running at once never both spend one refresh token (the server would end the sign-in).
/// A `login` elsewhere meanwhile (another server or app) replaces the file: a command still
/// running on the old sign-in neither takes up nor overwrites the new one's tokens.
struct FileTokens {
    server: String,
    client_id: String,
}

impl FileTokens {
    fn ours(&self, saved: &Saved) -> bool {
        saved.server == self.server && saved.client_id == self.client_id
    }
}

impl TokenStore for FileTokens {
    fn lock(&self) -> std::io::Result<(Box<dyn Send>, Option<Tokens>)> {
        let lock = lock_saved().map_err(std::io::Error::other)?;
        let saved = load().map_err(std::io::Error::other)?;
        let tokens = self.ours(&saved).then_some(saved.tokens);
        Ok((Box::new(lock), tokens))
    }

    fn store(&self, tokens: &Tokens) -> std::io::Result<()> {
        let mut saved = load().map_err(std::io::Error::other)?;
        if self.ours(&saved) {
            saved.tokens = tokens.clone();
            store(&saved).map_err(std::io::Error::other)?;
        }
        Ok(())
    }
}

/// The signed-in client; its tokens are renewed through the client file (`FileTokens`).
async fn signed_in() -> anyhow::Result<(Client, Saved)> {
    let saved = load()?;
    let client = client_builder(&saved.server, &saved.client_id)
        .token_store(Arc::new(FileTokens {
            server: saved.server.clone(),
            client_id: saved.client_id.clone(),
        }))
        .build()?;
    client.set_tokens(saved.tokens.clone()).await;
    // Renewed now if about to lapse, so a command does not start on a dead sign-in.
    if let Err(err) = client.access_token().await {
        if err.oauth_error() == Some("invalid_grant") {
            bail!("the sign-in has ended; run `openpan login` again");
        }
        return Err(anyhow::Error::new(err).context("could not renew the sign-in"));
    }
    Ok((client, saved))
}

/// `openpan login`: RFC 8628 device authorization, so no password passes through the terminal.
pub async fn login(server: &str, client_id: &str, scope: Option<&str>) -> anyhow::Result<()> {
    let server = server.trim_end_matches('/');
    let client = client_builder(server, client_id).build()?;
    let device = client
        .start_device_authorization(scope)
        .await
        .context("the server refused to start a sign-in")?;
    println!("To sign in, open {}", device.verification_uri);
    println!("and enter the code {}", device.user_code);
    if let Some(complete) = &device.verification_uri_complete {
        println!("(or open {complete})");
    }
    let tokens = client
        .wait_for_device(&device)
        .await
        .context("sign-in did not complete")?;
    store(&Saved {
        server: server.to_owned(),
        client_id: client_id.to_owned(),
        tokens,
        uploads: Vec::new(),
    })?;
    let me = client.me().await?;
    println!("Signed in to {server} as {} <{}>", me.name, me.email);
    Ok(())
}

/// `openpan logout`: ends the tokens at the server and forgets them.
pub async fn logout() -> anyhow::Result<()> {
    let (client, _) = signed_in().await?;
    // Forget locally even if the server is gone: the person asked to be signed out here.
    let ended = client.sign_out().await;
    std::fs::remove_file(saved_path()?)?;
    ended.context("signed out here, but the server did not confirm the tokens ended")?;
    println!("Signed out");
    Ok(())
}

/// `openpan whoami`.
pub async fn whoami(json: bool) -> anyhow::Result<()> {
    let (client, saved) = signed_in().await?;
    let me = client.me().await?;
    if json {
        println!("{}", serde_json::to_string(&me)?);
    } else {
        println!("{} <{}> (user {}) on {}", me.name, me.email, me.id, saved.server);
    }
    Ok(())
}

fn date(epoch: i64) -> String {
    jiff::Timestamp::from_second(epoch)
        .map(|at| at.strftime("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// `openpan ls [PATH]`: a folder's children (or one file), folders first.
pub async fn ls(path: &str, json: bool) -> anyhow::Result<()> {
    let (client, _) = signed_in().await?;
    let items = match client.resolve(path).await? {
        Item::Folder(folder) => client.children(folder.id).try_collect::<Vec<_>>().await?,
        file => vec![file],
    };
    for item in &items {
        if json {
            let line = match item {
                Item::Folder(folder) => serde_json::to_string(folder)?,
                Item::File(file) => serde_json::to_string(file)?,
            };
            println!("{line}");
            continue;
        }
        let (kind, name) = match item {
            Item::Folder(folder) => ("d", format!("{}/", folder.name)),
            Item::File(file) => ("-", file.name.clone()),
        };
        println!(
            "{kind} {:>10}  {}  {name}",
            indicatif::HumanBytes(item.size().max(0) as u64).to_string(),
            date(item.modified_at())
        );
    }
    Ok(())
}

fn bar(total: u64) -> ProgressBar {
    let bar = ProgressBar::new(total);
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}") {
        bar.set_style(style);
    }
    bar
}

fn modified_secs(meta: &std::fs::Metadata) -> i64 {
    meta.modified()
        .ok()
        .and_then(|at| at.duration_since(std::time::UNIX_EPOCH).ok())
        .map(|since| since.as_secs() as i64)
        .unwrap_or_default()
}

fn forget_upload(pending: &PendingUpload) -> anyhow::Result<()> {
    update_saved(|saved| saved.uploads.retain(|upload| upload != pending))
}

/// `openpan upload LOCAL [FOLDER]`: a resumable upload; run the same command again after an
/// interruption and only the missing parts go up.
pub async fn upload(local: &Path, folder: &str, overwrite: bool, part_mib: Option<u64>) -> anyhow::Result<()> {
    let (client, saved) = signed_in().await?;
    let meta = std::fs::metadata(local).with_context(|| format!("cannot read {}", local.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", local.display());
    }
    let name = local
        .file_name()
        .and_then(|name| name.to_str())
        .context("the file name is not UTF-8")?
        .to_owned();
    let Item::Folder(target) = client.resolve(folder).await? else {
        bail!("{folder} is a file, not a folder");
    };
    let local_abs = std::fs::canonicalize(local)?;
    let modified = modified_secs(&meta);
    let earlier = saved.uploads.iter().find(|upload| {
        upload.local == local_abs
            && upload.size == meta.len()
            && upload.modified == modified
            && upload.folder_id == target.id
            && upload.name == name
    });
    let session = match earlier {
        Some(pending) => match client.resumable_status(&pending.upload_url).await {
            Ok(session) => {
                eprintln!(
                    "Resuming: {} of {} parts are on the server",
                    session.parts.len(),
                    session.part_count
                );
                Some((session, pending.clone()))
            }
            // Expired or finished elsewhere: start over. Other failures (the network) end this
            // run with the session kept for the next.
            Err(err) if matches!(err.status(), Some(404 | 410)) => {
                forget_upload(pending)?;
                None
            }
            Err(err) => return Err(err.into()),
        },
        None => None,
    };
    let (session, pending) = match session {
        Some(found) => found,
        None => {
            let session = client
                .start_resumable_upload(
                    UploadTarget::Folder(target.id),
                    &name,
                    meta.len(),
                    part_mib.map(|mib| mib << 20),
                    overwrite,
                )
                .await?;
            let pending = PendingUpload {
                local: local_abs,
                size: meta.len(),
                modified,
                folder_id: target.id,
                name: name.clone(),
                upload_url: session.upload_url.clone(),
            };
            update_saved(|saved| saved.uploads.push(pending.clone()))?;
            (session, pending)
        }
    };
    let progress = bar(meta.len());
    let file = client
        .finish_resumable_upload(&session, local, &|done| progress.set_position(done))
        .await;
    progress.finish_and_clear();
    let file = file?;
    forget_upload(&pending)?;
    println!(
        "Uploaded {} ({}) as file {}",
        file.name,
        indicatif::HumanBytes(file.size as u64),
        file.id
    );
    Ok(())
}

/// `openpan download REMOTE [LOCAL]`: continues an interrupted download of the same content.
pub async fn download(remote: &str, local: Option<&Path>) -> anyhow::Result<()> {
    let (client, _) = signed_in().await?;
    let Item::File(file) = client.resolve(remote).await? else {
        bail!("{remote} is a folder; download files one by one");
    };
    let dest = match local {
        Some(path) if path.is_dir() => path.join(&file.name),
        Some(path) => path.to_path_buf(),
        None => PathBuf::from(&file.name),
    };
    let progress = bar(file.size as u64);
    let done = client
        .download_to(file.id, &dest, &|done| progress.set_position(done))
        .await;
    progress.finish_and_clear();
    done?;
    println!("Downloaded {} to {}", file.name, dest.display());
    Ok(())
}

/// What `openpan share` makes.
pub struct ShareOptions {
    pub company_only: bool,
    pub password: Option<String>,
    pub due: Option<String>,
    pub preview_only: bool,
}

/// `openpan share REMOTE`: prints a new share link's URL.
pub async fn share(remote: &str, options: ShareOptions) -> anyhow::Result<()> {
    let (client, _) = signed_in().await?;
    let item = client.resolve(remote).await?;
    let mut link = NewShareLink::public(&item);
    if options.company_only {
        link.access = "company".to_owned();
    }
    link.password_protected = options.password.is_some();
    link.password = options.password;
    link.due_time = options.due;
    link.disable_download = options.preview_only;
    let created = client.create_share_link(&link).await?;
    println!("{}", created.share_link);
    Ok(())
}
