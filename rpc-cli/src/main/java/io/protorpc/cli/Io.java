package io.protorpc.cli;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * Where a run reads and writes, and the environment it sees ({@code PROTOC}, {@code PATH}): the
 * process's own in {@link Main#main}, others in tests.
 */
record Io(InputStream in, PrintStream out, PrintStream err, Map<String, String> env) {}
