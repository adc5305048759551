#!/usr/bin/env bash
# Debian ffmpeg: the browser tests turn the shared head-turn/blink clips into the y4m files
# chromium's fake camera plays (made at test time in a temp dir, never stored in the repo).
set -euo pipefail
. "$IDGATE_ROOT/scripts/setup-lib.bash"
apt_ensure ffmpeg
