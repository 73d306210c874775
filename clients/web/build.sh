#!/bin/sh
# Build the web viewer into OUT (default ../../build/viewer): install the pinned npm packages
# (package-lock.json) if they are missing, then copy the viewer's own files and the few files
# it uses from them. Everything the page loads is served by partnermap itself; nothing comes
# from a CDN.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/viewer}
cd "$here"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
mkdir -p "$out/vendor/images"
for f in index.html app.js style.css items-map.js; do
    [ -f "$f" ] && cp "$f" "$out/$f"
done
cp node_modules/leaflet/dist/leaflet.js node_modules/leaflet/dist/leaflet.css "$out/vendor/"
cp node_modules/leaflet/dist/images/*.png "$out/vendor/images/"
cp node_modules/topojson-client/dist/topojson-client.min.js "$out/vendor/"
# Natural Earth (public domain) coastlines and borders, 1:50m and 1:110m.
cp node_modules/world-atlas/countries-50m.json node_modules/world-atlas/countries-110m.json \
   node_modules/world-atlas/land-50m.json "$out/vendor/"
cp node_modules/leaflet/LICENSE "$out/vendor/LICENSE-leaflet.txt"
cp node_modules/world-atlas/LICENSE "$out/vendor/LICENSE-world-atlas.txt"
