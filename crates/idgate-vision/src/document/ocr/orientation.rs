//! Which way up text lines are: the PP-OCRv5 text-line orientation model's vote over windows of
//! the lines (0° or 180°), cut from line crops or sampled straight from the page.

use image::{imageops::crop_imm, RgbImage};

use super::geometry::{crop_columns, crop_width, Quad};
use super::recognize::{upside_down, REC_HEIGHT, REC_MAX_WIDTH};
use super::{OcrEngine, BATCH};
use crate::VisionError;

const MAX_ORIENTATION_WINDOWS: usize = 48;

impl OcrEngine {
    /// Share of text windows that the orientation model reads as upside down. Long lines are cut
    /// into windows of the model's aspect ratio (squashing a whole MRZ line into 192 pixels
    /// hides its orientation); at most three windows per line, `MAX_ORIENTATION_WINDOWS` in all.
    pub(super) fn upside_down_share(&mut self, crops: &[RgbImage]) -> Result<f32, VisionError> {
        let mut windows = Vec::new();
        for crop in crops {
            if windows.len() >= MAX_ORIENTATION_WINDOWS {
                break;
            }
            for cols in self.window_columns(crop.width()) {
                let w = cols.len() as u32;
                windows.push(crop_imm(crop, cols.start, 0, w, crop.height()).to_image());
            }
        }
        self.share_upside_down(windows)
    }

    /// [`Self::upside_down_share`] of lines given as quads on `img`, as if cropped at
    /// `REC_HEIGHT` and their own aspect ratio, sampling only the windows.
    pub(super) fn upside_down_share_of_lines(
        &mut self,
        img: &RgbImage,
        quads: &[Quad],
    ) -> Result<f32, VisionError> {
        let mut windows = Vec::new();
        for q in quads {
            if windows.len() >= MAX_ORIENTATION_WINDOWS {
                break;
            }
            let width = crop_width(q, REC_HEIGHT, 1.0, REC_MAX_WIDTH);
            for cols in self.window_columns(width) {
                windows.push(crop_columns(img, q, REC_HEIGHT, width, cols));
            }
        }
        self.share_upside_down(windows)
    }

    /// The orientation windows of a line crop `width` wide and `REC_HEIGHT` high: the whole
    /// line if short, else its start, middle and end.
    fn window_columns(&self, width: u32) -> Vec<std::ops::Range<u32>> {
        let (cw, ch) = self.cls_input;
        let win = (REC_HEIGHT as f32 * cw as f32 / ch.max(1) as f32).round() as u32;
        if width <= win * 3 / 2 {
            return std::iter::once(0..width).collect();
        }
        let span = width - win;
        [0, span / 2, span].map(|x| x..x + win).to_vec()
    }

    fn share_upside_down(&mut self, mut windows: Vec<RgbImage>) -> Result<f32, VisionError> {
        windows.truncate(MAX_ORIENTATION_WINDOWS);
        let refs: Vec<&RgbImage> = windows.iter().collect();
        let mut probs = Vec::with_capacity(refs.len());
        for chunk in refs.chunks(BATCH) {
            probs.extend(upside_down(&mut self.cls, self.cls_input, chunk)?);
        }
        let flipped = probs.iter().filter(|&&p| p > 0.5).count();
        Ok(if probs.is_empty() {
            0.0
        } else {
            flipped as f32 / probs.len() as f32
        })
    }
}
