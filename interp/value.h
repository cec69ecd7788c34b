/* value.h — the tagged value every part of withy passes around.
**
** Small ints, floats, bools and None are unboxed (no allocation); every
** other value is a pointer to a GC-managed Obj. VT_UNDEF is not a Python
** value: it marks "no value" — an unbound local, an empty slot, and the
** error return of any function that returns a Value (the exception is then
** pending in vm->curexc).
*/
#ifndef WITHY_VALUE_H
#define WITHY_VALUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct Obj Obj;
typedef struct wy_State VM; /* the interpreter state; public name wy_State */

typedef enum ValueTag {
  VT_UNDEF = 0, /* no value / error return */
  VT_NONE,
  VT_BOOL,
  VT_INT,   /* 64-bit signed; overflow raises OverflowError */
  VT_FLOAT,
  VT_OBJ
} ValueTag;

/* The tag is a full word although it needs a byte: writing a one-byte tag
** and then reading the whole 16-byte Value back (the VM does this all the
** time) defeats the CPU's store forwarding and stalls. */
typedef struct Value {
  uint64_t tag;
  union {
    bool b;
    int64_t i;
    double f;
    Obj *o;
  } u;
} Value;

#define V_UNDEF ((Value){.tag = VT_UNDEF})
#define V_NONE ((Value){.tag = VT_NONE})
#define V_TRUE ((Value){.tag = VT_BOOL, .u.b = true})
#define V_FALSE ((Value){.tag = VT_BOOL, .u.b = false})

static inline Value v_int(int64_t i) { Value v; v.tag = VT_INT; v.u.i = i; return v; }
static inline Value v_float(double f) { Value v; v.tag = VT_FLOAT; v.u.f = f; return v; }
static inline Value v_bool(bool b) { Value v; v.tag = VT_BOOL; v.u.i = b; return v; }
static inline Value v_obj(void *o) { Value v; v.tag = VT_OBJ; v.u.o = (Obj *)o; return v; }

#define IS_UNDEF(v) ((v).tag == VT_UNDEF)
#define IS_NONE(v) ((v).tag == VT_NONE)
#define IS_BOOL(v) ((v).tag == VT_BOOL)
#define IS_INT(v) ((v).tag == VT_INT)
#define IS_FLOAT(v) ((v).tag == VT_FLOAT)
#define IS_OBJ(v) ((v).tag == VT_OBJ)
/* int or bool: bool is a subclass of int in Python */
#define IS_INTLIKE(v) ((v).tag == VT_INT || (v).tag == VT_BOOL)
#define IS_NUMBER(v) ((v).tag == VT_INT || (v).tag == VT_BOOL || (v).tag == VT_FLOAT)

#define AS_INT(v) ((v).u.i)
#define AS_BOOL(v) ((v).u.b)
#define AS_FLOAT(v) ((v).u.f)
#define AS_OBJ(v) ((v).u.o)
/* int value of an int or a bool */
#define AS_INTLIKE(v) ((v).tag == VT_BOOL ? (int64_t)(v).u.b : (v).u.i)

/* identity (Python's `is`) */
static inline bool v_is(Value a, Value b) {
  if (a.tag != b.tag) return false;
  switch (a.tag) {
    case VT_UNDEF: case VT_NONE: return true;
    case VT_BOOL: return a.u.b == b.u.b;
    case VT_INT: return a.u.i == b.u.i;
    case VT_FLOAT: return a.u.f == b.u.f;
    default: return a.u.o == b.u.o;
  }
}

#endif
