//! Image intake shared by every route: base64, format sniffing, size and pixel limits, EXIF orientation.
//!
//! Owns turning caller bytes into one RGB image, always through the same decoder (the `image`
//! crate: zune-jpeg, png, image-webp), because face embeddings move by up to 0.1 between JPEG
//! decoders. Limits are enforced before any pixel buffer exists: the encoded size first, then the
//! dimensions read from the header. A [`DecodeBudget`] shared by several threads also caps the
//! pixels decoded at the same time, so concurrent large photos queue instead of adding up in
//! memory. It must not know about faces, documents or HTTP.

use std::io::Cursor;
use std::sync::{Condvar, Mutex, PoisonError};

use base64::Engine as _;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, RgbImage};

use crate::VisionError;

/// Largest accepted image file, in bytes (after base64 decoding): 10 MiB.
pub const DEFAULT_MAX_BYTES: usize = 10 * 1024 * 1024;
/// Largest accepted decoded image, in pixels: 40 megapixels.
pub const DEFAULT_MAX_PIXELS: u64 = 40_000_000;

/// Byte and pixel limits applied before decoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeLimits {
    /// Largest image file in bytes.
    pub max_bytes: usize,
    /// Largest `width * height`, read from the header before decoding.
    pub max_pixels: u64,
}

impl Default for IntakeLimits {
    fn default() -> Self {
        Self {
            max_bytes: DEFAULT_MAX_BYTES,
            max_pixels: DEFAULT_MAX_PIXELS,
        }
    }
}

/// The image formats idgate accepts, recognised by their magic bytes (never by a file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    Jpeg,
    Png,
    Webp,
}

impl ImageFormat {
    /// Recognises JPEG, PNG and WebP from the first bytes of a file.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// The MIME type, e.g. for storing the original bytes.
    pub fn mime(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    fn to_image(self) -> image::ImageFormat {
        match self {
            Self::Jpeg => image::ImageFormat::Jpeg,
            Self::Png => image::ImageFormat::Png,
            Self::Webp => image::ImageFormat::WebP,
        }
    }
}

/// A decoded, upright image and what was learned while reading it.
#[derive(Debug, Clone)]
pub struct Intake {
    pub format: ImageFormat,
    /// Width after EXIF orientation was applied.
    pub width: u32,
    /// Height after EXIF orientation was applied.
    pub height: u32,
    /// Size of the encoded file in bytes.
    pub byte_size: usize,
    /// Whether an EXIF orientation other than "normal" was applied.
    pub rotated: bool,
    /// The pixels, 8-bit RGB (alpha dropped), upright.
    pub image: RgbImage,
}

/// Strictly decodes standard-alphabet, padded base64 (surrounding whitespace is ignored).
///
/// A `data:` URL is refused with a message saying to send the raw base64. The decoded size is
/// estimated from the text length and refused before decoding if it exceeds `max_bytes`.
pub fn decode_base64(s: &str, max_bytes: usize) -> Result<Vec<u8>, VisionError> {
    let s = s.trim();
    if s.get(..5).is_some_and(|p| p.eq_ignore_ascii_case("data:")) {
        return Err(VisionError::InvalidBase64(
            "a data: URL is not accepted; send the raw base64 of the image file \
             (drop everything up to and including the comma)"
                .into(),
        ));
    }
    if s.is_empty() {
        return Err(VisionError::InvalidBase64("the image is empty".into()));
    }
    let estimated = s.len() / 4 * 3;
    if estimated > max_bytes.saturating_add(2) {
        return Err(VisionError::ImageTooLarge {
            bytes: estimated,
            limit: max_bytes,
        });
    }
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| {
            VisionError::InvalidBase64(format!(
                "the image is not valid padded standard base64: {e}"
            ))
        })?;
    if bytes.len() > max_bytes {
        return Err(VisionError::ImageTooLarge {
            bytes: bytes.len(),
            limit: max_bytes,
        });
    }
    Ok(bytes)
}

/// Caps the pixels being decoded (and worked on) at the same time by the threads sharing it.
///
/// A decoded photo costs about 3 bytes per pixel plus the decoder's and its users' working
/// copies; without a cap, every worker decoding a large photo at once adds up. A permit for a
/// photo larger than the whole budget waits until no other permit is out, then runs alone.
#[derive(Debug)]
pub struct DecodeBudget {
    pixels: u64,
    in_use: Mutex<u64>,
    freed: Condvar,
}

impl DecodeBudget {
    /// A budget of `pixels` pixels in flight (at least 1).
    pub fn new(pixels: u64) -> Self {
        Self {
            pixels: pixels.max(1),
            in_use: Mutex::new(0),
            freed: Condvar::new(),
        }
    }

    /// The budget in pixels.
    pub fn pixels(&self) -> u64 {
        self.pixels
    }

    /// Blocks until `pixels` fit in the budget (or nothing else is in flight), then reserves them
    /// until the permit is dropped.
    pub fn acquire(&self, pixels: u64) -> DecodePermit<'_> {
        let mut in_use = self.in_use.lock().unwrap_or_else(PoisonError::into_inner);
        while *in_use > 0 && in_use.saturating_add(pixels) > self.pixels {
            in_use = self
                .freed
                .wait(in_use)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *in_use = in_use.saturating_add(pixels);
        DecodePermit {
            budget: self,
            pixels,
        }
    }
}

/// Pixels reserved in a [`DecodeBudget`]; released on drop. Keep it while the pixels live.
#[derive(Debug)]
pub struct DecodePermit<'a> {
    budget: &'a DecodeBudget,
    pixels: u64,
}

impl Drop for DecodePermit<'_> {
    fn drop(&mut self) {
        let mut in_use = self
            .budget
            .in_use
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        *in_use = in_use.saturating_sub(self.pixels);
        drop(in_use);
        self.budget.freed.notify_all();
    }
}

/// Decodes an image file within `limits` and applies its EXIF orientation.
pub fn load(bytes: &[u8], limits: IntakeLimits) -> Result<Intake, VisionError> {
    decode(bytes, limits, None).map(|(intake, _)| intake)
}

/// [`load`], with the pixels reserved in `budget` from the header check (before any pixel buffer
/// exists) until the returned permit is dropped: drop it once done with the pixels.
pub fn load_within<'b>(
    bytes: &[u8],
    limits: IntakeLimits,
    budget: &'b DecodeBudget,
) -> Result<(Intake, DecodePermit<'b>), VisionError> {
    let (intake, permit) = decode(bytes, limits, Some(budget))?;
    let permit = permit.ok_or_else(|| VisionError::Internal("no decode permit".into()))?;
    Ok((intake, permit))
}

fn decode<'b>(
    bytes: &[u8],
    limits: IntakeLimits,
    budget: Option<&'b DecodeBudget>,
) -> Result<(Intake, Option<DecodePermit<'b>>), VisionError> {
    if bytes.len() > limits.max_bytes {
        return Err(VisionError::ImageTooLarge {
            bytes: bytes.len(),
            limit: limits.max_bytes,
        });
    }
    let format = ImageFormat::sniff(bytes)
        .ok_or_else(|| VisionError::UnsupportedFormat(describe_unknown(bytes)))?;
    // zune-jpeg fills a truncated scan with grey instead of failing: insist on the end marker.
    if format == ImageFormat::Jpeg && !jpeg_has_end_marker(bytes) {
        return Err(VisionError::CorruptImage(
            "the JPEG is truncated (no end-of-image marker)".into(),
        ));
    }

    let mut reader = ImageReader::with_format(Cursor::new(bytes), format.to_image());
    // Header only: our own pixel check below runs before any pixel buffer is allocated.
    reader.no_limits();
    let mut decoder = reader.into_decoder().map_err(map_image_error)?;
    let (width, height) = decoder.dimensions();
    if width == 0 || height == 0 {
        return Err(VisionError::CorruptImage(format!(
            "the header declares {width}x{height} pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_pixels {
        return Err(VisionError::TooManyPixels {
            width,
            height,
            limit: limits.max_pixels,
        });
    }
    decoder
        .set_limits(Limits::default())
        .map_err(map_image_error)?;
    let permit = budget.map(|b| b.acquire(u64::from(width) * u64::from(height)));
    // A broken EXIF block is not worth refusing the photo for: treat it as "no rotation".
    let orientation = decoder
        .orientation()
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut decoded = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    let rotated = orientation != image::metadata::Orientation::NoTransforms;
    decoded.apply_orientation(orientation);
    let image = decoded.into_rgb8();
    let intake = Intake {
        format,
        width: image.width(),
        height: image.height(),
        byte_size: bytes.len(),
        rotated,
        image,
    };
    Ok((intake, permit))
}

/// Base64 text to decoded image in one step, with the same limits.
pub fn load_base64(s: &str, limits: IntakeLimits) -> Result<Intake, VisionError> {
    let bytes = decode_base64(s, limits.max_bytes)?;
    load(&bytes, limits)
}

fn map_image_error(e: ImageError) -> VisionError {
    match e {
        ImageError::Unsupported(u) => VisionError::UnsupportedFormat(u.to_string()),
        ImageError::Limits(l) => VisionError::CorruptImage(format!("decoder limit: {l}")),
        other => VisionError::CorruptImage(other.to_string()),
    }
}

/// Walks the JPEG marker segments up to the first scan, then looks for the EOI marker (FF D9).
/// Inside entropy-coded data FF is always followed by 00 or a restart marker, so an FF D9 after
/// the first scan is the real end of image (an EXIF thumbnail's EOI sits before the scan).
fn jpeg_has_end_marker(bytes: &[u8]) -> bool {
    let mut i = 2;
    while i + 4 <= bytes.len() {
        if bytes[i] != 0xFF {
            return false;
        }
        let marker = bytes[i + 1];
        if marker == 0xFF {
            i += 1; // fill byte
            continue;
        }
        let len = usize::from(u16::from_be_bytes([bytes[i + 2], bytes[i + 3]]));
        if marker == 0xDA {
            return bytes[i + 2 + len.min(bytes.len() - i - 2)..]
                .windows(2)
                .any(|w| w == [0xFF, 0xD9]);
        }
        i += 2 + len;
    }
    false
}

/// A short, caller-facing description of a file that is not JPEG, PNG or WebP.
fn describe_unknown(bytes: &[u8]) -> String {
    let known: [(&[u8], &str); 6] = [
        (b"GIF8", "GIF"),
        (b"BM", "BMP"),
        (b"II*\0", "TIFF"),
        (b"MM\0*", "TIFF"),
        (b"%PDF", "PDF"),
        (b"\0\0\0", "HEIC/AVIF or other ISO media"),
    ];
    if bytes.is_empty() {
        return "the file is empty; send a JPEG, PNG or WebP image".into();
    }
    for (magic, name) in known {
        if bytes.starts_with(magic) {
            return format!("{name} is not accepted; send a JPEG, PNG or WebP image");
        }
    }
    "not a JPEG, PNG or WebP image".into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_magic_bytes() {
        let cases: [(&[u8], Option<ImageFormat>); 5] = [
            (b"\xFF\xD8\xFF\xE0", Some(ImageFormat::Jpeg)),
            (b"\x89PNG\r\n\x1a\n\0", Some(ImageFormat::Png)),
            (b"RIFF\0\0\0\0WEBPVP8 ", Some(ImageFormat::Webp)),
            (b"GIF89a", None),
            (b"", None),
        ];
        for (bytes, want) in cases {
            assert_eq!(ImageFormat::sniff(bytes), want, "{bytes:?}");
        }
    }

    #[test]
    fn base64_is_strict() {
        assert_eq!(decode_base64("aGk=", 10).ok(), Some(b"hi".to_vec()));
        assert_eq!(decode_base64(" aGk=\n", 10).ok(), Some(b"hi".to_vec()));
        for bad in [
            "aGk",
            "aG k=",
            "aGk-",
            "a_k=",
            "",
            "aGl=",
            "dat\u{e9}:x",
            "\u{e9}\u{e9}\u{e9}",
        ] {
            assert!(
                matches!(decode_base64(bad, 10), Err(VisionError::InvalidBase64(_))),
                "{bad:?}"
            );
        }
        let err = decode_base64("data:image/jpeg;base64,aGk=", 10).unwrap_err();
        assert!(err.to_string().contains("raw base64"), "{err}");
        assert!(matches!(
            decode_base64("aGVsbG8gd29ybGQ=", 4),
            Err(VisionError::ImageTooLarge { .. })
        ));
    }

    #[test]
    fn decode_budget_caps_pixels_in_flight() {
        use std::sync::atomic::{AtomicU64, Ordering};
        use std::sync::Arc;

        let budget = Arc::new(DecodeBudget::new(10));
        // Larger than the whole budget: granted when nothing else is out.
        drop(budget.acquire(25));
        let (peak, current) = (Arc::new(AtomicU64::new(0)), Arc::new(AtomicU64::new(0)));
        let threads: Vec<_> = (0..6)
            .map(|i| {
                let (budget, peak, current) = (budget.clone(), peak.clone(), current.clone());
                std::thread::spawn(move || {
                    let px = 3 + i % 3;
                    let _permit = budget.acquire(px);
                    let now = current.fetch_add(px, Ordering::SeqCst) + px;
                    peak.fetch_max(now, Ordering::SeqCst);
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    current.fetch_sub(px, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().expect("joins");
        }
        assert!(peak.load(Ordering::SeqCst) <= 10);
        assert_eq!(*budget.in_use.lock().expect("lock"), 0);
    }

    #[test]
    fn refuses_unknown_and_oversized_bytes() {
        let limits = IntakeLimits {
            max_bytes: 8,
            max_pixels: 1,
        };
        assert!(
            matches!(load(b"GIF89a", limits), Err(VisionError::UnsupportedFormat(m)) if m.contains("GIF"))
        );
        assert!(matches!(
            load(&[0u8; 9], limits),
            Err(VisionError::ImageTooLarge { bytes: 9, limit: 8 })
        ));
    }
}
