/* shmem/wksp.h: the workspace, one shared-memory file per instance that
   holds every ring, payload region, tag cache, UMEM and metrics block.

   The file is <hugetlbfs mount>/<name>.wksp (or /dev/shm/<name>.wksp when no
   hugetlbfs mount has enough free pages). The supervisor creates it, carves
   objects out of it with sl_wksp_alloc, then forks the tiles, which inherit
   the mapping at the same address. Any other process (the monitor, a test)
   joins by name and maps it wherever mmap puts it: hence everything inside
   is addressed by an offset from the workspace base, never by a pointer.

   Layout: a header (sl_wksp_hdr_t) at offset 0, then the resolved config
   text, then the objects, each found through the header's directory. */
#ifndef SL_SHMEM_WKSP_H
#define SL_SHMEM_WKSP_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SL_WKSP_MAGIC 0x50534b574c53ull /* "SLWKSP" */
#define SL_WKSP_LAYOUT_VERSION 1u
#define SL_WKSP_OBJ_MAX 256u
#define SL_WKSP_OBJ_NAME_MAX 48u  /* including the NUL */
#define SL_WKSP_NAME_MAX 64u      /* instance name, including the NUL */
#define SL_WKSP_PATH_MAX 256u
#define SL_WKSP_ALIGN_MIN 128ull  /* every object starts on a 128-byte boundary */

#define SL_PAGE_2M (2ull << 20)
#define SL_PAGE_1G (1ull << 30)

/* Kinds of directory entries (the monitor uses them to know how to read an
   object). 0 is never a valid kind. */
enum {
  SL_OBJ_RING = 1,    /* shmem/ring.h link (meta ring + optional payload slots) */
  SL_OBJ_PAYLOAD = 2, /* a free-standing payload region */
  SL_OBJ_TCACHE = 3,  /* shmem/tcache.h dedup cache */
  SL_OBJ_METRICS = 4, /* shmem/metrics.h per-tile block */
  SL_OBJ_UMEM = 5,    /* AF_XDP UMEM / io_uring provided buffers */
  SL_OBJ_OTHER = 6,
};

/* A directory entry: a named region [off, off+sz) of the workspace. */
typedef struct {
  char name[SL_WKSP_OBJ_NAME_MAX];
  uint32_t kind; /* SL_OBJ_* */
  uint32_t _pad;
  uint64_t off; /* from the workspace base; a multiple of the alloc's align */
  uint64_t sz;
} sl_wksp_obj_t;

/* The shared header at offset 0. Written once by the creator before any
   other process can see the file (the file appears under its final name only
   when this is complete), except obj_cnt/alloc_cursor, which grow while the
   creator allocates (obj_cnt is release-stored after its entry is written,
   so a reader that acquire-loads obj_cnt sees complete entries). */
typedef struct {
  uint64_t magic;          /* SL_WKSP_MAGIC */
  uint32_t layout_version; /* SL_WKSP_LAYOUT_VERSION */
  uint32_t hdr_sz;         /* sizeof(sl_wksp_hdr_t) */
  uint64_t total_sz;       /* bytes mapped, a multiple of page_size */
  uint64_t page_size;      /* 2M or 1G on hugetlbfs; the base page size on /dev/shm */
  uint32_t is_huge;        /* 1 if backed by hugetlbfs */
  int32_t numa_node;       /* node the memory is bound to, -1 = not bound */
  int32_t creator_pid;
  uint32_t _pad0;
  uint64_t creator_wall_ns;    /* CLOCK_REALTIME at creation */
  uint64_t creator_proc_start; /* starttime (field 22) of /proc/<pid>/stat: clock ticks since boot */
  uint64_t tag_seed;           /* random per instance (getrandom): the key of sl_tag_hash */
  char name[SL_WKSP_NAME_MAX]; /* instance name */
  uint64_t config_off;         /* resolved config text (NUL-terminated), 0 if none */
  uint64_t config_sz;          /* bytes of text, without the NUL */
  uint64_t alloc_cursor;       /* first free byte (bump allocator) */
  uint32_t obj_cnt;            /* entries in use in obj[] */
  uint32_t _pad1;
  uint8_t _rsvd[64];
  sl_wksp_obj_t obj[SL_WKSP_OBJ_MAX];
} sl_wksp_hdr_t;

/* A process-local handle. Copying it is fine; it holds no shared state. */
typedef struct {
  uint8_t *base;      /* local address of the mapping */
  uint64_t size;      /* bytes mapped */
  int fd;             /* the open file; the creator holds flock(LOCK_EX) on it */
  int read_only;      /* mapped PROT_READ */
  int is_huge;        /* backed by hugetlbfs */
  int creator;        /* 1 in the creating process (and its forked children) */
  uint64_t page_size; /* page size of the backing */
  char path[SL_WKSP_PATH_MAX];
  char name[SL_WKSP_NAME_MAX];
} sl_wksp_t;

typedef struct {
  const char *name;            /* instance name [A-Za-z0-9_-]{1,63} */
  uint64_t size;               /* bytes for objects (and alignment slack, see
                                  sl_wksp_budget); the header and config text
                                  are added, then rounded up to the page size */
  uint64_t page_size;          /* SL_PAGE_2M or SL_PAGE_1G (0 = 2M) */
  const char *hugetlbfs_mount; /* "auto" (or NULL) = libhugetlbfs lookup, else a directory */
  int require_hugepages;       /* 1: fail rather than fall back to /dev/shm */
  int numa_node;               /* -1: don't bind; else bind (MPOL_BIND) to this node */
  const char *config_text;     /* copied into the workspace; NULL = none */
} sl_wksp_params_t;

/* sl_wksp_params_default fills p with: page 2M, mount "auto", no
   requirement, numa_node -1, no config text. name and size stay unset. */
void sl_wksp_params_default(sl_wksp_params_t *p);

/* Where and how big the workspace of some params would be. */
typedef struct {
  uint64_t bytes;      /* the file's size: header, config text and objects, rounded up to its page */
  uint64_t page_size;  /* the hugepage size asked for (p->page_size, 0 read as 2M) */
  long pages;          /* hugepages of page_size the file takes */
  long pages_free;     /* hugepages of that size the kernel can still give (of the node when
                          binding); -1 if it has no pages of that size */
  char huge_mount[SL_WKSP_PATH_MAX]; /* the hugetlbfs mount of page_size it would use, "" if none */
  long huge_mount_free; /* pages free for it there (pages_free within the mount's size= limit) */
  int huge;            /* 1: on the hugetlbfs mount dir; 0: in /dev/shm */
  char dir[SL_WKSP_PATH_MAX]; /* where the file goes */
  char why[512];       /* when huge is 0: why not ("no hugetlbfs mount of 2M pages", "/mnt/huge
                          has 3 free 2M pages, 5 needed") */
  uint64_t shm_free;   /* when huge is 0: bytes free in /dev/shm */
} sl_wksp_plan_t;

/* sl_wksp_plan says where sl_wksp_create(p) would put the workspace and
   whether it fits, without creating, removing or locking anything (reads
   sysfs, the mount table and statfs). p as for create; name and
   require_hugepages are not looked at. A stale file of the same name that
   create would remove first still counts as holding its pages here. */
void sl_wksp_plan(const sl_wksp_params_t *p, sl_wksp_plan_t *out);

/* sl_wksp_create makes, maps, locks and pre-faults the workspace of
   instance p->name and leaves w joined read-write with w->creator = 1.

   Backing: the hugetlbfs mount (p->hugetlbfs_mount, or with "auto" the
   mount of p->page_size found by libhugetlbfs) if it has enough free pages
   (of the NUMA node when binding), checked before the file is sized so the
   mapping can never SIGBUS later; else /dev/shm, with one warning line
   (util/log.h) that says how to reserve pages; or, if p->require_hugepages,
   failure. A given mount that is not a hugetlbfs counts as "no hugepages".

   Instances: the file is created under a temporary name, flock'ed
   (LOCK_EX|LOCK_NB), sized, mapped, its header written, then linked to
   <dir>/<name>.wksp (mode 0600) atomically. If that name exists and its lock
   is held, fails with "instance NAME is already running (pid P holds PATH)".
   If it exists and nobody holds its lock (a crashed instance), it is
   replaced. The lock lives as long as any process (the creator or a forked
   child that did not leave) keeps the fd open.

   Memory: bound to p->numa_node (fails if that node does not exist), every
   page written once (pre-faulted; the kernel hands out zeroed pages), then
   mlocked; an mlock failure is a warning naming RLIMIT_MEMLOCK, not an
   error. A page that cannot be faulted in (SIGBUS) fails the create cleanly
   (temporarily installs a SIGBUS handler: call before starting threads).

   Fails (returns -1, err names the path and the remedy, nothing left behind)
   on a bad name, size 0, an unsupported page size, or any system error. */
int sl_wksp_create(sl_wksp_t *w, const sl_wksp_params_t *p, sl_err_t *err);

/* sl_wksp_join maps the existing workspace of instance name. Looks in
   hugetlbfs_mount first (a directory; NULL or "auto" skips this step), then
   in every hugetlbfs mount of /proc/mounts, then in /dev/shm. Checks the
   magic, layout version and size. read_only maps PROT_READ: any write
   through w->base then faults (SIGSEGV). Takes no lock: joining a workspace
   whose creator died works (see sl_wksp_alive). Fails with a message naming
   where it looked, or what is wrong with the file found. */
int sl_wksp_join(sl_wksp_t *w, const char *name, const char *hugetlbfs_mount, int read_only,
                 sl_err_t *err);

/* sl_wksp_leave unmaps and closes. Never unlinks. Safe on a zeroed or
   already-left handle. In the creator, leaving (in the last process holding
   the fd) releases the instance lock. */
void sl_wksp_leave(sl_wksp_t *w);

/* sl_wksp_remove unlinks the file (if it is still the one w mapped), then
   leaves. Returns 0, or -1 if unlink failed (w is left anyway). */
int sl_wksp_remove(sl_wksp_t *w);

/* sl_wksp_alive returns 1 if the creator process recorded in the header
   still exists and is the same process (pid and /proc start time match:
   robust to pid reuse), 0 otherwise. */
int sl_wksp_alive(const sl_wksp_t *w);

/* sl_wksp_path writes the path of instance name's file in directory dir
   ("<dir>/<name>.wksp") into buf. Returns 0, or -1 if it does not fit. */
int sl_wksp_path(const char *dir, const char *name, char *buf, size_t bufsz);

/* sl_wksp_find_file searches like sl_wksp_join (hugetlbfs_mount, every
   hugetlbfs mount, /dev/shm) and writes the path of the first existing
   <name>.wksp into buf. Returns 0, or -1 if none exists. */
int sl_wksp_find_file(const char *name, const char *hugetlbfs_mount, char *buf, size_t bufsz);

/* sl_wksp_hugetlbfs_free_pages returns the number of hugepages of page_size
   that can still be reserved (free - reserved), on numa_node if >= 0, or -1
   if the kernel has no such page size. Reads sysfs only. */
long sl_wksp_hugetlbfs_free_pages(uint64_t page_size, int numa_node);

/* sl_wksp_budget: the most workspace bytes one sl_wksp_alloc(align, sz) can
   consume, so that a creator can size the workspace as the sum of budgets. */
static inline uint64_t sl_wksp_budget(uint64_t align, uint64_t sz) {
  if (align < SL_WKSP_ALIGN_MIN) align = SL_WKSP_ALIGN_MIN;
  return sz + align - 1;
}

/* sl_wksp_alloc reserves sz bytes aligned to align (a power of two; raised
   to SL_WKSP_ALIGN_MIN) under a unique name (<= 47 chars) and returns its
   offset in *off. Creator only, single-threaded, before forking the tiles:
   there is no free. Memory is zero. Fails on a read-only or joined (not
   created) workspace, a duplicate or bad name, a full directory, a bad
   align, or when the workspace is too small (the message gives the bytes
   missing). */
int sl_wksp_alloc(sl_wksp_t *w, const char *name, uint32_t kind, uint64_t align, uint64_t sz,
                  uint64_t *off, sl_err_t *err);

/* sl_wksp_find copies the entry named name into *out (if out is not NULL).
   Returns 0 if found, -1 if not. */
int sl_wksp_find(const sl_wksp_t *w, const char *name, sl_wksp_obj_t *out);

/* Directory iteration: for (i = 0; i < sl_wksp_obj_cnt(w); i++)
   sl_wksp_obj_at(w, i, &o). Entries are in allocation order. obj_at returns
   -1 if i is out of range. */
uint32_t sl_wksp_obj_cnt(const sl_wksp_t *w);
int sl_wksp_obj_at(const sl_wksp_t *w, uint32_t i, sl_wksp_obj_t *out);

/* sl_wksp_hdr: the shared header, read-only view. */
static inline const sl_wksp_hdr_t *sl_wksp_hdr(const sl_wksp_t *w) {
  return (const sl_wksp_hdr_t *)w->base;
}

/* sl_wksp_config returns the resolved config text stored at creation ("" if
   none). Lives as long as the mapping. */
const char *sl_wksp_config(const sl_wksp_t *w);

/* sl_wksp_laddr / sl_wksp_gaddr convert between workspace offsets and this
   process's addresses. Neither checks bounds (hot paths use them); the caller
   only passes offsets it got from the directory or an object. */
static inline void *sl_wksp_laddr(const sl_wksp_t *w, uint64_t off) {
  return (void *)(w->base + off);
}
static inline uint64_t sl_wksp_gaddr(const sl_wksp_t *w, const void *laddr) {
  return (uint64_t)((const uint8_t *)laddr - w->base);
}

#endif
