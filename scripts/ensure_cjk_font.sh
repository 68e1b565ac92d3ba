#!/usr/bin/env bash
# Make sure a font with Chinese glyphs is installed, for figures and pages of `lang: zh` studies.
#
# Idempotent: does nothing when fontconfig already knows a CJK font (WenQuanYi Micro Hei,
# Noto Sans CJK, ...). Otherwise, when running as root with apt-get, installs the Debian
# package `fonts-wqy-microhei` (about 5 MB) and clears Matplotlib's font cache so the new
# font is seen. Prints one line saying what it did and always exits 0: without the font,
# Chinese figures draw empty boxes, and the test of the font says so.
set -u

has_cjk() {
    command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh-cn family 2>/dev/null | grep -q .
}

if has_cjk; then
    echo "ensure_cjk_font: a CJK font is installed ($(fc-list :lang=zh-cn family | head -1))"
    exit 0
fi
if [ "${EUID:-$(id -u)}" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "ensure_cjk_font: no CJK font, and not root with apt-get: Chinese figures will lack glyphs"
    exit 0
fi
if DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 \
         && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1; }; then
    rm -rf "${MPLCONFIGDIR:-$HOME/.cache/matplotlib}"/fontlist-*.json 2>/dev/null
    echo "ensure_cjk_font: installed fonts-wqy-microhei with apt-get"
    exit 0
fi
echo "ensure_cjk_font: apt-get install fonts-wqy-microhei failed: Chinese figures will lack glyphs"
exit 0
