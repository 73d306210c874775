-- The collections the API serves: one view each, and the catalog that describes them.
--
-- The server knows no table by name: it reads this catalog at start and builds its queries
-- from it, splicing only these identifiers into SQL. Each view has the columns
--   _rowid   the rowid of `base_table`, matched against the R*Tree idx_<base_table>_geom
--   id       the feature id
--   _geom    the geometry (NULL for a feature without a place)
--   _geojson the same as GeoJSON text
--   _first, _last  the first and last day the feature's date stands for (NULL if undated)
--   _x, _y   for a collection of points: the point's lon and lat (a bbox test without a
--            geometry function)
--   _head    where collections.heads names a table of heads: the feature's GeoJSON up to
--            its last property, as the server writes it (see city_heads below)
-- and one column per entry of collection_properties, in that order. The views of the two
-- large tables read one row each: what they show of another table (a region's name, the
-- partners' names) the load copied into that row (sql/load.sql).

-- The heads of the cities: each feature's GeoJSON up to its last property, written by the
-- load from collection_cities with the server's own writer (store/spatialite/heads.c), so
-- that a page of whole features is copied rather than written from a dozen columns. With the
-- feature's id and point, it answers a bbox query alone; the view reads _head from it (a LEFT
-- JOIN on its rowid, which SQLite leaves out where _head is not read).
CREATE TABLE city_heads (
    _rowid INTEGER PRIMARY KEY, -- the rowid of the feature in cities
    id TEXT NOT NULL,
    _x REAL,
    _y REAL,
    _head TEXT NOT NULL
);

CREATE VIEW collection_cities AS
SELECT c.rowid AS _rowid, c.id, c.geom AS _geom, c.geojson AS _geojson, NULL AS _first, NULL AS _last,
       c.lon AS _x, c.lat AS _y,
       c.name_en, c.name_zh, c.name_ja, c.name_local, c.country, c.region, c.region_name,
       c.level, c.geonames_id, c.population, c.geocode_method, c.geocode_confidence, c.source,
       c.verification, c.notes, c.partners, h._head
FROM cities c LEFT JOIN city_heads h ON h._rowid = c.rowid;

CREATE VIEW collection_partnerships AS
SELECT p.rowid AS _rowid, p.id, p.geom AS _geom, p.geojson AS _geojson, p.established_first AS _first,
       p.established_last AS _last,
       p.cn_city, p.cn_name_en, p.cn_name_zh, p.cn_region, p.jp_city, p.jp_name_en,
       p.jp_name_ja, p.jp_region, p.kind, p.level, p.established, p.established_marks, p.source,
       p.verification, p.notes, p.distance_km, p.established_first, p.established_last
FROM partnerships p;

CREATE VIEW collection_memberships AS
SELECT m.rowid AS _rowid, m.id, m.geom AS _geom, m.geojson AS _geojson, m.since_first AS _first,
       m.since_last AS _last, c.lon AS _x, c.lat AS _y,
       m.initiative, m.city, c.name_en AS city_name, c.country, m.role, m.since, m.evidence,
       m.source, m.verification, m.notes, m.since_first, m.since_last
FROM memberships m JOIN cities c ON c.id = m.city;

CREATE VIEW collection_pilot_sites AS
SELECT p.rowid AS _rowid, p.id, p.geom AS _geom, p.geojson AS _geojson, p.period_first AS _first,
       p.period_last AS _last, c.lon AS _x, c.lat AS _y,
       p.initiative, p.city, c.name_en AS city_name, c.country, p.category, p.theme, p.title,
       p.period_start, p.period_end, p.status, p.details, p.source, p.verification, p.notes,
       p.period_first, p.period_last
FROM pilot_activities p JOIN cities c ON c.id = p.city;

CREATE VIEW collection_events AS
SELECT e.rowid AS _rowid, e.id, e.geom AS _geom, e.geojson AS _geojson, e.date_first AS _first,
       e.date_last AS _last, c.lon AS _x, c.lat AS _y,
       e.initiative, e.title, e.type, e.start_date, e.end_date, e.host_city,
       c.name_en AS host_name, c.country, e.participants, e.source, e.verification, e.notes,
       e.date_first, e.date_last
FROM events e LEFT JOIN cities c ON c.id = e.host_city;

-- ord: the order of /collections. geometry_type: the GeoJSON type of every geometry.
-- The extent columns are filled at load from the data (sql/finish.sql).
CREATE TABLE collections (
    id TEXT PRIMARY KEY,
    ord INTEGER NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    base_table TEXT NOT NULL,
    view TEXT NOT NULL,
    geometry_type TEXT NOT NULL,
    temporal_property TEXT,
    xmin REAL, ymin REAL, xmax REAL, ymax REAL,
    tmin TEXT, tmax TEXT,
    -- q= through the names of cities: the base table's columns (comma-separated) that hold
    -- city ids; NULL when the base table has a name index of its own (fts_<base_table>)
    search_via TEXT,
    -- the table of the features' heads (_rowid, id, _x, _y, _head), filled by the load from
    -- the view; NULL: none
    heads TEXT
);

-- type: 'string', 'integer', 'number'; 'date' for an ISO 8601 date as precise as its source
-- (YYYY, YYYY-MM or YYYY-MM-DD), 'day' for one that is always a whole day (YYYY-MM-DD). Each
-- dated collection also shows the first and last day its date stands for ('day'), so that a
-- GIS that types columns as dates loses no value.
CREATE TABLE collection_properties (
    collection TEXT NOT NULL REFERENCES collections (id),
    ord INTEGER NOT NULL,
    name TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('string', 'integer', 'number', 'date', 'day')),
    description TEXT NOT NULL,
    PRIMARY KEY (collection, name)
);

-- Links every feature of a collection carries besides self and collection: href is a path
-- in which {id} stands for the feature's id.
CREATE TABLE collection_links (
    collection TEXT NOT NULL REFERENCES collections (id),
    rel TEXT NOT NULL,
    title TEXT NOT NULL,
    href TEXT NOT NULL
);

INSERT INTO collection_links (collection, rel, title, href) VALUES
('cities', 'related', 'the affiliations of this place',
 '/collections/partnerships/items?city={id}'),
('cities', 'related', 'the initiative roles of this place',
 '/collections/memberships/items?city={id}');

-- An equality filter: `?param=value` matches features where any of `columns` (a
-- comma-separated list of view columns) equals the value.
CREATE TABLE collection_filters (
    collection TEXT NOT NULL REFERENCES collections (id),
    param TEXT NOT NULL,
    columns TEXT NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (collection, param)
);

INSERT INTO collections (id, ord, title, description, base_table, view, geometry_type,
                         temporal_property) VALUES
('cities', 1, 'Partner cities',
 'Chinese and Japanese cities, counties, towns, provinces and prefectures that take part in a partnership, and the member and pilot cities of the Kitakyushu Initiative in other countries. Provinces and prefectures are placed at their seat.',
 'cities', 'collection_cities', 'Point', NULL),
('partnerships', 2, 'China–Japan partnerships',
 'Sister and friendship affiliations between a Chinese and a Japanese place, drawn as a line from the Chinese to the Japanese partner; dated by when the affiliation was established, as precisely as the source gives it.',
 'partnerships', 'collection_partnerships', 'LineString', 'established'),
('memberships', 3, 'Kitakyushu Initiative network',
 'The part each city takes in the Kitakyushu Initiative for a Clean Environment (member, pilot city, host, meeting participant), as its sources state it, dated by the first evidence.',
 'memberships', 'collection_memberships', 'Point', 'since'),
('pilot-sites', 4, 'Kitakyushu Initiative pilot sites',
 'Pilot activities, demonstration projects and good practices of the Kitakyushu Initiative, placed at their city and dated by their period.',
 'pilot_activities', 'collection_pilot_sites', 'Point', 'period_start'),
('events', 5, 'Kitakyushu Initiative meetings',
 'Conferences, seminars and network meetings of the Kitakyushu Initiative, placed at their host city and dated by their days.',
 'events', 'collection_events', 'Point', 'start_date');

INSERT INTO collection_properties (collection, ord, name, type, description) VALUES
('cities', 1, 'name_en', 'string', 'English name'),
('cities', 2, 'name_zh', 'string', 'Chinese name (simplified characters)'),
('cities', 3, 'name_ja', 'string', 'Japanese name'),
('cities', 4, 'name_local', 'string', 'local name, for places outside China and Japan'),
('cities', 5, 'country', 'string', 'ISO 3166-1 alpha-2 country code'),
('cities', 6, 'region', 'string', 'id of the province, municipality, autonomous region or prefecture'),
('cities', 7, 'region_name', 'string', 'English name of the region'),
('cities', 8, 'level', 'string', 'administrative level of the place (city, county, town, province, prefecture, ...)'),
('cities', 9, 'geonames_id', 'integer', 'GeoNames id of the place the point is taken from'),
('cities', 10, 'population', 'integer', 'population according to GeoNames'),
('cities', 11, 'geocode_method', 'string', 'how the point was found: gazetteer-id, gazetteer-name, seat, source or unplaced'),
('cities', 12, 'geocode_confidence', 'string', 'confidence in the point: high, medium or low'),
('cities', 13, 'source', 'string', 'where the place and its names were read'),
('cities', 14, 'verification', 'string', 'sourced, or unverified when only the founding document or a weak source states it'),
('cities', 15, 'notes', 'string', 'notes and doubts'),
('cities', 16, 'partners', 'integer', 'the number of China–Japan affiliations the place takes part in'),

('partnerships', 1, 'cn_city', 'string', 'id of the Chinese partner'),
('partnerships', 2, 'cn_name_en', 'string', 'English name of the Chinese partner'),
('partnerships', 3, 'cn_name_zh', 'string', 'Chinese name of the Chinese partner'),
('partnerships', 4, 'cn_region', 'string', 'region of the Chinese partner'),
('partnerships', 5, 'jp_city', 'string', 'id of the Japanese partner'),
('partnerships', 6, 'jp_name_en', 'string', 'English name of the Japanese partner'),
('partnerships', 7, 'jp_name_ja', 'string', 'Japanese name of the Japanese partner'),
('partnerships', 8, 'jp_region', 'string', 'prefecture of the Japanese partner'),
('partnerships', 9, 'kind', 'string', 'kind of affiliation: sister, friendship, friendship-cooperation, ... or unspecified'),
('partnerships', 10, 'level', 'string', 'level of the affiliation: city, province-prefecture, county-town, ...'),
('partnerships', 11, 'established', 'date', 'when the affiliation was established, as precise as the source (YYYY, YYYY-MM or YYYY-MM-DD)'),
('partnerships', 12, 'established_marks', 'string', 'what the date marks where the source says: signing, entry into force, ...'),
('partnerships', 13, 'source', 'string', 'where the affiliation was read'),
('partnerships', 14, 'verification', 'string', 'sourced, or unverified when only the founding document or a weak source states it'),
('partnerships', 15, 'notes', 'string', 'notes, conflicting dates and doubts'),
('partnerships', 16, 'distance_km', 'number', 'geodesic distance between the partners on the WGS 84 ellipsoid, km'),
('partnerships', 17, 'established_first', 'day', 'the first day established stands for (1979 → 1979-01-01)'),
('partnerships', 18, 'established_last', 'day', 'the last day established stands for (1979 → 1979-12-31)'),

('memberships', 1, 'initiative', 'string', 'id of the initiative'),
('memberships', 2, 'city', 'string', 'id of the city'),
('memberships', 3, 'city_name', 'string', 'English name of the city'),
('memberships', 4, 'country', 'string', 'ISO 3166-1 alpha-2 country code'),
('memberships', 5, 'role', 'string', 'the part the city takes, as the source states it'),
('memberships', 6, 'since', 'date', 'year of the first evidence'),
('memberships', 7, 'evidence', 'string', 'what the source says'),
('memberships', 8, 'source', 'string', 'where it was read'),
('memberships', 9, 'verification', 'string', 'sourced or unverified'),
('memberships', 10, 'notes', 'string', 'notes and doubts'),
('memberships', 11, 'since_first', 'day', 'the first day since stands for'),
('memberships', 12, 'since_last', 'day', 'the last day since stands for'),

('pilot-sites', 1, 'initiative', 'string', 'id of the initiative'),
('pilot-sites', 2, 'city', 'string', 'id of the city'),
('pilot-sites', 3, 'city_name', 'string', 'English name of the city'),
('pilot-sites', 4, 'country', 'string', 'ISO 3166-1 alpha-2 country code'),
('pilot-sites', 5, 'category', 'string', 'first-cycle pilot, demonstration project or good practice'),
('pilot-sites', 6, 'theme', 'string', 'theme of the activity'),
('pilot-sites', 7, 'title', 'string', 'title of the activity'),
('pilot-sites', 8, 'period_start', 'date', 'start of the activity'),
('pilot-sites', 9, 'period_end', 'date', 'end of the activity'),
('pilot-sites', 10, 'status', 'string', 'status as the source gives it'),
('pilot-sites', 11, 'details', 'string', 'details from the source'),
('pilot-sites', 12, 'source', 'string', 'where it was read'),
('pilot-sites', 13, 'verification', 'string', 'sourced or unverified'),
('pilot-sites', 14, 'notes', 'string', 'notes and doubts'),
('pilot-sites', 15, 'period_first', 'day', 'the first day of the period'),
('pilot-sites', 16, 'period_last', 'day', 'the last day of the period'),

('events', 1, 'initiative', 'string', 'id of the initiative'),
('events', 2, 'title', 'string', 'title of the meeting'),
('events', 3, 'type', 'string', 'ministerial conference, seminar, network meeting, ...'),
('events', 4, 'start_date', 'date', 'first day'),
('events', 5, 'end_date', 'date', 'last day'),
('events', 6, 'host_city', 'string', 'id of the host city'),
('events', 7, 'host_name', 'string', 'English name of the host city'),
('events', 8, 'country', 'string', 'ISO 3166-1 alpha-2 code of the host country'),
('events', 9, 'participants', 'string', 'who took part, as the source says'),
('events', 10, 'source', 'string', 'where it was read'),
('events', 11, 'verification', 'string', 'sourced or unverified'),
('events', 12, 'notes', 'string', 'notes and doubts'),
('events', 13, 'date_first', 'day', 'the first day of the meeting'),
('events', 14, 'date_last', 'day', 'the last day of the meeting');

INSERT INTO collection_filters (collection, param, columns, description) VALUES
('cities', 'country', 'country', 'ISO 3166-1 alpha-2 country code, e.g. CN or JP'),
('cities', 'region', 'region', 'region id, e.g. cn-liaoning or jp-fukuoka'),
('cities', 'level', 'level', 'administrative level, e.g. city or prefecture'),
('partnerships', 'city', 'cn_city,jp_city', 'id of a city: the affiliations it takes part in'),
('partnerships', 'region', 'cn_region,jp_region', 'region id of either partner'),
('partnerships', 'kind', 'kind', 'kind of affiliation, e.g. sister or friendship'),
('partnerships', 'level', 'level', 'level of the affiliation, e.g. city or province-prefecture'),
('memberships', 'initiative', 'initiative', 'initiative id'),
('memberships', 'city', 'city', 'city id'),
('memberships', 'country', 'country', 'ISO 3166-1 alpha-2 country code'),
('memberships', 'role', 'role', 'role as the source states it'),
('pilot-sites', 'initiative', 'initiative', 'initiative id'),
('pilot-sites', 'city', 'city', 'city id'),
('pilot-sites', 'country', 'country', 'ISO 3166-1 alpha-2 country code'),
('pilot-sites', 'category', 'category', 'first-cycle pilot, demonstration project or good practice'),
('events', 'initiative', 'initiative', 'initiative id'),
('events', 'city', 'host_city', 'id of the host city'),
('events', 'country', 'country', 'ISO 3166-1 alpha-2 code of the host country'),
('events', 'type', 'type', 'type of meeting');

-- A partnership is found by the names of its two cities, through the cities' name index:
-- an index of its own would repeat both cities' names for every partnership.
UPDATE collections SET search_via = 'cn_city,jp_city' WHERE id = 'partnerships';
-- The features' heads are kept for the largest collection of points.
UPDATE collections SET heads = 'city_heads' WHERE id = 'cities';
