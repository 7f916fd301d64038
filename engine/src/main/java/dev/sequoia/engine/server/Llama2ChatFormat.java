package dev.sequoia.engine.server;

import java.util.List;

/**
 * Llama 2's chat layout as text: {@code [INST] <<SYS>>\n system \n<</SYS>>\n\n user [/INST] assistant [INST] ...}.
 * The BOS token comes from the session (its first turn); turns are separated by a space, since end- and
 * start-of-sequence tokens between turns cannot be written as text.
 */
public final class Llama2ChatFormat implements ChatFormat {
    @Override
    public String render(List<ChatMessage> messages) {
        StringBuilder out = new StringBuilder();
        String system = null;
        for (ChatMessage m : messages) {
            switch (m.role()) {
                case "system", "developer" -> system = system == null ? m.content() : system + "\n" + m.content();
                case "user" -> {
                    if (!out.isEmpty()) out.append(' ');
                    out.append("[INST] ");
                    if (system != null) out.append("<<SYS>>\n").append(system).append("\n<</SYS>>\n\n");
                    system = null;
                    out.append(m.content().strip()).append(" [/INST]");
                }
                case "assistant" -> out.append(' ').append(m.content().strip());
                default -> throw new IllegalArgumentException("unsupported role " + m.role());
            }
        }
        return out.toString();
    }
}
