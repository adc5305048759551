//! Face images, registrations, validations and erasure audit. Every query is scoped by tenant;
//! expiry of unclaimed images is enforced on read (`expires_at IS NULL OR expires_at > now`) and
//! by [`Store::purge_expired_face_images`]. A registration or validation is written together
//! with the image it brings (or the claim on an uploaded one) in one transaction.

use sqlx::{Any, Transaction};

use crate::db::Store;
use crate::error::{Result, StoreError};
use crate::face_rows::{
    AuditEventRow, FaceCounts, FaceImageMeta, FaceRegistrationRow, FaceValidationRow, NewFaceImage,
};

const IMAGE_META: &str =
    "image_key, tenant_id, format, byte_size, width, height, created_at, expires_at";
const REG_COLS: &str = "registration_key, tenant_id, document_number, sealed_template, image_key, \
                        status, created_at, deleted_at";
const VAL_COLS: &str = "validation_key, tenant_id, registration_key, document_number, distance, \
                        similarity, result, match_level, image_key, created_at";
const LIVE_IMAGE: &str = "(expires_at IS NULL OR expires_at > $3)";

impl Store {
    /// Stores an uploaded image (short-lived unless `meta.expires_at` is `None`).
    pub async fn insert_face_image(&self, img: &NewFaceImage) -> Result<()> {
        let mut tx = self.write.begin().await?;
        insert_image(&mut tx, img).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An unexpired image's metadata and sealed template.
    pub async fn face_image_template(
        &self,
        tenant_id: &str,
        image_key: &str,
        now: i64,
    ) -> Result<(FaceImageMeta, Vec<u8>)> {
        let meta: FaceImageMeta = sqlx::query_as(&format!(
            "SELECT {IMAGE_META} FROM face_images WHERE tenant_id = $1 AND image_key = $2 AND {LIVE_IMAGE}"
        ))
        .bind(tenant_id)
        .bind(image_key)
        .bind(now)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (template,): (Vec<u8>,) = sqlx::query_as(
            "SELECT sealed_template FROM face_images WHERE tenant_id = $1 AND image_key = $2",
        )
        .bind(tenant_id)
        .bind(image_key)
        .fetch_one(&self.read)
        .await?;
        Ok((meta, template))
    }

    /// An image's metadata, expired or not (for rendering what a registration or validation used).
    pub async fn face_image_meta(
        &self,
        tenant_id: &str,
        image_key: &str,
    ) -> Result<Option<FaceImageMeta>> {
        Ok(sqlx::query_as(&format!(
            "SELECT {IMAGE_META} FROM face_images WHERE tenant_id = $1 AND image_key = $2"
        ))
        .bind(tenant_id)
        .bind(image_key)
        .fetch_optional(&self.read)
        .await?)
    }

    /// The sealed bytes of an image exactly as stored (for at-rest checks).
    pub async fn face_image_sealed(&self, tenant_id: &str, image_key: &str) -> Result<Vec<u8>> {
        let r: Option<(Vec<u8>,)> = sqlx::query_as(
            "SELECT sealed_image FROM face_images WHERE tenant_id = $1 AND image_key = $2",
        )
        .bind(tenant_id)
        .bind(image_key)
        .fetch_optional(&self.read)
        .await?;
        r.map(|r| r.0).ok_or(StoreError::NotFound)
    }

    /// Inserts a registration with its new image, or claims the uploaded image `reg.image_key`
    /// (it stops expiring). `NotFound` when the uploaded image is gone or expired.
    pub async fn insert_face_registration(
        &self,
        reg: &FaceRegistrationRow,
        image: Option<&NewFaceImage>,
        now: i64,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        match image {
            Some(img) => insert_image(&mut tx, img).await?,
            None => {
                let n = sqlx::query(&format!(
                    "UPDATE face_images SET expires_at = NULL \
                     WHERE tenant_id = $1 AND image_key = $2 AND {LIVE_IMAGE}"
                ))
                .bind(&reg.tenant_id)
                .bind(&reg.image_key)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 0 {
                    tx.rollback().await?;
                    return Err(StoreError::NotFound);
                }
            }
        }
        sqlx::query(&format!(
            "INSERT INTO face_registrations ({REG_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(&reg.registration_key)
        .bind(&reg.tenant_id)
        .bind(&reg.document_number)
        .bind(reg.sealed_template.clone())
        .bind(&reg.image_key)
        .bind(&reg.status)
        .bind(reg.created_at)
        .bind(reg.deleted_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// A registration by key, erased or not (check `deleted_at`).
    pub async fn face_registration(
        &self,
        tenant_id: &str,
        key: &str,
    ) -> Result<FaceRegistrationRow> {
        sqlx::query_as(&format!(
            "SELECT {REG_COLS} FROM face_registrations WHERE tenant_id = $1 AND registration_key = $2"
        ))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// The latest live registration of a CPF (older ones stay as history).
    pub async fn latest_face_registration(
        &self,
        tenant_id: &str,
        document_number: &str,
    ) -> Result<FaceRegistrationRow> {
        sqlx::query_as(&format!(
            "SELECT {REG_COLS} FROM face_registrations \
             WHERE tenant_id = $1 AND document_number = $2 AND deleted_at IS NULL \
             ORDER BY created_at DESC, registration_key DESC LIMIT 1"
        ))
        .bind(tenant_id)
        .bind(document_number)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Stores a validation, with the image it brought (short-lived) if any.
    pub async fn insert_face_validation(
        &self,
        v: &FaceValidationRow,
        image: Option<&NewFaceImage>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        if let Some(img) = image {
            insert_image(&mut tx, img).await?;
        }
        sqlx::query(&format!(
            "INSERT INTO face_validations ({VAL_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind(&v.validation_key)
        .bind(&v.tenant_id)
        .bind(&v.registration_key)
        .bind(&v.document_number)
        .bind(v.distance)
        .bind(v.similarity)
        .bind(&v.result)
        .bind(v.match_level)
        .bind(&v.image_key)
        .bind(v.created_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn face_validation(&self, tenant_id: &str, key: &str) -> Result<FaceValidationRow> {
        sqlx::query_as(&format!(
            "SELECT {VAL_COLS} FROM face_validations WHERE tenant_id = $1 AND validation_key = $2"
        ))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&self.read)
        .await?
        .ok_or(StoreError::NotFound)
    }

    /// Erases a registration's template, its CPF (also from its validations) and its image
    /// (unless another live registration uses it), keeps the row's key and dates as history, and records `audit` in the same transaction.
    pub async fn erase_face_registration(
        &self,
        tenant_id: &str,
        key: &str,
        now: i64,
        audit: &AuditEventRow,
    ) -> Result<FaceRegistrationRow> {
        let mut tx = self.write.begin().await?;
        let reg: FaceRegistrationRow = sqlx::query_as(&format!(
            "SELECT {REG_COLS} FROM face_registrations \
             WHERE tenant_id = $1 AND registration_key = $2 AND deleted_at IS NULL"
        ))
        .bind(tenant_id)
        .bind(key)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        // the CPF goes too, from the registration and from the validations made against it
        sqlx::query(
            "UPDATE face_registrations SET sealed_template = NULL, deleted_at = $3, \
             document_number = $4 WHERE tenant_id = $1 AND registration_key = $2",
        )
        .bind(tenant_id)
        .bind(key)
        .bind(now)
        .bind(crate::REDACTED)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE face_validations SET document_number = $3 \
             WHERE tenant_id = $1 AND registration_key = $2",
        )
        .bind(tenant_id)
        .bind(key)
        .bind(crate::REDACTED)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "DELETE FROM face_images WHERE tenant_id = $1 AND image_key = $2 AND NOT EXISTS \
             (SELECT 1 FROM face_registrations r WHERE r.tenant_id = $1 AND r.image_key = $2 \
              AND r.deleted_at IS NULL)",
        )
        .bind(tenant_id)
        .bind(&reg.image_key)
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(reg)
    }

    /// Audit events of a tenant, oldest first.
    pub async fn audit_events(&self, tenant_id: &str) -> Result<Vec<AuditEventRow>> {
        Ok(sqlx::query_as(
            "SELECT id, tenant_id, kind, subject, detail, created_at FROM audit_events \
             WHERE tenant_id = $1 ORDER BY created_at, id",
        )
        .bind(tenant_id)
        .fetch_all(&self.read)
        .await?)
    }

    /// Keeps an image: it stops expiring (a session's selfie then follows the session's
    /// retention, see [`crate::lifecycle`]).
    pub async fn keep_face_image(&self, tenant_id: &str, image_key: &str) -> Result<()> {
        sqlx::query(
            "UPDATE face_images SET expires_at = NULL WHERE tenant_id = $1 AND image_key = $2",
        )
        .bind(tenant_id)
        .bind(image_key)
        .execute(&self.write)
        .await?;
        Ok(())
    }

    /// Deletes images that expired unclaimed; returns how many.
    pub async fn purge_expired_face_images(&self, now: i64) -> Result<u64> {
        Ok(
            sqlx::query(
                "DELETE FROM face_images WHERE expires_at IS NOT NULL AND expires_at <= $1",
            )
            .bind(now)
            .execute(&self.write)
            .await?
            .rows_affected(),
        )
    }

    /// How many face rows a tenant holds.
    pub async fn face_counts(&self, tenant_id: &str) -> Result<FaceCounts> {
        let count = |table: &'static str| {
            let sql = format!("SELECT COUNT(*) FROM {table} WHERE tenant_id = $1");
            async move {
                let (n,): (i64,) = sqlx::query_as(&sql)
                    .bind(tenant_id)
                    .fetch_one(&self.read)
                    .await?;
                Ok::<i64, StoreError>(n)
            }
        };
        Ok(FaceCounts {
            images: count("face_images").await?,
            registrations: count("face_registrations").await?,
            validations: count("face_validations").await?,
        })
    }
}

async fn insert_image(tx: &mut Transaction<'_, Any>, img: &NewFaceImage) -> Result<()> {
    let m = &img.meta;
    sqlx::query(
        "INSERT INTO face_images (image_key, tenant_id, sealed_image, sealed_template, format, \
         byte_size, width, height, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&m.image_key)
    .bind(&m.tenant_id)
    .bind(img.sealed_image.clone())
    .bind(img.sealed_template.clone())
    .bind(&m.format)
    .bind(m.byte_size)
    .bind(m.width)
    .bind(m.height)
    .bind(m.created_at)
    .bind(m.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub(crate) async fn insert_audit(tx: &mut Transaction<'_, Any>, a: &AuditEventRow) -> Result<()> {
    sqlx::query(
        "INSERT INTO audit_events (id, tenant_id, kind, subject, detail, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&a.id)
    .bind(&a.tenant_id)
    .bind(&a.kind)
    .bind(&a.subject)
    .bind(&a.detail)
    .bind(a.created_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}
