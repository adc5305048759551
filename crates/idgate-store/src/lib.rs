//! idgate-store: placeholder
