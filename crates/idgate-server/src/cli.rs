//! The command line: `serve`, `migrate`, `tenant create|policy|frame-origins|limits|retention|redirect-url|allow-http`, `api-key
//! create|list|revoke`, `client create|list|revoke|rotate-secret`, `webhook add|replay|list|remove|
//! rotate-secret`, `operator invite|list|remove` ([`crate::cli_operator`]), `config check` (the credential commands in [`crate::cli_credentials`]). Commands that create things print one JSON object on
//! stdout and nothing else; diagnostics go to stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use serde::Serialize;

use idgate_core::session::decision::Policy;

use crate::app::admin::{self, NewClient};
use crate::clock::{Clock, SystemClock};
use crate::config::Config;

#[derive(Parser, Debug)]
#[command(
    name = "idgate",
    version,
    about = "Self-hosted identity verification and passwordless login"
)]
pub struct Cli {
    /// Config file (default ./idgate.toml when present).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Data directory (SQLite database, dev keys). Also IDGATE_DATA_DIR.
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Run the server.
    Serve {
        /// Address to listen on. Also IDGATE_LISTEN.
        #[arg(long)]
        listen: Option<String>,
        /// Dev mode: sandbox tenant and master key created on first start.
        #[arg(long)]
        dev: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Tenants.
    Tenant {
        #[command(subcommand)]
        cmd: TenantCmd,
    },
    /// API keys.
    #[command(name = "api-key")]
    ApiKey {
        #[command(subcommand)]
        cmd: KeyCmd,
    },
    /// OAuth clients (QR-code and push login).
    Client {
        #[command(subcommand)]
        cmd: ClientCmd,
    },
    /// Login JWT signing keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// Authenticator devices.
    Device {
        #[command(subcommand)]
        cmd: crate::cli_credentials::DeviceCmd,
    },
    /// Operators of the console (passkey sign-in).
    Operator {
        #[command(subcommand)]
        cmd: crate::cli_operator::OperatorCmd,
    },
    /// Webhook endpoints and deliveries.
    Webhook {
        #[command(subcommand)]
        cmd: WebhookCmd,
    },
    /// Configuration.
    Config {
        #[command(subcommand)]
        cmd: ConfigCmd,
    },
    /// Face models.
    Faces {
        #[command(subcommand)]
        cmd: FacesCmd,
    },
    /// Active liveness.
    Liveness {
        #[command(subcommand)]
        cmd: LivenessCmd,
    },
}

#[derive(Subcommand, Debug)]
enum LivenessCmd {
    /// Each clip's outcome, reasons and timings over DIR/<case>/{*.jpg, case.json}.
    Eval { dir: PathBuf },
}

#[derive(Subcommand, Debug)]
enum KeysCmd {
    /// Add a new JWT signing key: each node signs with it from its next start; older keys stay
    /// in the JWKS for 30 days (the longest token lifetime).
    Rotate,
}

#[derive(Subcommand, Debug)]
enum FacesCmd {
    /// Genuine/impostor distances, EER and TAR at FAR 1% and 0.1% over DIR/<person>/<photo>.
    Eval { dir: PathBuf },
}

#[derive(Subcommand, Debug)]
enum TenantCmd {
    /// Create a tenant.
    Create {
        name: String,
        /// Sandbox tenant (accepts test CPFs such as 111.111.111-11).
        #[arg(long)]
        sandbox: bool,
        #[arg(long, default_value = "America/Sao_Paulo")]
        time_zone: String,
    },
    /// Set a tenant's decision policy.
    Policy {
        name: String,
        /// What a check that cannot be made (nothing read, no face on the document, template
        /// `others`) does to a session: `manual_analysis` (default) or `reject`.
        #[arg(long, value_parser = ["manual_analysis", "reject"])]
        unverifiable: String,
        /// What a device the device scan found risky does to an otherwise approved session:
        /// `ignore` (default; the signals stay in `step_data`) or `manual_analysis`.
        #[arg(long, default_value = "ignore", value_parser = ["ignore", "manual_analysis"])]
        risky_device: String,
        /// More distinct CPFs than this on one device in 24 h is a risk signal.
        #[arg(long, default_value_t = idgate_core::session::decision::DEFAULT_MAX_CPFS_PER_DEVICE)]
        max_cpfs_per_device: u32,
        /// Liveness attempts a session's face step allows before it fails for good (1-10).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=10))]
        liveness_attempts: u8,
    },
    /// Set the origins allowed to frame the tenant's `open_mode: iframe` sessions (none given:
    /// no other site may).
    FrameOrigins {
        name: String,
        /// `https://host[:port]` (`http://` only for localhost).
        origins: Vec<String>,
    },
    /// Set the rate limit of the tenant's API keys and OAuth clients (each key's tenant and
    /// each client counts separately); 0 requests per second: the server default.
    Limits {
        name: String,
        #[arg(long)]
        requests_per_second: u32,
        #[arg(long)]
        burst: u32,
    },
    /// Set how many days after a session became final its biometrics (selfie, liveness, face
    /// validations) and its document reads are deleted (defaults: `[retention]`, 90 and 180).
    Retention {
        name: String,
        #[arg(long)]
        biometrics_days: i64,
        #[arg(long)]
        documents_days: i64,
    },
    /// Set where the page of a finished `open_mode: link` session sends the person (with
    /// `session_id` and `status` added to the query); none given: it stays on its last screen.
    RedirectUrl { name: String, url: Option<String> },
    /// Allow plain `http` for one webhook or login-callback URL of the tenant (on a public
    /// address; every other receiver URL must be `https`); `--remove` withdraws it.
    AllowHttp {
        name: String,
        #[arg(long)]
        url: String,
        #[arg(long)]
        remove: bool,
    },
}

use crate::cli_credentials::{ClientManage, KeyCmd, WebhookManage};

#[derive(Subcommand, Debug)]
enum ClientCmd {
    /// Create an OAuth client; the secret is printed once.
    Create(ClientArgs),
    #[command(flatten)]
    Manage(ClientManage),
}

#[derive(Args, Debug)]
struct ClientArgs {
    #[arg(long)]
    tenant: String,
    #[arg(long)]
    name: String,
    #[arg(long = "scope", required = true)]
    scopes: Vec<String>,
    #[arg(long = "callback-url")]
    callback_urls: Vec<String>,
    #[arg(long)]
    can_notify: bool,
    #[arg(long)]
    websocket: bool,
    /// Seconds a login stays open.
    #[arg(long, default_value_t = 300)]
    auth_ttl: i64,
}

#[derive(Subcommand, Debug)]
enum WebhookCmd {
    /// Register an endpoint; the signing secret is printed once.
    Add {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        url: String,
        /// Event types to send (default: all).
        #[arg(long = "event")]
        events: Vec<String>,
    },
    /// Queue dead deliveries again (or every delivery of one event).
    Replay {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        event_id: Option<String>,
    },
    #[command(flatten)]
    Manage(WebhookManage),
}

#[derive(Subcommand, Debug)]
enum ConfigCmd {
    /// Load and validate the configuration, print it (secrets redacted).
    Check,
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("idgate: {e}");
            ExitCode::FAILURE
        }
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("IDGATE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,tower_http=warn,sqlx=warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn print<T: Serialize>(v: &T) -> Result<(), String> {
    println!("{}", serde_json::to_string(v).map_err(|e| e.to_string())?);
    Ok(())
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut cfg = Config::load(cli.config.as_deref())?;
    if let Some(d) = cli.data {
        cfg.data_dir = d;
    }
    for k in Config::unknown_env() {
        tracing::warn!(variable = %k, "unknown IDGATE_ variable ignored");
    }
    let now = SystemClock.now_ms();
    match cli.cmd {
        Cmd::Serve { listen, dev } => {
            if let Some(l) = listen {
                cfg.listen = l;
            }
            cfg.dev |= dev;
            let running = crate::server::start(cfg, Arc::new(SystemClock)).await?;
            running.wait_for_signal().await;
            Ok(())
        }
        Cmd::Migrate => {
            crate::server::open_store(&cfg).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Cmd::Tenant {
            cmd:
                TenantCmd::Create {
                    name,
                    sandbox,
                    time_zone,
                },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            print(
                &admin::create_tenant(&store, now, &name, sandbox, &time_zone)
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::Tenant {
            cmd: TenantCmd::AllowHttp { name, url, remove },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            let t = tenant_id(&store, &name).await?;
            print(
                &crate::app::receivers::allow_http(&store, now, &t, &url, remove)
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::Tenant {
            cmd: TenantCmd::RedirectUrl { name, url },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            print(
                &admin::set_redirect_url(&store, &name, url.as_deref())
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::Tenant {
            cmd: TenantCmd::FrameOrigins { name, origins },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            print(
                &admin::set_frame_origins(&store, &name, &origins)
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::Tenant {
            cmd:
                TenantCmd::Policy {
                    name,
                    unverifiable,
                    risky_device,
                    max_cpfs_per_device,
                    liveness_attempts,
                },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            let policy: Policy = serde_json::from_value(serde_json::json!({
                "unverifiable": unverifiable,
                "risky_device": risky_device,
                "max_cpfs_per_device": max_cpfs_per_device,
                "liveness_attempts": liveness_attempts,
            }))
            .map_err(|e| e.to_string())?;
            print(
                &admin::set_decision_policy(&store, &name, policy)
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::ApiKey { cmd } => crate::cli_credentials::api_key(&cfg, now, cmd).await,
        Cmd::Device { cmd } => crate::cli_credentials::device(&cfg, now, cmd).await,
        Cmd::Operator { cmd } => crate::cli_operator::run(&cfg, now, cmd).await,
        Cmd::Keys {
            cmd: KeysCmd::Rotate,
        } => {
            let store = crate::server::open_store(&cfg).await?;
            let keys = crate::keys::load(&cfg)?;
            crate::keys::check_fingerprint(&store, &keys).await?;
            let kid = crate::app::login_runtime::rotate_jwt_key(&store, &keys, now).await?;
            let uqudo_kid = crate::app::uqudo::keys::rotate(&store, &keys, now).await?;
            print(&serde_json::json!({"kid": kid, "uqudo_kid": uqudo_kid, "created_at": now}))
        }
        Cmd::Client {
            cmd: ClientCmd::Manage(cmd),
        } => crate::cli_credentials::client(&cfg, now, cmd).await,
        Cmd::Webhook {
            cmd: WebhookCmd::Manage(cmd),
        } => crate::cli_credentials::webhook(&cfg, cmd).await,
        Cmd::Tenant {
            cmd:
                TenantCmd::Limits {
                    name,
                    requests_per_second,
                    burst,
                },
        } => crate::cli_credentials::limits(&cfg, &name, requests_per_second, burst).await,
        Cmd::Tenant {
            cmd:
                TenantCmd::Retention {
                    name,
                    biometrics_days,
                    documents_days,
                },
        } => crate::cli_credentials::retention(&cfg, &name, biometrics_days, documents_days).await,
        Cmd::Client {
            cmd: ClientCmd::Create(a),
        } => {
            let store = crate::server::open_store(&cfg).await?;
            let t = tenant_id(&store, &a.tenant).await?;
            let c = NewClient {
                name: a.name,
                scopes: a.scopes,
                callback_urls: a.callback_urls,
                can_notify: a.can_notify,
                websocket: a.websocket,
                auth_ttl: a.auth_ttl,
            };
            print(
                &admin::create_client(&store, now, &t, c)
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::Webhook {
            cmd:
                WebhookCmd::Add {
                    tenant,
                    url,
                    events,
                },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            let keys = crate::keys::load(&cfg)?;
            crate::keys::check_fingerprint(&store, &keys).await?;
            let t = tenant_id(&store, &tenant).await?;
            let allow = cfg.webhooks.allow_private;
            print(
                &admin::add_webhook(&store, &keys, now, &t, &url, &events, allow)
                    .await
                    .map_err(|e| e.message)?,
            )
        }
        Cmd::Webhook {
            cmd: WebhookCmd::Replay { tenant, event_id },
        } => {
            let store = crate::server::open_store(&cfg).await?;
            let t = tenant_id(&store, &tenant).await?;
            let n = store
                .outbox_replay(&t, event_id.as_deref(), now)
                .await
                .map_err(|e| e.to_string())?;
            print(&serde_json::json!({"tenant_id": t, "requeued": n}))
        }
        Cmd::Liveness {
            cmd: LivenessCmd::Eval { dir },
        } => {
            let faces = cfg.faces.clone();
            let report = tokio::task::spawn_blocking(move || {
                let mut models = idgate_vision::face::FaceModels::load(&faces.faces_dir())
                    .map_err(|e| e.to_string())?;
                idgate_vision::face::liveness::eval::eval_dir(&dir, &mut models)
                    .map_err(|e| e.to_string())
            })
            .await
            .map_err(|e| e.to_string())??;
            print!("{report}");
            Ok(())
        }
        Cmd::Faces {
            cmd: FacesCmd::Eval { dir },
        } => {
            let faces = cfg.faces.clone();
            let report = tokio::task::spawn_blocking(move || {
                crate::app::faces::engine::eval_report(&faces, &dir)
            })
            .await
            .map_err(|e| e.to_string())??;
            print!("{report}");
            Ok(())
        }
        Cmd::Config {
            cmd: ConfigCmd::Check,
        } => {
            crate::keys::load(&cfg)
                .map(|_| ())
                .or_else(|e| if cfg.dev { Ok(()) } else { Err(e) })?;
            print(
                &serde_json::json!({"ok": true, "database": redact_url(&cfg.database_url()), "config": format!("{cfg:?}")}),
            )
        }
    }
}

/// Accepts a tenant name or id.
pub(crate) async fn tenant_id(
    store: &idgate_store::Store,
    name_or_id: &str,
) -> Result<String, String> {
    if let Ok(t) = store.tenant_by_name(name_or_id).await {
        return Ok(t.id);
    }
    store
        .tenant_by_id(name_or_id)
        .await
        .map(|t| t.id)
        .map_err(|_| format!("no tenant named {name_or_id}"))
}

fn redact_url(u: &str) -> String {
    match url::Url::parse(u) {
        Ok(mut p) if p.password().is_some() => {
            let _ = p.set_password(Some("***"));
            p.to_string()
        }
        _ => u.to_owned(),
    }
}
