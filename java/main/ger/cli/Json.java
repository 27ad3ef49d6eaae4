package ger.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import ger.io.AtomicFiles;

import java.nio.file.Path;

/** Reports as JSON, written atomically. */
final class Json {
    static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Json() {
    }

    static void write(Path file, Object value) {
        AtomicFiles.write(file, temp -> MAPPER.writeValue(temp.toFile(), value));
    }

    static String text(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("a report that Jackson cannot write: " + e.getMessage(), e);
        }
    }
}
