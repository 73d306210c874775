-- Checks on the loaded tables, after sql/load.sql: where the places ended up.
--
-- Like sql/checks.sql, every statement is a SELECT returning (file, line, column, message)
-- per problem; the line comes from the TEMP csv_* tables the rows were read from. Any row
-- fails the load.

-- Every placed Chinese point lies in China and every Japanese point in Japan: inside the
-- country's bounding box, a coarse but sound first check.
SELECT 'cities.csv', c.line, 'lon',
       'the point (' || p.lon || ' ' || p.lat || ') is not in ' || p.country
FROM cities p JOIN csv_cities c ON c.id = p.id
WHERE p.lon IS NOT NULL
  AND ((p.country = 'CN' AND NOT (p.lon BETWEEN 73.4 AND 135.1 AND p.lat BETWEEN 18.1 AND 53.6))
    OR (p.country = 'JP' AND NOT (p.lon BETWEEN 122.9 AND 154.0 AND p.lat BETWEEN 20.4 AND 45.6)));
