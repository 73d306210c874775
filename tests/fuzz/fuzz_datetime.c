/*
 * libFuzzer target for the datetime parameter (pm_datetime_parse, pm_date_parse_partial): a thin
 * wrapper around fuzz_datetime (targets_query.c), which replay_fuzz also runs. A broken check
 * aborts so that libFuzzer keeps the input. Built only with clang (see CMakeLists.txt).
 */
#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int accepted;
    const char *why = fuzz_datetime(data, size, &accepted);
    if (why) {
        fprintf(stderr, "fuzz_datetime: %s\n", why);
        abort();
    }
    return 0;
}
