/* tests/unit/fixture.h: the workspace and topology that the Check suites
   which run tiles or read a topology set up and tear down, as the
   supervisor does: the config's own name, a workspace sized by the
   topology's footprint, the topology built in it, and the file removed
   afterwards. Test-only: a failure fails the calling test (Check's
   ck_abort), it is never returned. tests/unit/fixture.mk links it into the
   suites that use it. */
#ifndef SL_TESTS_UNIT_FIXTURE_H
#define SL_TESTS_UNIT_FIXTURE_H

#include <stdint.h>

#include "config/config.h"
#include "shmem/wksp.h"
#include "tiles/topo.h"

/* fixture_config loads the embedded default config into cfg and names the
   instance "<prefix>-<pid>". Check runs each test in its own forked process
   (CK_FORK, the default), so the pid makes the name, and with it the
   workspace file, unique per test and apart from another run of the same
   suite (another worktree's); a test that sets up twice reuses its name,
   which is safe once fixture_down has removed the first workspace;
   a suite that sweeps leftovers by name puts its sweep key in prefix. The
   suite then adjusts cfg (tile counts, depths, sizes) before fixture_up.
   Fails the test, with the loader's message, if the defaults do not load,
   or if the name does not fit in cfg->name. */
void fixture_config(sl_config_t *cfg, const char *prefix);

/* What a suite may choose beyond its config; NULL (or all zero) in
   fixture_up is the default: the hugetlbfs mount libhugetlbfs finds, with
   sl_wksp_create's /dev/shm fallback; no config text in the workspace; no
   tile pinned to a CPU. */
typedef struct {
  const char *hugetlbfs_mount; /* as sl_wksp_params_t's; NULL: "auto" */
  const char *config_text;     /* copied into the workspace; NULL: none */
  const int32_t *cpus;         /* as sl_topo_build's cpus; NULL: no tile pinned */
  uint32_t cpu_cnt;
} fixture_opts_t;

/* fixture_up creates the workspace of instance cfg->name in w, of
   sl_topo_footprint(cfg) bytes (cfg final: the size follows its counts and
   depths), and builds cfg's topology in it; *topo is the topology. On a
   failed build it removes the workspace it created before failing the
   test, so nothing is left; a failed create leaves nothing either
   (sl_wksp_create's contract). Fails the test with the create's or the
   build's message. */
void fixture_up(sl_wksp_t *w, const sl_config_t *cfg, const fixture_opts_t *opts, sl_topo_t **topo);

/* fixture_down removes the workspace file fixture_up created (and its
   private directory if that is now empty) and leaves w (sl_wksp_remove).
   Never fails the test: a file that another instance of the same name
   replaced is left to that instance. */
void fixture_down(sl_wksp_t *w);

#endif
