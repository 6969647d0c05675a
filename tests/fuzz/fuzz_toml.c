/* libFuzzer harness for config/: any bytes through the TOML parser and its
   JSON rendering, and through the typed config loader. Beyond "no crash,
   no leak, no UB", it checks two contracts and aborts when one breaks:
   every parse error is positioned ("LINE:COL: ..."), and a config that
   loads renders to text that loads back to the identical config. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/toml.h"

static void check_positioned(const char *msg, const char *prefix) {
  size_t n = strlen(prefix);
  unsigned line, col;
  if (strncmp(msg, prefix, n) || sscanf(msg + n, "%u:%u: ", &line, &col) != 2 || line == 0 || col == 0) {
    fprintf(stderr, "unpositioned error: %s\n", msg);
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  sl_err_t err;
  sl_toml_node_t *root = sl_toml_parse((const char *)data, size, &err);
  if (!root) {
    check_positioned(err.msg, "");
    return 0; /* the config loader would stop at the same syntax error */
  }
  char *json = sl_toml_to_json(root, NULL);
  free(json);
  sl_toml_free(root);

  char *text = malloc(size + 1);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = 0;
  sl_config_t a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  if (sl_config_load_text(&a, text, "f", &err) == 0) {
    uint64_t need = sl_config_render(&a, NULL, 0);
    char *out = malloc(need + 1);
    if (out) {
      sl_config_render(&a, out, need + 1);
      if (sl_config_load_text(&b, out, "rendered", &err) || memcmp(&a, &b, sizeof a)) {
        fprintf(stderr, "render does not round-trip (%s):\n%s\n", err.msg, out);
        abort();
      }
      free(out);
    }
  } else if (strncmp(err.msg, "f:", 2) == 0) {
    check_positioned(err.msg, "f:");
  }
  free(text);
  return 0;
}
