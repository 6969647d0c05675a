/* tests/unit/fixture.c: see fixture.h. */
#include "tests/unit/fixture.h"

#include <check.h>
#include <stdio.h>
#include <unistd.h>

void fixture_config(sl_config_t *cfg, const char *prefix) {
  sl_err_t err;
  ck_assert_msg(sl_config_load(cfg, NULL, &err) == 0, "%s", err.msg);
  int n = snprintf(cfg->name, sizeof cfg->name, "%s-%d", prefix, (int)getpid());
  ck_assert_msg(n > 0 && (size_t)n < sizeof cfg->name, "instance name %s-%d: longer than %zu bytes",
                prefix, (int)getpid(), sizeof cfg->name - 1);
}

void fixture_up(sl_wksp_t *w, const sl_config_t *cfg, const fixture_opts_t *opts, sl_topo_t **topo) {
  static const fixture_opts_t none;
  if (!opts) opts = &none;
  sl_wksp_params_t p;
  sl_wksp_params_default(&p);
  p.name = cfg->name;
  p.size = sl_topo_footprint(cfg);
  if (opts->hugetlbfs_mount) p.hugetlbfs_mount = opts->hugetlbfs_mount;
  p.config_text = opts->config_text;
  sl_err_t err;
  ck_assert_msg(sl_wksp_create(w, &p, &err) == 0, "%s", err.msg);
  if (sl_topo_build(w, cfg, opts->cpus, opts->cpu_cnt, topo, &err)) {
    sl_wksp_remove(w);
    ck_abort_msg("%s", err.msg);
  }
}

void fixture_down(sl_wksp_t *w) { sl_wksp_remove(w); }
