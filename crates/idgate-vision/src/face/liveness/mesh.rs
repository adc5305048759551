//! Dense face landmarks for liveness: MediaPipe's face-mesh model (468 points, eyelids
//! included; Apache-2.0), converted to ONNX and embedded in the binary (see
//! `crates/idgate-vision/models/README.md`), run on ONNX Runtime. From the points come the two
//! per-frame signals liveness needs: head yaw and the eyes' aspect ratio.

use std::path::Path;

use image::RgbImage;
use ort::session::Session;
use ort::value::Tensor;

use crate::document::ocr::{environment, session_from};
use crate::VisionError;

/// The converted model (2.4 MB), reproducible with `scripts/convert-face-mesh.sh`.
static MODEL: &[u8] = include_bytes!("../../../models/face_landmark.onnx");
/// The model's square input side.
const SIDE: usize = 192;
/// The crop around a face box given to the model, as a multiple of the box's larger side.
const CROP: f32 = 1.7;

/// Mesh indices used here: nose tip, cheek extremes, outer eye corners, and the six points of
/// each eye's aspect ratio (corner, two upper lid, corner, two lower lid).
const NOSE_TIP: usize = 1;
const CHEEK_RIGHT: usize = 234;
const CHEEK_LEFT: usize = 454;
pub(crate) const EYE_OUTER_RIGHT: usize = 33;
pub(crate) const EYE_OUTER_LEFT: usize = 263;
const EAR_RIGHT: [usize; 6] = [33, 160, 158, 133, 153, 144];
const EAR_LEFT: [usize; 6] = [362, 385, 387, 263, 373, 380];

/// One face-mesh session (single-threaded, like the other inference sessions of a worker).
pub struct FaceMesh {
    session: Session,
}

impl std::fmt::Debug for FaceMesh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FaceMesh")
    }
}

/// The mesh of one frame, in image pixels.
#[derive(Debug, Clone)]
pub struct Mesh {
    pub points: Vec<(f32, f32)>,
    /// The model's face-presence logit (> 0: a face).
    pub score: f32,
}

impl FaceMesh {
    /// Builds the session; ONNX Runtime comes from `models_dir/onnxruntime` (setup script).
    pub fn load(models_dir: &Path) -> Result<Self, VisionError> {
        let env = environment(models_dir)?;
        let session = session_from(&env, Path::new("face_landmark.onnx"), MODEL)?;
        Ok(Self { session })
    }

    /// The mesh of the face in `box_` (left, top, width, height in `image` pixels).
    pub fn run(
        &mut self,
        image: &RgbImage,
        box_: (f32, f32, f32, f32),
    ) -> Result<Mesh, VisionError> {
        let (cx, cy) = (box_.0 + box_.2 / 2.0, box_.1 + box_.3 / 2.0);
        let side = box_.2.max(box_.3) * CROP;
        let (x0, y0) = (cx - side / 2.0, cy - side / 2.0);
        let step = side / SIDE as f32;
        let mut input = vec![0f32; SIDE * SIDE * 3];
        for y in 0..SIDE {
            let sy = y0 + (y as f32 + 0.5) * step - 0.5;
            for x in 0..SIDE {
                let sx = x0 + (x as f32 + 0.5) * step - 0.5;
                let px = bilinear(image, sx, sy);
                let i = (y * SIDE + x) * 3;
                input[i] = px[0] / 255.0;
                input[i + 1] = px[1] / 255.0;
                input[i + 2] = px[2] / 255.0;
            }
        }
        let err = |e: ort::Error| VisionError::Internal(format!("face mesh: {e}"));
        let tensor = Tensor::from_array(([1usize, SIDE, SIDE, 3], input)).map_err(err)?;
        let outputs = self.session.run(ort::inputs![tensor]).map_err(err)?;
        let (_, pts) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
        let (_, score) = outputs[1].try_extract_tensor::<f32>().map_err(err)?;
        if pts.len() < 468 * 3 {
            return Err(VisionError::Internal(format!(
                "face mesh returned {} values",
                pts.len()
            )));
        }
        let k = side / SIDE as f32;
        let points = (0..468)
            .map(|i| (x0 + pts[i * 3] * k, y0 + pts[i * 3 + 1] * k))
            .collect();
        Ok(Mesh {
            points,
            score: score.first().copied().unwrap_or(f32::MIN),
        })
    }
}

impl Mesh {
    /// Head yaw proxy: the nose tip's offset from the middle of the two cheek extremes, over
    /// half the cheek-to-cheek distance. ≈0 facing the camera; positive when the nose points
    /// toward the image's right (the person turned to their own left).
    pub fn yaw(&self) -> f32 {
        let p = &self.points;
        let mid = (p[CHEEK_RIGHT].0 + p[CHEEK_LEFT].0) / 2.0;
        let half = dist(p[CHEEK_RIGHT], p[CHEEK_LEFT]) / 2.0;
        if half < 1.0 {
            return 0.0;
        }
        (p[NOSE_TIP].0 - mid) / half
    }

    /// Eye aspect ratios (right, left): lid opening over eye width.
    pub fn ear(&self) -> (f32, f32) {
        (
            ratio(&self.points, EAR_RIGHT),
            ratio(&self.points, EAR_LEFT),
        )
    }

    /// Distance between the outer eye corners.
    pub fn eye_distance(&self) -> f32 {
        dist(self.points[EYE_OUTER_RIGHT], self.points[EYE_OUTER_LEFT])
    }

    /// The points' bounding box (left, top, width, height).
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
        for &(x, y) in &self.points {
            x0 = x0.min(x);
            y0 = y0.min(y);
            x1 = x1.max(x);
            y1 = y1.max(y);
        }
        (x0, y0, (x1 - x0).max(1.0), (y1 - y0).max(1.0))
    }
}

fn ratio(p: &[(f32, f32)], i: [usize; 6]) -> f32 {
    let width = dist(p[i[0]], p[i[3]]);
    if width < 1e-3 {
        return 0.0;
    }
    (dist(p[i[1]], p[i[5]]) + dist(p[i[2]], p[i[4]])) / (2.0 * width)
}

fn dist(a: (f32, f32), b: (f32, f32)) -> f32 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// Bilinear RGB sample with edge clamping (the crop may extend past the frame).
fn bilinear(img: &RgbImage, x: f32, y: f32) -> [f32; 3] {
    let (w, h) = (img.width() as i64, img.height() as i64);
    let (xf, yf) = (x.floor(), y.floor());
    let (fx, fy) = (x - xf, y - yf);
    let c = |xi: i64, yi: i64| {
        let p = img
            .get_pixel(xi.clamp(0, w - 1) as u32, yi.clamp(0, h - 1) as u32)
            .0;
        [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]
    };
    let (x0, y0) = (xf as i64, yf as i64);
    let (a, b, cc, d) = (c(x0, y0), c(x0 + 1, y0), c(x0, y0 + 1), c(x0 + 1, y0 + 1));
    let mut out = [0f32; 3];
    for k in 0..3 {
        let top = a[k] * (1.0 - fx) + b[k] * fx;
        let bot = cc[k] * (1.0 - fx) + d[k] * fx;
        out[k] = top * (1.0 - fy) + bot * fy;
    }
    out
}
