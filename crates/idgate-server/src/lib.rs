//! idgate-server: placeholder
