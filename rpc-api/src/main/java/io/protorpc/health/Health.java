package io.protorpc.health;

import com.google.protobuf.BlockingRpcChannel;
import com.google.protobuf.BlockingService;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.RpcController;
import com.google.protobuf.ServiceException;
import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import io.protorpc.health.HealthCheckResponse.ServingStatus;
import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A server's health statuses and the service that reports them, {@code
 * protorpc.health.v1.Health} (health.proto, after grpc.health.v1). Enabled with {@code
 * RpcServer.Builder.health()}; then {@code server.health()} is this:
 *
 * <pre>{@code
 * RpcServer server = RpcServer.builder().addService(calculator).health().start();
 * server.health().setStatus("demo.Calculator", ServingStatus.NOT_SERVING); // e.g. its DB is down
 * }</pre>
 *
 * <p>The server starts every service it serves, and the server as a whole (the empty name), as
 * {@code SERVING}. The application flips them as it likes. {@code RpcServer.shutdown()} first
 * turns every status {@code NOT_SERVING} for good ({@link #enterShutdown()}), so health-checking
 * clients stop sending new calls before the server drains. A service the server does not know is
 * answered with {@code NOT_FOUND}.
 *
 * <p>Clients ask with {@link #check}. Thread-safe.
 */
public final class Health {
  /** The health service's full name. */
  public static final String SERVICE_NAME = "protorpc.health.v1.Health";
  /** The name that stands for the server as a whole. */
  public static final String SERVER = "";

  private static final ServiceDescriptor DESCRIPTOR =
      HealthProto.getDescriptor().findServiceByName("Health");
  private static final MethodDescriptor CHECK = DESCRIPTOR.findMethodByName("Check");

  private final Map<String, ServingStatus> statuses = new ConcurrentHashMap<>();
  private volatile boolean shuttingDown;

  /** Statuses for no service yet, not even {@link #SERVER}; RpcServer sets those it serves. */
  public Health() {}

  /**
   * Sets a service's status ({@link #SERVER} for the server as a whole). Ignored once {@link
   * #enterShutdown()} has run: a server going away stays {@code NOT_SERVING}.
   *
   * @throws IllegalArgumentException unless {@code status} is {@code SERVING} or {@code
   *     NOT_SERVING}
   */
  public void setStatus(String service, ServingStatus status) {
    Objects.requireNonNull(service, "service");
    if (status != ServingStatus.SERVING && status != ServingStatus.NOT_SERVING) {
      throw new IllegalArgumentException("a status is SERVING or NOT_SERVING, not " + status);
    }
    if (!shuttingDown) {
      statuses.put(service, status);
    }
  }

  /** Marks {@code services} and the server as a whole {@code SERVING}; RpcServer does at start. */
  public void serving(Collection<String> services) {
    setStatus(SERVER, ServingStatus.SERVING);
    services.forEach(s -> setStatus(s, ServingStatus.SERVING));
  }

  /** A service's status, or {@code SERVICE_UNKNOWN} if none was ever set. */
  public ServingStatus status(String service) {
    return statuses.getOrDefault(service, ServingStatus.SERVICE_UNKNOWN);
  }

  /** Turns every status {@code NOT_SERVING}, for good; {@code RpcServer.shutdown()} calls it. */
  public void enterShutdown() {
    shuttingDown = true;
    statuses.replaceAll((service, status) -> ServingStatus.NOT_SERVING);
  }

  /**
   * The health service itself, to serve: RpcServer adds it when its builder asks for {@code
   * health()}.
   */
  public BlockingService service() {
    return new BlockingService() {
      @Override
      public ServiceDescriptor getDescriptorForType() {
        return DESCRIPTOR;
      }

      @Override
      public Message callBlockingMethod(MethodDescriptor method, RpcController controller,
          Message request) throws ServiceException {
        requireCheck(method);
        String service = ((HealthCheckRequest) request).getService();
        ServingStatus s = statuses.get(service);
        if (s == null) {
          throw new RpcException(StatusCode.NOT_FOUND,
              "no health status for service '" + service + "'");
        }
        return HealthCheckResponse.newBuilder().setStatus(s).build();
      }

      @Override
      public Message getRequestPrototype(MethodDescriptor method) {
        requireCheck(method);
        return HealthCheckRequest.getDefaultInstance();
      }

      @Override
      public Message getResponsePrototype(MethodDescriptor method) {
        requireCheck(method);
        return HealthCheckResponse.getDefaultInstance();
      }
    };
  }

  private static void requireCheck(MethodDescriptor method) {
    if (method != CHECK) {
      throw new IllegalArgumentException("the health service has no method " + method.getName());
    }
  }

  /**
   * Asks a server for a service's status ({@link #SERVER} for the server as a whole), through any
   * channel, such as an {@code RpcClient}.
   *
   * @param controller the call's controller (a timeout, say); a {@code ClientController}
   * @throws ServiceException an {@link RpcException} with the call's status: {@code NOT_FOUND}
   *     for a service the server has no status for, {@code UNIMPLEMENTED} from a server without
   *     the health service; else the call's own failure
   */
  public static ServingStatus check(BlockingRpcChannel channel, RpcController controller,
      String service) throws ServiceException {
    Message response = channel.callBlockingMethod(CHECK, controller,
        HealthCheckRequest.newBuilder().setService(service).build(),
        HealthCheckResponse.getDefaultInstance());
    return ((HealthCheckResponse) response).getStatus();
  }
}
