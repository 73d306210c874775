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

INSERT INTO cities (id, country, region, level, name_en, name_zh, name_ja, name_local,
                    geonames_id, population, geocode_method, geocode_confidence, source,
                    verification, notes, lon, lat)
SELECT c.id, c.country, c.region, c.level, c.name_en, c.name_zh, c.name_ja, c.name_local,
       coalesce(CAST(c.geonames_id AS INTEGER), n.geonames_id),
       coalesce(CAST(c.population AS INTEGER), g.population, gn.population),
       CASE WHEN c.geocode_method IS NOT NULL THEN c.geocode_method
            WHEN c.lon IS NOT NULL THEN 'source'
            WHEN c.geonames_id IS NOT NULL THEN 'gazetteer-id'
            ELSE 'gazetteer-name' END,
       c.geocode_confidence, c.source, c.verification, c.notes,
       CASE WHEN c.geocode_method IS 'unplaced' THEN NULL
            ELSE coalesce(CAST(c.lon AS REAL), g.lon, gn.lon) END,
       CASE WHEN c.geocode_method IS 'unplaced' THEN NULL
            ELSE coalesce(CAST(c.lat AS REAL), g.lat, gn.lat) END
FROM csv_cities c
LEFT JOIN gazetteer g ON c.lon IS NULL AND g.geonames_id = CAST(c.geonames_id AS INTEGER)
LEFT JOIN csv_name_candidates n ON n.line = c.line
LEFT JOIN gazetteer gn ON gn.geonames_id = CAST(n.geonames_id AS INTEGER)
ORDER BY c.line;

UPDATE cities SET geom = MakePoint(lon, lat, 4326) WHERE lon IS NOT NULL;
UPDATE cities SET geojson = AsGeoJSON(geom, 6) WHERE geom IS NOT NULL;

INSERT INTO partnerships (id, cn_city, jp_city, kind, level, established, established_marks,
                          established_first, established_last, source, verification, notes)
SELECT id, cn_city, jp_city, kind, level, established, established_marks,
       pm_date_first(established), pm_date_last(established), source, verification, notes
FROM csv_partnerships ORDER BY line;

UPDATE partnerships SET geom = (
    SELECT MakeLine(cn.geom, jp.geom) FROM cities cn, cities jp
    WHERE cn.id = partnerships.cn_city AND jp.id = partnerships.jp_city);
UPDATE partnerships SET geojson = AsGeoJSON(geom, 6) WHERE geom IS NOT NULL;
UPDATE partnerships SET distance_km = (
    SELECT round(pm_geodesic_m(cn.lon, cn.lat, jp.lon, jp.lat) / 1000.0, 3)
    FROM cities cn, cities jp
    WHERE cn.id = partnerships.cn_city AND jp.id = partnerships.jp_city);
UPDATE cities SET partners = (
    SELECT count(*) FROM partnerships WHERE cn_city = cities.id OR jp_city = cities.id);

INSERT INTO initiatives (id, name, adopted, venue_city, url, source, verification, notes)
SELECT id, name, adopted, venue_city, url, source, verification, notes
FROM csv_initiatives ORDER BY line;

INSERT INTO memberships (id, initiative, city, role, since, since_first, since_last, evidence,
                         source, verification, notes, geom, geojson)
SELECT m.id, m.initiative, m.city, m.role, m.since, pm_date_first(m.since),
       pm_date_last(m.since), m.evidence, m.source, m.verification, m.notes, c.geom, c.geojson
FROM csv_memberships m JOIN cities c ON c.id = m.city ORDER BY m.line;

INSERT INTO pilot_activities (id, initiative, city, category, theme, title, period_start,
                              period_end, period_first, period_last, status, details, source,
                              verification, notes, geom, geojson)
SELECT p.id, p.initiative, p.city, p.category, p.theme, p.title, p.period_start, p.period_end,
       pm_date_first(p.period_start), pm_date_last(coalesce(p.period_end, p.period_start)),
       p.status, p.details, p.source, p.verification, p.notes, c.geom, c.geojson
FROM csv_pilot_activities p JOIN cities c ON c.id = p.city ORDER BY p.line;

INSERT INTO events (id, initiative, title, type, start_date, end_date, date_first, date_last,
                    host_city, participants, source, verification, notes, geom, geojson)
SELECT e.id, e.initiative, e.title, e.type, e.start_date, e.end_date,
       pm_date_first(e.start_date), pm_date_last(coalesce(e.end_date, e.start_date)),
       e.host_city, e.participants, e.source, e.verification, e.notes, c.geom, c.geojson
FROM csv_events e LEFT JOIN cities c ON c.id = e.host_city ORDER BY e.line;

SELECT CreateSpatialIndex('cities', 'geom');
SELECT CreateSpatialIndex('partnerships', 'geom');
SELECT CreateSpatialIndex('memberships', 'geom');
SELECT CreateSpatialIndex('pilot_activities', 'geom');
SELECT CreateSpatialIndex('events', 'geom');

-- The name index of each collection (see the fts_ tables in sql/schema.sql).
INSERT INTO fts_cities (rowid, names)
SELECT rowid, '|' || pm_casei(pm_accenti(name_en)) || '|' || coalesce(name_zh, '') || '|'
       || coalesce(name_ja, '') || '|' || coalesce(pm_casei(pm_accenti(name_local)), '') || '|'
       || replace(substr(id, 4), '-', ' ') || '|'
FROM cities;
INSERT INTO fts_partnerships (rowid, names)
SELECT p.rowid, '|' || f1.names || f2.names
FROM partnerships p
JOIN cities c1 ON c1.id = p.cn_city JOIN fts_cities f1 ON f1.rowid = c1.rowid
JOIN cities c2 ON c2.id = p.jp_city JOIN fts_cities f2 ON f2.rowid = c2.rowid;
INSERT INTO fts_memberships (rowid, names)
SELECT m.rowid, f.names FROM memberships m
JOIN cities c ON c.id = m.city JOIN fts_cities f ON f.rowid = c.rowid;
INSERT INTO fts_pilot_activities (rowid, names)
SELECT p.rowid, f.names || pm_casei(pm_accenti(p.title)) || '|' FROM pilot_activities p
JOIN cities c ON c.id = p.city JOIN fts_cities f ON f.rowid = c.rowid;
INSERT INTO fts_events (rowid, names)
SELECT e.rowid, coalesce(f.names, '|') || pm_casei(pm_accenti(e.title)) || '|' FROM events e
LEFT JOIN cities c ON c.id = e.host_city LEFT JOIN fts_cities f ON f.rowid = c.rowid;
