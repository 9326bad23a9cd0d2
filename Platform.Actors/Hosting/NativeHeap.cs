using System.Runtime.InteropServices;

namespace Platform.Actors.Hosting;

/// <summary>The process's native heap, as glibc's allocator manages it.</summary>
internal static class NativeHeap
{
    /// <summary>
    /// Returns the free pages of every malloc arena to the OS (<c>malloc_trim(0)</c>; glibc's own trimming on free only
    /// gives back the top of the main arena, beyond a threshold that grows with the largest blocks freed). False where
    /// there is no glibc: musl has no <c>malloc_trim</c>, other systems another allocator.
    /// </summary>
    public static bool Trim()
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            MallocTrim(0);
            return true;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    // "libc" is the runtime's own name for the C library on Linux (libc.so.6; libc.so is a linker script).
    [DllImport("libc", EntryPoint = "malloc_trim")]
    private static extern int MallocTrim(nuint pad);
}
