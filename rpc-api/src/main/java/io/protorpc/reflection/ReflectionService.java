package io.protorpc.reflection;

import com.google.protobuf.BlockingService;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import com.google.protobuf.Message;
import com.google.protobuf.RpcController;
import io.protorpc.RpcException;
import io.protorpc.StatusCode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/** {@link ServerReflection}'s implementation: an immutable index built once. */
final class ReflectionService implements BlockingService {
  private final ListServicesResponse services;
  /** Every file reachable from the services, by name, serialized once. */
  private final Map<String, FileDescriptor> files = new HashMap<>();
  private final Map<String, ByteString> serialized = new HashMap<>();
  /** Services, methods, messages (nested too), enums and extensions, by full name. */
  private final Map<String, FileDescriptor> symbols = new HashMap<>();

  ReflectionService(Collection<ServiceDescriptor> served) {
    Set<String> names = new TreeSet<>();
    List<ServiceDescriptor> all = new ArrayList<>(served);
    all.add(ServerReflection.descriptor());
    for (ServiceDescriptor s : all) {
      names.add(s.getFullName());
      index(s.getFile());
    }
    ListServicesResponse.Builder b = ListServicesResponse.newBuilder();
    names.forEach(n -> b.addService(ServiceResponse.newBuilder().setName(n)));
    this.services = b.build();
  }

  private void index(FileDescriptor root) {
    Deque<FileDescriptor> todo = new ArrayDeque<>(List.of(root));
    while (!todo.isEmpty()) {
      FileDescriptor f = todo.poll();
      if (files.putIfAbsent(f.getName(), f) != null) {
        continue;
      }
      serialized.put(f.getName(), f.toProto().toByteString());
      for (ServiceDescriptor s : f.getServices()) {
        symbols.putIfAbsent(s.getFullName(), f);
        for (MethodDescriptor m : s.getMethods()) {
          symbols.putIfAbsent(m.getFullName(), f);
        }
      }
      f.getMessageTypes().forEach(m -> indexMessage(m, f));
      f.getEnumTypes().forEach(e -> symbols.putIfAbsent(e.getFullName(), f));
      f.getExtensions().forEach(x -> symbols.putIfAbsent(x.getFullName(), f));
      todo.addAll(f.getDependencies());
    }
  }

  private void indexMessage(Descriptor m, FileDescriptor f) {
    symbols.putIfAbsent(m.getFullName(), f);
    for (Descriptor nested : m.getNestedTypes()) {
      indexMessage(nested, f);
    }
    for (EnumDescriptor e : m.getEnumTypes()) {
      symbols.putIfAbsent(e.getFullName(), f);
    }
    for (FieldDescriptor x : m.getExtensions()) {
      symbols.putIfAbsent(x.getFullName(), f);
    }
  }

  @Override
  public ServiceDescriptor getDescriptorForType() {
    return ServerReflection.descriptor();
  }

  @Override
  public Message callBlockingMethod(MethodDescriptor method, RpcController controller,
      Message request) throws RpcException {
    if (method == ServerReflection.LIST_SERVICES) {
      return services;
    }
    if (method == ServerReflection.FILE_CONTAINING_SYMBOL) {
      String symbol = ((FileContainingSymbolRequest) request).getSymbol();
      return withDependencies(symbols.get(symbol), "symbol", symbol);
    }
    if (method == ServerReflection.FILE_BY_FILENAME) {
      String name = ((FileByFilenameRequest) request).getFilename();
      return withDependencies(files.get(name), "file", name);
    }
    throw new IllegalArgumentException("not a method of " + ServerReflection.SERVICE_NAME + ": "
        + method.getFullName());
  }

  /** The file first, then every file it imports, directly or not, each once. */
  private FileDescriptorResponse withDependencies(FileDescriptor file, String what, String name)
      throws RpcException {
    if (file == null) {
      throw new RpcException(StatusCode.NOT_FOUND, "no " + what + " '" + name + "' here");
    }
    Set<String> seen = new LinkedHashSet<>();
    Deque<FileDescriptor> todo = new ArrayDeque<>(List.of(file));
    while (!todo.isEmpty()) {
      FileDescriptor f = todo.poll();
      if (seen.add(f.getName())) {
        todo.addAll(f.getDependencies());
      }
    }
    FileDescriptorResponse.Builder b = FileDescriptorResponse.newBuilder();
    seen.forEach(n -> b.addFileDescriptorProto(serialized.get(n)));
    return b.build();
  }

  @Override
  public Message getRequestPrototype(MethodDescriptor method) {
    return prototype(method.getInputType());
  }

  @Override
  public Message getResponsePrototype(MethodDescriptor method) {
    return prototype(method.getOutputType());
  }

  private static Message prototype(Descriptor type) {
    for (Message m : List.<Message>of(ListServicesRequest.getDefaultInstance(),
        ListServicesResponse.getDefaultInstance(),
        FileContainingSymbolRequest.getDefaultInstance(),
        FileByFilenameRequest.getDefaultInstance(),
        FileDescriptorResponse.getDefaultInstance())) {
      if (m.getDescriptorForType() == type) {
        return m;
      }
    }
    throw new IllegalArgumentException("not a type of " + ServerReflection.SERVICE_NAME + ": "
        + type.getFullName());
  }
}
