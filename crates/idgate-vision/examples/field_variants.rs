//! The generated variants (see `tests/support/variants.rs`) of the synthetic RG, CNH and CIN:
//! reads each with full-page OCR and the Brazilian field extractor and prints the fields that
//! differ from the upright card's.
//! `cargo run --release -p idgate-vision --example field_variants -- [CARD...]`

#[path = "../tests/support/variants.rs"]
mod variants;

use std::path::Path;

use idgate_vision::document::brazil::{extract, fold_name, DocFields, DocTemplate, FieldKind};
use idgate_vision::document::ocr::{default_models_dir, read_text, OcrEngine};

fn fields(
    engine: &mut OcrEngine,
    t: DocTemplate,
    img: &image::RgbImage,
) -> Result<DocFields, String> {
    let lines = read_text(engine, img).map_err(|e| e.to_string())?;
    let items: Vec<_> = lines.iter().map(|l| l.item()).collect();
    Ok(extract(t, &items))
}

/// Names compare accent-folded (the recogniser's accents vary with the crop; every name
/// comparison in idgate folds them), every other field exactly.
fn same(kind: FieldKind, got: Option<&str>, want: &str) -> bool {
    let name = matches!(
        kind,
        FieldKind::Name | FieldKind::Filiation | FieldKind::FatherName | FieldKind::MotherName
    );
    match got {
        Some(g) if name => fold_name(g) == fold_name(want),
        Some(g) => g == want,
        None => false,
    }
}

fn main() {
    let filter: Vec<String> = std::env::args().skip(1).collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/testdata/documents/br_synthetic");
    let mut engine = OcrEngine::load(&default_models_dir()).expect("OCR models");
    for (file, t) in [
        ("rg_synth_clean.png", DocTemplate::Rg),
        ("cnh_synth_clean.png", DocTemplate::Cnh),
        ("cin_td1_synth_clean.png", DocTemplate::Cin),
        ("rg_synth_degraded.jpg", DocTemplate::Rg),
        ("cnh_synth_degraded.jpg", DocTemplate::Cnh),
        ("cin_td1_synth_degraded.jpg", DocTemplate::Cin),
    ] {
        if !filter.is_empty() && !filter.iter().any(|f| file.contains(f.as_str())) {
            continue;
        }
        let img = image::open(dir.join(file)).expect("decodes").to_rgb8();
        let t0 = std::time::Instant::now();
        let want = fields(&mut engine, t, &img).expect("upright reads");
        println!(
            "== {file} {}x{} {} fields in {:?}",
            img.width(),
            img.height(),
            want.fields.len(),
            t0.elapsed()
        );
        for v in variants::variants(&img) {
            if let Ok(only) = std::env::var("FV_DUMP") {
                if v.name != only {
                    continue;
                }
                for l in read_text(&mut engine, &v.image).expect("reads") {
                    let q = l.quad;
                    println!(
                        "  {:?} {:.2} ({:.0},{:.0}) ({:.0},{:.0})",
                        l.text, l.confidence, q[0][0], q[0][1], q[2][0], q[2][1]
                    );
                }
            }
            let t0 = std::time::Instant::now();
            let got = fields(&mut engine, t, &v.image);
            let ms = t0.elapsed().as_millis();
            match got {
                Ok(g) => {
                    let diff: Vec<String> = want
                        .fields
                        .iter()
                        .filter(|(k, f)| !same(**k, g.value(**k), &f.value))
                        .map(|(k, f)| format!("{k:?}: {:?} want {:?}", g.value(*k), f.value))
                        .collect();
                    let tag = if diff.is_empty() { "OK  " } else { "DIFF" };
                    println!(
                        "{tag} {file} {} {}x{} {ms} ms {}",
                        v.name,
                        v.image.width(),
                        v.image.height(),
                        diff.join("; ")
                    );
                }
                Err(e) => println!("ERR  {file} {} {ms} ms {e}", v.name),
            }
        }
    }
}
