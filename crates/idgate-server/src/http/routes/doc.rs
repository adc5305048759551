//! The OpenAPI 3.1 document, generated from the route table: each entry's operation plus what
//! its [`Access`] implies (security requirement, "Permission:" line, 401/403 answers), the error
//! formats, the security schemes and each area's schemas. Also the small builders the areas use
//! to write their operations.

use serde_json::{json, Map, Value};

use super::{documents, faces, flow, liveness, login, sessions, table, uqudo, Access};
use crate::app::scopes;

/// A response in a door's error format: `family` is `Qi`, `V1` or `OAuth`.
pub fn err(family: &str, desc: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{family}Error")}}}})
}

/// A JSON response of schema `schema`.
pub fn ok(desc: &str, schema: &str) -> Value {
    json!({"description": desc, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

/// A required JSON request body of schema `schema`.
pub fn body(schema: &str) -> Value {
    json!({"required": true, "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{schema}")}}}})
}

/// A required path parameter.
pub fn path_param(name: &str, schema: Value) -> Value {
    json!({"name": name, "in": "path", "required": true, "schema": schema})
}

/// A UUID string.
pub fn uuid() -> Value {
    json!({"type": "string", "format": "uuid"})
}

/// A response whose body is text of `content_type`.
pub fn text(desc: &str, content_type: &str) -> Value {
    json!({"description": desc, "content": {content_type: {"schema": {"type": "string"}}}})
}

/// Collects `(code, response)` pairs into a responses object.
pub fn responses<const N: usize>(pairs: [(&str, Value); N]) -> Map<String, Value> {
    pairs.into_iter().map(|(c, v)| (c.to_owned(), v)).collect()
}

pub fn document() -> Value {
    let mut paths = Map::new();
    for r in table() {
        let mut op = r.operation;
        op["operationId"] = json!(r.name);
        apply_access(&mut op, r.access);
        let item = paths.entry(r.path).or_insert_with(|| json!({}));
        item[r.method.as_str().to_ascii_lowercase()] = op;
    }
    let mut schemas = error_schemas();
    for part in [
        sessions::schemas(),
        faces::schemas(),
        login::schemas(),
        documents::schemas(),
        flow::schemas(),
        liveness::schemas(),
        uqudo::schemas(),
    ] {
        schemas.extend(part);
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "idgate",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Self-hosted identity verification and passwordless login. Vendor-compatible routes keep the \
                vendor's shapes and error format `{title, description, translation, code}`; `/v1` routes use \
                `{\"error\": {code, message, field?, details?}}`; `/oauth` routes `{error, error_description}`. \
                Dates are RFC 3339 in the tenant's offset.\n\n\
                **Validation**: a body or query that breaks a rule answers **422 `validation_failed`** with every \
                violation (`errors` / `error.details`: `{field, code, message}`); a body that is not JSON at all \
                answers 400 `invalid_json`. The QI facades keep the status codes their vendor documents.\n\n\
                **Permissions**: API keys carry scopes (`idgate api-key create --scope sessions:read ...`); each \
                operation names the one it needs, and a key without it gets 403 `forbidden`."
        },
        "paths": paths,
        "components": {
            "securitySchemes": {
                "rawKey": {"type": "apiKey", "in": "header", "name": "Authorization",
                           "description": "The API key itself (`idg_...`), or `Bearer <key>`."},
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "`Authorization: Bearer idg_...` (an API key), or the JWT an operation names."},
                "clientBasic": {"type": "http", "scheme": "basic",
                           "description": "An OAuth client's `client_id:client_secret` (or both in the body)."}
            },
            "schemas": schemas
        }
    })
}

/// Adds the security requirement, the permission line and the access answers of `access`.
fn apply_access(op: &mut Value, access: Access) {
    let (scheme, family) = match access {
        Access::ApiKey(_) => ("bearer", "V1"),
        Access::VendorKey(_) => ("rawKey", "Qi"),
        Access::Client => {
            let r = &mut op["responses"];
            if r.get("401").is_none() {
                r["401"] = err(
                    "OAuth",
                    "invalid_client: unknown client_id or wrong client_secret",
                );
            }
            return;
        }
        Access::Probe | Access::Public | Access::Token => return,
    };
    let Some(p) = access.permission() else {
        return;
    };
    let scope = scopes::name(p);
    op["security"] = json!([{ scheme: [scope] }]);
    op["x-permission"] = json!(scope);
    let desc = op["description"]
        .as_str()
        .unwrap_or("")
        .trim_end()
        .to_owned();
    let line = format!("Permission: `{scope}`.");
    op["description"] = json!(if desc.is_empty() {
        line
    } else {
        format!("{desc}\n\n{line}")
    });
    let r = &mut op["responses"];
    if r.get("401").is_none() {
        r["401"] = err(family, "missing or invalid API key");
    }
    r["403"] = err(family, &format!("forbidden: the API key lacks `{scope}`"));
}

fn error_schemas() -> Map<String, Value> {
    let field_error = json!({"type": "object", "required": ["field", "code", "message"], "properties": {
        "field": {"type": "string"}, "code": {"type": "string"}, "message": {"type": "string"}}});
    let qi = json!({"type": "object", "required": ["title", "description", "translation", "code"], "properties": {
        "title": {"type": "string"}, "description": {"type": "string"}, "translation": {"type": "string"},
        "code": {"type": "string"}, "errors": {"type": "array", "items": field_error.clone()}}});
    let v1 = json!({"type": "object", "required": ["error"], "properties": {"error": {"type": "object",
        "required": ["code", "message"], "properties": {"code": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": "string"}, "details": {"anyOf": [{"type": "array", "items": field_error.clone()}, {"type": "object"}],
        "description": "every violation `{field, code, message}`, or structured details (a failed liveness attempt's `reasons` and `attempts_left`)"}}}}});
    let oauth = json!({"type": "object", "required": ["error", "error_description"], "properties": {
        "error": {"type": "string"}, "error_description": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object"}}}});
    Map::from_iter([
        ("QiError".to_owned(), qi),
        ("V1Error".to_owned(), v1),
        ("OAuthError".to_owned(), oauth),
    ])
}

#[cfg(test)]
mod tests {
    use super::document;
    use crate::http::routes::{table, Access};

    #[test]
    fn documents_every_route_with_its_permission() {
        let doc = document();
        let mut n = 0;
        for r in table() {
            let op = &doc["paths"][r.path][r.method.as_str().to_ascii_lowercase()];
            assert!(op["summary"].is_string(), "{} {}", r.method, r.path);
            assert!(op["responses"].is_object(), "{} {}", r.method, r.path);
            if let Some(p) = r.access.permission() {
                let scope = crate::app::scopes::name(p);
                let scheme = if matches!(r.access, Access::VendorKey(_)) {
                    "rawKey"
                } else {
                    "bearer"
                };
                assert_eq!(op["security"][0][scheme][0], scope, "{}", r.path);
                assert!(op["responses"]["403"].is_object(), "{}", r.path);
            }
            n += 1;
        }
        let mut ids: Vec<&str> = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .flat_map(|ops| ops.as_object().unwrap().values())
            .map(|op| op["operationId"].as_str().unwrap())
            .collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), n, "operation ids are unique");
        assert!(ids.contains(&"v1_create_session"), "{ids:?}");
        let documented: usize = doc["paths"]
            .as_object()
            .unwrap()
            .values()
            .map(|ops| ops.as_object().unwrap().len())
            .sum();
        assert_eq!(documented, n);
    }

    #[test]
    fn every_reference_resolves() {
        fn refs(v: &serde_json::Value, out: &mut Vec<String>) {
            match v {
                serde_json::Value::Object(o) => {
                    if let Some(serde_json::Value::String(r)) = o.get("$ref") {
                        out.push(r.clone());
                    }
                    o.values().for_each(|x| refs(x, out));
                }
                serde_json::Value::Array(a) => a.iter().for_each(|x| refs(x, out)),
                _ => {}
            }
        }
        let doc = document();
        let mut all = Vec::new();
        refs(&doc, &mut all);
        assert!(all.len() > 50);
        for r in all {
            let name = r
                .strip_prefix("#/components/schemas/")
                .expect("a local schema");
            assert!(
                doc["components"]["schemas"].get(name).is_some(),
                "{r} is not defined"
            );
        }
    }
}
