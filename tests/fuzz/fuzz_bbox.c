/*
 * libFuzzer target for the bbox parameter (pm_bbox_parse): a thin wrapper around fuzz_bbox
 * (targets_query.c), which replay_fuzz also runs. A broken check aborts so that libFuzzer
 * keeps the input. Built only with clang (see CMakeLists.txt).
 */
#include "fuzz_targets.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int accepted;
    const char *why = fuzz_bbox(data, size, &accepted);
    if (why) {
        fprintf(stderr, "fuzz_bbox: %s\n", why);
        abort();
    }
    return 0;
}
