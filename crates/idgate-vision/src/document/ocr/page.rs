//! Reading every line of text on a page: the page found in the photo and read flat (see
//! [`rectify`](super::rectify)), enlarged when small, turned when upside down; lines detected,
//! cut with a margin and recognised with the full dictionary, in reading order.

use image::RgbImage;

use super::detect::detect;
use super::geometry::{centre, crop_quad, extend_quad, quad_size, rotate_quad_180, Quad};
use super::recognize::{REC_HEIGHT, REC_MAX_WIDTH};
use super::{rectify, Head, OcrEngine, TextLine, DROP_SCORE, LINE_MARGIN, PAGE_LIMITS};
use crate::VisionError;

/// Recogniser crops of page lines, with a margin at both ends.
fn crops_for(img: &RgbImage, quads: &[Quad]) -> Vec<RgbImage> {
    quads
        .iter()
        .map(|q| {
            crop_quad(
                img,
                &extend_quad(q, LINE_MARGIN),
                REC_HEIGHT,
                1.0,
                REC_MAX_WIDTH,
            )
        })
        .collect()
}

/// Reads every line of text on a page, in reading order. A page photographed turned or
/// tilted (text lines at any angle, a quarter turn included), or small in a larger photo, is
/// first cut out level around its text; a small page is enlarged; a page upside down is turned. The lines' quads are in the pixels of the page as read
/// (level and upright), so their layout is the document's own. Returns `NoText` when nothing
/// legible is found.
pub fn read_text(engine: &mut OcrEngine, img: &RgbImage) -> Result<Vec<TextLine>, VisionError> {
    let mut quads: Vec<Quad> = detect(&mut engine.det, img, PAGE_LIMITS)?
        .into_iter()
        .map(|b| b.quad)
        .collect();
    let level;
    let mut page = img;
    // Lines are cut from `source`, through `to_source` (the level page's pixels to its
    // pixels): one resampling of the photo, not two.
    let mut source = img;
    let mut to_source: Option<Quad> = None;
    let region = rectify::page_quad(img, &quads);
    let side = region.map_or(img.width().max(img.height()) as f32, |r| {
        let (w, h) = quad_size(&r);
        w.max(h)
    });
    let scale = rectify::upscale_for(side);
    if let Some(region) = region {
        level = rectify::flatten(img, &region, scale);
        page = &level;
        quads = detect(&mut engine.det, page, PAGE_LIMITS)?
            .into_iter()
            .map(|b| b.quad)
            .collect();
        if scale == 1 {
            to_source = Some(region);
        } else {
            source = &level;
        }
    } else if scale > 1 {
        let (w, h) = (img.width() * scale, img.height() * scale);
        level = image::imageops::resize(img, w, h, image::imageops::FilterType::CatmullRom);
        page = &level;
        source = &level;
        let k = scale as f32;
        quads = quads
            .iter()
            .map(|q| q.map(|p| [p[0] * k, p[1] * k]))
            .collect();
    }
    let (w, h) = (page.width(), page.height());
    let cut = |quads: &[Quad]| match &to_source {
        Some(r) => {
            let mapped: Vec<Quad> = quads
                .iter()
                .map(|q| q.map(|p| rectify::to_source(r, w, h, p)))
                .collect();
            crops_for(source, &mapped)
        }
        None => crops_for(source, quads),
    };
    let mut crops = cut(&quads);
    let turned = engine.upside_down_share(&crops)? > 0.5;
    if turned {
        quads = quads.iter().map(rotate_quad_180).collect();
        crops = cut(&quads);
    }
    let texts = engine.recognise_crops(&crops, Head::Full)?;
    let mut lines: Vec<TextLine> = quads
        .into_iter()
        .zip(texts)
        .filter(|(_, (t, c))| *c >= DROP_SCORE && !t.trim().is_empty())
        .map(|(quad, (text, confidence))| TextLine {
            text: text.trim().to_string(),
            confidence,
            // in the turned page's pixels: its layout reads top to bottom again
            quad: if turned {
                rectify::turn_180(&quad, w, h)
            } else {
                quad
            },
        })
        .collect();
    if lines.is_empty() {
        return Err(VisionError::NoText);
    }
    sort_reading_order(&mut lines);
    Ok(lines)
}

/// Top to bottom along the text's own "down" direction, then left to right within a row.
fn sort_reading_order(lines: &mut [TextLine]) {
    let Some(first) = lines.first() else { return };
    let q = first.quad;
    let (w, _) = quad_size(&q);
    let u = [
        (q[1][0] - q[0][0]) / w.max(1e-3),
        (q[1][1] - q[0][1]) / w.max(1e-3),
    ];
    let key = |l: &TextLine| {
        let c = centre(&l.quad);
        let (_, h) = quad_size(&l.quad);
        let down = -c[0] * u[1] + c[1] * u[0];
        (
            (down / h.max(8.0)).round() as i64,
            c[0] * u[0] + c[1] * u[1],
        )
    };
    lines.sort_by(|a, b| {
        let (ka, kb) = (key(a), key(b));
        ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
    });
}
