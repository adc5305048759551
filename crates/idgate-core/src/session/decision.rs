//! The decision policy: turns what a session's steps produced (document checks, the document's
//! CPF, the face match) into `approved`, `rejected` or `in_manual_analysis`, with a reason for
//! every check that did not pass. Pure: the server gathers the evidence and stores the outcome.
//!
//! Rules, in the order they are reported:
//! - a check that **failed** (check digits, expiry, CPF on the document differs from the
//!   session's `document_number`, face match `unmatch`, an invalid PDF signature) rejects;
//! - a check that **could not be made** (no check digits read, no expiry date on a document
//!   that has one, no CPF on the document, no face on the document, a template stored without
//!   validation) sends the session to manual analysis, unless [`Policy::unverifiable`] says to
//!   reject. The RG and the CTPS carry no expiry date: theirs is never missing;
//! - otherwise the session is approved.

use serde::{Deserialize, Serialize};

use super::status::Status;

/// Every reason code [`decide`] can give (documented in the OpenAPI description).
pub const REASON_CODES: [&str; 11] = [
    "document_not_validated",
    "document_check_digits_invalid",
    "document_check_digits_unread",
    "document_expired",
    "document_expiry_unread",
    "document_cpf_unread",
    "document_cpf_mismatch",
    "document_signature_invalid",
    "face_mismatch",
    "document_face_not_found",
    "face_match_failed",
];

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
    pub signature_valid: Option<bool>,
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
}

/// What to do when a check cannot be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unverifiable {
    #[default]
    ManualAnalysis,
    Reject,
}

/// A tenant's decision policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Policy {
    pub unverifiable: Unverifiable,
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
    pub code: &'static str,
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

pub fn decide(policy: &Policy, e: &Evidence) -> Decision {
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
                "document_not_validated",
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
                    "document_check_digits_invalid",
                    "a check digit on the document (MRZ or document number) does not hold",
                    "document_check_digits_unread",
                    "no check digit could be read on the document",
                ),
                (
                    expiry,
                    "document_expired",
                    "the document has expired",
                    "document_expiry_unread",
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
            let cpfs: Vec<&str> = validated.iter().filter_map(|d| d.cpf.as_deref()).collect();
            if cpfs.is_empty() {
                push(
                    "document_cpf_unread",
                    Severity::Review,
                    "no valid CPF could be read on the document",
                );
            } else if cpfs.iter().any(|c| *c != e.session_cpf) {
                push(
                    "document_cpf_mismatch",
                    Severity::Reject,
                    "the CPF on the document differs from the session's document_number",
                );
            }
            if any_side(&validated, |d| d.signature_valid) == Some(false) {
                push(
                    "document_signature_invalid",
                    Severity::Reject,
                    "the document's digital signature does not verify",
                );
            }
        }
    }
    match &e.face {
        Some(FaceEvidence::Unmatch { .. }) => push(
            "face_mismatch",
            Severity::Reject,
            "the face on the document does not match the selfie",
        ),
        Some(FaceEvidence::NoFaceOnDocument) => push(
            "document_face_not_found",
            Severity::Review,
            "no face was found on the document to compare with the selfie",
        ),
        Some(FaceEvidence::Failed { .. }) => push(
            "face_match_failed",
            Severity::Review,
            "the face on the document could not be compared with the selfie",
        ),
        Some(FaceEvidence::Match { .. }) | None => {}
    }
    let rejects = reasons.iter().any(|r| r.severity == Severity::Reject);
    let reviews = reasons.iter().any(|r| r.severity == Severity::Review);
    let status = if rejects || (reviews && policy.unverifiable == Unverifiable::Reject) {
        Status::Rejected
    } else if reviews {
        Status::InManualAnalysis
    } else {
        Status::Approved
    };
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
            signature_valid: None,
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
        }
    }

    /// The decision's codes, each checked to be one of [`REASON_CODES`].
    fn codes(d: &Decision) -> Vec<&'static str> {
        let c: Vec<&'static str> = d.reasons.iter().map(|r| r.code).collect();
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
                DocumentEvidence {
                    signature_valid: Some(false),
                    ..good_doc()
                },
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
    fn a_session_without_document_or_face_evidence_is_approved() {
        let e = Evidence {
            session_cpf: CPF.into(),
            ..Evidence::default()
        };
        assert_eq!(decide(&Policy::default(), &e).status, Status::Approved);
    }
}
