//! The error-code table: every stable snake_case code idgate answers with, its HTTP status and
//! its pt-BR translation. Each crate's error type maps its variants onto these codes.

use serde::Serialize;

macro_rules! codes {
    ($($variant:ident = ($code:literal, $status:literal, $title:literal, $pt:literal);)*) => {
        /// A stable, machine-readable error code.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code { $($variant,)* }

        impl Code {
            /// Every code, for documentation and exhaustive tests.
            pub const ALL: &'static [Code] = &[$(Code::$variant,)*];
            /// The snake_case code sent to clients.
            pub fn as_str(self) -> &'static str { match self { $(Code::$variant => $code,)* } }
            /// The HTTP status this code is answered with.
            pub fn status(self) -> u16 { match self { $(Code::$variant => $status,)* } }
            /// A short English title.
            pub fn title(self) -> &'static str { match self { $(Code::$variant => $title,)* } }
            /// The pt-BR text used by vendor-format `translation` fields.
            pub fn translation(self) -> &'static str { match self { $(Code::$variant => $pt,)* } }
        }
    };
}

codes! {
    InvalidJson = ("invalid_json", 400, "Malformed JSON", "O corpo da requisição não é um JSON válido");
    InvalidRequest = ("invalid_request", 400, "Invalid request", "Requisição inválida");
    ValidationFailed = ("validation_failed", 422, "Validation failed", "Falha de validação dos campos");
    Unauthenticated = ("unauthenticated", 401, "Unauthenticated", "Não autenticado");
    Forbidden = ("forbidden", 403, "Forbidden", "Acesso negado");
    NotFound = ("not_found", 404, "Not found", "Recurso não encontrado");
    MethodNotAllowed = ("method_not_allowed", 405, "Method not allowed", "Método não permitido");
    Conflict = ("conflict", 409, "Conflict", "Conflito com um recurso existente");
    Gone = ("gone", 410, "Gone", "Recurso expirado");
    PayloadTooLarge = ("payload_too_large", 413, "Payload too large", "Corpo da requisição muito grande");
    UnsupportedMediaType = ("unsupported_media_type", 415, "Unsupported media type", "Tipo de conteúdo não suportado");
    InvalidTransition = ("invalid_state_transition", 409, "Invalid state transition", "Transição de estado inválida");
    StepOutOfOrder = ("step_out_of_order", 409, "Step out of order", "Esta etapa não é a etapa atual da sessão");
    SessionExpired = ("session_expired", 410, "Session expired", "Sessão expirada");
    RateLimited = ("rate_limited", 429, "Too many requests", "Muitas requisições");
    Busy = ("busy", 503, "Service busy", "Serviço ocupado, tente novamente");
    NotReady = ("not_ready", 503, "Not ready", "Serviço ainda não está pronto");
    InvalidToken = ("invalid_token", 401, "Invalid token", "Token inválido ou expirado");
    InvalidGrant = ("invalid_grant", 400, "Invalid grant", "Concessão inválida, expirada ou já utilizada");
    InvalidScope = ("invalid_scope", 400, "Invalid scope", "Escopo não permitido para esta aplicação");
    InvalidClient = ("invalid_client", 401, "Invalid client", "Credenciais da aplicação inválidas");
    InvalidSignature = ("invalid_signature", 401, "Invalid signature", "Assinatura inválida");
    LoginDenied = ("login_denied", 403, "Login denied", "Autenticação negada pelo usuário");
    LoginExpired = ("login_expired", 410, "Login expired", "Autenticação expirada");
    // Images and documents (shared by the faces and documents routes; one per VisionError code).
    InvalidBase64 = ("invalid_base64", 400, "Invalid base64", "O conteúdo base64 é inválido");
    UnsupportedImageFormat = ("unsupported_image_format", 400, "Unsupported image format", "Formato de imagem não suportado");
    CorruptImage = ("corrupt_image", 400, "Corrupt image", "A imagem não pôde ser decodificada");
    ImageTooLarge = ("image_too_large", 413, "Image too large", "Imagem muito grande");
    ImageTooManyPixels = ("image_too_many_pixels", 413, "Image has too many pixels", "Imagem com pixels demais");
    FileTypeMismatch = ("file_type_mismatch", 400, "File type mismatch", "O arquivo não corresponde ao file_type informado");
    InvalidPdf = ("invalid_pdf", 400, "Invalid PDF", "O PDF não pôde ser lido");
    PdfTooLarge = ("pdf_too_large", 413, "PDF too large", "PDF muito grande");
    PdfTooManyPages = ("pdf_too_many_pages", 413, "PDF has too many pages", "PDF com páginas demais");
    PdfTooManyObjects = ("pdf_too_many_objects", 413, "PDF has too many objects", "PDF com objetos demais");
    PdfStreamTooLarge = ("pdf_stream_too_large", 413, "PDF stream too large", "PDF com conteúdo descompactado grande demais");
    PdfEncrypted = ("pdf_encrypted", 400, "Encrypted PDF", "PDF criptografado não é aceito");
    NoText = ("no_text", 422, "No text found", "Nenhum texto encontrado no documento");
    NoMrz = ("no_mrz", 422, "No MRZ found", "Nenhuma zona de leitura mecânica (MRZ) encontrada");
    InvalidDocument = ("invalid_document", 422, "Unreadable document", "O documento não pôde ser lido");
    NoFace = ("no_face", 400, "image_quality", "Nenhum rosto encontrado na imagem");
    // Face quality gate: 400 with the QI title `image_quality` (the vendor's quality-gate shape).
    MultipleFaces = ("multiple_faces", 400, "image_quality", "Mais de um rosto encontrado na imagem");
    FaceTooSmall = ("face_too_small", 400, "image_quality", "O rosto é pequeno demais na imagem");
    TooBlurry = ("too_blurry", 400, "image_quality", "A imagem está desfocada");
    TooDark = ("too_dark", 400, "image_quality", "A imagem está escura demais");
    TooBright = ("too_bright", 400, "image_quality", "A imagem está clara demais");
    InvalidFrames = ("invalid_frames", 400, "Invalid frames", "Os quadros enviados não formam uma sequência válida");
    LivenessRequired = ("liveness_required", 400, "Liveness required", "A etapa de rosto exige a prova de vida");
    LivenessFailed = ("liveness_failed", 422, "Liveness failed", "A prova de vida não foi aprovada");
    // The uqudo door: options of a session's `data` that idgate cannot honour (yet).
    NfcUnsupported = ("nfc_unsupported", 422, "NFC unsupported", "A leitura NFC do documento não é suportada");
    BackgroundCheckUnsupported = ("background_check_unsupported", 422, "Background check unsupported", "A verificação de antecedentes não é suportada");
    UnsupportedGrantType = ("unsupported_grant_type", 400, "Unsupported grant type", "Tipo de concessão não suportado");
    ModelUnavailable = ("model_unavailable", 503, "Model unavailable", "Modelo de reconhecimento indisponível");
    Internal = ("internal_error", 500, "Internal error", "Erro interno");
}

/// One violation of a request rule, located by a JSON path such as `settings.steps[1].step`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            code,
            message: message.into(),
        }
    }
}

/// The core's error type: domain rule violations.
#[derive(Debug, Clone, thiserror::Error)]
pub enum CoreError {
    #[error("the request has {} invalid field(s)", .0.len())]
    Validation(Vec<FieldError>),
    #[error("cannot move from {from} to {to}")]
    InvalidTransition {
        from: &'static str,
        to: &'static str,
    },
}

impl CoreError {
    pub fn code(&self) -> Code {
        match self {
            Self::Validation(_) => Code::ValidationFailed,
            Self::InvalidTransition { .. } => Code::InvalidTransition,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_error_statuses() {
        let mut seen = std::collections::HashSet::new();
        for c in Code::ALL {
            assert!(seen.insert(c.as_str()), "duplicate {}", c.as_str());
            assert!(c
                .as_str()
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_'));
            assert!((400..600).contains(&c.status()));
        }
    }
}
