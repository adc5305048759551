//! Times the MRZ fast path per stage on images given as arguments (decode, detect, recognise),
//! `ROUNDS` times each (default 5), and prints the median per image and over all images, and
//! whether the zone read matches the `.mrz.txt` beside the image (`ok`, `MISS`, or `-`).
//! `cargo run --release -p idgate-vision --example mrz_profile -- ../shared/testdata/documents/passport/*.jpg`
//! (`RUST_LOG=idgate_vision=trace` prints each detection, zone read and line read).

use std::time::Instant;

use idgate_vision::document::mrz::read_mrz;
use idgate_vision::document::ocr::{default_models_dir, OcrEngine};
use idgate_vision::intake::{self, IntakeLimits};

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// CPU time of this thread in ms (Linux schedstat), to compare runs on a busy machine.
fn cpu_ms() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e6)
}

fn main() {
    // RUST_LOG=idgate_vision=trace shows each detection, zone read and line read
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
    let rounds: usize = std::env::var("ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);
    let mut engine = OcrEngine::load(&default_models_dir()).expect("OCR models");
    let (mut all_total, mut all_dec, mut all_cpu) = (Vec::new(), Vec::new(), Vec::new());
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read image");
        let (mut dec, mut det, mut rec, mut tot, mut cpu) =
            (vec![], vec![], vec![], vec![], vec![]);
        let mut lines = Vec::new();
        let want: Option<Vec<String>> =
            std::fs::read_to_string(std::path::Path::new(&path).with_extension("mrz.txt"))
                .ok()
                .map(|t| {
                    t.lines()
                        .map(|l| l.trim().to_owned())
                        .filter(|l| !l.is_empty())
                        .collect()
                });
        let mut verdict = "-";
        for _ in 0..rounds {
            let (t, c) = (Instant::now(), cpu_ms());
            let img = intake::load(&bytes, IntakeLimits::default())
                .expect("decode")
                .image;
            let d = t.elapsed().as_secs_f64() * 1000.0;
            let r = match read_mrz(&mut engine, &img) {
                Ok(r) => r,
                Err(e) => {
                    tot.push(t.elapsed().as_secs_f64() * 1000.0);
                    cpu.push(cpu_ms() - c);
                    lines = vec![e.to_string()];
                    verdict = "MISS";
                    continue;
                }
            };
            dec.push(d);
            det.push(r.timing.detect_ms);
            rec.push(r.timing.recognise_ms);
            tot.push(t.elapsed().as_secs_f64() * 1000.0);
            cpu.push(cpu_ms() - c);
            verdict = match &want {
                Some(w) if *w == r.mrz.lines => "ok",
                Some(_) => "MISS",
                None => "-",
            };
            lines = r.mrz.lines.clone();
            if !r.mrz.all_checks_valid() {
                lines.push("CHECKS-FAIL".into());
            }
        }
        let name = path.rsplit('/').next().unwrap_or(&path);
        println!(
            "{name:44} decode {:5.1} detect {:5.1} recognise {:6.1} total {:6.1} cpu {:6.1} ms {verdict:4} {}",
            median(&mut dec),
            median(&mut det),
            median(&mut rec),
            median(&mut tot),
            median(&mut cpu),
            lines.join("|")
        );
        all_total.push(median(&mut tot));
        all_cpu.push(median(&mut cpu));
        all_dec.push(median(&mut dec));
    }
    println!(
        "median over images: decode {:.1} total {:.1} cpu {:.1} ms",
        median(&mut all_dec),
        median(&mut all_total),
        median(&mut all_cpu)
    );
}
