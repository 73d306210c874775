-- What a load reports but does not fail on: features that have no place to be drawn.
-- Each SELECT returns (file, line, column, message), printed as "warning: ...".

SELECT 'cities.csv', c.line, 'geocode_method',
       quote(p.id) || ' is not placed: ' || coalesce(p.notes, 'no reason given')
FROM cities p JOIN csv_cities c ON c.id = p.id WHERE p.geom IS NULL;

SELECT 'partnerships.csv', c.line, 'geom',
       'the affiliation ' || p.id || ' has no line: '
       || CASE WHEN cn.geom IS NULL THEN cn.id ELSE jp.id END || ' is not placed'
FROM partnerships p JOIN csv_partnerships c ON c.id = p.id
JOIN cities cn ON cn.id = p.cn_city JOIN cities jp ON jp.id = p.jp_city
WHERE p.geom IS NULL;
