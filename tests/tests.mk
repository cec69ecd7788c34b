# Test targets (included by the Makefile).
CHECK_CFLAGS := $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell pkg-config --libs check 2>/dev/null)
UNIT_SRC     := $(wildcard tests/unit/*.c)
UNIT_BIN     := $(BUILD)/test_unit

$(BUILD)/tests/unit/%.o: tests/unit/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -c $< -o $@

$(UNIT_BIN): $(UNIT_SRC:%.c=$(BUILD)/%.o) $(LIB)
	$(CC) $(LDFLAGS) $^ $(CHECK_LIBS) $(LDLIBS) -o $@

unit: $(UNIT_BIN)
	$(UNIT_BIN)

check: deps $(BIN) libwithy.a
	@$(MAKE) --no-print-directory unit
	@tests/run_scripts.sh $(BIN)
	@tests/run_conformance.sh $(BIN)
	@WITHY_GC_STRESS=1 tests/run_scripts.sh $(BIN)
	@tests/fuzz_prefixes.sh $(BIN)

deps:
	@tests/install_deps.sh
