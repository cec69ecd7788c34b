/* unicode.c — character classes and case mappings of code points, for
** str's is*() and upper/lower/title/casefold methods. The tables in
** unicode_db.h are generated from CPython's own Unicode database
** (interp/unicode_gen.py), so the answers match CPython's. ASCII is
** answered without touching the tables. */
#include <string.h>

#include "str.h"
#include "unicode_db.h"

enum { NRUNS = sizeof uni_run_start / sizeof uni_run_start[0] };

static unsigned ascii_flags(uint32_t c) {
  unsigned f = 0;
  if (c == ' ' || (c >= 9 && c <= 13) || (c >= 0x1c && c <= 0x1f)) f |= UF_SPACE;
  if (c >= '0' && c <= '9') f |= UF_DECIMAL | UF_DIGIT | UF_NUMERIC | UF_XID_CONTINUE;
  if (c >= 'A' && c <= 'Z') f |= UF_ALPHA | UF_UPPER | UF_XID_START | UF_XID_CONTINUE;
  if (c >= 'a' && c <= 'z') f |= UF_ALPHA | UF_LOWER | UF_XID_START | UF_XID_CONTINUE;
  if (c == '_') f |= UF_XID_START | UF_XID_CONTINUE;
  if (c >= 0x20 && c < 0x7f) f |= UF_PRINTABLE;
  if (c == '\'' || c == '.' || c == ':' || c == '^' || c == '`') f |= UF_CASE_IGNORABLE;
  return f;
}

static unsigned uni_flags(uint32_t cp) {
  if (cp < 0x80) return ascii_flags(cp);
  if (cp >= 0x110000) return 0;
  /* the last run starting at or before cp */
  int lo = 0, hi = NRUNS - 1;
  while (lo < hi) {
    int mid = (lo + hi + 1) / 2;
    if (uni_run_start[mid] <= cp) lo = mid;
    else hi = mid - 1;
  }
  return uni_run_flags[lo];
}

bool uni_isspace(uint32_t cp) { return uni_flags(cp) & UF_SPACE; }
bool uni_isalpha(uint32_t cp) { return uni_flags(cp) & UF_ALPHA; }
bool uni_isdecimal(uint32_t cp) { return uni_flags(cp) & UF_DECIMAL; }
bool uni_isdigit(uint32_t cp) { return uni_flags(cp) & UF_DIGIT; }
bool uni_isnumeric(uint32_t cp) { return uni_flags(cp) & UF_NUMERIC; }
bool uni_isalnum(uint32_t cp) {
  return uni_flags(cp) & (UF_ALPHA | UF_DECIMAL | UF_DIGIT | UF_NUMERIC);
}
bool uni_isupper(uint32_t cp) { return uni_flags(cp) & UF_UPPER; }
bool uni_islower(uint32_t cp) { return uni_flags(cp) & UF_LOWER; }
bool uni_istitle(uint32_t cp) { return uni_flags(cp) & UF_TITLE; }
bool uni_iscased(uint32_t cp) { return uni_flags(cp) & (UF_UPPER | UF_LOWER | UF_TITLE); }
bool uni_iscase_ignorable(uint32_t cp) { return uni_flags(cp) & UF_CASE_IGNORABLE; }
bool uni_isprintable(uint32_t cp) { return uni_flags(cp) & UF_PRINTABLE; }
bool uni_isidstart(uint32_t cp) { return uni_flags(cp) & UF_XID_START; }
bool uni_isidcontinue(uint32_t cp) { return uni_flags(cp) & UF_XID_CONTINUE; }

static const CaseRun *runs_for(int kind, int *n) {
  switch (kind) {
    case UNI_UPPER: *n = sizeof uni_upper_runs / sizeof uni_upper_runs[0]; return uni_upper_runs;
    case UNI_LOWER: *n = sizeof uni_lower_runs / sizeof uni_lower_runs[0]; return uni_lower_runs;
    case UNI_TITLE: *n = sizeof uni_title_runs / sizeof uni_title_runs[0]; return uni_title_runs;
    default: *n = sizeof uni_fold_runs / sizeof uni_fold_runs[0]; return uni_fold_runs;
  }
}

/* the one-code-point mapping of cp (cp itself when unmapped or when the
** mapping has several code points) */
static uint32_t simple_map(uint32_t cp, int kind) {
  int n;
  const CaseRun *runs = runs_for(kind, &n);
  int lo = 0, hi = n - 1, found = -1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (runs[mid].start <= cp) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  if (found < 0) return cp;
  const CaseRun *r = &runs[found];
  uint32_t off = cp - r->start;
  if (off % r->stride != 0 || off / r->stride >= r->count) return cp;
  return (uint32_t)((int32_t)cp + r->delta);
}

static const char *multi_map(uint32_t cp, int kind) {
  int lo = 0, hi = (int)(sizeof uni_multi / sizeof uni_multi[0]) - 1;
  while (lo <= hi) {
    int mid = (lo + hi) / 2;
    if (uni_multi[mid].cp < cp || (uni_multi[mid].cp == cp && uni_multi[mid].kind < kind)) lo = mid + 1;
    else if (uni_multi[mid].cp == cp && uni_multi[mid].kind == kind) return uni_multi[mid].utf8;
    else hi = mid - 1;
  }
  return NULL;
}

size_t uni_case_map(uint32_t cp, int kind, char out[UNI_MAP_MAX]) {
  if (cp < 0x80) {
    char c = (char)cp;
    if (kind == UNI_UPPER || kind == UNI_TITLE) {
      if (c >= 'a' && c <= 'z') c = (char)(c - 32);
    } else if (c >= 'A' && c <= 'Z') {
      c = (char)(c + 32);
    }
    out[0] = c;
    return 1;
  }
  const char *m = multi_map(cp, kind);
  if (m) {
    size_t n = strlen(m);
    memcpy(out, m, n);
    return n;
  }
  return utf8_encode(simple_map(cp, kind), out);
}

uint32_t uni_simple_case(uint32_t cp, int kind) {
  if (cp < 0x80) {
    if (kind == UNI_UPPER || kind == UNI_TITLE) return cp >= 'a' && cp <= 'z' ? cp - 32 : cp;
    return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
  }
  return simple_map(cp, kind);
}

/* Unicode decimal digits come in runs of ten starting at a zero, some runs
** back to back (the mathematical digits): the value is the offset in the
** run modulo ten. */
int uni_decimal_value(uint32_t cp) {
  if (cp >= '0' && cp <= '9') return (int)(cp - '0');
  if (!uni_isdecimal(cp)) return -1;
  uint32_t start = cp;
  while (start > 0 && uni_isdecimal(start - 1)) start--;
  return (int)((cp - start) % 10);
}
