//! Page text with positions: the content stream's text operators, decoded with each font's
//! encoding, as [`TextItem`]s in top-down page coordinates (points).

use std::collections::BTreeMap;

use lopdf::content::Content;
use lopdf::{Document, Encoding, Object, ObjectId};

use super::map_lopdf;
use crate::document::brazil::TextItem;
use crate::VisionError;

/// Most text operators read from one page; a CNH page has a few dozen.
const MAX_ITEMS: usize = 5_000;

type Matrix = [f32; 6];
const IDENTITY: Matrix = [1.0, 0.0, 0.0, 1.0, 0.0, 0.0];

fn mul(a: &Matrix, b: &Matrix) -> Matrix {
    [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]
}

struct State<'a> {
    ctm: Matrix,
    stack: Vec<Matrix>,
    tm: Matrix,
    tlm: Matrix,
    leading: f32,
    size: f32,
    font: Option<&'a Encoding<'a>>,
}

/// The text items of one page, top to bottom.
pub(super) fn page_items(
    doc: &Document,
    page: ObjectId,
    max_stream: usize,
) -> Result<Vec<TextItem>, VisionError> {
    let fonts = doc.get_page_fonts(page).unwrap_or_default();
    let encodings: BTreeMap<Vec<u8>, Encoding> = fonts
        .into_iter()
        .filter_map(|(name, font)| {
            Some((
                name,
                font.get_font_encoding_with_limit(doc, max_stream).ok()?,
            ))
        })
        .collect();
    let data = doc
        .get_page_content_with_limit(page, max_stream)
        .map_err(|e| map_lopdf(e, max_stream))?;
    let content = Content::decode(&data).map_err(|e| map_lopdf(e, max_stream))?;
    let top = page_top(doc, page);
    let mut st = State {
        ctm: IDENTITY,
        stack: Vec::new(),
        tm: IDENTITY,
        tlm: IDENTITY,
        leading: 0.0,
        size: 0.0,
        font: None,
    };
    let mut items = Vec::new();
    for op in &content.operations {
        let n = |i: usize| {
            op.operands
                .get(i)
                .and_then(|o| o.as_float().ok())
                .unwrap_or(0.0)
        };
        match op.operator.as_str() {
            "q" if st.stack.len() < 64 => st.stack.push(st.ctm),
            "Q" => st.ctm = st.stack.pop().unwrap_or(IDENTITY),
            "cm" => st.ctm = mul(&[n(0), n(1), n(2), n(3), n(4), n(5)], &st.ctm),
            "BT" => (st.tm, st.tlm) = (IDENTITY, IDENTITY),
            "Tf" => {
                st.size = n(1);
                st.font = op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .and_then(|f| encodings.get(f));
            }
            "TL" => st.leading = n(0),
            "Td" => move_line(&mut st, n(0), n(1)),
            "TD" => {
                st.leading = -n(1);
                move_line(&mut st, n(0), n(1));
            }
            "Tm" => {
                st.tlm = [n(0), n(1), n(2), n(3), n(4), n(5)];
                st.tm = st.tlm;
            }
            "T*" => next_line(&mut st),
            "Tj" | "TJ" => show(&mut items, &mut st, &op.operands, top),
            "'" => {
                next_line(&mut st);
                show(&mut items, &mut st, &op.operands, top);
            }
            "\"" => {
                next_line(&mut st);
                show(
                    &mut items,
                    &mut st,
                    op.operands.get(2..).unwrap_or(&[]),
                    top,
                );
            }
            _ => {}
        }
        if items.len() >= MAX_ITEMS {
            break;
        }
    }
    items.sort_by(|a: &TextItem, b: &TextItem| a.y.total_cmp(&b.y).then(a.x.total_cmp(&b.x)));
    Ok(items)
}

fn next_line(st: &mut State) {
    let leading = st.leading;
    move_line(st, 0.0, -leading);
}

fn move_line(st: &mut State, tx: f32, ty: f32) {
    st.tlm = mul(&[1.0, 0.0, 0.0, 1.0, tx, ty], &st.tlm);
    st.tm = st.tlm;
}

fn show(items: &mut Vec<TextItem>, st: &mut State, operands: &[Object], top: f32) {
    let mut raw = Vec::new();
    collect_strings(operands, &mut raw, 0);
    let text = match st.font {
        Some(enc) => Document::decode_text(enc, &raw).unwrap_or_default(),
        None => raw.iter().map(|&b| char::from(b)).collect(),
    };
    let m = mul(&st.tm, &st.ctm);
    let scale = (m[2] * m[2] + m[3] * m[3]).sqrt();
    let h = (st.size * scale).abs().max(1.0);
    let w = text.chars().count() as f32 * h * 0.5;
    // advance roughly, so a following show on the same line lands to the right
    st.tm = mul(&[1.0, 0.0, 0.0, 1.0, w / scale.max(1e-3), 0.0], &st.tm);
    if text.trim().is_empty() {
        return;
    }
    items.push(TextItem {
        text,
        confidence: 1.0,
        x: m[4],
        y: top - m[5] - h,
        w,
        h,
    });
}

fn collect_strings(operands: &[Object], out: &mut Vec<u8>, depth: usize) {
    for o in operands {
        match o {
            Object::String(bytes, _) => out.extend_from_slice(bytes),
            Object::Array(inner) if depth < 2 => collect_strings(inner, out, depth + 1),
            // a large negative kerning in TJ is a word space
            Object::Integer(k) if *k < -200 => out.push(b' '),
            Object::Real(k) if *k < -200.0 => out.push(b' '),
            _ => {}
        }
    }
}

/// The top of the page's MediaBox (inherited from the page tree), 842 (A4) when absent.
fn page_top(doc: &Document, page: ObjectId) -> f32 {
    let mut id = Some(page);
    for _ in 0..32 {
        let Some(dict) = id.and_then(|i| doc.get_dictionary(i).ok()) else {
            break;
        };
        if let Ok(Object::Array(b)) = dict
            .get(b"MediaBox")
            .and_then(|o| doc.dereference(o).map(|(_, o)| o))
        {
            if let Some(top) = b.get(3).and_then(|o| o.as_float().ok()) {
                return top;
            }
        }
        id = dict.get(b"Parent").and_then(Object::as_reference).ok();
    }
    842.0
}
