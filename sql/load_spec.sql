-- The CSV files `partnermap load DIR` reads, and their columns.
--
-- The loader reads DIR/<file> for every file named here, in `ord` order. Each file starts
-- with a header row; its columns may come in any order, an unknown column or a missing
-- required one is an error, a missing optional column is read as empty. Every field is
-- text; an empty field is NULL. The rows land in TEMP tables csv_<table> (one column per
-- column listed here, plus `line`, the row's line number in the file) for sql/checks.sql
-- and sql/load.sql to read.

CREATE TEMP TABLE load_columns (
    ord INTEGER NOT NULL,
    file TEXT NOT NULL,
    tbl TEXT NOT NULL,
    col TEXT NOT NULL,
    required INTEGER NOT NULL,
    PRIMARY KEY (file, col)
);

INSERT INTO load_columns (ord, file, tbl, col, required) VALUES
    (1, 'countries.csv', 'countries', 'code', 1),
    (1, 'countries.csv', 'countries', 'name_en', 1),
    (1, 'countries.csv', 'countries', 'name_local', 0),
    (1, 'countries.csv', 'countries', 'bounds_wkt', 0),
    (1, 'countries.csv', 'countries', 'source', 1),

    (2, 'regions.csv', 'regions', 'id', 1),
    (2, 'regions.csv', 'regions', 'country', 1),
    (2, 'regions.csv', 'regions', 'admin1', 0),
    (2, 'regions.csv', 'regions', 'name_en', 1),
    (2, 'regions.csv', 'regions', 'name_local', 0),
    (2, 'regions.csv', 'regions', 'seat_geonames_id', 0),
    (2, 'regions.csv', 'regions', 'source', 1),

    (3, 'gazetteer.csv', 'gazetteer', 'geonames_id', 1),
    (3, 'gazetteer.csv', 'gazetteer', 'name', 1),
    (3, 'gazetteer.csv', 'gazetteer', 'name_zh', 0),
    (3, 'gazetteer.csv', 'gazetteer', 'name_ja', 0),
    (3, 'gazetteer.csv', 'gazetteer', 'country', 1),
    (3, 'gazetteer.csv', 'gazetteer', 'admin1', 0),
    (3, 'gazetteer.csv', 'gazetteer', 'feature_code', 0),
    (3, 'gazetteer.csv', 'gazetteer', 'population', 0),
    (3, 'gazetteer.csv', 'gazetteer', 'lon', 1),
    (3, 'gazetteer.csv', 'gazetteer', 'lat', 1),

    (4, 'cities.csv', 'cities', 'id', 1),
    (4, 'cities.csv', 'cities', 'country', 1),
    (4, 'cities.csv', 'cities', 'region', 0),
    (4, 'cities.csv', 'cities', 'level', 1),
    (4, 'cities.csv', 'cities', 'name_en', 1),
    (4, 'cities.csv', 'cities', 'name_zh', 0),
    (4, 'cities.csv', 'cities', 'name_ja', 0),
    (4, 'cities.csv', 'cities', 'name_local', 0),
    (4, 'cities.csv', 'cities', 'geonames_id', 0),
    (4, 'cities.csv', 'cities', 'population', 0),
    (4, 'cities.csv', 'cities', 'geocode_method', 0),
    (4, 'cities.csv', 'cities', 'geocode_confidence', 0),
    (4, 'cities.csv', 'cities', 'lon', 0),
    (4, 'cities.csv', 'cities', 'lat', 0),
    (4, 'cities.csv', 'cities', 'source', 1),
    (4, 'cities.csv', 'cities', 'verification', 1),
    (4, 'cities.csv', 'cities', 'notes', 0),

    (5, 'partnerships.csv', 'partnerships', 'id', 1),
    (5, 'partnerships.csv', 'partnerships', 'cn_city', 1),
    (5, 'partnerships.csv', 'partnerships', 'jp_city', 1),
    (5, 'partnerships.csv', 'partnerships', 'kind', 1),
    (5, 'partnerships.csv', 'partnerships', 'level', 1),
    (5, 'partnerships.csv', 'partnerships', 'established', 0),
    (5, 'partnerships.csv', 'partnerships', 'established_marks', 0),
    (5, 'partnerships.csv', 'partnerships', 'source', 1),
    (5, 'partnerships.csv', 'partnerships', 'verification', 1),
    (5, 'partnerships.csv', 'partnerships', 'notes', 0),

    (6, 'initiatives.csv', 'initiatives', 'id', 1),
    (6, 'initiatives.csv', 'initiatives', 'name', 1),
    (6, 'initiatives.csv', 'initiatives', 'adopted', 0),
    (6, 'initiatives.csv', 'initiatives', 'venue_city', 0),
    (6, 'initiatives.csv', 'initiatives', 'url', 0),
    (6, 'initiatives.csv', 'initiatives', 'source', 1),
    (6, 'initiatives.csv', 'initiatives', 'verification', 1),
    (6, 'initiatives.csv', 'initiatives', 'notes', 0),

    (7, 'memberships.csv', 'memberships', 'id', 1),
    (7, 'memberships.csv', 'memberships', 'initiative', 1),
    (7, 'memberships.csv', 'memberships', 'city', 1),
    (7, 'memberships.csv', 'memberships', 'role', 1),
    (7, 'memberships.csv', 'memberships', 'since', 0),
    (7, 'memberships.csv', 'memberships', 'evidence', 0),
    (7, 'memberships.csv', 'memberships', 'source', 1),
    (7, 'memberships.csv', 'memberships', 'verification', 1),
    (7, 'memberships.csv', 'memberships', 'notes', 0),

    (8, 'pilot_activities.csv', 'pilot_activities', 'id', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'initiative', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'city', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'category', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'theme', 0),
    (8, 'pilot_activities.csv', 'pilot_activities', 'title', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'period_start', 0),
    (8, 'pilot_activities.csv', 'pilot_activities', 'period_end', 0),
    (8, 'pilot_activities.csv', 'pilot_activities', 'status', 0),
    (8, 'pilot_activities.csv', 'pilot_activities', 'details', 0),
    (8, 'pilot_activities.csv', 'pilot_activities', 'source', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'verification', 1),
    (8, 'pilot_activities.csv', 'pilot_activities', 'notes', 0),

    (9, 'events.csv', 'events', 'id', 1),
    (9, 'events.csv', 'events', 'initiative', 1),
    (9, 'events.csv', 'events', 'title', 1),
    (9, 'events.csv', 'events', 'type', 1),
    (9, 'events.csv', 'events', 'start_date', 0),
    (9, 'events.csv', 'events', 'end_date', 0),
    (9, 'events.csv', 'events', 'host_city', 0),
    (9, 'events.csv', 'events', 'participants', 0),
    (9, 'events.csv', 'events', 'source', 1),
    (9, 'events.csv', 'events', 'verification', 1),
    (9, 'events.csv', 'events', 'notes', 0);

-- A place with neither lon/lat nor geonames_id is placed by its English name: these are the
-- gazetteer places of its country (and region, if its region has an admin1 code) by that
-- name. sql/checks.sql makes sure there is exactly one; sql/load.sql places the city there.
-- (A TEMP view may name tables that do not exist yet: csv_* are created as the files are read.)
CREATE TEMP VIEW csv_name_candidates (line, geonames_id, name, admin1, population) AS
SELECT c.line, g.geonames_id, g.name, g.admin1, g.population
FROM csv_cities c
LEFT JOIN csv_regions r ON r.id = c.region
JOIN csv_gazetteer g ON g.country = c.country AND g.name = c.name_en
                    AND (r.admin1 IS NULL OR g.admin1 IS r.admin1)
WHERE c.lon IS NULL AND c.geonames_id IS NULL AND c.geocode_method IS NOT 'unplaced';
