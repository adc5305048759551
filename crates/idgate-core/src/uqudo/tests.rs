//! Table tests of the uqudo `data` parser.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};

use super::*;

fn enc(v: &Value) -> String {
    STANDARD.encode(v.to_string())
}

fn fields(e: DataError) -> Vec<(String, &'static str)> {
    match e {
        DataError::Invalid(f) | DataError::Unsupported(_, f) => {
            f.into_iter().map(|f| (f.field, f.code)).collect()
        }
    }
}

#[test]
fn the_seed_example_parses_with_its_defaults() {
    let v = json!({"documents": [{"documentType": "PASSPORT", "reading": {"enabled": false,
        "isForceReading": false}, "faceScanMinimumMatchLevel": 2, "faceReadMinimumMatchLevel": 3}],
        "backgroundCheck": {"enabled": false, "checkType": "RDC"},
        "facialRecognition": {"enabled": true, "scanMinimumMatchLevel": 4, "maxAttempts": 3}});
    let d = parse_data(&enc(&v)).unwrap();
    assert_eq!(d.documents, vec![DocType::Passport]);
    assert!(d.face);
    assert_eq!((d.min_level, d.max_attempts), (2, Some(3)));
}

#[test]
fn every_violation_is_reported_at_once() {
    let v = json!({"documents": [{"documentType": "DRIVING_LICENCE_XX", "faceScanMinimumMatchLevel": 0,
        "faceReadMinimumMatchLevel": 6}, {"documentType": 7}],
        "facialRecognition": {"scanMinimumMatchLevel": 9, "maxAttempts": 4}});
    let f = fields(parse_data(&enc(&v)).unwrap_err());
    let want = [
        ("documents[0].documentType", "invalid_value"),
        ("documents[0].faceScanMinimumMatchLevel", "out_of_range"),
        ("documents[0].faceReadMinimumMatchLevel", "out_of_range"),
        ("documents[1].documentType", "invalid_type"),
        ("facialRecognition.scanMinimumMatchLevel", "out_of_range"),
        ("facialRecognition.maxAttempts", "out_of_range"),
    ];
    let got: Vec<(&str, &str)> = f.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    assert_eq!(got, want);
}

#[test]
fn not_base64_not_json_not_an_object() {
    for (data, code) in [
        ("%%%not base64%%%", "invalid_base64"),
        (&*STANDARD.encode("{nope"), "invalid_json"),
        (&*STANDARD.encode("[1,2]"), "invalid_type"),
    ] {
        let f = fields(parse_data(data).unwrap_err());
        assert_eq!(f, vec![("data".to_owned(), code)], "{data}");
    }
}

#[test]
fn unsupported_options_have_their_codes_and_come_after_violations() {
    let nfc = json!({"documents": [{"documentType": "ID", "reading": {"isForceReading": true}}]});
    match parse_data(&enc(&nfc)).unwrap_err() {
        DataError::Unsupported(c, f) => {
            assert_eq!(c, Code::NfcUnsupported);
            assert_eq!(f[0].field, "documents[0].reading.isForceReading");
        }
        e => panic!("{e:?}"),
    }
    let bc =
        json!({"documents": [{"documentType": "BRA_RG"}], "backgroundCheck": {"enabled": true}});
    assert!(matches!(
        parse_data(&enc(&bc)).unwrap_err(),
        DataError::Unsupported(Code::BackgroundCheckUnsupported, _)
    ));
    let both = json!({"documents": [{"documentType": "X", "reading": {"isForceReading": true}}]});
    assert!(matches!(
        parse_data(&enc(&both)).unwrap_err(),
        DataError::Invalid(_)
    ));
}

#[test]
fn url_safe_and_unpadded_base64_are_accepted() {
    let v = json!({"documents": [{"documentType": "BRA_CNH"}], "nonce": "n-1"});
    let s = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    let d = parse_data(&s).unwrap();
    assert_eq!(
        (d.documents[0], d.nonce.as_deref(), d.face),
        (DocType::BraCnh, Some("n-1"), false)
    );
    assert_eq!(DocType::of_template("cnh_digital"), Some(DocType::BraCnh));
}
