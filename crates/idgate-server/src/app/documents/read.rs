//! The read pipeline, run on an inference worker thread: check the bytes against the declared file
//! type, decode the image or parse the PDF (within limits), then read the template's way (MRZ
//! fast path, or full-page OCR and the Brazilian extractor). Synchronous and pure apart from
//! the engine; the result is turned into JSON by [`super::report`].

use std::sync::Arc;

use idgate_core::Code;
use idgate_vision::document::brazil::{extract, DocFields, DocTemplate, TextItem};
use idgate_vision::document::mrz::{parse_mrz, read_mrz, Mrz};
use idgate_vision::document::ocr::{read_text, OcrEngine, TextLine};
use idgate_vision::document::pdf::{read_cnh_pdf, PdfLimits, SignatureStatus, TrustRoots};
use idgate_vision::intake::{self, ImageFormat, IntakeLimits};
use idgate_vision::pool::Engines;
use idgate_vision::VisionError;
use image::RgbImage;

use super::template::{FileType, Method, Template};
use super::vision_error;
use crate::http::error::ApiError;

/// Everything a read needs, moved to the worker.
pub struct ReadInput {
    pub template: Template,
    pub file_type: FileType,
    pub bytes: Arc<Vec<u8>>,
    pub roots: Arc<TrustRoots>,
    pub pdf_limits: PdfLimits,
    pub intake_limits: IntakeLimits,
}

/// The MRZ as read: parsed (repaired) zone, the raw recognised lines and their confidence.
pub struct MrzPart {
    pub mrz: Mrz,
    pub raw_lines: Vec<String>,
    pub confidence: f32,
    pub upside_down: bool,
}

/// What the PDF adds: signature, QR payload, whether the page was an image.
pub struct PdfPart {
    pub signature: SignatureStatus,
    pub qr_payload: Option<String>,
    pub pages: usize,
    pub ocr: bool,
}

/// The raw outcome of a read, before rendering and validation.
pub struct Read {
    pub template: Template,
    pub stored_only: bool,
    pub fields: Option<DocFields>,
    pub mrz: Option<MrzPart>,
    pub pdf: Option<PdfPart>,
    pub text_lines: usize,
    pub ms: f64,
}

pub fn run(engines: &mut Engines, input: &ReadInput) -> Result<Read, ApiError> {
    let started = std::time::Instant::now();
    let bytes = input.bytes.as_slice();
    check_file_type(input.file_type, bytes)?;
    let mut read = Read {
        template: input.template,
        stored_only: false,
        fields: None,
        mrz: None,
        pdf: None,
        text_lines: 0,
        ms: 0.0,
    };
    let method = input.template.method();
    if method == Method::Store {
        read.stored_only = true;
        return Ok(read);
    }
    let image = match input.file_type {
        FileType::Image => {
            intake::load(bytes, input.intake_limits)
                .map_err(vision_error)?
                .image
        }
        FileType::Pdf => {
            let pdf = read_cnh_pdf(bytes, &input.roots, &input.pdf_limits).map_err(vision_error)?;
            let page = pdf.page_image.map(|p| p.image.to_rgb8());
            read.pdf = Some(PdfPart {
                signature: pdf.signature,
                qr_payload: pdf.qr_payload,
                pages: pdf.pages,
                ocr: pdf.needs_ocr,
            });
            if !pdf.needs_ocr {
                read.text_lines = pdf.items.len();
                from_items(&mut read, method, &pdf.items)?;
                read.ms = started.elapsed().as_secs_f64() * 1000.0;
                return Ok(read);
            }
            page.ok_or_else(|| vision_error(VisionError::NoText))?
        }
    };
    let engine = engines.ocr().map_err(vision_error)?;
    from_image(&mut read, method, engine, &image)?;
    read.ms = started.elapsed().as_secs_f64() * 1000.0;
    Ok(read)
}

/// The bytes must be what `file_type` says: an image (JPEG, PNG, WebP) or a PDF.
fn check_file_type(declared: FileType, bytes: &[u8]) -> Result<(), ApiError> {
    let is_pdf = bytes[..bytes.len().min(1024)]
        .windows(5)
        .any(|w| w == b"%PDF-");
    let is_image = ImageFormat::sniff(bytes).is_some();
    match declared {
        FileType::Image if is_image => Ok(()),
        FileType::Pdf if is_pdf => Ok(()),
        FileType::Image if is_pdf => Err(mismatch("file_type is jpeg but the file is a PDF")),
        FileType::Pdf if is_image => Err(mismatch("file_type is pdf but the file is an image")),
        FileType::Image => Err(vision_error(VisionError::UnsupportedFormat(
            "the file is not a JPEG, PNG or WebP image".into(),
        ))),
        FileType::Pdf => Err(vision_error(VisionError::InvalidPdf(
            "the file does not start like a PDF".into(),
        ))),
    }
}

fn mismatch(msg: &str) -> ApiError {
    let mut e = ApiError::new(Code::FileTypeMismatch, msg);
    e.details.push(idgate_core::FieldError::new(
        "file_type",
        "file_type_mismatch",
        msg,
    ));
    e
}

fn from_image(
    read: &mut Read,
    method: Method,
    engine: &mut OcrEngine,
    image: &RgbImage,
) -> Result<(), ApiError> {
    match method {
        Method::Mrz => {
            let m = read_mrz(engine, image).map_err(vision_error)?;
            read.text_lines = m.lines.len();
            read.mrz = Some(MrzPart {
                raw_lines: m.lines,
                confidence: m.confidence,
                upside_down: m.upside_down,
                mrz: m.mrz,
            });
            Ok(())
        }
        Method::Ocr(_) => {
            let lines = read_text(engine, image).map_err(vision_error)?;
            read.text_lines = lines.len();
            let items: Vec<TextItem> = lines.iter().map(TextLine::item).collect();
            from_items(read, method, &items)
        }
        Method::Store => Ok(()),
    }
}

/// Fields (and any MRZ) from positioned text lines, OCR'd or taken from a PDF.
fn from_items(read: &mut Read, method: Method, items: &[TextItem]) -> Result<(), ApiError> {
    let mrz = mrz_among(items);
    match method {
        Method::Mrz => {
            let m = mrz.ok_or_else(|| vision_error(VisionError::NoMrz))?;
            read.mrz = Some(m);
        }
        Method::Ocr(t) => {
            if items.is_empty() {
                return Err(vision_error(VisionError::NoText));
            }
            read.fields = Some(extract(t, items));
            // a CIN's TD1 zone on the back of an `rg`
            if t == DocTemplate::Rg {
                read.mrz = mrz;
            }
        }
        Method::Store => {}
    }
    Ok(())
}

/// Parses the MRZ-looking lines (long, with fillers) among `items`, if they form a zone.
fn mrz_among(items: &[TextItem]) -> Option<MrzPart> {
    let cand: Vec<&TextItem> = items
        .iter()
        .filter(|i| {
            let t = i.text.replace(' ', "");
            t.len() >= 28 && t.contains("<<")
        })
        .collect();
    if !(2..=3).contains(&cand.len()) {
        return None;
    }
    let raw: Vec<String> = cand.iter().map(|i| i.text.replace(' ', "")).collect();
    let refs: Vec<&str> = raw.iter().map(String::as_str).collect();
    let mrz = parse_mrz(&refs).ok()?;
    let confidence = cand.iter().map(|i| i.confidence).sum::<f32>() / cand.len() as f32;
    Some(MrzPart {
        mrz,
        raw_lines: raw,
        confidence,
        upside_down: false,
    })
}
