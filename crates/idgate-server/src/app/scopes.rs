//! API-key scopes: the permission bits a route needs (named by its entry in the route table,
//! checked by the `Authed` extractor) and their names on the command line and in storage.

/// Permissions a route can require.
pub mod perm {
    pub const SESSIONS_READ: u32 = 1;
    pub const SESSIONS_WRITE: u32 = 2;
    /// Deciding sessions left to manual analysis (`/review`) and sandbox outcomes (`/simulate`).
    pub const SESSIONS_REVIEW: u32 = 4;
    pub const FACES_READ: u32 = 16;
    pub const FACES_WRITE: u32 = 32;
}

/// Every scope, by name.
pub const SCOPES: &[(&str, u32)] = &[
    ("sessions:read", perm::SESSIONS_READ),
    ("sessions:write", perm::SESSIONS_WRITE),
    ("sessions:review", perm::SESSIONS_REVIEW),
    ("faces:read", perm::FACES_READ),
    ("faces:write", perm::FACES_WRITE),
];

/// All permissions (a key stored without scopes, made before scopes existed).
pub const ALL: u32 = perm::SESSIONS_READ
    | perm::SESSIONS_WRITE
    | perm::SESSIONS_REVIEW
    | perm::FACES_READ
    | perm::FACES_WRITE;

/// The permission bits of stored scopes (`None`: every permission). Unknown names grant nothing.
pub fn mask(stored: Option<&str>) -> u32 {
    let Some(s) = stored else {
        return ALL;
    };
    s.split_whitespace()
        .filter_map(|n| SCOPES.iter().find(|(name, _)| *name == n))
        .fold(0, |m, (_, bit)| m | bit)
}

/// Checks scope names given on the command line; answers them normalised for storage.
pub fn parse(names: &[String]) -> Result<String, String> {
    let mut out: Vec<&str> = Vec::new();
    for n in names {
        let Some((name, _)) = SCOPES.iter().find(|(name, _)| name == n) else {
            let known: Vec<&str> = SCOPES.iter().map(|(n, _)| *n).collect();
            return Err(format!("unknown scope {n} (known: {})", known.join(", ")));
        };
        if !out.contains(name) {
            out.push(name);
        }
    }
    Ok(out.join(" "))
}

/// The name of permission `bit`.
pub fn name(bit: u32) -> &'static str {
    SCOPES
        .iter()
        .find(|(_, b)| *b == bit)
        .map_or("unknown", |(n, _)| n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_round_trip() {
        assert_eq!(mask(None), ALL);
        assert_eq!(mask(Some("")), 0);
        let stored = parse(&[
            "faces:read".into(),
            "sessions:read".into(),
            "faces:read".into(),
        ])
        .unwrap();
        assert_eq!(stored, "faces:read sessions:read");
        assert_eq!(mask(Some(&stored)), perm::FACES_READ | perm::SESSIONS_READ);
        assert!(parse(&["admin".into()]).is_err());
        assert_eq!(name(perm::FACES_WRITE), "faces:write");
    }
}
