//! A recogniser restricted to a subset of its classes, made at load time by editing the ONNX
//! model: the final linear layer's weight (`[hidden, classes]`) and bias (`[classes]`) keep only
//! the chosen columns, and every declared shape ending in the class count is shortened to
//! match. The softmax then runs over the kept classes only, and the output projection (18,385
//! columns in PP-OCRv5) shrinks to a few dozen. The model file is a protobuf `ModelProto`; it is
//! edited on the wire (fields copied byte for byte except along the edited paths), so no ONNX
//! library is needed.

use super::proto::*;

/// The model with its output classes cut down to `keep` (indices into the `classes` outputs,
/// in the new order). Fails unless exactly one float matrix `[_, classes]` and one float vector
/// `[classes]` are stored in the graph, which is the shape of a CTC head.
pub(super) fn keep_classes(
    model: &[u8],
    classes: usize,
    keep: &[usize],
) -> Result<Vec<u8>, String> {
    if keep.is_empty() || keep.iter().any(|&k| k >= classes) {
        return Err("class indices out of range".into());
    }
    let (mut matrices, mut vectors) = (0, 0);
    let out = edit_fields(model, MODEL_GRAPH, |graph| {
        let g = edit_fields(graph, GRAPH_INITIALIZER, |t| {
            let sliced = slice_tensor(t, classes, keep)?;
            match &sliced {
                Some((2, _)) => matrices += 1,
                Some(_) => vectors += 1,
                None => {}
            }
            Ok(sliced.map(|(_, bytes)| bytes))
        })?;
        let g = edit_fields(&g, GRAPH_OUTPUT, |v| {
            reshape_value_info(v, classes, keep.len())
        })?;
        let g = edit_fields(&g, GRAPH_VALUE_INFO, |v| {
            reshape_value_info(v, classes, keep.len())
        })?;
        Ok(Some(g))
    })?;
    if (matrices, vectors) != (1, 1) {
        return Err(format!(
            "expected one [_, {classes}] weight and one [{classes}] bias, found {matrices} and {vectors}"
        ));
    }
    Ok(out)
}

/// An initializer whose last dimension is `classes`, with only the `keep` columns, and its
/// rank; `None` for any other tensor.
fn slice_tensor(
    t: &[u8],
    classes: usize,
    keep: &[usize],
) -> Result<Option<(usize, Vec<u8>)>, String> {
    let fs = fields(t)?;
    let mut dims = Vec::new();
    let mut float = false;
    let mut data: Option<&[u8]> = None;
    for f in &fs {
        match (f.num, f.wire) {
            (TENSOR_DIMS, 0) => dims.push(varint(f.payload, &mut 0)?),
            (TENSOR_DIMS, 2) => {
                let mut pos = 0;
                while pos < f.payload.len() {
                    dims.push(varint(f.payload, &mut pos)?);
                }
            }
            (TENSOR_DATA_TYPE, 0) => float = varint(f.payload, &mut 0)? == FLOAT,
            // float_data is packed fixed32, the same little-endian bytes as raw_data
            (TENSOR_RAW_DATA | TENSOR_FLOAT_DATA, 2) => data = Some(f.payload),
            (TENSOR_DATA_LOCATION, 0) if varint(f.payload, &mut 0)? != 0 => {
                return Ok(None); // external data: not a tensor stored here
            }
            _ => {}
        }
    }
    let rank = dims.len();
    if !float || !(1..=2).contains(&rank) || dims.last() != Some(&(classes as u64)) {
        return Ok(None);
    }
    let rows = if rank == 2 { dims[0] as usize } else { 1 };
    let data = data.ok_or("head tensor has no inline data")?;
    if data.len() != rows * classes * 4 {
        return Err(format!(
            "head tensor holds {} bytes, expected {}",
            data.len(),
            rows * classes * 4
        ));
    }
    let mut sliced = Vec::with_capacity(rows * keep.len() * 4);
    for r in 0..rows {
        for &k in keep {
            let at = (r * classes + k) * 4;
            sliced.extend_from_slice(&data[at..at + 4]);
        }
    }
    let mut out = Vec::with_capacity(sliced.len() + 64);
    let mut packed = Vec::new();
    for (i, d) in dims.iter().enumerate() {
        put_varint(
            &mut packed,
            if i + 1 == rank { keep.len() as u64 } else { *d },
        );
    }
    put_bytes(&mut out, TENSOR_DIMS, &packed);
    for f in &fs {
        if !matches!(f.num, TENSOR_DIMS | TENSOR_RAW_DATA | TENSOR_FLOAT_DATA) {
            out.extend_from_slice(f.raw);
        }
    }
    put_bytes(&mut out, TENSOR_RAW_DATA, &sliced);
    Ok(Some((rank, out)))
}

/// A `ValueInfoProto` whose tensor shape ends in `classes`, with that dimension set to `kept`.
fn reshape_value_info(v: &[u8], classes: usize, kept: usize) -> Result<Option<Vec<u8>>, String> {
    let mut changed = false;
    let out = edit_fields(v, VALUE_INFO_TYPE, |ty| {
        let ty = edit_fields(ty, TYPE_TENSOR, |tensor| {
            let t = edit_fields(tensor, TENSOR_TYPE_SHAPE, |shape| {
                let dims = fields(shape)?;
                let last = dims.iter().rposition(|d| d.num == SHAPE_DIM && d.wire == 2);
                let Some(last) = last else { return Ok(None) };
                let value = fields(dims[last].payload)?
                    .iter()
                    .find(|f| f.num == DIM_VALUE && f.wire == 0)
                    .map(|f| varint(f.payload, &mut 0))
                    .transpose()?;
                if value != Some(classes as u64) {
                    return Ok(None);
                }
                changed = true;
                let mut dim = Vec::new();
                put_varint(&mut dim, DIM_VALUE << 3);
                put_varint(&mut dim, kept as u64);
                let mut out = Vec::with_capacity(shape.len());
                for (i, d) in dims.iter().enumerate() {
                    if i == last {
                        put_bytes(&mut out, SHAPE_DIM, &dim);
                    } else {
                        out.extend_from_slice(d.raw);
                    }
                }
                Ok(Some(out))
            })?;
            Ok(Some(t))
        })?;
        Ok(Some(ty))
    })?;
    Ok(changed.then_some(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(parts: &[(u64, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (num, bytes) in parts {
            put_bytes(&mut out, *num, bytes);
        }
        out
    }

    fn tensor(name: &str, dims: &[u64], values: &[f32]) -> Vec<u8> {
        let mut out = Vec::new();
        for d in dims {
            put_varint(&mut out, TENSOR_DIMS << 3);
            put_varint(&mut out, *d);
        }
        put_varint(&mut out, TENSOR_DATA_TYPE << 3);
        put_varint(&mut out, FLOAT);
        put_bytes(&mut out, 8, name.as_bytes());
        let raw: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
        put_bytes(&mut out, TENSOR_RAW_DATA, &raw);
        out
    }

    fn value_info(name: &str, dims: &[u64]) -> Vec<u8> {
        let dims: Vec<(u64, Vec<u8>)> = dims
            .iter()
            .map(|&d| {
                let mut dim = Vec::new();
                put_varint(&mut dim, DIM_VALUE << 3);
                put_varint(&mut dim, d);
                (SHAPE_DIM, dim)
            })
            .collect();
        let shape = msg(&dims);
        let tensor_type = msg(&[(TENSOR_TYPE_SHAPE, shape)]);
        let ty = msg(&[(TYPE_TENSOR, tensor_type)]);
        msg(&[(1, name.as_bytes().to_vec()), (VALUE_INFO_TYPE, ty)])
    }

    /// The float data and dims of the initializer named `name`.
    fn read_tensor(model: &[u8], name: &str) -> (Vec<u64>, Vec<f32>) {
        let graph = fields(model)
            .unwrap()
            .into_iter()
            .find(|f| f.num == MODEL_GRAPH)
            .unwrap()
            .payload;
        for init in fields(graph).unwrap() {
            if init.num != GRAPH_INITIALIZER {
                continue;
            }
            let fs = fields(init.payload).unwrap();
            if !fs
                .iter()
                .any(|f| f.num == 8 && f.payload == name.as_bytes())
            {
                continue;
            }
            let mut dims = Vec::new();
            let mut data = Vec::new();
            for f in fs {
                match (f.num, f.wire) {
                    (TENSOR_DIMS, 2) => {
                        let mut pos = 0;
                        while pos < f.payload.len() {
                            dims.push(varint(f.payload, &mut pos).unwrap());
                        }
                    }
                    (TENSOR_DIMS, 0) => dims.push(varint(f.payload, &mut 0).unwrap()),
                    (TENSOR_RAW_DATA, 2) => {
                        data = f
                            .payload
                            .chunks_exact(4)
                            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .collect()
                    }
                    _ => {}
                }
            }
            return (dims, data);
        }
        panic!("no initializer {name}");
    }

    #[test]
    fn head_keeps_the_chosen_columns_and_shapes() {
        // hidden 2, classes 5; an unrelated [3, 2] weight stays as it is.
        let w: Vec<f32> = (0..10).map(|v| v as f32).collect();
        let b = [0.5, 1.5, 2.5, 3.5, 4.5];
        let other: Vec<f32> = (0..6).map(|v| -(v as f32)).collect();
        let graph = msg(&[
            (1, b"node bytes stay".to_vec()),
            (GRAPH_INITIALIZER, tensor("w", &[2, 5], &w)),
            (GRAPH_INITIALIZER, tensor("b", &[5], &b)),
            (GRAPH_INITIALIZER, tensor("other", &[3, 2], &other)),
            (GRAPH_OUTPUT, value_info("probs", &[1, 7, 5])),
            (GRAPH_VALUE_INFO, value_info("hidden", &[1, 7, 2])),
        ]);
        let model = msg(&[(2, b"producer".to_vec()), (MODEL_GRAPH, graph)]);
        let out = keep_classes(&model, 5, &[0, 3, 4]).unwrap();
        assert_eq!(
            read_tensor(&out, "w"),
            (vec![2, 3], vec![0.0, 3.0, 4.0, 5.0, 8.0, 9.0])
        );
        assert_eq!(read_tensor(&out, "b"), (vec![3], vec![0.5, 3.5, 4.5]));
        assert_eq!(read_tensor(&out, "other"), (vec![3, 2], other));
        let graph = fields(&out)
            .unwrap()
            .into_iter()
            .find(|f| f.num == MODEL_GRAPH)
            .unwrap()
            .payload;
        let gf = fields(graph).unwrap();
        let output = gf.iter().find(|f| f.num == GRAPH_OUTPUT).unwrap();
        assert_eq!(output.payload, value_info("probs", &[1, 7, 3]).as_slice());
        let hidden = gf.iter().find(|f| f.num == GRAPH_VALUE_INFO).unwrap();
        assert_eq!(hidden.payload, value_info("hidden", &[1, 7, 2]).as_slice());
        assert_eq!((gf[0].num, gf[0].payload), (1, &b"node bytes stay"[..]));
        // Not a CTC head, or indices out of range: refused.
        assert!(keep_classes(&model, 6, &[0]).is_err());
        assert!(keep_classes(&model, 5, &[5]).is_err());
        assert!(keep_classes(b"\x3a\x05garbage", 5, &[0]).is_err());
    }
}
