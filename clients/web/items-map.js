// The small map of an API page (/collections/{id}/items?f=html): the page's features on the
// viewer's offline basemap. It reads the page's GeoJSON through the <link rel="alternate"
// type="application/geo+json"> of the page itself, so it shows exactly the rows of the table.
(function () {
  'use strict';
  var el = document.getElementById('items-map');
  var link = document.querySelector('link[rel="alternate"][type="application/geo+json"]');
  if (!el || !link || typeof L === 'undefined' || typeof topojson === 'undefined') return;
  var base = el.getAttribute('data-vendor');
  var map = L.map(el, { worldCopyJump: true, attributionControl: true }).setView([35, 120], 4);
  map.attributionControl.addAttribution('Natural Earth (public domain)');
  fetch(base + '/countries-50m.json')
    .then(function (r) { return r.json(); })
    .then(function (world) {
      L.geoJSON(topojson.feature(world, world.objects.countries), {
        style: { color: '#888', weight: 0.8, fillColor: '#f2efe9', fillOpacity: 1 },
        interactive: false
      }).addTo(map).bringToBack();
    })
    .catch(function () { /* the features still show without a basemap */ });
  fetch(link.href, { headers: { Accept: 'application/geo+json' } })
    .then(function (r) { return r.json(); })
    .then(function (fc) {
      var layer = L.geoJSON(fc, {
        pointToLayer: function (f, latlng) {
          return L.circleMarker(latlng, { radius: 5, color: '#c0392b', weight: 1, fillOpacity: 0.8 });
        },
        style: { color: '#2c7fb8', weight: 2 },
        onEachFeature: function (f, l) {
          var p = f.properties || {};
          var label = p.name_en || p.title || (p.cn_name_en && p.jp_name_en
            ? p.cn_name_en + ' – ' + p.jp_name_en : '') || f.id;
          l.bindTooltip(String(label));
        }
      }).addTo(map);
      if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds(), { maxZoom: 8, padding: [20, 20] });
    });
})();
