package io.protorpc.cli;

import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.DescriptorValidationException;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.util.JsonFormat.TypeRegistry;
import io.protorpc.RpcException;
import io.protorpc.Status;
import io.protorpc.StatusCode;
import io.protorpc.reflection.ReflectionClient;
import io.protorpc.reflection.ServerReflection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The descriptors a command works with: from the server's reflection (asked lazily, file by file)
 * or from given files, all known at once. Finds services, methods, messages and enums by full
 * name, and makes the JSON type registry (for {@code Any} in requests, responses and status
 * details) from every file seen so far.
 */
final class Schema {
  private final ReflectionClient reflection; // null: the files were given
  private final String source;
  private final Map<String, FileDescriptor> files = new LinkedHashMap<>();
  private final Map<String, GenericDescriptor> symbols = new HashMap<>();
  private TypeRegistry registry;

  private Schema(ReflectionClient reflection, String source) {
    this.reflection = reflection;
    this.source = source;
  }

  /** Descriptors asked of the server as they are needed. */
  static Schema fromReflection(ReflectionClient reflection, String target) {
    return new Schema(reflection, target);
  }

  /** Every file of a descriptor set (with its imports, as protoc's --include_imports makes). */
  static Schema fromDescriptorSet(FileDescriptorSet set, String source) throws CliException {
    Map<String, FileDescriptorProto> protos = new LinkedHashMap<>();
    set.getFileList().forEach(f -> protos.putIfAbsent(f.getName(), f));
    Schema schema = new Schema(null, source);
    Map<String, FileDescriptor> built = new HashMap<>();
    for (String name : protos.keySet()) {
      schema.add(build(name, protos, built, new ArrayList<>(), source));
    }
    return schema;
  }

  private static FileDescriptor build(String name, Map<String, FileDescriptorProto> protos,
      Map<String, FileDescriptor> built, List<String> chain, String source) throws CliException {
    FileDescriptor done = built.get(name);
    if (done != null) {
      return done;
    }
    FileDescriptorProto proto = protos.get(name);
    if (proto == null) {
      throw CliException.usage(source + " lacks '" + name + "', imported by " + chain.get(
          chain.size() - 1) + " (a descriptor set needs protoc's --include_imports)");
    }
    if (chain.contains(name)) {
      throw CliException.usage(source + ": files import each other: " + chain + " -> " + name);
    }
    chain.add(name);
    FileDescriptor[] deps = new FileDescriptor[proto.getDependencyCount()];
    for (int i = 0; i < deps.length; i++) {
      deps[i] = build(proto.getDependency(i), protos, built, chain, source);
    }
    chain.remove(chain.size() - 1);
    try {
      FileDescriptor f = FileDescriptor.buildFrom(proto, deps);
      built.put(name, f);
      return f;
    } catch (DescriptorValidationException e) {
      throw CliException.usage(source + ": " + e.getMessage());
    }
  }

  boolean usesReflection() {
    return reflection != null;
  }

  /** Full names of the services, sorted. */
  List<String> services() throws RpcException {
    if (reflection != null) {
      try {
        return reflection.listServices();
      } catch (RpcException e) {
        throw explained(e);
      }
    }
    List<String> names = new ArrayList<>();
    for (GenericDescriptor d : symbols.values()) {
      if (d instanceof ServiceDescriptor) {
        names.add(d.getFullName());
      }
    }
    names.sort(null);
    return names;
  }

  /**
   * A service, method ({@code pkg.Service/Method} or {@code pkg.Service.Method}), message or enum
   * by full name.
   *
   * @throws RpcException {@code NOT_FOUND} when the server's reflection does not know it
   * @throws CliException when the given files do not define it
   */
  GenericDescriptor find(String name) throws RpcException, CliException {
    String symbol = (name.startsWith(".") ? name.substring(1) : name).replace('/', '.');
    Optional<GenericDescriptor> d = lookUp(symbol);
    if (d.isPresent()) {
      return d.get();
    }
    String why = notFound(symbol);
    if (reflection != null) {
      throw new RpcException(StatusCode.NOT_FOUND, why);
    }
    throw CliException.usage(why);
  }

  /** The method {@code name} names, or a usage error saying what it is instead. */
  MethodDescriptor method(String name) throws RpcException, CliException {
    GenericDescriptor d = find(name);
    if (d instanceof MethodDescriptor m) {
      return m;
    }
    throw CliException.usage("'" + name + "' is a " + Describer.kind(d)
        + ", not a method; give SERVICE/METHOD, e.g. " + example(d));
  }

  private static String example(GenericDescriptor d) {
    if (d instanceof ServiceDescriptor s && !s.getMethods().isEmpty()) {
      return s.getFullName() + "/" + s.getMethods().get(0).getName();
    }
    return "pkg.Service/Method";
  }

  private Optional<GenericDescriptor> lookUp(String symbol) throws RpcException {
    GenericDescriptor d = symbols.get(symbol);
    if (d == null && reflection != null && !symbol.isEmpty()) {
      try {
        add(reflection.fileContainingSymbol(symbol));
      } catch (RpcException e) {
        if (e.code() != StatusCode.NOT_FOUND || mentionsReflection(e)) {
          throw explained(e);
        }
      }
      d = symbols.get(symbol);
    }
    return Optional.ofNullable(d);
  }

  /** What a lookup that found nothing says: the methods of the service, or the services. */
  private String notFound(String symbol) throws RpcException {
    int dot = symbol.lastIndexOf('.');
    if (dot > 0) {
      Optional<GenericDescriptor> parent = lookUp(symbol.substring(0, dot));
      if (parent.isPresent() && parent.get() instanceof ServiceDescriptor s) {
        List<String> methods = new ArrayList<>();
        s.getMethods().forEach(m -> methods.add(m.getName()));
        return "service " + s.getFullName() + " has no method '" + symbol.substring(dot + 1)
            + "' (methods: " + String.join(", ", methods) + ")";
      }
    }
    return source + " knows no service, method, message or enum '" + symbol + "' (services: "
        + String.join(", ", services()) + ")";
  }

  private static boolean mentionsReflection(RpcException e) {
    return e.status().message().contains(ServerReflection.SERVICE_NAME);
  }

  /** A failed reflection call, said plainly when the server does not serve reflection at all. */
  private RpcException explained(RpcException e) {
    if ((e.code() == StatusCode.NOT_FOUND || e.code() == StatusCode.UNIMPLEMENTED)
        && mentionsReflection(e)) {
      return new RpcException(Status.of(e.code(), source + " does not serve reflection ("
          + e.status().message() + "); enable RpcServer.Builder.reflection() there, or give"
          + " --proto or --descriptor-set"), e);
    }
    return e;
  }

  /** A message type by full name, asking the server's reflection if needed; empty if unknown. */
  Optional<Descriptor> messageType(String fullName) {
    try {
      return lookUp(fullName).filter(Descriptor.class::isInstance).map(Descriptor.class::cast);
    } catch (RpcException e) {
      return Optional.empty();
    }
  }

  /** The message types of every file seen so far, for JsonFormat's {@code Any} handling. */
  TypeRegistry typeRegistry() {
    if (registry == null) {
      TypeRegistry.Builder b = TypeRegistry.newBuilder();
      files.values().forEach(f -> b.add(f.getMessageTypes()));
      registry = b.build();
    }
    return registry;
  }

  private void add(FileDescriptor file) {
    if (files.putIfAbsent(file.getName(), file) != null) {
      return;
    }
    registry = null;
    for (ServiceDescriptor s : file.getServices()) {
      symbols.putIfAbsent(s.getFullName(), s);
      s.getMethods().forEach(m -> symbols.putIfAbsent(m.getFullName(), m));
    }
    file.getMessageTypes().forEach(this::addMessage);
    file.getEnumTypes().forEach(e -> symbols.putIfAbsent(e.getFullName(), e));
    file.getDependencies().forEach(this::add);
  }

  private void addMessage(Descriptor m) {
    symbols.putIfAbsent(m.getFullName(), m);
    m.getNestedTypes().forEach(this::addMessage);
    for (EnumDescriptor e : m.getEnumTypes()) {
      symbols.putIfAbsent(e.getFullName(), e);
    }
  }
}
