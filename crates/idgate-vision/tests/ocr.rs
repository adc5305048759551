//! Full-page OCR against the real PP-OCRv5 models on the shared synthetic Brazilian documents:
//! the printed values come back as lines, upside-down pages are turned, images without text
//! give `no_text`. Run `scripts/setup.sh` first.

use idgate_vision::document::ocr::{read_text, TextLine};
use image::RgbImage;

#[path = "support/documents.rs"]
mod documents;

use documents::{engine, ground_truth, open};

fn expected(key: &str) -> Vec<String> {
    ground_truth()[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} in ground truth"))
        .iter()
        .filter_map(|s| s.as_str())
        .map(String::from)
        .collect()
}

/// Letters and digits only, accents folded to what the PP-OCRv5 dictionary can spell in
/// upper case (it has no Ê, Ô, Õ, Ú): compares values, not punctuation or spacing.
fn key(s: &str) -> String {
    s.chars()
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'Á' | 'À' | 'Â' | 'Ã' => 'A',
            'É' | 'Ê' => 'E',
            'Í' => 'I',
            'Ó' | 'Ô' | 'Õ' => 'O',
            'Ú' | 'Ü' => 'U',
            'Ç' => 'C',
            c => c,
        })
        .filter(|c| c.is_alphanumeric())
        .collect()
}

fn found(lines: &[TextLine], want: &[String], name: &str) -> usize {
    let page = lines
        .iter()
        .map(|l| key(&l.text))
        .collect::<Vec<_>>()
        .join("|");
    let missing: Vec<&String> = want.iter().filter(|w| !page.contains(&key(w))).collect();
    eprintln!(
        "{name}: {}/{} values found; missing {missing:?}",
        want.len() - missing.len(),
        want.len()
    );
    want.len() - missing.len()
}

fn read(name: &str, img: &RgbImage) -> Vec<TextLine> {
    let t = std::time::Instant::now();
    let lines = read_text(&mut engine(), img).unwrap_or_else(|e| panic!("{name}: {e}"));
    eprintln!("{name}: {} lines in {:?}", lines.len(), t.elapsed());
    for l in &lines {
        assert!(
            (0.0..=1.0).contains(&l.confidence),
            "{name}: confidence {}",
            l.confidence
        );
    }
    lines
}

#[test]
fn synthetic_rg_and_cnh_values_are_read() {
    for (doc, file, min_share) in [
        ("rg_synth", "rg_synth_clean.png", 1.0),
        ("cnh_synth", "cnh_synth_clean.png", 1.0),
        ("rg_synth", "rg_synth_degraded.jpg", 0.85),
        ("cnh_synth", "cnh_synth_degraded.jpg", 0.85),
    ] {
        let want = expected(doc);
        let lines = read(file, &open(&format!("documents/br_synthetic/{file}")));
        let got = found(&lines, &want, file);
        assert!(
            got as f32 >= want.len() as f32 * min_share,
            "{file}: only {got}/{} values; lines {lines:#?}",
            want.len()
        );
    }
}

#[test]
fn reading_order_is_top_to_bottom() {
    let lines = read(
        "cin clean",
        &open("documents/br_synthetic/cin_td1_synth_clean.png"),
    );
    let tail: Vec<String> = lines
        .iter()
        .rev()
        .take(3)
        .rev()
        .map(|l| key(&l.text))
        .collect();
    assert_eq!(
        tail,
        [
            "IDBRAAB1234567152998224725",
            "9011296F3502022BRA5",
            "ASSUNCAOMARIAJOSE"
        ],
        "the MRZ should be the last three lines: {lines:#?}"
    );
}

#[test]
fn upside_down_page_is_turned() {
    let upright = read(
        "rg upright",
        &open("documents/br_synthetic/rg_synth_clean.png"),
    );
    let turned = read(
        "rg turned",
        &image::imageops::rotate180(&open("documents/br_synthetic/rg_synth_clean.png")),
    );
    let want = expected("rg_synth");
    assert_eq!(
        found(&turned, &want, "rg turned"),
        found(&upright, &want, "rg upright")
    );
}

#[test]
fn image_without_text_is_no_text() {
    match read_text(&mut engine(), &open("not_faces/coffee_cup.png")) {
        Err(e) => assert_eq!(e.code(), "no_text", "coffee cup: {e}"),
        Ok(lines) => panic!("coffee cup read as text: {lines:#?}"),
    }
}
