/* module.h — module objects, the registry of C modules, and import:
** `import m` looks in sys.modules, then the registered C modules, then
** m.wy / m.py beside the importing script (or the current directory). */
#ifndef WITHY_MODULE_H
#define WITHY_MODULE_H

#include "object.h"

typedef struct ModuleObj ModuleObj; /* also in vm.h (C11 allows the repeat) */

struct ModuleObj {
  Obj obj;
  StrObj *name;
  DictObj *dict;          /* globals of its code; has __name__, __file__ … */
};

#define IS_MODULE(v) IS_KIND(v, K_MODULE)
#define AS_MODULE(v) ((ModuleObj *)AS_OBJ(v))

ModuleObj *module_new(VM *vm, const char *name);
/* register a C module (static ModuleDef storage, not copied) */
int module_register(VM *vm, const char *name, int (*init)(VM *vm, ModuleObj *m));
/* import by (dotted) name; returns the module, or V_UNDEF with
** ModuleNotFoundError("No module named 'x'") pending */
Value module_import(VM *vm, StrObj *name, Value fromlist);
/* `from module import name` (IMPORT_FROM): the attribute, else the
** submodule "module.name", else ImportError with CPython's message
** ("cannot import name 'x' from 'm' (/path/m.wy)", the circular-import
** variant while m is still initializing) */
Value module_import_from(VM *vm, Value module, StrObj *name);
/* the directory user modules are searched in: the main script's */
void module_set_search_dir(VM *vm, const char *dir);

void module_types_init(VM *vm);
void module_trace(VM *vm, Obj *o);
void module_free(VM *vm, Obj *o);

#endif
