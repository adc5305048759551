//! The generated document variants (rotated, in perspective on a table, small; see
//! `tests/support/variants.rs`) of the passport specimens and the synthetic CIN: `write DIR`
//! saves them as `DIR/SET/*.jpg` with their `.mrz.txt` (for `bench/documents`), `read` reads
//! each with the MRZ fast path and prints whether it matches the expected zone.
//! `cargo run --release -p idgate-vision --example doc_variants -- read|write DIR [SPECIMEN...]`

#[path = "../tests/support/variants.rs"]
mod variants;

use std::path::{Path, PathBuf};

use idgate_vision::document::mrz::read_mrz;
use idgate_vision::document::ocr::{default_models_dir, OcrEngine};

/// (name, image, expected zone) of each specimen whose name contains one of `filter`.
fn specimens(filter: &[String]) -> Vec<(String, PathBuf, Vec<String>)> {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/documents");
    let dir = data.join("passport");
    let lines = |text: &str| -> Vec<String> {
        text.lines()
            .map(|l| l.trim().to_owned())
            .filter(|l| !l.is_empty())
            .collect()
    };
    let mut out: Vec<(String, PathBuf, Vec<String>)> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "jpg"))
        .map(|p| {
            let want = lines(&std::fs::read_to_string(p.with_extension("mrz.txt")).unwrap());
            (
                p.file_stem().unwrap().to_string_lossy().into_owned(),
                p,
                want,
            )
        })
        .collect();
    let truth = data.join("br_synthetic/ground_truth.json");
    let truth: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(truth).expect("ground_truth.json"))
            .expect("JSON");
    let cin: Vec<String> = truth["cin_td1_synth"]["mrz"]
        .as_array()
        .expect("cin_td1_synth.mrz")
        .iter()
        .map(|l| l.as_str().expect("line").to_owned())
        .collect();
    out.push((
        "cin_td1_synth_clean".into(),
        data.join("br_synthetic/cin_td1_synth_clean.png"),
        cin,
    ));
    out.retain(|(n, _, _)| filter.is_empty() || filter.iter().any(|f| n.contains(f.as_str())));
    out.sort();
    out
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mode = args.first().map(String::as_str).unwrap_or("read");
    match mode {
        "write" => {
            let out = PathBuf::from(args.get(1).expect("write DIR"));
            for (name, path, want) in specimens(&args[2..]) {
                let img = image::open(&path).expect("decodes").to_rgb8();
                for v in variants::variants(&img) {
                    let dir = out.join(v.set);
                    std::fs::create_dir_all(&dir).unwrap();
                    let stem = format!("{name}__{}", v.name);
                    v.image.save(dir.join(format!("{stem}.jpg"))).unwrap();
                    std::fs::write(dir.join(format!("{stem}.mrz.txt")), want.join("\n") + "\n")
                        .unwrap();
                }
            }
        }
        _ => {
            let mut engine = OcrEngine::load(&default_models_dir()).expect("OCR models");
            for (name, path, want) in specimens(&args[1..]) {
                let img = image::open(&path).expect("decodes").to_rgb8();
                let up = std::env::var("UPSCALE")
                    .ok()
                    .and_then(|v| v.parse::<u32>().ok());
                for mut v in variants::variants(&img) {
                    if let (Some(w), "small") = (up, v.set) {
                        let h = v.image.height() * w / v.image.width();
                        v.image = image::imageops::resize(
                            &v.image,
                            w,
                            h,
                            image::imageops::FilterType::CatmullRom,
                        );
                    }
                    let t = std::time::Instant::now();
                    let got = read_mrz(&mut engine, &v.image);
                    let ms = t.elapsed().as_millis();
                    let (ok, detail) = match &got {
                        Ok(r) if r.mrz.lines == want => ("OK  ", String::new()),
                        Ok(r) => ("DIFF", format!("{:?} raw {:?}", r.mrz.lines, r.lines)),
                        Err(e) => ("ERR ", e.to_string()),
                    };
                    println!(
                        "{ok} {name} {} {}x{} {ms} ms {detail}",
                        v.name,
                        v.image.width(),
                        v.image.height()
                    );
                }
            }
        }
    }
}
