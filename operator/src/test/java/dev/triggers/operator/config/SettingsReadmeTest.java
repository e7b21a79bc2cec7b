package dev.triggers.operator.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** README's settings table lists exactly the catalogue's settings: same order, chart values, defaults and meanings. */
class SettingsReadmeTest {
    static final Path README = Path.of("..").toAbsolutePath().normalize().resolve("README.md");
    static final String HEADER = "| variable | chart value | default | meaning |";

    @Test
    void readmesSettingsTableIsTheCatalogue() throws IOException {
        List<String> lines = Files.readAllLines(README);
        assertThat(lines.stream().filter(HEADER::equals)).as("README.md has one settings table headed %s", HEADER).hasSize(1);
        int at = lines.indexOf(HEADER);
        assertThat(lines.get(at + 1)).isEqualTo("| --- | --- | --- | --- |");
        List<String> rows = new ArrayList<>();
        for (int i = at + 2; i < lines.size() && lines.get(i).startsWith("|"); i++) rows.add(lines.get(i));

        List<String> expected = Settings.ALL.stream().map(SettingsReadmeTest::row).toList();
        String table = "\n" + HEADER + "\n| --- | --- | --- | --- |\n" + String.join("\n", expected) + "\n";
        assertThat(rows.stream().map(r -> cells(r).get(0)).toList()).as("README.md's settings, in the catalogue's order; it should read:%s", table)
                .isEqualTo(Settings.ALL.stream().map(s -> "`" + s.env() + "`").toList());
        assertThat(rows).as("README.md's settings table; it should read:%s", table).isEqualTo(expected);
    }

    /** A setting as README shows it: variable, chart value (— for none), default (none when unset), meaning. */
    static String row(Setting<?> s) {
        String chart = s.chartValue() == null ? "—" : "`" + s.chartValue() + "`";
        String dflt = !s.defaultIsValue() ? s.defaultText() : s.defaultText().isEmpty() ? "none" : "`" + s.defaultText() + "`";
        return "| `" + s.env() + "` | " + chart + " | " + dflt + " | " + s.description() + " |";
    }

    static List<String> cells(String row) {
        String inner = row.substring(1, row.endsWith("|") ? row.length() - 1 : row.length());
        return java.util.Arrays.stream(inner.split("\\|")).map(String::trim).collect(Collectors.toList());
    }
}
