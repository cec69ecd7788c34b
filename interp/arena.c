/* arena.c — the bump allocator behind the AST (ast.h).
**
** A parse allocates thousands of small nodes that all die together when the
** compiler is done with the tree, so they come from large chunks and are
** freed in one sweep. Requests larger than a chunk get a chunk of their own.
** Nothing here is a GC object: parsing never triggers a collection.
*/
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include "ast.h"

enum { ARENA_CHUNK = 64 * 1024, ARENA_ALIGN = 16 };

typedef struct Chunk {
  struct Chunk *next;
  size_t size;            /* usable bytes after the header */
  size_t used;
  _Alignas(ARENA_ALIGN) unsigned char data[];
} Chunk;

struct Arena {
  Chunk *head;            /* the chunk being filled; older ones follow */
};

static Chunk *chunk_new(size_t size) {
  Chunk *c = malloc(sizeof(Chunk) + size);
  if (!c) return NULL;
  c->next = NULL;
  c->size = size;
  c->used = 0;
  return c;
}

Arena *arena_new(void) {
  Arena *a = malloc(sizeof *a);
  if (!a) return NULL;
  a->head = chunk_new(ARENA_CHUNK);
  if (!a->head) {
    free(a);
    return NULL;
  }
  return a;
}

void arena_free(Arena *a) {
  if (!a) return;
  Chunk *c = a->head;
  while (c) {
    Chunk *next = c->next;
    free(c);
    c = next;
  }
  free(a);
}

void *arena_alloc(Arena *a, size_t size) {
  if (size == 0) size = 1;
  if (size > SIZE_MAX - ARENA_CHUNK) return NULL;
  size_t need = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  Chunk *c = a->head;
  if (c->size - c->used < need) {
    /* A big request gets its own chunk, slotted behind the current one so
    ** the current chunk's free tail stays usable. */
    if (need > ARENA_CHUNK / 4) {
      Chunk *big = chunk_new(need);
      if (!big) return NULL;
      big->used = need;
      big->next = c->next;
      c->next = big;
      memset(big->data, 0, need);
      return big->data;
    }
    Chunk *fresh = chunk_new(ARENA_CHUNK);
    if (!fresh) return NULL;
    fresh->next = c;
    a->head = c = fresh;
  }
  void *p = c->data + c->used;
  c->used += need;
  memset(p, 0, need);
  return p;
}

char *arena_strdup(Arena *a, const char *s, size_t len) {
  char *d = arena_alloc(a, len + 1);
  if (!d) return NULL;
  if (len) memcpy(d, s, len);
  d[len] = '\0';
  return d;
}
