-- Moves the checked CSV rows (TEMP tables csv_*) into the tables of sql/schema.sql.
--
-- Runs only after every query of sql/checks.sql came back empty, inside the load's one
-- transaction. Places without coordinates are geocoded here from the gazetteer (by GeoNames
-- id, else by the single name match that sql/checks.sql made sure of); geometries, their
-- GeoJSON text and the first and last day of each partial date are computed once, here, so
-- that serving does no such work.

INSERT INTO countries (code, name_en, name_local, bounds_wkt, source)
SELECT code, name_en, name_local, bounds_wkt, source FROM csv_countries ORDER BY line;

INSERT INTO regions (id, country, admin1, name_en, name_local, seat_geonames_id, source)
SELECT id, country, admin1, name_en, name_local, CAST(seat_geonames_id AS INTEGER), source
FROM csv_regions ORDER BY line;

INSERT INTO gazetteer (geonames_id, name, name_zh, name_ja, country, admin1, feature_code,
                       population, lon, lat)
SELECT CAST(geonames_id AS INTEGER), name, name_zh, name_ja, country, admin1, feature_code,
       CAST(population AS INTEGER), CAST(lon AS REAL), CAST(lat AS REAL)
FROM csv_gazetteer ORDER BY line;

-- How many affiliations each city takes part in, counted in a hash table (pm_count_keys,
-- store/spatialite/load.c) and read back by pm_key_count(id).
SELECT pm_count_keys('SELECT cn_city FROM csv_partnerships
                      UNION ALL SELECT jp_city FROM csv_partnerships');

-- Each table is written in id order, so that its rowids follow its ids: the spatial index
-- below carries the rowid as a third dimension, and a bbox query finds the first features by
-- id from it without sorting every feature in the box (store/spatialite/items.c). Geometry,
-- GeoJSON, distances and partner counts are computed in the same pass as the rows, and the
-- names the collection views show of a row's region or partners are copied into it, so that
-- reading a feature is one row (sql/collections.sql).
INSERT INTO cities (id, country, region, level, name_en, name_zh, name_ja, name_local,
                    geonames_id, population, geocode_method, geocode_confidence, source,
                    verification, notes, lon, lat, geom, geojson, partners, region_name)
SELECT id, country, region, level, name_en, name_zh, name_ja, name_local, geonames_id,
       population, geocode_method, geocode_confidence, source, verification, notes, lon, lat,
       geom, AsGeoJSON(geom, 6), pm_key_count(id),
       (SELECT name_en FROM regions WHERE regions.id = region)
FROM (
-- Not flattened into the statement above (SQLite does not flatten a subquery with an
-- OFFSET), so that the point is made once though used twice.
SELECT *, MakePoint(lon, lat, 4326) AS geom
FROM (
SELECT c.id, c.country, c.region, c.level, c.name_en, c.name_zh, c.name_ja, c.name_local,
       coalesce(CAST(c.geonames_id AS INTEGER), n.geonames_id) AS geonames_id,
       coalesce(CAST(c.population AS INTEGER), g.population, gn.population) AS population,
       CASE WHEN c.geocode_method IS NOT NULL THEN c.geocode_method
            WHEN c.lon IS NOT NULL THEN 'source'
            WHEN c.geonames_id IS NOT NULL THEN 'gazetteer-id'
            ELSE 'gazetteer-name' END AS geocode_method,
       c.geocode_confidence, c.source, c.verification, c.notes,
       CASE WHEN c.geocode_method IS 'unplaced' THEN NULL
            ELSE coalesce(CAST(c.lon AS REAL), g.lon, gn.lon) END AS lon,
       CASE WHEN c.geocode_method IS 'unplaced' THEN NULL
            ELSE coalesce(CAST(c.lat AS REAL), g.lat, gn.lat) END AS lat
FROM csv_cities c
LEFT JOIN gazetteer g ON c.lon IS NULL AND g.geonames_id = CAST(c.geonames_id AS INTEGER)
LEFT JOIN csv_name_candidates n ON n.line = c.line
LEFT JOIN gazetteer gn ON gn.geonames_id = CAST(n.geonames_id AS INTEGER)
)
LIMIT -1 OFFSET 0
)
ORDER BY id;

INSERT INTO partnerships (id, cn_city, jp_city, kind, level, established, established_marks,
                          established_first, established_last, source, verification, notes,
                          geom, geojson, distance_km, cn_name_en, cn_name_zh, cn_region,
                          jp_name_en, jp_name_ja, jp_region)
SELECT id, cn_city, jp_city, kind, level, established, established_marks,
       pm_date_first(established), pm_date_last(established), source, verification, notes,
       geom, AsGeoJSON(geom, 6), round(pm_geodesic_m(cn_lon, cn_lat, jp_lon, jp_lat) / 1000.0, 3),
       cn_name_en, cn_name_zh, cn_region, jp_name_en, jp_name_ja, jp_region
FROM (
-- Not flattened (its OFFSET), so that the line is made once though used twice.
SELECT p.id, p.cn_city, p.jp_city, p.kind, p.level, p.established, p.established_marks,
       p.source, p.verification, p.notes, MakeLine(cn.geom, jp.geom) AS geom,
       cn.lon AS cn_lon, cn.lat AS cn_lat, jp.lon AS jp_lon, jp.lat AS jp_lat,
       cn.name_en AS cn_name_en, cn.name_zh AS cn_name_zh, cn.region AS cn_region,
       jp.name_en AS jp_name_en, jp.name_ja AS jp_name_ja, jp.region AS jp_region
FROM csv_partnerships p JOIN cities cn ON cn.id = p.cn_city JOIN cities jp ON jp.id = p.jp_city
LIMIT -1 OFFSET 0
)
ORDER BY id;
CREATE UNIQUE INDEX partnerships_pair ON partnerships (cn_city, jp_city);
CREATE INDEX partnerships_jp ON partnerships (jp_city);

INSERT INTO initiatives (id, name, adopted, venue_city, url, source, verification, notes)
SELECT id, name, adopted, venue_city, url, source, verification, notes
FROM csv_initiatives ORDER BY line;

INSERT INTO memberships (id, initiative, city, role, since, since_first, since_last, evidence,
                         source, verification, notes, geom, geojson)
SELECT m.id, m.initiative, m.city, m.role, m.since, pm_date_first(m.since),
       pm_date_last(m.since), m.evidence, m.source, m.verification, m.notes, c.geom, c.geojson
FROM csv_memberships m JOIN cities c ON c.id = m.city ORDER BY m.id;

INSERT INTO pilot_activities (id, initiative, city, category, theme, title, period_start,
                              period_end, period_first, period_last, status, details, source,
                              verification, notes, geom, geojson)
SELECT p.id, p.initiative, p.city, p.category, p.theme, p.title, p.period_start, p.period_end,
       pm_date_first(p.period_start), pm_date_last(coalesce(p.period_end, p.period_start)),
       p.status, p.details, p.source, p.verification, p.notes, c.geom, c.geojson
FROM csv_pilot_activities p JOIN cities c ON c.id = p.city ORDER BY p.id;

INSERT INTO events (id, initiative, title, type, start_date, end_date, date_first, date_last,
                    host_city, participants, source, verification, notes, geom, geojson)
SELECT e.id, e.initiative, e.title, e.type, e.start_date, e.end_date,
       pm_date_first(e.start_date), pm_date_last(coalesce(e.end_date, e.start_date)),
       e.host_city, e.participants, e.source, e.verification, e.notes, c.geom, c.geojson
FROM csv_events e LEFT JOIN cities c ON c.id = e.host_city ORDER BY e.id;

-- The spatial index of each table, idx_<table>_geom: an R*Tree of each geometry's extent,
-- packed (pm_rtree_pack, store/spatialite/load.c) from the entries in the Z-order of their
-- centres (the key pm_morton3 gives, the first column), so that its nodes stay small.
-- Each table has a second one, idx_<table>_rid, whose third dimension is the rowid
-- (rmin = rmax = rowid, exact as a 32-bit float up to 16,777,216 rows): walked best first
-- by least rowid (pm_walk, store/spatialite/rtree.c), it gives the features of a box in id
-- order (store/spatialite/items.c); packed in the Z-order of (lon, lat, rowid) of the extent's
-- centre. Searched by box alone a 3-D tree reads more nodes than a 2-D one, hence the two.
-- A line is a segment between two places; in idx_partnerships_rid its entry's id is
-- 2 * rowid + 1 if it rises from west to east, 2 * rowid if it falls, so that its box and
-- that bit give the segment itself, and the walk tests it without reading its row. That
-- tree is packed in rowid order: a China-Japan link's extent spans the sea, so no spatial
-- order would let a box skip many nodes, while in rowid order the walk reads leaves in the
-- order it needs them (at 1M, a 0.1-degree box: 330 ms in Z-order, 25 ms so, when measured
-- with the rowid windows the walk replaced).
CREATE TEMP TABLE extent (t TEXT PRIMARY KEY, x0 REAL, dx REAL, y0 REAL, dy REAL, nr REAL);
-- temp.boxes is keyed by (table, rowid), so that each tree reads only its table's boxes.
-- For a line, up: whether it rises from west to east (pm_segment_rising).
CREATE TEMP TABLE boxes (t TEXT, r INTEGER, x0 REAL, x1 REAL, y0 REAL, y1 REAL, up INTEGER,
                         PRIMARY KEY (t, r)) WITHOUT ROWID;
INSERT INTO temp.boxes
SELECT 'cities', rowid, lon, lon, lat, lat, NULL FROM cities WHERE geom IS NOT NULL;
INSERT INTO temp.boxes
SELECT 'partnerships', rowid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom),
       pm_segment_rising(geom)
FROM partnerships WHERE geom IS NOT NULL;
INSERT INTO temp.boxes
SELECT 'memberships', rowid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom), NULL
FROM memberships WHERE geom IS NOT NULL;
INSERT INTO temp.boxes
SELECT 'pilot_activities', rowid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom), NULL
FROM pilot_activities WHERE geom IS NOT NULL;
INSERT INTO temp.boxes
SELECT 'events', rowid, MbrMinX(geom), MbrMaxX(geom), MbrMinY(geom), MbrMaxY(geom), NULL
FROM events WHERE geom IS NOT NULL;
INSERT INTO temp.extent
SELECT t, min(x0 + x1) / 2, (max(x0 + x1) - min(x0 + x1)) / 2 + 1e-9, min(y0 + y1) / 2,
       (max(y0 + y1) - min(y0 + y1)) / 2 + 1e-9, max(r) + 1.0
FROM temp.boxes GROUP BY t;
CREATE VIRTUAL TABLE idx_cities_geom USING rtree(pkid, xmin, xmax, ymin, ymax);
CREATE VIRTUAL TABLE idx_cities_rid USING rtree(pkid, xmin, xmax, ymin, ymax, rmin, rmax);
CREATE VIRTUAL TABLE idx_partnerships_geom USING rtree(pkid, xmin, xmax, ymin, ymax);
CREATE VIRTUAL TABLE idx_partnerships_rid USING rtree(pkid, xmin, xmax, ymin, ymax, rmin, rmax);
CREATE VIRTUAL TABLE idx_memberships_geom USING rtree(pkid, xmin, xmax, ymin, ymax);
CREATE VIRTUAL TABLE idx_memberships_rid USING rtree(pkid, xmin, xmax, ymin, ymax, rmin, rmax);
CREATE VIRTUAL TABLE idx_pilot_activities_geom USING rtree(pkid, xmin, xmax, ymin, ymax);
CREATE VIRTUAL TABLE idx_pilot_activities_rid USING rtree(pkid, xmin, xmax, ymin, ymax, rmin, rmax);
CREATE VIRTUAL TABLE idx_events_geom USING rtree(pkid, xmin, xmax, ymin, ymax);
CREATE VIRTUAL TABLE idx_events_rid USING rtree(pkid, xmin, xmax, ymin, ymax, rmin, rmax);
-- Each table with geometries (a row of temp.extent; a table without any keeps its trees
-- empty, as created): its 2-D tree, then its 3-D one, of points in Z-order, of lines in
-- rowid order with the rising bit in the id.
SELECT pm_rtree_pack('idx_' || t || '_geom', 2,
    'SELECT pm_morton3(((b.x0 + b.x1) / 2 - e.x0) / e.dx, ((b.y0 + b.y1) / 2 - e.y0) / e.dy, 0),
            b.r, b.x0, b.x1, b.y0, b.y1
     FROM temp.boxes b JOIN temp.extent e ON e.t = b.t WHERE b.t = ' || quote(t))
FROM temp.extent;
SELECT pm_rtree_pack('idx_' || t || '_rid', 3,
    CASE WHEN t = 'partnerships' THEN 'SELECT b.r, 2 * b.r + b.up'
         ELSE 'SELECT pm_morton3((b.x0 - e.x0) / e.dx, (b.y0 - e.y0) / e.dy, b.r / e.nr), b.r' END
    || ', b.x0, b.x1, b.y0, b.y1, b.r, b.r
     FROM temp.boxes b JOIN temp.extent e ON e.t = b.t WHERE b.t = ' || quote(t))
FROM temp.extent;
DROP TABLE temp.boxes;

-- A city's names once, in a TEMP table keyed by id (read back from an FTS5 table by rowid
-- they cost more than building them). FTS5 is filled in rowid order: out of order it
-- costs five times as much. Its segments are merged once at the end ('optimize') rather
-- than as they come (automerge, crisismerge): 6.0 s -> 4.7 s for 1M cities.
CREATE TEMP TABLE city_names (id TEXT PRIMARY KEY, names TEXT NOT NULL);
INSERT INTO temp.city_names (id, names)
SELECT id, '|' || pm_casei(pm_accenti(name_en)) || '|' || coalesce(name_zh, '') || '|'
       || coalesce(name_ja, '') || '|' || coalesce(pm_casei(pm_accenti(name_local)), '') || '|'
       || replace(substr(id, 4), '-', ' ') || '|'
FROM cities ORDER BY id;
INSERT INTO fts_cities (fts_cities, rank) VALUES ('automerge', 0);
INSERT INTO fts_cities (fts_cities, rank) VALUES ('crisismerge', 2000);
INSERT INTO fts_cities (rowid, names)
SELECT c.rowid, n.names FROM cities c JOIN temp.city_names n ON n.id = c.id ORDER BY c.rowid;
INSERT INTO fts_cities (fts_cities) VALUES ('optimize');
INSERT INTO fts_cities (fts_cities, rank) VALUES ('automerge', 4); -- FTS5's defaults again
INSERT INTO fts_cities (fts_cities, rank) VALUES ('crisismerge', 16);
INSERT INTO fts_memberships (rowid, names)
SELECT m.rowid, n.names FROM memberships m JOIN temp.city_names n ON n.id = m.city;
INSERT INTO fts_pilot_activities (rowid, names)
SELECT p.rowid, n.names || pm_casei(pm_accenti(p.title)) || '|' FROM pilot_activities p
JOIN temp.city_names n ON n.id = p.city;
INSERT INTO fts_events (rowid, names)
SELECT e.rowid, coalesce(n.names, '|') || pm_casei(pm_accenti(e.title)) || '|' FROM events e
LEFT JOIN temp.city_names n ON n.id = e.host_city;
