package ger.io;

import ger.GerException;
import ger.model.FcStack;
import ger.tensor.Matrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

import static ger.io.IoTestFiles.assertFails;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** A PyTorch checkpoint given where a model goes: the message says how to convert it, since ger does not unpickle. */
class PyTorchFileTest {
    private static final String HOW = "save_file(model.state_dict(), \"m.safetensors\")";
    private final long seed = System.nanoTime();

    @TempDir
    Path dir;

    /** torch.save's format since PyTorch 1.6: a zip holding the pickle and the tensor data. */
    private Path zipCheckpoint(String name) throws IOException {
        Path file = dir.resolve(name);
        byte[] data = new byte[64 + new Random(seed).nextInt(512)];
        new Random(seed).nextBytes(data);
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry("archive/data.pkl"));
            zip.write(new byte[] {(byte) 0x80, 2, '}', 'q', 0, '.'});
            zip.putNextEntry(new ZipEntry("archive/data/0"));
            zip.write(data);
        }
        return file;
    }

    /** The format before: a bare pickle, protocol 2, starting with torch's magic number. */
    private Path pickleCheckpoint(String name) throws IOException {
        Path file = dir.resolve(name);
        byte[] tail = new byte[200];
        new Random(seed).nextBytes(tail);
        ByteBuffer b = ByteBuffer.allocate(4 + tail.length);
        b.put(new byte[] {(byte) 0x80, 2, (byte) 0x8a, 0x0a}).put(tail);
        Files.write(file, b.array());
        return file;
    }

    @Test
    void aCheckpointAsAModelSaysHowToConvertIt() throws Exception {
        for (Path file : List.of(zipCheckpoint("model.pt"), pickleCheckpoint("old.pth"), zipCheckpoint("named.safetensors"))) {
            assertFails(file, HOW, () -> ModelFiles.loadStack(file, null));
            assertFails(file, HOW, () -> ModelFiles.describe(file));
        }
    }

    /** Not a checkpoint, not a known format: the plain message, without the PyTorch advice. */
    @Test
    void otherUnknownFilesKeepThePlainMessage() throws Exception {
        Path file = dir.resolve("notes.txt");
        Files.writeString(file, "seed " + seed + ": these are not tensors\n");
        GerException e = assertFails(file, "unknown file type", () -> ModelFiles.describe(file));
        assertEquals(-1, e.getMessage().indexOf(HOW), e.getMessage());
    }

    /** A safetensors file whose header is 640 bytes starts 0x80 0x02, as a pickle does: it still loads. */
    @Test
    void aSafetensorsFileThatStartsAsAPickleLoads() throws Exception {
        Random r = new Random(seed);
        Matrix w = IoTestFiles.gaussian(r, 3, 4);
        Matrix bias = IoTestFiles.gaussian(r, 1, 3);
        Path file = dir.resolve("m.safetensors");
        for (int pad = 0; pad < 700; pad++) {
            SafeTensors.write(file, Map.of("fc.weight", SafeTensors.Entry.f32(w), "fc.bias", SafeTensors.Entry.f32Vector(bias)),
                    Map.of("note", "x".repeat(pad)));
            if (ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong() == 640) {
                break;
            }
        }
        assertEquals(640, ByteBuffer.wrap(Files.readAllBytes(file), 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong(),
                "no padding gave a 640-byte header");
        FcStack stack = ModelFiles.loadStack(file, null);
        assertEquals(w.get(2, 3), stack.layer(0).weight().get(2, 3), 0f, "seed " + seed);
    }
}
