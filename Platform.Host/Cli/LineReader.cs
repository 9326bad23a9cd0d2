namespace Platform.Host.Cli;

/// <summary>
/// Splits a stream into lines as bytes, never decoding them: a TextReader would turn bytes that are not UTF-8
/// into U+FFFD before anyone could refuse them. A line ends at \n (a \r before it is dropped, as ReadLine
/// does); a last line without one still counts. Each line is valid until the next is asked for.
/// </summary>
internal static class LineReader
{
    public static async IAsyncEnumerable<ReadOnlyMemory<byte>> ReadAsync(Stream input)
    {
        var buffer = new byte[1 << 16];
        int start = 0, end = 0, scanned = 0;
        while (true)
        {
            var newline = buffer.AsSpan(scanned, end - scanned).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = buffer.AsMemory(start, scanned + newline - start);
                start = scanned = scanned + newline + 1;
                yield return WithoutCarriageReturn(line);
                continue;
            }
            scanned = end;
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                (end, scanned, start) = (end - start, scanned - start, 0);
            }
            if (end == buffer.Length) Array.Resize(ref buffer, buffer.Length * 2); // a line longer than the buffer
            var read = await input.ReadAsync(buffer.AsMemory(end));
            if (read == 0)
            {
                if (end > 0) yield return WithoutCarriageReturn(buffer.AsMemory(0, end));
                yield break;
            }
            end += read;
        }
    }

    private static ReadOnlyMemory<byte> WithoutCarriageReturn(ReadOnlyMemory<byte> line) =>
        line.Length > 0 && line.Span[^1] == (byte)'\r' ? line[..^1] : line;
}
