//! The operator console's rows: operators of a tenant, their one-time invites, passkeys,
//! WebAuthn ceremony state and console sign-ins (only hashes of invite and cookie tokens are
//! stored), plus the console's reads of the audit log and of sessions by CPF. Every query is
//! scoped by tenant except the lookups by a secret's hash or a passkey's user handle, which
//! name the tenant themselves.

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::face_rows::AuditEventRow;
use crate::rows::SessionRow;
use crate::sessions::COLS;

/// An operator of a tenant's console.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OperatorRow {
    pub id: String,
    pub tenant_id: String,
    pub email: String,
    /// `reviewer` or `admin`.
    pub role: String,
    pub user_handle: String,
    pub created_at: i64,
    pub removed_at: Option<i64>,
}

/// A registered passkey: the webauthn-rs `Passkey` as JSON (public key and sign counter).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PasskeyRow {
    pub credential_id: String,
    pub tenant_id: String,
    pub operator_id: String,
    pub passkey: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}

/// A console sign-in (the cookie's hash is its key).
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct ConsoleSessionRow {
    pub token_hash: String,
    pub tenant_id: String,
    pub operator_id: String,
    pub csrf: String,
    pub created_at: i64,
    pub last_seen_at: i64,
    pub expires_at: i64,
}

const OP_COLS: &str = "id, tenant_id, email, role, user_handle, created_at, removed_at";
const PK_COLS: &str = "credential_id, tenant_id, operator_id, passkey, created_at, last_used_at";
const CS_COLS: &str =
    "token_hash, tenant_id, operator_id, csrf, created_at, last_seen_at, expires_at";

impl Store {
    /// Makes `op` an operator of its tenant (or, for an email it already has, gives that
    /// operator `op.role` again and restores a removed one) and records an invite whose token
    /// hashes to `token_hash`. Returns the operator as stored.
    pub async fn invite_operator(
        &self,
        op: &OperatorRow,
        token_hash: &str,
        expires_at: i64,
    ) -> Result<OperatorRow> {
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO operators (id, tenant_id, email, role, user_handle, created_at, removed_at) \
             VALUES ($1, $2, $3, $4, $5, $6, NULL) ON CONFLICT (tenant_id, email) \
             DO UPDATE SET role = excluded.role, removed_at = NULL",
        )
        .bind(&op.id)
        .bind(&op.tenant_id)
        .bind(&op.email)
        .bind(&op.role)
        .bind(&op.user_handle)
        .bind(op.created_at)
        .execute(&mut *tx)
        .await?;
        let stored: OperatorRow = sqlx::query_as(&format!(
            "SELECT {OP_COLS} FROM operators WHERE tenant_id = $1 AND email = $2"
        ))
        .bind(&op.tenant_id)
        .bind(&op.email)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO operator_invites (token_hash, tenant_id, operator_id, expires_at, used_at, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5)",
        )
        .bind(token_hash)
        .bind(&stored.tenant_id)
        .bind(&stored.id)
        .bind(expires_at)
        .bind(op.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(stored)
    }

    /// The operator a live invite (unused, not expired at `now`) was made for.
    pub async fn invited_operator(&self, token_hash: &str, now: i64) -> Result<OperatorRow> {
        sqlx::query_as(&format!(
            "SELECT {} FROM operator_invites i JOIN operators o ON o.id = i.operator_id \
             WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.expires_at > $2 \
             AND o.removed_at IS NULL",
            OP_COLS
                .split(", ")
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Uses the invite once and stores the passkey it registered, in one transaction;
    /// `NotFound` when the invite was used or expired meanwhile.
    pub async fn redeem_invite(&self, token_hash: &str, pk: &PasskeyRow, now: i64) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let n = sqlx::query(
            "UPDATE operator_invites SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL \
             AND expires_at > $3 AND operator_id = $4",
        )
        .bind(now)
        .bind(token_hash)
        .bind(now)
        .bind(&pk.operator_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(&format!(
            "INSERT INTO operator_passkeys ({PK_COLS}) VALUES ($1, $2, $3, $4, $5, NULL)"
        ))
        .bind(&pk.credential_id)
        .bind(&pk.tenant_id)
        .bind(&pk.operator_id)
        .bind(&pk.passkey)
        .bind(pk.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Every operator of the tenant, removed ones included, oldest first.
    pub async fn operators_of(&self, tenant_id: &str) -> Result<Vec<OperatorRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {OP_COLS} FROM operators WHERE tenant_id = $1 ORDER BY created_at, email"
        ))
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// A live operator of the tenant.
    pub async fn operator(&self, tenant_id: &str, id: &str) -> Result<OperatorRow> {
        sqlx::query_as(&format!(
            "SELECT {OP_COLS} FROM operators WHERE tenant_id = $1 AND id = $2 AND removed_at IS NULL"
        ))
        .bind(tenant_id)
        .bind(id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Removes an operator: its passkeys, sign-ins and unused invites go at once.
    pub async fn remove_operator(&self, tenant_id: &str, email: &str, now: i64) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let op: Option<(String,)> = sqlx::query_as(
            "SELECT id FROM operators WHERE tenant_id = $1 AND email = $2 AND removed_at IS NULL",
        )
        .bind(tenant_id)
        .bind(email)
        .fetch_optional(&mut *tx)
        .await?;
        let Some((id,)) = op else {
            return Err(StoreError::NotFound);
        };
        sqlx::query("UPDATE operators SET removed_at = $1 WHERE id = $2")
            .bind(now)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        for table in ["operator_passkeys", "console_sessions", "operator_invites"] {
            sqlx::query(&format!(
                "DELETE FROM {table} WHERE tenant_id = $1 AND operator_id = $2"
            ))
            .bind(tenant_id)
            .bind(&id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// A passkey by credential id, with its live operator.
    pub async fn passkey(&self, credential_id: &str) -> Result<(PasskeyRow, OperatorRow)> {
        let pk: PasskeyRow = sqlx::query_as(&format!(
            "SELECT {PK_COLS} FROM operator_passkeys WHERE credential_id = $1"
        ))
        .bind(credential_id)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let op = self.operator(&pk.tenant_id, &pk.operator_id).await?;
        Ok((pk, op))
    }

    /// Stores a passkey's new state (sign counter) after a sign-in.
    pub async fn update_passkey(&self, credential_id: &str, passkey: &str, now: i64) -> Result<()> {
        sqlx::query(
            "UPDATE operator_passkeys SET passkey = $1, last_used_at = $2 WHERE credential_id = $3",
        )
        .bind(passkey)
        .bind(now)
        .bind(credential_id)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Keeps a ceremony's state until `expires_at`.
    pub async fn put_ceremony(
        &self,
        id: &str,
        kind: &str,
        subject: &str,
        state: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO console_ceremonies (id, kind, subject, state, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(kind)
        .bind(subject)
        .bind(state)
        .bind(expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Takes (deletes) a live ceremony of `kind`: `(subject, state)`. Each is taken once.
    pub async fn take_ceremony(&self, id: &str, kind: &str, now: i64) -> Result<(String, String)> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM console_ceremonies WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let row: Option<(String, String)> = sqlx::query_as(
            "SELECT subject, state FROM console_ceremonies WHERE id = $1 AND kind = $2",
        )
        .bind(id)
        .bind(kind)
        .fetch_optional(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM console_ceremonies WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        row.ok_or(StoreError::NotFound)
    }

    pub async fn insert_console_session(&self, s: &ConsoleSessionRow) -> Result<()> {
        sqlx::query(&format!(
            "INSERT INTO console_sessions ({CS_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7)"
        ))
        .bind(&s.token_hash)
        .bind(&s.tenant_id)
        .bind(&s.operator_id)
        .bind(&s.csrf)
        .bind(s.created_at)
        .bind(s.last_seen_at)
        .bind(s.expires_at)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// A console sign-in still alive at `now` (seen within `idle_ms`, before its absolute
    /// expiry), marked seen at `now`; a dead one is deleted and is `NotFound`.
    pub async fn console_session(
        &self,
        token_hash: &str,
        now: i64,
        idle_ms: i64,
    ) -> Result<ConsoleSessionRow> {
        let row: Option<ConsoleSessionRow> = sqlx::query_as(&format!(
            "SELECT {CS_COLS} FROM console_sessions WHERE token_hash = $1"
        ))
        .bind(token_hash)
        .fetch_optional(&self.read)
        .await?;
        let Some(row) = row else {
            return Err(StoreError::NotFound);
        };
        if row.expires_at <= now || row.last_seen_at + idle_ms <= now {
            self.end_console_session(token_hash).await?;
            return Err(StoreError::NotFound);
        }
        sqlx::query("UPDATE console_sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(row)
    }

    pub async fn end_console_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM console_sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&self.write)
            .await?;
        Ok(())
    }

    /// The tenant's latest audit rows, newest first.
    pub async fn audit_events_of(&self, tenant_id: &str, limit: i64) -> Result<Vec<AuditEventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, tenant_id, kind, subject, detail, created_at FROM audit_events \
             WHERE tenant_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2",
        )
        .bind(tenant_id)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }

    /// The tenant's sessions of one CPF (as stored: 11 digits), newest first.
    pub async fn sessions_by_document(
        &self,
        tenant_id: &str,
        document_number: &str,
        limit: i64,
    ) -> Result<Vec<SessionRow>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {COLS} FROM sessions WHERE tenant_id = $1 AND document_number = $2 \
             ORDER BY created_at DESC, id DESC LIMIT $3"
        ))
        .bind(tenant_id)
        .bind(document_number)
        .bind(limit)
        .fetch_all(&self.read)
        .await?)
    }
}
