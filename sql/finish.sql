-- Last step of a load, after sql/load.sql and sql/collections.sql: the extents of each
-- collection, computed once from the data so that /collections costs nothing to serve.
-- They are read from the tables, not from the collection_* views: every row of a table is a
-- feature of its view (the checks made sure each city it names exists), and the views' joins
-- would only cost time (2 s at a million partnerships).

UPDATE collections SET (xmin, ymin, xmax, ymax) = (
    SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
    FROM cities) WHERE id = 'cities';
UPDATE collections SET (xmin, ymin, xmax, ymax) = (
    SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
    FROM partnerships) WHERE id = 'partnerships';
UPDATE collections SET (xmin, ymin, xmax, ymax) = (
    SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
    FROM memberships) WHERE id = 'memberships';
UPDATE collections SET (xmin, ymin, xmax, ymax) = (
    SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
    FROM pilot_activities) WHERE id = 'pilot-sites';
UPDATE collections SET (xmin, ymin, xmax, ymax) = (
    SELECT min(MbrMinX(geom)), min(MbrMinY(geom)), max(MbrMaxX(geom)), max(MbrMaxY(geom))
    FROM events) WHERE id = 'events';

UPDATE collections SET (tmin, tmax) = (SELECT min(established_first), max(established_last) FROM partnerships)
WHERE id = 'partnerships';
UPDATE collections SET (tmin, tmax) = (SELECT min(since_first), max(since_last) FROM memberships)
WHERE id = 'memberships';
UPDATE collections SET (tmin, tmax) = (SELECT min(period_first), max(period_last) FROM pilot_activities)
WHERE id = 'pilot-sites';
UPDATE collections SET (tmin, tmax) = (SELECT min(date_first), max(date_last) FROM events)
WHERE id = 'events';
