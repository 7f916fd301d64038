package dev.sequoia.engine.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import picocli.CommandLine.IParameterPreprocessor;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Stack;

/**
 * {@code --config FILE}: a whole run as one JSON object (or, for a {@code .yaml}/{@code .yml} file, one YAML
 * mapping) whose keys are the command's long option names without the dashes
 * ({@code {"model": "m.gguf", "max-tokens": 64, "temperature": 0, "stop": ["\n"]}}). The file is
 * turned into exactly those flags, in place, so a run from a file and the same run from flags are parsed,
 * defaulted and validated by the same code. A flag may be given in the file or on the command line, not both.
 * Relative paths in the file are relative to the file's folder, so a file under {@code configs/} keeps working
 * from any working directory.
 */
final class ConfigFile {
    @Option(names = "--config", paramLabel = "FILE", preprocessor = Expand.class,
            description = "Read this command's options from a JSON object (YAML for .yaml/.yml files) keyed by"
                    + " long option name, e.g. {\"model\": \"m.gguf\", \"max-tokens\": 64} (see configs/runs/).")
    Path file;

    /** Replaces {@code --config FILE} by the flags the file holds. */
    static final class Expand implements IParameterPreprocessor {
        @Override
        public boolean preprocess(Stack<String> args, CommandSpec spec, ArgSpec config, Map<String, Object> info) {
            CommandSpec command = config.command(); // the command the mixin joined, whose options the file names
            if (args.isEmpty()) throw new ParameterException(command.commandLine(), "--config: expected a FILE");
            Path file = Path.of(args.pop());
            config.setValue(file);
            List<String> flags = flags(file, read(file, command), command);
            for (int i = flags.size() - 1; i >= 0; i--) args.push(flags.get(i));
            return true;
        }

        private static JsonNode read(Path file, CommandSpec command) {
            boolean yaml = isYaml(file);
            try {
                JsonNode root = (yaml ? new YAMLMapper() : new ObjectMapper()).readTree(Files.readString(file));
                if (root == null || !root.isObject()) {
                    throw new ParameterException(command.commandLine(), file + ": expected one "
                            + (yaml ? "YAML mapping" : "JSON object") + " of " + command.name() + "'s option names");
                }
                return root;
            } catch (JsonProcessingException e) {
                throw new ParameterException(command.commandLine(), file + ": not valid " + (yaml ? "YAML" : "JSON")
                        + ": " + e.getOriginalMessage().lines().findFirst().orElse("")
                        + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
            } catch (IOException e) {
                throw new ParameterException(command.commandLine(), "--config " + file + ": cannot read: " + e.getMessage());
            }
        }
    }

    /** A {@code .yaml} or {@code .yml} file is read as YAML; anything else as JSON. */
    static boolean isYaml(Path file) {
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        return name.endsWith(".yaml") || name.endsWith(".yml");
    }

    /** The flags the JSON object names, in its order; booleans become bare flags, arrays repeat the flag. */
    static List<String> flags(Path file, JsonNode root, CommandSpec command) {
        List<String> flags = new ArrayList<>();
        Path folder = file.toAbsolutePath().getParent();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = "--" + field.getKey();
            OptionSpec option = command.findOption(name);
            if (option == null || name.equals("--config") || option.usageHelp() || option.versionHelp()) {
                throw new ParameterException(command.commandLine(), file + ": unknown key '" + field.getKey()
                        + "' (expected a long option name of " + command.name() + ", without the dashes)");
            }
            JsonNode value = field.getValue();
            for (JsonNode v : value.isArray() ? value : List.of(value)) {
                if (v.isNull()) continue;
                if (boolean.class.equals(option.type()) || Boolean.class.equals(option.type())) {
                    if (!v.isBoolean()) throw badValue(command, file, field.getKey(), "true or false");
                    if (v.booleanValue()) flags.add(name);
                } else if (v.isTextual() || v.isNumber()) {
                    String text = v.asText();
                    if (Path.class.equals(option.type()) && !Path.of(text).isAbsolute()) text = folder.resolve(text).normalize().toString();
                    flags.add(name);
                    flags.add(text);
                } else {
                    throw badValue(command, file, field.getKey(), "a string, a number or an array of them");
                }
            }
        }
        return flags;
    }

    private static ParameterException badValue(CommandSpec command, Path file, String key, String expected) {
        return new ParameterException(command.commandLine(), file + ": '" + key + "' must be " + expected);
    }
}
