//! Folds the affine steps around PP-OCRv5's convolutions into their weights at load time. The
//! PPLCNetV3 backbone (detector and recogniser) follows every convolution with a bias `Add` and a
//! learnable affine block (`x * scale + bias`, scalars), and every activation with another. They
//! are exported as separate `Mul`/`Add` nodes with the constant first, which ONNX Runtime fuses
//! into nothing, so each is one more pass over a whole activation map (a sixth of the work):
//! - `Conv → Add/Mul (per channel or scalar) → ...` folds into the convolution's weight and bias;
//! - `Mul/Add (scalar) → ... → 1×1 Conv` (no padding, one group) folds into that convolution's
//!   weight and bias: exact, since no padded border sees the offset.
//!
//! `Identity` nodes are bypassed first. The folded network computes the same function up to
//! float rounding; the graph is edited on the protobuf wire like [`super::head`].

use std::collections::{HashMap, HashSet};

use super::proto::*;
#[cfg(test)]
use super::{default_models_dir, environment, read_model, session_from};
#[cfg(test)]
use std::path::Path;

/// The model with its affine steps folded, and how many nodes that removed.
pub(super) fn fold_affine(model: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let mut removed = 0;
    let out = edit_fields(model, MODEL_GRAPH, |graph| {
        let (g, n) = fold_graph(graph)?;
        removed = n;
        Ok(Some(g))
    })?;
    Ok((out, removed))
}

struct Graph<'a> {
    nodes: Vec<Node<'a>>,
    inits: HashMap<String, &'a [u8]>,
    /// Graph inputs and outputs: never folded away (an input may override an initializer).
    io: HashSet<String>,
    new_inits: Vec<FloatTensor>,
}

impl Graph<'_> {
    fn tensor(&self, name: &str) -> Result<Option<FloatTensor>, String> {
        if self.io.contains(name) {
            return Ok(None);
        }
        match self.inits.get(name) {
            Some(t) => read_float_tensor(t),
            None => Ok(None),
        }
    }

    /// Consumers of each value among the live nodes.
    fn consumers(&self) -> HashMap<&str, Vec<usize>> {
        let mut c: HashMap<&str, Vec<usize>> = HashMap::new();
        for (i, n) in self.nodes.iter().enumerate().filter(|(_, n)| !n.removed) {
            for input in &n.inputs {
                c.entry(input.as_str()).or_default().push(i);
            }
        }
        c
    }

    /// The one node reading `value` (once), if nothing else needs it.
    fn sole_consumer(&self, cons: &HashMap<&str, Vec<usize>>, value: &str) -> Option<usize> {
        match cons.get(value).map(Vec::as_slice) {
            Some(&[i]) if !self.io.contains(value) => Some(i),
            _ => None,
        }
    }

    /// For a binary `Mul`/`Add` node reading `x`: its constant operand, if it broadcasts as
    /// one value or one value per channel (axis 1) of a tensor of rank `rank` with `channels`.
    fn operand(&self, n: &Node<'_>, x: &str, rank: usize, channels: usize) -> Option<Vec<f32>> {
        if n.inputs.len() != 2 || n.outputs.len() != 1 || !(n.is("Mul") || n.is("Add")) {
            return None;
        }
        let other = match (n.inputs[0] == x, n.inputs[1] == x) {
            (true, false) => &n.inputs[1],
            (false, true) => &n.inputs[0],
            _ => return None,
        };
        let t = self.tensor(other).ok()??;
        let d = &t.dims;
        if d.len() > rank {
            return None;
        }
        // dims align with the tensor's last axes; axis 1 holds the channels
        let channel_axis = (d.len() + 1 >= rank).then(|| d.len() + 1 - rank);
        let ones_but =
            |k: Option<usize>| d.iter().enumerate().all(|(i, &v)| v == 1 || Some(i) == k);
        let scalar = t.data.len() == 1 && ones_but(None);
        let per_channel =
            t.data.len() == channels && channel_axis.is_some() && ones_but(channel_axis);
        (scalar || per_channel).then_some(t.data)
    }

    fn add_tensor(&mut self, dims: Vec<u64>, data: Vec<f32>) -> String {
        let name = format!("idgate_fold_{}", self.new_inits.len());
        self.new_inits.push(FloatTensor {
            name: name.clone(),
            dims,
            data,
        });
        name
    }

    /// Conv weight and bias (zeros when absent), if both are stored floats of matching size.
    fn conv_params(&self, conv: usize) -> Result<Option<(FloatTensor, Vec<f32>)>, String> {
        let n = &self.nodes[conv];
        if !n.is("Conv") || n.inputs.len() < 2 || n.outputs.len() != 1 {
            return Ok(None);
        }
        let Some(w) = self.tensor(&n.inputs[1])? else {
            return Ok(None);
        };
        let o = w.dims.first().copied().unwrap_or(0) as usize;
        if w.dims.len() < 3 || o == 0 {
            return Ok(None);
        }
        let bias = match n.inputs.get(2).filter(|b| !b.is_empty()) {
            None => vec![0.0; o],
            Some(b) => match self.tensor(b)? {
                Some(b) if b.data.len() == o => b.data,
                _ => return Ok(None),
            },
        };
        Ok(Some((w, bias)))
    }

    fn set_conv(&mut self, conv: usize, w: FloatTensor, bias: Vec<f32>) {
        let o = bias.len() as u64;
        let w_name = self.add_tensor(w.dims, w.data);
        let b_name = self.add_tensor(vec![o], bias);
        let n = &mut self.nodes[conv];
        n.inputs.truncate(1);
        n.inputs.extend([w_name, b_name]);
    }

    /// `Conv → Mul/Add → ...`: the chain of constant steps after each convolution.
    fn fold_after_convs(&mut self) -> Result<usize, String> {
        let mut removed = 0;
        for ci in 0..self.nodes.len() {
            let Some((mut w, mut bias)) = self.conv_params(ci)? else {
                continue;
            };
            let (rank, o) = (w.dims.len(), bias.len());
            let mut scale = vec![1f32; o];
            let mut out = self.nodes[ci].outputs[0].clone();
            let mut chain = Vec::new();
            let cons = self.consumers();
            while let Some(ni) = self.sole_consumer(&cons, &out) {
                let n = &self.nodes[ni];
                let Some(v) = self.operand(n, &out, rank, o) else {
                    break;
                };
                let at = |k: usize| if v.len() == 1 { v[0] } else { v[k] };
                for k in 0..o {
                    if n.op == "Mul" {
                        (scale[k], bias[k]) = (scale[k] * at(k), bias[k] * at(k));
                    } else {
                        bias[k] += at(k);
                    }
                }
                chain.push(ni);
                out = n.outputs[0].clone();
            }
            if chain.is_empty() {
                continue;
            }
            let per = w.data.len() / o;
            for (k, row) in w.data.chunks_exact_mut(per).enumerate() {
                row.iter_mut().for_each(|v| *v *= scale[k]);
            }
            self.set_conv(ci, w, bias);
            self.nodes[ci].outputs[0] = out;
            for &ni in &chain {
                self.nodes[ni].removed = true;
            }
            removed += chain.len();
        }
        Ok(removed)
    }

    /// Whether node `ci` is a 1×1 convolution without padding in one group reading `x` only as
    /// its data input.
    fn pointwise(&self, ci: usize, x: &str) -> Result<bool, String> {
        let n = &self.nodes[ci];
        if !n.is("Conv") || n.inputs.first().map(String::as_str) != Some(x) {
            return Ok(false);
        }
        if n.inputs[1..].iter().any(|i| i == x) {
            return Ok(false);
        }
        let group = n.attr("group")?.unwrap_or_else(|| vec![1]);
        let pads = n.attr("pads")?.unwrap_or_default();
        let Some((w, _)) = self.conv_params(ci)? else {
            return Ok(false);
        };
        Ok(group == [1] && pads.iter().all(|&p| p == 0) && w.dims[2..].iter().all(|&d| d == 1))
    }

    /// `Mul/Add (scalar) → ... → 1×1 Conv`: scalar steps whose every reader is such a convolution.
    fn fold_before_pointwise(&mut self) -> Result<usize, String> {
        let mut removed = 0;
        for si in 0..self.nodes.len() {
            let n = &self.nodes[si];
            if n.removed || n.inputs.len() != 2 {
                continue;
            }
            let cons = self.consumers();
            // the data input: the one that is not a scalar constant
            let Some(x) = n.inputs.iter().find(|i| self.operand(n, i, 4, 0).is_some()) else {
                continue;
            };
            let x = x.clone();
            let (mut a, mut c) = (1f32, 0f32);
            let (mut out, mut chain) = (x.clone(), Vec::new());
            let mut next = Some(si);
            while let Some(ni) = next {
                let n = &self.nodes[ni];
                let Some(v) = self.operand(n, &out, 4, 0) else {
                    break;
                };
                if n.op == "Mul" {
                    (a, c) = (a * v[0], c * v[0]);
                } else {
                    c += v[0];
                }
                chain.push(ni);
                out = n.outputs[0].clone();
                next = self.sole_consumer(&cons, &out);
            }
            let readers = cons.get(out.as_str()).cloned().unwrap_or_default();
            if chain.is_empty() || readers.is_empty() || self.io.contains(&out) {
                continue;
            }
            let mut all_pointwise = true;
            for &r in &readers {
                all_pointwise &= self.pointwise(r, &out)?;
            }
            if !all_pointwise {
                continue;
            }
            for &r in &readers {
                let Some((mut w, mut bias)) = self.conv_params(r)? else {
                    continue;
                };
                let per = w.data.len() / bias.len();
                for (k, row) in w.data.chunks_exact_mut(per).enumerate() {
                    bias[k] += c * row.iter().sum::<f32>();
                    row.iter_mut().for_each(|v| *v *= a);
                }
                self.set_conv(r, w, bias);
                self.nodes[r].inputs[0] = x.clone();
            }
            for &ni in &chain {
                self.nodes[ni].removed = true;
            }
            removed += chain.len();
        }
        Ok(removed)
    }
}

fn fold_graph(graph: &[u8]) -> Result<(Vec<u8>, usize), String> {
    let fs = fields(graph)?;
    let mut g = Graph {
        nodes: Vec::new(),
        inits: HashMap::new(),
        io: HashSet::new(),
        new_inits: Vec::new(),
    };
    for f in fs.iter().filter(|f| f.wire == 2) {
        match f.num {
            GRAPH_NODE => g.nodes.push(parse_node(f.payload)?),
            GRAPH_INITIALIZER => {
                g.inits.insert(name_of(f.payload, TENSOR_NAME)?, f.payload);
            }
            GRAPH_INPUT | GRAPH_OUTPUT => {
                g.io.insert(name_of(f.payload, VALUE_INFO_NAME)?);
            }
            _ => {}
        }
    }
    if g.inits.keys().any(|k| k.starts_with("idgate_fold_")) {
        return Err("the model is already folded".into());
    }
    // Bypass Identity nodes.
    let mut alias: HashMap<String, String> = HashMap::new();
    for n in &mut g.nodes {
        let bypass = n.is("Identity") && n.inputs.len() == 1 && n.outputs.len() == 1;
        if bypass && !g.io.contains(&n.outputs[0]) {
            alias.insert(n.outputs[0].clone(), n.inputs[0].clone());
            n.removed = true;
        }
    }
    let mut removed = alias.len();
    for n in g.nodes.iter_mut().filter(|n| !n.removed) {
        for i in &mut n.inputs {
            while let Some(a) = alias.get(i.as_str()) {
                *i = a.clone();
            }
        }
    }
    removed += g.fold_after_convs()?;
    removed += g.fold_before_pointwise()?;

    let live = g.nodes.iter().filter(|n| !n.removed);
    let used: HashSet<&str> = live
        .clone()
        .flat_map(|n| &n.inputs)
        .map(String::as_str)
        .collect();
    let produced: HashSet<&str> = live.flat_map(|n| &n.outputs).map(String::as_str).collect();
    let mut out = Vec::with_capacity(graph.len());
    let mut nodes_written = false;
    for f in &fs {
        match (f.num, f.wire) {
            (GRAPH_NODE, 2) if !nodes_written => {
                nodes_written = true;
                for n in g.nodes.iter().filter(|n| !n.removed) {
                    put_bytes(&mut out, GRAPH_NODE, &n.encode());
                }
            }
            (GRAPH_NODE, 2) => {}
            (GRAPH_INITIALIZER, 2) => {
                if used.contains(name_of(f.payload, TENSOR_NAME)?.as_str()) {
                    out.extend_from_slice(f.raw);
                }
            }
            (GRAPH_INPUT | GRAPH_VALUE_INFO, 2) => {
                let name = name_of(f.payload, VALUE_INFO_NAME)?;
                let stale = if f.num == GRAPH_INPUT {
                    g.inits.contains_key(&name) && !used.contains(name.as_str())
                } else {
                    !produced.contains(name.as_str()) && !used.contains(name.as_str())
                };
                if !stale {
                    out.extend_from_slice(f.raw);
                }
            }
            _ => out.extend_from_slice(f.raw),
        }
    }
    for t in g
        .new_inits
        .iter()
        .filter(|t| used.contains(t.name.as_str()))
    {
        put_bytes(&mut out, GRAPH_INITIALIZER, &float_tensor_bytes(t));
    }
    Ok((out, removed))
}

#[cfg(test)]
#[path = "fold_tests.rs"]
mod tests;
