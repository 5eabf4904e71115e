package io.protorpc.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * README's code cannot rot: a fenced block right after {@code <!-- snippet: PATH -->} must appear
 * verbatim in the file PATH (relative to the repository's root), at any one indentation. Those
 * files are compiled and run by the build, so what a user pastes is what was tested. The sections
 * a newcomer pastes from must mark every block this way.
 */
class ReadmeSnippetsTest {
  /** Sections whose every code block must be a checked snippet (shell commands excepted). */
  private static final List<String> FULLY_CHECKED = List.of("## Quickstart", "## Your own project");

  private static final Pattern TAG = Pattern.compile("<!-- snippet: (\\S+) -->");

  static final Path ROOT = repositoryRoot();

  /** A fenced block of a markdown file: the line its fence starts on, its tag, its lines. */
  record Block(int line, String section, String snippetPath, String language, List<String> body) {}

  @Test
  void everyTaggedBlockAppearsVerbatimInTheFileItNames() throws IOException {
    List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
    try (var docs = Files.list(ROOT.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(documents::add);
    }
    int checked = 0;
    List<String> problems = new ArrayList<>();
    for (Path document : documents) {
      for (Block b : blocks(Files.readAllLines(document))) {
        if (b.snippetPath() == null) {
          continue;
        }
        checked++;
        Path source = ROOT.resolve(b.snippetPath());
        String where = ROOT.relativize(document) + ":" + b.line();
        if (!Files.isRegularFile(source)) {
          problems.add(where + ": no file " + b.snippetPath());
        } else if (!containsVerbatim(Files.readAllLines(source), b.body())) {
          problems.add(where + ": block not found verbatim in " + b.snippetPath());
        }
      }
    }
    assertEquals(List.of(), problems);
    assertTrue(checked >= 8, "README's quickstart and project setup are checked: " + checked);
  }

  @Test
  void everyCodeBlockOfTheQuickstartAndTheProjectSetupIsChecked() throws IOException {
    List<Block> blocks = blocks(Files.readAllLines(ROOT.resolve("README.md")));
    for (String section : FULLY_CHECKED) {
      assertTrue(blocks.stream().anyMatch(b -> b.section().equals(section)), section);
    }
    for (Block b : blocks) {
      if (FULLY_CHECKED.contains(b.section()) && !b.language().equals("sh")) {
        assertTrue(b.snippetPath() != null, () -> "README.md:" + b.line() + " (" + b.section()
            + ") has a code block without <!-- snippet: PATH -->");
      }
    }
  }

  /** The check itself: what it must accept and what it must refuse. */
  @Test
  void verbatimMeansSameLinesInOrderAtOneIndentation() {
    List<String> source = List.of("class A {", "  void f() {", "    g();", "", "    h();",
        "  }", "}");
    assertTrue(containsVerbatim(source, List.of("void f() {", "  g();", "", "  h();", "}")));
    assertTrue(containsVerbatim(source, List.of("g();")));
    assertTrue(!containsVerbatim(source, List.of("void f() {", "g();")), "indentation differs");
    assertTrue(!containsVerbatim(source, List.of("g();", "h();")), "a line left out");
    assertTrue(!containsVerbatim(source, List.of("g(1);")), "changed");
    assertTrue(!containsVerbatim(source, List.of("x g();")), "only a suffix");
    assertTrue(!containsVerbatim(source, List.of()), "empty");
  }

  /** Whether {@code snippet}'s lines are consecutive lines of {@code source}, all indented alike. */
  static boolean containsVerbatim(List<String> source, List<String> snippet) {
    if (snippet.isEmpty()) {
      return false;
    }
    String first = snippet.get(0);
    for (int i = 0; i + snippet.size() <= source.size(); i++) {
      String line = source.get(i);
      if (!line.endsWith(first)) {
        continue;
      }
      String indent = line.substring(0, line.length() - first.length());
      if (!indent.isBlank()) {
        continue;
      }
      boolean all = true;
      for (int k = 0; k < snippet.size() && all; k++) {
        String want = snippet.get(k);
        String have = source.get(i + k);
        all = want.isEmpty() ? have.isBlank() : have.equals(indent + want);
      }
      if (all) {
        return true;
      }
    }
    return false;
  }

  /** The fenced blocks of a markdown file, in order. */
  static List<Block> blocks(List<String> lines) {
    List<Block> out = new ArrayList<>();
    String section = "";
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.startsWith("## ")) {
        section = line;
      }
      String trimmed = line.strip();
      if (!trimmed.startsWith("```")) {
        continue;
      }
      Matcher tag = i > 0 ? TAG.matcher(lines.get(i - 1).strip()) : null;
      String path = tag != null && tag.matches() ? tag.group(1) : null;
      String indent = line.substring(0, line.indexOf('`'));
      List<String> body = new ArrayList<>();
      int j = i + 1;
      for (; j < lines.size() && !lines.get(j).strip().equals("```"); j++) {
        String l = lines.get(j);
        body.add(l.startsWith(indent) ? l.substring(indent.length()) : l.strip());
      }
      if (j == lines.size()) {
        fail("unclosed code block at line " + (i + 1));
      }
      out.add(new Block(i + 1, section, path, trimmed.substring(3), body));
      i = j;
    }
    return out;
  }

  private static Path repositoryRoot() {
    // surefire runs in the module's directory; the repository's root is its parent
    Path root = Path.of("").toAbsolutePath().getParent();
    assertTrue(Files.isRegularFile(root.resolve("README.md")), "README.md in " + root);
    return root;
  }
}
