#!/usr/bin/env bash
# Liveness tests: Debian's ffmpeg cuts frames from the shared clips at test time. The face-mesh
# model itself is committed (crates/idgate-vision/models/README.md says why and how to rebuild it).
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
apt_ensure ffmpeg
