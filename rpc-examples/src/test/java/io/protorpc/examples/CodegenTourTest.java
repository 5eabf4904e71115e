package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CodegenTourTest {
  @Test
  void theDocumentedClientCallsPrintWhatTheySay() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (Loopback loopback = Loopback.connect("length");
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
      CodegenTour.run(loopback.client, out);
    }
    assertEquals("""
        10 / 4 = 2.5
        INVALID_ARGUMENT: division by zero (cannot divide 1.0 by zero)
        9 / 3 = 3.0
        cancelled: true
        """, bytes.toString(StandardCharsets.UTF_8).replace(System.lineSeparator(), "\n"));
  }
}
