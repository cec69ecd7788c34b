/* float_repr.c — doubles to text, exactly as CPython writes them: the
** shortest repr that reads back to the same double (repr(0.1) == '0.1'),
** and the 'e' 'f' 'g' conversions of the format mini-language and of `%`.
**
** Digits come from the C library (glibc's printf is correctly rounded,
** half-even on exact ties, like CPython's dtoa) and strtod; the layout
** rules (when to switch to an exponent, '.0' suffixes, exponent width)
** are Python's and are applied here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
#include "str.h"

enum { MAX_SIG_DIGITS = 17 };

/* Round x (> 0, finite) to `ndigits` significant digits: fills d with the
** digits (NUL-terminated, no point) and *decpt so that
** value = 0.d1d2d3... * 10^decpt. */
static int digits_rounded(double x, int ndigits, char *d, int *decpt) {
  char buf[64];
  snprintf(buf, sizeof buf, "%.*e", ndigits - 1, x);
  int n = 0;
  const char *p = buf;
  for (; *p && *p != 'e'; p++)
    if (*p >= '0' && *p <= '9') d[n++] = *p;
  d[n] = '\0';
  *decpt = atoi(p + 1) + 1;
  return n;
}

static bool reads_back(const char *digits, int decpt, double x) {
  char buf[64];
  snprintf(buf, sizeof buf, "0.%se%d", digits, decpt);
  return strtod(buf, NULL) == x;
}

/* The decimal one unit above d in its last place (d has n digits); may
** carry into a new leading digit, which bumps *decpt. */
static void digits_bump(char *d, int n, int *decpt) {
  int i = n - 1;
  while (i >= 0 && d[i] == '9') d[i--] = '0';
  if (i >= 0) {
    d[i]++;
  } else {
    memmove(d + 1, d, (size_t)n);
    d[0] = '1';
    d[n] = '\0';
    (*decpt)++;
  }
}

/* Does some `ndigits`-digit decimal read back as x? The nearest one
** usually decides; only when x is a power of two is the interval of
** decimals that read back as x lopsided (the gap above is twice the gap
** below), so the next decimal up may read back when the nearest (below)
** does not. */
static bool try_precision(double x, int ndigits, char *d, int *decpt) {
  int n = digits_rounded(x, ndigits, d, decpt);
  if (reads_back(d, *decpt, x)) return true;
  int e;
  if (frexp(x, &e) != 0.5) return false;
  char up[MAX_SIG_DIGITS + 2];
  int updecpt = *decpt;
  memcpy(up, d, (size_t)n + 1);
  digits_bump(up, n, &updecpt);
  up[n] = '\0'; /* a carry gives 10…0: keep n digits */
  if (!reads_back(up, updecpt, x)) return false;
  memcpy(d, up, (size_t)n + 1);
  *decpt = updecpt;
  return true;
}

/* Shortest digits of x (> 0, finite) that read back as x. When some
** decimal of at most 15 digits reads back as x, it is within an ulp of
** x, far closer than half the spacing of 15-digit decimals, so it is the
** 15-digit rounding of x with its trailing zeros dropped: one probe
** finds it. Otherwise 16 digits, or 17 (which always read back).
** Subnormals have fewer bits, and are searched digit by digit. */
static int digits_shortest(double x, char *d, int *decpt) {
  if (x < 2.2250738585072014e-308) {
    /* subnormals carry fewer bits: search upward from one digit */
    for (int nd = 1; nd <= MAX_SIG_DIGITS; nd++)
      if (try_precision(x, nd, d, decpt)) break;
  } else if (!try_precision(x, 15, d, decpt) && !try_precision(x, 16, d, decpt))
    digits_rounded(x, MAX_SIG_DIGITS, d, decpt);
  int n = (int)strlen(d);
  while (n > 1 && d[n - 1] == '0') d[--n] = '\0';
  return n;
}

static void add_zeros(SBuf *b, int n) {
  for (; n > 0; n--) sbuf_addc(b, '0');
}

static void add_exponent(SBuf *b, int exp10, bool upper) {
  char buf[16];
  snprintf(buf, sizeof buf, "%c%c%02d", upper ? 'E' : 'e', exp10 < 0 ? '-' : '+',
           exp10 < 0 ? -exp10 : exp10);
  sbuf_adds(b, buf);
}

/* Lay out digits d (n of them; value 0.d * 10^decpt) in fixed or
** exponent notation. min_digits pads with zeros and keeps the point (the
** '#' flag of 'g'); add_dot_0 gives integral fixed results a '.0'. */
static void layout_digits(SBuf *b, const char *d, int n, int decpt, bool use_exp,
                          int min_digits, bool add_dot_0, bool upper) {
  if (use_exp) {
    sbuf_addc(b, d[0]);
    if (n > 1 || min_digits > 0) {
      sbuf_addc(b, '.');
      sbuf_add(b, d + 1, (size_t)n - 1);
      add_zeros(b, min_digits - n);
    }
    add_exponent(b, decpt - 1, upper);
    return;
  }
  int total = n > min_digits ? n : min_digits;
  if (decpt <= 0) {
    sbuf_adds(b, "0.");
    add_zeros(b, -decpt);
    sbuf_add(b, d, (size_t)n);
    add_zeros(b, total - n);
  } else if (decpt < total) {
    int head = decpt < n ? decpt : n;
    sbuf_add(b, d, (size_t)head);
    add_zeros(b, decpt - head);
    sbuf_addc(b, '.');
    if (n > decpt) sbuf_add(b, d + decpt, (size_t)(n - decpt));
    add_zeros(b, total - (n > decpt ? n : decpt));
  } else {
    sbuf_add(b, d, (size_t)n);
    add_zeros(b, decpt - n);
    if (add_dot_0) sbuf_adds(b, ".0");
    else if (min_digits > 0) sbuf_addc(b, '.');
  }
}

/* 'g' with `prec` significant digits; add_dot_0 is the no-type-letter
** variant of format(), which switches to an exponent one digit earlier
** so that the '.0' it adds never shows a digit the precision lacks. */
static void format_general(SBuf *b, double ax, int prec, bool alt, bool add_dot_0, bool upper) {
  char d[400];
  int decpt;
  if (prec == 0) prec = 1;
  if (prec > 380) prec = 380;
  int n;
  if (ax == 0) {
    d[0] = '0';
    d[1] = '\0';
    n = 1;
    decpt = 1;
  } else {
    n = digits_rounded(ax, prec, d, &decpt);
  }
  if (!alt)
    while (n > 1 && d[n - 1] == '0') d[--n] = '\0';
  bool use_exp = decpt <= -4 || decpt > (add_dot_0 ? prec - 1 : prec);
  layout_digits(b, d, n, decpt, use_exp, alt ? prec : 0, add_dot_0 && !alt, upper);
}

static void format_repr(SBuf *b, double ax) {
  char d[MAX_SIG_DIGITS + 2];
  int decpt, n;
  if (ax == 0) {
    sbuf_adds(b, "0.0");
    return;
  }
  n = digits_shortest(ax, d, &decpt);
  bool use_exp = decpt <= -4 || decpt > 16;
  layout_digits(b, d, n, decpt, use_exp, 0, true, false);
}

void float_to_text(SBuf *b, double x, char type, int prec, int flags) {
  bool upper = type == 'E' || type == 'F' || type == 'G';
  if (signbit(x) && !isnan(x)) sbuf_addc(b, '-');
  double ax = fabs(x);
  if (isnan(x) || isinf(x)) {
    sbuf_adds(b, isnan(x) ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf"));
    return;
  }
  bool alt = (flags & FLT_ALT) != 0;
  switch (type) {
    case 'e': case 'E': case 'f': case 'F': {
      char spec[8];
      char conv = (char)(type == 'F' ? 'f' : type);
      snprintf(spec, sizeof spec, alt ? "%%#.*%c" : "%%.*%c", conv);
      sbuf_printf(b, spec, prec, ax);
      return;
    }
    case 'g': case 'G':
      format_general(b, ax, prec, alt, (flags & FLT_ADD_DOT_0) != 0, upper);
      return;
    default: /* 'r' */
      format_repr(b, ax);
      return;
  }
}

void float_repr_buf(double f, char *buf, size_t size) {
  SBuf b;
  sbuf_init(&b);
  float_to_text(&b, f, 'r', 0, 0);
  size_t n = b.len < size ? b.len : size - 1;
  if (b.data) memcpy(buf, b.data, n);
  buf[n] = '\0';
  sbuf_free(&b);
}

StrObj *float_repr(VM *vm, double f) {
  char buf[40];
  float_repr_buf(f, buf, sizeof buf);
  return str_new(vm, buf, strlen(buf));
}

/* round(x, ndigits) for floats, correctly rounded like CPython: the
** decimal string rounded at the asked position (half-even on exact ties,
** which only exact binary values can have) read back. Returns false on
** overflow of the rounded value. */
bool float_round_digits(double x, int64_t ndigits, double *out) {
  if (!isfinite(x) || x == 0) {
    *out = x;
    return true;
  }
  if (ndigits > 340) {
    *out = x;
    return true;
  }
  if (ndigits < -340) {
    *out = 0.0 * x;
    return true;
  }
  char buf[800];
  if (ndigits >= 0) {
    snprintf(buf, sizeof buf, "%.*f", (int)ndigits, x);
  } else {
    /* keep the digits above 10^-ndigits: count them from x's exponent */
    char d[400];
    int decpt;
    double ax = fabs(x);
    digits_rounded(ax, MAX_SIG_DIGITS, d, &decpt);
    int keep = decpt + (int)ndigits; /* significant digits to keep */
    if (keep <= 0) {
      /* below half the rounding unit rounds to 0; exactly half goes to the
      ** even multiple, which is 0 */
      double unit = pow(10.0, (double)-ndigits);
      double r = (keep == 0 && ax > unit / 2) ? unit : 0.0;
      *out = copysign(r, x);
      return true;
    }
    /* %.*e rounds at the right digit; a carry may add a digit */
    snprintf(buf, sizeof buf, "%.*e", keep - 1, x);
  }
  double r = strtod(buf, NULL);
  if (isinf(r)) return false;
  *out = r;
  return true;
}
