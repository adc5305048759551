//! The uqudo door (cross-device QR sessions): client-credentials access tokens ([`token`]),
//! sessions created from the vendor's base64 `data` and opened by one phone ([`sessions`]),
//! the frames a desktop page follows ([`frames`], over [`hub`]), and the signed RS256 result
//! ([`result`]) with its keys ([`keys`]). A uqudo session is a verification session whose
//! capture runs in the hosted flow on the phone; its `sessionId` is its id on `/v1`.

pub mod frames;
pub mod hub;
pub mod keys;
pub mod result;
pub mod sessions;
pub mod token;

use std::sync::Arc;

use tokio::sync::RwLock;

/// What the door keeps in memory on each node.
#[derive(Default)]
pub struct UqRuntime {
    pub keys: RwLock<Option<Arc<keys::KeySet>>>,
    pub hub: hub::Hub,
}
