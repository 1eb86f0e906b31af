#!/usr/bin/env bash
# Installs the system libraries Qt loads (offscreen and xcb platforms), only when missing.
# Safe to run repeatedly; does nothing when everything is present or apt-get is unavailable.
set -u
need=()
have_lib() { ldconfig -p 2>/dev/null | grep -q "$1"; }
have_lib 'libEGL.so.1'          || need+=(libegl1)
have_lib 'libGL.so.1'           || need+=(libgl1)
have_lib 'libxkbcommon.so.0'    || need+=(libxkbcommon0)
have_lib 'libxkbcommon-x11.so.0' || need+=(libxkbcommon-x11-0)
have_lib 'libfontconfig.so.1'   || need+=(libfontconfig1)
have_lib 'libdbus-1.so.3'       || need+=(libdbus-1-3)
have_lib 'libglib-2.0.so.0'     || need+=(libglib2.0-0)
have_lib 'libxcb-cursor.so.0'   || need+=(libxcb-cursor0)
have_lib 'libxcb-icccm.so.4'    || need+=(libxcb-icccm4)
have_lib 'libxcb-keysyms.so.1'  || need+=(libxcb-keysyms1)
have_lib 'libxcb-shape.so.0'    || need+=(libxcb-shape0)
have_lib 'libxcb-image.so.0'    || need+=(libxcb-image0)
have_lib 'libxcb-render-util.so.0' || need+=(libxcb-render-util0)
fc-list >/dev/null 2>&1 && [ -n "$(fc-list 2>/dev/null | head -1)" ] || need+=(fonts-dejavu-core)
if [ "${WITH_XVFB:-0}" = 1 ] && ! command -v Xvfb >/dev/null; then need+=(xvfb); fi
[ ${#need[@]} -eq 0 ] && exit 0
if ! command -v apt-get >/dev/null; then
  echo "Missing system libraries for Qt: ${need[*]} (install them with your package manager)" >&2
  exit 0
fi
SUDO=""; [ "$(id -u)" != 0 ] && command -v sudo >/dev/null && SUDO="sudo"
echo "Installing system libraries for Qt: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >/dev/null 2>&1 || true
$SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
  || echo "warning: apt-get could not install ${need[*]}" >&2
exit 0
