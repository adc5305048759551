//! Image XObjects of a page (also inside form XObjects), decoded within pixel and byte limits,
//! and the QR code read from them with `rqrr`.

use std::collections::HashSet;

use image::{DynamicImage, GrayImage, RgbImage};
use lopdf::{Dictionary, Document, Object, ObjectId, Stream};

use super::{map_lopdf, PdfLimits};
use crate::VisionError;

/// An image drawn on a page, decoded to pixels.
#[derive(Debug, Clone)]
pub struct PageImage {
    pub width: u32,
    pub height: u32,
    pub image: DynamicImage,
}

/// Form XObjects nest; deeper than this is not a CNH.
const MAX_DEPTH: usize = 4;
/// Images looked at on one page.
const MAX_IMAGES: usize = 32;

/// The decodable images on a page. Images in formats not decoded here (JPEG 2000, JBIG2,
/// CCITT, indexed colour) are skipped; a stream over the size limit is an error.
pub(super) fn page_images(
    doc: &Document,
    page: ObjectId,
    limits: &PdfLimits,
) -> Result<Vec<PageImage>, VisionError> {
    let mut xobjects: Vec<&Dictionary> = Vec::new();
    if let Ok((direct, ids)) = doc.get_page_resources(page) {
        xobjects.extend(direct.and_then(|r| xobject_dict(doc, r)));
        for id in ids {
            if let Ok(r) = doc.get_dictionary(id) {
                xobjects.extend(xobject_dict(doc, r));
            }
        }
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for dict in xobjects {
        walk(doc, dict, 0, &mut seen, limits, &mut out)?;
    }
    Ok(out)
}

fn xobject_dict<'a>(doc: &'a Document, resources: &'a Dictionary) -> Option<&'a Dictionary> {
    let obj = resources.get(b"XObject").ok()?;
    doc.dereference(obj).ok()?.1.as_dict().ok()
}

fn walk(
    doc: &Document,
    xobjects: &Dictionary,
    depth: usize,
    seen: &mut HashSet<ObjectId>,
    limits: &PdfLimits,
    out: &mut Vec<PageImage>,
) -> Result<(), VisionError> {
    for (_, value) in xobjects.iter() {
        let Ok(id) = value.as_reference() else {
            continue;
        };
        if !seen.insert(id) || out.len() >= MAX_IMAGES {
            continue;
        }
        let Ok(stream) = doc.get_object(id).and_then(Object::as_stream) else {
            continue;
        };
        match stream.dict.get(b"Subtype").and_then(Object::as_name) {
            Ok(b"Image") => {
                if let Some(img) = decode(doc, stream, limits)? {
                    out.push(img);
                }
            }
            Ok(b"Form") if depth < MAX_DEPTH => {
                let inner = stream
                    .dict
                    .get(b"Resources")
                    .ok()
                    .and_then(|r| doc.dereference(r).ok())
                    .and_then(|(_, r)| r.as_dict().ok())
                    .and_then(|r| xobject_dict(doc, r));
                if let Some(inner) = inner {
                    walk(doc, inner, depth + 1, seen, limits, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn int(dict: &Dictionary, key: &[u8]) -> Option<i64> {
    dict.get(key).ok()?.as_i64().ok()
}

fn decode(
    doc: &Document,
    stream: &Stream,
    limits: &PdfLimits,
) -> Result<Option<PageImage>, VisionError> {
    let d = &stream.dict;
    let (Some(w), Some(h)) = (int(d, b"Width"), int(d, b"Height")) else {
        return Ok(None);
    };
    let (Ok(w), Ok(h)) = (u32::try_from(w), u32::try_from(h)) else {
        return Ok(None);
    };
    if w == 0 || h == 0 || u64::from(w) * u64::from(h) > limits.max_image_pixels {
        return Ok(None);
    }
    let filters: Vec<Vec<u8>> = stream
        .filters()
        .map(|f| f.iter().map(|n| n.to_vec()).collect())
        .unwrap_or_default();
    let max = limits.max_stream_bytes;
    let image = match filters.last().map(Vec::as_slice) {
        Some(b"DCTDecode") => {
            let mut pre = stream.clone();
            let earlier: Vec<Object> = filters[..filters.len() - 1]
                .iter()
                .map(|f| Object::Name(f.clone()))
                .collect();
            let jpeg = if earlier.is_empty() {
                stream.content.clone()
            } else {
                pre.dict.set("Filter", Object::Array(earlier));
                pre.decompressed_content_with_limit(max)
                    .map_err(|e| map_lopdf(e, max))?
            };
            decode_jpeg(&jpeg, limits)
        }
        Some(b"JPXDecode" | b"JBIG2Decode" | b"CCITTFaxDecode") => None,
        _ => {
            let data = stream
                .decompressed_content_with_limit(max)
                .map_err(|e| map_lopdf(e, max))?;
            raw_samples(doc, d, w, h, &data)
        }
    };
    Ok(image.map(|image| PageImage {
        width: image.width(),
        height: image.height(),
        image,
    }))
}

fn decode_jpeg(bytes: &[u8], limits: &PdfLimits) -> Option<DynamicImage> {
    let mut reader =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), image::ImageFormat::Jpeg);
    let mut l = image::Limits::default();
    l.max_alloc = Some(limits.max_image_pixels.saturating_mul(4));
    reader.limits(l);
    reader.decode().ok()
}

/// Uncompressed samples: 8-bit gray, RGB or CMYK, or 1-bit gray / image masks.
fn raw_samples(
    doc: &Document,
    d: &Dictionary,
    w: u32,
    h: u32,
    data: &[u8],
) -> Option<DynamicImage> {
    let bpc = int(d, b"BitsPerComponent").unwrap_or(1);
    let mask = matches!(d.get(b"ImageMask"), Ok(Object::Boolean(true)));
    let comps = if mask { 1 } else { components(doc, d)? };
    let decode_first = match d.get(b"Decode") {
        Ok(Object::Array(a)) => a.first().and_then(|o| o.as_float().ok()),
        _ => None,
    };
    let invert = decode_first == Some(1.0);
    let (wu, hu) = (w as usize, h as usize);
    match (bpc, comps) {
        (8, 1) => {
            GrayImage::from_raw(w, h, data.get(..wu * hu)?.to_vec()).map(DynamicImage::ImageLuma8)
        }
        (8, 3) => {
            RgbImage::from_raw(w, h, data.get(..wu * hu * 3)?.to_vec()).map(DynamicImage::ImageRgb8)
        }
        (8, 4) => {
            let rgb: Vec<u8> = data
                .get(..wu * hu * 4)?
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    [0, 1, 2].map(|i| ((255 - u16::from(p[i])) * k / 255) as u8)
                })
                .collect();
            RgbImage::from_raw(w, h, rgb).map(DynamicImage::ImageRgb8)
        }
        (1, 1) => {
            let row = wu.div_ceil(8);
            let bits = data.get(..row * hu)?;
            let px: Vec<u8> = (0..hu)
                .flat_map(|y| (0..wu).map(move |x| (y, x)))
                .map(|(y, x)| {
                    let on = bits[y * row + x / 8] >> (7 - x % 8) & 1 == 1;
                    // for a mask, 1 means "paint" (black) unless /Decode inverts it
                    let white = if mask { !on } else { on };
                    if white != invert {
                        255
                    } else {
                        0
                    }
                })
                .collect();
            GrayImage::from_raw(w, h, px).map(DynamicImage::ImageLuma8)
        }
        _ => None,
    }
}

fn components(doc: &Document, d: &Dictionary) -> Option<usize> {
    let cs = doc.dereference(d.get(b"ColorSpace").ok()?).ok()?.1;
    match cs {
        Object::Name(n) => match n.as_slice() {
            b"DeviceGray" | b"CalGray" | b"G" => Some(1),
            b"DeviceRGB" | b"CalRGB" | b"RGB" => Some(3),
            b"DeviceCMYK" | b"CMYK" => Some(4),
            _ => None,
        },
        Object::Array(a) => match a.first()?.as_name().ok()? {
            b"CalGray" => Some(1),
            b"CalRGB" => Some(3),
            // [/ICCBased <stream>]: the stream's /N says how many components
            b"ICCBased" => {
                let profile = doc.dereference(a.get(1)?).ok()?.1.as_stream().ok()?;
                usize::try_from(int(&profile.dict, b"N")?).ok()
            }
            _ => None,
        },
        _ => None,
    }
}

/// Longest side the QR search works on; larger images are scaled down first.
const QR_MAX_SIDE: u32 = 2_000;

/// The first QR code in the image, as text. A white margin is added first, since images cut
/// tight around the code have no quiet zone. The decoder is third-party code fed with
/// untrusted pixels, so a panic inside it is caught and read as "no QR code".
pub(super) fn read_qr(img: &PageImage) -> Option<String> {
    let mut luma = img.image.to_luma8();
    if luma.width().max(luma.height()) > QR_MAX_SIDE {
        let scale = f64::from(QR_MAX_SIDE) / f64::from(luma.width().max(luma.height()));
        let w = ((f64::from(luma.width()) * scale) as u32).max(1);
        let h = ((f64::from(luma.height()) * scale) as u32).max(1);
        luma = image::imageops::resize(&luma, w, h, image::imageops::FilterType::Triangle);
    }
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| decode_qr(&luma))).unwrap_or_else(
        |_| {
            tracing::warn!("the QR decoder panicked on a PDF image");
            None
        },
    )
}

fn decode_qr(luma: &GrayImage) -> Option<String> {
    let pad = (luma.width().max(luma.height()) / 10).max(8) as usize;
    let (w, h) = (luma.width() as usize, luma.height() as usize);
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(w + 2 * pad, h + 2 * pad, |x, y| {
            if x < pad || y < pad || x >= w + pad || y >= h + pad {
                255
            } else {
                luma.get_pixel((x - pad) as u32, (y - pad) as u32).0[0]
            }
        });
    prepared
        .detect_grids()
        .into_iter()
        .find_map(|g| g.decode().ok().map(|(_, text)| text))
}
