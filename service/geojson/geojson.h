/*
 * geojson: writes RFC 7946 features and feature collections into a byte buffer, one piece at
 * a time, so that a response can be streamed while rows arrive. Geometry comes from the
 * store as GeoJSON text (6 decimals, lon/lat) and is spliced in as it is.
 *
 * The writer does not hold rows: each call appends to the caller's buffer and returns. It
 * knows links and collections only as strings handed to it.
 */
#ifndef PM_GEOJSON_H
#define PM_GEOJSON_H

#include "store/store.h"
#include "util/util.h"

/* Append one Feature: id, geometry (or null), properties in catalog order (null values
 * included, so every feature has the same keys), and links self/collection built from
 * base_url ("http://host:port", no trailing slash). */
void pm_geojson_feature(struct pm_strbuf *out, const struct pm_collection *c,
                        const struct pm_feature_row *row, const char *base_url);

/* What of a feature to write. */
struct pm_feature_opts {
    const size_t *properties; /* indexes of the properties to write, or NULL for all */
    size_t n_properties;
    int skip_geometry; /* write no geometry member (skipGeometry=true) */
};

/* pm_geojson_feature with a choice of properties and geometry (opts may be NULL: all). A
 * row with a distance gets a "distance_m" property; every link of the collection is added,
 * its {id} replaced by the URL-encoded id. */
void pm_geojson_feature_opts(struct pm_strbuf *out, const struct pm_collection *c,
                             const struct pm_feature_row *row, const char *base_url,
                             const struct pm_feature_opts *opts);

/* The same for many features of one collection: what does not change from one feature to the
 * next (the properties' keys, the links around the id) prepared once. */
struct pm_writer_piece {
    size_t off, len;
};
struct pm_feature_writer {
    int skip_geometry;
    const size_t *index; /* the properties written, or NULL for all */
    size_t n;
    struct pm_strbuf frag;          /* the keys, then the text of the links */
    size_t *key_end;                /* where key k ends in frag (it starts where k - 1 ends) */
    struct pm_writer_piece *pieces; /* the links: text of frag, or the feature id */
    size_t n_pieces, cap_pieces;
    size_t links_len, n_ids; /* the links' text in bytes; how often the id comes in them */
};
/* opts (may be NULL) must outlive the writer. */
void pm_feature_writer_init(struct pm_feature_writer *w, const struct pm_collection *c,
                            const char *base_url, const struct pm_feature_opts *opts);
/* A row with a head (pm_feature_row) has it copied, when w writes every property and the
 * geometry; otherwise the head is written from the row's values. */
void pm_feature_writer_write(const struct pm_feature_writer *w, struct pm_strbuf *out,
                             const struct pm_feature_row *row);
/* Only the head of a feature: `{"type":"Feature","id":...,"geometry":...,"properties":{` and
 * the properties, without the brace that closes them. */
void pm_feature_writer_head(const struct pm_feature_writer *w, struct pm_strbuf *out,
                            const struct pm_feature_row *row);
/* A writer of heads only (no links), of every one of these n properties: what `load` stores
 * as a feature's head. */
void pm_feature_writer_init_keys(struct pm_feature_writer *w, const char *const *names, size_t n);
void pm_feature_writer_fini(struct pm_feature_writer *w);

/* Append the opening of a FeatureCollection up to and including `"features":[`. */
void pm_geojson_collection_begin(struct pm_strbuf *out);

/* One link object for a "links" array. */
struct pm_link {
    const char *rel;
    const char *type;
    const char *title;
    char *href; /* owned by the caller */
};

/* Append the close of the features array and the collection's members: numberReturned,
 * numberMatched (when matched >= 0), timeStamp (RFC 3339, now) and links. */
void pm_geojson_collection_end(struct pm_strbuf *out, long returned, long long matched,
                               const struct pm_link *links, size_t n_links);

/* Append a "links" array value (without the key). */
void pm_geojson_links(struct pm_strbuf *out, const struct pm_link *links, size_t n_links);

#endif
