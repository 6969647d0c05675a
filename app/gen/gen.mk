LIB_SRCS += app/gen/txn_build.c app/gen/gen_engine.c
UNIT_TESTS += gen

# test_gen also drives the command's argument parsing, so it links app/gen.o
# (an APP_SRCS file, outside the library) besides the test object.
$(BUILD)/tests/test_gen: $(BUILD)/tests/unit/test_gen.o $(BUILD)/app/gen.o $(BUILD)/libsluice.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(filter %.o,$^) $(BUILD)/libsluice.a $(LIBS) $(TEST_LIBS)
-include $(BUILD)/app/gen.d
