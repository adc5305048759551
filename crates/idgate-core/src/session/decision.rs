//! The decision policy: turns what a session's steps produced (document checks, the document's
//! CPF, the face match) into `approved`, `rejected` or `in_manual_analysis`, with a reason for
//! every check that did not pass. Pure: the server gathers the evidence and stores the outcome.
//!
//! Rules, in the order they are reported:
//! - a check that **failed** (check digits, expiry, CPF on the document differs from the
//!   session's `document_number`, face match `unmatch`, an invalid PDF signature) rejects;
//! - a check that **could not be made** (no check digits read, no expiry date on a document
//!   that has one, no CPF on the document, no face on the document, a template stored without
//!   validation, a digital document unsigned or signed by no trusted root) sends the session to manual analysis, unless [`Policy::unverifiable`] says to
//!   reject. The RG and the CTPS carry no expiry date: theirs is never missing;
//! - a session that checked **no identity evidence at all** (neither a document nor a face step:
//!   a device scan alone) cannot say who the person is: `identity_not_checked`, a check that could
//!   not be made (manual analysis, or reject under [`Policy::unverifiable`]). A device scan alone
//!   is still useful as a risk signal, but it never approves a person on its own;
//! - a device the device scan found risky (automation, time zone against language, one device
//!   for many CPFs) sends an otherwise approved session to manual analysis when
//!   [`Policy::risky_device`] says so (never rejects on its own);
//! - otherwise the session is approved.

use serde::{Deserialize, Serialize};

use super::status::Status;

/// Every reason [`decide`] can give, as a stable snake_case code (documented in the OpenAPI
/// description through [`REASON_CODES`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReasonCode {
    DocumentNotValidated,
    DocumentCheckDigitsInvalid,
    DocumentCheckDigitsUnread,
    DocumentExpired,
    DocumentExpiryUnread,
    DocumentCpfUnread,
    DocumentCpfMismatch,
    DocumentSignatureInvalid,
    DocumentSignatureUntrusted,
    DocumentUnsigned,
    FaceMismatch,
    DocumentFaceNotFound,
    FaceMatchFailed,
    DeviceRisky,
    LivenessFailed,
    IdentityNotChecked,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 16] = [
        Self::DocumentNotValidated,
        Self::DocumentCheckDigitsInvalid,
        Self::DocumentCheckDigitsUnread,
        Self::DocumentExpired,
        Self::DocumentExpiryUnread,
        Self::DocumentCpfUnread,
        Self::DocumentCpfMismatch,
        Self::DocumentSignatureInvalid,
        Self::DocumentSignatureUntrusted,
        Self::DocumentUnsigned,
        Self::FaceMismatch,
        Self::DocumentFaceNotFound,
        Self::FaceMatchFailed,
        Self::DeviceRisky,
        Self::LivenessFailed,
        Self::IdentityNotChecked,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::DocumentNotValidated => "document_not_validated",
            Self::DocumentCheckDigitsInvalid => "document_check_digits_invalid",
            Self::DocumentCheckDigitsUnread => "document_check_digits_unread",
            Self::DocumentExpired => "document_expired",
            Self::DocumentExpiryUnread => "document_expiry_unread",
            Self::DocumentCpfUnread => "document_cpf_unread",
            Self::DocumentCpfMismatch => "document_cpf_mismatch",
            Self::DocumentSignatureInvalid => "document_signature_invalid",
            Self::DocumentSignatureUntrusted => "document_signature_untrusted",
            Self::DocumentUnsigned => "document_unsigned",
            Self::FaceMismatch => "face_mismatch",
            Self::DocumentFaceNotFound => "document_face_not_found",
            Self::FaceMatchFailed => "face_match_failed",
            Self::DeviceRisky => "device_risky",
            Self::LivenessFailed => "liveness_failed",
            Self::IdentityNotChecked => "identity_not_checked",
        }
    }
}

/// Every reason code, as the API spells it.
pub const REASON_CODES: [&str; ReasonCode::ALL.len()] = {
    let mut out = [""; ReasonCode::ALL.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = ReasonCode::ALL[i].as_str();
        i += 1;
    }
    out
};

/// What a document's digital signature (a PDF's) established.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignatureEvidence {
    /// Valid, covering the whole file, its signer chaining to a configured root.
    Trusted,
    /// Valid, but its chain ends at no configured root (or bytes were appended after signing):
    /// anyone can make such a file.
    Untrusted,
    /// The file carries no signature.
    Unsigned,
    /// A signature is there and does not verify.
    Invalid,
}

/// What one document read yielded for the decision (`None`: the check could not be made).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentEvidence {
    pub ocr_key: String,
    pub template: String,
    /// False for templates stored without validation (`others`).
    pub validated: bool,
    pub check_digits_valid: Option<bool>,
    pub not_expired: Option<bool>,
    /// CPF digits read on the document, when one was read and its check digits hold. Never
    /// serialised: the stored decision says whether it matched, not what it was.
    #[serde(skip)]
    pub cpf: Option<String>,
    /// `None` when the document is not one that must be signed (a photo, a scanned page).
    pub signature: Option<SignatureEvidence>,
}

/// The face match of the document portrait against the session's selfie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum FaceEvidence {
    Match {
        face_match_key: String,
        similarity_ratio: f64,
    },
    Unmatch {
        face_match_key: String,
        similarity_ratio: f64,
    },
    /// No face could be found on any side of the document.
    NoFaceOnDocument,
    /// The comparison could not run (e.g. the selfie expired, the face engine is unavailable).
    Failed { code: String },
}

/// Everything the policy looks at.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// CPF digits of the session's `document_number`.
    pub session_cpf: String,
    /// One entry per document side read in the `personal_document` step (empty without one).
    pub documents: Vec<DocumentEvidence>,
    /// `None` when the session had no face step or no document step.
    pub face: Option<FaceEvidence>,
    /// The risk signals the device scan raised (empty: none, or no device scan).
    pub device_risks: Vec<String>,
    /// The liveness outcome of the face step: `Some(false)` when every allowed attempt failed.
    /// `None` for a session without a face step.
    pub liveness: Option<bool>,
}

/// What to do when a check cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unverifiable {
    #[default]
    ManualAnalysis,
    Reject,
}

/// What to do with a device the device scan found risky.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskyDevice {
    /// Recorded in `step_data.device_scan`, not part of the decision.
    #[default]
    Ignore,
    ManualAnalysis,
}

/// Distinct CPFs one device may verify within 24 h before it counts as risky (default).
pub const DEFAULT_MAX_CPFS_PER_DEVICE: u32 = 3;

fn default_max_cpfs() -> u32 {
    DEFAULT_MAX_CPFS_PER_DEVICE
}

/// A tenant's decision policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Policy {
    pub unverifiable: Unverifiable,
    #[serde(default)]
    pub risky_device: RiskyDevice,
    /// More distinct CPFs than this on one device fingerprint in 24 h is a risk signal.
    #[serde(default = "default_max_cpfs")]
    pub max_cpfs_per_device: u32,
    /// Liveness attempts a session's face step allows before it fails for good (default 3).
    #[serde(default = "default_liveness_attempts")]
    pub liveness_attempts: u8,
}

fn default_liveness_attempts() -> u8 {
    3
}

impl Default for Policy {
    fn default() -> Self {
        Self {
            unverifiable: Unverifiable::default(),
            risky_device: RiskyDevice::default(),
            max_cpfs_per_device: DEFAULT_MAX_CPFS_PER_DEVICE,
            liveness_attempts: default_liveness_attempts(),
        }
    }
}

/// Whether a reason rejects or asks for a person to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Reject,
    Review,
}

/// One machine-readable reason of a decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Reason {
    pub code: ReasonCode,
    pub severity: Severity,
    pub message: String,
}

/// The outcome: a final status and its reasons (empty when approved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub status: Status,
    pub reasons: Vec<Reason>,
}

/// Aggregates a check over the document's sides: any `false` fails it, else any `true` passes.
fn any_side(
    docs: &[DocumentEvidence],
    f: impl Fn(&DocumentEvidence) -> Option<bool>,
) -> Option<bool> {
    let vals: Vec<bool> = docs.iter().filter_map(f).collect();
    if vals.contains(&false) {
        Some(false)
    } else {
        vals.first().copied()
    }
}

/// Whether documents of this template print an expiry date (the RG and the CTPS do not; the
/// CIN read as `rg` does, in its MRZ, and is then checked).
pub fn has_expiry(template: &str) -> bool {
    !matches!(template, "rg" | "rg_front" | "rg_back" | "ctps" | "others")
}

impl Evidence {
    /// Whether the CPFs read on the document are all the session's (`None`: none was read).
    pub fn cpf_matches_session(&self) -> Option<bool> {
        let cpfs: Vec<&str> = self
            .documents
            .iter()
            .filter(|d| d.validated)
            .filter_map(|d| d.cpf.as_deref())
            .collect();
        (!cpfs.is_empty()).then(|| cpfs.iter().all(|c| *c == self.session_cpf))
    }
}

/// The signature outcome over the sides: the worst one wins (invalid, unsigned, untrusted).
fn signature_of(docs: &[DocumentEvidence]) -> Option<SignatureEvidence> {
    use SignatureEvidence::*;
    let sigs: Vec<SignatureEvidence> = docs.iter().filter_map(|d| d.signature).collect();
    [Invalid, Unsigned, Untrusted, Trusted]
        .into_iter()
        .find(|s| sigs.contains(s))
}

pub fn decide(policy: &Policy, e: &Evidence) -> Decision {
    use ReasonCode as C;
    let mut reasons = Vec::new();
    let mut push = |code, severity, message: &str| {
        reasons.push(Reason {
            code,
            severity,
            message: message.to_owned(),
        })
    };
    let docs = &e.documents;
    if !docs.is_empty() {
        let validated: Vec<DocumentEvidence> =
            docs.iter().filter(|d| d.validated).cloned().collect();
        if validated.is_empty() {
            push(
                C::DocumentNotValidated,
                Severity::Review,
                "the document's template is stored without validation",
            );
        } else {
            let expiring: Vec<DocumentEvidence> = validated
                .iter()
                .filter(|d| has_expiry(&d.template) || d.not_expired.is_some())
                .cloned()
                .collect();
            let expiry = match any_side(&validated, |d| d.not_expired) {
                None if expiring.is_empty() => Some(true),
                other => other,
            };
            let checks = [
                (
                    any_side(&validated, |d| d.check_digits_valid),
                    C::DocumentCheckDigitsInvalid,
                    "a check digit on the document (MRZ or document number) does not hold",
                    C::DocumentCheckDigitsUnread,
                    "no check digit could be read on the document",
                ),
                (
                    expiry,
                    C::DocumentExpired,
                    "the document has expired",
                    C::DocumentExpiryUnread,
                    "no expiry date could be read on the document",
                ),
            ];
            for (outcome, fail, fail_msg, unread, unread_msg) in checks {
                match outcome {
                    Some(false) => push(fail, Severity::Reject, fail_msg),
                    None => push(unread, Severity::Review, unread_msg),
                    Some(true) => {}
                }
            }
            match e.cpf_matches_session() {
                // a session made without a CPF (the uqudo door) has none to compare
                _ if e.session_cpf.is_empty() => {}
                None => push(
                    C::DocumentCpfUnread,
                    Severity::Review,
                    "no valid CPF could be read on the document",
                ),
                Some(false) => push(
                    C::DocumentCpfMismatch,
                    Severity::Reject,
                    "the CPF on the document differs from the session's document_number",
                ),
                Some(true) => {}
            }
            match signature_of(&validated) {
                Some(SignatureEvidence::Invalid) => push(
                    C::DocumentSignatureInvalid,
                    Severity::Reject,
                    "the document's digital signature does not verify",
                ),
                Some(SignatureEvidence::Unsigned) => push(
                    C::DocumentUnsigned,
                    Severity::Review,
                    "the digital document carries no signature: anyone can make such a file",
                ),
                Some(SignatureEvidence::Untrusted) => push(
                    C::DocumentSignatureUntrusted,
                    Severity::Review,
                    "the document's signature verifies but its signer does not chain to a trusted root",
                ),
                Some(SignatureEvidence::Trusted) | None => {}
            }
        }
    }
    match &e.face {
        Some(FaceEvidence::Unmatch { .. }) => push(
            C::FaceMismatch,
            Severity::Reject,
            "the face on the document does not match the selfie",
        ),
        Some(FaceEvidence::NoFaceOnDocument) => push(
            C::DocumentFaceNotFound,
            Severity::Review,
            "no face was found on the document to compare with the selfie",
        ),
        Some(FaceEvidence::Failed { .. }) => push(
            C::FaceMatchFailed,
            Severity::Review,
            "the face on the document could not be compared with the selfie",
        ),
        Some(FaceEvidence::Match { .. }) | None => {}
    }
    if e.liveness == Some(false) {
        push(
            C::LivenessFailed,
            Severity::Reject,
            "the selfie's liveness proof failed on every allowed attempt",
        );
    }
    if docs.is_empty() && e.face.is_none() && e.liveness.is_none() {
        push(
            C::IdentityNotChecked,
            Severity::Review,
            "the session checked neither a document nor a face: nothing says who the person is",
        );
    }
    let rejects = reasons.iter().any(|r| r.severity == Severity::Reject);
    let reviews = reasons.iter().any(|r| r.severity == Severity::Review);
    let mut status = if rejects || (reviews && policy.unverifiable == Unverifiable::Reject) {
        Status::Rejected
    } else if reviews {
        Status::InManualAnalysis
    } else {
        Status::Approved
    };
    if !e.device_risks.is_empty() && policy.risky_device == RiskyDevice::ManualAnalysis {
        reasons.push(Reason {
            code: ReasonCode::DeviceRisky,
            severity: Severity::Review,
            message: format!("the device scan raised: {}", e.device_risks.join(", ")),
        });
        if status == Status::Approved {
            status = Status::InManualAnalysis;
        }
    }
    Decision { status, reasons }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CPF: &str = "52998224725";

    fn good_doc() -> DocumentEvidence {
        DocumentEvidence {
            ocr_key: "k1".into(),
            template: "cnh".into(),
            validated: true,
            check_digits_valid: Some(true),
            not_expired: Some(true),
            cpf: Some(CPF.into()),
            signature: None,
        }
    }

    fn cnh_digital(signature: SignatureEvidence) -> DocumentEvidence {
        DocumentEvidence {
            template: "cnh_digital".into(),
            signature: Some(signature),
            ..good_doc()
        }
    }

    fn matched() -> Option<FaceEvidence> {
        Some(FaceEvidence::Match {
            face_match_key: "m".into(),
            similarity_ratio: 0.99,
        })
    }

    fn evidence(doc: DocumentEvidence, face: Option<FaceEvidence>) -> Evidence {
        Evidence {
            session_cpf: CPF.into(),
            documents: vec![doc],
            face,
            device_risks: vec![],
            liveness: None,
        }
    }

    #[test]
    fn a_risky_device_goes_to_manual_analysis_only_when_the_policy_says_so() {
        let risky = Evidence {
            device_risks: vec!["automation".into()],
            ..evidence(good_doc(), matched())
        };
        let d = decide(&Policy::default(), &risky);
        assert_eq!((d.status, codes(&d)), (Status::Approved, vec![]));
        let manual = Policy {
            risky_device: RiskyDevice::ManualAnalysis,
            ..Policy::default()
        };
        let d = decide(&manual, &risky);
        assert_eq!(
            (d.status, codes(&d)),
            (Status::InManualAnalysis, vec!["device_risky"])
        );
        assert!(d.reasons[0].message.contains("automation"));
        // never rejects on its own, even under a rejecting policy
        let strict = Policy {
            unverifiable: Unverifiable::Reject,
            ..manual
        };
        assert_eq!(decide(&strict, &risky).status, Status::InManualAnalysis);
        // a device without risks changes nothing
        let d = decide(&manual, &evidence(good_doc(), matched()));
        assert_eq!(d.status, Status::Approved);
    }

    /// The decision's codes, each checked to be one of [`REASON_CODES`].
    fn codes(d: &Decision) -> Vec<&'static str> {
        let c: Vec<&'static str> = d.reasons.iter().map(|r| r.code.as_str()).collect();
        assert!(c.iter().all(|x| REASON_CODES.contains(x)), "{c:?}");
        c
    }

    #[test]
    fn every_check_passing_approves() {
        let d = decide(&Policy::default(), &evidence(good_doc(), matched()));
        assert_eq!((d.status, codes(&d)), (Status::Approved, vec![]));
    }

    #[test]
    fn each_failed_check_rejects_with_its_reason() {
        let cases: Vec<(DocumentEvidence, Option<FaceEvidence>, &str)> = vec![
            (
                DocumentEvidence {
                    check_digits_valid: Some(false),
                    ..good_doc()
                },
                matched(),
                "document_check_digits_invalid",
            ),
            (
                DocumentEvidence {
                    not_expired: Some(false),
                    ..good_doc()
                },
                matched(),
                "document_expired",
            ),
            (
                DocumentEvidence {
                    cpf: Some("11144477735".into()),
                    ..good_doc()
                },
                matched(),
                "document_cpf_mismatch",
            ),
            (
                cnh_digital(SignatureEvidence::Invalid),
                matched(),
                "document_signature_invalid",
            ),
            (
                good_doc(),
                Some(FaceEvidence::Unmatch {
                    face_match_key: "m".into(),
                    similarity_ratio: 0.2,
                }),
                "face_mismatch",
            ),
        ];
        for (doc, face, want) in cases {
            let d = decide(&Policy::default(), &evidence(doc, face));
            assert_eq!((d.status, codes(&d)), (Status::Rejected, vec![want]));
        }
    }

    #[test]
    fn unverifiable_checks_go_to_manual_analysis_or_reject_by_policy() {
        let unread = DocumentEvidence {
            check_digits_valid: None,
            not_expired: None,
            cpf: None,
            ..good_doc()
        };
        let e = evidence(unread, Some(FaceEvidence::NoFaceOnDocument));
        let d = decide(&Policy::default(), &e);
        assert_eq!(d.status, Status::InManualAnalysis);
        assert_eq!(
            codes(&d),
            vec![
                "document_check_digits_unread",
                "document_expiry_unread",
                "document_cpf_unread",
                "document_face_not_found"
            ]
        );
        let strict = Policy {
            unverifiable: Unverifiable::Reject,
            ..Policy::default()
        };
        assert_eq!(decide(&strict, &e).status, Status::Rejected);
        let others = DocumentEvidence {
            validated: false,
            template: "others".into(),
            ..DocumentEvidence::default()
        };
        let d = decide(&Policy::default(), &evidence(others, None));
        assert_eq!(
            (d.status, codes(&d)),
            (Status::InManualAnalysis, vec!["document_not_validated"])
        );
    }

    #[test]
    fn sides_combine_a_failure_wins_and_one_reading_suffices() {
        // front: no expiry read; back: not expired and the CPF → passes
        let front = DocumentEvidence {
            not_expired: None,
            cpf: None,
            ..good_doc()
        };
        let back = DocumentEvidence {
            check_digits_valid: None,
            ..good_doc()
        };
        let mut e = evidence(front, matched());
        e.documents.push(back.clone());
        assert_eq!(decide(&Policy::default(), &e).status, Status::Approved);
        // a wrong CPF on one side rejects even if the other side agrees
        e.documents.push(DocumentEvidence {
            cpf: Some("11144477735".into()),
            ..back
        });
        let d = decide(&Policy::default(), &e);
        assert_eq!(
            (d.status, codes(&d)),
            (Status::Rejected, vec!["document_cpf_mismatch"])
        );
    }

    #[test]
    fn documents_without_an_expiry_date_do_not_need_one() {
        let rg = DocumentEvidence {
            template: "rg".into(),
            not_expired: None,
            ..good_doc()
        };
        let d = decide(&Policy::default(), &evidence(rg.clone(), matched()));
        assert_eq!((d.status, codes(&d)), (Status::Approved, vec![]));
        // a CIN (template rg) whose MRZ says expired is still rejected
        let cin = DocumentEvidence {
            not_expired: Some(false),
            ..rg
        };
        let d = decide(&Policy::default(), &evidence(cin, matched()));
        assert_eq!(codes(&d), vec!["document_expired"]);
    }

    #[test]
    fn a_session_that_checked_no_identity_is_never_approved() {
        // a device scan alone, clean or risky
        let e = Evidence {
            session_cpf: CPF.into(),
            ..Evidence::default()
        };
        let d = decide(&Policy::default(), &e);
        assert_eq!(
            (d.status, codes(&d)),
            (Status::InManualAnalysis, vec!["identity_not_checked"])
        );
        let strict = Policy {
            unverifiable: Unverifiable::Reject,
            ..Policy::default()
        };
        assert_eq!(decide(&strict, &e).status, Status::Rejected);
        // a passed face step alone (liveness + the 1:1 it records) is identity evidence
        let face_only = Evidence {
            liveness: Some(true),
            ..e.clone()
        };
        assert_eq!(
            decide(&Policy::default(), &face_only).status,
            Status::Approved
        );
        // and so is a document alone
        let doc_only = evidence(good_doc(), None);
        assert_eq!(
            decide(&Policy::default(), &doc_only).status,
            Status::Approved
        );
    }

    #[test]
    fn failed_liveness_rejects_whatever_else_holds() {
        let mut e = evidence(good_doc(), matched());
        e.liveness = Some(true);
        assert_eq!(decide(&Policy::default(), &e).status, Status::Approved);
        e.liveness = Some(false);
        let d = decide(&Policy::default(), &e);
        assert_eq!(
            (d.status, codes(&d)),
            (Status::Rejected, vec!["liveness_failed"])
        );
        let p: Policy = serde_json::from_str(r#"{"unverifiable": "reject"}"#).unwrap();
        assert_eq!(
            p.liveness_attempts, 3,
            "older stored policies get the default"
        );
    }

    #[test]
    fn reason_codes_are_spelled_as_serialised() {
        for (code, name) in ReasonCode::ALL.iter().zip(REASON_CODES) {
            assert_eq!(serde_json::to_value(code).unwrap(), name);
        }
        let mut sorted = REASON_CODES.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), REASON_CODES.len());
    }

    #[test]
    fn an_untrusted_or_unsigned_digital_document_is_never_approved() {
        let strict = Policy {
            unverifiable: Unverifiable::Reject,
            ..Policy::default()
        };
        let cases = [
            (SignatureEvidence::Untrusted, "document_signature_untrusted"),
            (SignatureEvidence::Unsigned, "document_unsigned"),
        ];
        for (sig, want) in cases {
            let e = evidence(cnh_digital(sig), matched());
            let d = decide(&Policy::default(), &e);
            assert_eq!(
                (d.status, codes(&d)),
                (Status::InManualAnalysis, vec![want])
            );
            assert_eq!(decide(&strict, &e).status, Status::Rejected, "{want}");
        }
        let d = decide(
            &Policy::default(),
            &evidence(cnh_digital(SignatureEvidence::Trusted), matched()),
        );
        assert_eq!((d.status, codes(&d)), (Status::Approved, vec![]));
    }

    #[test]
    fn the_worst_signature_among_the_sides_counts() {
        let mut e = evidence(cnh_digital(SignatureEvidence::Trusted), matched());
        e.documents.push(cnh_digital(SignatureEvidence::Untrusted));
        let d = decide(&Policy::default(), &e);
        assert_eq!(codes(&d), vec!["document_signature_untrusted"]);
        e.documents.push(cnh_digital(SignatureEvidence::Invalid));
        let d = decide(&Policy::default(), &e);
        assert_eq!(
            (d.status, codes(&d)),
            (Status::Rejected, vec!["document_signature_invalid"])
        );
    }
}
