//! The signed result of a uqudo session (`GET /api/v1/info/{sessionId}`): an RS256 JWS whose
//! `aud` is the client that made the session, `jti` the session id, `nonce` the one `data`
//! carried, and `data.documents[]` the document read (MRZ and Brazilian fields in camelCase,
//! `mrzVerified`, `mrzText`, image ids) with the face match as a 1–5 level. Also the images
//! behind those ids (tenant-scoped, each read audited) and the vendor's `POST
//! /api/v1/face/match`.

use idgate_core::session::Status;
use idgate_core::uqudo::{DocType, LEVELS};
use idgate_core::{Code, CoreError, FieldError};
use idgate_store::{AuditEventRow, StoreError};
use idgate_vision::face::compare;
use serde_json::{json, Map, Value};

use super::{frames, keys};
use crate::app::documents as docs;
use crate::app::faces::images::{embedding_of, image_aad};
use crate::app::faces::input::ImageSource;
use crate::app::login::Client;
use crate::app::sessions as core_sessions;
use crate::app::tenant::Tenant;
use crate::http::error::ApiError;
use crate::state::AppState;

/// `GET /api/v1/info/{sessionId}`: the compact JWS (`typ: JWT`).
pub async fn info(st: &AppState, client: &Client, session_id: &str) -> Result<String, ApiError> {
    let t = &client.tenant;
    let row = match st.store.uqudo_session(&t.id, session_id).await {
        Ok(r) if r.info_deleted_at.is_none() => r,
        Ok(_) | Err(StoreError::NotFound) => return Err(ApiError::not_found("session")),
        Err(e) => return Err(e.into()),
    };
    let v = core_sessions::get(st, t, session_id).await?;
    if !matches!(
        v.status,
        Status::Approved | Status::Rejected | Status::InManualAnalysis
    ) {
        return Err(ApiError::new(
            Code::InvalidTransition,
            format!(
                "the session is {}; its result exists once it is decided",
                v.status.as_str()
            ),
        ));
    }
    let data: Value = serde_json::from_str(&v.row.step_data).unwrap_or_default();
    let doc = &data["personal_document"];
    let keys_of: Vec<String> = doc["ocr_keys"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let mut scan = Map::new();
    for (key, side) in keys_of.iter().zip(["front", "back"]) {
        let read = docs::get_document(st, t, key).await?;
        scan.insert(side.into(), side_json(&read.result));
        scan.insert(format!("{side}ImageId"), json!(key));
    }
    let face_key = data["face_recognition"]["image_key"].as_str();
    if let Some(k) = face_key {
        scan.insert("faceImageId".into(), json!(k));
    }
    let mut document = json!({
        "documentType": doc["document_template"].as_str().and_then(DocType::of_template).map(DocType::as_str),
        "scan": scan,
    });
    if let Some((matched, level)) = frames::face_of(&v, row.min_level as u8) {
        document["face"] =
            json!({"match": matched, "matchLevel": level, "auditTrailImageId": face_key});
    }
    let now = st.now() / 1000;
    let mut claims = json!({
        "iss": st.public_base, "aud": row.client_id, "jti": row.session_id, "sub": row.session_id,
        "iat": now, "sessionId": row.session_id, "status": v.status.as_str(),
        "data": {"documents": [document]},
    });
    if let Some(n) = &row.nonce {
        claims["nonce"] = json!(n);
    }
    Ok(keys::current(st, false)
        .await?
        .active()
        .sign("JWT", &claims))
}

/// One side's fields: every read field in camelCase, MRZ fields under the vendor's names,
/// `mrzVerified` and `mrzText` when the side has a machine-readable zone.
fn side_json(result: &Value) -> Value {
    let mut out = Map::new();
    if let Some(fields) = result["fields"].as_object() {
        for (k, f) in fields {
            out.insert(camel(k), f["value"].clone());
        }
    }
    if let Some(m) = result.get("mrz").filter(|m| m.is_object()) {
        out.insert(
            "mrzVerified".into(),
            json!(m["valid"].as_bool() == Some(true)),
        );
        let lines: Vec<&str> = m["lines"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        out.insert("mrzText".into(), json!(lines.join("\n")));
    }
    Value::Object(out)
}

/// `document_number` → `documentNumber`; the MRZ names of the vendor for dates and names.
fn camel(k: &str) -> String {
    match k {
        "birth_date" => return "dateOfBirth".into(),
        "expiry_date" => return "dateOfExpiry".into(),
        "given_names" => return "firstName".into(),
        "surname" => return "lastName".into(),
        "name" => return "fullName".into(),
        _ => {}
    }
    let mut out = String::with_capacity(k.len());
    let mut up = false;
    for c in k.chars() {
        if c == '_' {
            up = true;
        } else if up {
            out.extend(c.to_uppercase());
            up = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// `DELETE /api/v1/info/{sessionId}`: the result is no longer served.
pub async fn delete_info(st: &AppState, client: &Client, session_id: &str) -> Result<(), ApiError> {
    if st
        .store
        .delete_uqudo_info(&client.tenant.id, session_id, st.now())
        .await?
    {
        Ok(())
    } else {
        Err(ApiError::not_found("session"))
    }
}

/// `GET /api/v1/info/img/{id}`: a document side (`frontImageId`, `backImageId`) or a selfie
/// (`faceImageId`) of the client's tenant, with its media type; the read is audited.
pub async fn image(
    st: &AppState,
    client: &Client,
    id: &str,
) -> Result<(Vec<u8>, &'static str), ApiError> {
    let t = &client.tenant;
    let bytes = open_image(st, t, id).await?;
    let audit = AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        tenant_id: t.id.clone(),
        kind: "uqudo.image_read".into(),
        subject: id.to_owned(),
        detail: json!({"client_id": client.row.client_id}).to_string(),
        created_at: st.now(),
    };
    st.store.insert_audit_event(&audit).await?;
    let media = media_type(&bytes);
    Ok((bytes, media))
}

/// The decrypted bytes of the tenant's document file (`ocr_key`) or face image (`image_key`)
/// `id`; `404` for an unknown id or another tenant's. The caller audits the read.
pub async fn open_image(st: &AppState, t: &Tenant, id: &str) -> Result<Vec<u8>, ApiError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ApiError::not_found("image"));
    }
    match st.store.document(&t.id, id).await {
        Ok(row) => docs::open_file(st, &row),
        Err(StoreError::NotFound) => {
            let sealed = st
                .store
                .face_image_sealed(&t.id, id)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound => ApiError::not_found("image"),
                    other => other.into(),
                })?;
            st.keys.open(&sealed, &image_aad(&t.id, id)).map_err(|e| {
                tracing::error!(error = %e, "face image cannot be opened");
                ApiError::internal()
            })
        }
        Err(e) => Err(e.into()),
    }
}

/// The media type of image or document bytes, by their magic number.
pub fn media_type(b: &[u8]) -> &'static str {
    if b.starts_with(b"\xFF\xD8") {
        "image/jpeg"
    } else if b.starts_with(b"\x89PNG") {
        "image/png"
    } else if b.starts_with(b"RIFF") {
        "image/webp"
    } else if b.starts_with(b"%PDF") {
        "application/pdf"
    } else {
        "application/octet-stream"
    }
}

/// `POST /api/v1/face/match {sourceImage, targetImage, minimumMatchLevel}` (base64 images;
/// level 1–5, default 3) → `{match, matchLevel}`. Stores nothing.
pub async fn face_match(st: &AppState, client: &Client, body: &Value) -> Result<Value, ApiError> {
    let mut errs = Vec::new();
    let mut img = |k: &str| match body.get(k) {
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        None | Some(Value::Null) => {
            errs.push(FieldError::new(
                k,
                "required",
                "is required (base64 of a JPEG, PNG or WebP)",
            ));
            None
        }
        Some(_) => {
            errs.push(FieldError::new(
                k,
                "invalid_type",
                "must be a base64 string",
            ));
            None
        }
    };
    let (src, dst) = (img("sourceImage"), img("targetImage"));
    let min = match body.get("minimumMatchLevel") {
        None | Some(Value::Null) => 3,
        Some(v) => match v.as_i64().filter(|n| LEVELS.contains(n)) {
            Some(n) => n as u8,
            None => {
                errs.push(FieldError::new(
                    "minimumMatchLevel",
                    "out_of_range",
                    "must be an integer from 1 to 5",
                ));
                3
            }
        },
    };
    let (Some(src), Some(dst)) = (src, dst) else {
        return Err(CoreError::Validation(errs).into());
    };
    if !errs.is_empty() {
        return Err(CoreError::Validation(errs).into());
    }
    let t = &client.tenant;
    let (a, b) = tokio::join!(
        embedding_of(
            st,
            t,
            ImageSource::Inline(src),
            ("sourceImage", "sourceImage"),
            None
        ),
        embedding_of(
            st,
            t,
            ImageSource::Inline(dst),
            ("targetImage", "targetImage"),
            None
        )
    );
    let c = compare(&a?.0, &b?.0);
    Ok(json!({"match": c.match_level >= min, "matchLevel": c.match_level}))
}
