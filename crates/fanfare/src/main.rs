//! The `fanfare` binary: serve, inspect the configuration, check health, manage API keys.

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{Args, CommandFactory, FromArgMatches, Parser, Subcommand};
use fanfare_core::api_key::{NewApiKey, parse_key_name};
use fanfare_server::console::CreateUserError;
use fanfare_store::{DynStore, redact_url};
use tracing_subscriber::EnvFilter;

mod audit;
mod config;
mod demo;

use config::Config;

/// Fanfare: a self-hosted engine for social media marketing and optimization.
#[derive(Debug, Parser)]
#[command(name = "fanfare", version, propagate_version = true)]
struct Cli {
    #[command(flatten)]
    global: GlobalArgs,
    #[command(subcommand)]
    command: Command,
}

/// Settings shared by every command; each also reads a FANFARE_* variable and `fanfare.toml`.
#[derive(Debug, Args)]
struct GlobalArgs {
    /// Configuration file [default: fanfare.toml, if present]
    #[arg(long, env = "FANFARE_CONFIG", global = true, value_name = "FILE")]
    config: Option<String>,
    /// Address to listen on [default: 127.0.0.1:8080]
    #[arg(long, env = "FANFARE_BIND", global = true, value_name = "IP:PORT")]
    bind: Option<String>,
    /// Public URL used in every link Fanfare prints [default: http://<bind>]
    #[arg(long, env = "FANFARE_BASE_URL", global = true, value_name = "URL")]
    base_url: Option<String>,
    /// sqlite://PATH or postgres://USER:PASSWORD@HOST/DB [default: sqlite://fanfare.db]
    #[arg(long, env = "FANFARE_DATABASE_URL", global = true, value_name = "URL")]
    database_url: Option<String>,
    /// Log filter: a level or tracing directives [default: info]
    #[arg(long, env = "FANFARE_LOG", global = true, value_name = "FILTER")]
    log: Option<String>,
    /// Header your reverse proxy sets to the client IP (e.g. X-Forwarded-For) [default: none]
    #[arg(
        long,
        env = "FANFARE_TRUSTED_PROXY_HEADER",
        global = true,
        value_name = "HEADER"
    )]
    trusted_proxy_header: Option<String>,
    /// Joins per visitor and hour after which joins are flagged as a burst [default: 5]
    #[arg(
        long,
        env = "FANFARE_JOIN_BURST_LIMIT",
        global = true,
        value_name = "N"
    )]
    join_burst_limit: Option<String>,
    /// Joins per network (IPv4 address, IPv6 /64), campaign and day after which joins are
    /// flagged [default: 20]
    #[arg(
        long,
        env = "FANFARE_NETWORK_JOIN_LIMIT",
        global = true,
        value_name = "N"
    )]
    network_join_limit: Option<String>,
    /// Joins per network referred by one fan in a day after which they are flagged [default: 3]
    #[arg(
        long,
        env = "FANFARE_NETWORK_REFERRAL_LIMIT",
        global = true,
        value_name = "N"
    )]
    network_referral_limit: Option<String>,
    /// Public API requests per visitor, campaign and minute (ten times as many per network)
    /// [default: 60]
    #[arg(
        long,
        env = "FANFARE_PUBLIC_RATE_LIMIT",
        global = true,
        value_name = "N"
    )]
    public_rate_limit: Option<String>,
    /// Short codes (a link on one channel) kept in memory for redirects [default: 100000]
    #[arg(long, env = "FANFARE_LINK_CACHE_SIZE", global = true, value_name = "N")]
    link_cache_size: Option<String>,
    /// Clicks that may wait for the database writer before clicks get 503 [default: 10000]
    #[arg(long, env = "FANFARE_CLICK_QUEUE", global = true, value_name = "N")]
    click_queue: Option<String>,
    /// Comments, creations and reactions one fan may post per minute [default: 20]
    #[arg(
        long,
        env = "FANFARE_INTERACTIONS_PER_MINUTE",
        global = true,
        value_name = "N"
    )]
    interactions_per_minute: Option<String>,
    /// Let audits fetch from, and webhooks post to, loopback, private and link-local addresses:
    /// true or false [default: false] (formerly --audit-allow-private, still accepted)
    #[arg(
        long,
        alias = "audit-allow-private",
        env = "FANFARE_ALLOW_PRIVATE_ADDRESSES",
        global = true,
        value_name = "BOOL"
    )]
    allow_private_addresses: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API (creates and migrates the database if needed).
    Serve,
    /// Serve a demo: its own SQLite file, replaced on each start, with a campaign whose weeks of
    /// history are simulated; prints the dashboard's URL and login.
    Demo(demo::DemoArgs),
    /// Print the effective configuration and where each value comes from (secrets hidden).
    Config,
    /// Exit 0 if the server answers /readyz with 200, 1 otherwise (for container health checks).
    Healthcheck {
        /// Base URL of the server to check [default: http://<bind>]
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
    /// Manage admin API keys.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Audit pages' social tags: what Facebook, X and LinkedIn will show, what is wrong, and the
    /// tags that fix it. Exit 0: clean; 1: findings at or above --fail-on; 2: a page could not be read.
    Audit(audit::AuditArgs),
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// Create an API key; prints it once, alone on the last line.
    CreateKey {
        #[arg(long)]
        name: String,
    },
    /// List API keys (never the keys themselves).
    ListKeys,
    /// Revoke an API key by its id (see list-keys); requests with it then get 401.
    RevokeKey { id: i64 },
    /// Add a console user (roles: admin = everything, moderator = moderation only, viewer =
    /// reports only); prints a generated password once, alone on the last line.
    CreateUser {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// List console users (never their passwords).
    ListUsers,
    /// Set a console user's password, read from the first line of standard input (at least 12
    /// characters); the user's open sessions end.
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

// Every redirect allocates a little (headers, the tracked URL, the click); glibc's allocator
// spent a tenth of the server's time under load in locks and consolidation.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let config = match Config::load(&matches) {
        Ok(config) => config,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<ExitCode> {
    match command {
        Command::Serve => serve(config, None).await,
        Command::Demo(args) => serve(config, Some(args)).await,
        Command::Config => {
            print!("{}", config.render());
            Ok(ExitCode::SUCCESS)
        }
        Command::Healthcheck { url } => healthcheck(&config, url).await,
        Command::Audit(args) => audit::run(args, config.allow_private_addresses.value).await,
        Command::Admin(admin) => {
            let store = open_store(&config.database_url.value).await?;
            let result = run_admin(admin, &store).await;
            store.close().await;
            result
        }
    }
}

/// Chooses the backend from the URL's scheme. An unknown scheme is an error, never a new file.
async fn open_store(url: &str) -> anyhow::Result<DynStore> {
    let scheme = url.split_once(':').map(|(scheme, _)| scheme);
    match scheme {
        Some("sqlite") => Ok(Arc::new(
            fanfare_sqlite::SqliteStore::open(url)
                .await
                .map_err(anyhow::Error::msg)?,
        )),
        Some("postgres" | "postgresql") => Ok(Arc::new(
            fanfare_postgres::PostgresStore::open(url)
                .await
                .map_err(anyhow::Error::msg)?,
        )),
        _ => bail!(
            "the database URL {:?} has no known scheme; use sqlite://PATH (the embedded default) or postgres://USER:PASSWORD@HOST/DATABASE",
            redact_url(url)
        ),
    }
}

fn init_logging(filter: &str) {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

async fn serve(mut config: Config, demo: Option<demo::DemoArgs>) -> anyhow::Result<ExitCode> {
    init_logging(&config.log.value);
    let listener = tokio::net::TcpListener::bind(config.bind.value)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind.value))?;
    let bound = listener.local_addr()?;
    config.resolve_base_url(bound);
    let base_url = config
        .base_url
        .as_ref()
        .map_or_else(|| format!("http://{bound}/"), |s| s.value.to_string());
    let store = match &demo {
        Some(args) => demo::prepare(args, &base_url).await?.0,
        None => open_store(&config.database_url.value).await?,
    };
    tracing::info!(
        address = %bound,
        %base_url,
        database = store.backend(),
        version = env!("CARGO_PKG_VERSION"),
        "Fanfare is serving"
    );
    // Scripts and tests read the address from this line (the port may have been 0).
    println!("listening on http://{bound}");
    let state = fanfare_server::AppState::with_config(
        store,
        fanfare_server::ServerConfig {
            trusted_proxy_header: config.trusted_proxy_header.value.clone(),
            join_burst_limit: config.join_burst_limit.value,
            network_join_limit: config.network_join_limit.value,
            network_referral_limit: config.network_referral_limit.value,
            public_rate_limit: config.public_rate_limit.value,
            base_url: config
                .base_url
                .as_ref()
                .map(|s| s.value.clone())
                .context("the base URL is known once bound")?,
            link_cache_size: config.link_cache_size.value as usize,
            click_queue: config.click_queue.value as usize,
            interactions_per_minute: config.interactions_per_minute.value,
            share_templates: config.share_templates.clone(),
            allow_private_addresses: config.allow_private_addresses.value,
            ..fanfare_server::ServerConfig::default()
        },
    );
    fanfare_server::serve(listener, state, shutdown_signal()).await?;
    tracing::info!("stopped cleanly");
    Ok(ExitCode::SUCCESS)
}

/// SIGINT (Ctrl-C) or SIGTERM (what service managers and container runtimes send).
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: finishing in-flight requests");
}

async fn healthcheck(config: &Config, url: Option<String>) -> anyhow::Result<ExitCode> {
    let base = match url {
        Some(url) => url,
        None => {
            let mut addr = config.bind.value;
            if addr.ip().is_unspecified() {
                addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
            }
            format!("http://{addr}")
        }
    };
    let target = format!("{}/readyz", base.trim_end_matches('/'));
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()?;
    match client.get(&target).send().await {
        Ok(response) if response.status().is_success() => {
            println!("ready: {target} answered {}", response.status());
            Ok(ExitCode::SUCCESS)
        }
        Ok(response) => {
            println!("not ready: {target} answered {}", response.status());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => {
            println!("not ready: {target}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

async fn run_admin(command: AdminCommand, store: &DynStore) -> anyhow::Result<ExitCode> {
    match command {
        AdminCommand::CreateKey { name } => {
            let name = parse_key_name(&name).map_err(|e| anyhow::anyhow!("{}", e.message))?;
            let key = NewApiKey::generate();
            let record = store.create_api_key(&name, &key).await?;
            println!(
                "Created API key {} ({:?}). It is shown only now; store it somewhere safe:",
                record.id, record.name
            );
            println!("{}", key.secret);
        }
        AdminCommand::CreateUser { email, role } => {
            match fanfare_server::console::create_user_with_password(store.as_ref(), &email, &role)
                .await
            {
                Ok((user, password)) => {
                    println!(
                        "Created {} ({}: {}). Log in at /admin with this password, shown only now:",
                        user.email,
                        user.role,
                        user.role.describe()
                    );
                    println!("{password}");
                }
                Err(CreateUserError::Store(e)) => return Err(e.into()),
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
            }
        }
        AdminCommand::ListUsers => {
            let users = store.list_users().await?;
            if users.is_empty() {
                println!(
                    "No users yet: create one with `fanfare admin create-user --email EMAIL --role admin`."
                );
            } else {
                println!("{:>5}  {:<10}  {:<8}  EMAIL", "ID", "ROLE", "STATUS");
                for user in users {
                    let status = if user.password_hash.is_some() {
                        "active"
                    } else {
                        "invited"
                    };
                    println!(
                        "{:>5}  {:<10}  {:<8}  {}",
                        user.id, user.role, status, user.email
                    );
                }
            }
        }
        AdminCommand::SetPassword { email } => {
            let email = email.trim().to_lowercase();
            let Some(user) = store.find_user_by_email(&email).await? else {
                eprintln!(
                    "error: no user has the address {email:?}; see `fanfare admin list-users`"
                );
                return Ok(ExitCode::FAILURE);
            };
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            let password = line.trim_end_matches(['\r', '\n']);
            let hash = match fanfare_server::console::hash_password(password) {
                Ok(hash) => hash,
                Err(e) => {
                    eprintln!("error: {e}");
                    return Ok(ExitCode::from(2));
                }
            };
            store.set_user_password(user.id, &hash, None).await?;
            println!("password of {} set; log in at /admin", user.email);
        }
        AdminCommand::ListKeys => {
            let keys = store.list_api_keys().await?;
            if keys.is_empty() {
                println!(
                    "No API keys yet: create one with `fanfare admin create-key --name NAME`."
                );
            } else {
                println!(
                    "{:>5}  {:<14}  {:<20}  {:<8}  NAME",
                    "ID", "PREFIX", "CREATED", "STATUS"
                );
                for key in keys {
                    let status = if key.revoked_at.is_some() {
                        "revoked"
                    } else {
                        "active"
                    };
                    println!(
                        "{:>5}  {:<14}  {:<20}  {:<8}  {}",
                        key.id,
                        format!("{}…", key.prefix),
                        key.created_at.format("%Y-%m-%d %H:%M:%S"),
                        status,
                        key.name
                    );
                }
            }
        }
        AdminCommand::RevokeKey { id } => match store.revoke_api_key(id).await? {
            Some(key) => println!("Revoked API key {} ({:?}).", key.id, key.name),
            None => {
                eprintln!("error: there is no API key with id {id}; see `fanfare admin list-keys`");
                return Ok(ExitCode::FAILURE);
            }
        },
    }
    Ok(ExitCode::SUCCESS)
}
