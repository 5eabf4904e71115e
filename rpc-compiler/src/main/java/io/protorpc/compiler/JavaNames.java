package io.protorpc.compiler;

import com.google.protobuf.DescriptorProtos.DescriptorProto;
import com.google.protobuf.DescriptorProtos.EnumDescriptorProto;
import com.google.protobuf.DescriptorProtos.FileDescriptorProto;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Java names protoc's own Java generator gives to what a set of .proto files declares (Java
 * package, outer class, message classes), so that generated stubs refer to exactly the classes
 * {@code --java_out} writes; and safe Java names for rpc methods. Built once per request.
 */
final class JavaNames {
  /** Keywords, literals and restricted identifiers that cannot (or should not) name a method. */
  private static final Set<String> JAVA_RESERVED = Set.of(
      "abstract", "assert", "boolean", "break", "byte", "case", "catch", "char", "class", "const",
      "continue", "default", "do", "double", "else", "enum", "extends", "final", "finally",
      "float", "for", "goto", "if", "implements", "import", "instanceof", "int", "interface",
      "long", "native", "new", "package", "private", "protected", "public", "return", "short",
      "static", "strictfp", "super", "switch", "synchronized", "this", "throw", "throws",
      "transient", "try", "void", "volatile", "while", "true", "false", "null", "_", "var",
      "yield", "record", "sealed", "permits");

  /**
   * Methods every generated type already has: Object's, and AbstractStub's public and protected
   * ones. An rpc of the same name would overload them confusingly, so it gets a trailing '_'.
   */
  private static final Set<String> MEMBER_NAMES = Set.of(
      "getClass", "hashCode", "equals", "toString", "notify", "notifyAll", "wait", "clone",
      "finalize", "client", "callOptions", "withDeadline", "withMetadata", "withCompression",
      "withWaitForReady", "withFanout", "withOptions", "blockingCall", "futureCall");

  private final Map<String, String> classByProtoType = new HashMap<>();
  private final Map<String, String> outerClassByFile = new HashMap<>();

  JavaNames(List<FileDescriptorProto> files) {
    for (FileDescriptorProto file : files) {
      String javaPackage = javaPackage(file);
      String outer = outerClassName(file);
      outerClassByFile.put(file.getName(), qualify(javaPackage, outer));
      String scope = file.getOptions().getJavaMultipleFiles()
          ? javaPackage : qualify(javaPackage, outer);
      String protoScope = file.getPackage().isEmpty() ? "" : "." + file.getPackage();
      for (DescriptorProto message : file.getMessageTypeList()) {
        addMessage(message, protoScope, scope);
      }
    }
  }

  private void addMessage(DescriptorProto message, String protoScope, String javaScope) {
    String protoName = protoScope + "." + message.getName();
    String javaName = qualify(javaScope, message.getName());
    classByProtoType.put(protoName, javaName);
    for (DescriptorProto nested : message.getNestedTypeList()) {
      addMessage(nested, protoName, javaName);
    }
  }

  /** The Java class of a message, by its protoc type name (".pkg.Outer.Inner"). */
  String messageClass(String protoTypeName) {
    String name = classByProtoType.get(protoTypeName);
    if (name == null) {
      throw new IllegalArgumentException("message type " + protoTypeName + " is not in the request");
    }
    return name;
  }

  /** The fully qualified outer class protoc's Java generator writes for {@code file}. */
  String outerClass(FileDescriptorProto file) {
    return outerClassByFile.get(file.getName());
  }

  static String javaPackage(FileDescriptorProto file) {
    return file.getOptions().hasJavaPackage()
        ? file.getOptions().getJavaPackage() : file.getPackage();
  }

  /**
   * protoc's rule (editions up to 2023): {@code java_outer_classname}, else the file's base name
   * in CamelCase, plus "OuterClass" if a type declared in the file has that very name.
   */
  static String outerClassName(FileDescriptorProto file) {
    if (file.getOptions().hasJavaOuterClassname()) {
      return file.getOptions().getJavaOuterClassname();
    }
    String base = file.getName().substring(file.getName().lastIndexOf('/') + 1);
    if (base.endsWith(".protodevel")) {
      base = base.substring(0, base.length() - ".protodevel".length());
    } else if (base.endsWith(".proto")) {
      base = base.substring(0, base.length() - ".proto".length());
    }
    String name = camelCase(base, true);
    return declares(file, name) ? name + "OuterClass" : name;
  }

  private static boolean declares(FileDescriptorProto file, String name) {
    return file.getEnumTypeList().stream().anyMatch(e -> e.getName().equals(name))
        || file.getServiceList().stream().anyMatch(s -> s.getName().equals(name))
        || file.getMessageTypeList().stream().anyMatch(m -> declares(m, name));
  }

  private static boolean declares(DescriptorProto message, String name) {
    if (message.getName().equals(name)) {
      return true;
    }
    for (EnumDescriptorProto e : message.getEnumTypeList()) {
      if (e.getName().equals(name)) {
        return true;
      }
    }
    return message.getNestedTypeList().stream().anyMatch(m -> declares(m, name));
  }

  /**
   * protoc's UnderscoresToCamelCase: letters after a non-letter start upper case, characters
   * other than letters and digits are dropped, and the first letter is upper case only if asked.
   */
  static String camelCase(String input, boolean capitalizeFirst) {
    StringBuilder out = new StringBuilder(input.length());
    boolean capNext = capitalizeFirst;
    for (int i = 0; i < input.length(); i++) {
      char c = input.charAt(i);
      if (c >= 'a' && c <= 'z') {
        out.append(capNext ? (char) (c - 'a' + 'A') : c);
        capNext = false;
      } else if (c >= 'A' && c <= 'Z') {
        out.append(i == 0 && !capNext ? (char) (c - 'A' + 'a') : c);
        capNext = false;
      } else if (c >= '0' && c <= '9') {
        out.append(c);
        capNext = true;
      } else {
        capNext = true;
      }
    }
    return out.toString();
  }

  /**
   * The Java method name of an rpc: protoc's lower camel case (as generic services use), with a
   * trailing '_' when that is a Java keyword or a method the generated types already have.
   */
  static String methodName(String rpcName) {
    String name = camelCase(rpcName, false);
    if (name.isEmpty() || !Character.isJavaIdentifierStart(name.charAt(0))) {
      name = "_" + name;
    }
    return JAVA_RESERVED.contains(name) || MEMBER_NAMES.contains(name) ? name + "_" : name;
  }

  /** {@code METHOD_} plus the rpc name in upper snake case: Divide -> METHOD_DIVIDE. */
  static String methodConstant(String rpcName) {
    StringBuilder out = new StringBuilder("METHOD_");
    for (int i = 0; i < rpcName.length(); i++) {
      char c = rpcName.charAt(i);
      boolean upper = c >= 'A' && c <= 'Z';
      if (upper && i > 0) {
        char prev = rpcName.charAt(i - 1);
        if ((prev >= 'a' && prev <= 'z') || (prev >= '0' && prev <= '9')) {
          out.append('_');
        }
      }
      out.append(Character.isLetterOrDigit(c) ? Character.toUpperCase(c) : '_');
    }
    return out.toString();
  }

  static String qualify(String javaPackage, String name) {
    return javaPackage.isEmpty() ? name : javaPackage + "." + name;
  }
}
