# withy — `make` builds ./withy and libwithy.a; `make check` runs every test;
# `make check SANITIZE=1` runs them under ASan+UBSan; `make run` sets up and starts withy.

CC      ?= cc
PREFIX  ?= /usr/local
SANITIZE ?= 0
WERROR  ?= -Werror

CSTD    := -std=c11
WARN    := -Wall -Wextra $(WERROR) -Wno-unused-parameter -Wshadow=local -Wno-missing-field-initializers
OPT     := -O2 -g
# Link-time optimization: withy.h's small accessors (wy_is_error, wy_none,
# wy_slots...) inline into stdlib/ and the core's calls across files
# shorten; callgrind counts 5-10% fewer instructions on the contextlib
# benchmarks. Fat objects keep libwithy.a linkable without LTO. LTO=0 off.
LTO     ?= 1
LTO_FLAGS := $(if $(filter 1,$(LTO)),-flto=auto -ffat-lto-objects)
DEFS    := -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
ifeq ($(SANITIZE),1)
  OPT   := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer \
           -DWITHY_GC_NO_POOLS
  BUILD := build-san
  # a failed allocation must reach withy as NULL (then MemoryError), not abort
  export ASAN_OPTIONS := allocator_may_return_null=1:detect_leaks=1:$(ASAN_OPTIONS)
  export UBSAN_OPTIONS := print_stacktrace=1:halt_on_error=1:$(UBSAN_OPTIONS)
else
  BUILD := build
  OPT   += $(LTO_FLAGS)
endif
CFLAGS  += $(CSTD) $(WARN) $(OPT) $(DEFS) -Iinterp -MMD -MP
SAN_FLAGS := -fsanitize=address,undefined
LDFLAGS += $(if $(filter 1,$(SANITIZE)),$(SAN_FLAGS),$(OPT))
LDLIBS  += -lm -pthread
# GNU readline for the REPL: its pkg-config flags (-D_XOPEN_SOURCE=600) go to
# the REPL's files only; a static link needs libtinfo named too
READLINE_CFLAGS ?= $(shell pkg-config --cflags readline 2>/dev/null)
READLINE_LIBS   ?= -lreadline -ltinfo

# the withy command (not the library): main.c and the REPL, which alone use readline
CLI_SRC    := interp/main.c interp/repl.c interp/repl_complete.c
CORE_SRC   := $(filter-out $(CLI_SRC),$(wildcard interp/*.c))
STDLIB_SRC := $(wildcard stdlib/*.c)
CORE_OBJ   := $(CORE_SRC:%.c=$(BUILD)/%.o)
STDLIB_OBJ := $(STDLIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ   := $(CLI_SRC:%.c=$(BUILD)/%.o)
LIB        := $(BUILD)/libwithy.a

ifeq ($(SANITIZE),1)
  BIN := $(BUILD)/withy
else
  BIN := withy
endif
# The withy command is linked statically by default: not mapping libc.so
# halves start-up memory (hello.py: ~1.4 MB peak RSS instead of ~2.6 MB).
# STATIC=0 links dynamically; valgrind needs that (build/withy-dynamic).
STATIC ?= 1
BIN_LDFLAGS := $(if $(and $(filter 1,$(STATIC)),$(filter-out 1,$(SANITIZE))),-static)

.PHONY: all objs check run install clean unit scripts conformance stress fuzz-smoke deps cli repl trace valgrind
all: $(BIN) libwithy.a

objs: $(CORE_OBJ) $(STDLIB_OBJ) $(MAIN_OBJ)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c $< -o $@

$(LIB): $(CORE_OBJ) $(STDLIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

libwithy.a: $(LIB)
	@if [ "$(SANITIZE)" != 1 ]; then cp $(LIB) libwithy.a; fi

$(BUILD)/interp/repl.o $(BUILD)/interp/repl_complete.o: CFLAGS += $(READLINE_CFLAGS)

$(BIN): $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(BIN_LDFLAGS) $(MAIN_OBJ) $(LIB) $(READLINE_LIBS) $(LDLIBS) -o $@

$(BUILD)/withy-dynamic: $(MAIN_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(MAIN_OBJ) $(LIB) $(READLINE_LIBS) $(LDLIBS) -o $@

-include $(CORE_OBJ:.o=.d) $(STDLIB_OBJ:.o=.d) $(MAIN_OBJ:.o=.d)

# ---- tests ----
include tests/tests.mk

clean:
	rm -rf build build-san withy libwithy.a

# ---- set up (installing what the build needs) and open the REPL ----
run: deps
	@$(MAKE) --no-print-directory all
	./withy

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 755 withy $(DESTDIR)$(PREFIX)/bin/withy
	install -m 644 interp/withy.h $(DESTDIR)$(PREFIX)/include/withy.h
	install -m 644 libwithy.a $(DESTDIR)$(PREFIX)/lib/libwithy.a
	sed 's|@PREFIX@|$(PREFIX)|' withy.pc.in > $(DESTDIR)$(PREFIX)/lib/pkgconfig/withy.pc
