/* Unit tests for config/toml: the TOML 1.0 parser. The toml-test suite
   (tests/integration/toml_test.sh) covers the grammar case by case; these
   pin the contracts of the API: positions, errors, tree shape, limits. */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/toml.h"

static sl_err_t err;

static sl_toml_node_t *parse(const char *s) {
  err.msg[0] = 0;
  return sl_toml_parse(s, strlen(s), &err);
}

/* fails asserts that s does not parse and that the message is exactly want. */
#define FAILS(s, want)                                              \
  do {                                                              \
    sl_toml_node_t *t_ = parse(s);                                  \
    ck_assert_msg(t_ == NULL, "accepted: %s", s);                   \
    ck_assert_str_eq(err.msg, want);                                \
  } while (0)

#define REJECTS(s)                                                           \
  do {                                                                       \
    sl_toml_node_t *t_ = parse(s);                                           \
    ck_assert_msg(t_ == NULL, "accepted: %s", s);                            \
    ck_assert_msg(err.msg[0] >= '1' && err.msg[0] <= '9', "no position: %s", err.msg); \
  } while (0)

START_TEST(scalars_of_every_type_parse) {
  sl_toml_node_t *t = parse(
      "s = \"str\"\ni = -42\nf = 6.5e-1\nb = true\n"
      "odt = 1979-05-27T07:32:00.999999-07:00\nldt = 1979-05-27T07:32:00\nld = 1979-05-27\nlt = 07:32:00.5\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(t, "s")->type, SL_TOML_STRING);
  ck_assert_str_eq(sl_toml_get(t, "s")->v.str.ptr, "str");
  ck_assert_int_eq(sl_toml_get(t, "i")->v.i, -42);
  ck_assert_double_eq(sl_toml_get(t, "f")->v.f, 0.65);
  ck_assert_int_eq(sl_toml_get(t, "b")->v.b, 1);
  const sl_toml_node_t *odt = sl_toml_get(t, "odt");
  ck_assert_int_eq(odt->type, SL_TOML_DATETIME);
  ck_assert_int_eq(odt->v.dt.year, 1979);
  ck_assert_int_eq(odt->v.dt.nanosecond, 999999000);
  ck_assert_int_eq(odt->v.dt.offset_min, -420);
  ck_assert_int_eq(sl_toml_get(t, "ldt")->type, SL_TOML_DATETIME_LOCAL);
  ck_assert_int_eq(sl_toml_get(t, "ld")->type, SL_TOML_DATE_LOCAL);
  ck_assert_int_eq(sl_toml_get(t, "lt")->type, SL_TOML_TIME_LOCAL);
  char buf[64];
  sl_toml_datetime_format(&odt->v.dt, odt->type, buf, sizeof buf);
  ck_assert_str_eq(buf, "1979-05-27T07:32:00.999999-07:00");
  const sl_toml_node_t *lt = sl_toml_get(t, "lt");
  sl_toml_datetime_format(&lt->v.dt, lt->type, buf, sizeof buf);
  ck_assert_str_eq(buf, "07:32:00.5");
  sl_toml_free(t);
}
END_TEST

START_TEST(nodes_remember_line_and_column_in_characters) {
  sl_toml_node_t *t = parse("# c\n\n[tbl]\n  \"é\" = 'é'   \n  k = [1,\n    22]\n");
  ck_assert_ptr_nonnull(t);
  const sl_toml_node_t *tbl = sl_toml_get(t, "tbl");
  ck_assert_uint_eq(tbl->line, 3);
  ck_assert_uint_eq(tbl->col, 2);
  const sl_toml_node_t *e = sl_toml_get(tbl, "é");
  ck_assert_uint_eq(e->line, 4);
  ck_assert_uint_eq(e->col, 9); /* "é" is one column though two bytes */
  ck_assert_uint_eq(tbl->v.tab.kv[0].line, 4);
  ck_assert_uint_eq(tbl->v.tab.kv[0].col, 3);
  const sl_toml_node_t *k = sl_toml_get(tbl, "k");
  ck_assert_uint_eq(k->line, 5);
  ck_assert_uint_eq(k->col, 7);
  ck_assert_uint_eq(k->v.arr.item[1]->line, 6);
  ck_assert_uint_eq(k->v.arr.item[1]->col, 5);
  sl_toml_free(t);
}
END_TEST

START_TEST(errors_point_at_the_offending_token) {
  FAILS("a = 1\nb = 2x\n", "2:5: invalid number \"2x\"");
  FAILS("a = 1\na = 2\n", "2:1: duplicate key a (first defined on line 1)");
  FAILS("[t]\nk = \"abc\n", "2:5: string not closed on its line (use \"\"\" for a multi-line string)");
  FAILS("x = 1 y = 2\n", "1:7: unexpected 'y' after the value (expected a newline or a comment)");
  FAILS("x = [1 2]\n", "1:8: expected ',' or ']' in the array, found '2'");
  FAILS("é = 1\n", "1:1: expected a key, found character U+00E9 (bare keys are A-Za-z0-9_-; quote any other)");
  FAILS("k = \"\\q\"", "1:6: invalid escape \\ followed by 'q' (TOML 1.0 allows \\b \\t \\n \\f \\r \\\" \\\\ "
                       "\\uXXXX \\UXXXXXXXX)");
}
END_TEST

START_TEST(integers_in_every_radix_with_underscores) {
  sl_toml_node_t *t = parse("a = 1_000\nb = 0xDEAD_beef\nc = 0o755\nd = 0b1101\ne = +0\nf = -0\n"
                            "g = 9223372036854775807\nh = -9223372036854775808\ni = 0x7FFFFFFFFFFFFFFF\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(t, "a")->v.i, 1000);
  ck_assert_int_eq(sl_toml_get(t, "b")->v.i, 0xDEADBEEF);
  ck_assert_int_eq(sl_toml_get(t, "c")->v.i, 0755);
  ck_assert_int_eq(sl_toml_get(t, "d")->v.i, 13);
  ck_assert_int_eq(sl_toml_get(t, "e")->v.i, 0);
  ck_assert_int_eq(sl_toml_get(t, "f")->v.i, 0);
  ck_assert(sl_toml_get(t, "g")->v.i == INT64_MAX);
  ck_assert(sl_toml_get(t, "h")->v.i == INT64_MIN);
  ck_assert(sl_toml_get(t, "i")->v.i == INT64_MAX);
  sl_toml_free(t);
}
END_TEST

START_TEST(integers_out_of_range_or_malformed_are_rejected) {
  FAILS("a = 9223372036854775808", "1:5: integer 9223372036854775808 out of the 64-bit signed range");
  REJECTS("a = -9223372036854775809");
  REJECTS("a = 0x8000000000000000");
  REJECTS("a = 012");
  REJECTS("a = 1__0");
  REJECTS("a = _1");
  REJECTS("a = 1_");
  REJECTS("a = +0x1");
  REJECTS("a = 0X1");
  REJECTS("a = 0b102");
}
END_TEST

START_TEST(floats_with_exponents_inf_and_nan) {
  sl_toml_node_t *t = parse("a = 1e3\nb = -2E-2\nc = 3.14_15\nd = inf\ne = -inf\nf = nan\ng = 1e06\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_double_eq(sl_toml_get(t, "a")->v.f, 1000.0);
  ck_assert_double_eq(sl_toml_get(t, "b")->v.f, -0.02);
  ck_assert_double_eq(sl_toml_get(t, "c")->v.f, 3.1415);
  ck_assert(isinf(sl_toml_get(t, "d")->v.f) && sl_toml_get(t, "d")->v.f > 0);
  ck_assert(isinf(sl_toml_get(t, "e")->v.f) && sl_toml_get(t, "e")->v.f < 0);
  ck_assert(isnan(sl_toml_get(t, "f")->v.f));
  ck_assert_double_eq(sl_toml_get(t, "g")->v.f, 1e6);
  sl_toml_free(t);
  REJECTS("a = 1.");
  REJECTS("a = .5");
  REJECTS("a = 1.e5");
  REJECTS("a = 1e");
  REJECTS("a = Inf");
  REJECTS("a = 01.5");
  REJECTS("a = 1e400");
}
END_TEST

START_TEST(basic_string_escapes_decode_to_utf8) {
  sl_toml_node_t *t = parse("s = \"a\\tb\\\"\\\\\\u00e9\\U0001F600\\u0000z\"\n");
  ck_assert_ptr_nonnull(t);
  const sl_toml_node_t *s = sl_toml_get(t, "s");
  static const char want[] = "a\tb\"\\\xC3\xA9\xF0\x9F\x98\x80\0z";
  ck_assert_uint_eq(s->v.str.len, sizeof want - 1);
  ck_assert(!memcmp(s->v.str.ptr, want, sizeof want - 1));
  sl_toml_free(t);
}
END_TEST

START_TEST(bad_escapes_and_surrogates_are_rejected) {
  FAILS("s = \"\\uD800\"", "1:6: escape \\uD800 is not a Unicode scalar value (U+0000..U+D7FF, U+E000..U+10FFFF)");
  REJECTS("s = \"\\U00110000\"");
  REJECTS("s = \"\\u12\"");
  REJECTS("s = \"\\x41\"");
  REJECTS("s = \"\\e\"");
  REJECTS("s = \"\"\"\\ x\"\"\"");
}
END_TEST

START_TEST(multiline_strings_trim_and_join_lines) {
  sl_toml_node_t *t = parse("a = \"\"\"\none \\\n    two\r\nthree\"\"\"\"\"\nb = '''\nraw \\n'''\nc = \"\"\"q\"\"q\"\"\"\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_str_eq(sl_toml_get(t, "a")->v.str.ptr, "one two\nthree\"\"");
  ck_assert_str_eq(sl_toml_get(t, "b")->v.str.ptr, "raw \\n");
  ck_assert_str_eq(sl_toml_get(t, "c")->v.str.ptr, "q\"\"q");
  sl_toml_free(t);
  REJECTS("a = \"\"\"x\"\"\"\"\"\"\n");
  REJECTS("a = '''never closed\n");
}
END_TEST

START_TEST(crlf_is_a_newline_but_bare_cr_is_not) {
  sl_toml_node_t *t = parse("a = 1\r\n[b]\r\nc = 2 # x\r\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(sl_toml_get(t, "b"), "c")->v.i, 2);
  sl_toml_free(t);
  REJECTS("a = 1\rb = 2\n");
  FAILS("a = 1 # x\ry\n", "1:10: control character U+000D in a comment");
}
END_TEST

START_TEST(control_characters_are_rejected) {
  FAILS("a = \"x\x01\"", "1:7: control character U+0001 in a string (write it as an escape)");
  REJECTS("a = 'x\x7f'");
  ck_assert_ptr_null(sl_toml_parse("# \0 nul\n", 9, &err));
  ck_assert_str_eq(err.msg, "1:3: control character U+0000 in a comment");
  REJECTS("a = 1\x0c");
  sl_toml_node_t *t = parse("a = \"tab\there\" # and\there\n");
  ck_assert_ptr_nonnull(t);
  sl_toml_free(t);
  /* a NUL byte inside len is data, and refused */
  ck_assert_ptr_null(sl_toml_parse("a = 1\0", 6, &err));
  ck_assert_ptr_null(sl_toml_parse("a = \"\0\"", 7, &err));
}
END_TEST

START_TEST(invalid_utf8_is_rejected_with_its_position) {
  FAILS("a = 1\nb = \"x\xC3\x28\"\n", "2:7: invalid UTF-8 (byte 0xC3); save the file as UTF-8");
  REJECTS("a = \"\xED\xA0\x80\"");     /* encoded surrogate */
  REJECTS("a = \"\xC0\xAF\"");         /* overlong */
  REJECTS("a = \"\xF4\x90\x80\x80\""); /* above U+10FFFF */
  REJECTS("a = \"\xE2\x82\"");         /* truncated */
}
END_TEST

START_TEST(bom_is_skipped_only_at_the_start) {
  sl_toml_node_t *t = parse("\xEF\xBB\xBF" "a = 1\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(sl_toml_get(t, "a")->col, 5);
  sl_toml_free(t);
  REJECTS("a = \xEF\xBB\xBF" "1\n");
}
END_TEST

START_TEST(datetimes_are_validated_against_the_calendar) {
  sl_toml_node_t *t = parse("a = 2000-02-29\nb = 2024-02-29T23:59:60Z\nc = 1979-05-27 07:32:00z\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(t, "c")->type, SL_TOML_DATETIME);
  ck_assert_int_eq(sl_toml_get(t, "c")->v.dt.offset_z, 1);
  sl_toml_free(t);
  FAILS("a = 1900-02-29", "1:5: day 29 out of range for 1900-02 (01..28)");
  REJECTS("a = 2023-13-01");
  REJECTS("a = 2023-04-31");
  REJECTS("a = 2023-01-01T24:00:00");
  REJECTS("a = 2023-01-01T00:60:00");
  REJECTS("a = 2023-01-01T00:00:61");
  REJECTS("a = 2023-01-01T00:00");
  REJECTS("a = 2023-01-01T00:00:00+24:00");
  REJECTS("a = 07:32:00Z");
  REJECTS("a = 2023-1-01");
}
END_TEST

START_TEST(dotted_and_quoted_keys_make_nested_tables) {
  sl_toml_node_t *t = parse("a.b . \"c.d\" = 1\na.'e' = 2\n\"\" = 3\n");
  ck_assert_ptr_nonnull(t);
  const sl_toml_node_t *a = sl_toml_get(t, "a");
  ck_assert_int_eq(a->type, SL_TOML_TABLE);
  ck_assert_int_eq(sl_toml_get(sl_toml_get(a, "b"), "c.d")->v.i, 1);
  ck_assert_int_eq(sl_toml_get(a, "e")->v.i, 2);
  ck_assert_int_eq(sl_toml_get(t, "")->v.i, 3);
  sl_toml_free(t);
}
END_TEST

START_TEST(tables_cannot_be_defined_twice) {
  FAILS("[a]\n[a]\n", "2:2: [a] is already defined as a table (line 1)");
  FAILS("[a]\nb.c = 1\n[a.b]\n", "3:4: [a.b] is already defined as a table made by dotted keys (line 2)");
  FAILS("a = {}\n[a]\n", "2:2: [a] is already defined as an inline table (line 1)");
  FAILS("[a]\nb = 1\n[a.b]\n", "3:4: [a.b] is already defined as an integer (line 2)");
}
END_TEST

START_TEST(implicit_table_may_be_defined_once_later) {
  sl_toml_node_t *t = parse("[a.b.c]\nx = 1\n[a]\ny = 2\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(sl_toml_get(t, "a"), "y")->v.i, 2);
  sl_toml_free(t);
  REJECTS("[a.b.c]\n[a]\n[a]\n");
}
END_TEST

START_TEST(dotted_keys_cannot_reopen_header_tables) {
  FAILS("[a.b]\n[a]\nb.c = 1\n",
        "3:1: table b was opened by a [header] (line 1); a dotted key cannot add to it");
  REJECTS("a = 1\na.b = 2\n");
}
END_TEST

START_TEST(inline_tables_are_immutable) {
  sl_toml_node_t *t = parse("a = {x = 1, y.z = 2}\n");
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(sl_toml_get(sl_toml_get(t, "a"), "y"), "z")->v.i, 2);
  sl_toml_free(t);
  FAILS("a = {x = 1}\na.y = 2\n", "2:1: inline table a (line 1) cannot be extended after its closing brace");
  REJECTS("a = {x = 1}\n[a.b]\n");
  REJECTS("a = {x = 1,}\n");
  REJECTS("a = {x = 1\n}\n");
  REJECTS("a = {x = 1, x = 2}\n");
}
END_TEST

START_TEST(arrays_of_tables_append_and_nest) {
  sl_toml_node_t *t = parse("[[p]]\nn = 1\n[p.q]\nm = 1\n[[p]]\nn = 2\n[[p.r]]\n[[p.r]]\n");
  ck_assert_ptr_nonnull(t);
  const sl_toml_node_t *p = sl_toml_get(t, "p");
  ck_assert_int_eq(p->type, SL_TOML_ARRAY);
  ck_assert_uint_eq(p->v.arr.cnt, 2);
  ck_assert_int_eq(sl_toml_get(p->v.arr.item[1], "n")->v.i, 2);
  ck_assert_uint_eq(sl_toml_get(p->v.arr.item[1], "r")->v.arr.cnt, 2);
  ck_assert_ptr_nonnull(sl_toml_get(p->v.arr.item[0], "q"));
  sl_toml_free(t);
  FAILS("a = [1]\n[[a]]\n", "2:3: [[a]]: the key already holds an array (line 1)");
  REJECTS("[a]\n[[a]]\n");
  REJECTS("[[a]]\n[a]\n");
  REJECTS("[ [a] ]\n");
  REJECTS("[[a] ]\n");
}
END_TEST

START_TEST(arrays_may_span_lines_mix_types_and_end_with_a_comma) {
  sl_toml_node_t *t = parse("a = [\n  1, # one\n  \"two\",\n  [3],\n  {f = 4},\n]\n");
  ck_assert_ptr_nonnull(t);
  const sl_toml_node_t *a = sl_toml_get(t, "a");
  ck_assert_uint_eq(a->v.arr.cnt, 4);
  ck_assert_int_eq(a->v.arr.item[1]->type, SL_TOML_STRING);
  ck_assert_int_eq(a->v.arr.item[3]->type, SL_TOML_TABLE);
  sl_toml_free(t);
  REJECTS("a = [,]\n");
  REJECTS("a = [1,,2]\n");
}
END_TEST

START_TEST(nesting_deeper_than_the_limit_is_refused) {
  char doc[2 * SL_TOML_DEPTH_MAX + 64];
  int n = sprintf(doc, "a = ");
  for (int i = 0; i < SL_TOML_DEPTH_MAX + 1; i++) doc[n++] = '[';
  for (int i = 0; i < SL_TOML_DEPTH_MAX + 1; i++) doc[n++] = ']';
  doc[n] = 0;
  ck_assert_ptr_null(parse(doc));
  ck_assert_msg(strstr(err.msg, "nesting deeper than") != NULL, "%s", err.msg);
  n = sprintf(doc, "a = ");
  for (int i = 0; i < 10; i++) doc[n++] = '[';
  for (int i = 0; i < 10; i++) doc[n++] = ']';
  doc[n] = 0;
  sl_toml_node_t *t = parse(doc);
  ck_assert_ptr_nonnull(t);
  sl_toml_free(t);
}
END_TEST

START_TEST(parse_reads_only_len_bytes) {
  /* Only "a = 1" is the document; what follows the length is not read. */
  char *buf = malloc(5);
  memcpy(buf, "a = 1", 5);
  sl_toml_node_t *t = sl_toml_parse(buf, 5, &err);
  ck_assert_ptr_nonnull(t);
  ck_assert_int_eq(sl_toml_get(t, "a")->v.i, 1);
  sl_toml_free(t);
  ck_assert_ptr_null(sl_toml_parse(buf, 4, &err)); /* "a = " */
  ck_assert_str_eq(err.msg, "1:5: expected a value, found end of file");
  free(buf);
  t = sl_toml_parse("", 0, &err);
  ck_assert_ptr_nonnull(t);
  ck_assert_uint_eq(t->v.tab.cnt, 0);
  sl_toml_free(t);
}
END_TEST

START_TEST(json_tags_every_scalar_as_toml_test_does) {
  sl_toml_node_t *t = parse("s = \"q\\\"\\n\\u0001\"\n[t]\na = [1, 2.5, true, 1979-05-27, 07:32:00, nan]\n");
  ck_assert_ptr_nonnull(t);
  char *j = sl_toml_to_json(t, NULL);
  ck_assert_ptr_nonnull(j);
  ck_assert_str_eq(j, "{\"s\":{\"type\":\"string\",\"value\":\"q\\\"\\n\\u0001\"},\"t\":{\"a\":["
                      "{\"type\":\"integer\",\"value\":\"1\"},{\"type\":\"float\",\"value\":\"2.5\"},"
                      "{\"type\":\"bool\",\"value\":\"true\"},{\"type\":\"date-local\",\"value\":\"1979-05-27\"},"
                      "{\"type\":\"time-local\",\"value\":\"07:32:00\"},{\"type\":\"float\",\"value\":\"nan\"}]}}");
  free(j);
  sl_toml_free(t);
}
END_TEST

START_TEST(get_returns_null_for_missing_keys_and_non_tables) {
  sl_toml_node_t *t = parse("a = 1\n");
  ck_assert_ptr_null(sl_toml_get(t, "b"));
  ck_assert_ptr_null(sl_toml_get(sl_toml_get(t, "a"), "x"));
  ck_assert_ptr_null(sl_toml_get(NULL, "a"));
  ck_assert_str_eq(sl_toml_type_name(SL_TOML_INTEGER), "integer");
  sl_toml_free(t);
  sl_toml_free(NULL);
}
END_TEST

int main(void) {
  Suite *s = suite_create("toml");
  TCase *tc = tcase_create("core");
  tcase_add_test(tc, scalars_of_every_type_parse);
  tcase_add_test(tc, nodes_remember_line_and_column_in_characters);
  tcase_add_test(tc, errors_point_at_the_offending_token);
  tcase_add_test(tc, integers_in_every_radix_with_underscores);
  tcase_add_test(tc, integers_out_of_range_or_malformed_are_rejected);
  tcase_add_test(tc, floats_with_exponents_inf_and_nan);
  tcase_add_test(tc, basic_string_escapes_decode_to_utf8);
  tcase_add_test(tc, bad_escapes_and_surrogates_are_rejected);
  tcase_add_test(tc, multiline_strings_trim_and_join_lines);
  tcase_add_test(tc, crlf_is_a_newline_but_bare_cr_is_not);
  tcase_add_test(tc, control_characters_are_rejected);
  tcase_add_test(tc, invalid_utf8_is_rejected_with_its_position);
  tcase_add_test(tc, bom_is_skipped_only_at_the_start);
  tcase_add_test(tc, datetimes_are_validated_against_the_calendar);
  tcase_add_test(tc, dotted_and_quoted_keys_make_nested_tables);
  tcase_add_test(tc, tables_cannot_be_defined_twice);
  tcase_add_test(tc, implicit_table_may_be_defined_once_later);
  tcase_add_test(tc, dotted_keys_cannot_reopen_header_tables);
  tcase_add_test(tc, inline_tables_are_immutable);
  tcase_add_test(tc, arrays_of_tables_append_and_nest);
  tcase_add_test(tc, arrays_may_span_lines_mix_types_and_end_with_a_comma);
  tcase_add_test(tc, nesting_deeper_than_the_limit_is_refused);
  tcase_add_test(tc, parse_reads_only_len_bytes);
  tcase_add_test(tc, json_tags_every_scalar_as_toml_test_does);
  tcase_add_test(tc, get_returns_null_for_missing_keys_and_non_tables);
  suite_add_tcase(s, tc);
  SRunner *sr = srunner_create(s);
  srunner_run_all(sr, CK_NORMAL);
  int nf = srunner_ntests_failed(sr);
  srunner_free(sr);
  return nf ? EXIT_FAILURE : EXIT_SUCCESS;
}
