-- Last step of a load, after sql/load.sql and sql/collections.sql: the extents of each
-- collection, computed once from the data so that /collections costs nothing to serve.

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

UPDATE collections SET (tmin, tmax) = (SELECT min(_first), max(_last) FROM collection_partnerships)
WHERE id = 'partnerships';
UPDATE collections SET (tmin, tmax) = (SELECT min(_first), max(_last) FROM collection_memberships)
WHERE id = 'memberships';
UPDATE collections SET (tmin, tmax) = (SELECT min(_first), max(_last) FROM collection_pilot_sites)
WHERE id = 'pilot-sites';
UPDATE collections SET (tmin, tmax) = (SELECT min(_first), max(_last) FROM collection_events)
WHERE id = 'events';
