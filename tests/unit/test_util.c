/*
 * Unit tests of util/: the growable buffer (growth, appendf, take, reset), its escaping
 * appenders (JSON string bodies, HTML text, URL query components), errors, the FNV-1a hash,
 * strict number parsing (pm_parse_long, pm_parse_double refuse anything that is not exactly
 * a finite number in range) and UTF-8 validation (overlongs, surrogates, truncated
 * sequences). Every expected value is written out by hand from the relevant RFC.
 */
#include "util/util.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

/* --- strbuf --------------------------------------------------------------------------- */

static void strbuf_grows_one_char_at_a_time(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    for (int i = 0; i < 5000; i++)
        pm_strbuf_append_char(&b, (char)('a' + i % 26));
    assert_int_equal(b.len, 5000);
    assert_true(b.cap > b.len);
    assert_int_equal(strlen(b.data), 5000);
    for (size_t i = 0; i < 5000; i++)
        assert_int_equal(b.data[i], 'a' + (int)(i % 26));
    pm_strbuf_fini(&b);
    assert_null(b.data);
    assert_int_equal(b.len, 0);
}

static void strbuf_append_binary_and_empty(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append(&b, "", 0);
    assert_non_null(b.data); /* always NUL-terminated, even when empty */
    assert_string_equal(b.data, "");
    pm_strbuf_append(&b, "ab\0cd", 5);
    assert_int_equal(b.len, 5);
    assert_memory_equal(b.data, "ab\0cd", 6);
    pm_strbuf_append_str(&b, "ef");
    assert_int_equal(b.len, 7);
    assert_memory_equal(b.data, "ab\0cdef", 8);
    pm_strbuf_fini(&b);
}

static void strbuf_appendf_long_output(void **state)
{
    (void)state;
    struct pm_strbuf b;
    char big[1000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pm_strbuf_init(&b);
    pm_strbuf_append_str(&b, "start:");
    /* Longer than the first allocation, so appendf must grow the buffer mid-format. */
    pm_strbuf_appendf(&b, "%s|%d|%s|%05.1f", big, -42, "end", 3.25);
    assert_int_equal(b.len, 6 + 999 + 1 + 3 + 1 + 3 + 1 + 5);
    assert_memory_equal(b.data, "start:xxx", 9);
    assert_string_equal(b.data + 6 + 999, "|-42|end|003.2");
    pm_strbuf_fini(&b);
}

static void strbuf_appendf_many_small(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    for (int i = 0; i < 1000; i++)
        pm_strbuf_appendf(&b, "%03d,", i);
    assert_int_equal(b.len, 4000);
    assert_memory_equal(b.data, "000,001,002,", 12);
    assert_string_equal(b.data + 3996, "999,");
    pm_strbuf_fini(&b);
}

/* A piece of every length from 0 to 600 after text of every length from 0 to 300: whether it
 * fits the room left (formatted once) or not, by one byte or many (formatted again after
 * growing), the result is the text and the piece, NUL-terminated. */
static void strbuf_appendf_at_every_room(void **state)
{
    (void)state;
    static char piece[601], text[301];
    memset(piece, 'p', sizeof piece - 1);
    memset(text, 't', sizeof text - 1);
    for (int before = 0; before <= 300; before += 7) {
        for (int n = 0; n <= 600; n++) {
            struct pm_strbuf b;
            pm_strbuf_init(&b);
            pm_strbuf_append(&b, text, (size_t)before);
            pm_strbuf_appendf(&b, "%.*s", n, piece);
            assert_int_equal(b.len, before + n);
            assert_int_equal(strspn(b.data, "t"), before);
            assert_int_equal(strspn(b.data + before, "p"), n);
            assert_int_equal(b.data[b.len], '\0');
            pm_strbuf_fini(&b);
        }
    }
}

static void strbuf_reset_keeps_storage(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_reset(&b); /* on an empty buffer: nothing to do */
    assert_int_equal(b.len, 0);
    pm_strbuf_append_str(&b, "hello");
    size_t cap = b.cap;
    pm_strbuf_reset(&b);
    assert_int_equal(b.len, 0);
    assert_string_equal(b.data, "");
    assert_int_equal(b.cap, cap);
    pm_strbuf_append_str(&b, "again");
    assert_string_equal(b.data, "again");
    pm_strbuf_fini(&b);
}

static void strbuf_take_hands_over(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    char *empty = pm_strbuf_take(&b);
    assert_string_equal(empty, "");
    free(empty);
    pm_strbuf_append_str(&b, "mine");
    char *s = pm_strbuf_take(&b);
    assert_string_equal(s, "mine");
    assert_null(b.data);
    assert_int_equal(b.len, 0);
    assert_int_equal(b.cap, 0);
    free(s);
    pm_strbuf_fini(&b);
    pm_strbuf_fini(NULL); /* accepts NULL */
}

static void asprintf_and_strndup(void **state)
{
    (void)state;
    char *s = pm_asprintf("%s-%d", "cn", 7);
    assert_string_equal(s, "cn-7");
    free(s);
    s = pm_strndup("abcdef", 3);
    assert_string_equal(s, "abc");
    free(s);
    s = pm_strdup("");
    assert_string_equal(s, "");
    free(s);
}

/* --- escaping ------------------------------------------------------------------------- */

static char *json_escaped(const char *s)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append_json_str(&b, s);
    return pm_strbuf_take(&b);
}

static void check_json(const char *in, const char *want)
{
    char *got = json_escaped(in);
    assert_string_equal(got, want);
    free(got);
}

static void json_escapes_quote_and_backslash(void **state)
{
    (void)state;
    check_json("", "");
    check_json("plain text", "plain text");
    check_json("say \"hi\"", "say \\\"hi\\\"");
    check_json("C:\\dir\\", "C:\\\\dir\\\\");
    check_json("\"", "\\\"");
    /* The solidus may stay as it is (RFC 8259 section 7). */
    check_json("a/b", "a/b");
}

static void json_escapes_control_chars(void **state)
{
    (void)state;
    check_json("line1\nline2", "line1\\nline2");
    check_json("\r\t", "\\r\\t");
    check_json("\x01", "\\u0001");
    check_json("\x08", "\\u0008");
    check_json("\x0c", "\\u000c");
    check_json("\x1f", "\\u001f");
    check_json("a\x1b[0mb", "a\\u001b[0mb");
    /* DEL is not a control character in JSON's sense and passes. */
    check_json("\x7f", "\x7f");
}

static void json_passes_utf8_through(void **state)
{
    (void)state;
    check_json("大连市", "大连市");
    check_json("北九州市 \"KI\"", "北九州市 \\\"KI\\\"");
    check_json("\xF0\x9F\x98\x80", "\xF0\x9F\x98\x80"); /* U+1F600, 4 bytes */
    check_json("é\n", "é\\n");
}

/* The escape of n bytes, eight at a time where it can: each byte that needs escaping, at every
 * place in and around an eight-byte block, in texts of 0 to 40 bytes, gives what escaping byte
 * by byte gives (written here the plain way). An embedded NUL is escaped too. */
static void json_escape_n_at_every_offset(void **state)
{
    (void)state;
    const unsigned char specials[] = {'"',  '\\', '\n', '\r', '\t', 0x01,
                                      0x1f, 0x00, 0x7f, 0xe5, ' '};
    for (size_t n = 0; n <= 40; n++)
        for (size_t at = 0; at < n || (n == 0 && at == 0); at++)
            for (size_t k = 0; k < sizeof specials; k++) {
                char in[42], want[41 * 6 + 1], got[41 * 6 + 1];
                for (size_t i = 0; i < n; i++)
                    in[i] = (char)('a' + i % 26);
                in[n] = '\0';
                if (n)
                    in[at] = (char)specials[k];
                char *w = want;
                for (size_t i = 0; i < n; i++) {
                    unsigned char c = (unsigned char)in[i];
                    if (c == '"' || c == '\\')
                        w += sprintf(w, "\\%c", c);
                    else if (c == '\n')
                        w += sprintf(w, "\\n");
                    else if (c == '\r')
                        w += sprintf(w, "\\r");
                    else if (c == '\t')
                        w += sprintf(w, "\\t");
                    else if (c < 0x20)
                        w += sprintf(w, "\\u%04x", c);
                    else
                        *w++ = (char)c;
                }
                char *end = pm_json_escape_n_to(got, in, n);
                if ((size_t)(end - got) != (size_t)(w - want) ||
                    memcmp(got, want, (size_t)(w - want)))
                    fail_msg("%zu bytes, byte 0x%02x at %zu: escaped wrongly", n, specials[k], at);
            }
}

static void html_escapes_five_chars(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append_html(&b, "<a href=\"x\">Tom & Jerry's</a>");
    assert_string_equal(b.data, "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
    pm_strbuf_reset(&b);
    pm_strbuf_append_html(&b, "&&");
    assert_string_equal(b.data, "&amp;&amp;");
    pm_strbuf_reset(&b);
    pm_strbuf_append_html(&b, "no special 大连");
    assert_string_equal(b.data, "no special 大连");
    pm_strbuf_reset(&b);
    pm_strbuf_append_html(&b, "");
    assert_string_equal(b.data, "");
    pm_strbuf_fini(&b);
}

static void check_url(const char *in, const char *want)
{
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    pm_strbuf_append_urlenc(&b, in);
    assert_string_equal(b.data ? b.data : "", want);
    pm_strbuf_fini(&b);
}

static void url_encoding(void **state)
{
    (void)state;
    check_url("", "");
    check_url("cn-dalian", "cn-dalian");
    check_url("AZaz09-._~", "AZaz09-._~");
    check_url("a b", "a%20b");
    check_url("a+b", "a%2Bb");
    check_url("100%", "100%25");
    check_url("x=1&y=2", "x%3D1%26y%3D2");
    check_url("a/b?c#d", "a%2Fb%3Fc%23d");
    check_url("\"'<>", "%22%27%3C%3E");
    check_url("大", "%E5%A4%A7");
    check_url("\n", "%0A");
}

/* --- errors and hashing --------------------------------------------------------------- */

static void int_written_in_decimal(void **state)
{
    (void)state;
    struct pm_strbuf b;
    pm_strbuf_init(&b);
    long long values[] = {0, 7, -1, 4087733, LLONG_MAX, LLONG_MIN};
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        char want[32];
        snprintf(want, sizeof want, "%lld", values[i]);
        pm_strbuf_reset(&b);
        pm_strbuf_append_int(&b, values[i]);
        assert_string_equal(b.data, want);
        assert_int_equal(b.len, strlen(want));
    }
    pm_strbuf_fini(&b);
}

static void error_set_fills_and_truncates(void **state)
{
    (void)state;
    struct pm_error err = {0};
    assert_int_equal(pm_error_set(&err, 400, "InvalidParameterValue", "limit: got '%s'", "x"), -1);
    assert_int_equal(err.status, 400);
    assert_string_equal(err.code, "InvalidParameterValue");
    assert_string_equal(err.message, "limit: got 'x'");
    char big[2000];
    memset(big, 'y', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    pm_error_set(&err, 500, "ServerError", "%s", big);
    assert_int_equal(strlen(err.message), sizeof err.message - 1);
    assert_int_equal(pm_error_set(NULL, 404, "NotFound", "nothing"), -1);
}

static void fnv1a_known_values(void **state)
{
    (void)state;
    /* Test vectors of the FNV reference (64-bit FNV-1a). */
    assert_true(pm_fnv1a(PM_FNV_INIT, "", 0) == UINT64_C(0xcbf29ce484222325));
    assert_true(pm_fnv1a(PM_FNV_INIT, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c));
    assert_true(pm_fnv1a(PM_FNV_INIT, "foobar", 6) == UINT64_C(0x85944171f73967e8));
    /* Chaining is the same as hashing the concatenation. */
    uint64_t h = pm_fnv1a(pm_fnv1a(PM_FNV_INIT, "foo", 3), "bar", 3);
    assert_true(h == UINT64_C(0x85944171f73967e8));
}

/* --- strict numbers ------------------------------------------------------------------- */

static void parse_long_accepts(void **state)
{
    (void)state;
    long v = 0;
    assert_int_equal(pm_parse_long("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(pm_parse_long("-7", -10, 10, &v), 0);
    assert_int_equal(v, -7);
    assert_int_equal(pm_parse_long("0", 0, 0, &v), 0);
    assert_int_equal(v, 0);
    assert_int_equal(pm_parse_long("100", 0, 100, &v), 0); /* bounds are inclusive */
    assert_int_equal(v, 100);
    assert_int_equal(pm_parse_long("9223372036854775807", 0, LONG_MAX, &v), 0);
    assert_true(v == LONG_MAX);
}

static void parse_long_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        " 1",
        "1 ",
        "1x",
        "x1",
        "0x10",
        "inf",
        "nan",
        "1.0",
        "1e3",
        "--1",
        "+",
        "-",
        "\t1",
        "9223372036854775808",
        "-9223372036854775809",
        "99999999999999999999999",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        long v = 12345;
        if (pm_parse_long(bad[i], LONG_MIN, LONG_MAX, &v) != -1)
            fail_msg("pm_parse_long accepted '%s'", bad[i]);
        assert_int_equal(v, 12345); /* out untouched */
    }
    long v = 12345;
    assert_int_equal(pm_parse_long(NULL, 0, 10, &v), -1);
    assert_int_equal(pm_parse_long("11", 0, 10, &v), -1);
    assert_int_equal(pm_parse_long("-1", 0, 10, &v), -1);
    assert_int_equal(v, 12345);
}

static void parse_double_accepts(void **state)
{
    (void)state;
    double v = 0;
    assert_int_equal(pm_parse_double("1.5", &v), 0);
    assert_true(v == 1.5);
    assert_int_equal(pm_parse_double("-180", &v), 0);
    assert_true(v == -180.0);
    assert_int_equal(pm_parse_double("+90", &v), 0);
    assert_true(v == 90.0);
    assert_int_equal(pm_parse_double("121.60222", &v), 0);
    assert_true(v == 121.60222);
    assert_int_equal(pm_parse_double("1e3", &v), 0);
    assert_true(v == 1000.0);
    assert_int_equal(pm_parse_double("2.5E-1", &v), 0);
    assert_true(v == 0.25);
    assert_int_equal(pm_parse_double("0", &v), 0);
    assert_true(v == 0.0);
}

static void parse_double_rejects(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",     " 1",    "1 ", "1x", "x", "inf", "-inf", "INF",   "Infinity", "nan",   "NAN",
        "0x10", "0x1p3", "1e", "-",  ".", "e5",  "1,5",  "1e999", "-1e999",   "1.5\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 7.0;
        if (pm_parse_double(bad[i], &v) != -1)
            fail_msg("pm_parse_double accepted '%s'", bad[i]);
        assert_true(v == 7.0); /* out untouched */
    }
    double v = 7.0;
    assert_int_equal(pm_parse_double(NULL, &v), -1);
}

/* --- UTF-8 ---------------------------------------------------------------------------- */

static int utf8(const char *s)
{
    return pm_utf8_valid(s, strlen(s));
}

static void utf8_accepts_valid(void **state)
{
    (void)state;
    assert_true(utf8(""));
    assert_true(utf8("ascii only"));
    assert_true(utf8("\xC3\xA9"));         /* é U+00E9 */
    assert_true(utf8("\xC2\x80"));         /* U+0080, smallest 2-byte */
    assert_true(utf8("\xE0\xA0\x80"));     /* U+0800, smallest 3-byte */
    assert_true(utf8("大连市 北九州市"));  /* CJK, 3 bytes each */
    assert_true(utf8("\xED\x9F\xBF"));     /* U+D7FF, just below the surrogates */
    assert_true(utf8("\xEE\x80\x80"));     /* U+E000, just above them */
    assert_true(utf8("\xEF\xBB\xBF"));     /* BOM */
    assert_true(utf8("\xF0\x90\x80\x80")); /* U+10000, smallest 4-byte */
    assert_true(utf8("\xF0\x9F\x98\x80")); /* U+1F600 */
    assert_true(utf8("\xF4\x8F\xBF\xBF")); /* U+10FFFF, the last code point */
    /* The length counts, not the NUL. */
    assert_true(pm_utf8_valid("a\0b", 3));
    assert_true(pm_utf8_valid("\xC3\xA9\xFF", 2));
}

static void utf8_rejects_invalid(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "\x80",                     /* lone continuation byte */
        "a\xBF",                    /* lone continuation byte after ASCII */
        "\xC0\xAF",                 /* overlong '/' */
        "\xC1\xBF",                 /* overlong U+007F */
        "\xE0\x80\xAF",             /* overlong '/' in 3 bytes */
        "\xE0\x9F\xBF",             /* overlong U+07FF */
        "\xF0\x80\x80\xAF",         /* overlong '/' in 4 bytes */
        "\xF0\x8F\xBF\xBF",         /* overlong U+FFFF */
        "\xED\xA0\x80",             /* U+D800, high surrogate */
        "\xED\xBF\xBF",             /* U+DFFF, low surrogate */
        "\xED\xA0\xBD\xED\xB8\x80", /* CESU-8 surrogate pair */
        "\xF4\x90\x80\x80",         /* U+110000, above the last code point */
        "\xF8\x88\x80\x80\x80",     /* 5-byte form */
        "\xFC\x84\x80\x80\x80\x80", /* 6-byte form */
        "\xFE",
        "\xFF",
        "\xC3",         /* truncated 2-byte */
        "\xE5\xA4",     /* truncated 3-byte (大 without its last byte) */
        "abc\xE5",      /* truncated at the end */
        "\xF0\x9F\x98", /* truncated 4-byte */
        "\xE5\x41\xA7", /* ASCII where a continuation byte belongs */
        "\xC3\xC3\xA9", /* lead byte where a continuation byte belongs */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (utf8(bad[i]))
            fail_msg("pm_utf8_valid accepted case %zu", i);
    /* A sequence cut by the length is truncated even if more bytes follow in memory. */
    assert_false(pm_utf8_valid("\xC3\xA9", 1));
    assert_false(pm_utf8_valid("\xF0\x9F\x98\x80", 3));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(strbuf_grows_one_char_at_a_time),
        cmocka_unit_test(strbuf_append_binary_and_empty),
        cmocka_unit_test(strbuf_appendf_long_output),
        cmocka_unit_test(strbuf_appendf_many_small),
        cmocka_unit_test(strbuf_appendf_at_every_room),
        cmocka_unit_test(strbuf_reset_keeps_storage),
        cmocka_unit_test(strbuf_take_hands_over),
        cmocka_unit_test(asprintf_and_strndup),
        cmocka_unit_test(json_escapes_quote_and_backslash),
        cmocka_unit_test(json_escapes_control_chars),
        cmocka_unit_test(json_passes_utf8_through),
        cmocka_unit_test(json_escape_n_at_every_offset),
        cmocka_unit_test(html_escapes_five_chars),
        cmocka_unit_test(url_encoding),
        cmocka_unit_test(int_written_in_decimal),
        cmocka_unit_test(error_set_fills_and_truncates),
        cmocka_unit_test(fnv1a_known_values),
        cmocka_unit_test(parse_long_accepts),
        cmocka_unit_test(parse_long_rejects),
        cmocka_unit_test(parse_double_accepts),
        cmocka_unit_test(parse_double_rejects),
        cmocka_unit_test(utf8_accepts_valid),
        cmocka_unit_test(utf8_rejects_invalid),
    };
    return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
