package io.protorpc.cli;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.GenericDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.OneofDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.util.Locale;

/** Descriptors as .proto-like text, with full type names, for {@code protorpc describe}. */
final class Describer {
  private final StringBuilder out = new StringBuilder();

  private Describer() {}

  /** What {@code d} is, in a word: service, method, message or enum. */
  static String kind(GenericDescriptor d) {
    if (d instanceof ServiceDescriptor) {
      return "service";
    }
    if (d instanceof MethodDescriptor) {
      return "method";
    }
    return d instanceof EnumDescriptor ? "enum" : "message";
  }

  /**
   * A service with its methods; a method with its request and response messages; a message with
   * its fields (and nested types); an enum with its values.
   */
  static String describe(GenericDescriptor d) {
    Describer w = new Describer();
    String kind = kind(d);
    w.out.append("// ").append(d.getFullName()).append(kind.equals("enum") ? " is an " : " is a ")
        .append(kind)
        .append(" in ").append(d.getFile().getName()).append('\n');
    if (d instanceof ServiceDescriptor s) {
      w.service(s);
    } else if (d instanceof MethodDescriptor m) {
      w.rpc(m, "");
      w.out.append('\n');
      w.message(m.getInputType(), "");
      if (m.getOutputType() != m.getInputType()) {
        w.out.append('\n');
        w.message(m.getOutputType(), "");
      }
    } else if (d instanceof EnumDescriptor e) {
      w.enumType(e, "");
    } else {
      w.message((Descriptor) d, "");
    }
    return w.out.toString();
  }

  private void service(ServiceDescriptor s) {
    out.append("service ").append(s.getFullName()).append(" {\n");
    s.getMethods().forEach(m -> rpc(m, "  "));
    out.append("}\n");
  }

  private void rpc(MethodDescriptor m, String indent) {
    out.append(indent).append("rpc ").append(indent.isEmpty() ? m.getFullName() : m.getName())
        .append('(').append(m.getInputType().getFullName()).append(") returns (")
        .append(m.getOutputType().getFullName()).append(");\n");
  }

  private void message(Descriptor m, String indent) {
    out.append(indent).append("message ").append(indent.isEmpty() ? m.getFullName() : m.getName())
        .append(" {\n");
    String inner = indent + "  ";
    for (Descriptor nested : m.getNestedTypes()) {
      if (!nested.getOptions().getMapEntry()) {
        message(nested, inner);
      }
    }
    m.getEnumTypes().forEach(e -> enumType(e, inner));
    for (FieldDescriptor f : m.getFields()) {
      OneofDescriptor oneof = f.getRealContainingOneof();
      if (oneof == null) {
        field(f, inner);
      } else if (oneof.getField(0) == f) {
        out.append(inner).append("oneof ").append(oneof.getName()).append(" {\n");
        oneof.getFields().forEach(o -> field(o, inner + "  "));
        out.append(inner).append("}\n");
      }
    }
    out.append(indent).append("}\n");
  }

  private void field(FieldDescriptor f, String indent) {
    out.append(indent);
    if (f.isMapField()) {
      Descriptor entry = f.getMessageType();
      out.append("map<").append(type(entry.findFieldByNumber(1))).append(", ")
          .append(type(entry.findFieldByNumber(2))).append("> ");
    } else {
      if (f.isRepeated()) {
        out.append("repeated ");
      } else if (f.isRequired()) {
        out.append("required ");
      } else if (f.hasPresence() && f.getRealContainingOneof() == null
          && f.getJavaType() != FieldDescriptor.JavaType.MESSAGE) {
        out.append("optional ");
      }
      out.append(type(f)).append(' ');
    }
    out.append(f.getName()).append(" = ").append(f.getNumber()).append(";\n");
  }

  private static String type(FieldDescriptor f) {
    return switch (f.getJavaType()) {
      case MESSAGE -> f.getMessageType().getFullName();
      case ENUM -> f.getEnumType().getFullName();
      default -> f.getType().name().toLowerCase(Locale.ROOT);
    };
  }

  private void enumType(EnumDescriptor e, String indent) {
    out.append(indent).append("enum ").append(indent.isEmpty() ? e.getFullName() : e.getName())
        .append(" {\n");
    for (EnumValueDescriptor v : e.getValues()) {
      out.append(indent).append("  ").append(v.getName()).append(" = ").append(v.getNumber())
          .append(";\n");
    }
    out.append(indent).append("}\n");
  }
}
