//! Faces: detection, 5-point landmarks, 128-D embeddings, quality gate and similarity mapping.
//!
//! Built on dlib (Debian `libdlib-dev`) through the `dlib-face-recognition` crate: the HOG
//! frontal face detector, the 5-point shape predictor and the ResNet face encoder (128-D,
//! 99.38% on LFW). The 68-point predictor is never used: its training data excludes commercial
//! use. Model files come from `scripts/setup.sh` into `models/faces/`; nothing downloads at run
//! time. dlib models may move between threads but not be shared, so each worker owns a
//! [`FaceModels`] (the workers of [`crate::pool`] do that). Pure computation: no HTTP, no SQL, no async.
//!
//! Submodules: [`analyze`] (pipeline and quality gate), [`similarity`] (distance → ratio,
//! threshold, match levels), [`eval`] (genuine/impostor report).

pub mod analyze;
pub mod eval;
pub mod liveness;
pub mod quality;
pub mod similarity;

use std::path::{Path, PathBuf};

use dlib_face_recognition::{FaceDetector, FaceEncoderNetwork, LandmarkPredictor};

use crate::VisionError;

pub use analyze::{AnalysisMode, FaceAnalysis, FaceBox, Timings};
pub use eval::{eval_dir, DistanceStats, EvalReport};
pub use quality::FaceQuality;
pub use similarity::{compare, Comparison, Embedding, DEFAULT_THRESHOLD, MATCH_LEVELS};

/// File name of the ResNet face encoder inside the faces model directory.
pub const ENCODER_FILE: &str = "dlib_face_recognition_resnet_model_v1.dat";
/// File name of the 5-point shape predictor inside the faces model directory.
pub const LANDMARKS_FILE: &str = "shape_predictor_5_face_landmarks.dat";

/// The models root: `IDGATE_MODELS_DIR` if set, else `<repo>/models`.
///
/// `<repo>` is found from this crate's manifest directory (`crates/idgate-vision/../../`), which
/// is right for tests and for binaries run from the work tree; a deployed binary sets
/// `IDGATE_MODELS_DIR`.
pub fn models_dir() -> PathBuf {
    match std::env::var_os("IDGATE_MODELS_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../models"),
    }
}

/// The faces model directory: `models_dir()/faces`.
pub fn faces_models_dir() -> PathBuf {
    models_dir().join("faces")
}

/// One worker's dlib models. `Send` but not `Sync`: give each thread its own.
pub struct FaceModels {
    pub(crate) detector: FaceDetector,
    pub(crate) landmarks: LandmarkPredictor,
    pub(crate) encoder: FaceEncoderNetwork,
    /// The liveness face mesh, loaded on first use (it needs ONNX Runtime; plain face work
    /// does not).
    pub(crate) mesh: Option<liveness::FaceMesh>,
}

impl FaceModels {
    /// Loads the models from `dir` (usually [`faces_models_dir`]).
    pub fn load(dir: &Path) -> Result<Self, VisionError> {
        let path = |name: &str| -> Result<PathBuf, VisionError> {
            let p = dir.join(name);
            if p.is_file() {
                Ok(p)
            } else {
                Err(VisionError::ModelUnavailable(format!(
                    "{} is missing; run scripts/setup.sh (or set IDGATE_MODELS_DIR)",
                    p.display()
                )))
            }
        };
        let landmarks = LandmarkPredictor::open(path(LANDMARKS_FILE)?)
            .map_err(VisionError::ModelUnavailable)?;
        let encoder =
            FaceEncoderNetwork::open(path(ENCODER_FILE)?).map_err(VisionError::ModelUnavailable)?;
        Ok(Self {
            detector: FaceDetector::new(),
            landmarks,
            encoder,
            mesh: None,
        })
    }

    /// Loads the models from [`faces_models_dir`].
    pub fn load_default() -> Result<Self, VisionError> {
        Self::load(&faces_models_dir())
    }
}

impl std::fmt::Debug for FaceModels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaceModels { hog, shape_predictor_5, resnet_v1 }")
    }
}
