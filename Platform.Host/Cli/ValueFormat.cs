using System.Text;
using System.Text.Unicode;

namespace Platform.Host.Cli;

/// <summary>
/// How record bytes meet a line of text, both ways: <c>consume --format</c> prints keys and values, <c>produce
/// --line-format</c> reads them. Bytes are never changed silently: text is UTF-8 with every byte that is not
/// valid UTF-8 written as a <c>\xNN</c> escape (where a decoder would put U+FFFD), hex and base64 spell
/// any bytes, and raw writes values exactly as stored.
/// </summary>
internal static class ValueFormat
{
    public const string Text = "text";
    public const string Hex = "hex";
    public const string Base64 = "base64";
    public const string Raw = "raw";

    /// <summary>A key or value as one field of an output line; null (no value, as Kafka has it) prints as <c>null</c>.</summary>
    public static string Format(byte[]? bytes, string format) => bytes is null ? "null" : format switch
    {
        Hex => Convert.ToHexStringLower(bytes),
        Base64 => Convert.ToBase64String(bytes),
        _ => EscapedUtf8(bytes),
    };

    /// <summary>UTF-8 as it is; each byte of an invalid sequence as <c>\xNN</c>.</summary>
    public static string EscapedUtf8(ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes)) return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length + 16);
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
            {
                text.Append(rune.ToString());
            }
            else
            {
                for (var i = 0; i < consumed; i++) text.Append($"\\x{bytes[i]:x2}");
            }
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }

    /// <summary>A field of an input line as bytes; null with the reason when it does not decode.</summary>
    public static byte[]? Parse(ReadOnlySpan<byte> field, string format, out string? error)
    {
        error = null;
        switch (format)
        {
            case Hex:
                return Decode(field, Convert.FromHexString, "is not hex (two digits 0-9a-f a byte)", out error);
            case Base64:
                return Decode(field, Convert.FromBase64String, "is not base64", out error);
            default:
                if (Utf8.IsValid(field)) return field.ToArray();
                error = "is not valid UTF-8 (send binary values with --file, or lines with --line-format hex or base64)";
                return null;
        }
    }

    private static byte[]? Decode(ReadOnlySpan<byte> field, Func<string, byte[]> decode, string whatIsWrong, out string? error)
    {
        error = null;
        try
        {
            return decode(Encoding.ASCII.GetString(field));
        }
        catch (FormatException)
        {
            error = whatIsWrong;
            return null;
        }
    }
}
