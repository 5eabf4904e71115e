package io.protorpc;

import com.google.protobuf.ServiceException;
import java.util.Objects;

/**
 * A call that ended with a non-OK {@link Status}. It is a protobuf {@link ServiceException}, so
 * generated {@code BlockingInterface} stubs throw it unchanged; on the server, a blocking handler
 * may throw one to answer with a chosen status and details.
 */
public class RpcException extends ServiceException {
  private static final long serialVersionUID = 1L;

  private final transient Status status;

  public RpcException(Status status) {
    this(status, null);
  }

  public RpcException(Status status, Throwable cause) {
    super(Objects.requireNonNull(status, "status").toString(), cause);
    this.status = status;
  }

  public RpcException(StatusCode code, String message) {
    this(Status.of(code, message));
  }

  public Status status() {
    return status;
  }

  public StatusCode code() {
    return status.code();
  }
}
