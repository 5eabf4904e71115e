package io.protorpc.internal.client;

/** The states of a {@link Subchannel}, as gRPC names them. */
public enum ConnectivityState {
  /** No connection and no attempt under way; the next call starts one. */
  IDLE,
  /** An attempt is under way on the connector executor; calls wait in the queue. */
  CONNECTING,
  /** A connection takes calls. */
  READY,
  /** The last attempt failed; the next waits for the backoff. Fail-fast calls fail at once. */
  TRANSIENT_FAILURE,
  /** Closed for good; every call fails. */
  SHUTDOWN
}
