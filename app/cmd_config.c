/* app/cmd_config.c: `sluice config ...` (see cmd_config.h). */
#include "app/cmd_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/preflight.h"
#include "config/config.h"
#include "config/toml.h"

static int usage(void) {
  fprintf(stderr,
          "usage: sluice config check FILE   validate FILE, then what this host makes of it\n"
          "       sluice config default      print the built-in default config\n"
          "       sluice config decode       TOML on stdin -> toml-test JSON on stdout\n");
  return 2;
}

/* read_stdin slurps standard input; NULL on allocation or read failure. */
static char *read_stdin(uint64_t *len) {
  uint64_t cap = 1 << 16, n = 0;
  char *b = malloc(cap);
  while (b) {
    size_t r = fread(b + n, 1, cap - n, stdin);
    n += r;
    if (r == 0) break;
    if (n == cap) {
      char *nb = realloc(b, cap *= 2);
      if (!nb) free(b);
      b = nb;
    }
  }
  if (b && ferror(stdin)) {
    free(b);
    return NULL;
  }
  *len = n;
  return b;
}

static int cmd_decode(void) {
  uint64_t len;
  char *text = read_stdin(&len);
  if (!text) {
    fprintf(stderr, "sluice config decode: cannot read standard input\n");
    return 1;
  }
  sl_err_t err;
  sl_toml_node_t *root = sl_toml_parse(text, len, &err);
  free(text);
  if (!root) {
    fprintf(stderr, "<stdin>:%s\n", err.msg);
    return 1;
  }
  uint64_t jlen;
  char *json = sl_toml_to_json(root, &jlen);
  sl_toml_free(root);
  if (!json) {
    fprintf(stderr, "sluice config decode: out of memory\n");
    return 1;
  }
  int ok = fwrite(json, 1, jlen, stdout) == jlen && fputc('\n', stdout) != EOF && fflush(stdout) == 0;
  free(json);
  return ok ? 0 : 1;
}

/* cmd_check: a file error stops at the first (exit 2); a valid file gets
   every host finding, one line each on stderr, then the closing line on
   stdout; exit 2 with any error, else 0. */
static int cmd_check(const char *path) {
  static sl_config_t cfg;
  static sl_config_src_t src;
  static sl_preflight_t pf;
  sl_err_t err;
  if (sl_config_load_src(&cfg, &src, path, &err)) {
    fprintf(stderr, "%s\n", err.msg);
    printf("%s: 1 error: not a valid configuration\n", path);
    return 2;
  }
  sl_preflight(&cfg, &src, &pf);
  char line[2048];
  for (uint32_t i = 0; i < pf.cnt; i++) {
    sl_preflight_line(&pf, i, &src, line, sizeof line);
    fprintf(stderr, "%s\n", line);
  }
  sl_preflight_summary(&pf, &src, line, sizeof line);
  printf("%s\n", line);
  return pf.errors ? 2 : 0;
}

int sl_cmd_config(int argc, char **argv) {
  if (argc < 2) return usage();
  const char *sub = argv[1];
  if (!strcmp(sub, "check") && argc == 3) return cmd_check(argv[2]);
  if (!strcmp(sub, "default") && argc == 2) {
    fputs(sl_default_toml, stdout);
    return fflush(stdout) ? 1 : 0;
  }
  if (!strcmp(sub, "decode") && argc == 2) return cmd_decode();
  return usage();
}
