namespace Platform.Protocol.Wire;

/// <summary>
/// Bytes on a connection that are not a well-formed Kafka message: truncated, with impossible lengths or counts,
/// invalid UTF-8, an overlong varint, or a version the codec does not know. One exception type for all of them, so
/// the listener can answer with a closed connection instead of a stray IndexOutOfRangeException.
/// </summary>
public sealed class KafkaProtocolException : Exception
{
    public KafkaProtocolException(string message) : base(message)
    {
    }

    public KafkaProtocolException(string message, Exception inner) : base(message, inner)
    {
    }
}
