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
int64_t str_hash_compute(StrObj *s);
/* cached after the first call: inline, since every dict probe asks */
static inline int64_t str_hash(StrObj *s) { return s->hash != -1 ? s->hash : str_hash_compute(s); }
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

/* ---- added by the numstr helper ---- */

/* append `count` copies of unit (reserving once: a huge count fails fast
** and poisons the buffer, so sbuf_finish raises MemoryError) */
void sbuf_addn(SBuf *b, const char *unit, size_t unit_len, int64_t count);
/* substring search over bytes (memmem is not in C11/POSIX) */
const char *str_memmem(const char *hay, size_t n, const char *needle, size_t m);
/* vararg form of str_format_c (for exc_raise and friends) */
#include <stdarg.h>
StrObj *str_vformat_c(VM *vm, const char *fmt, va_list ap);
/* a str of `len` bytes to fill in place, then str_seal (computes the
** code-point length and ASCII flag); NULL on MemoryError */
StrObj *str_alloc(VM *vm, size_t len);
void str_seal(StrObj *s);
/* the one-code-point string chr(cp); ASCII ones are shared */
StrObj *str_from_codepoint(VM *vm, uint32_t cp);
/* ascii(v): repr with every non-ASCII character escaped */
Value str_ascii(VM *vm, Value v);
/* the code point at code-point index i (0 <= i < length) */
uint32_t str_char_at(StrObj *s, int64_t i);
/* frees the interned-string table (vm_free, after gc_shutdown) */
void str_intern_free(VM *vm);
/* T.__new__(cls, ...) in t's dict, creating through t->construct */
void define_builtin_new(VM *vm, Type *t);
/* registers str's Python-visible methods in t->dict (str_methods.c) */
void str_methods_init(VM *vm, Type *t);
/* s.encode(): UTF-8 bytes of a str, and the strict UTF-8 decoder used by
** bytes.decode() and str(b, 'utf-8') (UnicodeDecodeError as CPython) */
Value str_decode_bytes(VM *vm, const char *data, size_t len, const char *encoding, const char *errors);
Value str_encode(VM *vm, StrObj *s, const char *encoding, const char *errors);
/* encoding names as CPython normalises them: 'UTF-8', 'utf8', 'u8' -> "utf-8";
** also "ascii", "latin-1"; NULL when unknown */
const char *str_encoding_name(const char *name);

/* Unicode character classes and case mappings (unicode.c), as CPython's
** str.is*() and upper()/lower()/title()/casefold() see them */
bool uni_isspace(uint32_t cp);
bool uni_isalpha(uint32_t cp);
bool uni_isdecimal(uint32_t cp);
bool uni_isdigit(uint32_t cp);
bool uni_isnumeric(uint32_t cp);
bool uni_isalnum(uint32_t cp);
bool uni_isupper(uint32_t cp);
bool uni_islower(uint32_t cp);
bool uni_istitle(uint32_t cp);   /* titlecase letters (Lt) */
bool uni_iscased(uint32_t cp);
bool uni_iscase_ignorable(uint32_t cp);
bool uni_isprintable(uint32_t cp);
bool uni_isidstart(uint32_t cp);
bool uni_isidcontinue(uint32_t cp);
int uni_decimal_value(uint32_t cp);   /* 0..9 for decimal digits, else -1 */
enum { UNI_UPPER, UNI_LOWER, UNI_TITLE, UNI_FOLD, UNI_MAP_MAX = 16 };
/* full mapping (may be several code points) as UTF-8 into out; returns bytes */
size_t uni_case_map(uint32_t cp, int kind, char out[UNI_MAP_MAX]);
uint32_t uni_simple_case(uint32_t cp, int kind);

#endif
