/*
 * libFuzzer target for the CSV loader (pm_spatialite_load): a thin wrapper around fuzz_csv
 * (targets_csv.c), which replay_fuzz also runs. The fixtures are read from $PM_FUZZ_FIXTURES,
 * or else from tests/fixtures/data of the source tree this was built from. A broken check
 * aborts so that libFuzzer keeps the input. Built only with clang (see CMakeLists.txt).
 */
#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = getenv("PM_FUZZ_FIXTURES");
    if (fuzz_csv_setup(dir && *dir ? dir : PM_FIXTURE_DATA) != 0)
        abort();
    atexit(fuzz_csv_teardown);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int accepted;
    const char *why = fuzz_csv(data, size, &accepted);
    if (why) {
        fprintf(stderr, "fuzz_csv: %s\n", why);
        abort();
    }
    return 0;
}
