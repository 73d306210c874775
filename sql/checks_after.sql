-- Checks on the loaded tables, after sql/load.sql: where the places ended up.
--
-- Like sql/checks.sql, every statement is a SELECT returning (file, line, column, message)
-- per problem; the line comes from the TEMP csv_* tables the rows were read from. Any row
-- fails the load.

-- A country's bounds, when countries.csv gives them, are a valid polygon.
SELECT 'countries.csv', c.line, 'bounds_wkt', 'not a valid POLYGON in WKT (lon lat)'
FROM countries k JOIN csv_countries c ON c.code = k.code
WHERE k.bounds_wkt IS NOT NULL
  AND (coalesce(GeometryType(GeomFromText(k.bounds_wkt, 4326)), '') <> 'POLYGON'
       OR coalesce(IsValid(GeomFromText(k.bounds_wkt, 4326)), 0) <> 1);

-- China and Japan, the two countries whose places are partners, must have bounds.
SELECT 'countries.csv', coalesce(c.line, 1), 'bounds_wkt',
       k.code || ' needs bounds_wkt: its points are checked against it'
FROM countries k LEFT JOIN csv_countries c ON c.code = k.code
WHERE k.code IN ('CN', 'JP') AND k.bounds_wkt IS NULL;

-- Every placed point lies inside its country's bounds: a coarse polygon drawn round China
-- (without Taiwan and the Korean peninsula) and one round Japan (see geodata/README.md).
SELECT 'cities.csv', c.line, CASE WHEN c.lon IS NULL THEN 'geonames_id' ELSE 'lon' END,
       'the point (' || p.lon || ' ' || p.lat || ') of ' || p.id || ' is not in '
       || k.name_en || ' (outside countries.bounds_wkt of ' || k.code || ')'
FROM cities p JOIN csv_cities c ON c.id = p.id JOIN countries k ON k.code = p.country
WHERE p.geom IS NOT NULL AND k.bounds_wkt IS NOT NULL
  AND pm_in_polygon(p.lon, p.lat, k.bounds_wkt) IS NOT 1;

-- A region's seat is a gazetteer place of that region (its PPLA or PPLC).
SELECT 'regions.csv', c.line, 'seat_geonames_id',
       CASE WHEN g.geonames_id IS NULL THEN 'GeoNames id ' || r.seat_geonames_id || ' is not in gazetteer.csv'
            ELSE 'the seat ' || g.name || ' is in admin1 ' || coalesce(g.admin1, '?') || ' of '
                 || g.country || ', not ' || coalesce(r.admin1, '?') || ' of ' || r.country END
FROM regions r JOIN csv_regions c ON c.id = r.id
LEFT JOIN gazetteer g ON g.geonames_id = r.seat_geonames_id
WHERE r.seat_geonames_id IS NOT NULL
  AND (g.geonames_id IS NULL OR g.country IS NOT r.country OR g.admin1 IS NOT r.admin1);

-- A province, autonomous region, municipality or prefecture placed at its seat is placed at
-- its region's seat.
SELECT 'cities.csv', c.line, 'geonames_id',
       p.id || ' is placed at GeoNames ' || p.geonames_id || ', but the seat of its region '
       || r.id || ' is ' || r.seat_geonames_id
FROM cities p JOIN csv_cities c ON c.id = p.id JOIN regions r ON r.id = p.region
WHERE p.level IN ('province', 'autonomous-region', 'municipality', 'prefecture')
  AND p.geocode_method = 'seat' AND r.seat_geonames_id IS NOT NULL
  AND p.geonames_id IS NOT r.seat_geonames_id;

-- A point taken from the gazetteer must be a gazetteer place of its region's admin1. (A
-- point taken from another source is checked against its region by sql/checks_regions.sql.)
SELECT 'cities.csv', c.line, 'region',
       'the point of ' || p.id || ' is the gazetteer place ' || g.name || ' (' || g.geonames_id
       || ') of admin1 ' || coalesce(g.admin1, '?') || ', but its region ' || r.id
       || ' is admin1 ' || coalesce(r.admin1, '?')
FROM cities p JOIN csv_cities c ON c.id = p.id JOIN regions r ON r.id = p.region
JOIN gazetteer g ON g.geonames_id = p.geonames_id
WHERE p.geom IS NOT NULL AND c.lon IS NULL AND g.admin1 IS NOT r.admin1;

-- An affiliation whose two ends are placed has its line.
SELECT 'partnerships.csv', c.line, 'id', 'no line was drawn for ' || p.id
FROM partnerships p JOIN csv_partnerships c ON c.id = p.id
JOIN cities cn ON cn.id = p.cn_city JOIN cities jp ON jp.id = p.jp_city
WHERE cn.geom IS NOT NULL AND jp.geom IS NOT NULL AND p.geom IS NULL;

-- Every table is written in id order, so that rowid order is id order: a box query
-- (store/spatialite/items.c) finds the first features by id by walking the spatial index in
-- rowid order.
SELECT t || '.csv', 0, 'id', 'the rows of ' || t || ' are not in id order: ' || a || ' before ' || b
FROM (SELECT 'cities' AS t, x.id AS a, y.id AS b FROM cities x JOIN cities y ON y.rowid = x.rowid + 1
      WHERE y.id <= x.id
      UNION ALL SELECT 'partnerships', x.id, y.id FROM partnerships x
      JOIN partnerships y ON y.rowid = x.rowid + 1 WHERE y.id <= x.id
      UNION ALL SELECT 'memberships', x.id, y.id FROM memberships x
      JOIN memberships y ON y.rowid = x.rowid + 1 WHERE y.id <= x.id
      UNION ALL SELECT 'pilot_activities', x.id, y.id FROM pilot_activities x
      JOIN pilot_activities y ON y.rowid = x.rowid + 1 WHERE y.id <= x.id
      UNION ALL SELECT 'events', x.id, y.id FROM events x
      JOIN events y ON y.rowid = x.rowid + 1 WHERE y.id <= x.id)
LIMIT 1;

-- Every geometry is of its column's type in WGS 84, and the columns are registered as
-- SpatiaLite geometry columns (sql/schema.sql creates them as plain BLOBs).
SELECT t || '.csv', 0, 'geom', 'a geometry of ' || t || ' is not a ' || ty || ' in EPSG:4326'
FROM (SELECT 'cities' AS t, 'POINT' AS ty UNION ALL SELECT 'partnerships', 'LINESTRING'
      UNION ALL SELECT 'memberships', 'POINT' UNION ALL SELECT 'pilot_activities', 'POINT'
      UNION ALL SELECT 'events', 'POINT')
WHERE RecoverGeometryColumn(t, 'geom', 4326, ty, 'XY') IS NOT 1;

-- Every spatial index, packed by the loader (pm_rtree_pack), is a sound R*Tree by SQLite's
-- own check.
SELECT 'load', 0, name, 'R*Tree ' || name || ': ' || rtreecheck(name)
FROM sqlite_master
WHERE type = 'table' AND sql LIKE 'CREATE VIRTUAL TABLE%USING rtree%'
  AND rtreecheck(name) <> 'ok';
