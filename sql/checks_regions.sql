-- Checks on the CSV rows that run only once sql/checks.sql found nothing: they rely on its
-- rules (lon/lat are numbers and come together, regions exist and have the city's country).
-- Like sql/checks.sql, every statement that returns (file, line, column, message) is a check.
--
-- A point taken from a source other than the gazetteer (its lon/lat in cities.csv) must lie
-- within 60 km of its region's seat or of one of its region's gazetteer places, that is
-- within the region's settled area give or take a county. (A point taken from the gazetteer
-- is checked against its region by sql/checks_after.sql.) Distances are geodesic
-- (pm_geodesic_m: PROJ's geodesic routines on the WGS84 ellipsoid, in metres).
--
-- The gazetteer's places as numbers, indexed for the window below; the window before the
-- geodesic test only saves work: 60 km is less than 0.55 degrees of latitude anywhere, and
-- than 1.5 degrees of longitude up to 69 degrees north.
CREATE TEMP TABLE places (geonames_id INTEGER PRIMARY KEY, country TEXT, admin1 TEXT,
                          lon REAL, lat REAL);
INSERT OR IGNORE INTO temp.places
SELECT CAST(geonames_id AS INTEGER), country, admin1, CAST(lon AS REAL), CAST(lat AS REAL)
FROM csv_gazetteer;
CREATE INDEX temp.places_region ON places (country, admin1, lat);

SELECT 'cities.csv', c.line, 'lon',
       'the point (' || CAST(c.lon AS REAL) || ' ' || CAST(c.lat AS REAL) || ') of ' || c.id
       || ' is more than 60 km from the seat and from every gazetteer place of its region ' || r.id
FROM csv_cities c JOIN csv_regions r ON r.id = c.region
WHERE c.lon IS NOT NULL
  AND NOT EXISTS (
      SELECT 1 FROM temp.places s
      WHERE s.geonames_id = CAST(r.seat_geonames_id AS INTEGER)
        AND pm_geodesic_m(CAST(c.lon AS REAL), CAST(c.lat AS REAL), s.lon, s.lat) <= 60000)
  AND NOT EXISTS (
      SELECT 1 FROM temp.places g
      WHERE g.country = c.country AND g.admin1 IS r.admin1
        AND g.lat BETWEEN CAST(c.lat AS REAL) - 0.55 AND CAST(c.lat AS REAL) + 0.55
        AND g.lon BETWEEN CAST(c.lon AS REAL) - 1.5 AND CAST(c.lon AS REAL) + 1.5
        AND pm_geodesic_m(CAST(c.lon AS REAL), CAST(c.lat AS REAL), g.lon, g.lat) <= 60000);
