package io.protorpc.cli;

import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.protobuf.Any;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.DynamicMessage;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.protorpc.Status;
import java.io.EOFException;
import java.io.IOException;
import java.io.Reader;
import java.util.Base64;

/** Messages to and from JSON (protobuf's JSON mapping), and a failed call's status as JSON. */
final class Json {
  private Json() {}

  /**
   * JSON objects one after another (whitespace or nothing between them), read as they arrive, so
   * that each can be a call before the next is typed.
   */
  static final class Requests {
    private final JsonReader reader;
    private int count;

    Requests(Reader in) {
      this.reader = new JsonReader(in);
      reader.setLenient(true); // lets several top-level values follow each other
    }

    /** The next object as JSON text, or null at the end of the input. */
    String next() throws CliException {
      try {
        if (atEnd()) {
          return null;
        }
        count++;
        JsonElement e = JsonParser.parseReader(reader);
        if (!e.isJsonObject()) {
          throw CliException.usage("request " + count + " is not a JSON object: " + e);
        }
        return e.toString();
      } catch (IOException | JsonParseException e) {
        throw CliException.usage("request " + count + " is not JSON: " + e.getMessage());
      }
    }

    private boolean atEnd() throws IOException {
      try {
        return reader.peek() == JsonToken.END_DOCUMENT;
      } catch (EOFException e) {
        return count == 0; // gson's word for an input of whitespace alone
      }
    }
  }

  /** Parses one request of {@code type}. */
  static DynamicMessage parse(String json, Descriptor type, JsonFormat.TypeRegistry registry,
      int number) throws CliException {
    DynamicMessage.Builder b = DynamicMessage.newBuilder(type);
    try {
      JsonFormat.parser().usingTypeRegistry(registry).merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw CliException.usage("request " + number + " is not a " + type.getFullName() + ": "
          + e.getMessage());
    }
    return b.build();
  }

  /** A message as indented JSON, fields at their default values included. */
  static String print(MessageOrBuilder message, JsonFormat.TypeRegistry registry)
      throws InvalidProtocolBufferException {
    return JsonFormat.printer().usingTypeRegistry(registry).alwaysPrintFieldsWithNoPresence()
        .print(message);
  }

  /**
   * {@code {"code": "NAME", "message": "...", "details": {...}}}: details as the message they
   * hold when {@code registry} knows its type, else as its type URL and base64 bytes.
   */
  static String status(Status status, JsonFormat.TypeRegistry registry) {
    JsonObject o = new JsonObject();
    o.addProperty("code", status.code().name());
    o.addProperty("message", status.message());
    if (status.details().isPresent()) {
      Any any = status.details().get();
      JsonElement details;
      try {
        details = JsonParser.parseString(print(any, registry));
      } catch (InvalidProtocolBufferException unknownType) {
        JsonObject raw = new JsonObject();
        raw.addProperty("@type", any.getTypeUrl());
        raw.addProperty("value", Base64.getEncoder().encodeToString(any.getValue().toByteArray()));
        details = raw;
      }
      o.add("details", details);
    }
    return new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(o);
  }
}
