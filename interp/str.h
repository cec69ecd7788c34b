/* str.h — Python str: immutable UTF-8, indexed by code point. */
#ifndef WITHY_STR_H
#define WITHY_STR_H

#include "object.h"

enum { STR_INTERNED = 1 << 0, STR_ASCII = 1 << 1 };

struct StrObj {
  Obj obj;          /* obj.flags: STR_INTERNED, STR_ASCII */
  int64_t len;      /* bytes, excluding the terminating NUL */
  int64_t length;   /* code points (== len when ASCII) */
  int64_t hash;     /* -1 until computed */
  char data[];      /* UTF-8, NUL-terminated */
};

#define IS_STR(v) IS_KIND(v, K_STR)
#define AS_STR(v) ((StrObj *)AS_OBJ(v))
#define STR_CSTR(s) ((s)->data)

/* new strings (data is copied; must be valid UTF-8) */
StrObj *str_new(VM *vm, const char *data, size_t len);
StrObj *str_from_cstr(VM *vm, const char *cstr);
/* printf-style, plus %T (type name of a Value), %R (repr of a Value),
** %S (str of a Value), %U (StrObj*). Returns NULL on error. */
StrObj *str_format_c(VM *vm, const char *fmt, ...);
/* interned: one object per content; used for identifiers and attribute names */
StrObj *str_intern(VM *vm, const char *data, size_t len);
StrObj *str_intern_cstr(VM *vm, const char *cstr);
void names_init(VM *vm);          /* fills vm->names (names.h) */

bool str_equal(StrObj *a, StrObj *b);
int64_t str_hash(StrObj *s);
int str_compare(StrObj *a, StrObj *b); /* <0, 0, >0 by code point */
StrObj *str_concat(VM *vm, StrObj *a, StrObj *b);
Value str_repr(VM *vm, Value s);  /* 'quoted', Python's escaping rules */
/* Python-accurate repr of a C buffer as a str literal, into a new StrObj */
StrObj *str_repr_of(VM *vm, StrObj *s);

/* A growable byte buffer for building strings without GC churn. Not a GC
** object: free it with sbuf_free, or turn it into a str with sbuf_finish. */
typedef struct SBuf { char *data; size_t len, cap; } SBuf;
void sbuf_init(SBuf *b);
void sbuf_add(SBuf *b, const char *data, size_t len);
void sbuf_adds(SBuf *b, const char *cstr);
void sbuf_addc(SBuf *b, char c);
void sbuf_printf(SBuf *b, const char *fmt, ...);
/* append str(v) / repr(v); -1 on error */
int sbuf_add_str(VM *vm, SBuf *b, Value v);
int sbuf_add_repr(VM *vm, SBuf *b, Value v);
StrObj *sbuf_finish(VM *vm, SBuf *b); /* frees the buffer */
void sbuf_free(SBuf *b);

/* UTF-8 helpers */
int64_t utf8_count(const char *s, size_t len);          /* code points */
size_t utf8_offset(StrObj *s, int64_t cp_index);         /* byte offset of code point */
size_t utf8_encode(uint32_t cp, char out[4]);
uint32_t utf8_decode(const char *s, size_t len, size_t *adv); /* one code point */
bool utf8_valid(const char *s, size_t len);

/* str methods & type init (str.c) */
/* str +, *, % (and reflected int*str); vm->not_implemented otherwise */
Value str_binop(VM *vm, int op, Value a, Value b);
void str_type_init(VM *vm);
Value str_getitem(VM *vm, Value self, Value key);
void str_trace(VM *vm, Obj *o);
void str_free(VM *vm, Obj *o);

#endif
