namespace Platform.Actors.Topics;

/// <summary>Kafka's topic naming rules (Topic.validate), so names that work here work in Kafka too.</summary>
internal static class TopicNames
{
    public const int MaxLength = 249;

    /// <returns>null when the name is valid, otherwise why not.</returns>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "Topic name is empty";
        if (name is "." or "..") return $"Topic name cannot be '{name}'";
        if (name.Length > MaxLength) return $"Topic name is {name.Length} characters long; the limit is {MaxLength}";
        foreach (var c in name)
        {
            var legal = c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';
            if (!legal)
                return $"Topic name '{name}' is illegal: it contains '{c}'; only ASCII alphanumerics, '.', '_' and '-' are allowed";
        }
        return null;
    }
}
