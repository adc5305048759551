//! Test-only PKI and PDF signing: a root CA, certificates it issues (P-256, ECDSA-SHA256), and
//! a PAdES `adbe.pkcs7.detached` signature added to a PDF, all generated in the test so that a
//! test can configure its own trusted root. Shared by the vision and server tests (`#[path]`).

#![allow(dead_code)]

use std::str::FromStr;
use std::time::Duration;

use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{
    CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
};
use der::asn1::{Any, BitString, ObjectIdentifier as Oid, OctetString, SetOfVec, UtcTime};
use der::{Decode, Encode, EncodePem};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use sha2::{Digest, Sha256};
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::BasicConstraints;
use x509_cert::ext::Extension;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::{AlgorithmIdentifierOwned, SubjectPublicKeyInfoOwned};
use x509_cert::time::{Time, Validity};
use x509_cert::{Certificate, TbsCertificate, Version};

const EC_KEY: Oid = Oid::new_unwrap("1.2.840.10045.2.1");
const P256: Oid = Oid::new_unwrap("1.2.840.10045.3.1.7");
const ECDSA_SHA256: Oid = Oid::new_unwrap("1.2.840.10045.4.3.2");
const SHA256: Oid = Oid::new_unwrap("2.16.840.1.101.3.4.2.1");
const DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.1");
const SIGNED_DATA: Oid = Oid::new_unwrap("1.2.840.113549.1.7.2");
const CONTENT_TYPE: Oid = Oid::new_unwrap("1.2.840.113549.1.9.3");
const MESSAGE_DIGEST: Oid = Oid::new_unwrap("1.2.840.113549.1.9.4");
const BASIC_CONSTRAINTS: Oid = Oid::new_unwrap("2.5.29.19");

/// A certificate and its private key.
pub struct Identity {
    pub cert: Certificate,
    pub key: SigningKey,
}

impl Identity {
    /// The certificate as PEM (what `documents.trust_roots_file` holds).
    pub fn pem(&self) -> String {
        self.cert.to_pem(der::pem::LineEnding::LF).expect("PEM")
    }
}

fn alg(oid: Oid, parameters: Option<Any>) -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid, parameters }
}

fn key(seed: u8) -> SigningKey {
    let mut bytes = [seed; 32];
    bytes[0] = 1;
    SigningKey::from_bytes(&bytes.into()).expect("a valid scalar")
}

/// A self-signed root CA named `CN={cn}`.
pub fn root(cn: &str, seed: u8) -> Identity {
    let key = key(seed);
    let name = Name::from_str(&format!("CN={cn},O=idgate tests")).unwrap();
    let cert = certificate(&name, &name, &key, &key, u32::from(seed), true);
    Identity { cert, key }
}

/// A certificate named `CN={cn}` issued by `issuer`; `ca` sets basicConstraints cA.
pub fn issue(issuer: &Identity, cn: &str, seed: u8, ca: bool) -> Identity {
    let key = key(seed);
    let name = Name::from_str(&format!("CN={cn},O=idgate tests")).unwrap();
    let cert = certificate(
        &name,
        &issuer.cert.tbs_certificate.subject,
        &key,
        &issuer.key,
        u32::from(seed),
        ca,
    );
    Identity { cert, key }
}

fn certificate(
    subject: &Name,
    issuer: &Name,
    subject_key: &SigningKey,
    issuer_key: &SigningKey,
    serial: u32,
    ca: bool,
) -> Certificate {
    let point = subject_key.verifying_key().to_encoded_point(false);
    let spki = SubjectPublicKeyInfoOwned {
        algorithm: alg(EC_KEY, Some(Any::encode_from(&P256).unwrap())),
        subject_public_key: BitString::from_bytes(point.as_bytes()).unwrap(),
    };
    let utc =
        |secs: u64| Time::UtcTime(UtcTime::from_unix_duration(Duration::from_secs(secs)).unwrap());
    let constraints = BasicConstraints {
        ca,
        path_len_constraint: None,
    };
    let extension = Extension {
        extn_id: BASIC_CONSTRAINTS,
        critical: true,
        extn_value: OctetString::new(constraints.to_der().unwrap()).unwrap(),
    };
    let tbs = TbsCertificate {
        version: Version::V3,
        serial_number: SerialNumber::new(&serial.to_be_bytes()).unwrap(),
        signature: alg(ECDSA_SHA256, None),
        issuer: issuer.clone(),
        validity: Validity {
            not_before: utc(1_600_000_000),
            not_after: utc(2_400_000_000),
        },
        subject: subject.clone(),
        subject_public_key_info: spki,
        issuer_unique_id: None,
        subject_unique_id: None,
        extensions: Some(vec![extension]),
    };
    let sig: Signature = issuer_key.sign(&tbs.to_der().unwrap());
    Certificate {
        tbs_certificate: tbs,
        signature_algorithm: alg(ECDSA_SHA256, None),
        signature: BitString::from_bytes(sig.to_der().as_bytes()).unwrap(),
    }
}

/// Room for the CMS in `/Contents` (hex digits).
const CONTENTS_HEX: usize = 8192;
const RANGE_PLACEHOLDER: &str = "[0 9999999999 9999999999 9999999999]";

/// `pdf` with a signature dictionary added, signed by `signer`, whose CMS carries `chain`
/// (the signer first). The whole saved file is covered.
pub fn sign(pdf: &[u8], signer: &Identity, chain: &[&Certificate]) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, StringFormat};
    let mut doc = Document::load_mem(pdf).expect("the PDF loads");
    doc.add_object(dictionary! {
        "Type" => "Sig", "Filter" => "Adobe.PPKLite", "SubFilter" => "adbe.pkcs7.detached",
        "ByteRange" => Object::Name(b"RANGE".to_vec()),
        "Contents" => Object::String(vec![0; CONTENTS_HEX / 2], StringFormat::Hexadecimal),
    });
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    // the range placeholder is written as a name, then replaced by a fixed-width array
    let at = find(&out, b"/RANGE").expect("the ByteRange placeholder");
    let width = RANGE_PLACEHOLDER.len();
    let mut padded = out[..at].to_vec();
    padded.extend_from_slice(RANGE_PLACEHOLDER.as_bytes());
    padded.extend_from_slice(&out[at + b"/RANGE".len()..]);
    let mut out = padded;
    let zeros = vec![b'0'; CONTENTS_HEX];
    let lt = find(&out, &zeros).expect("the Contents placeholder") - 1;
    assert_eq!(out[lt], b'<');
    let gt = lt + 1 + CONTENTS_HEX;
    assert_eq!(out[gt], b'>');
    let range = [0, lt, gt + 1, out.len() - gt - 1];
    let text = format!("[{} {} {} {}]", range[0], range[1], range[2], range[3]);
    let text = format!("{text:<width$}");
    out[at..at + width].copy_from_slice(text.as_bytes());
    let digest = Sha256::new()
        .chain_update(&out[..range[1]])
        .chain_update(&out[range[2]..])
        .finalize();
    let cms = cms_signature(&digest, signer, chain);
    assert!(cms.len() * 2 <= CONTENTS_HEX, "the CMS fits");
    let hex: String = cms.iter().map(|b| format!("{b:02X}")).collect();
    out[lt + 1..lt + 1 + hex.len()].copy_from_slice(hex.as_bytes());
    out
}

fn cms_signature(digest: &[u8], signer: &Identity, chain: &[&Certificate]) -> Vec<u8> {
    let attr = |oid, value: Any| Attribute {
        oid,
        values: SetOfVec::try_from(vec![value]).unwrap(),
    };
    let attrs = SetOfVec::try_from(vec![
        attr(CONTENT_TYPE, Any::encode_from(&DATA).unwrap()),
        attr(
            MESSAGE_DIGEST,
            Any::encode_from(&OctetString::new(digest).unwrap()).unwrap(),
        ),
    ])
    .unwrap();
    let sig: Signature = signer.key.sign(&attrs.to_der().unwrap());
    let tbs = &signer.cert.tbs_certificate;
    let info = SignerInfo {
        version: CmsVersion::V1,
        sid: SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber {
            issuer: tbs.issuer.clone(),
            serial_number: tbs.serial_number.clone(),
        }),
        digest_alg: alg(SHA256, None),
        signed_attrs: Some(attrs),
        signature_algorithm: alg(ECDSA_SHA256, None),
        signature: OctetString::new(sig.to_der().as_bytes()).unwrap(),
        unsigned_attrs: None,
    };
    let certs: Vec<CertificateChoices> = chain
        .iter()
        .map(|c| CertificateChoices::Certificate((*c).clone()))
        .collect();
    let sd = SignedData {
        version: CmsVersion::V1,
        digest_algorithms: SetOfVec::try_from(vec![alg(SHA256, None)]).unwrap(),
        encap_content_info: EncapsulatedContentInfo {
            econtent_type: DATA,
            econtent: None,
        },
        certificates: Some(CertificateSet(SetOfVec::try_from(certs).unwrap())),
        crls: None,
        signer_infos: SignerInfos(SetOfVec::try_from(vec![info]).unwrap()),
    };
    let ci = ContentInfo {
        content_type: SIGNED_DATA,
        content: Any::encode_from(&sd).unwrap(),
    };
    let der = ci.to_der().unwrap();
    ContentInfo::from_der(&der).expect("round-trips");
    der
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}
