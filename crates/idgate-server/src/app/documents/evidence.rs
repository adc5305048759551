//! The typed evidence of a read, made from the read itself (not from its rendered report): check
//! digits, expiry, the CPF read, the PDF signature's trust. The decision consumes it as is; the
//! report's `validation` object is rendered from it. Stored sealed with the read, CPF included.

use idgate_core::session::decision::{DocumentEvidence, SignatureEvidence};
use idgate_vision::document::brazil::{Check, FieldKind};
use idgate_vision::document::pdf::SignatureStatus;
use serde::{Deserialize, Serialize};

use super::read::Read;
use super::report::mrz_date;
use super::template::Template;

/// A read's evidence as stored beside its report: [`DocumentEvidence`] does not serialise the
/// CPF (the decision must not keep it), the sealed read does.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredEvidence {
    #[serde(flatten)]
    pub evidence: DocumentEvidence,
    pub cpf: Option<String>,
}

impl StoredEvidence {
    pub fn new(evidence: DocumentEvidence) -> Self {
        Self {
            cpf: evidence.cpf.clone(),
            evidence,
        }
    }

    pub fn into_evidence(self) -> DocumentEvidence {
        DocumentEvidence {
            cpf: self.cpf,
            ..self.evidence
        }
    }
}

/// The evidence of `read`; `today` is `YYYY-MM-DD` (UTC) for the expiry check. The `ocr_key`
/// is left empty for the caller.
pub fn of_read(read: &Read, today: &str) -> DocumentEvidence {
    let template = read.template.as_str().to_owned();
    if read.stored_only {
        return DocumentEvidence {
            template,
            ..DocumentEvidence::default()
        };
    }
    DocumentEvidence {
        ocr_key: String::new(),
        template,
        validated: true,
        check_digits_valid: check_digits(read),
        not_expired: expiry_date(read).map(|e| e.as_str() >= today),
        cpf: cpf(read),
        signature: signature(read),
    }
}

fn field_check(read: &Read, kind: FieldKind) -> Option<bool> {
    match &read.fields.as_ref()?.get(kind)?.check {
        Check::Valid => Some(true),
        Check::Invalid(_) => Some(false),
        Check::Unchecked => None,
    }
}

/// The MRZ's check digits when there is an MRZ, else the CPF's and the document number's.
fn check_digits(read: &Read) -> Option<bool> {
    if let Some(m) = &read.mrz {
        return Some(m.mrz.all_checks_valid());
    }
    let checked: Vec<bool> = [FieldKind::Cpf, FieldKind::DocumentNumber]
        .into_iter()
        .filter_map(|k| field_check(read, k))
        .collect();
    (!checked.is_empty()).then(|| checked.iter().all(|b| *b))
}

/// The expiry date as `YYYY-MM-DD`: the printed field, else the MRZ's.
pub fn expiry_date(read: &Read) -> Option<String> {
    let printed = read
        .fields
        .as_ref()
        .and_then(|f| f.value(FieldKind::ExpiryDate))
        .filter(|v| !v.is_empty())
        .map(str::to_owned);
    let from_mrz = || {
        read.mrz
            .as_ref()
            .map(|m| &m.mrz.expiry_date)
            .filter(|v| !v.is_empty())
            .map(|v| mrz_date(v, true))
    };
    printed.or_else(from_mrz).filter(|s| {
        let b = s.as_bytes();
        b.len() == 10 && b[4] == b'-' && b[7] == b'-'
    })
}

/// The CPF's digits, when one was read and its check digits hold.
fn cpf(read: &Read) -> Option<String> {
    let f = read.fields.as_ref()?.get(FieldKind::Cpf)?;
    let digits: String = f.value.chars().filter(char::is_ascii_digit).collect();
    (f.check == Check::Valid && digits.len() == 11).then_some(digits)
}

/// The signature a digital document must carry: always for `cnh_digital` (even sent as a
/// photo), and for any PDF whose text was taken from the file (as forgeable as a CNH digital).
/// A scanned (image-only) PDF of another template needs none, but a broken one still counts.
fn signature(read: &Read) -> Option<SignatureEvidence> {
    let digital = read.template == Template::CnhDigital;
    let Some(pdf) = &read.pdf else {
        return digital.then_some(SignatureEvidence::Unsigned);
    };
    let s = signature_evidence(&pdf.signature);
    let needed = digital || !pdf.ocr || s == SignatureEvidence::Invalid;
    needed.then_some(s)
}

/// Valid and trusted only when the chain ends at a configured root and nothing was appended
/// after signing (an appended revision may change what the page shows).
pub fn signature_evidence(s: &SignatureStatus) -> SignatureEvidence {
    match s {
        SignatureStatus::Unsigned => SignatureEvidence::Unsigned,
        SignatureStatus::Invalid { .. } => SignatureEvidence::Invalid,
        SignatureStatus::Valid {
            trusted: true,
            covers_whole_file: true,
            ..
        } => SignatureEvidence::Trusted,
        SignatureStatus::Valid { .. } => SignatureEvidence::Untrusted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(trusted: bool, covers_whole_file: bool) -> SignatureStatus {
        SignatureStatus::Valid {
            signer: "CN=x".into(),
            chain: vec![],
            trusted,
            covers_whole_file,
            signer_not_before: 0,
            signer_not_after: 1,
        }
    }

    #[test]
    fn only_a_whole_file_signature_chaining_to_a_root_is_trusted() {
        use SignatureEvidence::*;
        let cases = [
            (valid(true, true), Trusted),
            (valid(false, true), Untrusted),
            (valid(true, false), Untrusted),
            (SignatureStatus::Unsigned, Unsigned),
            (SignatureStatus::Invalid { reason: "x".into() }, Invalid),
        ];
        for (status, want) in cases {
            assert_eq!(signature_evidence(&status), want, "{status:?}");
        }
    }

    #[test]
    fn stored_evidence_keeps_the_cpf_the_decision_does_not() {
        let e = DocumentEvidence {
            template: "cnh_digital".into(),
            validated: true,
            cpf: Some("52998224725".into()),
            signature: Some(SignatureEvidence::Untrusted),
            ..DocumentEvidence::default()
        };
        let stored = serde_json::to_value(StoredEvidence::new(e.clone())).unwrap();
        assert_eq!(stored["cpf"], "52998224725");
        assert_eq!(stored["signature"], "untrusted");
        let back: StoredEvidence = serde_json::from_value(stored).unwrap();
        assert_eq!(back.into_evidence(), e);
        assert!(serde_json::to_value(&e).unwrap().get("cpf").is_none());
    }
}
