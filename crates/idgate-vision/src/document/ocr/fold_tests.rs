//! Tests of [`super`]: the folded graph on a small hand-made network (checked by evaluating
//! both per pixel) and on the real PP-OCRv5 models (checked through ONNX Runtime).

use super::*;

fn msg(parts: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (num, bytes) in parts {
        put_bytes(&mut out, *num, bytes);
    }
    out
}

fn node(op: &str, inputs: &[&str], output: &str, attrs: &[(&str, &[u64])]) -> Vec<u8> {
    let mut parts: Vec<(u64, Vec<u8>)> = inputs
        .iter()
        .map(|i| (NODE_INPUT, i.as_bytes().to_vec()))
        .collect();
    parts.push((NODE_OUTPUT, output.as_bytes().to_vec()));
    parts.push((NODE_OP_TYPE, op.as_bytes().to_vec()));
    for (name, values) in attrs {
        let mut packed = Vec::new();
        for &v in *values {
            put_varint(&mut packed, v);
        }
        parts.push((
            NODE_ATTRIBUTE,
            msg(&[(ATTR_NAME, name.as_bytes().to_vec()), (ATTR_INTS, packed)]),
        ));
    }
    msg(&parts)
}

fn init(name: &str, dims: &[u64], data: &[f32]) -> (u64, Vec<u8>) {
    let t = FloatTensor {
        name: name.into(),
        dims: dims.to_vec(),
        data: data.to_vec(),
    };
    (GRAPH_INITIALIZER, float_tensor_bytes(&t))
}

fn value(name: &str) -> Vec<u8> {
    msg(&[(VALUE_INFO_NAME, name.as_bytes().to_vec())])
}

/// A node as (op, inputs, output).
type NodeParts = (String, Vec<String>, String);

/// Nodes of `graph` and its float initializers by name.
fn parts(model: &[u8]) -> (Vec<NodeParts>, HashMap<String, FloatTensor>) {
    let graph = fields(model).unwrap();
    let graph = graph.iter().find(|f| f.num == MODEL_GRAPH).unwrap().payload;
    let (mut nodes, mut inits) = (Vec::new(), HashMap::new());
    for f in fields(graph).unwrap() {
        if f.num == GRAPH_NODE {
            let n = parse_node(f.payload).unwrap();
            nodes.push((n.op, n.inputs, n.outputs[0].clone()));
        } else if f.num == GRAPH_INITIALIZER {
            let t = read_float_tensor(f.payload).unwrap().unwrap();
            inits.insert(t.name.clone(), t);
        }
    }
    (nodes, inits)
}

/// Evaluates a graph of 1×1 convolutions and per-pixel steps on one pixel's channels.
fn eval(model: &[u8], x: &[f32]) -> Vec<f32> {
    let (nodes, inits) = parts(model);
    let mut vals: HashMap<String, Vec<f32>> = HashMap::from([("x".to_string(), x.to_vec())]);
    let get = |vals: &HashMap<String, Vec<f32>>, n: &str| {
        vals.get(n)
            .cloned()
            .unwrap_or_else(|| inits[n].data.clone())
    };
    for (op, inputs, out) in nodes {
        let a = get(&vals, &inputs[0]);
        let v = match op.as_str() {
            "Identity" => a,
            "HardSwish" => a
                .iter()
                .map(|&v| v * (v / 6.0 + 0.5).clamp(0.0, 1.0))
                .collect(),
            "Mul" | "Add" => {
                let b = get(&vals, &inputs[1]);
                let n = a.len().max(b.len());
                let at = |v: &[f32], k: usize| if v.len() == 1 { v[0] } else { v[k] };
                (0..n)
                    .map(|k| match op.as_str() {
                        "Mul" => at(&a, k) * at(&b, k),
                        _ => at(&a, k) + at(&b, k),
                    })
                    .collect()
            }
            "Conv" => {
                let w = &inits[&inputs[1]];
                let o = w.dims[0] as usize;
                let bias = inputs
                    .get(2)
                    .map_or(vec![0.0; o], |b| inits[b].data.clone());
                (0..o)
                    .map(|k| {
                        let row = &w.data[k * a.len()..(k + 1) * a.len()];
                        bias[k] + row.iter().zip(&a).map(|(w, x)| w * x).sum::<f32>()
                    })
                    .collect()
            }
            other => panic!("op {other}"),
        };
        vals.insert(out, v);
    }
    vals.remove("y").unwrap()
}

#[test]
fn affine_steps_fold_into_convolutions() {
    let graph = msg(&[
        (GRAPH_NODE, node("Conv", &["x", "w0"], "c0", &[])),
        (GRAPH_NODE, node("Add", &["c0", "b0"], "a0", &[])),
        (GRAPH_NODE, node("Identity", &["a0"], "i0", &[])),
        (GRAPH_NODE, node("Mul", &["s0", "i0"], "m0", &[])),
        (GRAPH_NODE, node("Add", &["m0", "t0"], "a1", &[])),
        (GRAPH_NODE, node("HardSwish", &["a1"], "h0", &[])),
        (GRAPH_NODE, node("Mul", &["s1", "h0"], "m1", &[])),
        (GRAPH_NODE, node("Add", &["m1", "t1"], "a2", &[])),
        (
            GRAPH_NODE,
            node("Conv", &["a2", "w1", "b1"], "y", &[("pads", &[0, 0, 0, 0])]),
        ),
        init("w0", &[2, 2, 1, 1], &[0.5, -1.0, 2.0, 0.25]),
        init("b0", &[1, 2, 1, 1], &[0.1, -0.2]),
        init("s0", &[1], &[1.5]),
        init("t0", &[1], &[0.3]),
        init("s1", &[1], &[-0.7]),
        init("t1", &[1], &[0.2]),
        init("w1", &[3, 2, 1, 1], &[1.0, 2.0, -0.5, 0.5, 0.0, 3.0]),
        init("b1", &[3], &[0.0, 1.0, -1.0]),
        (GRAPH_INPUT, value("x")),
        (GRAPH_OUTPUT, value("y")),
        (GRAPH_VALUE_INFO, value("i0")),
    ]);
    let model = msg(&[(MODEL_GRAPH, graph)]);
    let (folded, removed) = fold_affine(&model).unwrap();
    assert_eq!(removed, 6);
    let (nodes, inits) = parts(&folded);
    let ops: Vec<&str> = nodes.iter().map(|n| n.0.as_str()).collect();
    assert_eq!(ops, ["Conv", "HardSwish", "Conv"]);
    // Only the folded weights are left; the stale value_info went with its node.
    assert_eq!(inits.len(), 4);
    assert!(!folded.windows(2).any(|w| w == b"i0"));
    for x in [[1.0, -2.0], [0.0, 0.0], [-3.0, 0.5], [4.0, 4.0]] {
        let (want, got) = (eval(&model, &x), eval(&folded, &x));
        assert!(
            want.iter().zip(&got).all(|(a, b)| (a - b).abs() < 1e-5),
            "{want:?} {got:?}"
        );
    }
    // Folding twice is refused; a padded or grouped reader keeps the steps before it.
    assert!(fold_affine(&folded).is_err());
    let graph = msg(&[
        (GRAPH_NODE, node("Mul", &["s0", "x"], "m0", &[])),
        (
            GRAPH_NODE,
            node("Conv", &["m0", "w1"], "y", &[("pads", &[1, 1, 1, 1])]),
        ),
        init("s0", &[1], &[1.5]),
        init("w1", &[3, 2, 1, 1], &[1.0; 6]),
        (GRAPH_INPUT, value("x")),
        (GRAPH_OUTPUT, value("y")),
    ]);
    let (_, removed) = fold_affine(&msg(&[(MODEL_GRAPH, graph)])).unwrap();
    assert_eq!(removed, 0);
}

/// Outputs of `model` on a fixed pseudo-random input of `shape`.
fn run(model: &[u8], shape: [usize; 4]) -> Vec<f32> {
    use ort::value::Tensor;
    let env = environment(&default_models_dir()).expect("ONNX Runtime: run scripts/setup.sh");
    let mut session = session_from(&env, Path::new("test"), model).unwrap();
    let n: usize = shape.iter().product();
    let mut seed = 12345u32;
    let data: Vec<f32> = (0..n)
        .map(|_| {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 8) as f32 / (1u32 << 24) as f32 * 2.0 - 1.0
        })
        .collect();
    let tensor = Tensor::from_array((shape, data)).unwrap();
    let out = session.run(ort::inputs![tensor]).unwrap();
    out[0].try_extract_tensor::<f32>().unwrap().1.to_vec()
}

#[test]
fn real_models_compute_the_same_after_folding() {
    let dir = default_models_dir().join("ocr");
    for (file, shape) in [
        ("ppocrv5_det.onnx", [1, 3, 96, 128]),
        ("ppocrv5_rec.onnx", [1, 3, 48, 200]),
    ] {
        let bytes = read_model(&dir.join(file)).expect("OCR models: run scripts/setup.sh");
        let (folded, removed) = fold_affine(&bytes).unwrap();
        assert!(removed > 100, "{file}: only {removed} nodes folded");
        let (a, b) = (run(&bytes, shape), run(&folded, shape));
        assert_eq!(a.len(), b.len());
        let diff = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0f32, f32::max);
        assert!(diff < 1e-3, "{file}: outputs differ by {diff}");
    }
}
