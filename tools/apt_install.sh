# Sourced by tools/setup_env.sh and tools/setup_train.sh (not run on its own).
# apt_install TAG CONSEQUENCE PACKAGE...: install the given Debian packages when we are root (or have
# sudo); otherwise warn on stderr "TAG: warning: missing ... and no root; CONSEQUENCE" and go on.
apt_install() {
  local tag=$1 consequence=$2
  shift 2
  [ $# -gt 0 ] || return 0
  local sudo=""
  [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && sudo="sudo"
  if [ "$(id -u)" -eq 0 ] || [ -n "$sudo" ]; then
    echo "$tag: installing Debian packages: $*"
    $sudo apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >/dev/null
  else
    echo "$tag: warning: missing $* and no root; $consequence" >&2
  fi
}
