# Helpers sourced by setup fragments. Not run on its own (no .sh suffix match: see setup.sh).
apt_ensure() {
  # apt_ensure PKG...: installs the Debian packages not yet installed (apt-get update once).
  local missing=()
  for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "setup: installing ${missing[*]}" >&2
  local sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ ! -f /tmp/.idgate-apt-updated ]; then $sudo apt-get -o DPkg::Lock::Timeout=600 update -qq && touch /tmp/.idgate-apt-updated; fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
}
