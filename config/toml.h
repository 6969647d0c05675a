/* config/toml.h: a TOML 1.0 parser producing a tree that remembers where
   every node came from.

   The whole document is parsed into malloc'ed nodes (config parsing is not a
   hot path); the root is a table. Every node carries the 1-based line and
   column (in characters, not bytes) of the token that created it, so that
   the config layer can point at the offending value. Errors are one line,
   "LINE:COL: message", positioned on the offending token.

   What is accepted is exactly TOML 1.0.0 (toml.io/en/v1.0.0): all four
   string kinds with their escapes, integers in four radixes with range
   checks, floats incl. inf/nan, the four date-time kinds with calendar
   validation, dotted and quoted keys, inline tables (immutable once closed),
   arrays of tables and the rules against redefining a table or a key. Input
   must be UTF-8 (a leading BOM is skipped); bare CR and control characters
   outside the places TOML allows them are rejected. */
#ifndef SL_CONFIG_TOML_H
#define SL_CONFIG_TOML_H

#include <stdint.h>

#include "util/err.h"

/* Nesting limit (tables, arrays, inline tables, dotted keys, all counted):
   beyond it the document is refused rather than risking the stack. */
#define SL_TOML_DEPTH_MAX 128

enum {
  SL_TOML_TABLE = 1,
  SL_TOML_ARRAY,
  SL_TOML_STRING,
  SL_TOML_INTEGER,
  SL_TOML_FLOAT,
  SL_TOML_BOOL,
  SL_TOML_DATETIME,       /* offset date-time: 1979-05-27T07:32:00Z */
  SL_TOML_DATETIME_LOCAL, /* 1979-05-27T07:32:00 */
  SL_TOML_DATE_LOCAL,     /* 1979-05-27 */
  SL_TOML_TIME_LOCAL      /* 07:32:00 */
};

/* A date-time as written. Fields a kind lacks are 0 (a local time has no
   date, a local date no time, only SL_TOML_DATETIME has an offset). Digits
   of fractional seconds beyond nanoseconds are truncated, as TOML asks. */
typedef struct {
  uint16_t year;       /* 0..9999 */
  uint8_t month, day;  /* 1..12, 1..28/29/30/31 */
  uint8_t hour, minute, second; /* 0..23, 0..59, 0..60 (leap second) */
  uint8_t frac_digits; /* digits of the fraction as written, at most 9 */
  uint32_t nanosecond;
  int16_t offset_min;  /* minutes east of UTC */
  uint8_t offset_z;    /* the offset was written "Z" */
} sl_toml_datetime_t;

typedef struct sl_toml_node sl_toml_node_t;

/* One key of a table. Keys are byte strings (a quoted key may hold
   "\u0000"), also NUL-terminated for convenience. */
typedef struct {
  char *key;
  uint32_t key_len;
  uint32_t line, col; /* where the key was written (the first time, for tables) */
  sl_toml_node_t *val;
} sl_toml_kv_t;

struct sl_toml_node {
  uint8_t type;   /* SL_TOML_* */
  uint8_t flags;  /* parser-private: how a table or array came to be */
  uint16_t depth; /* root 0 */
  uint32_t line, col;
  union {
    struct { char *ptr; uint64_t len; } str; /* NUL-terminated; may hold NULs */
    int64_t i;
    double f;
    int b;
    sl_toml_datetime_t dt;
    struct { sl_toml_kv_t *kv; uint32_t cnt, cap; } tab;    /* in document order */
    struct { sl_toml_node_t **item; uint32_t cnt, cap; } arr;
  } v;
};

/* sl_toml_parse parses len bytes of text (need not be NUL-terminated; a NUL
   byte inside is an error like any control character). Returns the root
   table, to be released with sl_toml_free, or NULL with "LINE:COL: message"
   in err. Never reads outside text[0..len), never crashes on any input;
   allocation failure is reported as an error. */
sl_toml_node_t *sl_toml_parse(const char *text, uint64_t len, sl_err_t *err);

/* sl_toml_free releases a tree returned by sl_toml_parse (NULL is fine). */
void sl_toml_free(sl_toml_node_t *root);

/* sl_toml_get returns the value of key in table, or NULL if table is NULL,
   is not a table, or has no such key. */
const sl_toml_node_t *sl_toml_get(const sl_toml_node_t *table, const char *key);

/* sl_toml_type_name names a node type for messages to people: "string",
   "integer", "float", "boolean", "table", "array", "offset date-time",
   "local date-time", "local date", "local time". */
const char *sl_toml_type_name(int type);

/* sl_toml_datetime_format writes the RFC 3339 text of a date-time node's
   value ("1979-05-27T07:32:00.5-07:00", "07:32:00", ...) into buf (at least
   40 bytes suffice) and returns its length. type is the node's type. */
int sl_toml_datetime_format(const sl_toml_datetime_t *dt, int type, char *buf, uint32_t bufsz);

/* sl_toml_to_json renders a tree in the toml-test suite's tagged JSON
   (tables as objects, arrays as arrays, every scalar as {"type": T,
   "value": TEXT}). Returns a malloc'ed NUL-terminated string (its length in
   *len if len is not NULL), or NULL if memory ran out. */
char *sl_toml_to_json(const sl_toml_node_t *root, uint64_t *len);

#endif
