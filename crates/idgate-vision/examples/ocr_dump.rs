//! Prints the text lines OCR finds on each image given (text, confidence, box), for looking into
//! a read: `cargo run --release -p idgate-vision --example ocr_dump -- IMAGE...`
use idgate_vision::document::ocr::{default_models_dir, read_text, OcrEngine};
use idgate_vision::intake::{self, IntakeLimits};

fn main() {
    let mut engine = OcrEngine::load(&default_models_dir()).expect("OCR models");
    for path in std::env::args().skip(1) {
        let bytes = std::fs::read(&path).expect("read image");
        let img = intake::load(&bytes, IntakeLimits::default())
            .expect("decode")
            .image;
        println!("== {path}");
        for l in read_text(&mut engine, &img).expect("ocr") {
            println!("{:?}", l);
        }
    }
}
