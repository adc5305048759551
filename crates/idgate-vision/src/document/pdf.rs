//! CNH digital PDF: size, page, object and stream limits checked before heavy work; page text
//! into Brazilian CNH fields; the QR code image; the PAdES/CMS signature and its chain.
//! Pure: bytes in, a report out. No I/O, no clock (certificate validity is the caller's policy).

mod images;
mod signature;
mod text;
mod trust;

use lopdf::{Document, LoadOptions, Object};
use serde::Serialize;

use super::brazil::{self, DocFields, DocTemplate, TextItem};
use crate::VisionError;

pub use images::PageImage;
pub use trust::TrustRoots;

/// Bounds on what a PDF may cost to read. The defaults fit a CNH digital (one page, ~20 objects,
/// tens of kilobytes) with wide margins.
#[derive(Debug, Clone)]
pub struct PdfLimits {
    pub max_bytes: usize,
    pub max_pages: usize,
    pub max_objects: usize,
    /// Largest decompressed size of any one stream (content, image, object stream).
    pub max_stream_bytes: usize,
    /// Largest image (width × height) decoded to look for the QR code or to OCR.
    pub max_image_pixels: u64,
}

impl Default for PdfLimits {
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_pages: 4,
            max_objects: 25_000,
            max_stream_bytes: 32 * 1024 * 1024,
            max_image_pixels: 25_000_000,
        }
    }
}

/// The result of a digital signature check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum SignatureStatus {
    /// No signature dictionary (`/ByteRange` + `/Contents`) in the file.
    Unsigned,
    /// The signed bytes match the CMS message digest and the signer's key verifies the signature.
    Valid {
        /// The signer certificate's subject (RFC 4514 form).
        signer: String,
        /// Subjects from the signer up to the last certificate found (signer first).
        chain: Vec<String>,
        /// The chain is verified link by link up to one of the configured roots.
        trusted: bool,
        /// The signed ranges cover the whole file (nothing was appended after signing).
        covers_whole_file: bool,
        /// The signer certificate's validity window, Unix seconds; the caller checks it
        /// against its clock (this crate has none).
        signer_not_before: u64,
        signer_not_after: u64,
    },
    /// A signature is present but does not hold; `reason` says why.
    Invalid { reason: String },
}

/// What a CNH digital PDF holds.
#[derive(Debug, Clone)]
pub struct CnhPdf {
    pub pages: usize,
    /// The first page's text lines, top to bottom (PDF text, confidence 1).
    pub items: Vec<TextItem>,
    /// CNH fields parsed from those lines by the Brazilian field extractor.
    pub fields: DocFields,
    /// The first QR code found in the page images, as text.
    pub qr_payload: Option<String>,
    pub signature: SignatureStatus,
    /// The first page has no text: OCR [`CnhPdf::page_image`] instead.
    pub needs_ocr: bool,
    /// When `needs_ocr`, the largest image on the first page.
    pub page_image: Option<PageImage>,
    /// Where the holder's face is: on a text page (a CNH-e), the largest image that is not the
    /// QR code; on an image-only page, the page image.
    pub portrait: Option<PageImage>,
}

/// Reads a CNH digital PDF. Limits are enforced before parsing and while decompressing;
/// `roots` are the trusted root certificates (ICP-Brasil in production; configuration).
pub fn read_cnh_pdf(
    bytes: &[u8],
    roots: &TrustRoots,
    limits: &PdfLimits,
) -> Result<CnhPdf, VisionError> {
    let doc = load(bytes, limits)?;
    let pages = doc.get_pages();
    let Some(&first) = pages.get(&1) else {
        return Err(VisionError::InvalidPdf("the PDF has no pages".into()));
    };
    let items = text::page_items(&doc, first, limits.max_stream_bytes)?;
    let images = images::page_images(&doc, first, limits)?;
    let qr = images
        .iter()
        .enumerate()
        .find_map(|(n, i)| images::read_qr(i).map(|text| (n, text)));
    let needs_ocr = items.iter().all(|i| i.text.trim().is_empty());
    let area = |i: &PageImage| u64::from(i.width) * u64::from(i.height);
    let qr_at = qr.as_ref().map(|(n, _)| *n);
    let (page_image, portrait) = if needs_ocr {
        let page = images.into_iter().max_by_key(area);
        (page.clone(), page)
    } else {
        let portrait = images
            .into_iter()
            .enumerate()
            .filter(|(n, _)| Some(*n) != qr_at)
            .map(|(_, i)| i)
            .max_by_key(area);
        (None, portrait)
    };
    let qr_payload = qr.map(|(_, text)| text);
    Ok(CnhPdf {
        pages: pages.len(),
        fields: brazil::extract(DocTemplate::CnhDigital, &items),
        items,
        qr_payload,
        signature: signature::check(bytes, &doc, roots),
        needs_ocr,
        page_image,
        portrait,
    })
}

/// Parses the PDF after the cheap checks: size, header, a raw count of objects (including
/// those packed in object streams), then lopdf with bounded inflation, then the page count.
pub fn load(bytes: &[u8], limits: &PdfLimits) -> Result<Document, VisionError> {
    if bytes.len() > limits.max_bytes {
        return Err(VisionError::PdfTooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let head = &bytes[..bytes.len().min(1024)];
    if !head.windows(5).any(|w| w == b"%PDF-") {
        return Err(VisionError::InvalidPdf("no %PDF- header".into()));
    }
    let objects = raw_object_count(bytes);
    if objects > limits.max_objects {
        return Err(VisionError::PdfTooManyObjects {
            objects,
            limit: limits.max_objects,
        });
    }
    let options = LoadOptions {
        max_decompressed_size: Some(limits.max_stream_bytes),
        ..LoadOptions::default()
    };
    let doc = Document::load_mem_with_options(bytes, options)
        .map_err(|e| map_lopdf(e, limits.max_stream_bytes))?;
    if doc.is_encrypted() || doc.was_encrypted() {
        return Err(VisionError::PdfEncrypted);
    }
    if doc.objects.len() > limits.max_objects {
        let objects = doc.objects.len();
        return Err(VisionError::PdfTooManyObjects {
            objects,
            limit: limits.max_objects,
        });
    }
    // /Count is read before walking the tree; the walk is then bounded by the object count.
    let declared = declared_page_count(&doc).unwrap_or(0);
    if declared > limits.max_pages {
        return Err(VisionError::PdfTooManyPages {
            pages: declared,
            limit: limits.max_pages,
        });
    }
    let pages = doc.page_iter().take(limits.max_pages + 1).count();
    if pages > limits.max_pages {
        return Err(VisionError::PdfTooManyPages {
            pages,
            limit: limits.max_pages,
        });
    }
    Ok(doc)
}

pub(crate) fn map_lopdf(e: lopdf::Error, limit: usize) -> VisionError {
    match e {
        lopdf::Error::Decompress(lopdf::DecompressError::MemoryLimitExceeded { .. }) => {
            VisionError::PdfStreamTooLarge { limit }
        }
        other => VisionError::InvalidPdf(other.to_string()),
    }
}

fn declared_page_count(doc: &Document) -> Option<usize> {
    let pages = doc.catalog().ok()?.get(b"Pages").ok()?;
    let (_, pages) = doc.dereference(pages).ok()?;
    match pages.as_dict().ok()?.get(b"Count").ok()? {
        Object::Integer(n) => usize::try_from(*n).ok(),
        _ => None,
    }
}

/// Counts `N G obj` headers and the `/N` of every object stream, without parsing.
fn raw_object_count(bytes: &[u8]) -> usize {
    let mut count = 0usize;
    let mut i = 0;
    while let Some(pos) = find(&bytes[i..], b"obj") {
        let at = i + pos;
        let before = &bytes[at.saturating_sub(1)..at];
        if before.first().is_some_and(u8::is_ascii_whitespace) && !bytes[..at].ends_with(b"end") {
            count += 1;
        }
        i = at + 3;
    }
    let mut i = 0;
    while let Some(pos) = find(&bytes[i..], b"/ObjStm") {
        let at = i + pos;
        let window = &bytes[at.saturating_sub(300)..(at + 300).min(bytes.len())];
        count = count.saturating_add(objstm_n(window).unwrap_or(0));
        i = at + 7;
    }
    count
}

fn objstm_n(window: &[u8]) -> Option<usize> {
    let at = window.windows(3).position(|w| w == b"/N ")? + 3;
    let digits: Vec<u8> = window[at..]
        .iter()
        .take_while(|c| c.is_ascii_digit())
        .copied()
        .collect();
    std::str::from_utf8(&digits).ok()?.parse().ok()
}

pub(crate) fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
