#!/usr/bin/env bash
# Rebuilds crates/idgate-vision/models/face_landmark.onnx from the PyPI wheel mediapipe==0.10.14
# (Apache-2.0): extracts the TFLite face-landmark model and converts it with tf2onnx. Needs ~1.7 GB
# for a throwaway venv; not part of setup (see crates/idgate-vision/models/README.md).
# Usage: scripts/convert-face-mesh.sh OUT.onnx
set -euo pipefail
out=$(realpath -m "${1:?usage: $0 OUT.onnx}")
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 -m venv "$tmp/venv"
"$tmp/venv/bin/pip" install -q 'tf2onnx==1.17.0' 'tensorflow-cpu==2.21.0' onnx
python3 -m pip download -q --no-deps -d "$tmp" 'mediapipe==0.10.14' \
  --platform manylinux_2_17_x86_64 --python-version 3.11 --implementation cp --abi cp311
whl=$(ls "$tmp"/mediapipe-0.10.14-*.whl)
echo "a807328339e7356fda0bb14df12fedbf1d33bdf81649c5f8666b0026b1cc30b4  $whl" | sha256sum -c --quiet -
unzip -q -o "$whl" mediapipe/modules/face_landmark/face_landmark.tflite -d "$tmp/x"
tfl="$tmp/x/mediapipe/modules/face_landmark/face_landmark.tflite"
echo "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814  $tfl" | sha256sum -c --quiet -
"$tmp/venv/bin/python" -m tf2onnx.convert --tflite "$tfl" --output "$out" --opset 17
