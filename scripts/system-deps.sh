#!/usr/bin/env bash
# Installs the system packages the tests use when they are missing and we can: Graphviz (`dot`),
# Xvfb and the xcb libraries Qt's window plugin needs, and pdflatex with TikZ to compile the LaTeX tables
# and the paper figure (texlive-pictures brings texlive-latex-recommended, which holds booktabs.sty).
# Debian-family and root only; otherwise it says what is missing and the tests that need it skip with
# that reason.
set -u
packages=(graphviz xvfb xauth libxcb-icccm4 libxcb-keysyms1 libxcb-cursor0 libxkbcommon-x11-0 libxcb-shape0
          libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3
          fonts-dejavu-core fonts-liberation texlive-latex-base texlive-pictures poppler-utils)
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "system-deps: not a Debian-family system; install Graphviz, Xvfb and TeX Live yourself"
  exit 0
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "system-deps: missing ${missing[*]} (not root: the tests that need them will skip)"
  exit 0
fi
echo "system-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/tmp/unetviz-apt.log 2>&1 \
  || echo "system-deps: apt-get failed (see /tmp/unetviz-apt.log); the tests that need these will skip"
exit 0
