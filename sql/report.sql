-- Counts for geodata/README.md, computed from a loaded database (plain SELECTs over the
-- final tables; nothing here writes). Run with e.g.
--   sqlite3 -header -column partnermap.sqlite < sql/report.sql
-- (the SpatiaLite extension is not needed). Each SELECT is one table of the README.
--
-- "By the end of YEAR" counts an affiliation whose date, as precise as the source gives it,
-- lies wholly before the end of that year (established_last <= 'YEAR-12-31'); undated
-- affiliations are counted apart. A "Chinese place" is any Chinese partner below the
-- provincial level (city, county, district, town; the four municipalities count as cities).

-- 1. The data set at a glance.
SELECT 'places' AS what, count(*) AS n FROM cities
UNION ALL SELECT 'places in China', count(*) FROM cities WHERE country = 'CN'
UNION ALL SELECT 'places in Japan', count(*) FROM cities WHERE country = 'JP'
UNION ALL SELECT 'places elsewhere', count(*) FROM cities WHERE country NOT IN ('CN', 'JP')
UNION ALL SELECT 'places not placed', count(*) FROM cities WHERE geom IS NULL
UNION ALL SELECT 'affiliations', count(*) FROM partnerships
UNION ALL SELECT 'affiliations dated', count(*) FROM partnerships WHERE established IS NOT NULL
UNION ALL SELECT 'affiliations dated to the day', count(*) FROM partnerships WHERE length(established) = 10
UNION ALL SELECT 'affiliations unverified', count(*) FROM partnerships WHERE verification = 'unverified'
UNION ALL SELECT 'affiliations without a line', count(*) FROM partnerships WHERE geom IS NULL
UNION ALL SELECT 'initiative memberships', count(*) FROM memberships
UNION ALL SELECT 'pilot activities', count(*) FROM pilot_activities
UNION ALL SELECT 'events', count(*) FROM events;

-- 2. Chinese places with a Japanese partner by the end of 2003, and the provinces they are in.
SELECT count(DISTINCT c.id) AS chinese_places, count(DISTINCT c.region) AS provinces,
       count(DISTINCT CASE WHEN c.level IN ('city', 'municipality') THEN c.id END) AS of_them_cities,
       count(DISTINCT p.jp_city) AS japanese_partners, count(*) AS affiliations
FROM partnerships p JOIN cities c ON c.id = p.cn_city
WHERE c.level NOT IN ('province', 'autonomous-region')
  AND p.established_last <= '2003-12-31';

-- 3. The same at the end of some years (dated affiliations; 2029 = all of them), with the
--    provincial-level Chinese partners (provinces, autonomous regions, municipalities) apart.
SELECT y.until AS by_end_of,
       count(DISTINCT CASE WHEN c.level NOT IN ('province', 'autonomous-region') THEN c.id END)
           AS chinese_places,
       count(DISTINCT CASE WHEN c.level NOT IN ('province', 'autonomous-region') THEN c.region END)
           AS provinces,
       count(DISTINCT CASE WHEN c.level IN ('province', 'autonomous-region', 'municipality')
                           THEN c.id END) AS provincial_partners,
       count(DISTINCT p.jp_city) AS japanese_partners,
       count(DISTINCT j.region) AS prefectures, count(p.id) AS affiliations
FROM (SELECT '1979' AS until UNION ALL SELECT '1989' UNION ALL SELECT '1999'
      UNION ALL SELECT '2003' UNION ALL SELECT '2009' UNION ALL SELECT '2019'
      UNION ALL SELECT '2029') y
JOIN partnerships p ON p.established_last <= y.until || '-12-31'
JOIN cities c ON c.id = p.cn_city JOIN cities j ON j.id = p.jp_city
GROUP BY y.until ORDER BY y.until;

-- 4. Affiliations by year established (year as the source gives it), with the running total.
SELECT substr(established, 1, 4) AS year, count(*) AS affiliations,
       sum(count(*)) OVER (ORDER BY substr(established, 1, 4)) AS running_total
FROM partnerships WHERE established IS NOT NULL
GROUP BY substr(established, 1, 4) ORDER BY year;

-- 5. By Chinese province: the places with a Japanese partner and their affiliations.
SELECT r.name_en AS province, r.name_local AS name_zh,
       count(DISTINCT c.id) AS places, count(p.id) AS affiliations,
       sum(p.established IS NOT NULL) AS dated, min(substr(p.established, 1, 4)) AS first_year,
       count(DISTINCT CASE WHEN p.established_last <= '2003-12-31' THEN c.id END) AS places_by_2003
FROM regions r JOIN cities c ON c.region = r.id JOIN partnerships p ON p.cn_city = c.id
WHERE r.country = 'CN'
GROUP BY r.id ORDER BY affiliations DESC, r.name_en;

-- 6. By Japanese prefecture: the places with a Chinese partner and their affiliations.
SELECT r.name_en AS prefecture, r.name_local AS name_ja,
       count(DISTINCT c.id) AS places, count(p.id) AS affiliations,
       sum(p.established IS NOT NULL) AS dated, min(substr(p.established, 1, 4)) AS first_year,
       count(DISTINCT CASE WHEN p.established_last <= '2003-12-31' THEN c.id END) AS places_by_2003
FROM regions r JOIN cities c ON c.region = r.id JOIN partnerships p ON p.jp_city = c.id
WHERE r.country = 'JP'
GROUP BY r.id ORDER BY affiliations DESC, r.name_en;

-- 7. Affiliations by kind and level.
SELECT kind, level, count(*) AS affiliations, sum(established IS NOT NULL) AS dated,
       sum(verification = 'unverified') AS unverified
FROM partnerships GROUP BY kind, level ORDER BY affiliations DESC, kind, level;

-- 8. Places by country, level and how they were placed.
SELECT country, level, geocode_method, count(*) AS places
FROM cities GROUP BY country, level, geocode_method ORDER BY country, level, geocode_method;

-- 9. The Kitakyushu Initiative: the part each city takes, by country.
SELECT c.country, m.role, count(*) AS cities, min(m.since) AS first_evidence
FROM memberships m JOIN cities c ON c.id = m.city
GROUP BY c.country, m.role ORDER BY c.country, m.role;
