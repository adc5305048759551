//! The PDF signature (`/ByteRange` + `/Contents`, CMS `adbe.pkcs7.detached` or
//! `ETSI.CAdES.detached`): digest of the signed ranges, CMS SignedData, messageDigest,
//! the signer's signature over the signed attributes, and the certificate chain.
//!
//! RustCrypto (`cms`, `x509-cert`, `rsa`, `p256`/`p384`) rather than OpenSSL: pure Rust, so CI
//! and deployments need no system library, and the code checks exactly what is written here.

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerIdentifier, SignerInfo};
use der::asn1::{ObjectIdentifier as Oid, OctetString};
use der::{Decode, Encode};
use lopdf::{Dictionary, Document, Object};
use x509_cert::Certificate;

use super::trust::{self, Hash, TrustRoots};
use super::SignatureStatus;

const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const SUBJECT_KEY_ID: Oid = Oid::new_unwrap("2.5.29.14");

/// Checks the document's signature (the one covering the most of the file when there are
/// several, i.e. the latest).
pub(super) fn check(bytes: &[u8], doc: &Document, roots: &TrustRoots) -> SignatureStatus {
    let sigs: Vec<(&Dictionary, [usize; 4])> = doc
        .objects
        .values()
        .filter_map(|o| o.as_dict().ok())
        .filter_map(|d| Some((d, byte_range(d)?)))
        .collect();
    let Some((dict, range)) = sigs.into_iter().max_by_key(|(_, r)| r[2] + r[3]) else {
        return SignatureStatus::Unsigned;
    };
    match verify(bytes, dict, range, roots) {
        Ok(status) => status,
        Err(reason) => SignatureStatus::Invalid { reason },
    }
}

fn byte_range(d: &Dictionary) -> Option<[usize; 4]> {
    d.get(b"Contents").ok()?.as_str().ok()?;
    let Ok(Object::Array(a)) = d.get(b"ByteRange") else {
        return None;
    };
    let v: Vec<usize> = a
        .iter()
        .filter_map(|o| usize::try_from(o.as_i64().ok()?).ok())
        .collect();
    <[usize; 4]>::try_from(v).ok()
}

fn verify(
    bytes: &[u8],
    dict: &Dictionary,
    r: [usize; 4],
    roots: &TrustRoots,
) -> Result<SignatureStatus, String> {
    let sub = dict
        .get(b"SubFilter")
        .and_then(Object::as_name)
        .unwrap_or(b"adbe.pkcs7.detached");
    if sub != b"adbe.pkcs7.detached" && sub != b"ETSI.CAdES.detached" {
        return Err(format!(
            "unsupported signature type {}",
            String::from_utf8_lossy(sub)
        ));
    }
    let [a, b, c, d] = r;
    let in_file = a == 0 && a + b <= c && c.checked_add(d).is_some_and(|end| end <= bytes.len());
    // the gap between the ranges must be exactly the /Contents hex string
    if !in_file || bytes.get(b) != Some(&b'<') || bytes.get(c.wrapping_sub(1)) != Some(&b'>') {
        return Err("byte range does not match the file".into());
    }
    let covers_whole_file = c + d == bytes.len();
    let ranges = [&bytes[a..a + b], &bytes[c..c + d]];

    let contents = dict
        .get(b"Contents")
        .and_then(Object::as_str)
        .map_err(|_| "no /Contents")?;
    let der = der_prefix(contents).ok_or("the signature is not DER")?;
    let info = ContentInfo::from_der(der).map_err(|e| format!("bad CMS: {e}"))?;
    if info.content_type != SIGNED_DATA {
        return Err("CMS content is not SignedData".into());
    }
    let sd: SignedData = info
        .content
        .decode_as()
        .map_err(|e| format!("bad SignedData: {e}"))?;
    let si = sd.signer_infos.0.iter().next().ok_or("no signer")?;
    let hash = Hash::from_digest_oid(&si.digest_alg.oid).ok_or("unsupported digest algorithm")?;
    let digest = hash.digest(&ranges);

    let certs: Vec<Certificate> = sd
        .certificates
        .iter()
        .flat_map(|set| set.0.iter())
        .filter_map(|c| match c {
            CertificateChoices::Certificate(cert) => Some(cert.clone()),
            CertificateChoices::Other(_) => None,
        })
        .collect();
    let signed = signed_message(si, &digest)?;
    let sig = si.signature.as_bytes();
    // the certificate named by the signer identifier first, then any other that verifies
    let mut order: Vec<&Certificate> = certs.iter().filter(|c| names(si, c)).collect();
    order.extend(certs.iter().filter(|c| !names(si, c)));
    let signer = order
        .into_iter()
        .find(|c| trust::verify(c, &si.signature_algorithm.oid, Some(hash), &signed, sig).is_ok())
        .ok_or("the signature does not verify with the signer's certificate")?;
    let (chain, trusted) = trust::chain(signer, &certs, roots);
    let validity = &signer.tbs_certificate.validity;
    Ok(SignatureStatus::Valid {
        signer: signer.tbs_certificate.subject.to_string(),
        chain,
        trusted,
        covers_whole_file,
        signer_not_before: validity.not_before.to_unix_duration().as_secs(),
        signer_not_after: validity.not_after.to_unix_duration().as_secs(),
    })
}

/// What the signer signed: the DER of the signed attributes (after checking their
/// messageDigest), or the document digest itself when there are none.
fn signed_message(si: &SignerInfo, digest: &[u8]) -> Result<Vec<u8>, String> {
    let Some(attrs) = &si.signed_attrs else {
        return Ok(digest.to_vec());
    };
    let md = attrs
        .iter()
        .find(|a| a.oid == MESSAGE_DIGEST)
        .and_then(|a| a.values.iter().next())
        .and_then(|v| v.decode_as::<OctetString>().ok())
        .ok_or("no messageDigest attribute")?;
    if md.as_bytes() != digest {
        return Err("the document was changed after signing (digest mismatch)".into());
    }
    // DER re-encoding of the SET OF is canonical (sorted), which is what conforming signers
    // sign; a signer that signed a non-canonical encoding fails here as "does not verify".
    let set = attrs.to_der().map_err(|e| e.to_string())?;
    Ok(set)
}

/// Whether the signer identifier names this certificate.
fn names(si: &SignerInfo, cert: &Certificate) -> bool {
    let tbs = &cert.tbs_certificate;
    match &si.sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            isn.issuer == tbs.issuer && isn.serial_number == tbs.serial_number
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => tbs
            .extensions
            .iter()
            .flatten()
            .filter(|e| e.extn_id == SUBJECT_KEY_ID)
            .filter_map(|e| OctetString::from_der(e.extn_value.as_bytes()).ok())
            .any(|v| v == ski.0),
    }
}

/// The DER element at the start of `/Contents` (which is padded with zeros).
fn der_prefix(bytes: &[u8]) -> Option<&[u8]> {
    let first_len = *bytes.get(1)?;
    let (len, head) = if first_len < 0x80 {
        (usize::from(first_len), 2)
    } else {
        let n = usize::from(first_len & 0x7f);
        if n == 0 || n > 4 {
            return None;
        }
        let len = bytes
            .get(2..2 + n)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, 2 + n)
    };
    bytes.get(..head.checked_add(len)?)
}
