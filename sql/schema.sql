-- partnermap database schema: the one definition of the database.
--
-- Every table that holds data has a `source` column (URL or path of what the row was read
-- from) and a `verification` column: 'sourced' when a source other than the founding
-- document states the fact, 'unverified' when only the founding document or a weak source
-- does. Unknown values stay NULL; nothing is filled in by guesswork.
--
-- Geometries are SRID 4326, x = longitude, y = latitude. Dates are ISO 8601 text exactly as
-- precise as the source ('1979', '1979-05', '1979-05-01'); each dated table also keeps the
-- first and last day the partial date stands for (`*_first`, `*_last`, computed at load) so
-- that datetime filters compare whole days.
--
-- `partnermap load` runs this file on an empty SpatiaLite database (after
-- InitSpatialMetadata), then fills the tables from geodata/*.csv through sql/load.sql.

CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- bounds_wkt: an optional coarse POLYGON (WKT, lon lat) that holds every place of the country;
-- sql/checks_after.sql tests each placed point of the country against it. Its source and
-- the way it was drawn are in geodata/README.md.
CREATE TABLE countries (
    code TEXT PRIMARY KEY CHECK (length(code) = 2 AND code = upper(code)),
    name_en TEXT NOT NULL,
    name_local TEXT,
    bounds_wkt TEXT,
    source TEXT NOT NULL
);

-- seat_geonames_id: the gazetteer place that is the region's seat (its capital), where
-- provinces and prefectures taking part as partners are placed; sql/checks_after.sql uses it.
CREATE TABLE regions (
    id TEXT PRIMARY KEY,
    country TEXT NOT NULL REFERENCES countries (code),
    admin1 TEXT,
    name_en TEXT NOT NULL,
    name_local TEXT,
    seat_geonames_id INTEGER,
    source TEXT NOT NULL
);

CREATE TABLE gazetteer (
    geonames_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    name_zh TEXT,
    name_ja TEXT,
    country TEXT NOT NULL,
    admin1 TEXT,
    feature_code TEXT,
    population INTEGER,
    lon REAL NOT NULL CHECK (lon BETWEEN -180 AND 180),
    lat REAL NOT NULL CHECK (lat BETWEEN -90 AND 90)
);
CREATE INDEX gazetteer_name ON gazetteer (country, name);
-- The region check of sql/checks_after.sql looks for places near a point within a region.
CREATE INDEX gazetteer_place ON gazetteer (country, admin1, lon);

CREATE TABLE cities (
    id TEXT PRIMARY KEY,
    country TEXT NOT NULL REFERENCES countries (code),
    region TEXT REFERENCES regions (id),
    level TEXT NOT NULL,
    name_en TEXT NOT NULL,
    name_zh TEXT,
    name_ja TEXT,
    name_local TEXT,
    geonames_id INTEGER,
    population INTEGER,
    geocode_method TEXT,
    geocode_confidence TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL CHECK (verification IN ('sourced', 'unverified')),
    notes TEXT,
    lon REAL,
    lat REAL,
    partners INTEGER NOT NULL DEFAULT 0, -- affiliations it takes part in (computed at load)
    -- copied at load from regions, for the view to read without a join (the data only
    -- changes with a new load)
    region_name TEXT,
    geojson TEXT
);

CREATE TABLE partnerships (
    id TEXT PRIMARY KEY,
    cn_city TEXT NOT NULL REFERENCES cities (id),
    jp_city TEXT NOT NULL REFERENCES cities (id),
    kind TEXT NOT NULL,
    level TEXT NOT NULL,
    established TEXT,
    established_marks TEXT,
    established_first TEXT,
    established_last TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL CHECK (verification IN ('sourced', 'unverified')),
    notes TEXT,
    distance_km REAL, -- geodesic length of the link on WGS 84 (computed at load)
    -- the partners' names and regions, copied at load from cities, for the view to read
    -- without two joins
    cn_name_en TEXT,
    cn_name_zh TEXT,
    cn_region TEXT,
    jp_name_en TEXT,
    jp_name_ja TEXT,
    jp_region TEXT,
    geojson TEXT
);
-- Its indexes, partnerships_pair (UNIQUE (cn_city, jp_city)) and partnerships_jp, are built
-- by sql/load.sql once the rows are in: built from sorted rows rather than kept up to date
-- row by row, they cost a fraction.

CREATE TABLE initiatives (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    adopted TEXT,
    venue_city TEXT REFERENCES cities (id),
    url TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL CHECK (verification IN ('sourced', 'unverified')),
    notes TEXT
);

CREATE TABLE memberships (
    id TEXT PRIMARY KEY,
    initiative TEXT NOT NULL REFERENCES initiatives (id),
    city TEXT NOT NULL REFERENCES cities (id),
    role TEXT NOT NULL,
    since TEXT,
    since_first TEXT,
    since_last TEXT,
    evidence TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL CHECK (verification IN ('sourced', 'unverified')),
    notes TEXT,
    geojson TEXT
);

CREATE TABLE pilot_activities (
    id TEXT PRIMARY KEY,
    initiative TEXT NOT NULL REFERENCES initiatives (id),
    city TEXT NOT NULL REFERENCES cities (id),
    category TEXT NOT NULL,
    theme TEXT,
    title TEXT NOT NULL,
    period_start TEXT,
    period_end TEXT,
    period_first TEXT,
    period_last TEXT,
    status TEXT,
    details TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL CHECK (verification IN ('sourced', 'unverified')),
    notes TEXT,
    geojson TEXT
);

CREATE TABLE events (
    id TEXT PRIMARY KEY,
    initiative TEXT NOT NULL REFERENCES initiatives (id),
    title TEXT NOT NULL,
    type TEXT NOT NULL,
    start_date TEXT,
    end_date TEXT,
    date_first TEXT,
    date_last TEXT,
    host_city TEXT REFERENCES cities (id),
    participants TEXT,
    source TEXT NOT NULL,
    verification TEXT NOT NULL CHECK (verification IN ('sourced', 'unverified')),
    notes TEXT,
    geojson TEXT
);

-- Geometry columns. Their R*Tree indexes (idx_<table>_geom, and idx_<table>_rid with the
-- rowid as a third dimension) are built by sql/load.sql once the rows are in; the items
-- queries search them directly.
-- Plain BLOB columns while the rows go in, registered as SpatiaLite geometry columns
-- (RecoverGeometryColumn, which checks every value's type and SRID) once they are in, by
-- sql/checks_after.sql: the checking triggers AddGeometryColumn would install cost more per
-- row than all the rest of a city's insert.
ALTER TABLE cities ADD COLUMN geom BLOB;
ALTER TABLE partnerships ADD COLUMN geom BLOB;
ALTER TABLE memberships ADD COLUMN geom BLOB;
ALTER TABLE pilot_activities ADD COLUMN geom BLOB;
ALTER TABLE events ADD COLUMN geom BLOB;

-- Name search (q=): one FTS5 trigram index per collection's base table, rowid = the base
-- table's rowid, `names` the names of the feature and of its places, folded to lower case
-- without accents (pm_casei, pm_accenti) and "|"-separated, so that "|name|" finds a whole
-- name and "|name" its start. Filled by sql/load.sql.
CREATE VIRTUAL TABLE fts_cities USING fts5(names, tokenize = 'trigram');
CREATE VIRTUAL TABLE fts_memberships USING fts5(names, tokenize = 'trigram');
CREATE VIRTUAL TABLE fts_pilot_activities USING fts5(names, tokenize = 'trigram');
CREATE VIRTUAL TABLE fts_events USING fts5(names, tokenize = 'trigram');
