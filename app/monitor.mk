# app/ monitor: `sluice monitor` and the JSON form of a snapshot.
APP_SRCS += app/monitor.c app/snapshot_json.c
UNIT_TESTS += monitor

# test_monitor drives the command, which lives outside the
# library (APP_SRCS), so it links their objects besides the test object.
$(BUILD)/tests/test_monitor: $(BUILD)/tests/unit/test_monitor.o $(BUILD)/app/monitor.o \
    $(BUILD)/app/snapshot_json.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libsluice.a $(LIBS) $(TEST_LIBS)
