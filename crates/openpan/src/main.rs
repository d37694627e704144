//! `openpan`: the self-hosted drive and its open platform in one binary.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use openpan::app::{Server, wire};
use openpan::config::Config;
use openpan::{admin, client};
use openpan_core::clock::SystemClock;
use openpan_core::ids::EnterpriseId;

/// Uploads and downloads move megabyte buffers between threads all day; mimalloc keeps them in
/// per-thread heaps instead of mapping and unmapping pages for each (which glibc's allocator
/// does for large blocks, at a high system-time cost).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
use openpan_core::model::{AppStatus, ClientType};
use openpan_core::services::{AppChanges, CreateApp, CreateEnterprise, CreateUser};

#[derive(Parser)]
#[command(
    name = "openpan",
    version,
    about = "Self-hosted enterprise drive with an open platform"
)]
struct Cli {
    /// TOML configuration file (settings in OPENPAN_* variables override it).
    #[arg(long, global = true, env = "OPENPAN_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (bootstraps an enterprise, admin and app on an empty database).
    Serve,
    /// Administer enterprises, users and apps on the configured database.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Show or check the configuration.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Sign in to a server with a code shown here and entered in a browser (device flow).
    Login {
        /// The server's URL, e.g. https://drive.example.com.
        #[arg(long, env = "OPENPAN_SERVER")]
        server: String,
        /// The client id of the enterprise's CLI app (first start prints it).
        #[arg(long, env = "OPENPAN_CLIENT_ID")]
        client_id: String,
        /// Space-separated scopes (default: all of the person's access).
        #[arg(long)]
        scope: Option<String>,
    },
    /// Sign out: end the saved tokens at the server and forget them.
    Logout,
    /// Show who is signed in.
    Whoami {
        #[arg(long)]
        json: bool,
    },
    /// List a folder of the personal space (`/` is its root).
    Ls {
        #[arg(default_value = "/")]
        path: String,
        /// One JSON object per item.
        #[arg(long)]
        json: bool,
    },
    /// Upload a file into a folder; run it again to resume an interrupted upload.
    Upload {
        local: PathBuf,
        #[arg(default_value = "/")]
        folder: String,
        /// On a name clash, make a new version instead of failing.
        #[arg(long)]
        overwrite: bool,
        /// Part size in MiB (1-256; default 8).
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..=256))]
        part_size: Option<u64>,
    },
    /// Download a file; run it again to resume an interrupted download.
    Download {
        remote: String,
        /// A file name or an existing directory (default: the file's name here).
        local: Option<PathBuf>,
    },
    /// Make a share link to a file or folder and print it.
    Share {
        remote: String,
        /// Only people of the enterprise may open it.
        #[arg(long)]
        company: bool,
        /// Visitors must enter this (letters and digits); the variable keeps it out of the
        /// process list and shell history.
        #[arg(long, env = "OPENPAN_SHARE_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The last day it works (YYYY-MM-DD).
        #[arg(long)]
        due: Option<String>,
        /// Visitors may preview but not download.
        #[arg(long)]
        preview_only: bool,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Print the default configuration as TOML.
    PrintDefault,
    /// Load and validate the configuration, then print it (secrets redacted).
    Check,
}

#[derive(Args)]
struct Output {
    /// Print one JSON line instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an enterprise with its administrator.
    CreateEnterprise {
        #[arg(long)]
        name: String,
        #[arg(long)]
        admin_name: String,
        #[arg(long)]
        admin_email: String,
        /// Unique ASCII account name; generated when absent.
        #[arg(long)]
        short_name: Option<String>,
        /// The admin's password; generated (and printed once) when absent.
        #[arg(long)]
        admin_password: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Add an active user to an enterprise.
    CreateUser {
        #[arg(long)]
        enterprise_id: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        email: Option<String>,
        #[arg(long)]
        phone: Option<String>,
        #[arg(long)]
        password: Option<String>,
        /// With --custom-id: the third-party platform that knows the user by that id.
        #[arg(long, requires = "custom_id")]
        platform_id: Option<i64>,
        /// The user's id on --platform-id (`user_ticket` lookups).
        #[arg(long, requires = "platform_id")]
        custom_id: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Register an OAuth2 app; prints its client secret once.
    CreateApp {
        #[arg(long)]
        enterprise_id: i64,
        #[arg(long)]
        name: String,
        #[arg(long)]
        callback_url: Option<String>,
        /// A public client (browser, mobile or CLI app): no secret, PKCE required.
        #[arg(long)]
        public: bool,
        /// Where the authorization endpoint may send codes (repeat for several).
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<String>,
        /// The scopes the app may be granted, space-separated (default: any).
        #[arg(long)]
        scopes: Option<String>,
        #[command(flatten)]
        output: Output,
    },
    /// Change an app's name, redirect URIs or scopes.
    UpdateApp {
        #[arg(long)]
        app_id: i64,
        #[arg(long)]
        name: Option<String>,
        /// Replaces the redirect URIs (repeat for several).
        #[arg(long = "redirect-uri")]
        redirect_uris: Option<Vec<String>>,
        /// The scopes the app may be granted, space-separated; empty for any.
        #[arg(long)]
        scopes: Option<String>,
        /// A PEM file with the public key the app signs `jwt`/`jwt-bearer` assertions with
        /// (RSA ≥ 2048 bits or P-256).
        #[arg(long, conflicts_with = "remove_jwt_public_key")]
        jwt_public_key: Option<std::path::PathBuf>,
        /// Remove the app's JWT public key (its tokens end).
        #[arg(long)]
        remove_jwt_public_key: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Give an app a new client secret; the old one keeps working for the grace period.
    RotateAppSecret {
        #[arg(long)]
        app_id: i64,
        /// How long the old secret keeps working, in hours (at most 168).
        #[arg(long, default_value_t = 24)]
        grace_hours: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Make a new ID-token signing key; it signs once every node has published it.
    RotateSigningKey {
        #[command(flatten)]
        output: Output,
    },
    /// Let (or stop) an enterprise's integrators sync accounts in bulk (`sync_users`).
    SetAccountSync {
        #[arg(long)]
        enterprise_id: i64,
        #[arg(long, action = clap::ArgAction::Set)]
        enabled: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Let an enterprise's apps use the OAuth `password` grant (they then see users'
    /// passwords), or stop them.
    SetPasswordGrant {
        #[arg(long)]
        enterprise_id: i64,
        #[arg(long, action = clap::ArgAction::Set)]
        enabled: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Disable an app; its tokens stop working at once.
    DisableApp {
        #[arg(long)]
        app_id: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Re-enable a disabled app.
    EnableApp {
        #[arg(long)]
        app_id: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Delete an app; its tokens stop working at once.
    DeleteApp {
        #[arg(long)]
        app_id: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Set how an app names users in the OA dialect's get-token.
    SetAppUserField {
        #[arg(long)]
        app_id: i64,
        /// any (numeric id, email or phone), id, email, phone, or custom_id:<platform id>.
        #[arg(long)]
        field: String,
        #[command(flatten)]
        output: Output,
    },
    /// Set when an enterprise's plan ends; past it, its writes answer `enterprise_is_expired`.
    Renew {
        #[arg(long)]
        enterprise_id: i64,
        /// The last paid day (YYYY-MM-DD, in +08:00), epoch seconds, or `none` for no end.
        #[arg(long)]
        until: String,
        #[command(flatten)]
        output: Output,
    },
    /// Issue a user access token (valid three months) for the auth service's `/apis/rest` APIs.
    CreateUserToken {
        #[arg(long)]
        user_id: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Revoke every user access token of a user.
    RevokeUserTokens {
        #[arg(long)]
        user_id: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Delete a user; its files go to the receiver, its tokens stop working at once.
    DeleteUser {
        #[arg(long)]
        user_id: i64,
        /// The user of the same enterprise who takes the deleted user's files.
        #[arg(long)]
        receiver_id: i64,
        #[command(flatten)]
        output: Output,
    },
    /// Write a backup into an empty folder: every table from one snapshot, the blob manifest
    /// and the secret key (keep the folder private). Safe while serving.
    Backup {
        #[arg(long)]
        to: PathBuf,
        /// Copy the blobs into the backup too (otherwise only their manifest).
        #[arg(long)]
        blobs: bool,
        #[command(flatten)]
        output: Output,
    },
    /// Load a backup into a new database (and its blobs, when it has them, into the store).
    Restore {
        #[arg(long)]
        from: PathBuf,
        #[command(flatten)]
        output: Output,
    },
    /// Copy every blob into another store (`local` with --to-dir, or `s3://bucket[/prefix]`
    /// with the s3.* settings), checked by hash; run again, it copies only what is missing.
    /// Then point the nodes' `storage` at it.
    MigrateStorage {
        #[arg(long)]
        to: String,
        /// The folder of a `local` target.
        #[arg(long)]
        to_dir: Option<PathBuf>,
        #[command(flatten)]
        output: Output,
    },
    /// Check the blob store against the database: blobs missing, damaged or recorded by
    /// nothing, and reference counts. Exits 1 while anything is wrong. Safe while serving.
    Fsck {
        /// Remove orphans older than `blob_grace_secs` and set reference counts right.
        #[arg(long)]
        repair: bool,
        /// Read every blob back and compare its SHA-256 (reads the whole store).
        #[arg(long)]
        verify_hashes: bool,
        #[command(flatten)]
        output: Output,
    },
}

fn print(output: &Output, value: &serde_json::Value) {
    if output.json {
        println!("{value}");
    } else if let Some(object) = value.as_object() {
        for (key, value) in object {
            match value {
                serde_json::Value::String(text) => println!("{key}: {text}"),
                serde_json::Value::Null => {}
                other => println!("{key}: {other}"),
            }
        }
    }
}

async fn run_admin(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let wired = wire(config, Arc::new(SystemClock)).await?;
    let core = &wired.core;
    let (output, value) = match command {
        AdminCommand::CreateEnterprise {
            name,
            admin_name,
            admin_email,
            short_name,
            admin_password,
            output,
        } => {
            let cmd = CreateEnterprise {
                name,
                short_name,
                admin_name,
                admin_email,
                admin_password,
            };
            (output, admin::create_enterprise(core, cmd).await?)
        }
        AdminCommand::CreateUser {
            enterprise_id,
            name,
            email,
            phone,
            password,
            platform_id,
            custom_id,
            output,
        } => {
            let cmd = CreateUser {
                enterprise_id: EnterpriseId(enterprise_id),
                name,
                email,
                phone,
                password,
            };
            (output, admin::create_user(core, cmd, platform_id.zip(custom_id)).await?)
        }
        AdminCommand::CreateApp {
            enterprise_id,
            name,
            callback_url,
            public,
            redirect_uris,
            scopes,
            output,
        } => {
            let cmd = CreateApp {
                enterprise_id: EnterpriseId(enterprise_id),
                name,
                callback_url,
                client_type: if public {
                    ClientType::Public
                } else {
                    ClientType::Confidential
                },
                redirect_uris,
                allowed_scopes: scopes,
            };
            (output, admin::create_app(core, cmd).await?)
        }
        AdminCommand::UpdateApp {
            app_id,
            name,
            redirect_uris,
            scopes,
            jwt_public_key,
            remove_jwt_public_key,
            output,
        } => {
            let jwt_public_key = match jwt_public_key {
                None if remove_jwt_public_key => Some(None),
                None => None,
                Some(path) => Some(Some(
                    std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?,
                )),
            };
            let changes = AppChanges {
                name,
                redirect_uris,
                allowed_scopes: scopes.map(|scopes| Some(scopes).filter(|scopes| !scopes.trim().is_empty())),
                jwt_public_key,
                callback_url: None,
            };
            (output, admin::update_app(core, app_id, changes).await?)
        }
        AdminCommand::RotateAppSecret {
            app_id,
            grace_hours,
            output,
        } => (output, admin::rotate_app_secret(core, app_id, grace_hours).await?),
        AdminCommand::RotateSigningKey { output } => (output, admin::rotate_signing_key(core).await?),
        AdminCommand::SetAccountSync {
            enterprise_id,
            enabled,
            output,
        } => (output, admin::set_account_sync(core, enterprise_id, enabled).await?),
        AdminCommand::SetPasswordGrant {
            enterprise_id,
            enabled,
            output,
        } => (output, admin::set_password_grant(core, enterprise_id, enabled).await?),
        AdminCommand::DisableApp { app_id, output } => {
            (output, admin::set_app_status(core, app_id, AppStatus::Disabled).await?)
        }
        AdminCommand::EnableApp { app_id, output } => {
            (output, admin::set_app_status(core, app_id, AppStatus::Active).await?)
        }
        AdminCommand::DeleteApp { app_id, output } => {
            (output, admin::set_app_status(core, app_id, AppStatus::Deleted).await?)
        }
        AdminCommand::SetAppUserField { app_id, field, output } => {
            (output, admin::set_app_user_field(core, app_id, &field).await?)
        }
        AdminCommand::Renew {
            enterprise_id,
            until,
            output,
        } => (output, admin::renew(core, enterprise_id, &until).await?),
        AdminCommand::CreateUserToken { user_id, output } => (output, admin::create_user_token(core, user_id).await?),
        AdminCommand::RevokeUserTokens { user_id, output } => (output, admin::revoke_user_tokens(core, user_id).await?),
        AdminCommand::DeleteUser {
            user_id,
            receiver_id,
            output,
        } => (output, admin::delete_user(core, user_id, receiver_id).await?),
        AdminCommand::Backup { to, blobs, output } => {
            let made = openpan::backup::backup(config, &wired.repo, &to, blobs).await?;
            if made["complete"] != true {
                print(&output, &made);
                wired.repo.close().await;
                anyhow::bail!("backup: blobs the snapshot records are missing or damaged (see above and the log)");
            }
            (output, made)
        }
        AdminCommand::Restore { from, output } => {
            let restored = openpan::backup::restore(config, &wired.repo, &from).await?;
            if restored["blobs_missing"] != 0 {
                print(&output, &restored);
                wired.repo.close().await;
                anyhow::bail!("restore: the blob store lacks blobs the backup records (see above)");
            }
            (output, restored)
        }
        AdminCommand::MigrateStorage { to, to_dir, output } => {
            let target = Config {
                storage: to,
                storage_dir: to_dir,
                ..config.clone()
            };
            let moved = openpan::backup::migrate_storage(config, &wired.repo, &target).await?;
            if moved["complete"] != true {
                print(&output, &moved);
                wired.repo.close().await;
                anyhow::bail!("migrate-storage: blobs are missing or damaged in the store in use (see above)");
            }
            (output, moved)
        }
        AdminCommand::Fsck {
            repair,
            verify_hashes,
            output,
        } => {
            let options = openpan_core::services::FsckOptions {
                repair,
                verify_hashes,
                grace_secs: i64::try_from(config.blob_grace_secs).unwrap_or(i64::MAX),
            };
            let report = core
                .fsck(&openpan_core::auth::Principal::local_operator(), options)
                .await
                .map_err(admin::describe)?;
            print(&output, &admin::fsck_report(&report));
            wired.repo.close().await;
            if report.has_problems() {
                anyhow::bail!("fsck: the blob store and the database disagree (see above)");
            }
            return Ok(());
        }
    };
    print(&output, &value);
    wired.repo.close().await;
    Ok(())
}

async fn serve(config: &Config) -> anyhow::Result<()> {
    let server = Server::build(config, Arc::new(SystemClock)).await?;
    let public_url = server.public_url.clone();
    if let Some(first) = admin::bootstrap(&server.wired.core).await? {
        print_first_start(&public_url, &first);
    }
    println!(
        "openpan is serving at {public_url} (listening on {})",
        server.local_addr
    );
    tracing::info!(address = %server.local_addr, "serving");
    server.run(shutdown_signal()).await
}

fn print_first_start(public_url: &str, first: &admin::Bootstrapped) {
    let text = |value: &serde_json::Value, key: &str| value[key].as_str().unwrap_or_default().to_owned();
    let client_id = text(&first.app, "client_id");
    let client_secret = text(&first.app, "client_secret");
    let enterprise_id = &first.enterprise["enterprise_id"];
    println!(
        "First start: created enterprise {} (id {enterprise_id}), its administrator and one app.",
        text(&first.enterprise, "short_name")
    );
    println!("  administrator login: {}", text(&first.enterprise, "admin_email"));
    println!(
        "  administrator password: {}   (shown only this once)",
        text(&first.enterprise, "admin_password")
    );
    println!("Sign in to the web console: open {public_url} in a browser with that login and password.");
    println!("  app client_id:     {client_id}");
    println!("  app client_secret: {client_secret}   (shown only this once)");
    println!("Get an enterprise token (scope admin):");
    println!(
        "  now=$(date +%s); assertion=$(printf '{{\"yifangyun_sub_type\":\"enterprise\",\"sub\":{enterprise_id},\"iat\":%s,\"exp\":%s,\"jti\":\"%s\"}}' $now $((now+60)) $RANDOM$now | base64 -w0)"
    );
    println!(
        "  curl -s -X POST -u '{client_id}:{client_secret}' \"{public_url}/oauth/token?grant_type=jwt_simple&assertion=$assertion\""
    );
    println!("Then: curl -H \"Authorization: Bearer <access_token>\" '{public_url}/api/v2/admin/user/all'");
    println!("Or sign in from a terminal and use the drive:");
    println!(
        "  openpan login --server {public_url} --client-id {}",
        text(&first.cli_app, "client_id")
    );
    println!("  openpan ls /; openpan upload FILE /; openpan download /FILE; openpan share /FILE");
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Logs to stderr as `log_format` says (`json` or text), at the levels `RUST_LOG` names.
fn init_logs(json: bool) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        // The span list too: a line logged inside a nested span (a repository call) still
        // carries the request span's id.
        logs.json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .init();
    } else {
        logs.init();
    }
}

impl Command {
    /// Whether the command works on the configured database and store (and so reads the
    /// configuration), rather than as a client of some server.
    fn is_server_side(&self) -> bool {
        matches!(
            self,
            Command::Serve | Command::Admin { .. } | Command::Migrate | Command::Config { .. }
        )
    }
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: cannot start the async runtime: {err}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    if let Command::Config {
        command: ConfigCommand::PrintDefault,
    } = cli.command
    {
        print!("{}", Config::default_toml());
        return Ok(());
    }
    // The server side logs as its configuration says, so logging starts once that is read.
    if !cli.command.is_server_side() {
        init_logs(false);
    }
    let command = match cli.command {
        Command::Login {
            server,
            client_id,
            scope,
        } => return client::login(&server, &client_id, scope.as_deref()).await,
        Command::Logout => return client::logout().await,
        Command::Whoami { json } => return client::whoami(json).await,
        Command::Ls { path, json } => return client::ls(&path, json).await,
        Command::Upload {
            local,
            folder,
            overwrite,
            part_size,
        } => return client::upload(&local, &folder, overwrite, part_size).await,
        Command::Download { remote, local } => return client::download(&remote, local.as_deref()).await,
        Command::Share {
            remote,
            company,
            password,
            due,
            preview_only,
        } => {
            let options = client::ShareOptions {
                company_only: company,
                password,
                due,
                preview_only,
            };
            return client::share(&remote, options).await;
        }
        server_side => server_side,
    };
    let config = Config::load(cli.config.as_deref())?;
    init_logs(config.log_format == "json");
    match command {
        Command::Serve => serve(&config).await,
        Command::Admin { command } => {
            // What an operator changes from the host is on the audit log as the command line's.
            let origin = openpan_core::audit::Origin {
                ip: String::new(),
                user_agent: format!("openpan admin {}", env!("CARGO_PKG_VERSION")),
                service: "命令行".to_owned(),
            };
            openpan_core::audit::scope(origin, run_admin(&config, command)).await
        }
        Command::Migrate => {
            let wired = wire(&config, Arc::new(SystemClock)).await.context("migration failed")?;
            wired.repo.close().await;
            println!("database is up to date");
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::Check,
        } => {
            println!("{config:#?}");
            println!("configuration is valid");
            Ok(())
        }
        Command::Config {
            command: ConfigCommand::PrintDefault,
        } => unreachable!("handled above"),
        _ => unreachable!("client commands return above"),
    }
}
