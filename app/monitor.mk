# app/ monitor: `sluice monitor`, snapshots, Prometheus text and endpoint.
APP_SRCS += app/monitor.c app/snapshot.c app/prom.c
UNIT_TESTS += monitor

# test_monitor drives the command and the server, which live outside the
# library (APP_SRCS), so it links their objects besides the test object.
$(BUILD)/tests/test_monitor: $(BUILD)/tests/unit/test_monitor.o $(BUILD)/app/monitor.o \
    $(BUILD)/app/snapshot.o $(BUILD)/app/prom.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libsluice.a $(LIBS) $(TEST_LIBS)
