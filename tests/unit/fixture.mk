# tests/unit/fixture.c: the workspace and topology fixture (fixture.h) of
# the Check suites that run tiles or read a topology. Not a suite itself:
# each suite that uses it links its object besides the suite's own.
FIXTURE_SUITES := links topo net_tile verify_tile
$(patsubst %,$(BUILD)/tests/test_%,$(FIXTURE_SUITES)): $(BUILD)/tests/test_%: $(BUILD)/tests/unit/test_%.o \
    $(BUILD)/tests/unit/fixture.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libsluice.a $(LIBS) $(TEST_LIBS)

# test_monitor's own rule (app/monitor.mk) links every object it depends on.
$(BUILD)/tests/test_monitor: $(BUILD)/tests/unit/fixture.o

-include $(BUILD)/tests/unit/fixture.d
