//! Brazilian field extraction on hand-written OCR lines that mimic what an OCR engine returns
//! for the synthetic cards in shared/testdata/documents/br_synthetic (label above value),
//! with the usual OCR slips (`O` for `0`, `l` for `I`, a missing accent).

use std::path::PathBuf;

use idgate_vision::document::brazil::{
    extract, fold_name, Check, DocTemplate, FieldKind, TextItem,
};

fn t(text: &str, x: f32, y: f32, w: f32, h: f32, confidence: f32) -> TextItem {
    TextItem {
        text: text.into(),
        confidence,
        x,
        y,
        w,
        h,
    }
}

fn ground_truth() -> serde_json::Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/documents/br_synthetic/ground_truth.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "TEST DATA MISSING: {} ({e}); shared/testdata must sit beside the repo",
            path.display()
        )
    });
    serde_json::from_str(&text).expect("ground truth is JSON")
}

fn truth(card: &str, i: usize) -> String {
    ground_truth()[card][i].as_str().expect("string").to_owned()
}

/// The CNH card as an OCR engine would see it, rows of labels above rows of values.
fn cnh_items() -> Vec<TextItem> {
    vec![
        t(
            "REPUBLICA FEDERATIVA DO BRASIL — CARTEIRA NACIONAL DE HABILITAC",
            40.0,
            30.0,
            1060.0,
            24.0,
            0.93,
        ),
        t("NOME", 40.0, 92.0, 50.0, 13.0, 0.98),
        t("JOÃO DA SILVA SAURO", 46.0, 117.0, 268.0, 22.0, 0.97),
        t(
            "DOC. IDENTIDADE / ÓRG. EMISSOR / UF",
            40.0,
            170.0,
            328.0,
            13.0,
            0.95,
        ),
        t("CPF", 660.0, 170.0, 32.0, 13.0, 0.99),
        t("12.345.678-9 SSP SP", 46.0, 195.0, 252.0, 22.0, 0.96),
        t("529.982.247-2S", 666.0, 195.0, 192.0, 22.0, 0.91),
        t("DATA NASClMENTO", 40.0, 248.0, 160.0, 13.0, 0.9),
        t("FILIAÇÃO", 340.0, 246.0, 78.0, 15.0, 0.97),
        t("07/03/1985", 46.0, 273.0, 138.0, 22.0, 0.98),
        t("ANTÔNIO CONCEIÇÃO SAURO", 346.0, 271.0, 356.0, 22.0, 0.95),
        t("Nº REGISTRO", 40.0, 326.0, 110.0, 13.0, 0.94),
        t("VALIDADE", 370.0, 326.0, 84.0, 13.0, 0.99),
        t("1ª HABILITAÇÃO", 670.0, 324.0, 136.0, 15.0, 0.9),
        t("O1234567890", 46.0, 351.0, 168.0, 22.0, 0.9),
        t("15/08/2031", 376.0, 351.0, 138.0, 22.0, 0.98),
        t("20/01/2004", 676.0, 351.0, 138.0, 22.0, 0.98),
        t("CAT. HAB.", 40.0, 404.0, 81.0, 13.0, 0.97),
        t("LOCAL", 240.0, 404.0, 53.0, 13.0, 0.99),
        t("DATA EMISSÃO", 690.0, 403.0, 124.0, 14.0, 0.96),
        t("AB", 46.0, 429.0, 32.0, 22.0, 0.99),
        t("SÃO PAULO, SP", 246.0, 427.0, 180.0, 24.0, 0.96),
        t("16/08/2021", 696.0, 429.0, 138.0, 22.0, 0.98),
        t("OBSERVAÇÕES", 40.0, 481.0, 123.0, 15.0, 0.96),
        t("EAR", 46.0, 507.0, 48.0, 22.0, 0.97),
    ]
}

#[test]
fn cnh_front_fields_match_the_ground_truth() {
    let f = extract(DocTemplate::Cnh, &cnh_items());
    let v = |k| {
        f.value(k)
            .unwrap_or_else(|| panic!("{k:?} missing: {f:#?}"))
            .to_owned()
    };
    assert_eq!(
        fold_name(&v(FieldKind::Name)),
        fold_name(&truth("cnh_synth", 0))
    );
    assert_eq!(v(FieldKind::RgNumber), "123456789");
    assert_eq!(v(FieldKind::IssuingBody), "SSP");
    assert_eq!(v(FieldKind::IssuingState), "SP");
    assert_eq!(
        v(FieldKind::Cpf),
        truth("cnh_synth", 2).replace(['.', '-'], "")
    );
    let cpf = f.get(FieldKind::Cpf).expect("cpf");
    assert_eq!(cpf.check, Check::Valid);
    assert!(cpf.confidence < 0.91, "an OCR fix lowers the confidence");
    assert_eq!(v(FieldKind::BirthDate), "1985-03-07");
    assert_eq!(
        fold_name(&v(FieldKind::Filiation)),
        fold_name(&truth("cnh_synth", 4))
    );
    assert_eq!(v(FieldKind::DocumentNumber), truth("cnh_synth", 5));
    // the synthetic registration number does not carry real check digits
    assert_eq!(
        f.get(FieldKind::DocumentNumber).map(|d| &d.check),
        Some(&Check::Invalid("check_digits".into()))
    );
    assert_eq!(v(FieldKind::ExpiryDate), "2031-08-15");
    assert_eq!(v(FieldKind::FirstLicenseDate), "2004-01-20");
    assert_eq!(v(FieldKind::CnhCategory), "AB");
    assert_eq!(v(FieldKind::IssuePlace), truth("cnh_synth", 9));
    assert_eq!(v(FieldKind::IssueDate), "2021-08-16");
}

#[test]
fn rg_fields_match_the_ground_truth() {
    let items = vec![
        t(
            "REPÚBLICA FEDERATIVA DO BRASIL — CARTEIRA DE IDENTIDADE (SINTÉT",
            40.0,
            30.0,
            1060.0,
            24.0,
            0.92,
        ),
        t("REGISTRO GERAL", 40.0, 92.0, 145.0, 13.0, 0.97),
        t("DATA DE EXPEDIÇÃO", 490.0, 90.0, 172.0, 15.0, 0.95),
        t("12.345.678-9", 46.0, 117.0, 160.0, 22.0, 0.97),
        t("02/02/2015", 496.0, 117.0, 138.0, 22.0, 0.98),
        t("NOME", 40.0, 170.0, 50.0, 13.0, 0.99),
        t("MARIA JOSE DE ASSUNÇÃO", 46.0, 195.0, 324.0, 22.0, 0.94),
        t("FILIAÇAO", 40.0, 246.0, 78.0, 15.0, 0.93),
        t("JOSÉ GONÇALVES DE ASSUNÇÃO", 46.0, 272.0, 392.0, 24.0, 0.95),
        t("NATURALIDADE", 40.0, 326.0, 130.0, 13.0, 0.98),
        t("DATA DE NASCIMENTO", 540.0, 326.0, 189.0, 13.0, 0.97),
        t("CAMPINAS - SP", 46.0, 351.0, 178.0, 22.0, 0.97),
        t("29/11/199O", 546.0, 351.0, 138.0, 22.0, 0.93),
        t("DOC. ORIGEM", 40.0, 404.0, 115.0, 13.0, 0.96),
        t("CPF", 690.0, 404.0, 32.0, 13.0, 0.99),
        t(
            "C.NASC LV.A123 FLS.45 N.6789",
            46.0,
            429.0,
            375.0,
            22.0,
            0.9,
        ),
        t("52998224725", 696.0, 429.0, 168.0, 22.0, 0.98),
    ];
    let f = extract(DocTemplate::Rg, &items);
    let v = |k| {
        f.value(k)
            .unwrap_or_else(|| panic!("{k:?} missing: {f:#?}"))
            .to_owned()
    };
    assert_eq!(
        v(FieldKind::DocumentNumber),
        truth("rg_synth", 0).replace(['.', '-'], "")
    );
    assert_eq!(v(FieldKind::IssueDate), "2015-02-02");
    assert_eq!(
        fold_name(&v(FieldKind::Name)),
        fold_name(&truth("rg_synth", 2))
    );
    assert_eq!(
        fold_name(&v(FieldKind::Filiation)),
        fold_name(&truth("rg_synth", 3))
    );
    assert_eq!(v(FieldKind::PlaceOfBirth), truth("rg_synth", 4));
    assert_eq!(v(FieldKind::BirthDate), "1990-11-29");
    assert_eq!(v(FieldKind::Cpf), truth("rg_synth", 7));
    assert_eq!(f.get(FieldKind::Cpf).map(|c| &c.check), Some(&Check::Valid));
    // no state on this RG: only the shape is checked
    assert_eq!(
        f.get(FieldKind::DocumentNumber).map(|c| &c.check),
        Some(&Check::Unchecked)
    );
}

#[test]
fn cin_back_inline_labels() {
    let items = vec![
        t(
            "CARTEIRA DE IDENTIDADE NACIONAL (SINTÉTICA) — VERSO",
            40.0,
            34.0,
            868.0,
            26.0,
            0.95,
        ),
        t(
            "CPF 52998224725   NATURALIDADE CAMPINAS/SP",
            40.0,
            104.0,
            600.0,
            24.0,
            0.96,
        ),
        t(
            "IDBRAAB1234567152998224725<<<<",
            60.0,
            475.0,
            542.0,
            30.0,
            0.9,
        ),
        t(
            "9011296F3502022BRA<<<<<<<<<<<5",
            60.0,
            543.0,
            542.0,
            30.0,
            0.9,
        ),
        t(
            "ASSUNCAO<<MARIA<JOSE<<<<<<<<<<",
            60.0,
            611.0,
            542.0,
            30.0,
            0.9,
        ),
    ];
    let f = extract(DocTemplate::Cin, &items);
    assert_eq!(f.value(FieldKind::Cpf), Some("52998224725"));
    assert_eq!(f.value(FieldKind::PlaceOfBirth), Some("CAMPINAS/SP"));
}

#[test]
fn a_cpf_without_its_label_is_still_found() {
    let items = vec![
        t("NOME", 10.0, 10.0, 40.0, 10.0, 0.9),
        t("ANA LIMA", 10.0, 24.0, 80.0, 14.0, 0.9),
        t("529.982.247-25", 300.0, 200.0, 120.0, 14.0, 0.9),
    ];
    let f = extract(DocTemplate::Others, &items);
    assert_eq!(f.value(FieldKind::Name), Some("ANA LIMA"));
    assert_eq!(f.value(FieldKind::Cpf), Some("52998224725"));
}

#[test]
fn names_fold_accent_insensitively() {
    assert_eq!(
        fold_name("José Gonçalves de Assunção"),
        "JOSE GONCALVES DE ASSUNCAO"
    );
    assert_eq!(
        fold_name("ANTÔNIO  CONCEIÇÃO"),
        fold_name("antonio conceicao")
    );
}
