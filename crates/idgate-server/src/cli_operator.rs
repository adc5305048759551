//! `idgate operator invite|list|remove`: the operator console's people. `invite` prints one
//! JSON object with a one-time link (registers one passkey, expires after
//! `console.invite_ttl_secs`, default 72 h); `remove` ends the operator's passkeys and sign-ins.

use clap::Subcommand;
use serde_json::json;

use crate::app::console::{self, Role};
use crate::config::Config;

#[derive(Subcommand, Debug)]
pub enum OperatorCmd {
    /// Invite an operator: prints a one-time link that registers a passkey.
    Invite {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
        /// `reviewer` (queue, review, search, audit) or `admin` (also credentials, settings).
        #[arg(long, value_parser = ["reviewer", "admin"])]
        role: String,
    },
    /// List a tenant's operators.
    List {
        #[arg(long)]
        tenant: String,
    },
    /// Remove an operator: its passkeys and sign-ins stop working at once.
    Remove {
        #[arg(long)]
        tenant: String,
        #[arg(long)]
        email: String,
    },
}

pub async fn run(cfg: &Config, now: i64, cmd: OperatorCmd) -> Result<(), String> {
    let store = crate::server::open_store(cfg).await?;
    let out = match cmd {
        OperatorCmd::Invite {
            tenant,
            email,
            role,
        } => {
            let t = crate::cli::tenant_id(&store, &tenant).await?;
            let role = Role::parse(&role).ok_or("role must be reviewer or admin")?;
            json!(console::invite(&store, cfg, now, &t, &email, role).await?)
        }
        OperatorCmd::List { tenant } => {
            let t = crate::cli::tenant_id(&store, &tenant).await?;
            let ops = store.operators_of(&t).await.map_err(|e| e.to_string())?;
            json!(ops
                .iter()
                .map(
                    |o| json!({"operator_id": o.id, "email": o.email, "role": o.role,
                    "created_at": o.created_at, "removed_at": o.removed_at})
                )
                .collect::<Vec<_>>())
        }
        OperatorCmd::Remove { tenant, email } => {
            let t = crate::cli::tenant_id(&store, &tenant).await?;
            let email = email.trim().to_lowercase();
            store
                .remove_operator(&t, &email, now)
                .await
                .map_err(|e| format!("{email}: {e}"))?;
            json!({"email": email, "removed_at": now})
        }
    };
    println!("{out}");
    Ok(())
}
