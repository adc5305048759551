//! Settings of the face routes: where the dlib models are (the workers are `[inference]`), how many
//! pixels they may decode at once, how long an unclaimed upload lives and how large a face
//! request body may be.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FacesConfig {
    /// Directory holding `faces/` (from `scripts/setup.sh`). Empty: the `IDGATE_MODELS_DIR`
    /// environment variable, else `./models` of the work tree.
    pub models_dir: PathBuf,
    /// Pixels the face workers may hold decoded at the same time (a photo costs ~15 bytes per
    /// pixel while it is analysed); a worker whose photo does not fit waits. A photo larger than
    /// this is analysed alone. Bounds the server's memory whatever the photos' sizes.
    pub decode_budget_pixels: u64,
    /// Load the models at start (`/readyz` waits for them); otherwise on the first face request.
    pub preload: bool,
    /// Seconds an uploaded image lives unless a registration keeps it.
    pub image_ttl_secs: u64,
    /// Largest face request body in bytes (a 10 MiB image is ~13.4 MB of base64).
    pub max_body_bytes: usize,
}

impl Default for FacesConfig {
    fn default() -> Self {
        Self {
            models_dir: PathBuf::new(),
            decode_budget_pixels: 8_000_000,
            preload: true,
            image_ttl_secs: 3600,
            max_body_bytes: 14 * 1024 * 1024 + 64 * 1024,
        }
    }
}

impl FacesConfig {
    /// The faces model directory (`<models_dir>/faces`).
    pub fn faces_dir(&self) -> PathBuf {
        if self.models_dir.as_os_str().is_empty() {
            idgate_vision::face::faces_models_dir()
        } else {
            self.models_dir.join("faces")
        }
    }
}
