/**
 * Conformance suites for protorpc plugins: extend a suite in your plugin's tests and it proves your
 * implementation behaves as the core expects.
 */
module io.protorpc.testkit {
  requires transitive io.protorpc;
  requires transitive org.junit.jupiter.api;
  requires transitive org.junit.jupiter.params;
  requires java.management; // live-heap checks after faults (RobustnessSuite)
  requires jdk.management; // bytes allocated per thread: buffers grow only as bytes arrive
  requires java.logging; // what the server logs about a failed handler (LogCapture)
  requires jdk.jfr; // OutOfMemoryErrors counted in the probed server's JVM (fork.ProbeServer)

  exports io.protorpc.testkit;
  exports io.protorpc.testkit.proto;

  opens io.protorpc.testkit to org.junit.platform.commons;
}
