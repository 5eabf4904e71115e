package io.protorpc.reflection;

import com.google.protobuf.BlockingService;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.Collection;

/**
 * Server reflection: a service ({@code protorpc.reflection.v1.ServerReflection}, defined in {@code
 * protorpc/reflection/v1/reflection.proto}) that tells callers which services a server serves and
 * returns the {@code FileDescriptorProto}s that define them, with every file they import. A client
 * without generated code, such as the {@code protorpc} command line, builds descriptors from them
 * at run time ({@link ReflectionClient}).
 *
 * <p>Most servers enable it with {@code RpcServer.Builder.reflection()}, which serves it beside the
 * services added to the builder. It is an ordinary protorpc service, so it works over every
 * transport, framing and compressor, and the server's interceptors see its calls (an authorising
 * interceptor may restrict it like any other service). It is off by default: it hands any caller
 * the server's whole API.
 *
 * <p>The method descriptors here are the ones a client passes to {@code RpcClient}.
 */
public final class ServerReflection {
  /** The service's full name. */
  public static final String SERVICE_NAME = "protorpc.reflection.v1.ServerReflection";

  private static final ServiceDescriptor SERVICE =
      ReflectionProto.getDescriptor().findServiceByName("ServerReflection");

  /** {@code ListServices(ListServicesRequest) returns (ListServicesResponse)}. */
  public static final MethodDescriptor LIST_SERVICES = SERVICE.findMethodByName("ListServices");

  /**
   * {@code FileContainingSymbol(FileContainingSymbolRequest) returns (FileDescriptorResponse)};
   * an unknown symbol is answered with {@code NOT_FOUND}.
   */
  public static final MethodDescriptor FILE_CONTAINING_SYMBOL =
      SERVICE.findMethodByName("FileContainingSymbol");

  /**
   * {@code FileByFilename(FileByFilenameRequest) returns (FileDescriptorResponse)}; an unknown file
   * is answered with {@code NOT_FOUND}.
   */
  public static final MethodDescriptor FILE_BY_FILENAME = SERVICE.findMethodByName("FileByFilename");

  private ServerReflection() {}

  /** The reflection service's descriptor. */
  public static ServiceDescriptor descriptor() {
    return SERVICE;
  }

  /**
   * A reflection service describing {@code services} and itself: it lists them and answers for
   * the files that define them and every file those import. Thread-safe and immutable; the files
   * are indexed here, once.
   */
  public static BlockingService newService(Collection<ServiceDescriptor> services) {
    return new ReflectionService(services);
  }
}
