package io.protorpc.reflection;

import com.google.protobuf.BlockingRpcChannel;
import com.google.protobuf.ByteString;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.RpcController;
import com.google.protobuf.ServiceException;
import io.protorpc.RpcException;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Asks a server's {@link ServerReflection} service what it serves and builds {@link
 * FileDescriptor}s from its answers, so messages can be made and read with {@code DynamicMessage}
 * without generated code.
 *
 * <pre>{@code
 * ReflectionClient reflection = new ReflectionClient(client, ClientController::new);
 * FileDescriptor file = reflection.fileContainingSymbol("protorpc.examples.calculator.Calculator");
 * ServiceDescriptor calculator = file.findServiceByName("Calculator");
 * }</pre>
 *
 * <p>Files already built are kept and reused (per client); a file's imports that an answer lacks are
 * asked for by name. What a server sends is checked: a file that does not parse, that imports
 * itself (directly or not) or whose imports are missing, imports nested more than {@value
 * #MAX_IMPORT_DEPTH} deep, or more than {@value #MAX_FILES} files in all, fail the call with {@code
 * INTERNAL}.
 *
 * <p>Thread-safe (calls are serialized).
 */
public final class ReflectionClient {
  /** Most files one client builds; a server sending more is refused. */
  public static final int MAX_FILES = 10_000;

  /** Deepest chain of imports built (files are built depth first, on the caller's stack). */
  public static final int MAX_IMPORT_DEPTH = 100;

  private final BlockingRpcChannel channel;
  private final Supplier<? extends RpcController> controllers;
  /** Built files, by name. */
  private final Map<String, FileDescriptor> built = new HashMap<>();
  /** Received but not yet built, by name. */
  private final Map<String, FileDescriptorProto> received = new HashMap<>();

  /**
   * @param channel usually an {@code RpcClient}
   * @param controllers makes the controller of each call, e.g. {@code ClientController::new}, or
   *     one with a deadline and metadata
   */
  public ReflectionClient(BlockingRpcChannel channel,
      Supplier<? extends RpcController> controllers) {
    this.channel = Objects.requireNonNull(channel, "channel");
    this.controllers = Objects.requireNonNull(controllers, "controllers");
  }

  /**
   * The full names of the services the server serves, reflection included, sorted.
   *
   * @throws RpcException if the call fails; {@code NOT_FOUND} when the server does not serve
   *     reflection
   */
  public synchronized List<String> listServices() throws RpcException {
    ListServicesResponse r = (ListServicesResponse) call(ServerReflection.LIST_SERVICES,
        ListServicesRequest.getDefaultInstance(), ListServicesResponse.getDefaultInstance());
    List<String> names = new ArrayList<>();
    r.getServiceList().forEach(s -> names.add(s.getName()));
    return names;
  }

  /**
   * The file that defines a service, method ({@code pkg.Service.Method}), message, enum or
   * extension, built with its imports.
   *
   * @throws RpcException {@code NOT_FOUND} if the server knows no such symbol; {@code INTERNAL}
   *     if its answer cannot be built; or the call's failure
   */
  public synchronized FileDescriptor fileContainingSymbol(String symbol) throws RpcException {
    FileDescriptorResponse r = (FileDescriptorResponse) call(
        ServerReflection.FILE_CONTAINING_SYMBOL,
        FileContainingSymbolRequest.newBuilder().setSymbol(symbol).build(),
        FileDescriptorResponse.getDefaultInstance());
    return build(first(r, "symbol '" + symbol + "'"), new HashSet<>());
  }

  /**
   * The file of this name (as protoc saw it, e.g. {@code protorpc/examples/calculator.proto}),
   * built with its imports.
   *
   * @throws RpcException as {@link #fileContainingSymbol}
   */
  public synchronized FileDescriptor fileByFilename(String filename) throws RpcException {
    FileDescriptor f = built.get(filename);
    return f != null ? f : build(filename, new HashSet<>());
  }

  /** Keeps every file of the answer and returns the first one's name. */
  private String first(FileDescriptorResponse r, String what) throws RpcException {
    if (r.getFileDescriptorProtoCount() == 0) {
      throw internal("server reflection sent no file for " + what);
    }
    String first = null;
    for (ByteString bytes : r.getFileDescriptorProtoList()) {
      FileDescriptorProto proto;
      try {
        proto = FileDescriptorProto.parseFrom(bytes);
      } catch (InvalidProtocolBufferException e) {
        throw internal("server reflection sent a file that does not parse: " + e.getMessage());
      }
      boolean known = built.containsKey(proto.getName()) || received.containsKey(proto.getName());
      if (!known) {
        if (built.size() + received.size() >= MAX_FILES) {
          throw internal("server reflection sent more than " + MAX_FILES + " files");
        }
        received.put(proto.getName(), proto);
      }
      if (first == null) {
        first = proto.getName();
      }
    }
    return first;
  }

  /**
   * Builds a file, its imports first; asks the server for imports it has not sent. {@code
   * building}: the chain of files being built that led here.
   */
  private FileDescriptor build(String name, Set<String> building) throws RpcException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    if (!building.add(name)) {
      throw internal("server reflection sent files that import each other: " + name);
    }
    if (building.size() > MAX_IMPORT_DEPTH) {
      throw internal("server reflection sent imports nested more than " + MAX_IMPORT_DEPTH
          + " deep");
    }
    FileDescriptorProto proto = received.get(name);
    if (proto == null) {
      FileDescriptorResponse r = (FileDescriptorResponse) call(ServerReflection.FILE_BY_FILENAME,
          FileByFilenameRequest.newBuilder().setFilename(name).build(),
          FileDescriptorResponse.getDefaultInstance());
      String sent = first(r, "file '" + name + "'");
      proto = received.get(name);
      if (proto == null) {
        throw internal("server reflection sent '" + sent + "' when asked for '" + name + "'");
      }
    }
    FileDescriptor[] dependencies = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < dependencies.length; i++) {
      dependencies[i] = build(proto.getDependency(i), building);
    }
    building.remove(name);
    try {
      FileDescriptor f = FileDescriptor.buildFrom(proto, dependencies);
      built.put(name, f);
      received.remove(name);
      return f;
    } catch (DescriptorValidationException e) {
      throw internal("server reflection sent a file that does not build: " + e.getMessage());
    }
  }

  private Message call(com.google.protobuf.Descriptors.MethodDescriptor method, Message request,
      Message prototype) throws RpcException {
    try {
      return channel.callBlockingMethod(method, controllers.get(), request, prototype);
    } catch (RpcException e) {
      throw e;
    } catch (ServiceException e) {
      throw new RpcException(Status.of(StatusCode.UNKNOWN, String.valueOf(e.getMessage())), e);
    }
  }

  private static RpcException internal(String message) {
    return new RpcException(StatusCode.INTERNAL, message);
  }
}
