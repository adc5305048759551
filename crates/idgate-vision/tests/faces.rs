//! Face engine and image intake against the real dlib models and the shared test photos.
//! Models load once per binary; analyses are cached. Run `scripts/setup.sh` first.

mod face_support;

use std::io::Cursor;
use std::time::Duration;

use face_support::*;
use idgate_vision::face::{self, compare, AnalysisMode, DEFAULT_THRESHOLD};
use idgate_vision::intake::{self, ImageFormat, IntakeLimits};
use idgate_vision::pool::{InferencePool, ModelDirs, ModelStatus, PoolConfig};
use idgate_vision::VisionError;
use image::{imageops, Pixel, RgbImage};

fn encode(img: &RgbImage, format: image::ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode");
    out.into_inner()
}

#[test]
fn intake_rejects_hostile_input_with_specific_errors() {
    let limits = IntakeLimits::default();
    let jpeg = read("faces/obama_1.jpg");
    let truncated = &jpeg[..jpeg.len() / 3];
    let png = read("faces/alex_lacamoire_1.png");
    let small = imageops::thumbnail(&image("faces/obama_1.jpg"), 64, 64);
    let webp = encode(&small, image::ImageFormat::WebP);
    let cases: Vec<(&str, Result<intake::Intake, VisionError>, &str)> = vec![
        (
            "truncated jpeg",
            intake::load(truncated, limits),
            "corrupt_image",
        ),
        (
            "truncated png",
            intake::load(&png[..png.len() / 2], limits),
            "corrupt_image",
        ),
        (
            "truncated webp",
            intake::load(&webp[..webp.len() / 2], limits),
            "corrupt_image",
        ),
        (
            "png 100000x100000",
            intake::load(&png_declaring(100_000, 100_000), limits),
            "image_too_many_pixels",
        ),
        (
            "png 0x10",
            intake::load(&png_declaring(0, 10), limits),
            "corrupt_image",
        ),
        (
            "text bytes",
            intake::load(b"hello, I am not an image at all", limits),
            "unsupported_image_format",
        ),
        (
            "empty",
            intake::load(b"", limits),
            "unsupported_image_format",
        ),
        (
            "bad base64",
            intake::load_base64("not*base64!", limits),
            "invalid_base64",
        ),
        (
            "data url",
            intake::load_base64("data:image/jpeg;base64,/9j/4AAQ", limits),
            "invalid_base64",
        ),
        (
            "too many bytes",
            intake::load(
                &jpeg,
                IntakeLimits {
                    max_bytes: 1000,
                    ..limits
                },
            ),
            "image_too_large",
        ),
    ];
    for (name, result, want) in cases {
        match result {
            Err(e) => assert_eq!(e.code(), want, "{name}: {e}"),
            Ok(i) => panic!(
                "{name}: accepted as {:?} {}x{}",
                i.format, i.width, i.height
            ),
        }
    }
}

#[test]
fn intake_decodes_formats_and_applies_exif_orientation() {
    let src = imageops::thumbnail(&image("faces/obama_1.jpg"), 60, 40);
    for (format, want) in [
        (image::ImageFormat::Png, ImageFormat::Png),
        (image::ImageFormat::WebP, ImageFormat::Webp),
    ] {
        let got = intake::load(&encode(&src, format), IntakeLimits::default()).expect("decodes");
        assert_eq!(
            (got.format, got.width, got.height),
            (want, src.width(), src.height())
        );
    }
    let jpeg = encode(&src, image::ImageFormat::Jpeg);
    let rotated =
        intake::load(&with_exif_orientation(&jpeg, 6), IntakeLimits::default()).expect("decodes");
    assert_eq!(
        (rotated.width, rotated.height, rotated.rotated),
        (src.height(), src.width(), true)
    );
    let b64 = base64::Engine::encode(&base64::engine::general_purpose::STANDARD, &jpeg);
    let via_b64 = intake::load_base64(&b64, IntakeLimits::default()).expect("decodes");
    assert_eq!(
        (via_b64.format, via_b64.byte_size, via_b64.rotated),
        (ImageFormat::Jpeg, jpeg.len(), false)
    );
}

#[test]
fn every_labelled_pair_is_decided_right_at_the_default_threshold() {
    let photos = labelled_faces();
    assert!(
        photos.len() >= 40,
        "labels.csv lists only {} single-face photos",
        photos.len()
    );
    let mut embedded = Vec::new();
    for (file, label) in &photos {
        let a = analysis(&format!("faces/{file}")).unwrap_or_else(|e| panic!("{file}: {e}"));
        eprintln!(
            "{file:<28} face {:>4}px sharp {:>7.1} bright {:>5.1} detect {:>4}ms embed {:>4}ms",
            a.face.width,
            a.quality.sharpness,
            a.quality.brightness,
            a.timings.detect.as_millis(),
            a.timings.embed.as_millis()
        );
        embedded.push((file, label, a.embedding));
    }
    let (mut worst_genuine, mut best_impostor, mut wrong) = (0.0f32, f32::MAX, Vec::new());
    for (i, (fa, la, ea)) in embedded.iter().enumerate() {
        for (fb, lb, eb) in &embedded[i + 1..] {
            let c = compare(ea, eb);
            if la == lb {
                worst_genuine = worst_genuine.max(c.distance);
            } else {
                best_impostor = best_impostor.min(c.distance);
            }
            if c.passed != (la == lb) || c.passed != (c.match_level >= 3) {
                wrong.push(format!("{fa} vs {fb}: {c:?}"));
            }
        }
    }
    eprintln!("largest genuine distance {worst_genuine:.3}, smallest impostor distance {best_impostor:.3}");
    assert!(
        wrong.is_empty(),
        "{} pairs decided wrongly:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn multi_face_photos_are_refused() {
    for file in [
        "multi_obama_biden_1.jpg",
        "multi_obama_biden_2.jpg",
        "multi_kit_rose.jpg",
        "multi_selfie_many_people.jpg",
    ] {
        let got = analysis(&format!("faces/{file}"));
        assert!(
            got.as_ref().is_err_and(|e| e == "multiple_faces"),
            "{file}: {:?}",
            got.map(|a| a.face)
        );
    }
}

#[test]
fn photos_without_a_face_are_no_face() {
    for file in [
        "coffee_cup.png",
        "rocket_launch.jpg",
        "scanned_text_page.png",
        "text_document.jpg",
        "cat_chelsea.png",
    ] {
        let got = analysis(&format!("not_faces/{file}"));
        assert!(
            got.as_ref().is_err_and(|e| e == "no_face"),
            "{file}: {:?}",
            got.map(|a| a.face)
        );
    }
}

#[test]
fn quality_gate_trips_on_small_blurred_dark_and_bright_faces() {
    let src = image("faces/obama_1.jpg");
    // Small: the portrait at 40% in the corner of a same-size canvas (face ~100 px, < 15%).
    let half = imageops::thumbnail(&src, src.width() * 2 / 5, src.height() * 2 / 5);
    let mut canvas = RgbImage::from_pixel(src.width(), src.height(), image::Rgb([128, 128, 128]));
    imageops::overlay(&mut canvas, &half, 0, 0);
    let blurred = imageops::blur(&src, 6.0);
    let dark = RgbImage::from_fn(src.width(), src.height(), |x, y| {
        src.get_pixel(x, y).map(|v| v / 8)
    });
    let bright = RgbImage::from_fn(src.width(), src.height(), |x, y| {
        src.get_pixel(x, y).map(|v| 255 - (255 - v) / 8)
    });
    let cases = [
        ("small", canvas, "face_too_small"),
        ("blurred", blurred, "too_blurry"),
        ("dark", dark, "too_dark"),
        ("bright", bright, "too_bright"),
    ];
    for (name, img, want) in cases {
        let got = analyze(&img, AnalysisMode::Selfie);
        assert_eq!(
            got.as_ref().map_err(VisionError::code).err(),
            Some(want),
            "{name}: {:?}",
            got.map(|a| (a.face, a.quality))
        );
    }
}

#[test]
fn document_mode_upsamples_small_faces_and_takes_the_largest() {
    let src = image("faces/obama_1.jpg");
    let reference = analysis("faces/obama_1.jpg").expect("obama_1");
    // A document-sized portrait: the face ends up about 50 px wide, under HOG's 80 px window.
    let scale = 50.0 / reference.face.width as f32;
    let small = imageops::resize(
        &src,
        (src.width() as f32 * scale) as u32,
        (src.height() as f32 * scale) as u32,
        imageops::FilterType::Triangle,
    );
    let doc = analyze(&small, AnalysisMode::DocumentPortrait).expect("document portrait");
    let c = compare(&doc.embedding, &reference.embedding);
    assert!(c.passed, "upsampled portrait vs selfie: {c:?}");
    assert!(analyze(&small, AnalysisMode::Selfie).is_err());

    // The ICAO 9303 "Utopia" TD2 card and TD3 passport specimens carry the same portrait.
    let td2 = analyze(
        &image("documents/passport/icao_utopia_td2_id.jpg"),
        AnalysisMode::DocumentPortrait,
    );
    let td3 = analyze(
        &image("documents/passport/icao_utopia_td3_passport.jpg"),
        AnalysisMode::DocumentPortrait,
    );
    let (td2, td3) = (td2.expect("TD2 portrait"), td3.expect("TD3 portrait"));
    let c = compare(&td2.embedding, &td3.embedding);
    assert!(c.passed && c.match_level == 5, "specimen portraits: {c:?}");

    let two = analyze(
        &image("faces/multi_obama_biden_1.jpg"),
        AnalysisMode::DocumentPortrait,
    )
    .expect("largest face");
    assert!(two.faces_found >= 2, "found {}", two.faces_found);
}

fn pool(faces: std::path::PathBuf, preload_faces: bool) -> InferencePool {
    InferencePool::start(PoolConfig {
        workers: 1,
        queue_per_tenant: 1,
        queue_total: 4,
        models: ModelDirs {
            faces,
            ocr: std::env::temp_dir().join("idgate-no-ocr-models"),
            preload_faces,
            preload_ocr: false,
        },
    })
    .expect("pool starts")
}

#[test]
fn pool_runs_face_jobs_on_its_workers_models() {
    let pool = pool(idgate_vision::face::faces_models_dir(), true);
    let img = image("faces/obama_2.jpg");
    let rx = pool
        .try_run("t1", move |e| {
            e.faces()?
                .analyze(&img, AnalysisMode::Selfie)
                .map(|a| a.embedding)
        })
        .expect("queued");
    let embedding = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("job ran")
        .expect("analysed");
    let reference = analysis("faces/obama_2.jpg").expect("obama_2");
    assert!(compare(&embedding, &reference.embedding).distance < 1e-4);
    assert_eq!(pool.faces_status(), ModelStatus::Ready);
    assert_eq!(pool.ocr_status(), ModelStatus::Idle);
}

#[test]
fn pool_without_models_fails_loudly_and_still_runs_other_jobs() {
    let pool = pool(std::env::temp_dir().join("idgate-no-face-models"), false);
    let rx = pool
        .try_run("t1", |e| e.faces().map(|_| ()))
        .expect("queued");
    match rx.recv_timeout(Duration::from_secs(30)).expect("job ran") {
        Err(VisionError::ModelUnavailable(m)) => assert!(m.contains("scripts/setup.sh"), "{m}"),
        other => panic!("expected model_unavailable, got {other:?}"),
    }
    assert!(matches!(pool.faces_status(), ModelStatus::Unavailable(_)));
    let rx = pool.try_run("t1", |_| 7).expect("queued");
    assert_eq!(rx.recv_timeout(Duration::from_secs(30)).expect("ran"), 7);
}

#[test]
fn eval_dir_reads_a_person_folder_layout() {
    let dir = std::env::temp_dir().join(format!("idgate-eval-{}", std::process::id()));
    for (person, files) in [
        ("obama", ["obama_1.jpg", "obama_2.jpg"]),
        ("biden", ["biden_1.jpg", "biden_2.jpg"]),
    ] {
        std::fs::create_dir_all(dir.join(person)).expect("mkdir");
        for f in files {
            std::fs::write(dir.join(person).join(f), read(&format!("faces/{f}"))).expect("copy");
        }
    }
    let report = face::eval_dir(&dir, &mut models()).expect("eval");
    let _ = std::fs::remove_dir_all(&dir);
    eprintln!("{report}");
    assert_eq!(
        (
            report.photos,
            report.people,
            report.genuine.count,
            report.impostor.count
        ),
        (4, 2, 2, 4)
    );
    assert!(
        report.genuine.max <= DEFAULT_THRESHOLD && report.impostor.min > DEFAULT_THRESHOLD,
        "{report}"
    );
    assert_eq!(report.eer, 0.0);
}

/// The full report on shared/testdata/faces (run with `--ignored --nocapture`).
#[test]
#[ignore = "prints the evaluation report; slow"]
fn eval_report_on_shared_testdata() {
    let report = face::eval_dir(&testdata().join("faces"), &mut models()).expect("eval");
    println!("{report}");
}
