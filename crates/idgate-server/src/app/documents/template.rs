//! Document templates accepted by the document routes and how each is read: the session seed's
//! eight (`rg, cnh, cnh_digital, passport, rne, crnm, ctps, others`) plus the QI OCR route's
//! sides (`cnh_front, cnh_back, rg_front, rg_back`).

use idgate_vision::document::brazil::DocTemplate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Template {
    Rg,
    RgFront,
    RgBack,
    Cnh,
    CnhFront,
    CnhBack,
    CnhDigital,
    Passport,
    Rne,
    Crnm,
    Ctps,
    Others,
}

/// How a template is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// The machine-readable zone (fast path): passport, RNE, CRNM.
    Mrz,
    /// Full-page OCR, then the Brazilian field extractor (an MRZ among the lines is parsed too,
    /// which reads the CIN's TD1 zone on `rg`).
    Ocr(DocTemplate),
    /// Stored as sent, without reading or validation.
    Store,
}

pub const ALL: [(&str, Template); 12] = [
    ("rg", Template::Rg),
    ("rg_front", Template::RgFront),
    ("rg_back", Template::RgBack),
    ("cnh", Template::Cnh),
    ("cnh_front", Template::CnhFront),
    ("cnh_back", Template::CnhBack),
    ("cnh_digital", Template::CnhDigital),
    ("passport", Template::Passport),
    ("rne", Template::Rne),
    ("crnm", Template::Crnm),
    ("ctps", Template::Ctps),
    ("others", Template::Others),
];

impl Template {
    pub fn parse(s: &str) -> Option<Self> {
        ALL.iter().find(|(n, _)| *n == s).map(|(_, t)| *t)
    }

    pub fn as_str(self) -> &'static str {
        ALL.iter()
            .find(|(_, t)| *t == self)
            .map_or("others", |(n, _)| n)
    }

    pub fn method(self) -> Method {
        match self {
            Self::Passport | Self::Rne | Self::Crnm => Method::Mrz,
            Self::Rg | Self::RgFront | Self::RgBack => Method::Ocr(DocTemplate::Rg),
            Self::Cnh | Self::CnhFront | Self::CnhBack => Method::Ocr(DocTemplate::Cnh),
            Self::CnhDigital => Method::Ocr(DocTemplate::CnhDigital),
            Self::Ctps => Method::Ocr(DocTemplate::Ctps),
            Self::Others => Method::Store,
        }
    }
}

/// The declared file type: `jpeg` (any supported image: JPEG, PNG, WebP) or `pdf`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    Image,
    Pdf,
}

impl FileType {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "jpeg" | "jpg" | "png" | "image" => Some(Self::Image),
            "pdf" => Some(Self::Pdf),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "jpeg",
            Self::Pdf => "pdf",
        }
    }
}
