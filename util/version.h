/* util/version.h: which build this is. */
#ifndef SL_UTIL_VERSION_H
#define SL_UTIL_VERSION_H

/* sl_version: the version this binary was built from, as the Makefile put
   it in at build time: `git describe --tags --always --dirty` of the source
   tree (a tag, or a commit, "-dirty" when the tree had changes), or
   VERSION_FALLBACK plus "-nogit" for a tree without git (a tarball). A
   static string; never NULL, never empty. */
const char *sl_version(void);

#endif
