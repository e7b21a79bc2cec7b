package dev.triggers.operator.testing;

import dev.triggers.operator.api.v1alpha1.Trigger;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/** Applies YAML manifests (several documents per file) the way `kubectl apply -f` would. */
public final class Manifests {
    private Manifests() {}

    /** The examples/ folder of the repository. */
    public static Path examplesDir() {
        Path here = Path.of("").toAbsolutePath();
        for (Path p = here; p != null; p = p.getParent()) {
            if (Files.isDirectory(p.resolve("examples")) && Files.isDirectory(p.resolve("crds"))) return p.resolve("examples");
        }
        throw new IllegalStateException("no examples/ folder above " + here);
    }

    public static List<Path> examples() throws IOException {
        try (Stream<Path> files = Files.list(examplesDir())) {
            return files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList();
        }
    }

    /** Creates or updates every object in the file; returns them as created. */
    public static List<HasMetadata> apply(KubernetesClient client, Path file) throws IOException {
        List<HasMetadata> applied = new ArrayList<>();
        for (String doc : Files.readString(file).split("(?m)^---\\s*$")) {
            if (doc.lines().allMatch(l -> l.isBlank() || l.trim().startsWith("#"))) continue;
            Map<?, ?> raw = client.getKubernetesSerialization().unmarshal(doc, Map.class);
            HasMetadata object = switch (String.valueOf(raw.get("kind"))) {
                case "Trigger" -> client.getKubernetesSerialization().unmarshal(doc, Trigger.class);
                case "TriggerGrant" -> client.getKubernetesSerialization().unmarshal(doc, dev.triggers.operator.api.v1alpha1.TriggerGrant.class);
                default -> client.getKubernetesSerialization().unmarshal(doc);
            };
            applied.add(client.resource(object).createOr(op -> op.update()));
        }
        return applied;
    }
}
