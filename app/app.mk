# app/: the sluice command. Subcommands with their own fragment: monitor
# (app/monitor.mk), gen (app/gen/gen.mk), configure (app/configure.mk).
APP_SRCS += app/main.c app/run.c app/supervisor.c app/demo.c app/cmd_config.c app/gen.c app/preflight.c
UNIT_TESTS += preflight

# test_preflight checks the host checks, which live outside the library
# (APP_SRCS): it links their object besides the test object.
$(BUILD)/tests/test_preflight: $(BUILD)/tests/unit/test_preflight.o $(BUILD)/app/preflight.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libsluice.a $(LIBS) $(TEST_LIBS)
