/*
 * partnermap viewer: China–Japan partner cities and the Kitakyushu Initiative on an offline
 * map. Every datum comes from the partnermap API (same-origin, relative URLs); the basemap is
 * Natural Earth (world-atlas) drawn with topojson-client. Data strings are only ever put into
 * the page as text (textContent, text nodes, attributes), never as HTML.
 *
 * State (view, filters, year, selection, layers) lives in the query string, so a map can be
 * shared by its link; it is read once on load and rewritten (replaceState) on every change.
 */
(function () {
  'use strict';

  var API = '../collections/';
  var FIRST_YEAR = 1973;
  var LAST_YEAR = new Date().getFullYear();
  var DEFAULT_CENTER = [33.5, 121];
  var DEFAULT_ZOOM = 4;
  var OVERLAYS = ['cities', 'links', 'members', 'pilots', 'events'];

  var COUNTRY_NAMES = {
    CN: 'China', JP: 'Japan', KR: 'Korea', KP: 'North Korea', MN: 'Mongolia', PH: 'Philippines',
    TH: 'Thailand', VN: 'Viet Nam', ID: 'Indonesia', MY: 'Malaysia', BD: 'Bangladesh',
    NP: 'Nepal', IR: 'Iran', KZ: 'Kazakhstan', GR: 'Greece', IN: 'India', LK: 'Sri Lanka',
    KH: 'Cambodia', LA: 'Laos', MM: 'Myanmar', PK: 'Pakistan', SG: 'Singapore', RU: 'Russia',
    TW: 'Taiwan', FJ: 'Fiji', AU: 'Australia', US: 'United States'
  };
  var COUNTRY_COLOURS = { CN: '#d62828', JP: '#1f5fd1' };
  var PALETTE = ['#0f9d58', '#e07b00', '#8e44ad', '#00838f', '#c2185b', '#6d4c41', '#7cb342',
    '#5c6bc0', '#f4b400', '#26a69a', '#ab47bc', '#78909c'];

  // ---------------------------------------------------------------- state and the URL

  var state = {
    center: DEFAULT_CENTER.slice(), zoom: DEFAULT_ZOOM,
    country: '', region: '', kind: '', level: '', year: null,
    city: null, link: null,
    layers: OVERLAYS.slice(), base: 'ne'
  };

  function readUrl() {
    var p = new URLSearchParams(location.search);
    var c = (p.get('center') || '').split(',').map(Number);
    if (c.length === 2 && isFinite(c[0]) && isFinite(c[1]) && Math.abs(c[0]) <= 90)
      state.center = [c[0], c[1]];
    var z = Number(p.get('zoom'));
    if (p.has('zoom') && isFinite(z) && z >= 1 && z <= 18) state.zoom = Math.round(z);
    ['country', 'region', 'kind', 'level'].forEach(function (k) { state[k] = p.get(k) || ''; });
    var y = Number(p.get('year'));
    if (p.has('year') && isFinite(y)) state.year = Math.min(LAST_YEAR, Math.max(FIRST_YEAR, Math.round(y)));
    state.city = p.get('city') || null;
    state.link = state.city ? null : (p.get('link') || null);
    if (p.has('layers'))
      state.layers = p.get('layers').split(',').filter(function (l) { return OVERLAYS.indexOf(l) >= 0; });
    state.base = p.get('base') === 'osm' ? 'osm' : 'ne';
  }

  var urlTimer = null;
  function writeUrl() {
    clearTimeout(urlTimer);
    urlTimer = setTimeout(writeUrlNow, 150);
  }
  function writeUrlNow() {
    urlTimer = null;
    if (!map) return;
    var c = map.getCenter();
    var p = new URLSearchParams();
    p.set('center', c.lat.toFixed(4) + ',' + c.lng.toFixed(4));
    p.set('zoom', String(map.getZoom()));
    ['country', 'region', 'kind', 'level'].forEach(function (k) { if (state[k]) p.set(k, state[k]); });
    if (state.year !== null) p.set('year', String(state.year));
    if (state.city) p.set('city', state.city);
    else if (state.link) p.set('link', state.link);
    if (state.layers.length !== OVERLAYS.length ||
        OVERLAYS.some(function (l) { return state.layers.indexOf(l) < 0; }))
      p.set('layers', OVERLAYS.filter(function (l) { return state.layers.indexOf(l) >= 0; }).join(','));
    if (state.base !== 'ne') p.set('base', state.base);
    var url = location.pathname + '?' + p.toString().replace(/%2C/g, ',') + location.hash;
    if (url !== location.pathname + location.search + location.hash)
      history.replaceState(null, '', url);
  }

  // ---------------------------------------------------------------- small helpers

  function $(id) { return document.getElementById(id); }

  /* An element with attributes and children; strings become text nodes (never HTML). */
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    if (attrs) Object.keys(attrs).forEach(function (k) {
      if (attrs[k] === null || attrs[k] === undefined) return;
      if (k === 'class') e.className = attrs[k];
      else if (k === 'text') e.textContent = attrs[k];
      else if (k.slice(0, 2) === 'on') e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      if (c === null || c === undefined || c === false) return;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    });
    return e;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }

  function svg(tag, attrs, text) {
    var e = document.createElementNS('http://www.w3.org/2000/svg', tag);
    Object.keys(attrs || {}).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function fetchJSON(url, signal) {
    return fetch(url, { headers: { Accept: 'application/json, application/geo+json' }, signal: signal })
      .then(function (r) {
        if (!r.ok) return r.json().catch(function () { return {}; }).then(function (j) {
          throw new Error(url + ': HTTP ' + r.status + (j.description ? ' — ' + j.description : ''));
        });
        return r.json();
      });
  }

  /* Every feature of an items query, following the "next" links. */
  function fetchAll(url) {
    var features = [];
    var pages = 0;
    function page(u) {
      return fetchJSON(u).then(function (j) {
        features = features.concat(j.features || []);
        var next = (j.links || []).filter(function (l) { return l.rel === 'next'; })[0];
        if (next && ++pages < 100) return page(next.href);
        return features;
      });
    }
    return page(url);
  }

  function yearOf(date) {
    if (!date) return null;
    var y = parseInt(String(date).slice(0, 4), 10);
    return isFinite(y) ? y : null;
  }
  function countryName(code) { return COUNTRY_NAMES[code] || code || '—'; }
  function countryColour(code) { return colourOf[code] || '#555'; }
  function showError(msg) {
    var e = $('error');
    e.hidden = false;
    e.textContent = msg;
  }
  function isHttpUrl(s) { return /^https?:\/\/[^\s]+$/i.test(s || ''); }

  // ---------------------------------------------------------------- data

  var cities = [], cityById = {};
  var links = [], linkById = {};
  var members = [], pilots = [], events = [];
  var colourOf = {};
  var map = null;
  var layers = {};          // overlay groups by name
  var cityLayer = {};       // city id -> circle marker
  var linkLayer = {};       // link id -> polyline
  var extraLayer = [];      // {kind, feature, layer}
  var playTimer = null;

  // ---------------------------------------------------------------- map and basemap

  function makeMap() {
    map = L.map('map', {
      center: state.center, zoom: state.zoom, minZoom: 2, maxZoom: 12,
      worldCopyJump: true, zoomControl: true, attributionControl: true
    });
    map.attributionControl.setPrefix('<a href="https://leafletjs.com/">Leaflet</a>');
    [['basemap', 250], ['labels', 350], ['links', 410], ['cities', 420], ['initiative', 430]]
      .forEach(function (p) {
        var pane = map.createPane(p[0]);
        pane.style.zIndex = p[1];
        if (p[0] === 'basemap' || p[0] === 'labels') pane.style.pointerEvents = 'none';
      });
  }

  function basemapLayers(topo) {
    var countries = topo.objects.countries;
    var renderer = L.canvas({ pane: 'basemap', padding: 0.5 });
    var focus = { '156': '#f6e7dc', '392': '#e6ecf7' };
    var land = L.geoJSON(topojson.feature(topo, countries), {
      pane: 'basemap', renderer: renderer, interactive: false,
      attribution: 'Basemap: Natural Earth (public domain) via world-atlas',
      style: function (f) {
        return { stroke: false, fill: true, fillColor: focus[f.id] || '#f3efe3', fillOpacity: 1 };
      }
    });
    var borders = L.geoJSON(topojson.mesh(topo, countries, function (a, b) { return a !== b; }), {
      pane: 'basemap', renderer: renderer, interactive: false,
      style: { color: '#a3927a', weight: 0.8, opacity: 0.9, dashArray: '4 3', fill: false }
    });
    var coast = L.geoJSON(topojson.mesh(topo, countries, function (a, b) { return a === b; }), {
      pane: 'basemap', renderer: renderer, interactive: false,
      style: { color: '#6a8ca3', weight: 1, opacity: 1, fill: false }
    });
    var lines = [];
    for (var lon = -180; lon <= 180; lon += 10)
      lines.push([[-85, lon], [85, lon]]);
    for (var lat = -80; lat <= 80; lat += 10) {
      var row = [];
      for (var x = -180; x <= 180; x += 5) row.push([lat, x]);
      lines.push(row);
    }
    var graticule = L.polyline(lines, {
      pane: 'basemap', renderer: renderer, interactive: false,
      color: '#9fbcd0', weight: 0.5, opacity: 0.6
    });
    var labels = [
      ['CHINA', 34.5, 103], ['JAPAN', 36.5, 145.5], ['MONGOLIA', 46.5, 103.5],
      ['KOREA', 36.2, 127.8], ['PHILIPPINES', 12.5, 122.5], ['RUSSIA', 56, 118],
      ['VIET NAM', 13.2, 108.5], ['THAILAND', 16.8, 100.5], ['INDIA', 22.5, 79]
    ].map(function (l) {
      return L.marker([l[1], l[2]], {
        pane: 'labels', interactive: false, keyboard: false,
        icon: L.divIcon({ className: 'pm-country-label', html: el('span', { text: l[0] }), iconSize: null })
      });
    });
    return L.layerGroup([land, graticule, borders, coast].concat(labels));
  }

  // ---------------------------------------------------------------- layers

  function cityRadius(c) {
    var n = c.properties.partners || 0;
    return 3 + Math.min(6, Math.sqrt(n) * 1.6);
  }

  function tooltipOf(title, sub) {
    return function () {
      return el('span', null, [el('strong', { text: title }), sub ? el('br') : null, sub || null]);
    };
  }

  function cityLabel(p) {
    var alt = [p.name_zh, p.name_ja].filter(function (s, i, a) { return s && a.indexOf(s) === i; });
    return alt.length ? p.name_en + ' · ' + alt.join(' · ') : p.name_en;
  }

  function buildLayers() {
    layers.cities = L.featureGroup();
    layers.links = L.featureGroup();
    layers.members = L.featureGroup();
    layers.pilots = L.featureGroup();
    layers.events = L.featureGroup();
    var linkRenderer = L.svg({ pane: 'links' });
    var cityRenderer = L.svg({ pane: 'cities' });
    var initRenderer = L.svg({ pane: 'initiative' });

    links.forEach(function (f) {
      if (!f.geometry) return;
      var g = f.geometry;
      var latlngs = g.type === 'LineString' ? g.coordinates.map(ll)
        : g.type === 'MultiLineString' ? g.coordinates.map(function (part) { return part.map(ll); }) : null;
      if (!latlngs) return;
      var p = f.properties;
      var line = L.polyline(latlngs, {
        pane: 'links', renderer: linkRenderer, className: 'pm-link',
        bubblingMouseEvents: false, smoothFactor: 1
      });
      line.bindTooltip(tooltipOf(p.cn_name_en + ' — ' + p.jp_name_en,
        [p.kind, yearOf(p.established) || 'undated'].join(', ')), { sticky: true });
      line.on('click', function () { selectLink(f.id, false); });
      line.feature = f;
      linkLayer[f.id] = line;
    });

    cities.forEach(function (f) {
      if (!f.geometry || f.geometry.type !== 'Point') return;
      var p = f.properties;
      var m = L.circleMarker(ll(f.geometry.coordinates), {
        pane: 'cities', renderer: cityRenderer, className: 'pm-city',
        radius: cityRadius(f), bubblingMouseEvents: false
      });
      m.bindTooltip(tooltipOf(cityLabel(p), [p.region_name, countryName(p.country)]
        .filter(Boolean).join(', ')), { direction: 'top', offset: [0, -4] });
      m.on('click', function () { selectCity(f.id, false); });
      m.feature = f;
      cityLayer[f.id] = m;
    });

    members.forEach(function (f) {
      if (!f.geometry) return;
      var p = f.properties;
      var m = L.circleMarker(ll(f.geometry.coordinates), {
        pane: 'initiative', renderer: initRenderer, className: 'pm-member', radius: 10,
        color: '#138a36', weight: 2.5, opacity: 0.9, fill: false, bubblingMouseEvents: false
      });
      m.bindTooltip(tooltipOf(p.city_name || p.city, 'Kitakyushu Initiative ' + (p.role || 'member') +
        (p.since ? ' since ' + p.since : '')), { direction: 'top', offset: [0, -8] });
      m.on('click', function () { showRecord('member', f); });
      extraLayer.push({ kind: 'members', feature: f, layer: m, date: p.since });
    });

    pilots.forEach(function (f) {
      if (!f.geometry) return;
      var p = f.properties;
      var m = L.marker(ll(f.geometry.coordinates), {
        pane: 'initiative', keyboard: false,
        icon: L.divIcon({ className: 'pm-pilot', iconSize: [11, 11] })
      });
      m.bindTooltip(tooltipOf('Pilot: ' + (p.city_name || p.city), p.theme || p.title),
        { direction: 'top', offset: [0, -6] });
      m.on('click', function () { showRecord('pilot', f); });
      extraLayer.push({ kind: 'pilots', feature: f, layer: m, date: p.period_start });
    });

    events.forEach(function (f) {
      if (!f.geometry) return;
      var p = f.properties;
      var m = L.marker(ll(f.geometry.coordinates), {
        pane: 'initiative', keyboard: false,
        icon: L.divIcon({ className: 'pm-event', iconSize: [12, 12] })
      });
      m.bindTooltip(tooltipOf(p.title, [p.host_name, p.start_date].filter(Boolean).join(', ')),
        { direction: 'top', offset: [0, -6] });
      m.on('click', function () { showRecord('event', f); });
      extraLayer.push({ kind: 'events', feature: f, layer: m, date: p.start_date });
    });
  }

  function ll(c) { return [c[1], c[0]]; }

  // ---------------------------------------------------------------- filtering

  function linkFilterActive() { return !!(state.region || state.kind || state.level || state.year !== null); }

  function cityPasses(p) {
    return (!state.country || p.country === state.country) && (!state.region || p.region === state.region);
  }
  function linkPasses(p) {
    if (state.country && state.country !== 'CN' && state.country !== 'JP') return false;
    if (state.region && p.cn_region !== state.region && p.jp_region !== state.region) return false;
    if (state.kind && p.kind !== state.kind) return false;
    if (state.level && p.level !== state.level) return false;
    if (state.year !== null) {
      var y = yearOf(p.established);
      if (y === null || y > state.year) return false;
    }
    return true;
  }
  function extraPasses(x) {
    var p = x.feature.properties;
    var code = p.country || (cityById[p.city || p.host_city] || {}).country;
    var region = (cityById[p.city || p.host_city] || { properties: {} }).properties.region;
    if (state.country && code !== state.country) return false;
    if (state.region && region !== state.region) return false;
    if (state.year !== null) {
      var y = yearOf(x.date);
      if (y === null || y > state.year) return false;
    }
    return true;
  }

  function applyFilters() {
    var nLinks = 0, nCities = 0, degree = {};
    links.forEach(function (f) {
      var line = linkLayer[f.id];
      if (!line) return;
      var on = linkPasses(f.properties);
      if (on) {
        nLinks++;
        degree[f.properties.cn_city] = (degree[f.properties.cn_city] || 0) + 1;
        degree[f.properties.jp_city] = (degree[f.properties.jp_city] || 0) + 1;
        if (!layers.links.hasLayer(line)) layers.links.addLayer(line);
      } else if (layers.links.hasLayer(line)) {
        layers.links.removeLayer(line);
      }
    });
    var dimLoners = linkFilterActive();
    cities.forEach(function (f) {
      var m = cityLayer[f.id];
      if (!m) return;
      if (cityPasses(f.properties)) {
        nCities++;
        m._pmDim = dimLoners && !degree[f.id];
        if (!layers.cities.hasLayer(m)) layers.cities.addLayer(m);
      } else if (layers.cities.hasLayer(m)) {
        layers.cities.removeLayer(m);
      }
    });
    var n = { members: 0, pilots: 0, events: 0 };
    extraLayer.forEach(function (x) {
      var on = extraPasses(x);
      if (on) n[x.kind]++;
      if (on && !layers[x.kind].hasLayer(x.layer)) layers[x.kind].addLayer(x.layer);
      else if (!on && layers[x.kind].hasLayer(x.layer)) layers[x.kind].removeLayer(x.layer);
    });
    restyle();

    var mapEl = $('map');
    mapEl.setAttribute('data-cities', String(nCities));
    mapEl.setAttribute('data-links', String(nLinks));
    mapEl.setAttribute('data-members', String(n.members));
    mapEl.setAttribute('data-pilots', String(n.pilots));
    mapEl.setAttribute('data-events', String(n.events));

    var unplacedCities = cities.filter(function (f) { return !f.geometry; }).length;
    var unplacedLinks = links.filter(function (f) { return !f.geometry; }).length;
    clear($('counts')).appendChild(document.createTextNode(
      nCities + ' places, ' + nLinks + ' partnership links, ' + n.members + ' initiative members, ' +
      n.pilots + ' pilot sites and ' + n.events + ' events on the map' +
      (state.year !== null ? ' as of the end of ' + state.year : '') + '. Not on the map (no coordinates): ' +
      unplacedCities + ' places, ' + unplacedLinks + ' links.'));
    updateTimeUi();
  }

  var SELECTED_LINK = { color: '#f26b0f', weight: 4, opacity: 1 };
  function restyle() {
    var sel = selectedLinkIds();
    links.forEach(function (f) {
      var line = linkLayer[f.id];
      if (!line || !layers.links.hasLayer(line)) return;
      if (sel && sel[f.id]) {
        line.setStyle(SELECTED_LINK);
        line.bringToFront();
      } else {
        line.setStyle({ color: '#6c3fb4', weight: 1.4, opacity: sel ? 0.14 : 0.5 });
      }
    });
    var selCities = {};
    if (state.city) selCities[state.city] = true;
    if (state.link && linkById[state.link]) {
      selCities[linkById[state.link].properties.cn_city] = true;
      selCities[linkById[state.link].properties.jp_city] = true;
    }
    cities.forEach(function (f) {
      var m = cityLayer[f.id];
      if (!m || !layers.cities.hasLayer(m)) return;
      var colour = countryColour(f.properties.country);
      var chosen = !!selCities[f.id];
      m.setStyle({
        color: chosen ? '#111' : '#fff', weight: chosen ? 2.5 : 0.8, opacity: m._pmDim ? 0.4 : 1,
        fillColor: colour, fillOpacity: m._pmDim ? 0.25 : 0.9
      });
      m.setRadius(chosen ? cityRadius(f) + 2 : cityRadius(f));
      if (chosen) m.bringToFront();
    });
  }

  function selectedLinkIds() {
    if (state.link) { var o = {}; o[state.link] = true; return o; }
    if (state.city) {
      var s = {};
      links.forEach(function (f) {
        if (f.properties.cn_city === state.city || f.properties.jp_city === state.city) s[f.id] = true;
      });
      return s;
    }
    return null;
  }

  // ---------------------------------------------------------------- filter controls

  function fillSelect(sel, options, value) {
    var s = $(sel);
    clear(s).appendChild(el('option', { value: '', text: 'all' }));
    options.forEach(function (o) {
      if (o.group) {
        var g = el('optgroup', { label: o.group });
        o.options.forEach(function (x) { g.appendChild(el('option', { value: x.value, text: x.text })); });
        s.appendChild(g);
      } else {
        s.appendChild(el('option', { value: o.value, text: o.text }));
      }
    });
    s.value = value;
    if (s.value !== value) s.value = ''; // an unknown value from the URL: no filter
  }

  function buildControls() {
    var byCountry = {};
    cities.forEach(function (f) { byCountry[f.properties.country] = (byCountry[f.properties.country] || 0) + 1; });
    var codes = Object.keys(byCountry).sort(function (a, b) {
      var rank = function (c) { return c === 'CN' ? 0 : c === 'JP' ? 1 : 2; };
      return rank(a) - rank(b) || countryName(a).localeCompare(countryName(b));
    });
    var i = 0;
    codes.forEach(function (c) { colourOf[c] = COUNTRY_COLOURS[c] || PALETTE[i++ % PALETTE.length]; });
    fillSelect('f-country', codes.map(function (c) {
      return { value: c, text: countryName(c) + ' (' + byCountry[c] + ')' };
    }), state.country);
    state.country = $('f-country').value;

    var regions = {};
    cities.forEach(function (f) {
      var p = f.properties;
      if (p.region && !regions[p.region]) regions[p.region] = { id: p.region, name: p.region_name || p.region, country: p.country };
    });
    var groups = codes.map(function (c) {
      var list = Object.keys(regions).map(function (k) { return regions[k]; })
        .filter(function (r) { return r.country === c; })
        .sort(function (a, b) { return a.name.localeCompare(b.name); })
        .map(function (r) { return { value: r.id, text: r.name }; });
      return { group: countryName(c), options: list };
    }).filter(function (g) { return g.options.length; });
    fillSelect('f-region', groups, state.region);
    state.region = $('f-region').value;

    var distinct = function (prop) {
      var seen = {};
      links.forEach(function (f) { if (f.properties[prop]) seen[f.properties[prop]] = (seen[f.properties[prop]] || 0) + 1; });
      return Object.keys(seen).sort().map(function (k) { return { value: k, text: k + ' (' + seen[k] + ')' }; });
    };
    fillSelect('f-kind', distinct('kind'), state.kind);
    state.kind = $('f-kind').value;
    fillSelect('f-level', distinct('level'), state.level);
    state.level = $('f-level').value;

    ['country', 'region', 'kind', 'level'].forEach(function (k) {
      $('f-' + k).addEventListener('change', function (e) {
        state[k] = e.target.value;
        applyFilters();
        if (k !== 'country') loadChart();
        writeUrl();
      });
    });

    var slider = $('year');
    slider.min = String(FIRST_YEAR);
    slider.max = String(LAST_YEAR);
    slider.addEventListener('input', function () { setYear(Number(slider.value)); });
    $('all-years').addEventListener('click', function () { stopPlay(); setYear(null); });
    $('play').addEventListener('click', function () { if (playTimer) stopPlay(); else startPlay(); });
  }

  function setYear(y) {
    state.year = y;
    applyFilters();
    writeUrl();
  }

  function startPlay() {
    if (state.year === null || state.year >= LAST_YEAR) setYear(FIRST_YEAR);
    $('play').textContent = '⏸';
    $('play').title = 'Pause';
    playTimer = setInterval(function () {
      if (state.year >= LAST_YEAR) { stopPlay(); return; }
      setYear(state.year + 1);
    }, 450);
  }
  function stopPlay() {
    if (playTimer) clearInterval(playTimer);
    playTimer = null;
    $('play').textContent = '▶';
    $('play').title = 'Play the years from 1973';
  }

  function updateTimeUi() {
    var slider = $('year');
    slider.value = String(state.year === null ? LAST_YEAR : state.year);
    $('year-label').textContent = state.year === null ? 'all years' : String(state.year);
    $('all-years').disabled = state.year === null;
    slider.classList.toggle('inactive', state.year === null);
    var undated = links.filter(function (f) { return !f.properties.established; }).length;
    $('undated-note').textContent = state.year === null
      ? 'All links, dated or not (' + undated + ' have no known date). Move the slider to see the network as it stood at the end of a year.'
      : 'Links established by the end of ' + state.year + '. Undated links (' + undated +
        ') are hidden while a year is chosen; so are undated members, pilots and events.';
    highlightChartYear();
  }

  // ---------------------------------------------------------------- chart

  var chartSeq = 0;
  function loadChart() {
    var q = new URLSearchParams({ groupby: 'year' });
    ['region', 'kind', 'level'].forEach(function (k) { if (state[k]) q.set(k, state[k]); });
    var seq = ++chartSeq;
    fetchJSON(API + 'partnerships/summary?' + q.toString()).then(function (j) {
      if (seq === chartSeq) drawChart(j);
    }).catch(function (e) { showError('The chart could not be loaded: ' + e.message); });
  }

  function drawChart(summary) {
    var counts = {}, undated = 0, max = 1;
    (summary.groups || []).forEach(function (g) {
      if (g.key === null || g.key === undefined) { undated += g.count; return; }
      counts[g.key] = g.count;
      if (g.count > max) max = g.count;
    });
    var years = LAST_YEAR - FIRST_YEAR + 1;
    var W = 300, H = 96, top = 8, bottom = 16, left = 22;
    var bw = (W - left) / years;
    var s = svg('svg', { viewBox: '0 0 ' + W + ' ' + H, width: '100%', role: 'img', class: 'pm-chart' });
    s.appendChild(svg('title', {}, 'Partnerships founded per year' + (undated ? ' (' + undated + ' undated, not shown)' : '')));
    var scale = (H - top - bottom) / max;
    [0, max].forEach(function (v) {
      var y = H - bottom - v * scale;
      s.appendChild(svg('line', { x1: left, x2: W, y1: y, y2: y, class: 'axis' }));
      s.appendChild(svg('text', { x: left - 3, y: y + 3, 'text-anchor': 'end', class: 'tick' }, String(v)));
    });
    for (var y = FIRST_YEAR; y <= LAST_YEAR; y++) {
      var n = counts[String(y)] || 0;
      var x = left + (y - FIRST_YEAR) * bw;
      var g = svg('g', { class: 'bar', 'data-year': String(y) });
      g.appendChild(svg('rect', { x: x, y: top, width: bw, height: H - top - bottom, class: 'hit' }));
      if (n) g.appendChild(svg('rect', { x: x + 0.5, y: H - bottom - n * scale, width: Math.max(1, bw - 1), height: n * scale, class: 'val' }));
      g.appendChild(svg('title', {}, y + ': ' + n + (n === 1 ? ' partnership' : ' partnerships')));
      g.addEventListener('click', (function (yy) { return function () { stopPlay(); setYear(yy); }; })(y));
      s.appendChild(g);
      if (y % 10 === 0 || y === FIRST_YEAR)
        s.appendChild(svg('text', { x: x + bw / 2, y: H - 4, 'text-anchor': 'middle', class: 'tick' }, String(y)));
    }
    var box = clear($('chart'));
    box.appendChild(s);
    box.appendChild(el('p', { class: 'hint', text: 'Partnerships founded per year' +
      (summary.numberMatched !== undefined ? ' (' + summary.numberMatched + ' in all, ' + undated + ' undated)' : '') +
      '. Click a bar to choose its year.' }));
    highlightChartYear();
  }

  function highlightChartYear() {
    var bars = document.querySelectorAll('#chart g.bar');
    for (var i = 0; i < bars.length; i++) {
      var y = Number(bars[i].getAttribute('data-year'));
      bars[i].classList.toggle('future', state.year !== null && y > state.year);
      bars[i].classList.toggle('current', state.year === y);
    }
  }

  // ---------------------------------------------------------------- search

  var searchSeq = 0, searchTimer = null, searchAbort = null;
  function setupSearch() {
    var input = $('search');
    input.addEventListener('input', function () {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(runSearch, 180);
    });
    input.addEventListener('keydown', function (e) {
      if (e.key === 'Enter') {
        clearTimeout(searchTimer);
        runSearch(true);
      } else if (e.key === 'Escape') {
        input.value = '';
        clear($('search-results'));
      }
    });
  }

  function runSearch(pickFirst) {
    var q = $('search').value.trim();
    var out = $('search-results');
    var seq = ++searchSeq;
    if (searchAbort) searchAbort.abort();
    if (!q) { clear(out); return; }
    searchAbort = new AbortController();
    var url = API + 'cities/items?' + new URLSearchParams({
      q: q, limit: '12', skipGeometry: 'true',
      properties: 'name_en,name_zh,name_ja,country,region_name,level,partners'
    }).toString();
    fetchJSON(url, searchAbort.signal).then(function (j) {
      if (seq !== searchSeq) return;
      clear(out);
      var feats = j.features || [];
      if (!feats.length) { out.appendChild(el('li', { class: 'none', text: 'No place matches.' })); return; }
      feats.forEach(function (f) {
        var p = f.properties;
        var names = [p.name_zh, p.name_ja].filter(function (s, i, a) { return s && a.indexOf(s) === i; }).join(' · ');
        out.appendChild(el('li', null, [el('button', {
          type: 'button', class: 'result', 'data-id': f.id,
          onclick: function () { clear(out); selectCity(f.id, true); }
        }, [
          el('span', { class: 'swatch', style: 'background:' + countryColour(p.country) }),
          el('span', { class: 'r-name', text: p.name_en }),
          names ? el('span', { class: 'r-alt', text: names }) : null,
          el('span', { class: 'r-where', text: [p.region_name, countryName(p.country)].filter(Boolean).join(', ') })
        ])]));
      });
      if ((j.numberMatched || 0) > feats.length)
        out.appendChild(el('li', { class: 'none', text: (j.numberMatched - feats.length) + ' more; type more of the name.' }));
      if (pickFirst === true) { clear(out); selectCity(feats[0].id, true); }
    }).catch(function (e) {
      if (e.name !== 'AbortError') showError('Search failed: ' + e.message);
    });
  }

  // ---------------------------------------------------------------- details

  function dl(rows) {
    var d = el('dl');
    rows.forEach(function (r) {
      if (r[1] === null || r[1] === undefined || r[1] === '') return;
      d.appendChild(el('dt', { text: r[0] }));
      d.appendChild(el('dd', null, [r[1]]));
    });
    return d;
  }

  /* A source as text, its http(s) URLs as links (each made with textContent and href). */
  function sourceNode(s) {
    if (!s) return null;
    var span = el('span');
    String(s).split(/(https?:\/\/[^\s;,)]+)/).forEach(function (part) {
      if (!part) return;
      span.appendChild(isHttpUrl(part)
        ? el('a', { href: part, rel: 'noopener noreferrer', target: '_blank', text: part })
        : document.createTextNode(part));
    });
    return span;
  }

  var detailSeq = 0;
  function selectCity(id, pan) {
    state.city = id;
    state.link = null;
    restyle();
    writeUrl();
    var seq = ++detailSeq;
    var box = clear($('details'));
    box.setAttribute('data-city', id);
    box.removeAttribute('data-link');
    var known = cityById[id];
    var cityP = known ? Promise.resolve(known) : fetchJSON(API + 'cities/items/' + encodeURIComponent(id));
    cityP.then(function (f) {
      if (seq !== detailSeq) return;
      var p = f.properties;
      if (pan && f.geometry && f.geometry.type === 'Point') {
        // The place and the links of it on the map now; the place alone if it has none.
        var b = L.latLngBounds([ll(f.geometry.coordinates)]);
        links.forEach(function (l) {
          var line = linkLayer[l.id];
          if (line && layers.links.hasLayer(line) && (l.properties.cn_city === id || l.properties.jp_city === id))
            b.extend(line.getBounds());
        });
        if (b.getNorthEast().equals(b.getSouthWest())) map.setView(b.getCenter(), Math.max(map.getZoom(), 6));
        else map.fitBounds(b, { padding: [40, 40], maxZoom: 7 });
      }
      box.appendChild(closeButton());
      box.appendChild(el('h2', null, [
        el('span', { class: 'swatch', style: 'background:' + countryColour(p.country) }), p.name_en]));
      box.appendChild(dl([
        ['English', p.name_en || '—'], ['中文', p.name_zh || '—'], ['日本語', p.name_ja || '—'],
        ['Local', p.name_local],
        ['Region', p.region_name], ['Country', countryName(p.country)], ['Level', p.level],
        ['Population', p.population ? Number(p.population).toLocaleString('en') : null],
        ['Placed', f.geometry ? null : 'no coordinates: not on the map'],
        ['Source', sourceNode(p.source)]
      ]));
      var roles = members.filter(function (m) { return m.properties.city === id; });
      if (roles.length) {
        box.appendChild(el('h3', { text: 'Kitakyushu Initiative' }));
        box.appendChild(el('ul', { class: 'plain' }, roles.map(function (m) {
          return el('li', { text: (m.properties.role || 'member') + (m.properties.since ? ' since ' + m.properties.since : '') });
        })));
      }
      var h = el('h3', { text: 'Partners' });
      var list = el('ul', { id: 'partners', class: 'partners' }, [el('li', { class: 'none', text: 'Loading…' })]);
      box.appendChild(h);
      box.appendChild(list);
      var url = API + 'partnerships/items?' + new URLSearchParams({ city: id, limit: '1000', skipGeometry: 'true' }).toString();
      return fetchAll(url).then(function (feats) {
        if (seq !== detailSeq) return;
        clear(list);
        h.textContent = 'Partners (' + feats.length + ')';
        if (!feats.length) list.appendChild(el('li', { class: 'none', text: 'No partnership on record.' }));
        feats.sort(function (a, b) {
          var ya = yearOf(a.properties.established), yb = yearOf(b.properties.established);
          return (ya === null ? 1e4 : ya) - (yb === null ? 1e4 : yb) || (a.id < b.id ? -1 : 1);
        });
        feats.forEach(function (l) {
          var q = l.properties;
          var cnSide = q.cn_city === id;
          var other = cnSide ? [q.jp_name_en, q.jp_name_ja] : [q.cn_name_en, q.cn_name_zh];
          var y = yearOf(q.established);
          list.appendChild(el('li', null, [el('button', {
            type: 'button', class: 'partner', 'data-link': l.id,
            onclick: function () { selectLink(l.id, true); }
          }, [
            el('span', { class: 'p-name', text: other[0] || '' }),
            other[1] ? el('span', { class: 'p-alt', text: other[1] }) : null,
            el('span', { class: 'p-kind', text: q.kind }),
            el('span', { class: 'p-year', text: y === null ? 'undated' : String(y) }),
            linkLayer[l.id] ? null : el('span', { class: 'p-off', text: 'not on the map' })
          ])]));
        });
      });
    }).catch(function (e) { if (seq === detailSeq) showError('Place ' + id + ': ' + e.message); });
  }

  function selectLink(id, pan) {
    state.link = id;
    state.city = null;
    restyle();
    writeUrl();
    var seq = ++detailSeq;
    var box = clear($('details'));
    box.setAttribute('data-link', id);
    box.removeAttribute('data-city');
    var known = linkById[id];
    var p0 = known ? Promise.resolve(known)
      : fetchJSON(API + 'partnerships/items/' + encodeURIComponent(id) + '?geometry=geodesic');
    p0.then(function (f) {
      if (seq !== detailSeq) return;
      var p = f.properties;
      var line = linkLayer[id];
      if (pan && line && layers.links.hasLayer(line)) map.fitBounds(line.getBounds(), { padding: [40, 40], maxZoom: 7 });
      var end = function (cid, en, alt) {
        return el('button', { type: 'button', class: 'link-end', onclick: function () { selectCity(cid, true); } },
          [el('span', { class: 'p-name', text: en || cid }), alt ? el('span', { class: 'p-alt', text: alt }) : null]);
      };
      box.appendChild(closeButton());
      box.appendChild(el('h2', { text: (p.cn_name_en || p.cn_city) + ' — ' + (p.jp_name_en || p.jp_city) }));
      var date = p.established ? p.established + (p.established_marks ? ' (' + p.established_marks + ')' : '') : 'unknown';
      box.appendChild(dl([
        ['China', end(p.cn_city, p.cn_name_en, p.cn_name_zh)],
        ['Japan', end(p.jp_city, p.jp_name_en, p.jp_name_ja)],
        ['Kind', p.kind], ['Level', p.level], ['Established', date],
        ['Distance', p.distance_km !== null && p.distance_km !== undefined
          ? Number(p.distance_km).toLocaleString('en', { maximumFractionDigits: 1 }) + ' km' : null],
        ['On the map', f.geometry ? null : 'no: an end has no coordinates'],
        ['Source', sourceNode(p.source)], ['Verification', p.verification], ['Notes', p.notes]
      ]));
      if (state.year !== null && !linkPasses(p))
        box.appendChild(el('p', { class: 'hint', text: 'This link is hidden by the chosen year or filters.' }));
    }).catch(function (e) { if (seq === detailSeq) showError('Link ' + id + ': ' + e.message); });
  }

  function showRecord(kind, f) {
    state.city = null;
    state.link = null;
    restyle();
    writeUrl();
    ++detailSeq;
    var p = f.properties;
    var box = clear($('details'));
    box.removeAttribute('data-city');
    box.removeAttribute('data-link');
    var rows;
    box.appendChild(closeButton());
    if (kind === 'member') {
      box.appendChild(el('h2', { text: (p.city_name || p.city) + ' — Kitakyushu Initiative' }));
      rows = [['Role', p.role], ['Since', p.since], ['Country', countryName(p.country)], ['Evidence', p.evidence]];
    } else if (kind === 'pilot') {
      box.appendChild(el('h2', { text: 'Pilot site: ' + (p.city_name || p.city) }));
      rows = [['Title', p.title], ['Theme', p.theme], ['Category', p.category],
        ['Period', [p.period_start, p.period_end].filter(Boolean).join(' – ')], ['Status', p.status],
        ['Country', countryName(p.country)], ['Details', p.details]];
    } else {
      box.appendChild(el('h2', { text: p.title }));
      rows = [['Type', p.type], ['Dates', [p.start_date, p.end_date].filter(Boolean).join(' – ')],
        ['Host', p.host_name], ['Country', countryName(p.country)], ['Participants', p.participants]];
    }
    rows.push(['Source', sourceNode(p.source)], ['Verification', p.verification], ['Notes', p.notes]);
    box.appendChild(dl(rows));
    var cid = p.city || p.host_city;
    if (cid && cityById[cid])
      box.appendChild(el('button', { type: 'button', class: 'link-end', onclick: function () { selectCity(cid, true); } },
        ['Show ' + (cityById[cid].properties.name_en || cid) + ' and its partners']));
  }

  function closeButton() {
    return el('button', { type: 'button', class: 'close', title: 'Close', 'aria-label': 'Close',
      onclick: function () { clearSelection(true); } }, ['×']);
  }

  function clearSelection(always) {
    if (!state.city && !state.link && always !== true) return;
    state.city = null;
    state.link = null;
    ++detailSeq;
    var box = clear($('details'));
    box.removeAttribute('data-city');
    box.removeAttribute('data-link');
    box.appendChild(el('p', { class: 'hint', text: 'Click a place or a link on the map.' }));
    restyle();
    writeUrl();
  }

  // ---------------------------------------------------------------- legend and layer control

  function addControls(base) {
    var osm = L.tileLayer('https://tile.openstreetmap.org/{z}/{x}/{y}.png', {
      maxZoom: 19,
      attribution: '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
    });
    var bases = { 'Natural Earth (offline)': base, 'OpenStreetMap tiles (online)': osm };
    var names = {
      cities: 'Partner cities', links: 'Partnerships (great-circle arcs)', members: 'Initiative members',
      pilots: 'Pilot sites', events: 'Events'
    };
    var overlays = {};
    OVERLAYS.forEach(function (k) { overlays[names[k]] = layers[k]; });
    (state.base === 'osm' ? osm : base).addTo(map);
    OVERLAYS.forEach(function (k) { if (state.layers.indexOf(k) >= 0) layers[k].addTo(map); });
    L.control.layers(bases, overlays, { collapsed: false, position: 'topright' }).addTo(map);
    map.on('overlayadd overlayremove', function () {
      state.layers = OVERLAYS.filter(function (k) { return map.hasLayer(layers[k]); });
      writeUrl();
    });
    map.on('baselayerchange', function (e) {
      state.base = e.layer === osm ? 'osm' : 'ne';
      writeUrl();
    });
    L.control.scale({ imperial: false }).addTo(map);

    var legend = L.control({ position: 'bottomright' });
    legend.onAdd = function () {
      var box = el('div', { class: 'pm-legend' });
      var used = {};
      cities.forEach(function (f) { if (f.geometry) used[f.properties.country] = true; });
      var grid = el('div', { class: 'pm-legend-countries' });
      Object.keys(colourOf).filter(function (c) { return used[c]; }).forEach(function (c) {
        grid.appendChild(el('div', { title: countryName(c) }, [el('span', { class: 'swatch', style: 'background:' + countryColour(c) }),
          countryName(c)]));
      });
      box.appendChild(grid);
      box.appendChild(el('div', null, [el('span', { class: 'sym-link' }), 'partnership']));
      box.appendChild(el('div', null, [el('span', { class: 'sym-member' }), 'initiative member']));
      box.appendChild(el('div', null, [el('span', { class: 'sym-pilot' }), 'pilot site']));
      box.appendChild(el('div', null, [el('span', { class: 'sym-event' }), 'event']));
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    legend.addTo(map);
  }

  // ---------------------------------------------------------------- start

  function start() {
    readUrl();
    makeMap();
    setupSearch();
    map.on('moveend', writeUrl);
    map.on('click', function () { clearSelection(false); });
    var basemap = fetchJSON('vendor/countries-50m.json').then(basemapLayers);
    var q = '?limit=10000';
    Promise.all([
      basemap,
      fetchAll(API + 'cities/items' + q),
      fetchAll(API + 'partnerships/items' + q + '&geometry=geodesic'),
      fetchAll(API + 'memberships/items' + q),
      fetchAll(API + 'pilot-sites/items' + q),
      fetchAll(API + 'events/items' + q)
    ]).then(function (r) {
      cities = r[1]; links = r[2]; members = r[3]; pilots = r[4]; events = r[5];
      cities.forEach(function (f) { cityById[f.id] = f; });
      links.forEach(function (f) { linkById[f.id] = f; });
      buildControls();
      buildLayers();
      addControls(r[0]);
      applyFilters();
      loadChart();
      if (state.city) selectCity(state.city, false);
      else if (state.link) selectLink(state.link, false);
      writeUrlNow();
      $('map').setAttribute('data-ready', 'true');
    }).catch(function (e) {
      showError('The map could not be loaded: ' + e.message);
      $('map').setAttribute('data-ready', 'error');
    });
  }

  window.partnermapViewer = { state: state, get map() { return map; } };
  start();
})();
