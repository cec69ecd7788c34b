/* files.c — the builtin open() and file objects (in progress). */
#include "stdlib.h"

int std_files_install(wy_State *W) { (void)W; return 0; }
