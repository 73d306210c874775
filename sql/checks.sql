-- Checks on the rows as read from the CSV files, before anything is loaded.
--
-- Every statement in this file is a SELECT that returns one row per problem:
-- (file, line, column, message). `partnermap load` runs them all, reports every problem as
-- `file:line: column: message`, and loads nothing if there is any. The rows are in the TEMP
-- tables csv_<table> that the loader filled (see sql/load_spec.sql).

-- A partial ISO 8601 date: YYYY, YYYY-MM or YYYY-MM-DD, a real calendar day, not in the
-- future. All date columns are gathered here so that one rule checks them all.
CREATE TEMP VIEW csv_dates (file, line, col, value) AS
          SELECT 'partnerships.csv', line, 'established', established FROM csv_partnerships
UNION ALL SELECT 'memberships.csv', line, 'since', since FROM csv_memberships
UNION ALL SELECT 'pilot_activities.csv', line, 'period_start', period_start FROM csv_pilot_activities
UNION ALL SELECT 'pilot_activities.csv', line, 'period_end', period_end FROM csv_pilot_activities
UNION ALL SELECT 'events.csv', line, 'start_date', start_date FROM csv_events
UNION ALL SELECT 'events.csv', line, 'end_date', end_date FROM csv_events
UNION ALL SELECT 'initiatives.csv', line, 'adopted', adopted FROM csv_initiatives;

SELECT file, line, col,
       'expected an ISO 8601 date (YYYY, YYYY-MM or YYYY-MM-DD), got ' || quote(value)
FROM csv_dates
WHERE value IS NOT NULL
  AND NOT (value GLOB '[0-9][0-9][0-9][0-9]'
       OR (value GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]' AND substr(value, 6, 2) BETWEEN '01' AND '12')
       OR (value GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
           -- date() alone passes 1973-11-31 through; '+0 days' normalises it to 12-01.
           AND date(value, '+0 days') IS value));

SELECT file, line, col, 'date ' || quote(value) || ' is in the future'
FROM csv_dates
WHERE value IS NOT NULL AND substr(value || '-01-01', 1, 10) > date('now');

-- Identifiers are readable slugs, unique within their file.
CREATE TEMP VIEW csv_ids (file, line, id) AS
          SELECT 'regions.csv', line, id FROM csv_regions
UNION ALL SELECT 'cities.csv', line, id FROM csv_cities
UNION ALL SELECT 'partnerships.csv', line, id FROM csv_partnerships
UNION ALL SELECT 'initiatives.csv', line, id FROM csv_initiatives
UNION ALL SELECT 'memberships.csv', line, id FROM csv_memberships
UNION ALL SELECT 'pilot_activities.csv', line, id FROM csv_pilot_activities
UNION ALL SELECT 'events.csv', line, id FROM csv_events;

SELECT file, line, 'id', 'expected a slug of a-z, 0-9 and "-", got ' || quote(id)
FROM csv_ids
WHERE id GLOB '*[^a-z0-9-]*' OR id GLOB '-*' OR id GLOB '*-';

SELECT a.file, a.line, 'id', quote(a.id) || ' is already used on line ' || min(b.line)
FROM csv_ids a JOIN csv_ids b ON a.file = b.file AND a.id = b.id AND b.line < a.line
GROUP BY a.file, a.line;

-- Every row names its source and says how far it can be trusted.
CREATE TEMP VIEW csv_verifications (file, line, value) AS
          SELECT 'cities.csv', line, verification FROM csv_cities
UNION ALL SELECT 'partnerships.csv', line, verification FROM csv_partnerships
UNION ALL SELECT 'initiatives.csv', line, verification FROM csv_initiatives
UNION ALL SELECT 'memberships.csv', line, verification FROM csv_memberships
UNION ALL SELECT 'pilot_activities.csv', line, verification FROM csv_pilot_activities
UNION ALL SELECT 'events.csv', line, verification FROM csv_events;

SELECT file, line, 'verification', 'expected sourced or unverified, got ' || quote(value)
FROM csv_verifications
WHERE value IS NOT 'sourced' AND value IS NOT 'unverified';

CREATE TEMP VIEW csv_required (file, line, col, value) AS
          SELECT 'countries.csv', line, 'code', code FROM csv_countries
UNION ALL SELECT 'countries.csv', line, 'source', source FROM csv_countries
UNION ALL SELECT 'regions.csv', line, 'name_en', name_en FROM csv_regions
UNION ALL SELECT 'regions.csv', line, 'source', source FROM csv_regions
UNION ALL SELECT 'cities.csv', line, 'name_en', name_en FROM csv_cities
UNION ALL SELECT 'cities.csv', line, 'level', level FROM csv_cities
UNION ALL SELECT 'cities.csv', line, 'source', source FROM csv_cities
UNION ALL SELECT 'partnerships.csv', line, 'kind', kind FROM csv_partnerships
UNION ALL SELECT 'partnerships.csv', line, 'level', level FROM csv_partnerships
UNION ALL SELECT 'partnerships.csv', line, 'source', source FROM csv_partnerships
UNION ALL SELECT 'initiatives.csv', line, 'name', name FROM csv_initiatives
UNION ALL SELECT 'initiatives.csv', line, 'source', source FROM csv_initiatives
UNION ALL SELECT 'memberships.csv', line, 'role', role FROM csv_memberships
UNION ALL SELECT 'memberships.csv', line, 'source', source FROM csv_memberships
UNION ALL SELECT 'pilot_activities.csv', line, 'category', category FROM csv_pilot_activities
UNION ALL SELECT 'pilot_activities.csv', line, 'title', title FROM csv_pilot_activities
UNION ALL SELECT 'pilot_activities.csv', line, 'source', source FROM csv_pilot_activities
UNION ALL SELECT 'events.csv', line, 'title', title FROM csv_events
UNION ALL SELECT 'events.csv', line, 'type', type FROM csv_events
UNION ALL SELECT 'events.csv', line, 'source', source FROM csv_events;

SELECT file, line, col, 'must not be empty' FROM csv_required WHERE value IS NULL;

-- Numbers.
CREATE TEMP VIEW csv_numbers (file, line, col, value, lo, hi, integral) AS
          SELECT 'gazetteer.csv', line, 'geonames_id', geonames_id, 1, 1e10, 1 FROM csv_gazetteer
UNION ALL SELECT 'gazetteer.csv', line, 'population', population, 0, 1e10, 1 FROM csv_gazetteer
UNION ALL SELECT 'gazetteer.csv', line, 'lon', lon, -180, 180, 0 FROM csv_gazetteer
UNION ALL SELECT 'gazetteer.csv', line, 'lat', lat, -90, 90, 0 FROM csv_gazetteer
UNION ALL SELECT 'cities.csv', line, 'geonames_id', geonames_id, 1, 1e10, 1 FROM csv_cities
UNION ALL SELECT 'cities.csv', line, 'population', population, 0, 1e10, 1 FROM csv_cities
UNION ALL SELECT 'cities.csv', line, 'lon', lon, -180, 180, 0 FROM csv_cities
UNION ALL SELECT 'cities.csv', line, 'lat', lat, -90, 90, 0 FROM csv_cities;

SELECT file, line, col,
       CASE WHEN integral THEN 'expected a whole number' ELSE 'expected a number' END
       || ' from ' || lo || ' to ' || hi || ', got ' || quote(value)
FROM csv_numbers
WHERE value IS NOT NULL
  AND NOT (CASE WHEN integral THEN value GLOB '[0-9]*' AND NOT value GLOB '*[^0-9]*'
                ELSE value GLOB '*[0-9]*' AND NOT value GLOB '*[^0-9.-]*'
                     AND NOT value GLOB '?*-*' AND NOT value GLOB '*.*.*' END
           AND CAST(value AS REAL) BETWEEN lo AND hi);

-- References between files.
SELECT 'regions.csv', line, 'country', 'unknown country ' || quote(country)
FROM csv_regions WHERE country NOT IN (SELECT code FROM csv_countries);

SELECT 'cities.csv', line, 'country', 'unknown country ' || quote(country)
FROM csv_cities WHERE country NOT IN (SELECT code FROM csv_countries);

SELECT 'cities.csv', c.line, 'region',
       CASE WHEN r.id IS NULL THEN 'unknown region ' || quote(c.region)
            ELSE 'region ' || quote(c.region) || ' is in ' || r.country || ', not ' || c.country END
FROM csv_cities c LEFT JOIN csv_regions r ON r.id = c.region
WHERE c.region IS NOT NULL AND (r.id IS NULL OR r.country IS NOT c.country);

SELECT 'partnerships.csv', p.line, 'cn_city',
       CASE WHEN c.id IS NULL THEN 'unknown city ' || quote(p.cn_city)
            ELSE quote(p.cn_city) || ' is in ' || c.country || ', not CN' END
FROM csv_partnerships p LEFT JOIN csv_cities c ON c.id = p.cn_city
WHERE c.id IS NULL OR c.country IS NOT 'CN';

SELECT 'partnerships.csv', p.line, 'jp_city',
       CASE WHEN c.id IS NULL THEN 'unknown city ' || quote(p.jp_city)
            ELSE quote(p.jp_city) || ' is in ' || c.country || ', not JP' END
FROM csv_partnerships p LEFT JOIN csv_cities c ON c.id = p.jp_city
WHERE c.id IS NULL OR c.country IS NOT 'JP';

SELECT 'partnerships.csv', a.line, 'jp_city',
       'the affiliation ' || a.cn_city || ' - ' || a.jp_city || ' is already on line ' || min(b.line)
FROM csv_partnerships a JOIN csv_partnerships b
  ON a.cn_city = b.cn_city AND a.jp_city = b.jp_city AND b.line < a.line
GROUP BY a.line;

SELECT 'initiatives.csv', i.line, 'venue_city', 'unknown city ' || quote(i.venue_city)
FROM csv_initiatives i WHERE i.venue_city IS NOT NULL
  AND i.venue_city NOT IN (SELECT id FROM csv_cities);

CREATE TEMP VIEW csv_refs (file, line, col, value, target) AS
          SELECT 'memberships.csv', line, 'initiative', initiative, 'initiative' FROM csv_memberships
UNION ALL SELECT 'memberships.csv', line, 'city', city, 'city' FROM csv_memberships
UNION ALL SELECT 'pilot_activities.csv', line, 'initiative', initiative, 'initiative' FROM csv_pilot_activities
UNION ALL SELECT 'pilot_activities.csv', line, 'city', city, 'city' FROM csv_pilot_activities
UNION ALL SELECT 'events.csv', line, 'initiative', initiative, 'initiative' FROM csv_events
UNION ALL SELECT 'events.csv', line, 'host_city', host_city, 'city' FROM csv_events;

SELECT file, line, col, 'unknown ' || target || ' ' || quote(value)
FROM csv_refs
WHERE value IS NOT NULL
  AND NOT (target = 'city' AND value IN (SELECT id FROM csv_cities))
  AND NOT (target = 'initiative' AND value IN (SELECT id FROM csv_initiatives));

-- Periods run forwards.
SELECT 'pilot_activities.csv', line, 'period_end',
       'ends (' || period_end || ') before it starts (' || period_start || ')'
FROM csv_pilot_activities
WHERE period_start IS NOT NULL AND period_end IS NOT NULL AND period_end < substr(period_start, 1, length(period_end));

SELECT 'events.csv', line, 'end_date', 'ends (' || end_date || ') before it starts (' || start_date || ')'
FROM csv_events
WHERE start_date IS NOT NULL AND end_date IS NOT NULL AND end_date < substr(start_date, 1, length(end_date));

-- Places: coordinates come as a pair; a place without them is geocoded from the gazetteer,
-- by GeoNames id or else by English name within its country and region. No match, or more
-- than one, is an error that names the candidates.
SELECT 'cities.csv', line, CASE WHEN lon IS NULL THEN 'lon' ELSE 'lat' END,
       'lon and lat come together: give both or neither'
FROM csv_cities WHERE (lon IS NULL) <> (lat IS NULL);

SELECT 'cities.csv', line, 'geocode_method',
       'expected gazetteer-id, gazetteer-name, source, seat or unplaced, got ' || quote(geocode_method)
FROM csv_cities
WHERE geocode_method IS NOT NULL
  AND geocode_method NOT IN ('gazetteer-id', 'gazetteer-name', 'source', 'seat', 'unplaced');

SELECT 'cities.csv', line, 'geocode_method', 'an unplaced place has no lon/lat; say why in notes'
FROM csv_cities
WHERE geocode_method IS 'unplaced' AND (lon IS NOT NULL OR notes IS NULL);

SELECT 'cities.csv', c.line, 'geonames_id', 'GeoNames id ' || c.geonames_id || ' is not in gazetteer.csv'
FROM csv_cities c
WHERE c.lon IS NULL AND c.geonames_id IS NOT NULL AND c.geocode_method IS NOT 'unplaced'
  AND CAST(c.geonames_id AS INTEGER) NOT IN (SELECT CAST(geonames_id AS INTEGER) FROM csv_gazetteer);

-- A place with neither lon/lat nor geonames_id is found by name (csv_name_candidates,
-- sql/load_spec.sql): exactly one gazetteer place must match.
SELECT 'cities.csv', c.line, 'name_en',
       'no gazetteer place named ' || quote(c.name_en) || ' in ' || c.country
       || coalesce(' region ' || c.region, '') || '; give geonames_id or lon/lat'
FROM csv_cities c
WHERE c.lon IS NULL AND c.geonames_id IS NULL AND c.geocode_method IS NOT 'unplaced'
  AND c.line NOT IN (SELECT line FROM csv_name_candidates);

SELECT 'cities.csv', line, 'name_en',
       count(*) || ' gazetteer places match; give geonames_id, one of: '
       || group_concat(geonames_id || ' ' || name || ' (admin1 ' || coalesce(admin1, '?')
                       || ', population ' || coalesce(population, '?') || ')', '; ')
FROM csv_name_candidates GROUP BY line HAVING count(*) > 1;

-- The same place under two ids.
SELECT 'cities.csv', a.line, 'id',
       quote(a.id) || ' looks like ' || quote(b.id) || ' on line ' || b.line
       || ' (same country, level and English name in the same region)'
FROM csv_cities a JOIN csv_cities b
  ON a.country = b.country AND a.level = b.level AND a.name_en = b.name_en
 AND a.region IS b.region AND b.line < a.line;
