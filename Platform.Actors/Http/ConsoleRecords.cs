using System.Text;
using System.Text.Json;

namespace Platform.Actors.Http;

/// <summary>How the console shows a record's key, value or header: the bytes are the producer's, never trusted.</summary>
internal enum RecordFormat
{
    Text,
    Json,
    Hex,
}

/// <summary>
/// Turns record bytes into the text the console shows (before HTML escaping, which the page does). Long
/// values are cut at <see cref="MaxShownBytes"/> so one huge record cannot make a page of megabytes.
/// </summary>
internal static class ConsoleRecords
{
    public const int MaxShownBytes = 4096;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static RecordFormat Parse(string? format) => format?.ToLowerInvariant() switch
    {
        "json" => RecordFormat.Json,
        "hex" => RecordFormat.Hex,
        _ => RecordFormat.Text,
    };

    public static string Show(byte[]? bytes, RecordFormat format)
    {
        if (bytes is null) return "(null)";
        var cut = bytes.Length > MaxShownBytes;
        var shown = cut ? bytes.AsSpan(0, MaxShownBytes) : bytes;
        var text = format switch
        {
            RecordFormat.Hex => Hex(shown),
            // A cut JSON value no longer parses: shown as text, marked as cut.
            RecordFormat.Json when !cut => Json(bytes),
            _ => Encoding.UTF8.GetString(shown),
        };
        return cut ? $"{text} … ({bytes.Length} bytes, first {MaxShownBytes} shown)" : text;
    }

    private static string Json(byte[] bytes)
    {
        try
        {
            using var document = JsonDocument.Parse(bytes);
            return JsonSerializer.Serialize(document.RootElement, Indented);
        }
        catch (JsonException)
        {
            return "(not JSON) " + Encoding.UTF8.GetString(bytes);
        }
    }

    private static string Hex(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder(bytes.Length * 3);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (i > 0) text.Append(i % 16 == 0 ? '\n' : ' ');
            text.Append(bytes[i].ToString("x2", System.Globalization.CultureInfo.InvariantCulture));
        }
        return text.ToString();
    }
}
