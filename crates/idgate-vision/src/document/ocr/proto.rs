//! ONNX models on the protobuf wire: reading fields, writing them back, and float initializers.
//! Shared by the load-time model edits ([`super::head`], [`super::fold`]), so no ONNX or
//! protobuf library is needed.

/// A protobuf field as found on the wire: its number, wire type and payload bytes (for
/// length-delimited fields, the bytes inside; otherwise the encoded value).
pub(super) struct Field<'a> {
    pub num: u64,
    pub wire: u8,
    pub payload: &'a [u8],
    /// The whole field, key included, for copying it unchanged.
    pub raw: &'a [u8],
}

pub(super) fn varint(buf: &[u8], pos: &mut usize) -> Result<u64, String> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *buf.get(*pos).ok_or("truncated varint")?;
        *pos += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err("varint longer than 10 bytes".into())
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(super) fn fields(buf: &[u8]) -> Result<Vec<Field<'_>>, String> {
    let mut out = Vec::new();
    let mut pos = 0;
    while pos < buf.len() {
        let start = pos;
        let key = varint(buf, &mut pos)?;
        let (num, wire) = (key >> 3, (key & 7) as u8);
        let len = match wire {
            0 => {
                let s = pos;
                varint(buf, &mut pos)?;
                pos - s
            }
            1 => 8,
            2 => usize::try_from(varint(buf, &mut pos)?).map_err(|e| e.to_string())?,
            5 => 4,
            w => return Err(format!("unsupported wire type {w}")),
        };
        let body = if wire == 0 { pos - len } else { pos };
        let end = body.checked_add(len).filter(|&e| e <= buf.len());
        let end = end.ok_or("field runs past the end of its message")?;
        out.push(Field {
            num,
            wire,
            payload: &buf[body..end],
            raw: &buf[start..end],
        });
        pos = end;
    }
    Ok(out)
}

pub(super) fn put_bytes(out: &mut Vec<u8>, num: u64, bytes: &[u8]) {
    put_varint(out, (num << 3) | 2);
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

/// Rewrites the length-delimited fields numbered `num` of `msg` with `edit` (`None`: keep).
pub(super) fn edit_fields(
    msg: &[u8],
    num: u64,
    mut edit: impl FnMut(&[u8]) -> Result<Option<Vec<u8>>, String>,
) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(msg.len());
    for f in fields(msg)? {
        match (f.num == num && f.wire == 2).then(|| edit(f.payload)) {
            Some(Ok(Some(new))) => put_bytes(&mut out, num, &new),
            Some(Err(e)) => return Err(e),
            _ => out.extend_from_slice(f.raw),
        }
    }
    Ok(out)
}

// ONNX field numbers (onnx.proto).
pub(super) const MODEL_GRAPH: u64 = 7;
pub(super) const GRAPH_INITIALIZER: u64 = 5;
pub(super) const GRAPH_OUTPUT: u64 = 12;
pub(super) const GRAPH_VALUE_INFO: u64 = 13;
pub(super) const TENSOR_DIMS: u64 = 1;
pub(super) const TENSOR_DATA_TYPE: u64 = 2;
pub(super) const TENSOR_FLOAT_DATA: u64 = 4;
pub(super) const TENSOR_RAW_DATA: u64 = 9;
pub(super) const TENSOR_DATA_LOCATION: u64 = 14;
pub(super) const FLOAT: u64 = 1;
pub(super) const VALUE_INFO_TYPE: u64 = 2;
pub(super) const TYPE_TENSOR: u64 = 1;
pub(super) const TENSOR_TYPE_SHAPE: u64 = 2;
pub(super) const SHAPE_DIM: u64 = 1;
pub(super) const DIM_VALUE: u64 = 1;

pub(super) const GRAPH_NODE: u64 = 1;
pub(super) const GRAPH_INPUT: u64 = 11;
pub(super) const NODE_INPUT: u64 = 1;
pub(super) const NODE_OUTPUT: u64 = 2;
pub(super) const NODE_OP_TYPE: u64 = 4;
pub(super) const NODE_ATTRIBUTE: u64 = 5;
pub(super) const NODE_DOMAIN: u64 = 7;
pub(super) const ATTR_NAME: u64 = 1;
pub(super) const ATTR_INT: u64 = 3;
pub(super) const ATTR_INTS: u64 = 8;
pub(super) const TENSOR_NAME: u64 = 8;
pub(super) const VALUE_INFO_NAME: u64 = 1;

/// A length-delimited field's bytes as UTF-8 text.
pub(super) fn text(payload: &[u8]) -> Result<String, String> {
    String::from_utf8(payload.to_vec()).map_err(|_| "a name is not UTF-8".to_string())
}

/// The varints of a repeated integer field, packed (wire type 2) or not (wire type 0).
pub(super) fn ints(f: &Field<'_>) -> Result<Vec<u64>, String> {
    let mut out = Vec::new();
    match f.wire {
        0 => out.push(varint(f.payload, &mut 0)?),
        2 => {
            let mut pos = 0;
            while pos < f.payload.len() {
                out.push(varint(f.payload, &mut pos)?);
            }
        }
        w => return Err(format!("integer field with wire type {w}")),
    }
    Ok(out)
}

/// An initializer of 32-bit floats stored inside the model.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct FloatTensor {
    pub name: String,
    pub dims: Vec<u64>,
    pub data: Vec<f32>,
}

/// Reads a `TensorProto`; `None` unless it holds floats inline (raw or packed `float_data`)
/// with as many values as its dimensions say.
pub(super) fn read_float_tensor(t: &[u8]) -> Result<Option<FloatTensor>, String> {
    let (mut name, mut dims, mut float, mut data) = (String::new(), Vec::new(), false, None);
    for f in fields(t)? {
        match (f.num, f.wire) {
            (TENSOR_DIMS, _) => dims.extend(ints(&f)?),
            (TENSOR_DATA_TYPE, 0) => float = varint(f.payload, &mut 0)? == FLOAT,
            (TENSOR_NAME, 2) => name = text(f.payload)?,
            // float_data is packed fixed32, the same little-endian bytes as raw_data
            (TENSOR_RAW_DATA | TENSOR_FLOAT_DATA, 2) => data = Some(f.payload),
            (TENSOR_FLOAT_DATA, _) => return Ok(None),
            (TENSOR_DATA_LOCATION, 0) if varint(f.payload, &mut 0)? != 0 => return Ok(None),
            _ => {}
        }
    }
    let count = dims.iter().try_fold(1u64, |n, &d| n.checked_mul(d));
    let Some(bytes) = data.filter(|d| float && count == Some(d.len() as u64 / 4)) else {
        return Ok(None);
    };
    if bytes.len() % 4 != 0 {
        return Ok(None);
    }
    let data = bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    Ok(Some(FloatTensor { name, dims, data }))
}

/// Encodes a float `TensorProto` with raw little-endian data.
pub(super) fn float_tensor_bytes(t: &FloatTensor) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.data.len() * 4 + t.name.len() + 32);
    let mut packed = Vec::new();
    for &d in &t.dims {
        put_varint(&mut packed, d);
    }
    put_bytes(&mut out, TENSOR_DIMS, &packed);
    put_varint(&mut out, TENSOR_DATA_TYPE << 3);
    put_varint(&mut out, FLOAT);
    put_bytes(&mut out, TENSOR_NAME, t.name.as_bytes());
    let raw: Vec<u8> = t.data.iter().flat_map(|v| v.to_le_bytes()).collect();
    put_bytes(&mut out, TENSOR_RAW_DATA, &raw);
    out
}

/// A graph node, editable: its inputs and outputs are re-encoded, the rest copied.
pub(super) struct Node<'a> {
    pub inputs: Vec<String>,
    pub outputs: Vec<String>,
    pub op: String,
    pub domain: String,
    /// Attribute payloads (`AttributeProto`).
    pub attrs: Vec<&'a [u8]>,
    /// Every field but the inputs and outputs, copied as it was.
    pub rest: Vec<&'a [u8]>,
    pub removed: bool,
}

impl Node<'_> {
    pub fn is(&self, op: &str) -> bool {
        self.op == op && self.domain.is_empty() && !self.removed
    }

    /// The integer(s) of attribute `name`, if set.
    pub fn attr(&self, name: &str) -> Result<Option<Vec<u64>>, String> {
        for a in &self.attrs {
            let fs = fields(a)?;
            if !fs
                .iter()
                .any(|f| f.num == ATTR_NAME && f.payload == name.as_bytes())
            {
                continue;
            }
            let mut v = Vec::new();
            for f in fs.iter().filter(|f| matches!(f.num, ATTR_INT | ATTR_INTS)) {
                v.extend(ints(f)?);
            }
            return Ok(Some(v));
        }
        Ok(None)
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        for i in &self.inputs {
            put_bytes(&mut out, NODE_INPUT, i.as_bytes());
        }
        for o in &self.outputs {
            put_bytes(&mut out, NODE_OUTPUT, o.as_bytes());
        }
        for r in &self.rest {
            out.extend_from_slice(r);
        }
        out
    }
}

pub(super) fn parse_node(payload: &[u8]) -> Result<Node<'_>, String> {
    let mut n = Node {
        inputs: Vec::new(),
        outputs: Vec::new(),
        op: String::new(),
        domain: String::new(),
        attrs: Vec::new(),
        rest: Vec::new(),
        removed: false,
    };
    for f in fields(payload)? {
        match (f.num, f.wire) {
            (NODE_INPUT, 2) => n.inputs.push(text(f.payload)?),
            (NODE_OUTPUT, 2) => n.outputs.push(text(f.payload)?),
            (num, _) => {
                match (num, f.wire) {
                    (NODE_OP_TYPE, 2) => n.op = text(f.payload)?,
                    (NODE_DOMAIN, 2) => n.domain = text(f.payload)?,
                    (NODE_ATTRIBUTE, 2) => n.attrs.push(f.payload),
                    _ => {}
                }
                n.rest.push(f.raw);
            }
        }
    }
    Ok(n)
}

/// The name in a `TensorProto` or `ValueInfoProto` (field `num`).
pub(super) fn name_of(msg: &[u8], num: u64) -> Result<String, String> {
    let f = fields(msg)?
        .into_iter()
        .find(|f| f.num == num && f.wire == 2);
    f.map_or(Ok(String::new()), |f| text(f.payload))
}
