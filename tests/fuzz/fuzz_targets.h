/*
 * The fuzz targets of tests/fuzz, one function per target, shared by the libFuzzer wrappers
 * (fuzz_<target>.c, built only with clang) and by replay_fuzz (built with any compiler and
 * run by ctest), so that a corpus or regression file runs the same code in both.
 *
 * Each function runs the service code on one input and checks what came back against the
 * module's contract (query.h, spatialite.h). It returns NULL if every check held, or a
 * constant string naming the broken one; the wrappers abort on it so that libFuzzer keeps
 * the input. *accepted is set to 1 if the service accepted the input (parsed it, loaded it)
 * and 0 if it refused it, for the replay's "ok-"/"bad-" file names. A crash inside the
 * service is left to the sanitizers. Not thread-safe (fuzz_csv uses one work directory).
 */
#ifndef PM_FUZZ_TARGETS_H
#define PM_FUZZ_TARGETS_H

#include <stddef.h>
#include <stdint.h>

/* Query string: '&'-separated key=value pairs, bytes as they come (no percent-decoding),
 * through pm_items_params_parse with a spec like the cities collection's, and through
 * pm_params_check_only_f. */
const char *fuzz_params(const uint8_t *data, size_t size, int *accepted);

/* The input, up to its first NUL, through pm_bbox_parse. */
const char *fuzz_bbox(const uint8_t *data, size_t size, int *accepted);

/* The input, up to its first NUL, through pm_datetime_parse (which decides *accepted) and
 * pm_date_parse_partial. */
const char *fuzz_datetime(const uint8_t *data, size_t size, int *accepted);

/* The loader: the first byte picks one of the CSV files the loader reads ('0' countries,
 * '1' regions, '2' gazetteer, '3' cities, '4' partnerships, '5' initiatives, '6' memberships,
 * '7' pilot_activities, '8' events; any other byte modulo 9), the rest is its content; the other
 * files are the fixtures. pm_spatialite_load builds a database from them, which must then
 * open. fuzz_csv_setup must come first; an empty input does nothing. */
const char *fuzz_csv(const uint8_t *data, size_t size, int *accepted);

/* Initialise SpatiaLite and copy the CSV files of fixture_dir into a template directory
 * under $TMPDIR (default /tmp), once per process. 0, or -1 with a message on stderr. */
int fuzz_csv_setup(const char *fixture_dir);
/* Remove the template directory. Safe to call more than once, or without setup. */
void fuzz_csv_teardown(void);

#endif
