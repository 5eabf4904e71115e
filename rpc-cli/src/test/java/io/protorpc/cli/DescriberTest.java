package io.protorpc.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FieldDescriptorProto;
import com.google.protobuf.ListValue;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import org.junit.jupiter.api.Test;

/** {@link Describer} on the well-known types: maps, oneofs, repeated fields, proto2 labels. */
class DescriberTest {
  @Test
  void mapsOneofsAndRepeatedFields() {
    assertEquals(String.join("\n",
        "// google.protobuf.Struct is a message in google/protobuf/struct.proto",
        "message google.protobuf.Struct {",
        "  map<string, google.protobuf.Value> fields = 1;",
        "}", ""), Describer.describe(Struct.getDescriptor()));
    assertEquals(String.join("\n",
        "// google.protobuf.Value is a message in google/protobuf/struct.proto",
        "message google.protobuf.Value {",
        "  oneof kind {",
        "    google.protobuf.NullValue null_value = 1;",
        "    double number_value = 2;",
        "    string string_value = 3;",
        "    bool bool_value = 4;",
        "    google.protobuf.Struct struct_value = 5;",
        "    google.protobuf.ListValue list_value = 6;",
        "  }",
        "}", ""), Describer.describe(Value.getDescriptor()));
    assertTrue(Describer.describe(ListValue.getDescriptor())
        .contains("  repeated google.protobuf.Value values = 1;\n"));
  }

  @Test
  void proto2LabelsAndNestedEnums() {
    String d = Describer.describe(FieldDescriptorProto.getDescriptor());
    assertTrue(d.contains("  optional string name = 1;\n"), d);
    assertTrue(d.contains("  enum Type {\n    TYPE_DOUBLE = 1;\n"), d);
    assertTrue(d.contains("  optional google.protobuf.FieldDescriptorProto.Type type = 5;\n"), d);
    assertTrue(d.contains("  google.protobuf.FieldOptions options = 8;\n"), d);
  }
}
