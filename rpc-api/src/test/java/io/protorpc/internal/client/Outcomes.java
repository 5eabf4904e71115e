package io.protorpc.internal.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.protorpc.Metadata;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.spi.Envelope;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/** Records every completion of one call, for the core's fake-clock tests. */
final class Outcomes implements ClientCall.Listener {
  private static final long MS = 1_000_000L;

  final List<Status> statuses = new ArrayList<>();

  @Override
  public void onComplete(Status status, Envelope response) {
    statuses.add(status);
  }

  /** The one outcome's code; fails unless the call completed exactly once. */
  StatusCode only() {
    assertEquals(1, statuses.size(), () -> "completions: " + statuses);
    return statuses.get(0).code();
  }

  /** A small call of {@code test.Service/Echo} whose outcome this records. */
  ClientCall call(Clock clock, long timeoutMillis, boolean waitForReady) {
    return new ClientCall("test.Service", "Echo", Metadata.empty(), ByteBuffer.allocate(3), "", 3,
        false, waitForReady, timeoutMillis * MS, clock, this);
  }
}
