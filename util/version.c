#include "util/version.h"

/* The Makefile defines SL_VERSION for this file only, so that a new
   version rebuilds one object. */
#ifndef SL_VERSION
#error "SL_VERSION is set by the Makefile (VERSION): build with make"
#endif

const char *sl_version(void) { return SL_VERSION; }
