# Test targets (included by the Makefile).
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
UNIT_SRC     := $(wildcard tests/unit/*.c)
UNIT_OBJ     := $(UNIT_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN     := $(BUILD)/test_unit
SHARED       ?= $(abspath ../shared)
# prefixes fuzzing: every byte normally, a sample under the sanitizers
FUZZ_STRIDE  := $(if $(filter 1,$(SANITIZE)),17,1)

# suites.inc lists X(name) for every `Suite *name_suite(void)` in tests/unit
$(BUILD)/tests/unit/suites.inc: $(UNIT_SRC)
	@mkdir -p $(dir $@)
	@grep -ho 'Suite \*[a-z_0-9]*_suite(void)' $(filter-out tests/unit/main.c,$(UNIT_SRC)) \
	  | sed 's/Suite \*\(.*\)_suite(void)/X(\1)/' | sort -u > $@.tmp && mv $@.tmp $@

$(BUILD)/tests/unit/main.o: tests/unit/main.c $(BUILD)/tests/unit/suites.inc
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -I$(BUILD)/tests/unit -c $< -o $@

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(UNIT_BIN): $(UNIT_OBJ) $(LIB)
	$(CC) $(LDFLAGS) $(UNIT_OBJ) $(LIB) $(CHECK_LIBS) $(LDLIBS) -o $@

unit: $(UNIT_BIN)
	$(UNIT_BIN)

scripts: $(BIN)
	tests/run_scripts.sh $(abspath $(BIN))
	tests/run_scripts.sh $(abspath $(BIN)) tutorials

stress: $(BIN)
	WITHY_GC_STRESS=1 tests/run_scripts.sh $(abspath $(BIN))
	WITHY_GC_STRESS=1 tests/run_scripts.sh $(abspath $(BIN)) tutorials
	WITHY_GC_STRESS=1 WITHY_SHARED=$(SHARED) tests/run_conformance.sh $(abspath $(BIN))
	WITHY_GC_STRESS=1 tests/run_trace.sh $(abspath $(BIN))

conformance: $(BIN)
	WITHY_SHARED=$(SHARED) tests/run_conformance.sh $(abspath $(BIN))

fuzz-smoke: $(BIN)
	tests/fuzz_prefixes.py --timeout 1 --stride $(FUZZ_STRIDE) $(abspath $(BIN)) $(SHARED)/conformance $(SHARED)/bench

cli: $(BIN)
	tests/cli_test.sh $(abspath $(BIN))

# the interactive REPL, driven through a pseudo-terminal (python3's pty)
repl: $(BIN)
	python3 tests/repl/test_repl.py $(abspath $(BIN))

# the tracing mode: trace goldens (tests/trace/) and "tracing changes nothing"
# over the whole conformance corpus
trace: $(BIN)
	tests/run_trace.sh $(abspath $(BIN))
	tests/trace_conformance.sh $(abspath $(BIN)) $(SHARED)/conformance

# every test; `make -k check` runs them all even when one fails
check: deps
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory scripts
	@$(MAKE) --no-print-directory cli
	@$(MAKE) --no-print-directory repl
	@$(MAKE) --no-print-directory conformance
	@$(MAKE) --no-print-directory trace
	@$(MAKE) --no-print-directory stress
	@$(MAKE) --no-print-directory fuzz-smoke

deps:
	@tests/install_deps.sh

# valgrind over a few scripts: no leaks, no invalid accesses
VALGRIND_SCRIPTS := tests/scripts/with_exit_paths.wy tests/scripts/generator_protocol.wy \
                    tests/scripts/exception_chaining.wy tests/scripts/traceback_chain.wy \
                    tests/scripts/import_user.wy tutorials/01-with-basics.wy \
                    tests/scripts/asyncio_cancel_nested.wy tests/scripts/afile_read_write.wy \
                    tests/scripts/gen_resume_in_loop.wy tests/scripts/gen_throw_delegated.wy \
                    tests/scripts/actx_exitstack.wy
valgrind: $(BUILD)/withy-dynamic
	@mkdir -p build; fail=0; for s in $(VALGRIND_SCRIPTS); do \
	  (cd $$(dirname $$s) && valgrind -q --leak-check=full --show-leak-kinds=definite,indirect,possible \
	     --errors-for-leak-kinds=definite,indirect,possible --error-exitcode=99 \
	     $(abspath $(BUILD)/withy-dynamic) $$(basename $$s) >/dev/null 2>$(abspath build/valgrind.log) </dev/null); \
	  if [ $$? -eq 99 ]; then echo "VALGRIND FAIL: $$s"; cat build/valgrind.log; fail=1; \
	  else echo "valgrind clean: $$s"; fi; \
	done; exit $$fail

-include $(UNIT_OBJ:.o=.d)
