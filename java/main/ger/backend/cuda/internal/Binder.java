package ger.backend.cuda.internal;

import ger.backend.cuda.CudaException;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/** Makes downcall handles for the symbols of one loaded library; a missing symbol names the library. */
final class Binder {
    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT;
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG;
    static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT;
    static final ValueLayout.OfByte BYTE = ValueLayout.JAVA_BYTE;
    static final AddressLayout PTR = ValueLayout.ADDRESS;

    private final NativeLibraries.Loaded library;
    private final Linker linker = Linker.nativeLinker();

    Binder(NativeLibraries.Loaded library) {
        this.library = library;
    }

    /** A function returning a status code (int) and taking {@code args}. */
    MethodHandle status(String symbol, MemoryLayout... args) {
        return bind(FunctionDescriptor.of(INT, args), symbol);
    }

    /** The first of {@code symbols} the library exports (renamed entry points across CUDA versions). */
    MethodHandle bind(FunctionDescriptor descriptor, String... symbols) {
        for (String symbol : symbols) {
            var address = library.lookup().find(symbol);
            if (address.isPresent()) {
                return linker.downcallHandle(address.get(), descriptor);
            }
        }
        throw new CudaException(library.file() + " exports none of " + String.join(", ", symbols)
                + ": this CUDA version is older or newer than the ones ger binds (12, 13)");
    }

    /** A C string returned by a library (static storage), or "" for NULL. */
    static String string(MemorySegment cString) {
        return cString.equals(MemorySegment.NULL) ? "" : cString.reinterpret(Integer.MAX_VALUE).getString(0);
    }
}
