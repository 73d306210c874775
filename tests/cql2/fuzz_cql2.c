/*
 * libFuzzer target for both CQL2 parsers. The first byte picks the parser: 't' cql2-text and
 * 'j' cql2-json on the rest of the input; any other byte feeds the whole input to both. Every
 * result is checked (tree.h: tree_run), and a broken invariant aborts, so that libFuzzer keeps
 * the input. Built only with clang (see CMakeLists.txt); replay_cql2 replays the corpus and
 * the regressions in every build.
 */
#include "tree.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void run(int json, const char *in, size_t len)
{
    int parsed;
    const char *why = tree_run(json, in, len, &parsed);
    if (why) {
        fprintf(stderr, "%s parser: %s\n", json ? "json" : "text", why);
        abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *in = (const char *)data;
    if (size > 0 && (data[0] == 't' || data[0] == 'j')) {
        run(data[0] == 'j', in + 1, size - 1);
    } else {
        run(0, in, size);
        run(1, in, size);
    }
    return 0;
}
